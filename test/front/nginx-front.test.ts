/**
 * The rendered front run by real nginx (Debian's, with its Lua module), with real HTTP through it
 * to stub backends on loopback: live slot, swap, ramp weight and affinity, pin rules, failover,
 * mirroring, keep-alive clients during a swap, refused tables, boot from the last good table.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrontServiceConfig } from '../../lib/front/nginx-conf';
import { frontServices, onLoopback } from '../../lib/front/model';
import { FRONT_ACCESS_LOG_FIELDS } from '../../lib/monitor/front-access-log';
import type { RouteEntry } from '../../lib/slots/traffic';
import { routeEntry, routingTable } from '../../lib/slots/traffic';
import fc from 'fast-check';
import { planOf, exampleSpec, tempDir } from '../helpers';
import { freePorts, request, sendMany, startBackends, startFront, waitFor, type Backends, type RunningFront } from './harness';

const ENV = 'test';
let serial = 0;
const entry = (over: Partial<RouteEntry> = {}): RouteEntry => ({
  live: 'blue',
  weight: 0,
  affinity: { by: 'cookie', name: 'slot_affinity', maxAgeSeconds: 86_400 },
  rules: [],
  failover: true,
  mirror: 0,
  ...over,
});
const table = (pricing: Partial<RouteEntry> = {}, catalog: Partial<RouteEntry> = {}) => ({
  format: 1,
  environment: ENV,
  version: `v${++serial}`,
  services: { catalog: entry(catalog), pricing: entry(pricing) },
});

let services: FrontServiceConfig[];
let backends: Backends;
let front: RunningFront;
/** The access log's lines, each parsed as the JSON the Azure Monitor Agent reads (a line that is not JSON throws). */
const accessEntries = (): Array<Record<string, unknown>> => front.accessLog().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

const pricing = (extra: { headers?: Record<string, string>; agent?: http.Agent; method?: string; body?: string } = {}) =>
  request({ port: front.httpPort, host: 'pricing.test.internal', path: '/quote', ...extra });

async function apply(t: unknown) {
  const r = await front.putTable(t);
  expect(r).toMatchObject({ status: 200 });
}

beforeAll(async () => {
  const ports = await freePorts(5);
  services = [
    {
      name: 'pricing',
      hosts: ['pricing.test.internal'],
      readTimeoutSeconds: 10,
      slots: { blue: { address: '127.77.1.5', ports: [ports[0], ports[1]] }, green: { address: '127.77.1.6', ports: [ports[0], ports[1]] } },
    },
    { name: 'catalog', hosts: [], pathPrefix: '/catalog/', readTimeoutSeconds: 10, slots: { blue: { address: '127.77.1.7', ports: [ports[2]] }, green: { address: '127.77.1.8', ports: [ports[2]] } } },
  ];
  backends = await startBackends(services);
  front = await startFront(tempDir('front-'), { environment: ENV, services });
});

afterAll(async () => {
  await front?.stop();
  await backends?.close();
});

beforeEach(() => backends.reset());

describe('the rendered front, run by nginx', () => {
  test('with no table yet it answers 503 and its health endpoint is unhealthy, naming why', async () => {
    const fresh = await startFront(tempDir('front-empty-'), { environment: ENV, services });
    try {
      expect(await request({ port: fresh.statusPort, path: '/healthz' })).toMatchObject({ status: 503, body: 'no routing table\n' });
      expect((await request({ port: fresh.httpPort, host: 'pricing.test.internal' })).status).toBe(503);
      expect(fresh.errorLog()).toContain('front: no routing table at');
    } finally {
      await fresh.stop();
    }
  });

  test('every request reaches the live slot, on every planned port; after a swap every request reaches the other', async () => {
    await apply(table({ live: 'blue' }));
    const before = await sendMany(200, 10, () => pricing());
    expect(before.bySlot).toEqual({ blue: 200 });
    // round robin over the slot's planned ports (each an LB rule)
    expect(new Set(before.replies.map((r) => r.body.trim().split(' ')[2])).size).toBe(2);
    await apply(table({ live: 'green' }));
    expect((await sendMany(200, 10, () => pricing())).bySlot).toEqual({ green: 200 });
  });

  test('a path-prefixed service is found by its prefix; an unknown host gets 404', async () => {
    await apply(table({}, { live: 'green' }));
    expect((await request({ port: front.httpPort, path: '/catalog/items/7' })).body).toBe(`catalog green ${services[1].slots.green.ports[0]}\n`);
    expect((await request({ port: front.httpPort, host: 'nope.test.internal', path: '/quote' })).status).toBe(404);
  });

  test('a 10 % ramp sends 10 ± 3 % of 2,000 new clients to the other slot, and a client that returns its cookie stays on its slot', async () => {
    await apply(table({ live: 'blue', weight: 10 }));
    const { bySlot, replies } = await sendMany(2000, 20, () => pricing());
    expect(bySlot.blue + bySlot.green).toBe(2000);
    expect(Math.abs((bySlot.green / 2000) * 100 - 10)).toBeLessThanOrEqual(3);
    // each new client is given an ID; its bucket (and so its slot) is fixed
    const greenReply = replies.find((r) => r.body.includes(' green '))!;
    const cookie = String(greenReply.headers!['set-cookie']).split(';')[0];
    expect(cookie).toMatch(/^slot_affinity=[0-9a-f]{16}$/);
    const again = await sendMany(100, 5, () => pricing({ headers: { Cookie: cookie } }));
    expect(again.bySlot).toEqual({ green: 100 });
    expect(again.replies.every((r) => r.headers!['set-cookie'] === undefined)).toBe(true);
  });

  test('a client keeps its slot as the ramp grows from 10 to 50 %: no one moved to the new slot goes back', async () => {
    await apply(table({ live: 'blue', weight: 10 }));
    const first = await sendMany(400, 20, () => pricing());
    const cookies = first.replies.map((r) => ({ cookie: String(r.headers!['set-cookie']).split(';')[0], slot: r.body.split(' ')[1] }));
    await apply(table({ live: 'blue', weight: 50 }));
    const second = await sendMany(400, 20, (i) => pricing({ headers: { Cookie: cookies[i].cookie } }));
    const movedBack = cookies.filter((c, i) => c.slot === 'green' && second.replies[i].body.split(' ')[1] !== 'green');
    expect(movedBack).toEqual([]);
    const share = (second.bySlot.green / 400) * 100;
    expect(share).toBeGreaterThan(40);
    expect(share).toBeLessThan(60);
  });

  test('affinity by header: one user ID always lands on one slot', async () => {
    await apply(table({ live: 'blue', weight: 50, affinity: { by: 'header', name: 'X-User' } }));
    for (const user of ['ada', 'grace', 'linus', 'barbara']) {
      const { bySlot } = await sendMany(40, 4, () => pricing({ headers: { 'X-User': user } }));
      expect(Object.keys(bySlot)).toHaveLength(1);
    }
  });

  test('pin rules by header or cookie win over the weight; the first matching rule wins', async () => {
    await apply(
      table({
        live: 'blue',
        weight: 100,
        rules: [
          { name: 'testers', header: { name: 'x-slot', value: 'blue' }, slot: 'blue' },
          { name: 'beta', cookie: { name: 'beta', value: 'yes' }, slot: 'blue' },
          { name: 'never', header: { name: 'x-slot', value: 'blue' }, slot: 'green' },
        ],
      }),
    );
    expect((await sendMany(50, 5, () => pricing())).bySlot).toEqual({ green: 50 });
    expect((await sendMany(50, 5, () => pricing({ headers: { 'X-Slot': 'blue' } }))).bySlot).toEqual({ blue: 50 });
    expect((await sendMany(50, 5, () => pricing({ headers: { Cookie: 'a=b; beta=yes' } }))).bySlot).toEqual({ blue: 50 });
    // the access log is buffered: flushed within a second
    await waitFor(() => accessEntries().some((e) => e.Service === 'pricing' && e.Slot === 'blue' && e.Reason === 'rule:testers' && /^127\.77\.1\.5:\d+$/.test(String(e.Upstream))), 3000);
  });

  test("when the live slot's backends stop, requests are served by the other slot within 2 s; without failover they fail", async () => {
    await apply(table({ live: 'blue', failover: true }));
    await backends.stop('pricing', 'blue');
    try {
      const started = Date.now();
      const first = await pricing();
      expect(first.body).toContain('pricing green');
      expect(Date.now() - started).toBeLessThan(2000);
      expect((await sendMany(100, 10, () => pricing())).bySlot).toEqual({ green: 100 });
      // a POST is retried too: the connection was refused, so nothing was sent
      expect((await pricing({ method: 'POST', body: '{}' })).body).toContain('pricing green');
      await apply(table({ live: 'blue', failover: false }));
      expect((await pricing()).status).toBe(502);
    } finally {
      await backends.start('pricing', 'blue');
    }
    // back: once the slot's down window (slotDownSeconds, 5 s) passes, the router tries it again
    await apply(table({ live: 'blue', failover: true }));
    const back = Date.now();
    await waitFor(async () => (await sendMany(20, 2, () => pricing())).bySlot.blue === 20, 8000);
    expect(Date.now() - back).toBeLessThan(6500);
  });

  test("each slot's outcome counters on /status: requests, latency buckets, 5xx and upstream errors, the failover's attempt on the slot it left", async () => {
    type Counts = Record<string, number>;
    // a front of its own with one worker: /status adds that worker's counts before it reads, so
    // every reading is exact at once (with more workers each adds its own within a second)
    const solo = await startFront(tempDir('front-counters-'), { environment: ENV, services, workerProcesses: 1 }, table({ live: 'blue', failover: true }));
    const get = () => request({ port: solo.httpPort, host: 'pricing.test.internal', path: '/quote' });
    const counts = async () => JSON.parse((await request({ port: solo.statusPort, path: '/status' })).body).counters.pricing as Record<'blue' | 'green', { total: Counts; last_5m: Counts }>;
    const delta = (a: Counts, b: Counts) => Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - (a[k] ?? 0)]));
    const buckets = (c: Counts) => c['le_0.05'] + c['le_0.2'] + c['le_1'] + c.le_inf;
    try {
      const c0 = await counts();
      expect(c0.blue.total.requests).toBe(0);
      expect((await sendMany(30, 5, get)).bySlot).toEqual({ blue: 30 });
      const c1 = await counts();
      const d1 = delta(c0.blue.total, c1.blue.total);
      expect(d1).toMatchObject({ requests: 30, '5xx': 0, upstream_errors: 0 });
      expect(buckets(d1)).toBe(30);
      expect(delta(c0.green.total, c1.green.total).requests).toBe(0);
      expect(c1.blue.last_5m.requests).toBe(30);
      await backends.stop('pricing', 'blue');
      try {
        // the first request tries blue, fails over to green; the next nine skip blue, known down
        for (let i = 0; i < 10; i++) expect((await get()).body).toContain('pricing green');
        const c2 = await counts();
        expect(delta(c1.blue.total, c2.blue.total)).toMatchObject({ requests: 0, upstream_errors: 1 });
        expect(delta(c1.green.total, c2.green.total)).toMatchObject({ requests: 10, '5xx': 0, upstream_errors: 0 });
        // without failover the request fails in blue: a request, a 5xx and an upstream error there
        expect((await solo.putTable(table({ live: 'blue', failover: false }))).status).toBe(200);
        expect((await get()).status).toBe(502);
        const c3 = await counts();
        expect(delta(c2.blue.total, c3.blue.total)).toMatchObject({ requests: 1, '5xx': 1, upstream_errors: 1 });
      } finally {
        await backends.start('pricing', 'blue');
      }
    } finally {
      await solo.stop();
    }
  });

  test('request bodies up to 64 KB reach the slot from memory (no temp file); a larger one is written to one first, and still served', async () => {
    await apply(table());
    const before = front.errorLog().split('temporary file').length;
    for (const kb of [1, 24, 60]) expect(await pricing({ method: 'POST', body: 'x'.repeat(kb * 1024), headers: { 'Content-Type': 'application/octet-stream' } })).toMatchObject({ status: 200 });
    expect(front.errorLog().split('temporary file').length).toBe(before);
    // nginx's workers (nobody here, www-data on the VM) write the temp file: on the VM the package's
    // /var/lib/nginx is theirs; here the test's folder must let them through
    chmodSync(front.dir, 0o711);
    expect(await pricing({ method: 'POST', body: 'x'.repeat(256 * 1024), headers: { 'Content-Type': 'application/octet-stream' } })).toMatchObject({ status: 200 });
    expect(front.errorLog()).toContain('a client request body is buffered to a temporary file');
  });

  test('mirroring 20 % copies about that share of live requests to the other slot; clients only ever see the live slot', async () => {
    await apply(table({ live: 'blue', mirror: 20 }));
    const { bySlot } = await sendMany(1000, 10, () => pricing());
    expect(bySlot).toEqual({ blue: 1000 });
    await new Promise((r) => setTimeout(r, 200)); // copies finish after the replies
    const copies = backends.hits.get('pricing/green') ?? 0;
    expect(backends.hits.get('pricing/blue')).toBe(1000);
    expect(copies).toBeGreaterThanOrEqual(150);
    expect(copies).toBeLessThanOrEqual(250);
  });

  test('a client holding one keep-alive connection and sending continuously reaches the new live slot on its first request after the swap, with no error', async () => {
    // bounded by counts, not time: 60 requests before the swap and 60 after it was accepted, far
    // below nginx's keepalive_requests (10000), so the client never needs a second connection
    await apply(table({ live: 'blue' }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const seen: Array<{ sentAfterSwap: boolean; slot: string; status: number }> = [];
    let sockets = 0;
    const origCreate = agent.createConnection.bind(agent);
    (agent as unknown as { createConnection: typeof origCreate }).createConnection = (...args: Parameters<typeof origCreate>) => {
      sockets++;
      return origCreate(...args);
    };
    let swapped = false;
    let afterSwap = 0;
    let beforeSwap = 0;
    let reachedBefore!: () => void;
    const before = new Promise<void>((r) => (reachedBefore = r));
    const client = (async () => {
      while (afterSwap < 60) {
        const sentAfterSwap = swapped;
        const r = await pricing({ agent });
        seen.push({ sentAfterSwap, slot: r.body.split(' ')[1], status: r.status });
        if (sentAfterSwap) afterSwap++;
        else if (++beforeSwap === 60) reachedBefore();
      }
    })();
    await before;
    await apply(table({ live: 'green' })); // resolves once nginx has accepted the table
    swapped = true;
    await client;
    agent.destroy();
    expect(seen.every((s) => s.status === 200)).toBe(true);
    expect(sockets).toBe(1); // one connection throughout
    expect(seen.filter((s) => !s.sentAfterSwap).slice(0, 60).every((s) => s.slot === 'blue')).toBe(true);
    const after = seen.filter((s) => s.sentAfterSwap);
    expect(after).toHaveLength(60);
    expect(after.every((s) => s.slot === 'green')).toBe(true);
  });

  test.each([
    ['malformed JSON', '{"format":1,', /table: not JSON/],
    ['an unknown slot', JSON.stringify({ ...table({ live: 'red' as 'blue' }) }), /services\.pricing\.live: unknown slot red/],
    ['a rule naming an unknown slot', JSON.stringify(table({ rules: [{ name: 'x', header: { name: 'x-a', value: 'b' }, slot: 'purple' as 'blue' }] })), /services\.pricing\.rules\[0\]\.slot: unknown slot purple/],
    ['a missing service', JSON.stringify({ format: 1, environment: ENV, version: 'v-missing', services: { pricing: entry() } }), /services\.catalog: missing/],
    ['an unknown service', JSON.stringify({ ...table(), services: { ...table().services, search: entry() } }), /services\.search: unknown service/],
    ['a weight out of range', JSON.stringify(table({ weight: 120 })), /services\.pricing\.weight: expected 0-100/],
  ])('a table with %s is refused: the last good one keeps serving, and the log and status say why', async (_, raw, reason) => {
    await apply(table({ live: 'green' }));
    const good = JSON.parse((await request({ port: front.statusPort, path: '/status' })).body).version;
    const r = await front.putTable(raw);
    expect(r.status).toBe(422);
    expect(r.body).toMatch(reason);
    expect((await sendMany(50, 5, () => pricing())).bySlot).toEqual({ green: 50 });
    expect(front.errorLog()).toMatch(new RegExp(`front: routing table refused \\(admin\\): .*${reason.source}.*; still serving version ${good}`));
    const status = JSON.parse((await request({ port: front.statusPort, path: '/status' })).body);
    expect(status.version).toBe(good);
    expect(status.error).toMatch(reason);
    // the LB probe stays healthy: every front refuses the same table, and taking them all out would be an outage
    const health = await request({ port: front.statusPort, path: '/healthz' });
    expect(health.status).toBe(200);
    expect(health.body).toContain('a newer table was refused');
  });

  test('every table the library can write is accepted by the Lua check (100 random traffic plans)', async () => {
    const header = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
    const cookie = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,15}$/);
    const value = fc.stringMatching(/^[\x21-\x7e]{1,20}$/);
    const slot = fc.constantFrom('blue' as const, 'green' as const);
    const traffic = fc.record({
      live: slot,
      weight: fc.integer({ min: 0, max: 10_000 }).map((b) => b / 100),
      affinity: fc.oneof(
        fc.record({ by: fc.constant('cookie' as const), name: cookie, maxAgeSeconds: fc.integer({ min: 60, max: 31_536_000 }) }),
        fc.record({ by: fc.constant('header' as const), name: header }),
        fc.constant({ by: 'address' as const }),
        fc.constant({ by: 'none' as const }),
      ),
      rules: fc.array(
        fc.oneof(
          fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), header: fc.record({ name: header, value }), slot }),
          fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), cookie: fc.record({ name: cookie, value }), slot }),
        ),
        { maxLength: 3 },
      ),
      failover: fc.boolean(),
      mirror: fc.integer({ min: 0, max: 100 }),
    });
    await fc.assert(
      fc.asyncProperty(traffic, traffic, async (p, c) => {
        const r = await front.putTable({ format: 1, environment: ENV, version: `p${++serial}`, services: { pricing: routeEntry(p), catalog: routeEntry(c) } });
        expect(r).toEqual({ status: 200, body: `applied p${serial}\n`, headers: expect.anything() });
        expect((await pricing()).status).toBe(200);
      }),
      { numRuns: 100 },
    );
  });

  test("every line the front logged is one JSON object with the data collection rule's fields and types, whatever the request held", async () => {
    await apply(table({ live: 'blue' }));
    // a path with a quote, a backslash, a line break and non-ASCII (nginx decodes $uri), and an unknown host
    const odd = '/q%22uote%5Cback%0Aline%C3%A9';
    expect((await request({ port: front.httpPort, host: 'pricing.test.internal', path: odd })).status).toBe(200);
    expect((await request({ port: front.httpPort, host: 'nobody.test.internal', path: '/' })).status).toBe(404);
    // each worker buffers its own lines (buffer=64k flush=1s): the two requests may sit in two workers' buffers
    await waitFor(() => {
      const seen = accessEntries();
      return seen.some((e) => e.Host === 'nobody.test.internal') && seen.some((e) => e.Path === '/q"uote\\back\nlineé');
    }, 5000);
    const entries = accessEntries();
    // every test above wrote here too (thousands of lines of live, ramp, rule, failover and mirrored requests in a whole run)
    expect(entries.length).toBeGreaterThan(100);
    const names = FRONT_ACCESS_LOG_FIELDS.map((f) => f.name);
    const wrongType = (v: unknown, type: string) =>
      type === 'int' || type === 'long' ? !Number.isInteger(v) : type === 'real' ? typeof v !== 'number' : typeof v !== 'string';
    // plain checks per line (thousands of them), the first bad line reported whole
    for (const e of entries) {
      const bad = FRONT_ACCESS_LOG_FIELDS.filter((f) => wrongType(e[f.name], f.type)).map((f) => `${f.name}=${JSON.stringify(e[f.name])}`);
      if (Object.keys(e).join() !== names.join()) bad.push(`fields ${Object.keys(e).join()}`);
      // todatetime() in the transform reads ISO 8601 with its offset
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/.test(String(e.Time))) bad.push('Time');
      if (!/^[0-9a-f]{32}$/.test(String(e.RequestId))) bad.push('RequestId');
      // toint() in the transform: three digits
      if (!/^\d{3}$/.test(String(e.Status))) bad.push('Status');
      if (bad.length > 0) throw new Error(`a line the stream would mistype: ${bad.join(', ')} in ${JSON.stringify(e)}`);
    }
    expect(entries.find((e) => e.Path === '/q"uote\\back\nlineé')).toMatchObject({ Service: 'pricing', Slot: 'blue', Reason: 'live', Status: '200' });
    expect(entries.find((e) => e.Host === 'nobody.test.internal')).toMatchObject({ Service: '', Slot: '', Status: '404', Upstream: '' });
    const slots = new Set(entries.map((e) => e.Slot));
    expect([...slots].sort()).toEqual(['', 'blue', 'green']);
  });

  test('a new front boots with the last good table on disk and serves at once', async () => {
    const t = table({ live: 'green' });
    const fresh = await startFront(tempDir('front-boot-'), { environment: ENV, services }, t);
    try {
      expect((await request({ port: fresh.statusPort, path: '/healthz' })).body).toBe(`ok ${t.version}\n`);
      expect((await request({ port: fresh.httpPort, host: 'pricing.test.internal' })).body).toContain('pricing green');
    } finally {
      await fresh.stop();
    }
  });
});

describe('the example environment through its rendered front', () => {
  test('every service behind the front answers from its live slot, by host name, with the table the synth writes', async () => {
    const plan = planOf(exampleSpec());
    // loopback addresses of their own (127.20.x.y → 127.120.x.y): the preview test runs the same plan in parallel
    const svcs = onLoopback(frontServices(plan)).map((s) => ({
      ...s,
      slots: { blue: { ...s.slots.blue, address: s.slots.blue.address.replace(/^127\.20\./, '127.120.') }, green: { ...s.slots.green, address: s.slots.green.address.replace(/^127\.20\./, '127.120.') } },
    }));
    const stubs = await startBackends(svcs);
    const f = await startFront(tempDir('front-example-'), { environment: plan.env.name, services: svcs }, routingTable(plan.env));
    try {
      for (const svc of plan.env.services) {
        const r = await request({ port: f.httpPort, host: `${svc.name}.retail.internal`, path: '/' });
        expect(r.body.split(' ').slice(0, 2)).toEqual([svc.name, svc.traffic.live]);
      }
    } finally {
      await f.stop();
      await stubs.close();
    }
  });
});

describe('TLS with a certificate file as the Key Vault extension writes it', () => {
  /** A self-signed certificate and its key in one PEM file, as the extension stores them. */
  const makePem = (file: string, cn: string) => {
    const dir = tempDir('front-cert-');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${cn}`, '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    writeFileSync(`${file}.tmp`, readFileSync(join(dir, 'c.pem'), 'utf8') + readFileSync(join(dir, 'k.pem'), 'utf8'));
    chmodSync(`${file}.tmp`, 0o644);
    renameSync(`${file}.tmp`, file); // replaced whole: nginx must never read half of one
  };
  const subjectSeen = (port: number) => {
    const r = spawnSync('sh', ['-c', `openssl s_client -connect 127.0.0.1:${port} -servername pricing.test.internal </dev/null 2>/dev/null | openssl x509 -noout -subject`], { encoding: 'utf8' });
    return r.stdout.trim();
  };

  test('serves HTTPS; a renewed certificate is served on the next handshake with no reload, and a kept-alive client never notices', async () => {
    const dir = tempDir('front-tls-');
    // with a variable path the workers (not the root master) read the file per handshake: it must
    // be readable by their user (found here: root-only files fail every handshake)
    chmodSync(dir, 0o755);
    const pem = join(dir, 'kv.front-tls');
    makePem(pem, 'first.test.internal');
    const f = await startFront(dir, { environment: ENV, services, tlsFile: pem, https: true }, table({ live: 'green' }));
    try {
      const httpsPort = Number(/listen 127\.0\.0\.1:(\d+) ssl/.exec(readFileSync(f.confPath, 'utf8'))![1]);
      expect(subjectSeen(httpsPort)).toBe('subject=CN = first.test.internal');
      // async: the stub backends answer from this process
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port: httpsPort, servername: 'pricing.test.internal', headers: { Host: 'pricing.test.internal' }, rejectUnauthorized: false, agent: false }, (res) => {
            let b = '';
            res.on('data', (c) => (b += c));
            res.on('end', () => resolve(b));
          })
          .on('error', reject);
      });
      expect(body).toContain('pricing green');
      const pid = readFileSync(join(dir, 'nginx.pid'), 'utf8');
      makePem(pem, 'renewed.test.internal');
      expect(subjectSeen(httpsPort)).toBe('subject=CN = renewed.test.internal');
      expect(readFileSync(join(dir, 'nginx.pid'), 'utf8')).toBe(pid);
      expect(f.errorLog()).not.toMatch(/SIGHUP|reconfiguring/);

      // keep-alive clients across five renewals: one TLS connection, every request answered
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false, servername: 'pricing.test.internal' });
      const sockets = new Set<unknown>();
      const statuses: number[] = [];
      let running = true;
      const client = (async () => {
        while (running) {
          statuses.push(
            await new Promise<number>((resolve, reject) => {
              const req = https.get({ host: '127.0.0.1', port: httpsPort, headers: { Host: 'pricing.test.internal' }, agent }, (res) => {
                res.resume();
                res.on('end', () => resolve(res.statusCode ?? 0));
              });
              req.on('socket', (sock) => sockets.add(sock));
              req.on('error', reject);
            }),
          );
        }
      })();
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 150));
        makePem(pem, `renewal-${i}.test.internal`);
      }
      await new Promise((r) => setTimeout(r, 150));
      running = false;
      await client;
      agent.destroy();
      expect(statuses.length).toBeGreaterThan(50);
      expect(statuses.every((st) => st === 200)).toBe(true);
      expect(sockets.size).toBe(1); // one TLS connection, one handshake
      expect(subjectSeen(httpsPort)).toBe('subject=CN = renewal-4.test.internal');
    } finally {
      await f.stop();
    }
  });
});

describe('failover when the live slot drops connections, as an internal LB with no healthy backend does', () => {
  /** A listener whose accept queue is full and never drained: further SYNs are dropped, connects time out. */
  const BLACKHOLE = `
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(0)
fill = []
for _ in range(3):
    c = socket.socket(); c.setblocking(False)
    try: c.connect((sys.argv[1], int(sys.argv[2])))
    except BlockingIOError: pass
    fill.append(c)
print("ready", flush=True)
time.sleep(60)
`;

  test('the first request waits one 1 s connect timeout per planned port, then the other slot serves at once', async () => {
    const [p1, p2] = await freePorts(2);
    const svcs: FrontServiceConfig[] = [
      { name: 'pricing', hosts: ['pricing.test.internal'], readTimeoutSeconds: 10, slots: { blue: { address: '127.79.1.5', ports: [p1, p2] }, green: { address: '127.79.1.6', ports: [p1, p2] } } },
      { name: 'catalog', hosts: [], pathPrefix: '/catalog/', readTimeoutSeconds: 10, slots: { blue: { address: '127.79.1.7', ports: [p1] }, green: { address: '127.79.1.8', ports: [p1] } } },
    ];
    const holes = await Promise.all(
      [p1, p2].map(
        (p) =>
          new Promise<ChildProcess>((resolve) => {
            const child = spawn('python3', ['-c', BLACKHOLE, '127.79.1.5', String(p)]);
            child.stdout.once('data', () => resolve(child));
          }),
      ),
    );
    const green = await startBackends([{ ...svcs[0], slots: { ...svcs[0].slots, blue: { address: '127.79.1.9', ports: [] } } }]);
    const f = await startFront(tempDir('front-drop-'), { environment: ENV, services: svcs }, table({ live: 'blue', failover: true }));
    try {
      const ask = () => request({ port: f.httpPort, host: 'pricing.test.internal', path: '/' });
      let t = Date.now();
      const first = await ask();
      const firstMs = Date.now() - t;
      expect(first.body).toContain('pricing green');
      // two ports, each a 1 s connect timeout (the workers share the failed state through the zone)
      expect(firstMs).toBeGreaterThanOrEqual(1900);
      expect(firstMs).toBeLessThan(3500);
      t = Date.now();
      const next = await sendMany(20, 4, ask);
      expect(next.bySlot).toEqual({ green: 20 });
      expect(Date.now() - t).toBeLessThan(1000);
    } finally {
      await f.stop();
      await green.close();
      for (const h of holes) h.kill();
    }
  });
});
