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
const MAP = require('./test/support/cdktn-map.js');

module.exports = {
  ...base,
  // the names the cdktn variant resolves differently: one list (test/support/cdktn-map.js)
  moduleNameMapper: { ...base.moduleNameMapper, ...Object.fromEntries(MAP.map(([pattern, to]) => [pattern.source, to])) },
  snapshotSerializers: ['<rootDir>/test/support/cdktn-snapshots.js'],
};
