/**
 * cdktf's lib/private/fs.js loads archiver (for TerraformAsset, which zips folders) when cdktf
 * loads; jest loads cdktf afresh in each test file, and archiver's module tree was about 60 ms of
 * each. The library makes no assets (nothing under lib/ names TerraformAsset), so the tests map
 * archiver here (jest.config.js moduleNameMapper); a call fails loudly instead of zipping.
 */
'use strict';
module.exports = function archiver() {
  throw new Error('archiver is not loaded in the tests: the library makes no TerraformAsset (test/support/no-archiver.js)');
};
