/**
 * The example's front VM, booted for real: cloud-init (Debian 12's 22.4.2) runs the front scale
 * set's custom data exactly as the synth renders it, under systemd 252 as PID 1
 * (test/support/boot.ts), with nginx and its Lua module installed from Debian 12 (docs/boot-tests.md
 * says what that is not: the VM image's Ubuntu packages).
 *
 * The VM runs in a network namespace of its own (test/support/netns.ts) that has the addresses the
 * front uses on Azure: IMDS on 169.254.169.254:80 (tokens, Scheduled Events: the stubs in
 * test/support/azure-stubs.ts and scheduled-events.ts) and the slots' internal load balancer
 * frontends (10.20.1.x: the rendered upstreams). Pricing's two slots are booted VMs: the blue
 * frontend (10.20.1.5:10000-10003) leads to the example's pricing blue VM and the green frontend
 * (10.20.1.6:10000-10003) to its pricing green VM, each booted beside the front in a network of its
 * own (10.20.3.4 and 10.20.3.5, the pricing subnet) from its own slot's rendered custom data, as
 * test/boot/service-vm.test.ts boots one; every other frontend leads to a stand-in on the host that
 * says which address and port it is. The front stack's blobs (the pointer with its metadata, the config,
 * the routing table) are served from the stub store, as the synth writes them, and the front's
 * certificate from the stub vault.
 *
 * The one change to the rendered document's behaviour: a drop-in per agent unit adds an
 * EnvironmentFile= after the rendered one, pointing CONTAINER_URL and VAULT_URL at the stubs (plain
 * HTTP on the IMDS address) instead of https://<account>.blob.core.windows.net and the vault.
 *
 * Run with `npm run test:boot` (ASE_BOOT_TESTS=1, as root); skipped otherwise.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { azureStubs, type AzureStubs } from '../support/azure-stubs';
import { boot, BOOT_TESTS, bootRoot, failedUnits as failed, type BootResult, type Units, type Vm } from '../support/boot';
import { privateNetwork, type PrivateNetwork } from '../support/netns';
import { pricingExample, release, SECRET, servedUserData, type Example } from '../support/pricing-vm';
import { event, scheduledEvents, type ScheduledEventsHandler } from '../support/scheduled-events';
import { exampleSpec, synthStacks, tempDir } from '../helpers';
import { AZURE_PROBE_SOURCE } from '../../lib/spec/constants';
import { decodeCustomData } from '../../lib/compute/scale-set';

const describeBoot = BOOT_TESTS ? describe : describe.skip;
const IMDS = '169.254.169.254';
const VM_NAME = 'front-vm_0';

interface Blob {
  readonly name: string;
  readonly content: string;
}

/** What the synth renders for the front: the custom data and the blobs the front stack writes. */
interface Front {
  readonly customData: string;
  /** The custom data's bytes as the VM receives them: gzip, which cloud-init decompresses itself. */
  readonly customDataBytes: Buffer;
  readonly account: string;
  readonly container: string;
  readonly vault: string;
  readonly secret: string;
  readonly config: Blob;
  readonly table: Blob;
  readonly pointer: Blob & { readonly metadata: Record<string, string> };
}

function front(spec: ReturnType<typeof exampleSpec>): Front {
  const stack = JSON.parse(synthStacks(spec)['retail-front']);
  const ss = Object.values(stack.resource.azurerm_linux_virtual_machine_scale_set)[0] as { custom_data: string };
  const customData = decodeCustomData(ss.custom_data);
  const env = (k: string) => new RegExp(`^\\s*${k}='([^']*)'$`, 'm').exec(customData)?.[1] ?? '';
  const container = new URL(env('CONTAINER_URL'));
  const blobs = stack.resource.azurerm_storage_blob as Record<string, { name: string; source_content: string; metadata?: Record<string, string> }>;
  const byName = (ref: string) => {
    const m = /^\$\{azurerm_storage_blob\.([^.]+)\.name\}$/.exec(ref);
    return m ? blobs[m[1]].name : ref;
  };
  const pointer = Object.values(blobs).find((b) => b.metadata)!;
  const metadata = Object.fromEntries(Object.entries(pointer.metadata!).map(([k, v]) => [k, byName(v)]));
  const blob = (name: string) => ({ name, content: Object.values(blobs).find((b) => b.name === name)!.source_content });
  return {
    customData,
    customDataBytes: Buffer.from(ss.custom_data, 'base64'),
    account: container.hostname.split('.')[0],
    container: container.pathname.slice(1),
    vault: new URL(env('VAULT_URL')).hostname.split('.')[0],
    secret: env('TLS_SECRET'),
    config: blob(metadata.config),
    table: blob(metadata.table),
    pointer: { name: pointer.name, content: pointer.source_content, metadata },
  };
}

/** A self-signed certificate for the example's names, as Key Vault returns a PEM certificate's secret: the key, then the certificate. */
function certificate(): { pem: string; cert: string } {
  const dir = tempDir('ase-front-cert-');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=retail.internal', '-addext', 'subjectAltName=DNS:retail.internal,DNS:*.retail.internal', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return { pem: readFileSync(join(dir, 'key.pem'), 'utf8') + cert, cert };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One stand-in per upstream address:port (a slot's load balancer frontend): it answers with its own address; /slow?ms=N answers after N ms. */
async function standIns(addresses: readonly string[]): Promise<{ ports: Map<string, number>; close(): Promise<void> }> {
  const servers: http.Server[] = [];
  const ports = new Map<string, number>();
  for (const upstream of addresses) {
    const s = http.createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const body = JSON.stringify({ upstream, host: req.headers.host, path: u.pathname });
      const send = () => (res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }), res.end(body));
      if (u.pathname === '/slow') setTimeout(send, Number(u.searchParams.get('ms') ?? 0));
      else send();
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
    ports.set(upstream, (s.address() as AddressInfo).port);
  }
  return {
    ports,
    close: async () => {
      for (const s of servers) s.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The local port of the client's socket (the same for requests on one keep-alive connection). */
  readonly socket: number;
}

function request(opts: { port: number; host: string; path?: string; agent?: http.Agent; tls?: { ca: string } }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const o = { host: '127.0.0.1', port: opts.port, path: opts.path ?? '/', headers: { Host: opts.host }, agent: opts.agent ?? false, timeout: 30_000 };
    const req = opts.tls ? https.request({ ...o, servername: opts.host, ca: opts.tls.ca }) : http.request(o);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, socket: req.socket?.localPort ?? 0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const state = (u: Units, id: string) => `${u[id]?.ActiveState}/${u[id]?.SubState}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The release version each booted pricing slot runs (its own user data's). */
const slotVersions = new Map<string, string>();

/**
 * Who answered: a stand-in names its frontend address:port; a booted pricing VM's release answers
 * {port, version, slot, secret}, named `pricing-<slot>:<port>` once its version (that slot's
 * release) and the vault's secret are checked.
 */
function answeredBy(r: Reply): string {
  const b = JSON.parse(r.body);
  if (b.upstream) return b.upstream;
  expect(slotVersions.has(b.slot)).toBe(true);
  expect(b).toMatchObject({ version: slotVersions.get(b.slot), secret: true });
  return `pricing-${b.slot}:${b.port}`;
}

/** One of pricing's slots, booted from its own rendered custom data in a network of its own, with IMDS (and Scheduled Events) stubs of its own. */
interface SlotVm {
  readonly ex: Example;
  readonly name: string;
  readonly stubs: AzureStubs;
  readonly events: ScheduledEventsHandler;
  readonly net: PrivateNetwork;
  vm?: Vm;
}

const SVC_PORTS = [10000, 10001, 10002, 10003];

async function bootSlot(root: string, slot: 'blue' | 'green', address: string): Promise<SlotVm> {
  const ex = pricingExample(slot);
  slotVersions.set(slot, ex.userData.services.pricing.version);
  const archive = release('0.0.0.0');
  const name = `pricing-${slot}_0`;
  const events = scheduledEvents(name);
  const stubs = await azureStubs((req, res) => events.handle(req, res));
  stubs.blobs.set(new URL(stubs.blobUrl(ex.userData.services.pricing.artifact.url)).pathname.slice('/blob/'.length), archive.tarball);
  stubs.secrets.set(ex.vault, new Map([['pricing-db-password', SECRET]]));
  stubs.userData = servedUserData(ex, stubs, archive.sha, `http://${IMDS}`);
  // the load balancer's probe address on the network's side too: the drain's fence is tested from it
  const net = await privateNetwork(`pricing-${slot}`, { vm: address, addresses: [IMDS, AZURE_PROBE_SOURCE], inbound: [{ address: IMDS, port: 80, to: stubs.port }], publish: [9000, ...SVC_PORTS] });
  const vm = await boot(root, { name: `pricing-${slot}`, userData: ex.customData, network: net.path, environment: { VAULT_URL: `http://${IMDS}/vault/${ex.vault}` }, limitSeconds: 600 });
  return { ex, name, stubs, events, net, vm };
}

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, vm: Vm, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (!vm.running || Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${vm.journal().split('\n').slice(-60).join('\n')}`);
    await sleep(500);
  }
}

describeBoot('the example front VM, booted', () => {
  let root: string;
  let ex: Front;
  let green: Front;
  let tls: { pem: string; cert: string };
  let stubs: AzureStubs;
  let events: ScheduledEventsHandler;
  let upstreams: Awaited<ReturnType<typeof standIns>>;
  let net: PrivateNetwork;
  let vm: Vm | undefined;
  let storeOpen = false;
  // pricing's two slots behind the front
  let blue: SlotVm | undefined;
  let greenVm: SlotVm | undefined;
  const blobPath = (f: Front, name: string) => `${f.account}/${f.container}/${name}`;
  const publish = (f: Front) => {
    for (const b of [f.config, f.table]) stubs.blobs.set(blobPath(f, b.name), Buffer.from(b.content));
    stubs.blobs.set(blobPath(f, f.pointer.name), Buffer.from(f.pointer.content));
    stubs.blobMetadata.set(blobPath(f, f.pointer.name), f.pointer.metadata);
  };
  const get = (host: string, path = '/', agent?: http.Agent) => request({ port: net.hostPort(80), host, path, agent });

  beforeAll(async () => {
    root = bootRoot();
    ex = front(exampleSpec());
    const spec = exampleSpec();
    const pricing = spec.services.find((s) => s.name === 'pricing')!;
    // a swap, its traffic guard kept (the swap starts the guard's bake)
    pricing.traffic = { ...pricing.traffic, live: 'green' };
    green = front(spec);
    tls = certificate();
    const addresses = [...new Set([...ex.config.content.matchAll(/^\s*server (\d+\.\d+\.\d+\.\d+:\d+)/gm)].map((m) => m[1]))].sort();
    // pricing's slots' load balancer frontends (the rendered upstreams) lead to the booted VMs
    const frontendOf = { blue: '10.20.1.5', green: '10.20.1.6' } as const;
    const toVms = Object.values(frontendOf).flatMap((f) => SVC_PORTS.map((p) => `${f}:${p}`));
    expect(toVms.every((a) => addresses.includes(a))).toBe(true);
    upstreams = await standIns(addresses.filter((a) => !toVms.includes(a)));

    // pricing's VMs first: they boot while the front waits for its store
    blue = await bootSlot(root, 'blue', '10.20.3.4/24');
    greenVm = await bootSlot(root, 'green', '10.20.3.5/24');
    const toSlot = (a: string) => {
      const [addr, port] = a.split(':');
      const slot = addr === frontendOf.blue ? blue! : addr === frontendOf.green ? greenVm! : undefined;
      return slot ? slot.net.hostPort(Number(port)) : upstreams.ports.get(a)!;
    };
    events = scheduledEvents(VM_NAME);
    stubs = await azureStubs((req, res) => events.handle(req, res));
    stubs.refuse = (path) => path.startsWith('/blob/') && !storeOpen;
    stubs.secrets.set(ex.vault, new Map([[ex.secret, { value: tls.pem, contentType: 'application/x-pem-file' }]]));
    publish(ex);
    net = await privateNetwork('front', {
      vm: '10.20.0.4/24',
      addresses: [IMDS, ...new Set(addresses.map((a) => a.split(':')[0]))],
      inbound: [{ address: IMDS, port: 80, to: stubs.port }, ...addresses.map((a) => ({ address: a.split(':')[0], port: Number(a.split(':')[1]), to: toSlot(a) }))],
      publish: [80, 443, 9000],
    });
    const stub = `http://${IMDS}`;
    const dropIn = '# ase-boot (test-only): the stub store and vault, after the rendered environment file\n[Service]\nEnvironmentFile=/etc/ase-boot/front.env\n';
    vm = await boot(root, {
      name: 'front',
      // the gzip bytes, not the text: cloud-init's own decompression is part of what boots
      userData: ex.customDataBytes,
      network: net.path,
      files: [
        { path: '/etc/ase-boot/front.env', content: `CONTAINER_URL='${stub}/blob/${ex.account}/${ex.container}'\nVAULT_URL='${stub}/vault/${ex.vault}'\n` },
        { path: '/etc/systemd/system/front-sync.service.d/ase-boot.conf', content: dropIn },
        { path: '/etc/systemd/system/front-agent.service.d/ase-boot.conf', content: dropIn },
        // no package archive inside the namespace: package_update's `apt-get update` has no source
        // to read (the packages are in the root already, docs/boot-tests.md)
        { path: '/etc/apt/sources.list', content: '' },
      ],
      limitSeconds: 600,
    });
  }, 900_000);

  afterAll(async () => {
    if (vm) {
      const r = await vm.stop();
      console.log(`front boot: ${r.seconds.toFixed(1)} s, ended by ${r.ended}`);
    }
    for (const s of [blue, greenVm]) await s?.vm?.stop();
    await net?.close();
    for (const s of [blue, greenVm]) await s?.net.close();
    await stubs?.close();
    for (const s of [blue, greenVm]) await s?.stubs.close();
    await upstreams?.close();
  }, 180_000);

  test('while the store refuses the identity (a grant not yet propagated), front-sync retries and nginx does not start; once it reads the blobs, nginx starts with them and the agent runs', async () => {
    const pointer = `/blob/${blobPath(ex, ex.pointer.name)}`;
    await until('three refused reads of the pointer', () => stubs.log.filter((r) => r.path === pointer && r.status === 403).length >= 3 || undefined, vm!, 240_000);
    const waiting = vm!.units();
    expect(state(waiting, 'front-sync.service')).toBe('activating/start');
    expect(waiting['nginx.service']?.ActiveState ?? 'inactive').toBe('inactive');
    expect(failed(waiting)).toEqual([]);
    // each read was Get Blob Properties with the identity's storage token
    const reads = stubs.log.filter((r) => r.path === pointer);
    expect(new Set(reads.map((r) => r.method))).toEqual(new Set(['HEAD']));
    expect(vm!.journal()).toMatch(/front: cannot read the pointer current; keeping the current config and table/);

    storeOpen = true;
    const units = await vm!.waitForUnits('nginx and the front agent running', (u) => state(u, 'nginx.service') === 'active/running' && state(u, 'front-agent.service') === 'active/running' && state(u, 'front-sync.service') === 'active/exited');
    expect(failed(units)).toEqual([]);
    // the config nginx runs is the blob, byte for byte; the table and the certificate too
    expect((await vm!.exec('sha256sum < /etc/front/nginx.conf')).output.slice(0, 16)).toBe(ex.config.name.replace(/^config\/(\w+)\.conf$/, '$1'));
    expect((await vm!.exec('cat /var/lib/front/table.json')).output).toBe(ex.table.content);
    expect((await vm!.exec('stat -c "%U:%G %a" /etc/front/tls/front.pem; cat /etc/front/tls/front.pem')).output).toBe(`root:www-data 640\n${tls.pem}`);
    const fetched = stubs.log.filter((r) => r.path.startsWith('/blob/') && r.method === 'GET' && r.status === 200).map((r) => r.path.replace(/^\/blob\/[^/]+\/[^/]+\//, ''));
    expect(new Set(fetched)).toEqual(new Set([ex.config.name, ex.table.name]));
  }, 400_000);

  test('requests by host name reach the live slot\'s load balancer frontend, over HTTP and over HTTPS with the vault\'s certificate; pricing\'s reach the booted pricing blue VM\'s four instances, none the idle green VM', async () => {
    // both service VMs report Healthy on their own endpoints (as the load balancer's probe and the extension see them)
    for (const slot of [blue!, greenVm!]) {
      await until(`${slot.name} healthy`, async () => {
        const h = await request({ port: slot.net.hostPort(9000), host: 'x', path: '/health' }).catch(() => undefined);
        return h?.status === 200 && /"Healthy"/.test(h.body) ? true : undefined;
      }, slot.vm!, 180_000);
    }
    const live = (f: Front) => JSON.parse(f.table.content).services as Record<string, { live: string }>;
    expect(live(ex).pricing.live).toBe('blue');
    const seen = new Map<string, Set<string>>();
    for (const host of ['pricing', 'catalog', 'order-processing']) {
      seen.set(host, new Set());
      for (let i = 0; i < 12; i++) {
        const r = await get(`${host}.retail.internal`, `/items/${i}`);
        expect(r.status).toBe(200);
        const b = JSON.parse(r.body);
        if (host !== 'pricing') expect(b).toMatchObject({ host: `${host}.retail.internal`, path: `/items/${i}` });
        seen.get(host)!.add(answeredBy(r));
      }
    }
    // the rendered upstreams of each service's live slot, and only those
    expect([...seen.get('pricing')!].sort()).toEqual(['pricing-blue:10000', 'pricing-blue:10001', 'pricing-blue:10002', 'pricing-blue:10003']);
    expect([...seen.get('catalog')!]).toEqual(['10.20.1.9:10032']);
    expect(live(ex)['order-processing'].live).toBe('green');
    expect([...seen.get('order-processing')!].sort()).toEqual(['10.20.1.8:10016', '10.20.1.8:10017']);
    expect((await get('unknown.retail.internal')).status).toBe(404);

    // HTTPS: the certificate from the vault, verified against itself for the service's name
    const r = await request({ port: net.hostPort(443), host: 'pricing.retail.internal', tls: { ca: tls.cert } });
    expect(r.status).toBe(200);
    expect(answeredBy(r)).toMatch(/^pricing-blue:1000[0-3]$/);

    // the load balancer's probe, and the health report
    expect((await request({ port: net.hostPort(9000), host: 'x', path: '/healthz' })).status).toBe(200);
    const health = await request({ port: net.hostPort(9000), host: 'x', path: '/health' });
    expect(health.status).toBe(200);
  }, 120_000);

  test('a new routing table (pricing live on green) through the pointer: the agent applies it without a reload; the next requests reach the booted green VM, running its own release', async () => {
    // the config does not depend on which slot is live: only the table changes
    expect(green.config.name).toBe(ex.config.name);
    expect(green.table.name).not.toBe(ex.table.name);
    const pids = async () => (await vm!.exec('cat /run/nginx.pid; pgrep -P "$(cat /run/nginx.pid)" | sort -n')).output;
    const before = await pids();
    expect(before.trim().split('\n').length).toBeGreaterThanOrEqual(2);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get('pricing.retail.internal', '/', agent);
    expect(answeredBy(first)).toMatch(/^pricing-blue:/);

    publish(green);
    const changedAt = Date.now();
    const moved = await until('pricing answered from green', async () => {
      const r = await get('pricing.retail.internal', '/', agent);
      expect(r.status).toBe(200);
      return answeredBy(r).startsWith('pricing-green:') ? r : undefined;
    }, vm!, 60_000);
    const seconds = (Date.now() - changedAt) / 1000;
    console.log(`front boot: the new table reached nginx ${seconds.toFixed(1)} s after the pointer changed (POLL_SECONDS=5)`);
    // on the same keep-alive connection, with the same master and workers: no reload, no new worker
    expect(moved.socket).toBe(first.socket);
    expect(await pids()).toBe(before);
    // the agent logs the table once nginx answered its PUT, so the line can follow the first green answer
    const applied = new RegExp(`front: routing table .*\\(${green.table.name.replace(/[./]/g, '\\$&')}\\)`);
    await until('the agent logged the new table', async () => (applied.test(vm!.journal()) ? true : undefined), vm!, 30_000);
    // pricing has a traffic guard: the swap starts its bake, which the nginx worker (www-data)
    // keeps in the guard's state file, in the folder front-sync made for it at boot
    const state = (await vm!.exec('stat -c %U:%a /var/lib/front/guard; cat /var/lib/front/guard/state.json')).output.trim().split('\n');
    expect(state[0]).toBe('www-data:750');
    expect(JSON.parse(state[1]).swaps.pricing).toMatchObject({ from: 'blue', to: 'green' });
    expect(vm!.journal()).not.toMatch(/nginx reloaded/);
    const after = new Set<string>();
    for (let i = 0; i < 12; i++) after.add(answeredBy(await get('pricing.retail.internal', `/items/${i}`, agent)));
    expect([...after].every((a) => /^pricing-green:1000[0-3]$/.test(a))).toBe(true);
    // green runs its own slot's release, not blue's
    expect(slotVersions.get('green')).not.toBe(slotVersions.get('blue'));
    agent.destroy();
    expect(failed(vm!.units())).toEqual([]);
  }, 120_000);

  test('a Terminate event for this VM under keep-alive load: /healthz turns 503, every client leaves on a Connection: close with 0 failed requests, a request in flight finishes, nginx stops gracefully, and only then is the event approved', async () => {
    // four keep-alive clients, each a request every 20 ms on one connection, as clients behind the
    // load balancer: once the balancer has marked this VM down (the test saw the probe fail), a
    // client whose connection closes moves to another front VM (it stops here)
    const lb = { down: false };
    const clientsUntil = Date.now() + 90_000;
    const clients = Array.from({ length: 4 }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const out = { ok: 0, failures: [] as string[], leftOnClose: false };
      try {
        while (!out.leftOnClose && Date.now() < clientsUntil) {
          try {
            const r = await get('pricing.retail.internal', '/', agent);
            if (r.status === 200) out.ok++;
            else out.failures.push(`HTTP ${r.status}`);
            if (r.headers.connection === 'close' && lb.down) out.leftOnClose = true;
          } catch (e) {
            out.failures.push(String(e));
          }
          await sleep(20);
        }
      } finally {
        agent.destroy();
      }
      return out;
    });
    await sleep(1_000);
    // a request that takes 20 s, in flight when the event arrives (the load balancer wait is 15 s)
    const slowStart = Date.now();
    const slow = get('pricing.retail.internal', '/slow?ms=20000').then((r) => ({ ...r, at: Date.now() }));
    await sleep(500);
    events.setEvents([event('e-term-1', 'Terminate', [VM_NAME], 300)]);
    const probe = () => request({ port: net.hostPort(9000), host: 'x', path: '/healthz' }).catch(() => ({ status: 0 }) as Reply);
    await until('the probe answering 503', async () => ((await probe()).status === 503 ? true : undefined), vm!, 30_000);
    lb.down = true;
    const load = await Promise.all(clients);
    console.log(`front boot: drain under keep-alive load: ${load.map((c) => c.ok).join(' + ')} requests, ${load.flatMap((c) => c.failures).length} failed`);
    expect(load.flatMap((c) => c.failures)).toEqual([]);
    expect(load.map((c) => c.leftOnClose)).toEqual([true, true, true, true]);
    expect(load.every((c) => c.ok > 10)).toBe(true);
    // draining: a new request is still served, and its response closes the connection
    const during = await get('pricing.retail.internal');
    expect(during.status).toBe(200);
    expect(during.headers.connection).toBe('close');
    expect(events.approvals).toEqual([]);

    const done = await slow;
    expect(done.status).toBe(200);
    expect(answeredBy(done)).toMatch(/^pricing-green:/);
    await until('the approval', () => (events.approvals.length ? true : undefined), vm!, 120_000);
    const approval = events.approvals[0];
    expect(JSON.parse(approval.body)).toEqual({ StartRequests: [{ EventId: 'e-term-1' }] });
    // approved after the last request in flight ended, and after the load balancer wait
    expect(approval.at).toBeGreaterThanOrEqual(done.at);
    expect(approval.at - slowStart).toBeGreaterThanOrEqual(15_000);
    console.log(`front boot: drain approved ${((approval.at - slowStart) / 1000).toFixed(1)} s after the event (in-flight request ended at ${((done.at - slowStart) / 1000).toFixed(1)} s)`);
    const units = await vm!.waitForUnits('nginx and the agent stopped', (u) => u['nginx.service']?.ActiveState === 'inactive' && u['front-agent.service']?.ActiveState === 'inactive');
    expect(failed(units)).toEqual([]);
    expect((await vm!.exec('cat /run/slotenv/drain.json')).output).toMatch(/"phase": "approved"/);
  }, 180_000);

  test('a reboot while the store refuses the identity: after its retries front-sync starts nginx from the last good config and table on disk, and the front serves green again', async () => {
    events.setEvents([]);
    storeOpen = false;
    const since = stubs.log.length;
    await vm!.reboot();
    const units = await vm!.waitForUnits('nginx running again', (u) => state(u, 'nginx.service') === 'active/running' && state(u, 'front-agent.service') === 'active/running', 180_000);
    expect(failed(units)).toEqual([]);
    // the rendered BOOT_FALLBACK_TRIES (6) reads of the pointer, each refused, then the disk
    const refused = stubs.log.slice(since).filter((r) => r.path === `/blob/${blobPath(ex, ex.pointer.name)}`);
    expect(refused.length).toBeGreaterThanOrEqual(6);
    expect(new Set(refused.map((r) => r.status))).toEqual(new Set([403]));
    expect(vm!.journal()).toMatch(/front: boot: cannot read the current config and table; starting with the last good ones on disk/);
    const r = await get('pricing.retail.internal');
    expect(r.status).toBe(200);
    expect(answeredBy(r)).toMatch(/^pricing-green:1000[0-3]$/);
    // runcmd ran on the first boot only: nginx started because the first boot enabled it (read once cloud-final,
    // which runs after multi-user.target, has finished this boot: before it, the count could not show a second run)
    await vm!.waitForUnits('cloud-final finished', (u) => state(u, 'cloud-final.service').startsWith('active/'), 180_000);
    expect((await vm!.exec("grep -c \"Running command \\['/var/lib/cloud/instance/scripts/runcmd'\\]\" /var/log/cloud-init.log")).output).toBe('1\n');
    storeOpen = true;
  }, 300_000);

  test("the pricing VM drains for a Terminate naming it: its drain agent fences the load balancer's probe address with the VM's iptables, other callers are still served, and it approves", async () => {
    // a request to an instance port from inside the network: from the probe address, or from the gateway (any other caller)
    const fromNetwork = (source?: string) =>
      spawnSync('ip', ['netns', 'exec', `${blue!.net.name}-n`, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', ...(source ? ['--interface', source] : []), `http://${blue!.net.address}:${SVC_PORTS[0]}/`], { encoding: 'utf8' });
    expect(fromNetwork(AZURE_PROBE_SOURCE).stdout).toBe('200');
    // a caller's kept-alive connection (as the load balancer forwards one) sending 20 requests a
    // second for 20 s, across the drain: every request must be answered, and the approval must wait for it
    const REQUESTS = 400;
    const url = `http://${blue!.net.address}:${SVC_PORTS[0]}/`;
    const load = spawn('ip', ['netns', 'exec', `${blue!.net.name}-n`, 'curl', '-s', '--rate', '20/s', '-w', '%{http_code} %{num_connects}\\n', ...Array.from({ length: REQUESTS }, () => ['-o', '/dev/null', url]).flat()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let loadOut = '';
    load.stdout.on('data', (c) => (loadOut += c));
    const loadEnded = new Promise<number>((resolve) => load.once('exit', () => resolve(Date.now())));
    // the caller's connection is up, as the VM sees it (curl's own output comes at its exit: a pipe buffers it)
    const established = async () => (await blue!.vm!.exec(`ss -Htn state established '( sport = :${SVC_PORTS[0]} )'`)).output.includes('10.20.3.1:');
    while (!(await established())) await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    blue!.events.setEvents([event('e-svc-term', 'Terminate', [blue!.name], 240)]);
    const deadline = Date.now() + 260_000;
    while (blue!.events.approvals.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(blue!.events.approvals.map((a) => JSON.parse(a.body))).toEqual([{ StartRequests: [{ EventId: 'e-svc-term' }] }]);
    const endedAt = await loadEnded;
    const answers = loadOut.trim().split('\n');
    // every request answered 200, all on the one connection (1 connect, then 0 for each reuse)
    expect(answers).toHaveLength(REQUESTS);
    expect(answers.filter((a) => !a.startsWith('200 '))).toEqual([]);
    expect(answers.filter((a) => a !== '200 0')).toEqual(['200 1']);
    // the caller was still sending when the event came, and the approval came after its last request was answered
    expect(endedAt).toBeGreaterThan(t0 + 5000);
    expect(blue!.events.approvals[0].at).toBeGreaterThanOrEqual(endedAt - 1000);
    console.log(`pricing boot: drain under a kept-alive caller: ${REQUESTS} requests, 0 failed; approved ${((blue!.events.approvals[0].at - t0) / 1000).toFixed(1)} s after the event, ${((blue!.events.approvals[0].at - endedAt) / 1000).toFixed(1)} s after the caller's last request (NotBefore 240 s)`);
    // the fence, as the VM's own iptables holds it: one REJECT per instance port, for the probe address only
    const rules = (await blue!.vm!.exec('iptables -S INPUT')).output;
    for (const port of SVC_PORTS) expect(rules).toContain(`-A INPUT -s ${AZURE_PROBE_SOURCE}/32 -p tcp -m tcp --dport ${port} --tcp-flags FIN,SYN,RST,ACK SYN -j REJECT --reject-with tcp-reset`);
    // the probes fail (reset), every other caller is still served
    const probe = fromNetwork(AZURE_PROBE_SOURCE);
    expect(probe.stdout).toBe('000');
    expect(probe.status).not.toBe(0);
    expect(fromNetwork().stdout).toBe('200');
    expect(JSON.parse((await blue!.vm!.exec('cat /run/slotenv/drain.json')).output)).toMatchObject({ approved: ['e-svc-term'], current: { event: 'e-svc-term', phase: 'approved' } });
    expect(blue!.vm!.journal()).toMatch(/drain: Terminate e-svc-term for pricing-blue_0 \(not before .*\): draining/);
    // the fence was raised, not skipped (without a working iptables the agent drains without it, saying so)
    expect(blue!.vm!.journal()).not.toMatch(/cannot raise the fence/);
  }, 300_000);

  test('the boots end clean: cloud-init done, no unit failed, on the front and on both pricing VMs', async () => {
    for (const slot of [blue!, greenVm!]) {
      const svcResult = await slot.vm!.stop();
      slot.vm = undefined;
      expect(svcResult.ended).toBe('poweroff');
      expect(failed(svcResult.units)).toEqual([]);
      expect(svcResult.cloudInitStatus).toMatch(/^status: done$/m);
    }
    const result: BootResult = await vm!.stop();
    vm = undefined;
    console.log(`front boot: ${result.seconds.toFixed(1)} s, ended by ${result.ended}`);
    expect(result.ended).toBe('poweroff');
    expect(failed(result.units)).toEqual([]);
    expect(result.cloudInitStatus).toMatch(/^status: done$/m);
    // cloud-init 23.4 and later (Debian 13's 25.1) also list errors, deprecations among them
    if (/^errors:/m.test(result.cloudInitStatus)) expect(result.cloudInitStatus).toMatch(/^errors: \[\]$/m);
    if (/^recoverable_errors:/m.test(result.cloudInitStatus)) expect(result.cloudInitStatus).toMatch(/^recoverable_errors: \{\}$/m);
    expect(result.cloudInitOutput).not.toMatch(/Traceback|failed to run/i);
    // the only warnings are the known ones about ssh (no ssh in the root, docs/boot-tests.md)
    expect(result.cloudInitOutput.split('\n').filter((l) => /WARNING/.test(l) && !/ssh/.test(l))).toEqual([]);
    // package_update and packages ran: apt read its (empty) sources, the packages were there
    expect(result.cloudInitOutput).toMatch(/^nginx is already the newest version/m);
    expect(result.cloudInitOutput).toMatch(/^libnginx-mod-http-lua is already the newest version/m);
  }, 180_000);
});
