/**
 * The suite's broken-examples property (test/spec/validate.property.test.ts: a value of a type the
 * field never takes, an unknown field, a missing required field, 1-4 per spec) at 10,000 runs, in
 * CI's slow step; the suite runs it 2,000 times to keep its time.
 */
process.env.ASE_BROKEN_EXAMPLE_RUNS = '10000';
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../spec/validate.property.test');
