// Resolves, in this node process, the module names the CDK Terrain variant resolves differently
// (test/support/cdktn-map.js): what jest.cdktn.config.js does for jest, for scripts that load the
// library's TypeScript sources directly (scripts/synth-fixtures.mjs --runtime cdktn). Require it
// before the library.
'use strict';
const Module = require('node:module');
const path = require('node:path');
const MAP = require('./cdktn-map.js');

const root = path.resolve(__dirname, '..', '..');
const original = Module._resolveFilename;
Module._resolveFilename = function resolveOnCdktn(request, parent, ...rest) {
  for (const [pattern, to] of MAP) {
    if (pattern.test(request)) {
      const next = request.replace(pattern, to).replace('<rootDir>', root);
      return original.call(this, next, parent, ...rest);
    }
  }
  return original.call(this, request, parent, ...rest);
};
