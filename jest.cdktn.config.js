/**
 * The jest suite on CDK Terrain (docs/runtimes.md): every test file as `npm test` runs it, with
 * cdktf and its azurerm bindings resolved to cdktn 0.24 and @cdktn/provider-azurerm 16.1 (azurerm
 * 4.73) everywhere, the tests' own imports included, and the review's force-new table of 4.73.
 * `npm run test:cdktn`, a CI step of its own. The snapshots are cdktf's: a stack is compared with
 * them as if its two version strings (the runtime that wrote it, the azurerm it pins) were
 * cdktf's (test/support/cdktn-snapshots.js), so every other byte must match. The one test that
 * compares the two runtimes (test/stacks/runtimes.test.ts) is skipped here.
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  moduleNameMapper: {
    ...base.moduleNameMapper,
    '^cdktf$': 'cdktn',
    '^cdktf/(.*)$': 'cdktn/$1',
    '^@cdktf/provider-azurerm/(.*)$': '@cdktn/provider-azurerm/$1',
    '^(\\.\\./)+review/force-new$': '<rootDir>/lib/review/force-new-4.73.ts',
    '^\\./features-4\\.55$': '<rootDir>/lib/runtime/features-4.73.ts',
  },
  snapshotSerializers: ['<rootDir>/test/support/cdktn-snapshots.js'],
};
