/**
 * A service VM drained under keep-alive load through a real front (nginx with the library's config
 * and router): two service "VMs" (stubs on their own ports) behind a stand-in for the slot's
 * internal load balancer, the drain agent for one of them against a Scheduled Events stub.
 *
 * The stand-in balancer probes each VM every 50 ms and takes it out after two failures; a probe of
 * a VM whose port is fenced (the drain agent's rule, kept by the stand-in `iptables` in a file)
 * fails, as the real rule's reset does (test/compute/drain-fence.test.ts proves that with the real
 * iptables). It sends each new TCP connection to a VM in rotation and keeps established ones
 * where they are, as Azure's does, so the front's pooled upstream connections stay on the drained
 * VM until nginx retires them (`keepalive_time 30s`): this test takes about 30 s.
 *
 * The client keeps its connections alive and never retries; the load is rounds of a fixed number
 * of requests, repeated until the agent approves (at most 120 s).
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { FRONT_DEFAULTS, type FrontServiceConfig } from '../../lib/front/nginx-conf';
import { tempDir } from '../helpers';
import { event, FAKE_IPTABLES, startDrain, startImds, until, type RunningDrain, type StubImds } from '../support/scheduled-events';
import { startStandInLb } from '../support/stand-in-lb';
import { freePorts, startFront, type RunningFront } from '../front/harness';

const ENV = 'test';
const ME = 'vmss-pricing-blue_0';
const SLOT_ADDRESS = '127.87.1.5';
const table = { format: 1, environment: ENV, version: 'r1', services: { pricing: { live: 'blue', weight: 0, affinity: { by: 'none' }, rules: [], failover: false, mirror: 0 } } };

let front: RunningFront | undefined;
let imds: StubImds | undefined;
let drain: RunningDrain | undefined;
const closers: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  await drain?.stop();
  for (const c of closers.splice(0).reverse()) await c();
  await front?.stop();
  await imds?.close();
});

test('a service VM drained under keep-alive load through the front: 0 failed requests, approved only once its last connection closed', async () => {
  const dir = tempDir('drain-service-');
  const [slotPort, portA, portB] = await freePorts(3);
  const vmPorts = [portA, portB];
  const hits = [0, 0];
  const hitsAfterApproval = [0, 0];
  let approvedAt = 0;
  for (const [i, port] of vmPorts.entries()) {
    const server = http.createServer((req, res) => {
      if (req.url === '/health') { res.end('ok'); return; }
      hits[i]++;
      if (approvedAt) hitsAfterApproval[i]++;
      setTimeout(() => res.end(`pricing blue vm${i}\n`), 2);
    });
    server.keepAliveTimeout = 10_000;
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    closers.push(() => new Promise((r) => { server.close(r); server.closeAllConnections(); }));
  }
  // the slot's internal LB stand-in
  const rules = join(dir, 'rules');
  writeFileSync(rules, '');
  const fenced = (port: number) => readFileSync(rules, 'utf8').includes(`--dport ${port} `);
  const lb = await startStandInLb({
    host: SLOT_ADDRESS,
    port: slotPort,
    backends: vmPorts,
    probe: (i) =>
      fenced(vmPorts[i])
        ? Promise.resolve(false)
        : new Promise<boolean>((ok) => http.get({ host: '127.0.0.1', port: vmPorts[i], path: '/health', agent: false }, (res) => (res.resume(), ok(res.statusCode === 200))).on('error', () => ok(false))),
  });
  closers.push(() => lb.close());

  const services: FrontServiceConfig[] = [{ name: 'pricing', hosts: ['pricing.test'], readTimeoutSeconds: 5, slots: { blue: { address: SLOT_ADDRESS, ports: [slotPort] }, green: { address: '127.87.1.6', ports: [slotPort] } } }];
  front = await startFront(tempDir('front-drain-svc-'), { environment: ENV, services, workerProcesses: 1 }, table);

  imds = await startImds(ME);
  const ipt = join(dir, 'iptables');
  writeFileSync(ipt, FAKE_IPTABLES);
  chmodSync(ipt, 0o755);
  drain = startDrain(dir, { mode: 'service', ports: [portA], pollSeconds: 0.05, lbSeconds: 0.4, approveMarginSeconds: 1, stateFile: join(dir, 'run', 'drain.json'), probeSource: '127.0.0.2', ignorePeers: [] }, imds, { IPTABLES: ipt, IPT_LOG: join(dir, 'iptables.log'), IPT_RULES: rules });
  await until(() => imds!.gets() >= 2, 'the agent polling');

  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const failed: string[] = [];
  let ok = 0;
  const round = (n: number) => Promise.all(Array.from({ length: 8 }, async () => {
    for (let k = 0; k < n / 8; k++) {
      await new Promise<void>((resolve) => {
        const req = http.request({ host: '127.0.0.1', port: front!.httpPort, path: '/', headers: { Host: 'pricing.test' }, agent, timeout: 5000 }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => { if (res.statusCode === 200 && body.startsWith('pricing blue vm')) ok++; else failed.push(`${res.statusCode} ${body.trim()}`); resolve(); });
        });
        req.on('error', (e) => { failed.push(e.message); resolve(); });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.end();
      });
    }
  }));
  await round(200);
  expect(failed).toEqual([]);
  // the front's pooled upstream connections are spread over both VMs
  expect(lb.open(0)).toBeGreaterThan(0);
  expect(lb.open(1)).toBeGreaterThan(0);
  const hitsBefore = hits[0];

  const raisedAt = Date.now();
  imds.setEvents([event('E-svc', 'Terminate', [ME])]);
  const end = Date.now() + 120_000;
  let rounds = 0;
  while (imds.approvals.length === 0 && Date.now() < end) {
    await round(80);
    rounds++;
  }
  expect(imds.approvals).toHaveLength(1);
  approvedAt = imds.approvals[0].at;
  await round(160);
  agent.destroy();

  expect(failed).toEqual([]);
  expect(ok).toBe(200 + rounds * 80 + 160);
  expect(JSON.parse(imds.approvals[0].body)).toEqual({ StartRequests: [{ EventId: 'E-svc' }] });
  // the drained VM kept serving on the connections it held (nothing was cut), then had none
  expect(hits[0]).toBeGreaterThan(hitsBefore);
  expect(lb.open(0)).toBe(0);
  expect(lb.lastClosedAt(0)).toBeLessThanOrEqual(approvedAt);
  expect(hitsAfterApproval[0]).toBe(0);
  expect(hitsAfterApproval[1]).toBeGreaterThan(0);
  // nginx retired the pooled connections within keepalive_time of their opening (they opened before the event)
  expect(approvedAt - raisedAt).toBeLessThan((FRONT_DEFAULTS.upstreamKeepaliveTimeSeconds + 10) * 1000);
}, 150_000);
