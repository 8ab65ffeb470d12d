/**
 * Two regions' fronts, real nginx on loopback, each with stub backends of its own per slot
 * (docs/regions.md): a service's share moves between regions by the routing table alone (no
 * reload), kept-alive clients move on their next request, a request another region's front
 * forwarded is served where it arrived (never forwarded again), and a region whose front or whose
 * slots are down is skipped for the window while the other region serves.
 *
 * The fronts reach each other from 127.0.0.1 (the peers' trusted network here); test clients
 * connect from 127.0.0.5, so a client's own X-Ase-Region header is not trusted. Each scenario has
 * a service of its own: what one finds down (a slot, a region) is marked for that service only.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tempDir } from '../helpers';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { FrontServiceConfig } from '../../lib/front/nginx-conf';
import { freePorts, request, startBackends, startFront, waitFor, type Backends, type RunningFront } from './harness';

const WEST = 'westeurope';
const NORTH = 'northeurope';
const CLIENT_ADDRESS = '127.0.0.5';
/** The scenarios' services: the shift and the loop, a region's slots down, a region's front down, this region's slots down, both regions' slots down. */
const SERVICES = ['pricing', 'catalog', 'orders', 'stock', 'ledger'] as const;
type Service = (typeof SERVICES)[number];
const host = (service: Service) => `${service}.retail.internal`;

interface Region {
  readonly name: string;
  readonly services: FrontServiceConfig[];
  front?: RunningFront;
  backends?: Backends;
  readonly dir: string;
}

/** A table sending each service's given share to the other region (0 for the others). */
const table = (version: string, other: string, shares: Partial<Record<Service, number>>) => ({
  format: 1,
  environment: 'retail',
  version,
  services: Object.fromEntries(
    SERVICES.map((name) => [
      name,
      {
        live: 'blue',
        weight: 0,
        failover: true,
        mirror: 0,
        // by a header: each test client's key decides its bucket, so the expected split is computed exactly
        affinity: { by: 'header', name: 'X-Client' },
        rules: [],
        regions: { shares: { [other]: shares[name] ?? 0 }, failover: true },
      },
    ]),
  ),
});

/** The bucket router.lua draws for a region: crc32("region:<service>:<key>") % 10000. */
const regionBucket = (key: string) => crc32(`region:pricing:${key}`) % 10000;

/** GET through a front from the client address; the body says which region's backend answered. */
async function get(port: number, key: string, opts: { agent?: http.Agent; headers?: Record<string, string>; service?: Service } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const r = await request({ port, path: '/price', host: host(opts.service ?? 'pricing'), localAddress: CLIENT_ADDRESS, agent: opts.agent, headers: { 'X-Client': key, ...opts.headers } });
  return { status: r.status, body: r.body, headers: r.headers ?? {} };
}

let west: Region;
let north: Region;
/** Which region served a body: each region's stubs listen on ports of their own. */
const regionOfPort = new Map<string, string>();
const servedBy = (body: string) => regionOfPort.get(body.trim().split(' ')[2]) ?? `none (${body.trim()})`;
const peer = (name: string, port: number) => ({ name, address: '127.0.0.1', port, cidrs: ['127.0.0.1/32'] });
const startRegion = (r: Region, port: number, other: string, otherPort: number, version: string) =>
  startFront(r.dir, { environment: 'retail', services: r.services, httpPort: port, region: { name: r.name, peers: [peer(other, otherPort)] } }, table(version, other, {}));

beforeAll(async () => {
  const ports = await freePorts(SERVICES.length * 4 + 2);
  const region = (name: string, octet: number, offset: number): Region => ({
    name,
    dir: mkdtempSync(join(tmpdir(), `ase-${name}-`)),
    services: SERVICES.map((svc, i) => {
      const [blue, green] = ports.slice(offset + i * 2, offset + i * 2 + 2);
      regionOfPort.set(String(blue), name).set(String(green), name);
      return { name: svc, hosts: [host(svc)], readTimeoutSeconds: 10, slots: { blue: { address: `127.20.${octet}.${10 + i}`, ports: [blue] }, green: { address: `127.20.${octet}.${30 + i}`, ports: [green] } } };
    }),
  });
  west = region(WEST, 1, 0);
  north = region(NORTH, 2, SERVICES.length * 2);
  const [westPort, northPort] = ports.slice(SERVICES.length * 4);
  west.backends = await startBackends(west.services);
  north.backends = await startBackends(north.services);
  west.front = await startRegion(west, westPort, NORTH, northPort, 'w0');
  north.front = await startRegion(north, northPort, WEST, westPort, 'n0');
});

afterAll(async () => {
  for (const r of [west, north]) {
    await r?.front?.stop().catch(() => undefined);
    await r?.backends?.close();
    if (r) rmSync(r.dir, { recursive: true, force: true });
  }
});

test("a region shift 0 → 10 → 50 → 100 under keep-alive load: each step is the table's split exactly, kept-alive clients move on their next request, 0 failed", async () => {
  const keys = Array.from({ length: 200 }, (_, i) => `client-${i}`);
  // four kept-alive connections, as callers behind the load balancer keep them
  const agents = Array.from({ length: 4 }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const sockets = new Set<unknown>();
  for (const a of agents) a.on('free', (s) => sockets.add(s));
  let failed = 0;
  const step = async (share: number, version: string) => {
    expect((await west.front!.putTable(table(version, NORTH, { pricing: share }))).status).toBe(200);
    const served: Record<string, number> = {};
    await Promise.all(
      agents.map(async (agent, a) => {
        for (let i = a; i < keys.length; i += agents.length) {
          const r = await get(west.front!.httpPort, keys[i], { agent });
          if (r.status !== 200) failed++;
          served[servedBy(r.body)] = (served[servedBy(r.body)] ?? 0) + 1;
        }
      }),
    );
    return served;
  };
  const expected = (share: number) => keys.filter((k) => regionBucket(k) < share * 100).length;
  for (const [share, version] of [[0, 'w1'], [10, 'w2'], [50, 'w3'], [100, 'w4']] as const) {
    const served = await step(share, version);
    expect({ share, served }).toEqual({ share, served: { ...(expected(share) < keys.length ? { [WEST]: keys.length - expected(share) } : {}), ...(expected(share) > 0 ? { [NORTH]: expected(share) } : {}) } });
  }
  expect(failed).toBe(0);
  // the split is the hash's, not a coin's: 10 % of 200 keys is near 20
  expect(expected(10)).toBeGreaterThan(8);
  expect(expected(10)).toBeLessThan(35);
  // the same four connections carried every step: no reload, no reconnect
  expect(sockets.size).toBe(4);
  for (const a of agents) a.destroy();
  // the access log says why: forwarded requests have no slot and the reason region:<name>
  await waitFor(() => west.front!.accessLog().includes(`"Reason":"region:${NORTH}"`), 5000);
});

test('clients sending continuously on kept-alive connections move on their first request after the table changes, with no error', async () => {
  expect((await west.front!.putTable(table('w4b', NORTH, { pricing: 0 }))).status).toBe(200);
  const agents = Array.from({ length: 4 }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  let changedAt = Number.POSITIVE_INFINITY;
  let stop = false;
  const seen: Array<Array<{ sentAt: number; doneAt: number; region: string; status: number }>> = agents.map(() => []);
  const clients = agents.map(async (agent, a) => {
    for (let i = 0; !stop; i++) {
      const sentAt = Date.now();
      const r = await get(west.front!.httpPort, `kept-${a}`, { agent });
      seen[a].push({ sentAt, doneAt: Date.now(), region: servedBy(r.body), status: r.status });
    }
  });
  // let every client send on its connection first, then send everything to north
  await waitFor(() => seen.every((s) => s.length >= 5), 5000);
  const putAt = Date.now();
  expect((await west.front!.putTable(table('w4c', NORTH, { pricing: 100 }))).status).toBe(200);
  changedAt = Date.now();
  await waitFor(() => seen.every((s) => s.some((x) => x.sentAt > changedAt + 5)), 5000);
  stop = true;
  await Promise.all(clients);
  for (const a of agents) a.destroy();
  for (const s of seen) {
    expect(s.filter((x) => x.status !== 200)).toEqual([]);
    // answered before the PUT was sent (the same millisecond included: this code ran after it): west; in flight across it: either
    expect(s.filter((x) => x.doneAt <= putAt).every((x) => x.region === WEST)).toBe(true);
    expect(s.filter((x) => x.doneAt <= putAt).length).toBeGreaterThanOrEqual(5);
    // sent after the PUT returned: north, from the first one on
    const after = s.filter((x) => x.sentAt > changedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((x) => x.region === NORTH)).toBe(true);
  }
});

test('a forwarded request is served where it arrives, never forwarded again, though both tables send everything away', async () => {
  expect((await west.front!.putTable(table('w5', NORTH, { pricing: 100 }))).status).toBe(200);
  expect((await north.front!.putTable(table('n5', WEST, { pricing: 100 }))).status).toBe(200);
  const viaWest = await get(west.front!.httpPort, 'loop-1');
  expect([viaWest.status, servedBy(viaWest.body)]).toEqual([200, NORTH]);
  const viaNorth = await get(north.front!.httpPort, 'loop-1');
  expect([viaNorth.status, servedBy(viaNorth.body)]).toEqual([200, WEST]);
  // a client's own X-Ase-Region is not trusted (it comes from no peer's network): forwarded as any other
  const spoofed = await get(west.front!.httpPort, 'loop-2', { headers: { 'X-Ase-Region': NORTH } });
  expect([spoofed.status, servedBy(spoofed.body)]).toEqual([200, NORTH]);
  expect((await north.front!.putTable(table('n6', WEST, {}))).status).toBe(200);
});

test("a region whose slots are all down sends the request back; the sender serves it, skips that region for the window, and keeps the signal from its client", async () => {
  expect((await west.front!.putTable(table('w7', NORTH, { catalog: 100 }))).status).toBe(200);
  await north.backends!.stop('catalog', 'blue');
  await north.backends!.stop('catalog', 'green');
  try {
    const replies = [];
    for (let i = 0; i < 6; i++) replies.push(await get(west.front!.httpPort, `down-${i}`, { service: 'catalog' }));
    // every request answered, by west's own backends
    expect(replies.map((r) => [r.status, servedBy(r.body)])).toEqual(Array(6).fill([200, WEST]));
    expect(replies.every((r) => r.headers['x-ase-region-down'] === undefined)).toBe(true);
    expect(north.front!.errorLog()).toContain(`no slot here answers a request from region ${WEST}; sending it back`);
    expect(west.front!.errorLog()).toContain(`region ${NORTH} has no slot that answers; serving here`);
    // after the signal west stops asking north: the later requests never reached north's front
    // the access log is written every second (buffer=64k flush=1s)
    await waitFor(() => north.front!.accessLog().includes(`"Reason":"bounce:${WEST}"`), 5000);
    const log = north.front!.accessLog().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const bounced = log.filter((l) => String(l.Reason).startsWith('bounce:'));
    expect(bounced.length).toBeGreaterThanOrEqual(1);
    expect(bounced.length).toBeLessThan(6);
  } finally {
    await north.backends!.start('catalog', 'blue');
    await north.backends!.start('catalog', 'green');
  }
});

test("a region whose front is down is skipped: every request served here, 0 failed", async () => {
  const northPort = north.front!.httpPort;
  await north.front!.stop();
  try {
    expect((await west.front!.putTable(table('w8', NORTH, { orders: 50 }))).status).toBe(200);
    const replies = [];
    for (let i = 0; i < 40; i++) replies.push(await get(west.front!.httpPort, `front-down-${i}`, { service: 'orders' }));
    expect(replies.filter((r) => r.status !== 200)).toEqual([]);
    expect(new Set(replies.map((r) => servedBy(r.body)))).toEqual(new Set([WEST]));
    expect(west.front!.errorLog()).toContain(`the front of region ${NORTH} refused or dropped every attempt`);
  } finally {
    north.front = await startRegion(north, northPort, WEST, west.front!.httpPort, 'n9');
  }
});

test("this region's slots down: after the first request finds them down, another region serves", async () => {
  expect((await west.front!.putTable(table('w10', NORTH, {}))).status).toBe(200);
  await west.backends!.stop('stock', 'blue');
  await west.backends!.stop('stock', 'green');
  try {
    const replies = [];
    for (let i = 0; i < 10; i++) replies.push(await get(west.front!.httpPort, `local-down-${i}`, { service: 'stock' }));
    // the first request meets both slots down (blue, then green on the failover: nginx's 502);
    // from the second on, north serves
    expect(replies[0].status).toBe(502);
    expect(replies.slice(1).map((r) => [r.status, servedBy(r.body)])).toEqual(Array(9).fill([200, NORTH]));
  } finally {
    await west.backends!.start('stock', 'blue');
    await west.backends!.start('stock', 'green');
  }
});

test('both regions\' slots down: a request sent back is never sent back again; it fails, with no loop', async () => {
  for (const r of [west, north]) for (const slot of ['blue', 'green'] as const) await r.backends!.stop('ledger', slot);
  try {
    // each front first finds its own ledger slots down (two requests each, nothing forwarded)
    for (const f of [west.front!, north.front!]) for (let i = 0; i < 2; i++) expect((await get(f.httpPort, `prime-${i}`, { service: 'ledger' })).status).toBe(502);
    // then west sends everything to north: north sends it back at once; west, its slots known down,
    // must not send it back again (a loop would bounce it between the fronts until the client gave up)
    expect((await west.front!.putTable(table('w13', NORTH, { ledger: 100 }))).status).toBe(200);
    const reply = await get(west.front!.httpPort, 'nowhere', { service: 'ledger' });
    expect(reply.status).toBe(502);
    const lines = (f: RunningFront) => f.accessLog().split('\n').filter((l) => l.includes('"Service":"ledger"'));
    await waitFor(() => lines(north.front!).some((l) => l.includes(`"Reason":"bounce:${WEST}"`)), 5000);
    await waitFor(() => lines(west.front!).length >= 4, 5000);
    // a handful of lines on each side, all 502, none a 400: a loop grows X-Forwarded-For at every hop
    // until nginx refuses the header (a mutation that drops the guard gets exactly that, 400). The
    // primes fail over across regions too (this region's slots down), so each front logs up to 8
    for (const f of [west.front!, north.front!]) {
      expect(lines(f).length).toBeLessThanOrEqual(8);
      expect(new Set(lines(f).map((l) => Number((JSON.parse(l) as { Status: unknown }).Status)))).toEqual(new Set([502]));
    }
  } finally {
    for (const r of [west, north]) for (const slot of ['blue', 'green'] as const) await r.backends!.start('ledger', slot);
  }
});

test('a table whose regions this front does not forward to, or whose shares pass 100, is refused whole', async () => {
  const bad = table('w11', NORTH, {}) as { services: Record<string, { regions: { shares: Record<string, number> } }> };
  bad.services.pricing.regions.shares.eastus = 50;
  const r = await west.front!.putTable(bad);
  expect(r.status).toBe(422);
  expect(r.body).toContain('services.pricing.regions.shares.eastus: not a region this front forwards to');
  const over = await west.front!.putTable(table('w12', NORTH, { pricing: 100.5 }));
  expect(over.status).toBe(422);
  expect(over.body).toContain('services.pricing.regions.shares.northeurope: expected 0-100 with at most two decimals');
});

test("a front that serves no service (a retired region's): nginx accepts its config, the probe answers, every host gets 404", async () => {
  // with regions, the region variables are declared in the service locations: with none, none is used
  const empty = await startFront(tempDir('front-retired-region-'), { environment: 'retail-ne', services: [], region: { name: 'northeurope', peers: [] } }, { format: 1, environment: 'retail-ne', version: 'retired', services: {} });
  try {
    expect((await request({ port: empty.statusPort, path: '/healthz' })).body).toBe('ok retired\n');
    expect((await request({ port: empty.httpPort, host: 'pricing.retail.internal' })).status).toBe(404);
  } finally {
    await empty.stop();
  }
});
