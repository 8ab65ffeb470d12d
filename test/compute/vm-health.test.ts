/**
 * The VM health endpoint against the ApplicationHealthLinux extension's contract (type handler
 * 2.0, rich health states). The program (lib/compute/vm/vm-health.py) runs for real (python3) against loopback stub
 * instances and start-step state files; each reply is asserted byte for byte and then evaluated
 * the way the extension evaluates it (./app-health-extension.ts, ported from its source), so the
 * test checks what Azure will make of the reply, not only what the script sends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { STARTUP_SECONDS } from '../../lib/compute/cloud-init';
import { HEALTH_EXTENSION, healthExtensionSettings } from '../../lib/compute/scale-set';
import { commitStates, evaluateReply, type HealthState } from '../support/app-health-extension';
import { tempDir } from '../helpers';
import { freePorts } from '../support/ports';
import { vmProgram } from '../support/vm-programs';

describe('the port of the extension (checked against the extension\u2019s own test vectors)', () => {
  // integration-test/webserver/main.go: "2h" = 200 {"ApplicationHealthState":"Healthy"}, "2u" Unhealthy,
  // "2i" = 200 {"ApplicationHealthState":"Hello!"}, "2" = 200 {}, "5h" = 500 with a Healthy body
  test.each([
    ['2h', { status: 200, body: '{"ApplicationHealthState":"Healthy"}' }, 'Healthy'],
    ['2u', { status: 200, body: '{"ApplicationHealthState":"Unhealthy"}' }, 'Unhealthy'],
    ['2i', { status: 200, body: '{"ApplicationHealthState":"Hello!"}' }, 'Unknown'],
    ['2', { status: 200, body: '{}' }, 'Unknown'],
    ['5h', { status: 500, body: '{"ApplicationHealthState":"Healthy"}' }, 'Unknown'],
    ['timeout', { error: 'context deadline exceeded' }, 'Unknown'],
  ] as const)('webserver flag %s: %j → %s', (_flag, reply, state) => {
    expect(evaluateReply(reply).state).toBe(state);
  });

  test('Go decoding: the key matches in any case, the value only as spelled; a non-string value or a non-object body is Unknown', () => {
    expect(evaluateReply({ status: 200, body: '{"applicationhealthstate":"Healthy"}' }).state).toBe('Healthy');
    expect(evaluateReply({ status: 200, body: '{"ApplicationHealthState":"healthy"}' }).state).toBe('Unknown');
    expect(evaluateReply({ status: 200, body: '{"ApplicationHealthState":true}' }).state).toBe('Unknown');
    expect(evaluateReply({ status: 200, body: '{"ApplicationHealthState":"Healthy","customMetrics":{"a":1}}' }).state).toBe('Unknown');
    expect(evaluateReply({ status: 200, body: '["Healthy"]' }).state).toBe('Unknown');
    expect(evaluateReply({ status: 204, body: '' }).state).toBe('Unknown');
  });

  // integration-test/test/parallel/3_rich-states.bats, numberOfProbes 2, intervalInSeconds 5 (grace 10 s)
  test('the commit loop reproduces the extension\u2019s rich-states integration tests', () => {
    const H = 'Healthy', U = 'Unhealthy', K = 'Unknown';
    // "invalid app health state results in unknown": 2h,2h,2i,2h,2i,2i
    expect(commitStates([H, H, K, H, K, K], { intervalInSeconds: 5, numberOfProbes: 2 })).toEqual(['Initializing', H, H, H, H, K]);
    // "basic states = m,h,h,u,u,i,i": the grace period runs out at the third probe
    expect(commitStates([K, H, H, U, U, K, K], { intervalInSeconds: 5, numberOfProbes: 2 })).toEqual(['Initializing', 'Initializing', K, K, U, U, K]);
  });
});

describe('the reply the service VMs sent before (`{"healthy": …}`) is Unknown to the extension', () => {
  test('healthy or not, every VM was Unknown: automatic repair replaced healthy VMs and rolling upgrades stopped', () => {
    expect(evaluateReply({ status: 200, body: '{"healthy": true, "failing": []}' })).toEqual({ state: 'Unknown', error: "Response body key 'ApplicationHealthState' has invalid value ''" });
    expect(evaluateReply({ status: 503, body: '{"healthy": false, "failing": [10001]}' })).toEqual({ state: 'Unknown', error: 'Unsuccessful response status code 503' });
  });
});

/** An instance stub on loopback whose answer the test sets. */
async function instance(answer: { status: number }): Promise<{ server: Server; port: number; answer: { status: number } }> {
  const server = createServer((req, res) => res.writeHead(req.url === '/health' ? answer.status : 404).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, answer };
}

/** A port nothing listens on (see test/support/ports.ts). */
const freePort = async (): Promise<number> => (await freePorts(1))[0];

/** GET /health of the endpoint, as the extension would (retrying until it listens). */
async function ask(port: number): Promise<{ status: number; body: string }> {
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { headers: { 'User-Agent': 'ApplicationHealthExtension/1.0' } });
      return { status: res.status, body: await res.text() };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('the health endpoint did not answer');
}

const children: ChildProcess[] = [];
const servers: Server[] = [];
afterAll(() => {
  for (const c of children) c.kill();
  for (const s of servers) s.close();
});

/** Starts the health endpoint (lib/compute/vm/vm-health.py) with a config like the one cloud-init writes. */
async function healthEndpoint(services: Array<{ service: string; steps: string[]; checks: Array<{ port: number; path?: string; unit?: string }> }>, opts: { startupSeconds?: number; env?: Record<string, string> } = {}) {
  const dir = tempDir('vm-health-');
  const stateDir = join(dir, 'run/slotenv');
  mkdirSync(stateDir, { recursive: true });
  const port = await freePort();
  copyFileSync(vmProgram('service', 'vm-health.py'), join(dir, 'vm-health.py'));
  writeFileSync(join(dir, 'vm-health.json'), JSON.stringify({ bind: '127.0.0.1', port, timeoutSeconds: 1, startupSeconds: opts.startupSeconds ?? STARTUP_SECONDS, stateDir, services }));
  const child = spawn('python3', [join(dir, 'vm-health.py'), join(dir, 'vm-health.json')], { stdio: 'ignore', env: { ...process.env, ...opts.env } });
  children.push(child);
  /** Writes a start step's state file as RETRY_SCRIPT does, optionally dated `ageSeconds` ago. */
  const state = (step: string, line: string, ageSeconds = 0) => {
    const file = join(stateDir, `${step}.state`);
    writeFileSync(file, `${line}\n`);
    const when = Date.now() / 1000 - ageSeconds;
    utimesSync(file, when, when);
  };
  return { port, state, ask: () => ask(port) };
}

describe('the VM health endpoint (lib/compute/vm/vm-health.py, run by python3), as the extension reads it', () => {
  test('every planned instance answers: 200 Healthy', async () => {
    const a = await instance({ status: 200 });
    const b = await instance({ status: 204 });
    servers.push(a.server, b.server);
    const h = await healthEndpoint([{ service: 'pricing', steps: ['pricing-release'], checks: [{ port: a.port, path: '/health' }, { port: b.port, path: '/health' }] }]);
    h.state('pricing-release', 'ready');
    const reply = await h.ask();
    expect(reply).toEqual({ status: 200, body: '{"ApplicationHealthState": "Healthy"}' });
    expect(evaluateReply(reply)).toEqual({ state: 'Healthy' });
  });

  test('a start step still retrying: 503 naming it (Unknown: Initializing while the grace period lasts), not Unhealthy', async () => {
    const port = await freePort(); // the instance has not started: nothing listens
    const h = await healthEndpoint([{ service: 'pricing', steps: ['pricing-release', 'pricing-secrets'], checks: [{ port, path: '/health' }] }]);
    h.state('pricing-release', 'retrying after attempt 2 (exit 1: fetch-release: download of https://st.blob.core.windows.net/r/p.tgz failed: HTTP 403 (curl exit 22)), next in 10s');
    const reply = await h.ask();
    expect(reply).toEqual({
      status: 503,
      body: JSON.stringify({ reason: 'starting: pricing-release retrying after attempt 2 (exit 1: fetch-release: download of https://st.blob.core.windows.net/r/p.tgz failed: HTTP 403 (curl exit 22)), next in 10s; pricing-secrets pending not started yet' }).replace(/":"/g, '": "'),
    });
    expect(evaluateReply(reply).state).toBe('Unknown');
  });

  test('a start step that failed for good: 200 Unhealthy with its reason', async () => {
    const port = await freePort();
    const h = await healthEndpoint([{ service: 'pricing', steps: ['pricing-release'], checks: [{ port, path: '/health' }] }]);
    h.state('pricing-release', `failed fetch-release: https://st.blob.core.windows.net/r/p.tgz has sha256 ${'a'.repeat(64)}, expected ${'b'.repeat(64)}; refusing it`);
    const reply = await h.ask();
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({
      ApplicationHealthState: 'Unhealthy',
      reason: `pricing-release failed: fetch-release: https://st.blob.core.windows.net/r/p.tgz has sha256 ${'a'.repeat(64)}, expected ${'b'.repeat(64)}; refusing it`,
    });
    expect(evaluateReply(reply).state).toBe('Unhealthy');
  });

  test('an instance that answered and then fails: 200 Unhealthy naming it; back to Healthy when it recovers', async () => {
    const a = await instance({ status: 200 });
    const b = await instance({ status: 200 });
    servers.push(a.server, b.server);
    const h = await healthEndpoint([{ service: 'pricing', steps: [], checks: [{ port: a.port, path: '/health' }, { port: b.port, path: '/health' }] }]);
    expect(evaluateReply(await h.ask()).state).toBe('Healthy');
    b.answer.status = 500;
    const reply = await h.ask();
    expect(reply).toEqual({ status: 200, body: `{"ApplicationHealthState": "Unhealthy", "reason": "pricing@${b.port}: answered HTTP 500 on /health"}` });
    expect(evaluateReply(reply).state).toBe('Unhealthy');
    b.answer.status = 200;
    expect(evaluateReply(await h.ask()).state).toBe('Healthy');
  });

  test('an instance that has not answered yet: starting inside the start-up allowance, Unhealthy after it', async () => {
    const port = await freePort();
    const within = await healthEndpoint([{ service: 'pricing', steps: ['pricing-release'], checks: [{ port, path: '/health' }] }]);
    within.state('pricing-release', 'ready', 10);
    const early = await within.ask();
    expect(early).toEqual({ status: 503, body: `{"reason": "starting: pricing@${port}: no answer on /health ([Errno 111] Connection refused)"}` });
    expect(evaluateReply(early).state).toBe('Unknown');

    const after = await healthEndpoint([{ service: 'pricing', steps: ['pricing-release'], checks: [{ port, path: '/health' }] }], { startupSeconds: 0 });
    after.state('pricing-release', 'ready', 10);
    const late = await after.ask();
    expect(late).toEqual({
      status: 200,
      body: `{"ApplicationHealthState": "Unhealthy", "reason": "pricing@${port}: no answer on /health ([Errno 111] Connection refused); none in the 0s allowed after its start steps were ready"}`,
    });
    expect(evaluateReply(late).state).toBe('Unhealthy');
  });

  test('two services on one VM: a healthy one does not hide the other, and a step of a serving service never makes the VM Unknown', async () => {
    const a = await instance({ status: 200 });
    servers.push(a.server);
    const down = await freePort();
    const h = await healthEndpoint([
      { service: 'search', steps: ['search-certs'], checks: [{ port: a.port, path: '/health' }] },
      { service: 'recommend', steps: ['recommend-release'], checks: [{ port: down, path: '/ready' }] },
    ]);
    h.state('search-certs', 'retrying after attempt 1 (exit 1: publish-certs: search: no certificate at /var/lib/kv), next in 5s'); // a renewal, while search serves
    h.state('recommend-release', 'failed fetch-release: https://x/r.tgz has no executable bin/start');
    const reply = await h.ask();
    expect(JSON.parse(reply.body)).toEqual({ ApplicationHealthState: 'Unhealthy', reason: 'recommend-release failed: fetch-release: https://x/r.tgz has no executable bin/start' });
    expect(evaluateReply(reply).state).toBe('Unhealthy');
  });
});

describe('a boot, as the extension commits it with the settings every scale set is given', () => {
  const settings = healthExtensionSettings(9000, '/health');
  const probesFor = (seconds: number) => Math.ceil(seconds / settings.intervalInSeconds);
  const run = (phases: Array<[HealthState, number]>) => commitStates(phases.flatMap(([state, seconds]) => Array<HealthState>(probesFor(seconds)).fill(state)), settings);

  test('type handler 2.0, HTTP on the VM health port; settings inside the limits handlersettings.go and schema.go enforce', () => {
    expect(HEALTH_EXTENSION).toEqual({ publisher: 'Microsoft.ManagedServices', type: 'ApplicationHealthLinux', typeHandlerVersion: '2.0' });
    expect(settings).toEqual({ protocol: 'http', port: 9000, requestPath: '/health', intervalInSeconds: 5, numberOfProbes: 2, gracePeriod: 600 });
    expect(settings.intervalInSeconds * settings.numberOfProbes).toBeLessThanOrEqual(240);
    expect(settings.gracePeriod).toBeGreaterThanOrEqual(5);
    expect(settings.gracePeriod).toBeLessThanOrEqual(14400);
  });

  test('a download retried for 4 minutes, then instances up: Initializing, then Healthy; never Unhealthy on the way', () => {
    const committed = run([['Unknown', 240], ['Healthy', 60]]);
    expect(new Set(committed.slice(0, probesFor(240)))).toEqual(new Set(['Initializing']));
    expect(committed.at(-1)).toBe('Healthy');
    expect(committed).not.toContain('Unhealthy');
  });

  test('why "starting" is not sent as Unhealthy: that would end the grace period and commit Unhealthy within 10 s of boot', () => {
    expect(run([['Unhealthy', 10], ['Healthy', 60]]).slice(0, 2)).toEqual(['Initializing', 'Unhealthy']);
  });

  test('a release refused for good: Unhealthy as soon as it is seen twice, so the rolling upgrade stops at that batch', () => {
    expect(run([['Unknown', 30], ['Unhealthy', 60]]).at(-1)).toBe('Unhealthy');
  });

  test('the old `{"healthy": true}` reply: a healthy VM stays Initializing for the grace period, then Unknown (repaired)', () => {
    const old = evaluateReply({ status: 200, body: '{"healthy": true, "failing": []}' }).state;
    const committed = run([[old, 900]]);
    expect(committed[probesFor(590)]).toBe('Initializing');
    expect(committed.at(-1)).toBe('Unknown');
  });
});

describe("a worker's instances (no port to ask): healthy while their units are active", () => {
  /** A stand-in for `systemctl show -p ActiveState -p SubState UNIT`: each unit's states from a file the test writes, SubState first (systemd's order is its own). */
  function fakeSystemctl() {
    const dir = tempDir('vm-health-systemctl-');
    const states = join(dir, 'states.json');
    const bin = join(dir, 'systemctl');
    writeFileSync(
      bin,
      `#!/usr/bin/python3
import json, sys
unit = sys.argv[-1]
s = json.load(open(${JSON.stringify(states)})).get(unit, ["inactive", "dead"])
print("SubState=" + s[1]); print("ActiveState=" + s[0])
`,
      { mode: 0o755 },
    );
    const set = (m: Record<string, [string, string]>) => writeFileSync(states, JSON.stringify(m));
    set({});
    return { bin, set };
  }
  const checks = [{ port: 10000, unit: 'giftmaker@10000.service' }, { port: 10001, unit: 'giftmaker@10001.service' }];

  test('both units active: Healthy; one restarting after it ran: Unhealthy naming it; back to Healthy once it runs again', async () => {
    const sc = fakeSystemctl();
    const h = await healthEndpoint([{ service: 'giftmaker', steps: ['giftmaker-release'], checks }], { env: { SYSTEMCTL: sc.bin } });
    h.state('giftmaker-release', 'ready');
    sc.set({ 'giftmaker@10000.service': ['active', 'running'], 'giftmaker@10001.service': ['active', 'running'] });
    expect(await h.ask()).toEqual({ status: 200, body: '{"ApplicationHealthState": "Healthy"}' });
    sc.set({ 'giftmaker@10000.service': ['active', 'running'], 'giftmaker@10001.service': ['activating', 'auto-restart'] });
    const down = await h.ask();
    expect(down.status).toBe(200);
    expect(JSON.parse(down.body)).toEqual({ ApplicationHealthState: 'Unhealthy', reason: 'giftmaker@10001: is activating (auto-restart)' });
    expect(evaluateReply(down).state).toBe('Unhealthy');
    sc.set({ 'giftmaker@10000.service': ['active', 'running'], 'giftmaker@10001.service': ['active', 'running'] });
    expect(evaluateReply(await h.ask()).state).toBe('Healthy');
  });

  test('a unit that never ran: starting within the start-up allowance (Unknown), Unhealthy after it', async () => {
    const sc = fakeSystemctl();
    const h = await healthEndpoint([{ service: 'giftmaker', steps: ['giftmaker-release'], checks: checks.slice(0, 1) }], { env: { SYSTEMCTL: sc.bin }, startupSeconds: 300 });
    h.state('giftmaker-release', 'ready');
    const starting = await h.ask();
    expect(starting).toEqual({ status: 503, body: '{"reason": "starting: giftmaker@10000: is inactive (dead)"}' });
    expect(evaluateReply(starting).state).toBe('Unknown');
    // the allowance counts from the later of the endpoint's start and the steps' (as for an instance with a port)
    const late = await healthEndpoint([{ service: 'giftmaker', steps: ['giftmaker-release'], checks: checks.slice(0, 1) }], { env: { SYSTEMCTL: sc.bin }, startupSeconds: 0 });
    late.state('giftmaker-release', 'ready', 10);
    expect(JSON.parse((await late.ask()).body)).toEqual({ ApplicationHealthState: 'Unhealthy', reason: 'giftmaker@10000: is inactive (dead); none in the 0s allowed after its start steps were ready' });
  });
});
