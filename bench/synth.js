#!/usr/bin/env node
// Synth benchmark: wall time and peak memory of a cold `npm run synth` (a new node process each
// run) for the example and for generated environments of 20 and 200 services, side by side with
// the same resources built from raw provider constructs in plain JavaScript. Runs alternate
// library / raw so machine noise hits both alike; medians are printed with their ratios.
//   node bench/synth.js [--runs N] [--cases example,20,200] [--cli]
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { generate } = require('./raw-codegen');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, cases: { type: 'string', default: 'example,20,200' }, cli: { type: 'boolean', default: false } } });
const RUNS = Number(values.runs);
const root = path.resolve(__dirname, '..');
// inside the project so the generated raw apps resolve node_modules (gitignored)
fs.mkdirSync(path.join(root, '.bench'), { recursive: true });
const work = fs.mkdtempSync(path.join(root, '.bench', 'run-'));
const env = { ...process.env, CHECKPOINT_DISABLE: '1', CI: '1' };
delete env.CDKTF_OUTDIR;

function timed(cmd, args, opts = {}) {
  const rssFile = path.join(work, 'rss');
  fs.rmSync(rssFile, { force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts, env: { ...env, ...opts.env, BENCH_RSS_FILE: rssFile, NODE_OPTIONS: `--require ${path.join(__dirname, 'peak-rss.js')}` } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  const kb = fs.existsSync(rssFile) ? Math.max(...fs.readFileSync(rssFile, 'utf8').trim().split('\n').map(Number)) : NaN;
  return { ms, mb: kb / 1024 };
}

function generatedSpec(n) {
  const example = require(path.join(root, '.build/stacks/environments/retail.js')).default;
  const services = Array.from({ length: n }, (_, i) => ({
    ...example.services[i % example.services.length],
    name: `svc${String(i + 1).padStart(3, '0')}`,
    block: i + 1,
    port: undefined,
  }));
  return { ...example, name: `gen${n}`, quotas: {}, network: { ...example.network, addressSpace: '10.0.0.0/12', subnetPrefixLength: 23 }, services };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x, d = 2) => x.toFixed(d);

// transpile once so every measured run is a warm-cache cold start, as a user's second synth is
spawnSync(process.execPath, ['scripts/app.js', 'scripts/noop.ts'], { cwd: root, env });
const cases = values.cases.split(',');
const rows = [];
for (const c of cases) {
  const dir = path.join(work, c);
  fs.mkdirSync(path.join(dir, 'envs'), { recursive: true });
  const libArgs = ['scripts/app.js', 'stacks/main.ts'];
  if (c !== 'example') {
    fs.writeFileSync(path.join(dir, 'envs', `gen${c}.json`), JSON.stringify(generatedSpec(Number(c))));
    libArgs.push('--environments', path.join(dir, 'envs'));
  }
  const libOut = path.join(dir, 'lib.out');
  timed(process.execPath, libArgs, { env: { CDKTF_OUTDIR: libOut } });
  const rawFile = path.join(dir, 'raw.js');
  generate(libOut, rawFile);
  const resources = fs.readdirSync(path.join(libOut, 'stacks')).reduce((n, s) => {
    const j = JSON.parse(fs.readFileSync(path.join(libOut, 'stacks', s, 'cdk.tf.json'), 'utf8'));
    return n + Object.values(j.resource ?? {}).reduce((m, r) => m + Object.keys(r).length, 0);
  }, 0);
  const lib = [];
  const raw = [];
  for (let i = 0; i < RUNS; i++) {
    lib.push(timed(process.execPath, libArgs, { env: { CDKTF_OUTDIR: path.join(dir, 'l') } }));
    raw.push(timed(process.execPath, [rawFile], { env: { CDKTF_OUTDIR: path.join(dir, 'r') }, cwd: root }));
  }
  const row = { case: c, resources, libMs: median(lib.map((r) => r.ms)), rawMs: median(raw.map((r) => r.ms)), libMb: median(lib.map((r) => r.mb)), rawMb: median(raw.map((r) => r.mb)) };
  if (c === 'example') {
    const npm = [];
    for (let i = 0; i < RUNS; i++) npm.push(timed('npm', ['run', '-s', 'synth'], { env: { CDKTF_OUTDIR: path.join(dir, 'n') } }));
    row.npmMs = median(npm.map((r) => r.ms));
    row.npmMb = median(npm.map((r) => r.mb));
    if (values.cli) row.cliMs = timed('npx', ['cdktf', 'synth'], {}).ms;
  }
  rows.push(row);
}

console.log(`synth benchmark: median of ${RUNS} cold runs each, library and raw alternating (node ${process.version}, ${os.cpus().length} cores)`);
console.log('case       resources   library s   raw s   time ×   library MB   raw MB   memory ×');
for (const r of rows) {
  console.log(
    `${r.case.padEnd(10)} ${String(r.resources).padStart(9)}   ${fmt(r.libMs / 1000).padStart(9)}   ${fmt(r.rawMs / 1000).padStart(5)}   ${fmt(r.libMs / r.rawMs).padStart(6)}   ${fmt(r.libMb, 0).padStart(10)}   ${fmt(r.rawMb, 0).padStart(6)}   ${fmt(r.libMb / r.rawMb).padStart(8)}`,
  );
}
const ex = rows.find((r) => r.case === 'example');
if (ex) {
  console.log(`npm run synth (example): ${fmt(ex.npmMs / 1000)} s wall, ${fmt(ex.npmMb, 0)} MB peak (node process)`);
  if (ex.cliMs) console.log(`npx cdktf synth (example): ${fmt(ex.cliMs / 1000)} s wall`);
}
fs.rmSync(work, { recursive: true, force: true });
