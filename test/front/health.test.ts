/**
 * The front's health contract with the Application Health extension, type handler 2.0 (rich
 * health states), judged by a port of the extension's own evaluation (test/support/app-health-extension.ts) against
 * real nginx running the rendered config: the path the synthesized scale set's extension probes
 * answers Healthy while a routing table serves and Unhealthy (with a reason) while none does; the
 * load balancer's probe keeps reading the status code.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FRONT_DEFAULTS } from '../../lib/front/nginx-conf';
import type { FrontServiceConfig } from '../../lib/front/nginx-conf';
import { resourceAt, tempDir, exampleStacks } from '../helpers';
import { evaluateReply, probeUrl } from '../support/app-health-extension';
import { freePorts, request, startBackends, startFront, type Backends, type RunningFront } from './harness';

const ENV = 'test';
const entry = (live: string) => ({ live, weight: 0, affinity: { by: 'none' }, rules: [], failover: true, mirror: 0 });
const table = (version: string, live = 'blue') => ({ format: 1, environment: ENV, version, services: { pricing: entry(live) } });

describe('the port of the extension\'s evaluation (main/health.go, main/probeResponse.go)', () => {
  test.each([
    ['{"ApplicationHealthState": "Healthy"}', 'Healthy'],
    ['{"ApplicationHealthState": "Unhealthy", "reason": "x"}', 'Unhealthy'],
    // keys match the field tag case-insensitively; values do not
    ['{"applicationhealthstate": "Healthy"}', 'Healthy'],
    ['{"ApplicationHealthState": "healthy"}', 'Unknown'],
    ['{"ApplicationHealthState": "Initializing"}', 'Unknown'],
    ['{"ApplicationHealthState": 1}', 'Unknown'],
    ['{"ApplicationHealthState": "Healthy", "customMetrics": {"a": 1}}', 'Unknown'],
    ['{"ApplicationHealthState": "Healthy", "customMetrics": "{\\"a\\": 1}"}', 'Healthy'],
    ['{"healthy": true}', 'Unknown'],
    ['null', 'Unknown'],
    ['["Healthy"]', 'Unknown'],
    ['ok 3f2a9c (the old reply)', 'Unknown'],
  ])('%s is %s', (body, state) => {
    expect(evaluateReply({ status: 200, body }).state).toBe(state);
  });
});

describe('the front\'s health endpoints, run by nginx', () => {
  let services: FrontServiceConfig[];
  let backends: Backends;
  let front: RunningFront;
  // the path and port the synthesized front scale set's health extension probes
  const settings = JSON.parse(
    (resourceAt(exampleStacks()['retail-front'], 'azurerm_linux_virtual_machine_scale_set', 'front_scale-set_vmss').extension as Array<{ type: string; type_handler_version: string; settings: string }>).find((e) => e.type === 'ApplicationHealthLinux')!
      .settings,
  ) as { protocol: string; port: number; requestPath: string };
  const extension = (f: RunningFront) => probeUrl(`http://127.0.0.1:${f.statusPort}${settings.requestPath}`, 5000);
  const lbProbe = (f: RunningFront) => request({ port: f.statusPort, path: '/healthz' });

  beforeAll(async () => {
    const [p] = await freePorts(1);
    services = [{ name: 'pricing', hosts: ['pricing.test.internal'], readTimeoutSeconds: 5, slots: { blue: { address: '127.79.1.5', ports: [p] }, green: { address: '127.79.1.6', ports: [p] } } }];
    backends = await startBackends(services);
    front = await startFront(tempDir('front-health-'), { environment: ENV, services, workerProcesses: 1 });
  });
  afterAll(async () => {
    await front?.stop();
    await backends?.close();
  });

  test('the extension speaks type handler 2.0 over HTTP on the status port', () => {
    const ext = (resourceAt(exampleStacks()['retail-front'], 'azurerm_linux_virtual_machine_scale_set', 'front_scale-set_vmss').extension as Array<{ type: string; type_handler_version: string }>).find((e) => e.type === 'ApplicationHealthLinux')!;
    expect(ext.type_handler_version).toBe('2.0');
    expect(settings).toMatchObject({ protocol: 'http', port: FRONT_DEFAULTS.statusPort });
  });

  test('no routing table yet: Unhealthy with the reason (a 200 with JSON, not Unknown), and the LB probe is down', async () => {
    expect(await extension(front)).toEqual({ state: 'Unhealthy' });
    const reply = await request({ port: front.statusPort, path: settings.requestPath });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ ApplicationHealthState: 'Unhealthy', reason: 'no routing table applied yet' });
    expect((await lbProbe(front)).status).toBe(503);
  });

  test('serving a table: Healthy, with its version; the LB probe is up', async () => {
    expect((await front.putTable(table('v1'))).status).toBe(200);
    expect(await extension(front)).toEqual({ state: 'Healthy' });
    expect(JSON.parse((await request({ port: front.statusPort, path: settings.requestPath })).body)).toEqual({ ApplicationHealthState: 'Healthy', version: 'v1' });
    expect((await lbProbe(front)).status).toBe(200);
  });

  test('a newer table or config refused: still Healthy (the last good one serves), with a warning naming it', async () => {
    expect((await front.putTable({ ...table('v2'), services: { pricing: entry('red') } })).status).toBe(422);
    expect(await extension(front)).toEqual({ state: 'Healthy' });
    const body = () => request({ port: front.statusPort, path: settings.requestPath }).then((r) => JSON.parse(r.body));
    expect(await body()).toEqual({ ApplicationHealthState: 'Healthy', version: 'v1', warning: 'a newer routing table was refused: services.pricing.live: unknown slot red' });
    expect((await request({ port: front.adminPort, path: '/config-state', method: 'PUT', body: 'nginx -t: invalid parameter "max_fails=oops"' })).status).toBe(204);
    expect((await body()).warning).toBe('a newer routing table was refused: services.pricing.live: unknown slot red; a newer config was refused: nginx -t: invalid parameter "max_fails=oops"');
    await front.putTable(table('v3'));
    await request({ port: front.adminPort, path: '/config-state', method: 'DELETE' });
    expect(await body()).toEqual({ ApplicationHealthState: 'Healthy', version: 'v3' });
  });

  test('a cold start whose table on disk is refused: Unhealthy, naming why', async () => {
    const dir = tempDir('front-health-bad-');
    writeFileSync(join(dir, 'table.json'), JSON.stringify({ ...table('v9'), environment: 'prod' }));
    const bad = await startFront(dir, { environment: ENV, services, workerProcesses: 1 });
    try {
      expect(await extension(bad)).toEqual({ state: 'Unhealthy' });
      expect(JSON.parse((await request({ port: bad.statusPort, path: settings.requestPath })).body).reason).toBe('no routing table applied: the one delivered was refused: environment: expected test, got prod');
      expect((await lbProbe(bad)).status).toBe(503);
    } finally {
      await bad.stop();
    }
  });

  test('the LB probe\'s plain-text reply is not the extension\'s contract: the port judges it Unknown', async () => {
    expect(await probeUrl(`http://127.0.0.1:${front.statusPort}/healthz`, 5000)).toEqual({ state: 'Unknown', error: expect.stringMatching(/json/i) });
  });
});
