/**
 * The example in two regions, as the synth plans it (docs/regions.md): both regions' fronts run
 * by real nginx on loopback with the services and routing tables the synth writes for each
 * region, each told of the other. Pricing runs in both (90 % west, 10 % north): requests that
 * reach either front are split that way, a forwarded request keeps its host name and is served
 * where it lands, and a service that runs in the first region only is served there only.
 *
 * Loopback stands in for the two VNets: the service addresses are the plan's (10.20.x.y and
 * 10.30.x.y) moved to 127.121.x.y and 127.131.x.y, and the fronts reach each other from 127.0.0.1.
 */
import { crc32 } from 'node:zlib';
import { frontRoutingTable, frontServices, onLoopback } from '../../lib/front/model';
import { linkRegions, planEnvironment, type EnvironmentPlan } from '../../lib/spec/plan';
import { regionalEnvironments } from '../../lib/spec/regional';
import { validateEnvironment } from '../../lib/spec/validate';
import { exampleSpec, tempDir, type Json } from '../helpers';
import { freePorts, request, startBackends, startFront, type Backends, type RunningFront } from './harness';

const CLIENT = '127.0.0.5';

function plans(): EnvironmentPlan[] {
  const s = exampleSpec() as Json;
  s.otherRegions = [{ name: 'northeurope', code: 'ne', addressSpace: '10.30.0.0/16' }];
  s.services[0].regions = ['westeurope', 'northeurope'];
  s.services[0].traffic.regions = { shares: { westeurope: 90, northeurope: 10 } };
  s.services[0].traffic.affinity = { by: 'header', name: 'X-Client' };
  const r = validateEnvironment(s);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const regional = regionalEnvironments(r.environment);
  return linkRegions(regional.map((x) => planEnvironment(x.env)), regional.map((x) => x.code));
}

const moved = (address: string) => address.replace(/^127\.20\./, '127.121.').replace(/^127\.30\./, '127.131.');

let west: { front: RunningFront; backends: Backends; plan: EnvironmentPlan };
let north: { front: RunningFront; backends: Backends; plan: EnvironmentPlan };

beforeAll(async () => {
  const [westPlan, northPlan] = plans();
  const [westPort, northPort] = await freePorts(2);
  const start = async (plan: EnvironmentPlan, port: number, peerPort: number) => {
    const services = onLoopback(frontServices(plan)).map((s) => ({ ...s, slots: { blue: { ...s.slots.blue, address: moved(s.slots.blue.address) }, green: { ...s.slots.green, address: moved(s.slots.green.address) } } }));
    const backends = await startBackends(services);
    const region = { name: plan.regions!.self.name, peers: plan.regions!.others.map((o) => ({ name: o.name, address: '127.0.0.1', port: peerPort, cidrs: ['127.0.0.1/32'] })) };
    const front = await startFront(tempDir(`front-${plan.env.name}-`), { environment: plan.env.name, services, httpPort: port, region }, frontRoutingTable(plan));
    return { front, backends, plan };
  };
  west = await start(westPlan, westPort, northPort);
  north = await start(northPlan, northPort, westPort);
}, 60_000);

afterAll(async () => {
  for (const r of [west, north]) {
    await r?.front.stop();
    await r?.backends.close();
  }
});

/** The bucket router.lua draws for a region: crc32("region:<service>:<key>") % 10000. */
const regionBucket = (key: string) => crc32(`region:pricing:${key}`) % 10000;

test('the tables the synth writes: each front sends the other region its planned share of pricing', async () => {
  const keys = Array.from({ length: 200 }, (_, i) => `client-${i}`);
  for (const [r, share, other] of [[west, 10, north], [north, 90, west]] as const) {
    r.backends.reset();
    other.backends.reset();
    for (const key of keys) {
      const reply = await request({ port: r.front.httpPort, host: 'pricing.retail.internal', path: '/', localAddress: CLIENT, headers: { 'X-Client': key } });
      expect(reply.status).toBe(200);
    }
    const away = keys.filter((k) => regionBucket(k) < share * 100).length;
    const hits = (x: typeof west) => (x.backends.hits.get('pricing/blue') ?? 0) + (x.backends.hits.get('pricing/green') ?? 0);
    // exactly the clients whose bucket falls in the other region's range: served by its backends, under the same host name
    expect({ here: hits(r), there: hits(other) }).toEqual({ here: keys.length - away, there: away });
  }
});

test('a service in the first region only: served by the west front; the north front does not know it', async () => {
  const w = await request({ port: west.front.httpPort, host: 'catalog.retail.internal', path: '/', localAddress: CLIENT });
  expect(w.status).toBe(200);
  expect(w.body.split(' ')[0]).toBe('catalog');
  const n = await request({ port: north.front.httpPort, host: 'catalog.retail.internal', path: '/', localAddress: CLIENT });
  expect(n.status).toBe(404);
});
