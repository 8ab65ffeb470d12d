// The module names the CDK Terrain variant resolves differently (docs/runtimes.md), as one list:
// jest.cdktn.config.js maps them for `npm run test:cdktn`, and test/support/cdktn-resolve.js for a
// plain node process (scripts/synth-fixtures.mjs --runtime cdktn). scripts/build-cdktn.js rewrites
// the same names in the seam's four files when it compiles dist/cdktn. Each entry: a pattern over
// the requested name, and the name (or path under the repository) to resolve instead.
'use strict';
module.exports = [
  [/^cdktf$/, 'cdktn'],
  [/^cdktf\/(.*)$/, 'cdktn/$1'],
  [/^@cdktf\/provider-azurerm\/(.*)$/, '@cdktn/provider-azurerm/$1'],
  // the review's force-new table, and what the provider version accepts, of azurerm 4.73
  [/^(\.\.\/)+review\/force-new$/, '<rootDir>/lib/review/force-new-4.73.ts'],
  [/^\.\/features-4\.55$/, '<rootDir>/lib/runtime/features-4.73.ts'],
];
