/**
 * The front under the conditions of a VM (the runtime-on-Azure review), with real nginx: the file
 * limit systemd gives a service, a backend that answers 503 now and then, a slow idle slot that
 * receives mirrored copies. Each backend here is a stub on its own loopback address, so a reply
 * (and each stub's own record) says where the front sent a request and how often.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { renderNginxDropIn } from '../../lib/front/agent';
import { renderFrontConf } from '../../lib/front/model';
import type { FrontServiceConfig } from '../../lib/front/nginx-conf';
import { exampleSpec, planOf, tempDir } from '../helpers';
import { freePorts, request, sendMany, startFront, VM_SERVICE_NOFILE, type Reply } from './harness';

const ENV = 'test';
let serial = 0;
const table = (over: Record<string, unknown> = {}) => ({
  format: 1,
  environment: ENV,
  version: `r${++serial}`,
  services: { pricing: { live: 'blue', weight: 0, affinity: { by: 'none' }, rules: [], failover: true, mirror: 0, ...over } },
});

/** What a stub saw: per request ID (nginx's X-Request-Id, the same on a retry) the statuses it answered, and methods. */
interface Stub {
  readonly seen: Map<string, { method: string; statuses: number[] }>;
  readonly methods: string[];
  hits(): number;
  close(): Promise<void>;
}

/** A stub slot: `answer(n)` gives the status and delay of its n-th request (1-based). */
async function stub(address: string, port: number, slot: string, answer: (n: number) => { status: number; delayMs?: number }): Promise<Stub> {
  const seen = new Map<string, { method: string; statuses: number[] }>();
  const methods: string[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const { status, delayMs = 0 } = answer(++n);
    const id = String(req.headers['x-request-id'] ?? '');
    const e = seen.get(id) ?? { method: req.method ?? '', statuses: [] };
    e.statuses.push(status);
    seen.set(id, e);
    methods.push(req.method ?? '');
    req.resume();
    const reply = () => { res.statusCode = status; res.end(status === 200 ? `pricing ${slot} ${port}\n` : `backend ${status}\n`); };
    if (delayMs > 0) setTimeout(reply, delayMs);
    else reply();
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, address, resolve));
  return {
    seen,
    methods,
    hits: () => n,
    close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

const service = (port: number, blue: string, green: string): FrontServiceConfig => ({
  name: 'pricing',
  hosts: ['pricing.test.internal'],
  readTimeoutSeconds: 10,
  slots: { blue: { address: blue, ports: [port] }, green: { address: green, ports: [port] } },
});

/** The open-file limits of the master's workers, from /proc. */
function workerFileLimits(dir: string): number[] {
  const master = Number(readFileSync(`${dir}/nginx.pid`, 'utf8'));
  const workers = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).map(Number);
  return workers.map((w) => Number(/Max open files\s+(\d+)/.exec(readFileSync(`/proc/${w}/limits`, 'utf8'))![1]));
}

describe('the front under the VM file limit systemd gives a service (soft 1,024)', () => {
  test('600 requests held open at once by a slow backend (1,200 connections in one worker) are all answered by the live slot; no "Too many open files"', async () => {
    const [port] = await freePorts(1);
    const blue = await stub('127.81.1.5', port, 'blue', () => ({ status: 200, delayMs: 1500 }));
    const green = await stub('127.81.1.6', port, 'green', () => ({ status: 200 }));
    const f = await startFront(tempDir('front-nofile-'), { environment: ENV, services: [service(port, '127.81.1.5', '127.81.1.6')], workerProcesses: 1, nofile: VM_SERVICE_NOFILE }, table());
    try {
      const ask = () => request({ port: f.httpPort, host: 'pricing.test.internal', path: '/' }).catch((e: Error): Reply => ({ status: 0, body: e.message }));
      const { bySlot, statuses } = await sendMany(600, 600, ask);
      expect(statuses).toEqual({ 200: 600 });
      expect(bySlot).toEqual({ blue: 600 });
      expect(green.hits()).toBe(0);
      expect(f.errorLog()).not.toMatch(/Too many open files/);
      // the worker raised its own limit to the budget the config states (the master started at 1,024)
      const stated = Number(/worker_rlimit_nofile (\d+);/.exec(readFileSync(f.confPath, 'utf8'))![1]);
      expect(workerFileLimits(f.dir)).toEqual([stated]);
      expect(stated).toBeGreaterThan(2 * 600);
    } finally {
      await f.stop();
      await blue.close();
      await green.close();
    }
  });
});

describe('the file budget on the VM', () => {
  test("the nginx unit's LimitNOFILE (the drop-in) covers the example front's worker_rlimit_nofile, which covers its worker_connections", () => {
    const conf = renderFrontConf(planOf(exampleSpec()));
    const rlimit = Number(/^worker_rlimit_nofile (\d+);$/m.exec(conf)![1]);
    const connections = Number(/^\s*worker_connections (\d+);$/m.exec(conf)![1]);
    const unit = Number(/^LimitNOFILE=(\d+)$/m.exec(renderNginxDropIn())![1]);
    expect(connections).toBeGreaterThan(4096);
    expect(rlimit).toBeGreaterThan(connections);
    expect(unit).toBeGreaterThanOrEqual(rlimit);
  });
});

describe('a backend that answers 503 now and then moves no traffic to the idle slot', () => {
  test('every 10th request on the live slot is a 503: GETs are retried once on the same slot, POSTs passed through; the idle slot gets nothing, no failure beyond the backend\'s own 503s', async () => {
    const [port] = await freePorts(1);
    const blue = await stub('127.81.2.5', port, 'blue', (n) => ({ status: n % 10 === 0 ? 503 : 200 }));
    const green = await stub('127.81.2.6', port, 'green', () => ({ status: 200 }));
    const f = await startFront(tempDir('front-503-'), { environment: ENV, services: [service(port, '127.81.2.5', '127.81.2.6')], nofile: VM_SERVICE_NOFILE }, table());
    try {
      const get = await sendMany(1000, 10, () => request({ port: f.httpPort, host: 'pricing.test.internal', path: '/quote' }));
      const post = await sendMany(200, 10, () => request({ port: f.httpPort, host: 'pricing.test.internal', path: '/order', method: 'POST', body: '{}' }));
      // nothing reached the idle slot: no request, no retry, no failover
      expect(green.hits()).toBe(0);
      expect(get.bySlot.green ?? 0).toBe(0);
      expect(post.bySlot.green ?? 0).toBe(0);
      const backend503 = [...blue.seen.values()].flatMap((e) => e.statuses).filter((s) => s === 503).length;
      expect(backend503).toBeGreaterThanOrEqual(100);
      // every answer is the backend's: a 200 from the live slot, or a 503 it returned itself
      expect(Object.keys(get.statuses).filter((s) => s !== '200' && s !== '503')).toEqual([]);
      expect(Object.keys(post.statuses).filter((s) => s !== '200' && s !== '503')).toEqual([]);
      expect(get.replies.concat(post.replies).filter((r) => r.status === 503).every((r) => r.body === 'backend 503\n')).toBe(true);
      // per request, what the live slot answered: GETs at most two attempts, a 503 retried once
      // (so a client sees 503 only when both attempts were 503s); POSTs exactly one attempt
      const requests = [...blue.seen.values()];
      expect(requests.length).toBe(1200);
      const gets = requests.filter((e) => e.method === 'GET').map((e) => e.statuses);
      const posts = requests.filter((e) => e.method === 'POST').map((e) => e.statuses);
      expect(gets.every((a) => a.length === 1 || (a.length === 2 && a[0] === 503))).toBe(true);
      const retried = gets.filter((a) => a.length === 2).length;
      expect(retried).toBeGreaterThan(0);
      expect(get.statuses[503] ?? 0).toBe(gets.filter((a) => a.length === 2 && a[1] === 503).length);
      expect(posts.every((a) => a.length === 1)).toBe(true);
      expect(posts.length).toBe(200);
      expect(post.statuses[503] ?? 0).toBe(posts.filter((a) => a[0] === 503).length);
      expect(post.statuses[503] ?? 0).toBeGreaterThan(0);
      console.log(`503s now and then: backend answered ${backend503} × 503 over ${blue.hits()} attempts (${retried} GETs retried); clients saw ${get.statuses[503] ?? 0} GET and ${post.statuses[503] ?? 0} POST 503s of 1,200; idle slot ${green.hits()} requests`);
    } finally {
      await f.stop();
      await blue.close();
      await green.close();
    }
  });
});

describe('mirroring to a slow idle slot', () => {
  /** `n` sequential GETs on one kept-alive connection; each one's milliseconds. */
  async function sequential(port: number, n: number): Promise<number[]> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      const r = await request({ port, host: 'pricing.test.internal', path: `/page/${i}`, agent });
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      expect(r.body).toContain('pricing blue');
    }
    agent.destroy();
    return ms;
  }
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

  test('copies of GETs to a slot that answers after 2 s delay a kept-alive client by at most the mirror timeouts; a POST is not copied', async () => {
    const [port] = await freePorts(1);
    const blue = await stub('127.81.3.5', port, 'blue', () => ({ status: 200 }));
    const green = await stub('127.81.3.6', port, 'green', () => ({ status: 200, delayMs: 2000 }));
    const f = await startFront(tempDir('front-mirror-'), { environment: ENV, services: [service(port, '127.81.3.5', '127.81.3.6')], nofile: VM_SERVICE_NOFILE }, table({ mirror: 0 }));
    try {
      const N = 10;
      const off = await sequential(f.httpPort, N);
      expect((await f.putTable(table({ mirror: 100 }))).status).toBe(200);
      const on = await sequential(f.httpPort, N);
      // every GET was copied (the copies reach the idle slot at once; its answers are not awaited past the timeout)
      await new Promise((r) => setTimeout(r, 300));
      expect(green.methods.filter((m) => m === 'GET').length).toBe(N);
      // the bound: the mirror's connect + read timeouts (0.1 + 0.2 s) per request, not the slot's 2 s
      const total = on.reduce((a, b) => a + b, 0);
      expect(Math.max(...on)).toBeLessThan(1000);
      expect(total).toBeLessThan(N * 500); // against N × 2,000 ms if nginx waited for the copies
      console.log(`mirroring to a 2 s slot, ${N} sequential keep-alive GETs: off p50 ${pct(off, 50).toFixed(1)} ms p99 ${pct(off, 99).toFixed(1)} ms; on p50 ${pct(on, 50).toFixed(1)} ms p99 ${pct(on, 99).toFixed(1)} ms, total ${total.toFixed(0)} ms`);

      const before = green.hits();
      for (let i = 0; i < 5; i++) {
        const r = await request({ port: f.httpPort, host: 'pricing.test.internal', path: '/order', method: 'POST', body: '{"id":1}' });
        expect(r.body).toContain('pricing blue');
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(green.hits() - before).toBe(0);
      expect(green.methods).not.toContain('POST');
    } finally {
      await f.stop();
      await blue.close();
      await green.close();
    }
  });
});
