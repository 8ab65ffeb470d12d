/**
 * The suite's plan properties (test/spec/plans.property.test.ts) with the collision property
 * (no two subnets, frontend IPs or port ranges overlap in a random valid environment) at 2,000
 * runs, in CI's slow step; the suite runs it 100 times to keep its time.
 */
process.env.ASE_PLAN_COLLISION_RUNS = '2000';
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../spec/plans.property.test');
