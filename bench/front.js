#!/usr/bin/env node
// Front benchmark: the rendered nginx front (lib/front/nginx-conf.ts) run by real nginx on
// loopback, with wrk as the client and a second nginx as the stub backends.
//
// 1. Route changes under sustained keep-alive load (the proof): one service, two slots on their
//    own loopback addresses (127.88.1.5 blue, 127.88.1.6 green, one port), backends answering 200
//    at once. `wrk -t2 -c50 --latency` runs for --duration-swaps seconds while the bench makes 20
//    route changes, evenly spaced (one a second by default), alternating a swap (live slot flips,
//    weight 0) and a ramp-weight change (10, 50, 100 %), each a PUT of a routing table to the
//    front's loopback admin port. Every PUT must answer 200, wrk must see no socket error and no
//    non-2xx response, and the backends' own counters must show the traffic following every change
//    (each interval's green share within 5 binomial σ, plus the in-flight requests, of what the
//    last accepted table asks). Any miss: exit 1. Also printed: the connections the backends
//    accepted from the front (stub_status), i.e. how often the front opened upstream connections.
//    Then the same load with 20 graceful reloads (`nginx -s reload` of the same config) instead,
//    printed as the reload baseline (expected to show read errors: FIELD-NOTES; never fails).
// 2. Throughput and p99, front vs direct: `wrk -t2 -c100` for --duration seconds at the front (a
//    service whose slot is one backend address:port) and straight at that backend, alternating
//    front/direct for --rounds rounds; medians and the front/direct ratio. (a) backends answering
//    after 5 ms (ngx.sleep in content_by_lua; goal >= 0.90x), (b) backends answering at once
//    (`return 200`): there the front competes with the backend and wrk for the same cores, and the
//    direct figure is nginx's static-response ceiling, so expect a low ratio on a small machine.
//
// 3. A backend that answers 503 now and then, under the VM's file limit: `wrk -t2 -c1500` for
//    --duration seconds at a service whose live slot answers every 50th request with a 503 (after
//    5 ms otherwise). The proof: the idle slot receives 0 requests, wrk sees 0 socket errors, and
//    the non-2xx responses are at most the 503s the backend returned (GETs are retried once on the
//    same slot, so fewer reach the client). Any miss: exit 1.
// 4. Mirroring to a slow idle slot: `wrk -t2 -c50` for --duration seconds at a service whose idle
//    slot answers after 2 s, with mirroring off, 10 % and 100 %: p50/p99 of the live requests (the
//    copies' timeouts bound what a kept-alive client waits; printed, not pass/fail).
//
// Every front nginx runs under `prlimit --nofile=1024:` (soft limit 1,024, what systemd gives a
// service whose unit sets no LimitNOFILE): the VM's limit, not this shell's.
//
// Processes: the front runs worker_processes auto (its default on a VM); the backend nginx also
// runs worker_processes auto, so "direct" is the backend at its best (the ratio is conservative);
// wrk is its own process. The bench's own node process only sends the PUTs and reads counters.
// The core count is printed; figures from a 2-core machine are noisy, the errors are not.
//
// 5. POST bodies of 1, 24 and 256 KB: `wrk -t2 -c50` for --duration seconds with each body at the
//    front as rendered (request bodies up to FRONT_DEFAULTS.clientBodyBufferKb stay in memory), at
//    the same front with nginx's default 16k body buffer (the config before), and straight at the
//    5 ms backend, alternating, median of --rounds; req/s and p50/p99 (printed, not pass/fail).
//
// 2 (c) and (d): the outcome counters on vs off (two fronts), and the traffic guard on vs off (one
//    front, the table with and without a guard), alternating, median of --rounds (printed).
//
//   node bench/front.js [--duration-swaps 22] [--duration 10] [--rounds 3] [--skip-swaps] [--skip-throughput] [--skip-flaky] [--skip-mirror] [--skip-bodies]
//
// Needs nginx with the Lua module (libnginx-mod-http-lua) and wrk (see scripts/install-test-tools.sh).
// Exit 0: all ran and the swap proof held; 1: the swap proof failed; 2: setup failed.
'use strict';
require('sucrase/register');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { renderNginxConf, localFrontPaths, FRONT_DEFAULTS } = require('../lib/front/nginx-conf');

const { values } = parseArgs({
  options: {
    'duration-swaps': { type: 'string', default: '22' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    'skip-swaps': { type: 'boolean', default: false },
    'skip-throughput': { type: 'boolean', default: false },
    'skip-flaky': { type: 'boolean', default: false },
    'skip-mirror': { type: 'boolean', default: false },
    'skip-bodies': { type: 'boolean', default: false },
  },
});
const SWAP_SECONDS = Number(values['duration-swaps']);
const RUN_SECONDS = Number(values.duration);
const ROUNDS = Number(values.rounds);
for (const [name, v, min] of [['--duration-swaps', SWAP_SECONDS, 5], ['--duration', RUN_SECONDS, 1], ['--rounds', ROUNDS, 1]]) {
  if (!Number.isInteger(v) || v < min) {
    console.error(`${name}: expected a whole number >= ${min}`);
    process.exit(2);
  }
}

const MODULES = '/usr/lib/nginx/modules';
const ENV = 'bench';
const CHANGES = 20;
const BACKEND_WORKERS = 'auto';
/**
 * How far an interval's green share may be from the table's, in points: 5 binomial σ for the
 * random buckets (wrk sends no cookie, so every request draws one), plus the requests routed just
 * before the PUT that reach the backend after it (at most one per connection), plus 0.5.
 */
const shareTolerance = (askedPercent, n, connections = 50) => {
  const p = askedPercent / 100;
  return 0.5 + (100 * connections) / Math.max(1, n) + 500 * Math.sqrt((p * (1 - p)) / Math.max(1, n));
};
const SWAP_HOST = 'pricing.bench.internal';
const SLOW_HOST = 'slow.bench.internal';
const FAST_HOST = 'fast.bench.internal';
const FLAKY_HOST = 'flaky.bench.internal';
const MIRROR_HOST = 'mirror.bench.internal';
/** The front's open-file limit: systemd's default soft limit for a service (the hard one stays this machine's). */
const VM_NOFILE = '1024:';
/** Part 3: the live slot answers every FLAKY_EVERY-th request with a 503. */
const FLAKY_EVERY = 50;
const ADDR = {
  swap: { blue: '127.88.1.5', green: '127.88.1.6' },
  slow: { blue: '127.88.2.5', green: '127.88.2.6' },
  fast: { blue: '127.88.3.5', green: '127.88.3.6' },
  flaky: { blue: '127.88.4.5', green: '127.88.4.6' },
  mirror: { blue: '127.88.5.5', green: '127.88.5.6' },
};

class SetupError extends Error {}

// ---- processes we started, stopped on every way out ------------------------------------------

const nginxes = new Set(); // { name, dir, conf, pidFile }
const children = new Set(); // wrk

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function nginxCmd(inst, ...args) {
  const r = spawnSync('nginx', [...args, '-c', inst.conf, '-p', `${inst.dir}/`], { encoding: 'utf8', timeout: 15_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

const masterPid = (inst) => {
  try {
    return Number(fs.readFileSync(inst.pidFile, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
};

/** Graceful quit, wait for the master to go; after 10 s, SIGKILL the master and its workers. */
function stopNginx(inst) {
  const pid = inst.pid ?? masterPid(inst);
  nginxes.delete(inst);
  if (!pid || !alive(pid)) return;
  nginxCmd(inst, '-s', 'quit');
  const until = Date.now() + 10_000;
  while (alive(pid) && Date.now() < until) sleepSync(50);
  if (!alive(pid)) return;
  let workers = [];
  try {
    workers = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {}
  for (const p of [pid, ...workers]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {}
  }
  console.error(`warning: ${inst.name} nginx (pid ${pid}) did not quit within 10 s; killed`);
}

function cleanup() {
  for (const c of children) {
    try {
      c.kill('SIGTERM');
    } catch {}
  }
  for (const inst of [...nginxes]) stopNginx(inst);
}

process.on('SIGINT', () => {
  console.error('\ninterrupted: stopping the nginx instances this bench started');
  cleanup();
  process.exit(130);
});
process.on('SIGTERM', () => {
  cleanup();
  process.exit(143);
});

async function startNginx(name, dir, confText, nofile) {
  fs.mkdirSync(path.join(dir, 'temp'), { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, confText);
  const inst = { name, dir, conf, pidFile: path.join(dir, 'nginx.pid') };
  const t = nginxCmd(inst, '-t');
  if (t.status !== 0) throw new SetupError(`${name}: nginx -t failed:\n${t.output}`);
  nginxes.add(inst);
  // the front under the VM's file limit (prlimit), the backends under this shell's
  const p = nofile ? spawnSync('prlimit', [`--nofile=${nofile}`, 'nginx', '-c', inst.conf, '-p', `${inst.dir}/`], { encoding: 'utf8', timeout: 15_000 }) : undefined;
  const r = p ? { status: p.status, output: `${p.stdout ?? ''}${p.stderr ?? ''}`.trim() } : nginxCmd(inst);
  if (r.status !== 0) throw new SetupError(`${name}: nginx did not start:\n${r.output}`);
  const until = Date.now() + 5000;
  while (!(inst.pid = masterPid(inst))) {
    if (Date.now() > until) throw new SetupError(`${name}: no pid file after start`);
    await sleep(20);
  }
  return inst;
}

// ---- small helpers -------------------------------------------------------------------------------

async function freePorts(n) {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise((resolve, reject) => { const s = net.createServer(); s.once('error', reject); s.listen(0, '127.0.0.1', () => resolve(s)); })),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function request({ port, path: p = '/', method = 'GET', body, host = '127.0.0.1', headers = {} }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path: p, method, headers, agent: false, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${host}:${port}${p}`)));
    req.end(body);
  });
}

async function waitFor(check, ms, what) {
  const until = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new SetupError(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
const int = (x) => Math.round(x).toLocaleString('en-US');
const other = (slot) => (slot === 'blue' ? 'green' : 'blue');

/** Log lines at error level or worse since `offset` bytes, with their count by message. */
function logProblems(file, offset = 0) {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8').slice(offset);
  } catch {}
  const lines = text.split('\n').filter((l) => /\[(error|crit|alert|emerg)\]/.test(l));
  const byKind = new Map();
  for (const l of lines) {
    // drop timestamps, pids, connection ids and client addresses to group alike lines
    const kind = l.replace(/^\S+ \S+ /, '').replace(/\d+#\d+: \*\d+ /, '').replace(/, client: .*$/, '').replace(/\d+#\d+: /, '');
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  return { count: lines.length, byKind };
}
const logSize = (file) => {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
};
function printProblems(label, problems) {
  console.log(`  ${label}: ${problems.count} line(s) at [error] or worse`);
  for (const [kind, n] of [...problems.byKind].sort((a, b) => b[1] - a[1]).slice(0, 6)) console.log(`    ${String(n).padStart(6)} × ${kind.slice(0, 200)}`);
}

// ---- wrk -----------------------------------------------------------------------------------------

const WRK_LUA = `-- prints one JSON line: wrk exits 0 even when sockets fail or responses are non-2xx
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
`;
let wrkScript;
let workDir;

/** Runs wrk to completion; resolves with the parsed summary (throws if there is none). */
function wrk({ url, host, connections, seconds, script }) {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '2s', '-s', script ?? wrkScript, ...(host ? ['-H', `Host: ${host}`] : []), url];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', (e) => { children.delete(child); reject(new SetupError(`wrk: ${e.message}`)); });
    child.on('close', (code) => {
      children.delete(child);
      const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '));
      if (code !== 0 || !line) return reject(new SetupError(`wrk ${args.join(' ')} exited ${code} without a summary:\n${out}${err}`));
      const s = JSON.parse(line.slice('BENCH_JSON '.length));
      s.rps = s.requests / (s.duration_us / 1e6);
      s.socketErrors = s.connect + s.read + s.write + s.timeout;
      resolve(s);
    });
  });
}
let backendStatusPort;
/** TCP connections the backends have accepted so far (stub_status): how many the front opened. */
async function backendAccepts() {
  const r = await request({ port: backendStatusPort, path: '/stub' });
  const m = /accepts handled requests\s+(\d+)/.exec(r.body);
  if (!m) throw new SetupError(`backend stub_status unreadable: ${r.body}`);
  return Number(m[1]);
}
/** wrk, with the backend connections accepted during the run. */
async function wrkCounted(opts) {
  const before = await backendAccepts();
  const s = await wrk(opts);
  s.accepted = (await backendAccepts()) - before;
  return s;
}
const errorsText = (s) => `socket errors ${s.socketErrors} (connect ${s.connect}, read ${s.read}, write ${s.write}, timeout ${s.timeout}), non-2xx ${s.status}`;

// ---- configs and tables --------------------------------------------------------------------------

/** The stub backends: one nginx, a server per slot address; `count` servers tally hits per slot. */
function backendConf(dir, statusPort, servers) {
  const content = ({ kind, slot }) => {
    if (kind === 'instant') return `return 200 "${slot}\\n";`;
    if (kind === 'flaky') return `content_by_lua_block { local h = ngx.shared.hits local n = h:incr("flaky_n", 1, 0) if n % ${FLAKY_EVERY} == 0 then h:incr("flaky_503", 1, 0) return ngx.exit(503) end ngx.sleep(0.005) ngx.header["Content-Length"] = ${slot.length + 1} ngx.print("${slot}\\n") }`;
    if (kind === 'idle') return `content_by_lua_block { ngx.shared.hits:incr("idle_${slot}", 1, 0) ngx.header["Content-Length"] = ${slot.length + 1} ngx.print("${slot}\\n") }`;
    if (kind === 'slow2s') return `content_by_lua_block { ngx.shared.hits:incr("slow2s_" .. ngx.req.get_method(), 1, 0) ngx.sleep(2) ngx.print("${slot}\\n") }`;
    const pre = kind === 'count' ? `ngx.shared.hits:incr("${slot}", 1, 0)` : 'ngx.sleep(0.005)';
    return `content_by_lua_block { ${pre} ngx.header["Content-Length"] = ${slot.length + 1} ngx.print("${slot}\\n") }`;
  };
  return [
    '# stub backends for bench/front.js',
    `load_module ${MODULES}/ndk_http_module.so;`,
    `load_module ${MODULES}/ngx_http_lua_module.so;`,
    `worker_processes ${BACKEND_WORKERS};`,
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/temp/${t};`),
    '  keepalive_timeout 75s;',
    '  keepalive_requests 10000;',
    '  lua_shared_dict hits 1m;',
    '  server {',
    `    listen 127.0.0.1:${statusPort};`,
    '    location = /stub { stub_status; }',
    '    location = /hits { content_by_lua_block { local h = ngx.shared.hits local o = { blue = 0, green = 0 } for _, k in ipairs(h:get_keys(0)) do o[k] = h:get(k) end ngx.say(require("cjson").encode(o)) } }',
    '  }',
    ...servers.map((s) => `  server { listen ${s.address}:${s.port}; location / { ${content(s)} } }`),
    '}',
    '',
  ].join('\n');
}

const svc = (name, host, addrs, port) => ({
  name,
  hosts: [host],
  readTimeoutSeconds: 10,
  slots: { blue: { address: addrs.blue, ports: [port] }, green: { address: addrs.green, ports: [port] } },
});

const entry = (live, weight, mirror = 0) => ({ live, weight, affinity: { by: 'cookie', name: 'slot_affinity', maxAgeSeconds: 86_400 }, rules: [], failover: true, mirror });
let tableSerial = 0;
const table = (services) => ({ format: 1, environment: ENV, version: `bench-${++tableSerial}`, services });

async function startFront(name, dir, services, edit = (conf) => conf) {
  const [httpPort, statusPort, adminPort] = await freePorts(3);
  const paths = localFrontPaths(dir);
  const conf = edit(renderNginxConf({ environment: ENV, services, listenAddress: '127.0.0.1', ports: { http: httpPort }, statusPort, adminPort, paths }));
  const inst = await startNginx(name, dir, conf, VM_NOFILE);
  await waitFor(async () => (await request({ port: statusPort, path: '/healthz' })).status === 503, 5000, `${name} status endpoint`);
  return {
    inst,
    httpPort,
    statusPort,
    errorLog: paths.errorLog,
    async put(t) {
      return request({ port: adminPort, path: '/table', method: 'PUT', body: JSON.stringify(t) });
    },
  };
}

// ---- part 1: route changes under load -------------------------------------------------------------

/** The 20 changes: a swap (live flips, weight 0), then a ramp weight, alternating. */
function changePlan() {
  const weights = [10, 50, 100];
  const steps = [];
  let live = 'blue';
  for (let k = 0; k < CHANGES; k++) {
    if (k % 2 === 0) {
      live = other(live);
      steps.push({ live, weight: 0, label: `swap→${live}` });
    } else {
      const weight = weights[((k - 1) / 2) % weights.length];
      steps.push({ live, weight, label: `weight ${weight}` });
    }
  }
  return steps.map((s) => ({ ...s, greenShare: s.live === 'green' ? 100 - s.weight : s.weight }));
}

async function swapProof(front, hitsPort) {
  const hits = async () => JSON.parse((await request({ port: hitsPort, path: '/hits' })).body);
  const setup = await front.put(table({ pricing: entry('blue', 0) }));
  if (setup.status !== 200) throw new SetupError(`first table refused: ${setup.status} ${setup.body}`);
  const check = await request({ port: front.httpPort, host: '127.0.0.1', headers: { Host: SWAP_HOST } });
  if (check.status !== 200 || check.body !== 'blue\n') throw new SetupError(`front does not reach the blue slot: ${check.status} ${check.body}`);

  const steps = changePlan();
  const interval = ((SWAP_SECONDS - 2) * 1000) / CHANGES;
  const t0 = Date.now();
  const load = wrkCounted({ url: `http://127.0.0.1:${front.httpPort}/`, host: SWAP_HOST, connections: 50, seconds: SWAP_SECONDS });
  let wrkDone = false;
  load.then(() => (wrkDone = true), () => (wrkDone = true));
  const results = [];
  let after;
  let expected = 0; // green share the front should serve: the last table it accepted (blue live)
  for (let k = 0; k <= CHANGES; k++) {
    await sleep(Math.max(0, t0 + 1000 + k * interval - Date.now()));
    if (wrkDone) break;
    const before = await hits();
    if (k > 0) {
      const blue = before.blue - after.blue;
      const green = before.green - after.green;
      const r = results[k - 1];
      r.seen = { blue, green, greenShare: (100 * green) / Math.max(1, blue + green) };
      r.delta = Math.abs(r.seen.greenShare - r.greenShare);
      r.tolerance = shareTolerance(r.greenShare, blue + green);
    }
    if (k === CHANGES) break;
    const s = steps[k];
    const t = table({ pricing: entry(s.live, s.weight) });
    const at = Date.now() - t0;
    // a PUT that fails or times out is a change not applied (the proof fails), not a setup error
    const r = await front.put(t).catch((e) => ({ status: 0, body: e.message }));
    after = await hits();
    if (r.status === 200) expected = s.greenShare;
    results.push({ ...s, greenShare: expected, at, status: r.status, body: r.body.trim(), version: t.version });
  }
  const summary = await load;
  return { summary, results };
}

async function reloadBaseline(front) {
  const setup = await front.put(table({ pricing: entry('blue', 0) }));
  if (setup.status !== 200) throw new SetupError(`table refused before the reload baseline: ${setup.status} ${setup.body}`);
  const interval = ((SWAP_SECONDS - 2) * 1000) / CHANGES;
  const t0 = Date.now();
  const load = wrkCounted({ url: `http://127.0.0.1:${front.httpPort}/`, host: SWAP_HOST, connections: 50, seconds: SWAP_SECONDS });
  let wrkDone = false;
  load.then(() => (wrkDone = true), () => (wrkDone = true));
  let ok = 0;
  const failures = [];
  for (let k = 0; k < CHANGES; k++) {
    await sleep(Math.max(0, t0 + 1000 + k * interval - Date.now()));
    if (wrkDone) break;
    const r = nginxCmd(front.inst, '-s', 'reload');
    if (r.status === 0) ok++;
    else failures.push(r.output);
  }
  const summary = await load;
  return { summary, ok, failures };
}

// ---- part 2: front vs direct ----------------------------------------------------------------------

async function throughput(front, cases) {
  const rows = [];
  for (const c of cases) {
    const runs = { front: [], direct: [] };
    for (let i = 0; i < ROUNDS; i++) {
      runs.front.push(await wrkCounted({ url: `http://127.0.0.1:${front.httpPort}/`, host: c.host, connections: 100, seconds: RUN_SECONDS }));
      runs.direct.push(await wrkCounted({ url: `http://${c.address}:${c.port}/`, host: c.host, connections: 100, seconds: RUN_SECONDS }));
    }
    const m = (k, f) => median(runs[k].map(f));
    rows.push({
      ...c,
      runs,
      front: { rps: m('front', (s) => s.rps), p50: m('front', (s) => s.p50_ms), p99: m('front', (s) => s.p99_ms), accepted: m('front', (s) => s.accepted) },
      direct: { rps: m('direct', (s) => s.rps), p50: m('direct', (s) => s.p50_ms), p99: m('direct', (s) => s.p99_ms), accepted: m('direct', (s) => s.accepted) },
      errors: [...runs.front, ...runs.direct].reduce((n, s) => n + s.socketErrors + s.status, 0),
    });
  }
  return rows;
}

// ---- main -----------------------------------------------------------------------------------------

async function main() {
  for (const [bin, args] of [['nginx', ['-v']], ['wrk', ['-v']]]) {
    const r = spawnSync(bin, args, { encoding: 'utf8' });
    if (r.error) throw new SetupError(`${bin} not found (${r.error.message}): see scripts/install-test-tools.sh`);
  }
  if (!fs.existsSync(`${MODULES}/ngx_http_lua_module.so`)) throw new SetupError(`${MODULES}/ngx_http_lua_module.so missing: install libnginx-mod-http-lua`);
  const work = (workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'front-bench-')));
  fs.chmodSync(work, 0o755); // workers run as nobody when started as root
  wrkScript = path.join(work, 'summary.lua');
  fs.writeFileSync(wrkScript, WRK_LUA);

  const nginxVersion = spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', '');
  console.log(`front benchmark (${nginxVersion}, node ${process.version}, ${os.cpus().length} cores; front worker_processes auto, backend nginx worker_processes ${BACKEND_WORKERS}, wrk -t2)`);

  const [swapPort, slowPort, fastPort, hitsPort, flakyPort, mirrorPort] = await freePorts(6);
  backendStatusPort = hitsPort;
  const backendServers = [
    ...['blue', 'green'].map((slot) => ({ kind: 'count', slot, address: ADDR.swap[slot], port: swapPort })),
    ...['blue', 'green'].map((slot) => ({ kind: 'delay', slot, address: ADDR.slow[slot], port: slowPort })),
    ...['blue', 'green'].map((slot) => ({ kind: 'instant', slot, address: ADDR.fast[slot], port: fastPort })),
    { kind: 'flaky', slot: 'blue', address: ADDR.flaky.blue, port: flakyPort },
    { kind: 'idle', slot: 'green', address: ADDR.flaky.green, port: flakyPort },
    { kind: 'instant', slot: 'blue', address: ADDR.mirror.blue, port: mirrorPort },
    { kind: 'slow2s', slot: 'green', address: ADDR.mirror.green, port: mirrorPort },
  ];
  const backendDir = path.join(work, 'backends');
  await startNginx('backends', backendDir, backendConf(backendDir, hitsPort, backendServers));
  await waitFor(async () => (await request({ port: hitsPort, path: '/hits' })).status === 200, 5000, 'the backends');

  let proofFailed = false;
  if (!values['skip-swaps']) {
    const front = await startFront('swap front', path.join(work, 'front-swaps'), [svc('pricing', SWAP_HOST, ADDR.swap, swapPort)]);
    console.log('');
    console.log(`1. route changes under keep-alive load: wrk -t2 -c50 -d${SWAP_SECONDS}s, ${CHANGES} changes ${fmt((SWAP_SECONDS - 2) / CHANGES, 2)} s apart, PUT to the admin port (no reload)`);
    let offset = logSize(front.errorLog);
    const { summary: s, results } = await swapProof(front, hitsPort);
    const applied = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status !== 200);
    const measured = results.filter((r) => r.seen);
    const off = measured.filter((r) => r.delta > r.tolerance);
    const worst = measured.reduce((w, r) => (!w || r.delta / r.tolerance > w.delta / w.tolerance ? r : w), undefined);
    console.log(`  requests ${int(s.requests)} in ${fmt(s.duration_us / 1e6, 1)} s = ${int(s.rps)} req/s; ${errorsText(s)}`);
    console.log(`  latency p50 ${fmt(s.p50_ms, 2)} ms, p90 ${fmt(s.p90_ms, 2)} ms, p99 ${fmt(s.p99_ms, 2)} ms, max ${fmt(s.max_ms, 1)} ms`);
    console.log(`  connections the backends accepted from the front during the load: ${int(s.accepted)} (${fmt(s.accepted / (s.duration_us / 1e6), 0)}/s)`);
    console.log(`  route changes applied (PUT 200): ${applied} of ${CHANGES}${refused.length ? `; not applied: ${refused.map((r) => `#${results.indexOf(r) + 1} ${r.status} ${r.body}`).join('; ')}` : ''}`);
    console.log(`  green share % per interval, asked/seen at the backends${worst ? ` (closest to its tolerance: ${worst.label} |Δ| ${fmt(worst.delta, 2)} of ±${fmt(worst.tolerance, 2)} points)` : ''}:`);
    for (let i = 0; i < results.length; i += 5) {
      console.log(`   ${results.slice(i, i + 5).map((r) => `${r.label.padEnd(10)} ${String(r.greenShare).padStart(3)}/${r.seen ? fmt(r.seen.greenShare, 1).padStart(5) : '    -'}`).join('  ')}`);
    }
    printProblems('front error log during the load', logProblems(front.errorLog, offset));
    const reasons = [];
    if (s.socketErrors > 0) reasons.push(`${s.socketErrors} socket error(s)`);
    if (s.status > 0) reasons.push(`${s.status} non-2xx response(s)`);
    if (applied !== CHANGES) reasons.push(`${applied} of ${CHANGES} route changes applied`);
    if (measured.length !== CHANGES) reasons.push(`traffic measured after ${measured.length} of ${CHANGES} changes (wrk ended early?)`);
    if (off.length) reasons.push(`traffic did not follow ${off.length} change(s): ${off.map((r) => `#${results.indexOf(r) + 1} ${r.label} asked ${r.greenShare}% green, saw ${fmt(r.seen.greenShare, 1)}%`).join('; ')}`);
    proofFailed = reasons.length > 0;
    console.log(proofFailed ? `  SWAP PROOF FAILED: ${reasons.join('; ')}` : `  swap proof: held (0 errors, ${CHANGES} changes applied, traffic followed each)`);

    console.log('');
    console.log(`   reload baseline (not a pass/fail): the same load with ${CHANGES} graceful reloads (nginx -s reload, same config) instead of PUTs`);
    offset = logSize(front.errorLog);
    const base = await reloadBaseline(front);
    console.log(`  requests ${int(base.summary.requests)} = ${int(base.summary.rps)} req/s; ${errorsText(base.summary)}`);
    console.log(`  latency p50 ${fmt(base.summary.p50_ms, 2)} ms, p99 ${fmt(base.summary.p99_ms, 2)} ms; reloads accepted ${base.ok} of ${CHANGES}${base.failures.length ? `: ${base.failures[0]}` : ''}`);
    printProblems('front error log during the reloads', logProblems(front.errorLog, offset));
    stopNginx(front.inst);
  }

  if (!values['skip-throughput']) {
    const slow = svc('slow', SLOW_HOST, ADDR.slow, slowPort);
    const fast = svc('fast', FAST_HOST, ADDR.fast, fastPort);
    const front = await startFront('throughput front', path.join(work, 'front-throughput'), [slow, fast]);
    const put = await front.put(table({ slow: entry('blue', 0), fast: entry('blue', 0) }));
    if (put.status !== 200) throw new SetupError(`throughput table refused: ${put.status} ${put.body}`);
    for (const host of [SLOW_HOST, FAST_HOST]) {
      const r = await request({ port: front.httpPort, headers: { Host: host } });
      if (r.status !== 200 || r.body !== 'blue\n') throw new SetupError(`front does not reach ${host}'s blue slot: ${r.status} ${r.body}`);
    }
    console.log('');
    console.log(`2. throughput and p99, front vs direct: wrk -t2 -c100 -d${RUN_SECONDS}s, front and direct alternating, median of ${ROUNDS} each`);
    const offset = logSize(front.errorLog);
    const rows = await throughput(front, [
      { label: '(a) backend answers after 5 ms', host: SLOW_HOST, address: ADDR.slow.blue, port: slowPort, goal: 0.9 },
      { label: '(b) backend answers at once', host: FAST_HOST, address: ADDR.fast.blue, port: fastPort },
    ]);
    console.log('  case                              front req/s   direct req/s   front/direct   p50 front/direct ms   p99 front/direct ms   errors');
    for (const r of rows) {
      const ratio = r.front.rps / r.direct.rps;
      console.log(
        `  ${r.label.padEnd(32)} ${int(r.front.rps).padStart(12)}   ${int(r.direct.rps).padStart(12)}   ${(fmt(ratio, 2) + '×').padStart(12)}   ${`${fmt(r.front.p50, 2)} / ${fmt(r.direct.p50, 2)}`.padStart(19)}   ${`${fmt(r.front.p99, 2)} / ${fmt(r.direct.p99, 2)}`.padStart(19)}   ${String(r.errors).padStart(6)}`,
      );
    }
    for (const r of rows) {
      console.log(`  ${r.label} runs, req/s front: ${r.runs.front.map((s) => int(s.rps)).join(', ')}; direct: ${r.runs.direct.map((s) => int(s.rps)).join(', ')}`);
    }
    for (const r of rows) {
      console.log(`  ${r.label}: connections the backend accepted per run (median), front ${int(r.front.accepted)} (${fmt(r.front.accepted / RUN_SECONDS, 0)}/s), direct ${int(r.direct.accepted)}`);
    }
    for (const r of rows.filter((x) => x.goal)) {
      const ratio = r.front.rps / r.direct.rps;
      console.log(`  ${r.label}: front/direct ${fmt(ratio, 2)}× against a goal of >= ${fmt(r.goal, 2)}×: ${ratio >= r.goal ? 'met' : 'NOT met'}`);
    }
    printProblems('front error log during the throughput runs', logProblems(front.errorLog, offset));
    // (c) the per-slot outcome counters (front_router.count, a log phase per request): the same
    // front with its log_by_lua_file lines removed beside it, alternating, in both cases
    const bare = await startFront('throughput front without counters', path.join(work, 'front-nocounters'), [slow, fast], (conf) => conf.replace(/^\s*log_by_lua_file .*\n/gm, ''));
    const putBare = await bare.put(table({ slow: entry('blue', 0), fast: entry('blue', 0) }));
    if (putBare.status !== 200) throw new SetupError(`counter-less table refused: ${putBare.status} ${putBare.body}`);
    for (const [label, host] of [['backend after 5 ms', SLOW_HOST], ['backend at once', FAST_HOST]]) {
      const runs = { on: [], off: [] };
      for (let i = 0; i < ROUNDS; i++) {
        runs.on.push(await wrkCounted({ url: `http://127.0.0.1:${front.httpPort}/`, host, connections: 100, seconds: RUN_SECONDS }));
        runs.off.push(await wrkCounted({ url: `http://127.0.0.1:${bare.httpPort}/`, host, connections: 100, seconds: RUN_SECONDS }));
      }
      const med = (k, f) => median(runs[k].map(f));
      console.log(`  (c) outcome counters on vs off, ${label}, median of ${ROUNDS}: ${int(med('on', (x) => x.rps))} vs ${int(med('off', (x) => x.rps))} req/s (${fmt(med('on', (x) => x.rps) / med('off', (x) => x.rps), 3)}×), p99 ${fmt(med('on', (x) => x.p99_ms), 2)} vs ${fmt(med('off', (x) => x.p99_ms), 2)} ms; runs on: ${runs.on.map((x) => int(x.rps)).join(', ')}; off: ${runs.off.map((x) => int(x.rps)).join(', ')}`);
    }
    stopNginx(bare.inst);
    // (d) the traffic guard (docs/guard.md): its windows counted per request and its evaluation
    // once a second, on the same front, the table with and without a guard on both services, alternating
    const guard = { errorRateMargin: 5, latencyRatio: 2, latencyMarginMs: 20, minRequests: 100, windowSeconds: 60, action: 'rollback', bakeSeconds: 600, attempt: 1, releases: { blue: 'b1', green: 'g1' } };
    const guarded = (on) => table({ slow: { ...entry('blue', 0), ...(on ? { guard } : {}) }, fast: { ...entry('blue', 0), ...(on ? { guard } : {}) } });
    for (const [label, host] of [['backend after 5 ms', SLOW_HOST], ['backend at once', FAST_HOST]]) {
      const runs = { on: [], off: [] };
      for (let i = 0; i < ROUNDS; i++) {
        for (const on of [true, false]) {
          const r = await front.put(guarded(on));
          if (r.status !== 200) throw new SetupError(`guarded table refused: ${r.status} ${r.body}`);
          runs[on ? 'on' : 'off'].push(await wrkCounted({ url: `http://127.0.0.1:${front.httpPort}/`, host, connections: 100, seconds: RUN_SECONDS }));
        }
      }
      const med = (k, f) => median(runs[k].map(f));
      console.log(`  (d) traffic guard on vs off, ${label}, median of ${ROUNDS}: ${int(med('on', (x) => x.rps))} vs ${int(med('off', (x) => x.rps))} req/s (${fmt(med('on', (x) => x.rps) / med('off', (x) => x.rps), 3)}×), p99 ${fmt(med('on', (x) => x.p99_ms), 2)} vs ${fmt(med('off', (x) => x.p99_ms), 2)} ms; runs on: ${runs.on.map((x) => int(x.rps)).join(', ')}; off: ${runs.off.map((x) => int(x.rps)).join(', ')}`);
    }
    stopNginx(front.inst);
  }
  let flakyFailed = false;
  if (!values['skip-flaky']) {
    const front = await startFront('flaky front', path.join(work, 'front-flaky'), [svc('flaky', FLAKY_HOST, ADDR.flaky, flakyPort)]);
    const put = await front.put(table({ flaky: entry('blue', 0) }));
    if (put.status !== 200) throw new SetupError(`flaky table refused: ${put.status} ${put.body}`);
    const hits = async () => JSON.parse((await request({ port: hitsPort, path: '/hits' })).body);
    console.log('');
    console.log(`3. one backend answering every ${FLAKY_EVERY}th request with a 503, the front under prlimit --nofile=${VM_NOFILE}: wrk -t2 -c1500 -d${RUN_SECONDS}s`);
    const offset = logSize(front.errorLog);
    const before = await hits();
    const s = await wrk({ url: `http://127.0.0.1:${front.httpPort}/`, host: FLAKY_HOST, connections: 1500, seconds: RUN_SECONDS });
    const after = await hits();
    const d = (k) => (after[k] ?? 0) - (before[k] ?? 0);
    const backend503 = d('flaky_503');
    const idle = d('idle_green');
    console.log(`  requests ${int(s.requests)} = ${int(s.rps)} req/s; ${errorsText(s)}; p50 ${fmt(s.p50_ms, 2)} ms, p99 ${fmt(s.p99_ms, 2)} ms`);
    console.log(`  live slot: ${int(d('flaky_n'))} attempts, ${int(backend503)} answered 503 by the backend; requests the idle slot received: ${int(idle)}; non-2xx the clients saw: ${int(s.status)} (each a backend 503 the retry did not cure)`);
    printProblems('front error log during the load', logProblems(front.errorLog, offset));
    const reasons = [];
    if (idle > 0) reasons.push(`${idle} request(s) moved to the idle slot`);
    if (s.socketErrors > 0) reasons.push(`${s.socketErrors} socket error(s)`);
    if (s.status > backend503) reasons.push(`${s.status - backend503} failed request(s) beyond the backend's own 503s`);
    if (backend503 === 0) reasons.push('the backend returned no 503 (the case did not run)');
    if (/Too many open files/.test(fs.readFileSync(front.errorLog, 'utf8').slice(offset))) reasons.push('"Too many open files" in the error log');
    flakyFailed = reasons.length > 0;
    console.log(flakyFailed ? `  FLAKY-BACKEND PROOF FAILED: ${reasons.join('; ')}` : '  flaky-backend proof: held (0 requests to the idle slot, 0 socket errors, 0 failures beyond the backend\'s 503s)');
    stopNginx(front.inst);
  }

  if (!values['skip-mirror']) {
    const front = await startFront('mirror front', path.join(work, 'front-mirror'), [svc('mirror', MIRROR_HOST, ADDR.mirror, mirrorPort)]);
    const hits = async () => JSON.parse((await request({ port: hitsPort, path: '/hits' })).body);
    console.log('');
    console.log(`4. mirroring to an idle slot that answers after 2 s: wrk -t2 -c50 -d${RUN_SECONDS}s (keep-alive), live requests' latency`);
    console.log('  mirror    req/s      p50 ms    p99 ms    max ms   copies the idle slot received   errors');
    for (const share of [0, 10, 100]) {
      const put = await front.put(table({ mirror: entry('blue', 0, share) }));
      if (put.status !== 200) throw new SetupError(`mirror table refused: ${put.status} ${put.body}`);
      const before = await hits();
      const s = await wrk({ url: `http://127.0.0.1:${front.httpPort}/`, host: MIRROR_HOST, connections: 50, seconds: RUN_SECONDS });
      await sleep(2500); // copies in flight reach the slot
      const after = await hits();
      const copies = (after.slow2s_GET ?? 0) - (before.slow2s_GET ?? 0);
      console.log(`  ${(share + ' %').padStart(6)} ${int(s.rps).padStart(8)} ${fmt(s.p50_ms, 2).padStart(11)} ${fmt(s.p99_ms, 2).padStart(9)} ${fmt(s.max_ms, 1).padStart(9)}   ${int(copies).padStart(29)}   ${String(s.socketErrors + s.status).padStart(6)}`);
    }
    stopNginx(front.inst);
  }
  if (!values['skip-bodies']) {
    const slow = svc('slow', SLOW_HOST, ADDR.slow, slowPort);
    const buffer = `client_body_buffer_size ${FRONT_DEFAULTS.clientBodyBufferKb}k;`;
    const current = await startFront('bodies front', path.join(work, 'front-bodies'), [slow]);
    const before = await startFront('bodies front (16k)', path.join(work, 'front-bodies-16k'), [slow], (conf) => {
      if (!conf.includes(buffer)) throw new SetupError(`the rendered front has no '${buffer}'`);
      return conf.replace(buffer, 'client_body_buffer_size 16k;');
    });
    for (const f of [current, before]) {
      const put = await f.put(table({ slow: entry('blue', 0) }));
      if (put.status !== 200) throw new SetupError(`bodies table refused: ${put.status} ${put.body}`);
    }
    console.log('');
    console.log(`5. POST bodies: wrk -t2 -c50 -d${RUN_SECONDS}s, backend answering after 5 ms; the front as rendered (body buffer ${FRONT_DEFAULTS.clientBodyBufferKb}k), the same front with nginx's default 16k, and direct, alternating, median of ${ROUNDS}`);
    console.log(`  body      ${`front ${FRONT_DEFAULTS.clientBodyBufferKb}k req/s  p50/p99 ms`.padEnd(32)}${'front 16k req/s  p50/p99 ms'.padEnd(32)}direct req/s  p50/p99 ms        errors`);
    for (const kb of [1, 24, 256]) {
      const script = path.join(work, `post-${kb}k.lua`);
      fs.writeFileSync(script, `wrk.method = "POST"\nwrk.body = string.rep("x", ${kb * 1024})\nwrk.headers["Content-Type"] = "application/octet-stream"\n${WRK_LUA}`);
      const runs = { current: [], before: [], direct: [] };
      for (let i = 0; i < ROUNDS; i++) {
        runs.current.push(await wrk({ url: `http://127.0.0.1:${current.httpPort}/`, host: SLOW_HOST, connections: 50, seconds: RUN_SECONDS, script }));
        runs.before.push(await wrk({ url: `http://127.0.0.1:${before.httpPort}/`, host: SLOW_HOST, connections: 50, seconds: RUN_SECONDS, script }));
        runs.direct.push(await wrk({ url: `http://${ADDR.slow.blue}:${slowPort}/`, host: SLOW_HOST, connections: 50, seconds: RUN_SECONDS, script }));
      }
      const cell = (k) => `${int(median(runs[k].map((x) => x.rps))).padStart(8)}   ${fmt(median(runs[k].map((x) => x.p50_ms)), 2)} / ${fmt(median(runs[k].map((x) => x.p99_ms)), 2)}`.padEnd(32);
      const errors = Object.values(runs).flat().reduce((n, x) => n + x.socketErrors + x.status, 0);
      console.log(`  ${(kb + ' KB').padEnd(8)}${cell('current')}${cell('before')}${cell('direct')}${String(errors).padStart(6)}`);
    }
    const tempWarnings = (f) => (fs.readFileSync(f.errorLog, 'utf8').match(/a client request body is buffered to a temporary file/g) ?? []).length;
    console.log(`  request bodies written to a temp file (error log warnings): front ${FRONT_DEFAULTS.clientBodyBufferKb}k ${int(tempWarnings(current))}, front 16k ${int(tempWarnings(before))}`);
    stopNginx(current.inst);
    stopNginx(before.inst);
  }
  return proofFailed || flakyFailed ? 1 : 0;
}

(async () => {
  let code = 2;
  try {
    code = await main();
  } catch (e) {
    console.error(e instanceof SetupError ? `setup failed: ${e.message}` : e);
  } finally {
    cleanup();
  }
  // logs are kept when something failed, for the post-mortem
  if (workDir && code === 0) fs.rmSync(workDir, { recursive: true, force: true });
  else if (workDir) console.error(`logs kept in ${workDir} (front-*/error.log, backends/error.log)`);
  process.exitCode = code;
})();
