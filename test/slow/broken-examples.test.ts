/**
 * The suite's broken-examples property (test/spec/validate.property.test.ts: a value of a type the
 * field never takes, an unknown field, a missing required field, 1-4 per spec) at 10,000 runs, in
 * CI's slow step, and the arbitrary-value properties 2,000 times each; the suite runs them 200 times
 * each to keep its time.
 */
process.env.ASE_BROKEN_EXAMPLE_RUNS = '10000';
process.env.ASE_ARBITRARY_VALUE_RUNS = '2000';
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../spec/validate.property.test');
