#!/usr/bin/env node
// Traffic guard benchmark (docs/guard.md): the rendered front run by real nginx on loopback, stub
// slots in this process, a steady client load (4 keep-alive connections) through the front.
//
// 1. A 10 % ramp whose new slot answers 500 to one request in five, --rounds times: seconds from
//    the first request to the trip (the guard's own clock, on /status), the requests green took
//    before it, the failed requests clients saw, and the budget they must stay within (a fifth of
//    minRequests plus two seconds of green's share). Any round over its budget, or no trip: exit 1.
// 2. The same ramp with a new slot three times slower (20 vs 60 ms): seconds to the trip.
// 3. No false positives: a healthy new slot (both slots fail one request in fifty, green 2 ms
//    slower) under the same load for --healthy-seconds with the default window (60 s) and
//    minRequests (100): any trip is a false positive: exit 1.
//
//   node bench/guard.js [--rounds 3] [--healthy-seconds 180]
//
// Needs nginx with the Lua module (scripts/install-test-tools.sh). Exit 0: as stated; 1: a bound
// failed; 2: setup failed.
'use strict';
require('sucrase/register');
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { freePorts, request, startFront } = require('../test/front/harness');

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, 'healthy-seconds': { type: 'string', default: '180' } } });
const ROUNDS = Number(values.rounds);
const HEALTHY_SECONDS = Number(values['healthy-seconds']);
const HOST = 'pricing.bench.internal';
const GUARD = { errorRateMargin: 5, latencyRatio: 2, latencyMarginMs: 20, minRequests: 50, windowSeconds: 10, action: 'rollback', bakeSeconds: 60, attempt: 1 };
let serial = 0;
const table = (weight, guard) => ({ format: 1, environment: 'bench', version: `b${++serial}`, services: { pricing: { live: 'blue', weight, affinity: { by: 'none' }, rules: [], failover: true, mirror: 0, guard: { ...guard, releases: { blue: '1.0.0', green: '1.1.0' } } } } });

async function stubs(svc) {
  const behaviour = { blue: { failEvery: 0, delayMs: 0 }, green: { failEvery: 0, delayMs: 0 } };
  const seen = { blue: 0, green: 0 };
  const servers = [];
  for (const slot of ['blue', 'green']) {
    for (const port of svc.slots[slot].ports) {
      const s = http.createServer((req, res) => {
        req.resume();
        const n = ++seen[slot];
        const b = behaviour[slot];
        const answer = () => { res.statusCode = b.failEvery > 0 && n % b.failEvery === 0 ? 500 : 200; res.end(`pricing ${slot}\n`); };
        if (b.delayMs > 0) setTimeout(answer, b.delayMs); else answer();
      });
      s.keepAliveTimeout = 10_000;
      await new Promise((ok, bad) => s.once('error', bad).listen(port, svc.slots[slot].address, ok));
      servers.push(s);
    }
  }
  return { behaviour, close: () => Promise.all(servers.map((s) => new Promise((r) => { s.close(r); s.closeAllConnections(); }))) };
}

async function load(port, stop) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const out = [];
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (!stop()) {
      const sent = Date.now() / 1000;
      const r = await request({ port, host: HOST, path: '/', agent });
      out.push({ sent, status: r.status, slot: r.body.split(' ')[1]?.trim() });
    }
  }));
  agent.destroy();
  return out;
}

const guardOf = async (front) => JSON.parse((await request({ port: front.statusPort, path: '/status' })).body).guard.pricing;

async function untilTripped(front, limitSeconds) {
  let tripped;
  const until = Date.now() + limitSeconds * 1000;
  const poll = setInterval(() => { guardOf(front).then((g) => { if (g.tripped && !tripped) tripped = g.tripped; }, () => {}); }, 100);
  const outcomes = await load(front.httpPort, () => (tripped !== undefined && Date.now() / 1000 > tripped.at + 1) || Date.now() > until);
  clearInterval(poll);
  return { outcomes, tripped };
}

async function main() {
  const ports = await freePorts(2);
  const svc = { name: 'pricing', hosts: [HOST], readTimeoutSeconds: 10, slots: { blue: { address: '127.77.9.5', ports: [ports[0], ports[1]] }, green: { address: '127.77.9.6', ports: [ports[0], ports[1]] } } };
  const s = await stubs(svc);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-bench-'));
  let failed = false;
  console.log(`guard bench: ${os.cpus().length} cores, nginx 2 workers, 4 keep-alive clients; window ${GUARD.windowSeconds} s, minRequests ${GUARD.minRequests}`);
  try {
    console.log(`1. 10 % ramp, green answers 500 to one request in five (${ROUNDS} rounds)`);
    for (let i = 0; i < ROUNDS; i++) {
      s.behaviour.blue = { failEvery: 0, delayMs: 0 };
      s.behaviour.green = { failEvery: 5, delayMs: 0 };
      const front = await startFront(path.join(work, `err-${i}`), { environment: 'bench', services: [svc], workerProcesses: 2 }, table(10, GUARD));
      const { outcomes, tripped } = await untilTripped(front, 60);
      await front.stop();
      if (!tripped) { console.log('  no trip within 60 s'); failed = true; continue; }
      const start = outcomes[0].sent;
      const before = outcomes.filter((o) => o.sent < tripped.at);
      const green = before.filter((o) => o.slot === 'green').length;
      const fails = outcomes.filter((o) => o.status !== 200).length;
      const budget = Math.ceil((GUARD.minRequests + (2 * green) / Math.max(tripped.at - start, 1)) / 5) + 1;
      const afterGreen = outcomes.filter((o) => o.sent >= tripped.at + 0.05 && o.slot === 'green').length;
      console.log(`  round ${i + 1}: tripped after ${(tripped.at - start).toFixed(1)} s, ${before.length} requests (green ${green}); failed requests ${fails}, budget ${budget}; green after the trip ${afterGreen}; ${tripped.why}`);
      if (fails > budget || afterGreen > 0) failed = true;
    }
    console.log('2. 10 % ramp, green three times slower (20 vs 60 ms)');
    s.behaviour.blue = { failEvery: 0, delayMs: 20 };
    s.behaviour.green = { failEvery: 0, delayMs: 60 };
    {
      const front = await startFront(path.join(work, 'slow'), { environment: 'bench', services: [svc], workerProcesses: 2 }, table(10, GUARD));
      const { outcomes, tripped } = await untilTripped(front, 60);
      await front.stop();
      if (!tripped) { console.log('  no trip within 60 s'); failed = true; }
      else console.log(`  tripped after ${(tripped.at - outcomes[0].sent).toFixed(1)} s, ${outcomes.filter((o) => o.sent < tripped.at).length} requests; ${tripped.why}`);
    }
    const defaults = { ...GUARD, minRequests: 100, windowSeconds: 60 };
    console.log(`3. healthy green for ${HEALTHY_SECONDS} s, window ${defaults.windowSeconds} s, minRequests ${defaults.minRequests} (both slots fail 1 in 50; green 2 ms slower)`);
    s.behaviour.blue = { failEvery: 50, delayMs: 2 };
    s.behaviour.green = { failEvery: 50, delayMs: 4 };
    {
      const front = await startFront(path.join(work, 'healthy'), { environment: 'bench', services: [svc], workerProcesses: 2 }, table(10, defaults));
      let worst = { error: -Infinity, ratio: 0 };
      const until = Date.now() + HEALTHY_SECONDS * 1000;
      const poll = setInterval(() => {
        guardOf(front).then((g) => {
          const j = g.window?.green, r = g.window?.blue;
          if (g.state === 'healthy' && j && r) {
            worst = { error: Math.max(worst.error, j.error_percent - r.error_percent), ratio: Math.max(worst.ratio, r.mean_ms > 0 ? j.mean_ms / r.mean_ms : 0) };
          }
        }, () => {});
      }, 1000);
      const outcomes = await load(front.httpPort, () => Date.now() > until);
      clearInterval(poll);
      const g = await guardOf(front);
      await front.stop();
      const green = outcomes.filter((o) => o.slot === 'green').length;
      console.log(`  ${outcomes.length} requests (green ${green}); state ${g.state}${g.tripped ? `: TRIPPED ${g.tripped.why}` : ''}; widest gap seen: errors ${worst.error.toFixed(1)} points (margin ${defaults.errorRateMargin}), mean time ratio ${worst.ratio.toFixed(2)} (rounded ms; limit ${defaults.latencyRatio} and ${defaults.latencyMarginMs} ms)`);
      if (g.tripped) failed = true;
    }
  } finally {
    await s.close();
  }
  console.log(failed ? 'FAILED' : 'ok');
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(2); });
