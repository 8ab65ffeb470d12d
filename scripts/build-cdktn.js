#!/usr/bin/env node
// Part of `npm run build`: the CDK Terrain variant of the library (docs/runtimes.md), compiled from
// the same sources into dist/cdktn/lib/. It copies lib/ into .build-cdktn/, rewrites the module
// names of the import seam's files (lib/runtime/cdk.ts, cdk-tokens.ts, azurerm.ts: `cdktf` ->
// `cdktn`, `@cdktf/provider-azurerm` -> `@cdktn/provider-azurerm`; provider.ts: azurerm 4.73.0 and
// its force-new table, lib/review/force-new-4.73.ts) and nothing else, and compiles
// it against cdktn 0.24 and @cdktn/provider-azurerm 16.1 (azurerm 4.73), so a binding that differs
// between the provider versions fails this build. test/core/runtime-seam.test.ts holds every other
// file to the seam, so these three files are the whole difference.
//
//   node scripts/build-cdktn.js [--out DIR] [--no-emit]
//     --out DIR   where the compiled tree goes (default dist/cdktn)
//     --no-emit   type-check only (the variant's `npm run typecheck`)
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');

const root = path.resolve(__dirname, '..');
const stage = path.join(root, '.build-cdktn');

/** The seam's files and the module names rewritten in each. */
const SEAM = ['cdk.ts', 'cdk-tokens.ts', 'azurerm.ts', 'provider.ts'];
const REWRITES = [
  [/from '@cdktf\/provider-azurerm\//g, "from '@cdktn/provider-azurerm/"],
  [/from 'cdktf'/g, "from 'cdktn'"],
  [/from 'cdktf\//g, "from 'cdktn/"],
  // provider.ts: the review's force-new table of the version the bindings are for
  [/from '\.\.\/review\/force-new'/g, "from '../review/force-new-4.73'"],
  // provider.ts: what that version accepts where the spec offers a choice
  [/from '\.\/features-4\.55'/g, "from './features-4.73'"],
];

/** The seam file with its runtime module names rewritten; throws when a rewrite found nothing to rewrite. */
function rewrite(text, file) {
  let next = text;
  for (const [from, to] of REWRITES) next = next.replace(from, to);
  if (/from '(cdktf|@cdktf\/)|from '\.\.\/review\/force-new'|from '\.\/features-4\.55'/.test(next)) throw new Error(`${file}: a cdktf or azurerm 4.55 name is left after the rewrite`);
  if (next === text) throw new Error(`${file}: nothing to rewrite (is it still the seam?)`);
  return next;
}

function main() {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'no-emit': { type: 'boolean', default: false } }, strict: true });
  const out = path.resolve(values.out ?? path.join(root, 'dist', 'cdktn'));
  for (const pkg of ['cdktn', '@cdktn/provider-azurerm']) {
    try {
      require.resolve(`${pkg}/package.json`, { paths: [root] });
    } catch {
      process.stderr.write(`build-cdktn: ${pkg} is not installed (npm ci installs it as a devDependency)\n`);
      process.exit(1);
    }
  }
  fs.rmSync(stage, { recursive: true, force: true });
  fs.cpSync(path.join(root, 'lib'), path.join(stage, 'lib'), { recursive: true });
  for (const f of SEAM) {
    const p = path.join(stage, 'lib', 'runtime', f);
    fs.writeFileSync(p, rewrite(fs.readFileSync(p, 'utf8'), `lib/runtime/${f}`));
  }
  const tsconfig = {
    extends: path.join(root, 'tsconfig.json'),
    compilerOptions: { rootDir: '.', outDir: out, declaration: true, noEmit: values['no-emit'], types: ['node'], baseUrl: '.', typeRoots: [path.join(root, 'node_modules', '@types')] },
    include: ['lib/**/*.ts'],
  };
  fs.writeFileSync(path.join(stage, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  // module resolution from .build-cdktn/ walks up to the repository's node_modules
  if (!values['no-emit']) fs.rmSync(out, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', path.join(stage, 'tsconfig.json')], { cwd: stage, stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  if (!values['no-emit']) {
    // the programs the VMs run, beside the compiled modules that read them (as copy-vm-files.js does for dist/lib)
    const VM_FILES = /\.(lua|py|sh)$/;
    (function walk(dir) {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (VM_FILES.test(e.name)) {
          const dest = path.join(out, path.relative(stage, p));
          fs.mkdirSync(path.dirname(dest), { recursive: true });
          fs.copyFileSync(p, dest);
        }
      }
    })(path.join(stage, 'lib'));
  }
  process.stdout.write(`build-cdktn: ${values['no-emit'] ? 'type-checked' : `compiled into ${path.relative(root, out)}/lib`} against cdktn ${require(require.resolve('cdktn/package.json', { paths: [root] })).version} and @cdktn/provider-azurerm ${require(require.resolve('@cdktn/provider-azurerm/package.json', { paths: [root] })).version}\n`);
}

if (require.main === module) main();
module.exports = { rewrite, SEAM };
