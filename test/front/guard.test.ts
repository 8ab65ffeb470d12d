/**
 * The traffic guard (issue 16, docs/guard.md) under real nginx with real HTTP on loopback: stub
 * slots that answer 500 to a share of requests or answer slowly, a steady client load through the
 * front, and the front's own status endpoint, error log and state file as the witnesses.
 *
 * Every bound here is in requests and in the guard's own clock (the trip's time on /status), not
 * in this machine's speed: a slower machine sends fewer requests, and the guard waits for
 * `minRequests` of them.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAgentEnv } from '../../lib/front/agent';
import type { FrontServiceConfig } from '../../lib/front/nginx-conf';
import type { RouteEntry, RouteGuard } from '../../lib/slots/traffic';
import { tempDir } from '../helpers';
import { vmProgram } from '../support/vm-programs';
import { freePorts, request, startFront, waitFor, type RunningFront } from './harness';

const ENV = 'test';
const HOST = 'pricing.test.internal';
type Slot = 'blue' | 'green';

/** How a stub slot answers: every `failEvery`-th request with 500 (0: never), after `delayMs`. */
interface Behaviour {
  failEvery: number;
  delayMs: number;
}

interface Stubs {
  readonly behaviour: Record<Slot, Behaviour>;
  close(): Promise<void>;
}

async function startStubs(svc: FrontServiceConfig): Promise<Stubs> {
  const behaviour: Record<Slot, Behaviour> = { blue: { failEvery: 0, delayMs: 0 }, green: { failEvery: 0, delayMs: 0 } };
  const seen: Record<Slot, number> = { blue: 0, green: 0 };
  const servers: http.Server[] = [];
  for (const slot of ['blue', 'green'] as const) {
    for (const port of svc.slots[slot].ports) {
      const server = http.createServer((req, res) => {
        req.resume();
        const n = ++seen[slot];
        const b = behaviour[slot];
        const answer = () => {
          res.statusCode = b.failEvery > 0 && n % b.failEvery === 0 ? 500 : 200;
          res.end(`pricing ${slot} ${port}\n`);
        };
        if (b.delayMs > 0) setTimeout(answer, b.delayMs);
        else answer();
      });
      server.keepAliveTimeout = 10_000;
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, svc.slots[slot].address, resolve));
      servers.push(server);
    }
  }
  return {
    behaviour,
    close: () => Promise.all(servers.map((s) => new Promise((r) => { s.close(r); s.closeAllConnections(); }))).then(() => undefined),
  };
}

interface Outcome {
  /** Seconds since the epoch the request was sent. */
  readonly sent: number;
  readonly status: number;
  /** The slot that answered, from the body ('none' when no slot did). */
  readonly slot: string;
}

/**
 * Requests through the front, `concurrency` at a time, until `stop()` says so (checked between
 * requests) or `maxRequests` were sent; each with its send time and the slot that answered.
 */
async function load(port: number, opts: { concurrency: number; stop: () => boolean; maxRequests: number }): Promise<Outcome[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const out: Outcome[] = [];
  try {
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (!opts.stop() && out.length < opts.maxRequests) {
          const sent = Date.now() / 1000;
          const r = await request({ port, host: HOST, path: '/quote', agent });
          out.push({ sent, status: r.status, slot: r.status === 200 || r.status === 500 ? r.body.split(' ')[1] : 'none' });
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return out;
}

interface GuardStatus {
  phase: string;
  judged?: Slot;
  good?: Slot;
  state: string;
  window?: Record<string, { requests: number; error_percent: number; mean_ms: number }>;
  tripped?: { action: string; phase: string; judged: Slot; good: Slot; why: string; at: number; weight: number };
}

const GUARD: Omit<RouteGuard, 'releases'> = {
  errorRateMargin: 5,
  latencyRatio: 2,
  latencyMarginMs: 20,
  minRequests: 50,
  windowSeconds: 10,
  action: 'rollback',
  bakeSeconds: 60,
  attempt: 1,
};

let serial = 0;
const table = (over: Partial<RouteEntry> = {}, guard: Partial<RouteGuard> = {}) => ({
  format: 1,
  environment: ENV,
  version: `g${++serial}`,
  services: {
    pricing: {
      live: 'blue',
      weight: 0,
      affinity: { by: 'none' },
      rules: [],
      failover: true,
      mirror: 0,
      guard: { ...GUARD, releases: { blue: '1.0.0', green: '1.1.0' }, ...guard },
      ...over,
    },
  },
});

let svc: FrontServiceConfig;
let stubs: Stubs;

beforeAll(async () => {
  const ports = await freePorts(2);
  svc = { name: 'pricing', hosts: [HOST], readTimeoutSeconds: 10, slots: { blue: { address: '127.77.3.5', ports: [ports[0], ports[1]] }, green: { address: '127.77.3.6', ports: [ports[0], ports[1]] } } };
  stubs = await startStubs(svc);
});

afterAll(async () => {
  await stubs?.close();
});

beforeEach(() => {
  stubs.behaviour.blue = { failEvery: 0, delayMs: 0 };
  stubs.behaviour.green = { failEvery: 0, delayMs: 0 };
});

async function withFront(initial: unknown, body: (front: RunningFront, guard: () => Promise<GuardStatus>) => Promise<void>) {
  const front = await startFront(tempDir('front-guard-'), { environment: ENV, services: [svc], workerProcesses: 2 }, initial);
  const guard = async () => JSON.parse((await request({ port: front.statusPort, path: '/status' })).body).guard.pricing as GuardStatus;
  try {
    await body(front, guard);
  } finally {
    await front.stop();
  }
}

/**
 * Load until the guard trips, then 300 requests more from half a second after it (what the
 * front does with the trip in force), or 30 s with no trip; the outcomes and the trip as /status shows it. Bounded in time,
 * not in requests: a faster machine (or nginx build) sends more requests before the first
 * evaluation, and the trip must still be seen.
 */
async function loadUntilTripped(front: RunningFront, guard: () => Promise<GuardStatus>) {
  let tripped: GuardStatus['tripped'];
  let after = 0;
  const deadline = Date.now() + 30_000;
  const poll = setInterval(() => {
    void guard().then((g) => { if (g.tripped && !tripped) tripped = g.tripped; }).catch(() => undefined);
  }, 100);
  try {
    const outcomes = await load(front.httpPort, {
      concurrency: 4,
      maxRequests: Number.MAX_SAFE_INTEGER,
      // the 300 are counted from half a second after the trip (a fast client sends 300 in 20 ms)
      stop: () => (tripped !== undefined && Date.now() / 1000 > tripped.at + 0.5 && ++after > 300) || Date.now() > deadline,
    });
    return { outcomes, tripped };
  } finally {
    clearInterval(poll);
  }
}

/**
 * The front agent's loop (the VM's script) beside this front, the store unreachable (its reads
 * fail and are logged), for `polls` polls: what it logs to the journal.
 */
async function agentLines(front: RunningFront, polls: number): Promise<string> {
  const dir = tempDir('front-guard-agent-');
  copyFileSync(vmProgram('front', 'front-agent.sh'), join(dir, 'front-agent'));
  const env = renderAgentEnv({ containerUrl: 'http://127.0.0.1:9/front', identityResourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-front', pollSeconds: 1 })
    .replace(/^ADMIN_URL=.*$/m, `ADMIN_URL='http://127.0.0.1:${front.adminPort}/table'`)
    .replace(/^CONF_PATH=.*$/m, `CONF_PATH='${join(dir, 'nginx.conf')}'`)
    .replace(/^TABLE_PATH=.*$/m, `TABLE_PATH='${join(dir, 'table.json')}'`)
    .replace(/^STATE_DIR=.*$/m, `STATE_DIR='${join(dir, 'state')}'`);
  writeFileSync(join(dir, 'agent.env'), env);
  // IMDS on a closed loopback port: every token request fails at once
  const child = spawn('sh', ['-c', `set -a; . ${join(dir, 'agent.env')}; set +a; exec sh ${join(dir, 'front-agent')} loop`], { env: { ...process.env, IMDS_URL: 'http://127.0.0.1:9' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    await waitFor(() => out.split('cannot get a token').length > polls, 15_000);
  } finally {
    child.kill();
  }
  return out;
}

describe('the traffic guard, run by nginx', () => {
  test('a 10 % ramp whose new slot answers 500 to one request in five: rolled back, within the budget, named on /status and in the log', async () => {
    stubs.behaviour.green.failEvery = 5;
    await withFront(table({ weight: 10 }), async (front, guard) => {
      expect(await guard()).toMatchObject({ phase: 'ramp', judged: 'green', good: 'blue' });
      const { outcomes, tripped } = await loadUntilTripped(front, guard);
      expect(tripped).toMatchObject({ action: 'rollback', phase: 'ramp', judged: 'green', good: 'blue', weight: 10 });
      expect(tripped!.why).toMatch(/^errors: green (1[5-9]|2\d)\.\d % of \d+ requests against blue 0\.0 % of \d+ \(margin 5 points\)$/);
      const before = outcomes.filter((o) => o.sent < tripped!.at);
      const after = outcomes.filter((o) => o.sent >= tripped!.at + 0.05);
      // once tripped, every request goes to blue
      expect(after.length).toBeGreaterThanOrEqual(250);
      expect(after.filter((o) => o.slot !== 'blue')).toEqual([]);
      // the failed requests are green's, and no more than the budget: a fifth of what green took
      // until the guard had minRequests of them in its window, plus two seconds of green's share
      // (a flush and an evaluation, each once a second)
      const failed = outcomes.filter((o) => o.status !== 200);
      expect(failed.every((o) => o.status === 500 && o.slot === 'green')).toBe(true);
      const start = outcomes[0].sent;
      const greenPerSecond = before.filter((o) => o.slot === 'green').length / Math.max(tripped!.at - start, 1);
      const budget = Math.ceil((GUARD.minRequests + 2 * greenPerSecond) / 5) + 1;
      expect(failed.length).toBeLessThanOrEqual(budget);
      expect(failed.length).toBeGreaterThan(0);
      const g = await guard();
      expect(g.state).toBe('tripped');
      expect(front.errorLog()).toMatch(/front: guard tripped: pricing green \(ramp, rollback\): errors: green .* all unpinned requests to blue/);
      // the agent's line for the journal
      const lines = (await request({ port: front.adminPort, path: '/guard' })).body.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^pricing [0-9a-f]{16} \d+ pricing green \(ramp, rollback\): errors: /);
      // which the agent logs to the journal (the guard-tripped alert's Syslog), once over three polls
      const logged = (await agentLines(front, 3)).split('\n').filter((l) => l.includes('guard tripped'));
      expect(logged).toEqual([`front: guard tripped: ${lines[0].split(' ').slice(3).join(' ')}`]);
    });
  }, 60_000);

  test('a 10 % ramp whose new slot is three times slower: rolled back on latency', async () => {
    stubs.behaviour.blue.delayMs = 20;
    stubs.behaviour.green.delayMs = 60;
    await withFront(table({ weight: 10 }), async (front, guard) => {
      const { outcomes, tripped } = await loadUntilTripped(front, guard);
      expect(tripped).toMatchObject({ phase: 'ramp', judged: 'green', good: 'blue' });
      expect(tripped!.why).toMatch(/^latency: green \d+ ms mean over \d+ requests against blue \d+ ms \(ratio 2, margin 20 ms\)$/);
      expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
      expect(outcomes.filter((o) => o.sent >= tripped!.at + 0.05 && o.slot !== 'blue')).toEqual([]);
    });
  }, 60_000);

  test('a healthy new slot under the same load never trips, errors on both slots alike included; nor does a quiet one', async () => {
    // both slots fail one request in fifty (the same noise), green answers a little slower
    stubs.behaviour.blue = { failEvery: 50, delayMs: 2 };
    stubs.behaviour.green = { failEvery: 50, delayMs: 4 };
    await withFront(table({ weight: 10 }), async (front, guard) => {
      // three full windows of load
      const until = Date.now() + 3 * GUARD.windowSeconds * 1000 + 2000;
      const outcomes = await load(front.httpPort, { concurrency: 4, maxRequests: Number.MAX_SAFE_INTEGER, stop: () => Date.now() > until });
      const g = await guard();
      expect(g.tripped).toBeUndefined();
      expect(g.state).toBe('healthy');
      expect(outcomes.filter((o) => o.slot === 'green').length).toBeGreaterThan(GUARD.minRequests);
      expect(front.errorLog()).not.toMatch(/guard tripped/);
    });
    // quiet: green fails every request, but serves fewer than minRequests in the window
    stubs.behaviour.blue = { failEvery: 0, delayMs: 0 };
    stubs.behaviour.green = { failEvery: 1, delayMs: 0 };
    await withFront(table({ weight: 10 }), async (front, guard) => {
      const outcomes = await load(front.httpPort, { concurrency: 2, maxRequests: 200, stop: () => false });
      const green = outcomes.filter((o) => o.slot === 'green').length;
      expect(green).toBeGreaterThan(5);
      expect(green).toBeLessThan(GUARD.minRequests);
      // two evaluations later
      await new Promise((r) => setTimeout(r, 2500));
      const g = await guard();
      expect(g).toMatchObject({ state: 'quiet' });
      expect(g.tripped).toBeUndefined();
    });
  }, 90_000);

  test('sticky: a higher weight keeps the trip, so does a restart (the state file); a new release in the judged slot clears it', async () => {
    stubs.behaviour.green.failEvery = 5;
    await withFront(table({ weight: 10 }), async (front, guard) => {
      const { tripped } = await loadUntilTripped(front, guard);
      expect(tripped).toBeDefined();
      // the next ramp PR (10 → 50) does not clear it: green still gets nothing
      expect((await front.putTable(table({ weight: 50 }))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1500));
      let outcomes = await load(front.httpPort, { concurrency: 4, maxRequests: 200, stop: () => false });
      expect(outcomes.filter((o) => o.slot !== 'blue')).toEqual([]);
      expect((await guard()).state).toBe('tripped');
      // a restart: nginx reads the trip back from its state file
      const state = JSON.parse(readFileSync(`${front.dir}/guard/state.json`, 'utf8'));
      expect(state.trips.pricing).toMatchObject({ judged: 'green', good: 'blue', action: 'rollback' });
      await front.stop();
      expect(front.nginx().status).toBe(0);
      await waitFor(async () => (await request({ port: front.statusPort, path: '/healthz' }).catch(() => ({ status: 0 }))).status === 200);
      outcomes = await load(front.httpPort, { concurrency: 4, maxRequests: 200, stop: () => false });
      expect(outcomes.filter((o) => o.slot !== 'blue')).toEqual([]);
      expect(front.errorLog()).toMatch(/front: guard still tripped \(from .*state\.json\): pricing green/);
      // green runs a new release (its fix): the trip is cleared and green takes its 50 % again
      stubs.behaviour.green.failEvery = 0;
      expect((await front.putTable(table({ weight: 50 }, { releases: { blue: '1.0.0', green: '1.1.1' } }))).status).toBe(200);
      await waitFor(async () => (await guard()).tripped === undefined, 5000);
      outcomes = await load(front.httpPort, { concurrency: 4, maxRequests: 400, stop: () => false });
      const green = outcomes.filter((o) => o.slot === 'green').length;
      expect(green).toBeGreaterThan(120);
      expect(green).toBeLessThan(280);
      // and the next evaluation (once a second) says so
      await waitFor(() => /front: guard cleared: pricing \(the traffic plan, the release or the guard changed\)/.test(front.errorLog()), 5000);
    });
  }, 90_000);

  test('hold: the new slot keeps the weight it tripped at; a higher weight waits', async () => {
    stubs.behaviour.green.failEvery = 5;
    await withFront(table({ weight: 10 }, { action: 'hold' }), async (front, guard) => {
      const { tripped } = await loadUntilTripped(front, guard);
      expect(tripped).toMatchObject({ action: 'hold', weight: 10 });
      expect(front.errorLog()).toMatch(/guard tripped: pricing green \(ramp, hold\): .*holding green at 10 %/);
      expect((await front.putTable(table({ weight: 50 }, { action: 'hold' }))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1500));
      const outcomes = await load(front.httpPort, { concurrency: 4, maxRequests: 1000, stop: () => false });
      const green = outcomes.filter((o) => o.slot === 'green').length;
      // 10 % of 1,000 (binomial: 3 standard deviations are 28), never the table's 50 %
      expect(green).toBeGreaterThan(40);
      expect(green).toBeLessThan(170);
    });
  }, 60_000);

  test('after a swap, the bake: the new live slot judged against the one live before, all traffic back to it on a trip', async () => {
    await withFront(table({ live: 'blue', weight: 0 }), async (front, guard) => {
      expect((await guard()).phase).toBe('idle');
      // blue, live, builds its reference
      const until = Date.now() + 3000;
      await load(front.httpPort, { concurrency: 4, maxRequests: Number.MAX_SAFE_INTEGER, stop: () => Date.now() > until });
      // the swap: green live; it answers 500 to one request in five
      stubs.behaviour.green.failEvery = 5;
      expect((await front.putTable(table({ live: 'green', weight: 0 }))).status).toBe(200);
      expect(front.errorLog()).toMatch(/front: guard: pricing swapped to green; baking 60 s against blue,/);
      expect(await guard()).toMatchObject({ phase: 'bake', judged: 'green', good: 'blue' });
      const { outcomes, tripped } = await loadUntilTripped(front, guard);
      expect(tripped).toMatchObject({ action: 'rollback', phase: 'bake', judged: 'green', good: 'blue' });
      expect(outcomes.filter((o) => o.sent >= tripped!.at + 0.05 && o.slot !== 'blue')).toEqual([]);
      expect((await guard()).state).toBe('tripped');
      // a new release in blue (the good slot, serving everything): the trip no longer holds, and
      // the table's live slot, green, serves again
      stubs.behaviour.green.failEvery = 0;
      expect((await front.putTable(table({ live: 'green', weight: 0 }, { releases: { blue: '1.0.1', green: '1.1.0' } }))).status).toBe(200);
      await waitFor(() => /front: guard cleared: pricing/.test(front.errorLog()), 5000);
      const after = await load(front.httpPort, { concurrency: 4, maxRequests: 200, stop: () => false });
      expect(after.filter((o) => o.slot !== 'green')).toEqual([]);
    });
  }, 60_000);

  test('a cleared trip judges the slot afresh: the failing requests before it never trip it again', async () => {
    stubs.behaviour.green.failEvery = 5;
    await withFront(table({ weight: 10 }), async (front, guard) => {
      const { tripped } = await loadUntilTripped(front, guard);
      expect(tripped).toBeDefined();
      // fixed without a new version (a setting), judged again with attempt 2, within the window
      // that still holds green's failures
      stubs.behaviour.green.failEvery = 0;
      expect((await front.putTable(table({ weight: 10 }, { attempt: 2 }))).status).toBe(200);
      await waitFor(() => /front: guard cleared: pricing/.test(front.errorLog()), 5000);
      // green serving again for 7 s, inside the 10 s window that still holds its failures (the
      // window starts at the first whole 5 s bucket after the clear, so by then it has enough)
      const until = Date.now() + 7000;
      const outcomes = await load(front.httpPort, { concurrency: 4, maxRequests: Number.MAX_SAFE_INTEGER, stop: () => Date.now() > until });
      expect(outcomes.filter((o) => o.slot === 'green').length).toBeGreaterThan(GUARD.minRequests);
      const g = await guard();
      expect(g.tripped).toBeUndefined();
      expect(g.state).toBe('healthy');
      expect(front.errorLog().split('guard tripped').length).toBe(2);
    });
  }, 60_000);
});
