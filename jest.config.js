/** Tests are transpiled by sucrase (no type-check: that is `npm run typecheck`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // slow proofs run as their own CI step (npm run test:slow): the real cdktf CLI, the 10,000-mutation spec fuzzer;
  // the boot tests too (npm run test:boot): real systemd boots of the rendered cloud-init, as root
  testPathIgnorePatterns: [...(process.env.ASE_SLOW_TESTS ? [] : ['/test/slow/']), ...(process.env.ASE_BOOT_TESTS ? [] : ['/test/boot/'])],
  transform: {
    '^.+\\.ts$': '@sucrase/jest-plugin',
  },
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  testTimeout: 60000,
  // many suites wait on real nginx, curl and sleeps rather than the CPU: two workers on two cores
  maxWorkers: 2,
};
