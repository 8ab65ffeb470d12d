/**
 * The drain agent on a service VM (lib/compute/vm/drain.py, run for real with python3) against a
 * loopback stub of IMDS's Scheduled Events. The switch on a service VM is a firewall rule that
 * refuses new connections from the load balancer's probe address to the instance ports; here a
 * stand-in `iptables` keeps the rules in a file (the rule itself is checked against the real
 * iptables in a network namespace of its own in drain-fence.test.ts). An instance stub holds a
 * slow request open, from a non-loopback peer address, to stand for a request in flight through
 * the load balancer. Every wait is on a condition (the stub's counters, the agent's state file),
 * never a sleep.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../helpers';
import { event, FAKE_IPTABLES, notBefore, startDrain, startImds, until, type RunningDrain, type StubImds } from '../support/scheduled-events';

const ME = 'vmss-app-blue_3';
interface Instance {
  readonly port: number;
  /** Slow requests waiting for release. */
  readonly held: ServerResponse[];
  close(): Promise<void>;
}

async function startInstance(): Promise<Instance> {
  const held: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    if (req.url === '/slow') held.push(res);
    else res.end('ok\n');
  });
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  return {
    port: (server.address() as AddressInfo).port,
    held,
    close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

/** A request from `localAddress` (127.0.0.3 stands for a caller through the load balancer). */
function get(port: number, path: string, localAddress = '127.0.0.3'): Promise<{ status: number; endedAt: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, endedAt: Date.now() }));
    });
    req.on('error', reject);
    req.end();
  });
}

let dir: string;
let imds: StubImds;
let instance: Instance;
let drain: RunningDrain | undefined;
const rulesFile = () => join(dir, 'rules');
const rules = () => (existsSync(rulesFile()) ? readFileSync(rulesFile(), 'utf8') : '');
const ruleFor = (port: number) => `INPUT -p tcp --syn -s 127.0.0.2 --dport ${port} -j REJECT --reject-with tcp-reset`;

function run(extra: Record<string, unknown> = {}) {
  const ipt = join(dir, 'iptables');
  writeFileSync(ipt, FAKE_IPTABLES);
  chmodSync(ipt, 0o755);
  drain = startDrain(dir, {
    mode: 'service', ports: [instance.port], pollSeconds: 0.05, lbSeconds: 0.3, approveMarginSeconds: 1,
    stateFile: join(dir, 'run', 'drain.json'), probeSource: '127.0.0.2', ignorePeers: ['127.0.0.1'], ...extra,
  }, imds, { IPTABLES: ipt, IPT_LOG: join(dir, 'iptables.log'), IPT_RULES: rulesFile() });
  return drain;
}

beforeEach(async () => {
  dir = tempDir('drain-');
  imds = await startImds(ME);
  instance = await startInstance();
});

afterEach(async () => {
  await drain?.stop();
  drain = undefined;
  for (const r of instance.held) r.end();
  await instance.close();
  await imds.close();
});

test('an event for another VM of the scale set is ignored: no switch, no approval', async () => {
  imds.setEvents([event('E-other', 'Terminate', ['vmss-app-blue_7'])]);
  run();
  await until(() => imds.gets() >= 10, 'ten polls');
  expect(rules()).toBe('');
  expect(imds.approvals).toEqual([]);
  expect(existsSync(join(dir, 'iptables.log'))).toBe(false);
});

test('a Terminate for this VM: fence first, then wait for the request in flight, then one approval with its EventId', async () => {
  run();
  await until(() => imds.gets() >= 2, 'the agent polling');
  // a request in flight from a caller (through the LB), and an idle loopback connection (the VM health endpoint's kind), which does not count
  const slow = get(instance.port, '/slow');
  await until(() => instance.held.length === 1, 'the slow request to arrive');
  imds.setEvents([event('E-1', 'Terminate', [ME])]);
  await until(() => rules().includes(ruleFor(instance.port)), 'the fence on the instance port');
  expect(imds.approvals).toEqual([]);
  await until(() => drain!.state().current?.phase === 'waiting for connections', 'the agent waiting on connections');
  const polls = imds.gets();
  await until(() => imds.gets() >= polls + 10, 'ten more polls while the request is in flight');
  expect(imds.approvals).toEqual([]);
  instance.held[0].end('done\n');
  const { endedAt } = await slow;
  await until(() => imds.approvals.length === 1, 'the approval');
  expect(JSON.parse(imds.approvals[0].body)).toEqual({ StartRequests: [{ EventId: 'E-1' }] });
  expect(imds.approvals[0].at).toBeGreaterThanOrEqual(endedAt);
  // the same document again (same incarnation), then a new incarnation with the event Started: no second approval
  const after = imds.gets();
  await until(() => imds.gets() >= after + 10, 'ten polls of the same document');
  imds.setEvents([{ ...event('E-1', 'Terminate', [ME]), EventStatus: 'Started', NotBefore: '' }]);
  const later = imds.gets();
  await until(() => imds.gets() >= later + 10, 'ten polls of the next incarnation');
  expect(imds.approvals).toHaveLength(1);
  expect(drain!.state()).toMatchObject({ approved: ['E-1'], current: { event: 'E-1', phase: 'approved' } });
  // the fence stays: the VM is about to go
  expect(rules()).toContain(ruleFor(instance.port));
});

test('without a working iptables (none on the image) the drain says so and goes on: it waits for the request in flight and approves, instead of failing', async () => {
  drain = startDrain(dir, {
    mode: 'service', ports: [instance.port], pollSeconds: 0.05, lbSeconds: 0.3, approveMarginSeconds: 1,
    stateFile: join(dir, 'run', 'drain.json'), probeSource: '127.0.0.2', ignorePeers: ['127.0.0.1'],
  }, imds, { IPTABLES: join(dir, 'no-such-iptables') });
  await until(() => imds.gets() >= 2, 'the agent polling');
  const slow = get(instance.port, '/slow');
  await until(() => instance.held.length === 1, 'the slow request to arrive');
  imds.setEvents([event('E-9', 'Terminate', [ME])]);
  await until(() => /cannot raise the fence \(\[Errno 2\] No such file or directory: '[^']*no-such-iptables'\): the load balancer's probes still pass/.test(drain!.log()), 'the agent saying it cannot fence');
  await until(() => drain!.state().current?.phase === 'waiting for connections', 'the agent waiting on connections');
  expect(imds.approvals).toEqual([]);
  instance.held[0].end('done\n');
  const { endedAt } = await slow;
  await until(() => imds.approvals.length === 1, 'the approval');
  expect(imds.approvals[0].at).toBeGreaterThanOrEqual(endedAt);
  // the state file is written just after the approval
  await until(() => drain!.state().current?.phase === 'approved', 'the state file');
  expect(drain!.state()).toMatchObject({ approved: ['E-9'], current: { event: 'E-9', phase: 'approved' } });
});

test("a queue worker VM: after the wait for connections it stops the worker instances (the stand-in 'systemctl stop' ends when the test lets it), and approves only once they have stopped", async () => {
  const stop = join(dir, 'systemctl');
  // the stand-in records its arguments, then waits for the test's go (the instances finishing their messages)
  writeFileSync(stop, `#!/bin/sh\necho "$@" > ${join(dir, 'stop.args')}\nwhile [ ! -e ${join(dir, 'stopped')} ]; do sleep 0.05; done\n`);
  chmodSync(stop, 0o755);
  run({ stop: [[stop, 'stop', 'giftmaker@10000.service', 'giftmaker@10001.service']], stopWhat: 'the queue workers' });
  await until(() => imds.gets() >= 2, 'the agent polling');
  imds.setEvents([event('E-w', 'Terminate', [ME])]);
  await until(() => drain!.state().current?.phase === 'stopping the queue workers', 'the agent stopping the workers');
  await until(() => existsSync(join(dir, 'stop.args')), 'the stop command running');
  expect(readFileSync(join(dir, 'stop.args'), 'utf8')).toBe('stop giftmaker@10000.service giftmaker@10001.service\n');
  // the agent waits on the command (it does not poll meanwhile): nothing is approved while it runs
  expect(imds.approvals).toEqual([]);
  const stoppedAt = Date.now();
  writeFileSync(join(dir, 'stopped'), '');
  await until(() => imds.approvals.length === 1, 'the approval');
  expect(imds.approvals[0].at).toBeGreaterThanOrEqual(stoppedAt);
  expect(JSON.parse(imds.approvals[0].body)).toEqual({ StartRequests: [{ EventId: 'E-w' }] });
});

test('NotBefore bounds the wait: a request that never ends does not hold the approval past NotBefore', async () => {
  run();
  await until(() => imds.gets() >= 2, 'the agent polling');
  const slow = get(instance.port, '/slow').catch(() => undefined);
  await until(() => instance.held.length === 1, 'the slow request to arrive');
  const nb = notBefore(4);
  imds.setEvents([{ ...event('E-2', 'Preempt', [ME]), NotBefore: nb.text }]);
  await until(() => imds.approvals.length === 1, 'the approval', 15_000);
  expect(imds.approvals[0].at).toBeLessThan(nb.at);
  // approved at NotBefore less the margin (1 s here), not earlier than the deadline
  expect(imds.approvals[0].at).toBeGreaterThanOrEqual(nb.at - 1000 - 200);
  expect(instance.held[0].writableEnded).toBe(false);
  expect(drain!.log()).toMatch(/1 connection\(s\) still open at the deadline/);
  instance.held[0].end();
  await slow;
});

test('an event that also names other VMs is drained but not approved (an approval would let it go ahead for all of them)', async () => {
  run();
  imds.setEvents([event('E-3', 'Terminate', [ME, 'vmss-app-blue_4'])]);
  await until(() => String(drain!.state().current?.phase ?? '').startsWith('drained; not approving'), 'the drain to finish');
  expect(drain!.state().current.phase).toBe('drained; not approving (the event also names vmss-app-blue_4)');
  expect(rules()).toContain(ruleFor(instance.port));
  const polls = imds.gets();
  await until(() => imds.gets() >= polls + 10, 'ten more polls');
  expect(imds.approvals).toEqual([]);
});

test('an event Azure cancels (it leaves the document before it starts) is undrained, not approved', async () => {
  run();
  const slow = get(instance.port, '/slow');
  await until(() => instance.held.length === 1, 'the slow request to arrive');
  imds.setEvents([event('E-4', 'Terminate', [ME])]);
  await until(() => drain!.state().current?.phase === 'waiting for connections', 'the agent waiting on connections');
  imds.setEvents([]);
  await until(() => (drain!.state().cancelled ?? []).includes('E-4'), 'the cancellation');
  expect(rules()).toBe('');
  expect(imds.approvals).toEqual([]);
  instance.held[0].end();
  await slow;
});

test('Freeze (a pause of seconds) is left alone: draining would take the VM out for longer than the pause', async () => {
  run();
  imds.setEvents([event('E-5', 'Freeze', [ME], 900)]);
  await until(() => /Freeze E-5: nothing to do/.test(drain!.log()), 'the agent reading the event');
  const polls = imds.gets();
  await until(() => imds.gets() >= polls + 10, 'ten more polls');
  expect(rules()).toBe('');
  expect(imds.approvals).toEqual([]);
});

test('a Reboot that turns out a freeze (it leaves the document and the VM still runs) is undrained after its approval', async () => {
  run();
  imds.setEvents([{ ...event('E-6', 'Reboot', [ME], 900), EventSource: 'User' }]);
  await until(() => imds.approvals.length === 1, 'the approval');
  expect(rules()).toContain(ruleFor(instance.port));
  imds.setEvents([]);
  await until(() => rules() === '', 'the fence coming off');
  expect(imds.approvals).toHaveLength(1);
});
