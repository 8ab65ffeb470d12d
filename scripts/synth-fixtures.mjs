#!/usr/bin/env node
// Synthesizes the test-only environments into a folder of their own, for `terraform validate`
// with the real provider. Never touches the example's cdktf.out or stacks/environments/*.lock.json.
//
//   node scripts/synth-fixtures.mjs [OUTDIR]                 the option-coverage fixtures
//                                                           (test/fixtures/environments/) into
//                                                           OUTDIR (default cdktf.out.everything)
//   node scripts/synth-fixtures.mjs --random N [--seed S] DIR
//                                                           N random valid environments, each
//                                                           synthesized into DIR/random-NN/
//   node scripts/synth-fixtures.mjs --runtime cdktn OUTDIR  the fixtures on CDK Terrain (cdktn 0.24,
//                                                           azurerm 4.73: test/support/cdktn-resolve.js),
//                                                           with the example at network.natGateway.sku
//                                                           'StandardV2', which only cdktn accepts
//
// Prints one line per stack: `<stack> <folder>` (the folder holds its cdk.tf.json), then a
// summary. Exit 1 with every problem when a spec does not synthesize.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
// the fixtures and the generator are TypeScript under test/: transpiled on load, not type-checked
require('sucrase/register/ts');
process.env.CHECKPOINT_DISABLE ??= '1';

const { values, positionals } = parseArgs({
  options: { random: { type: 'string' }, seed: { type: 'string', default: '20261202' }, runtime: { type: 'string', default: 'cdktf' } },
  allowPositionals: true,
  strict: true,
});
const outdir = resolve(positionals[0] ?? (values.random ? '' : 'cdktf.out.everything'));
if (values.random && positionals.length === 0) {
  process.stderr.write('synth-fixtures: --random N needs the folder to write into\n');
  process.exit(2);
}
if (outdir === resolve(root, 'cdktf.out') || outdir === root) {
  process.stderr.write(`synth-fixtures: ${outdir} is the example's output; give another folder\n`);
  process.exit(2);
}

if (values.runtime !== 'cdktf' && values.runtime !== 'cdktn') {
  process.stderr.write(`synth-fixtures: --runtime is cdktf or cdktn, not '${values.runtime}'\n`);
  process.exit(2);
}
// before the library loads: its runtime modules resolve to CDK Terrain's, as the cdktn build compiles them
if (values.runtime === 'cdktn') require(resolve(root, 'test/support/cdktn-resolve.js'));

const started = Date.now();
if (values.random) {
  const n = Number(values.random);
  const seed = Number(values.seed);
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed)) {
    process.stderr.write('synth-fixtures: --random takes a positive integer, --seed an integer\n');
    process.exit(2);
  }
  const { writeRandomEnvironments } = require(resolve(root, 'test/support/valid-environments.ts'));
  const written = writeRandomEnvironments(outdir, n, seed);
  for (const w of written) for (const s of w.stacks) process.stdout.write(`${s} ${resolve(w.outdir, 'stacks', s)}\n`);
  const failed = written.filter((w) => !w.ok);
  for (const w of failed) process.stderr.write(`${w.outdir}: ${w.error}\n`);
  process.stdout.write(`Synthesized ${written.length - failed.length} of ${n} random environments (seed ${seed}) into ${outdir}/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  process.exitCode = failed.length > 0 ? 1 : 0;
} else {
  const { synthesizeFixtures, loadFixtureSpecs, FIXTURE_ENVIRONMENTS_DIR } = require(resolve(root, 'test/support/fixture-environments.ts'));
  const { formatProblems } = require(resolve(root, 'lib/spec/environments.ts'));
  const specs = loadFixtureSpecs();
  if (values.runtime === 'cdktn') {
    const example = structuredClone(require(resolve(root, 'stacks/environments/retail.ts')).default);
    example.network = { ...example.network, natGateway: { sku: 'StandardV2' } };
    specs.push({ file: 'retail-standardv2.ts', spec: example, issues: [] });
  }
  const result = synthesizeFixtures(outdir, specs);
  if (!result.ok) {
    process.stderr.write(`${formatProblems(result.problems, FIXTURE_ENVIRONMENTS_DIR)}\nNothing was written.\n`);
    process.exitCode = 1;
  } else {
    for (const s of result.stacks) process.stdout.write(`${s} ${resolve(outdir, 'stacks', s)}\n`);
    process.stdout.write(`Synthesized ${result.stacks.length} stacks into ${outdir}/ on ${values.runtime} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}
