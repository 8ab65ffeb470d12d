#!/usr/bin/env node
// Synthesizes specs with the library's sources on CDK Terrain (docs/runtimes.md), the way the
// cdktn build compiles them: the import seam's modules (lib/runtime/) resolve `cdktf` to `cdktn`
// and `@cdktf/provider-azurerm` to `@cdktn/provider-azurerm`; any other file asking for a cdktf
// module stops the run (the seam test holds the sources to that too). Used by
// test/stacks/runtimes.test.ts, which compares the output with the cdktf synth.
//
//   node test/support/synth-on-cdktn.js <out dir> <spec module> [<spec module> ...]
//     each spec module (TypeScript or JSON, loaded with sucrase) exports the spec as default
'use strict';
const Module = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const seam = path.join(root, 'lib', 'runtime') + path.sep;
const original = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (/^(cdktf($|\/)|@cdktf\/provider-azurerm\/)/.test(request)) {
    const from = parent?.filename ?? '';
    // cdktn's own modules and its bindings never ask for cdktf; the seam is the only other asker
    if (!from.startsWith(seam)) throw new Error(`${path.relative(root, from)} imports ${request} outside the seam (lib/runtime/)`);
    request = request.replace(/^cdktf/, 'cdktn').replace(/^@cdktf\/provider-azurerm/, '@cdktn/provider-azurerm');
  }
  // provider.ts: the review's force-new table of azurerm 4.73, as the build rewrites it
  if (request === '../review/force-new' && parent?.filename === path.join(seam, 'provider.ts')) request = '../review/force-new-4.73';
  return original.call(this, request, parent, ...rest);
};
require('sucrase/register/ts');
process.env.CHECKPOINT_DISABLE ??= '1';

const [out, ...specs] = process.argv.slice(2);
const { synthesize } = require(path.join(root, 'lib', 'environment', 'synthesize.ts'));
const inputs = specs.map((file) => ({ file: path.basename(file), spec: require(path.resolve(file)).default ?? require(path.resolve(file)), issues: [] }));
const r = synthesize(inputs, path.resolve(out));
if (!r.ok) {
  process.stderr.write(`${JSON.stringify(r.problems, null, 2)}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ stacks: r.stacks, cdktn: require('cdktn/package.json').version, azurerm: require('@cdktn/provider-azurerm/package.json').version })}\n`);
