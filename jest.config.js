/** Tests are transpiled by sucrase (no type-check: that is `npm run typecheck`). */

/**
 * The VM programs run for real over time (npm run test:runtime, a CI step of its own): the front's
 * nginx with real HTTP through it, the front agent, the release agent, the drain agents and the
 * config guard. They wait on real polls and restarts, and run nginx, sh, curl and python3.
 */
const RUNTIME_TESTS = require('./test/runtime-tests.json');
/**
 * The commands run as a user runs them (npm run test:cli, a CI step of its own): each test starts
 * real node processes (the app, `ase`, the fixtures script), in fresh checkouts with real git, and
 * reads their exit codes and output. Each process loads and compiles the library afresh.
 */
const CLI_TESTS = require('./test/cli-tests.json');
const ignored = (list) => list.map((f) => `/${f.replace(/\./g, '\\.')}$`);

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // slow proofs run as their own CI step (npm run test:slow): the real cdktf CLI, the 10,000-mutation spec fuzzer;
  // the boot tests too (npm run test:boot): real systemd boots of the rendered cloud-init, as root
  testPathIgnorePatterns: [
    ...(process.env.ASE_SLOW_TESTS ? [] : ['/test/slow/']),
    ...(process.env.ASE_BOOT_TESTS ? [] : ['/test/boot/']),
    ...(process.env.ASE_RUNTIME_TESTS ? [] : ignored(RUNTIME_TESTS)),
    ...(process.env.ASE_CLI_TESTS ? [] : ignored(CLI_TESTS)),
  ],
  transform: {
    '^.+\\.ts$': '@sucrase/jest-plugin',
  },
  // the library makes no TerraformAsset: cdktf's archiver is not loaded in each file (test/support/no-archiver.js)
  moduleNameMapper: { '^archiver$': '<rootDir>/test/support/no-archiver.js' },
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  testTimeout: 60000,
  // many suites wait on real nginx, curl and sleeps rather than the CPU: two workers on two cores
  maxWorkers: 2,
};
