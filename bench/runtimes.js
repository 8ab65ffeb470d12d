#!/usr/bin/env node
// The synth on both runtimes, side by side in one run (docs/runtimes.md, docs/performance.md):
// the compiled library on cdktf (dist/lib) and on CDK Terrain (dist/cdktn/lib, `npm run build`
// first), each a new node process synthesizing the example, or a generated environment of N
// services, into a folder of its own. Runs alternate cdktf / cdktn so machine noise hits both
// alike; medians of wall time and peak RSS are printed with their ratios, and both outputs are
// checked to differ only in the two version strings docs/runtimes.md lists.
//   node bench/runtimes.js [--runs N] [--cases example,200]
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, cases: { type: 'string', default: 'example,200' }, child: { type: 'string' }, spec: { type: 'string' }, out: { type: 'string' } } });
const root = path.resolve(__dirname, '..');

if (values.child) {
  // one synth: `--child cdktf|cdktn --spec file.json --out dir`
  const lib = path.join(root, values.child === 'cdktn' ? 'dist/cdktn/lib' : 'dist/lib');
  const { synthesize } = require(path.join(lib, 'environment', 'synthesize.js'));
  const r = synthesize([{ file: path.basename(values.spec), spec: JSON.parse(fs.readFileSync(values.spec, 'utf8')), issues: [] }], values.out);
  if (!r.ok) {
    process.stderr.write(JSON.stringify(r.problems));
    process.exit(1);
  }
  process.exit(0);
}

for (const d of ['dist/lib', 'dist/cdktn/lib']) if (!fs.existsSync(path.join(root, d, 'environment', 'synthesize.js'))) throw new Error(`${d} is not built: npm run build`);
require('sucrase/register/ts');
const example = require(path.join(root, 'stacks', 'environments', 'retail.ts')).default;
const generated = (n) => ({
  ...example,
  name: `gen${n}`,
  quotas: {},
  network: { ...example.network, addressSpace: '10.0.0.0/12', subnetPrefixLength: 23 },
  services: Array.from({ length: n }, (_, i) => ({ ...example.services[i % example.services.length], name: `svc${String(i + 1).padStart(3, '0')}`, block: i + 1, port: undefined })),
});
fs.mkdirSync(path.join(root, '.bench'), { recursive: true });
const work = fs.mkdtempSync(path.join(root, '.bench', 'runtimes-'));
const env = { ...process.env, CHECKPOINT_DISABLE: '1' };
delete env.CDKTF_OUTDIR;

function timed(runtime, spec, out) {
  const rssFile = path.join(work, 'rss');
  fs.rmSync(rssFile, { force: true });
  fs.rmSync(out, { recursive: true, force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [__filename, '--child', runtime, '--spec', spec, '--out', out], { cwd: root, encoding: 'utf8', env: { ...env, BENCH_RSS_FILE: rssFile, NODE_OPTIONS: `--require ${path.join(__dirname, 'peak-rss.js')}` } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${runtime} synth failed:\n${r.stderr}`);
  const kb = Math.max(...fs.readFileSync(rssFile, 'utf8').trim().split('\n').map(Number));
  return { ms, mb: kb / 1024 };
}

/** Each stack of b made to a's two version strings: equal, or the difference is not only those. */
function onlyVersionsDiffer(a, b) {
  for (const s of fs.readdirSync(path.join(a, 'stacks'))) {
    const x = JSON.parse(fs.readFileSync(path.join(a, 'stacks', s, 'cdk.tf.json'), 'utf8'));
    const y = JSON.parse(fs.readFileSync(path.join(b, 'stacks', s, 'cdk.tf.json'), 'utf8'));
    y['//'].metadata.version = x['//'].metadata.version;
    y.terraform.required_providers.azurerm.version = x.terraform.required_providers.azurerm.version;
    if (JSON.stringify(x) !== JSON.stringify(y)) return `${s} differs beyond the two versions`;
  }
  return undefined;
}

const median = (xs) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const rows = [];
for (const c of values.cases.split(',')) {
  const spec = path.join(work, `${c}.json`);
  fs.writeFileSync(spec, JSON.stringify(c === 'example' ? example : generated(Number(c))));
  const outs = { cdktf: path.join(work, c, 'cdktf'), cdktn: path.join(work, c, 'cdktn') };
  // one warm-up each (the file system cache), not counted
  timed('cdktf', spec, outs.cdktf);
  timed('cdktn', spec, outs.cdktn);
  const why = onlyVersionsDiffer(outs.cdktf, outs.cdktn);
  if (why) throw new Error(`${c}: ${why}`);
  const got = { cdktf: [], cdktn: [] };
  for (let i = 0; i < Number(values.runs); i++) for (const rt of ['cdktf', 'cdktn']) got[rt].push(timed(rt, spec, outs[rt]));
  const stacks = fs.readdirSync(path.join(outs.cdktf, 'stacks')).length;
  const m = (rt, k) => median(got[rt].map((x) => x[k]));
  rows.push({ c, stacks, tf: m('cdktf', 'ms'), tn: m('cdktn', 'ms'), tfMb: m('cdktf', 'mb'), tnMb: m('cdktn', 'mb'), ratios: got.cdktn.map((x, i) => x.ms / got.cdktf[i].ms) });
}
process.stdout.write(`runs: ${values.runs} each, alternating; medians\n`);
process.stdout.write('| case | stacks | cdktf wall | cdktn wall | cdktn / cdktf (median of pairs) | cdktf peak | cdktn peak |\n|---|---|---|---|---|---|---|\n');
for (const r of rows) process.stdout.write(`| ${r.c} | ${r.stacks} | ${(r.tf / 1000).toFixed(2)} s | ${(r.tn / 1000).toFixed(2)} s | ${median(r.ratios).toFixed(2)}x | ${r.tfMb.toFixed(0)} MB | ${r.tnMb.toFixed(0)} MB |\n`);
fs.rmSync(work, { recursive: true, force: true });
