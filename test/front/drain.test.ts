/**
 * A front VM drained under keep-alive load, with real nginx (two fronts, the library's config and
 * router) behind a stand-in for the front's internal load balancer, and the drain agent
 * (lib/compute/vm/drain.py) against a stub of IMDS's Scheduled Events.
 *
 * The stand-in balancer does what Azure's does with its HTTP probe: it probes each front's
 * `/healthz` (every 50 ms here), takes a front out of rotation after two failures in a row, sends
 * each new TCP connection to a front in rotation, and keeps an established connection on the front
 * it chose. The client is non-retrying and keeps its connections alive (Node's agent, 6 sockets);
 * the load is a fixed number of requests, not a duration.
 *
 * Ports: every listener takes a free port from the kernel (harness `freePorts`), and the slot
 * stubs use loopback addresses of this file's own (127.86.x.x), so nothing collides with the
 * other front tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { FrontServiceConfig } from '../../lib/front/nginx-conf';
import { tempDir } from '../helpers';
import { event, startDrain, startImds, until, type RunningDrain, type StubImds } from '../support/scheduled-events';
import { startStandInLb } from '../support/stand-in-lb';
import { freePorts, request, startBackends, startFront, type Backends, type RunningFront } from './harness';

const ENV = 'test';
const ME = 'vmss-front_0';
const table = { format: 1, environment: ENV, version: 'r1', services: { pricing: { live: 'blue', weight: 0, affinity: { by: 'none' }, rules: [], failover: true, mirror: 0 } } };

interface StubLb {
  readonly port: number;
  /** Connections open to each front (by its index), and when the last one to it closed. */
  open(i: number): number;
  lastClosedAt(i: number): number;
  inRotation(i: number): boolean;
  close(): Promise<void>;
}

async function startLb(fronts: RunningFront[]): Promise<StubLb> {
  const [port] = await freePorts(1);
  const lb = await startStandInLb({
    host: '127.0.0.1',
    port,
    backends: fronts.map((f) => f.httpPort),
    probe: (i) => request({ port: fronts[i].statusPort, path: '/healthz' }).then((r) => r.status === 200),
  });
  return { port, ...lb };
}

interface Result {
  ok: number;
  failed: string[];
  closes: number;
}

/** `n` requests through the balancer, `concurrency` at a time, on kept-alive connections; no retries. */
async function load(lbPort: number, agent: http.Agent, n: number, concurrency: number): Promise<Result> {
  const result: Result = { ok: 0, failed: [], closes: 0 };
  let sent = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: lbPort, path: '/', headers: { Host: 'pricing.test' }, agent, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          if (res.statusCode === 200 && body.startsWith('pricing blue')) result.ok++;
          else result.failed.push(`${res.statusCode} ${body.trim()}`);
          if (res.headers.connection === 'close') result.closes++;
          resolve();
        });
      });
      req.on('error', (e) => { result.failed.push(e.message); resolve(); });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent < n) {
      sent++;
      await one();
    }
  }));
  return result;
}

/** The front's access log lines (JSON, lib/monitor/front-access-log.ts) of GET / answered 200. */
const accessLines = (f: RunningFront) =>
  existsSync(join(f.dir, 'access.log'))
    ? readFileSync(join(f.dir, 'access.log'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { Method: string; Path: string; Protocol: string; Status: string }).filter((e) => e.Method === 'GET' && e.Path === '/' && e.Protocol === 'HTTP/1.1' && e.Status === '200').length
    : 0;
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

let backends: Backends;
let fronts: RunningFront[] = [];
let lb: StubLb | undefined;
let imds: StubImds;
let drain: RunningDrain | undefined;

afterEach(async () => {
  await drain?.stop();
  await lb?.close();
  for (const f of fronts) if (existsSync(join(f.dir, 'nginx.pid'))) await f.stop();
  await backends?.close();
  await imds?.close();
});

test('a front drained under keep-alive load: 0 failed requests, the next response on each connection says Connection: close, nginx quits once they are gone, then one approval', async () => {
  const [bluePort, greenPort] = await freePorts(2);
  const services: FrontServiceConfig[] = [{ name: 'pricing', hosts: ['pricing.test'], readTimeoutSeconds: 5, slots: { blue: { address: '127.86.1.5', ports: [bluePort] }, green: { address: '127.86.1.6', ports: [greenPort] } } }];
  backends = await startBackends(services, 2);
  fronts = [
    await startFront(tempDir('front-drain-a-'), { environment: ENV, services, workerProcesses: 1 }, table),
    await startFront(tempDir('front-drain-b-'), { environment: ENV, services, workerProcesses: 1 }, table),
  ];
  const [a] = fronts;
  const pidA = Number(readFileSync(join(a.dir, 'nginx.pid'), 'utf8'));
  lb = await startLb(fronts);
  await until(() => lb!.inRotation(0) && lb!.inRotation(1), 'both fronts in rotation');
  imds = await startImds(ME);
  drain = startDrain(a.dir, {
    mode: 'front', ports: [a.httpPort], pollSeconds: 0.05, lbSeconds: 0.4, approveMarginSeconds: 1, stateFile: join(a.dir, 'run', 'drain.json'),
    adminUrl: `http://127.0.0.1:${a.adminPort}/drain`, stop: [['nginx', '-c', a.confPath, '-p', `${a.dir}/`, '-s', 'quit']], stopPidFile: join(a.dir, 'nginx.pid'),
  }, imds);
  await until(() => imds.gets() >= 2, 'the agent polling');

  const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
  const before = await load(lb.port, agent, 120, 6);
  expect(before).toEqual({ ok: 120, failed: [], closes: 0 });
  // the balancer spread the six kept-alive connections over both fronts
  expect(lb.open(0)).toBeGreaterThan(0);
  expect(lb.open(1)).toBeGreaterThan(0);

  imds.setEvents([event('E-front', 'Terminate', [ME])]);
  await until(async () => (await request({ port: a.statusPort, path: '/healthz' })).status === 503, 'A failing its load balancer probe');
  // the Application Health extension's endpoint stays Healthy: the VM is drained, not broken (no repair)
  expect(JSON.parse((await request({ port: a.statusPort, path: '/health' })).body).ApplicationHealthState).toBe('Healthy');
  expect(imds.approvals).toEqual([]);

  const during = await load(lb.port, agent, 480, 6);
  expect(during.failed).toEqual([]);
  expect(during.ok).toBe(480);
  // each connection A still held answered once more, saying Connection: close
  expect(during.closes).toBeGreaterThan(0);
  await until(() => !lb!.inRotation(0), 'A out of rotation');
  // the client is done: its idle sockets close, the last connection to A goes, A quits, then the approval
  agent.destroy();
  await until(() => imds.approvals.length === 1, 'the approval');
  expect(JSON.parse(imds.approvals[0].body)).toEqual({ StartRequests: [{ EventId: 'E-front' }] });
  expect(lb.open(0)).toBe(0);
  expect(imds.approvals[0].at).toBeGreaterThanOrEqual(lb.lastClosedAt(0));
  expect(existsSync(join(a.dir, 'nginx.pid'))).toBe(false);
  await until(() => !alive(pidA), 'A\'s nginx master gone');
  // every request was served by one front or the other, once (the access logs, flushed at exit)
  await fronts[1].stop();
  expect(accessLines(a) + accessLines(fronts[1])).toBe(600);
  expect(drain.state()).toMatchObject({ approved: ['E-front'], current: { phase: 'approved' } });
  const polls = imds.gets();
  await until(() => imds.gets() >= polls + 10, 'ten more polls');
  expect(imds.approvals).toHaveLength(1);
}, 60_000);
