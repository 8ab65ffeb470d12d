/**
 * The front agent (lib/front/vm/front-agent.sh) run for real (sh + curl) against a stub IMDS and a stub blob endpoint on
 * loopback (Get Blob for the content-addressed blobs, Get Blob Properties with x-ms-meta-* for the
 * pointer), with real nginx: boot fetch, a swap reaching nginx with no reload, a refused table and
 * a refused config (named log lines, the last good one keeps serving), a structural change (a new
 * service) applied by a reload, and every state an apply of a traffic change can leave the store
 * in (Terraform's create-before-destroy order, a failed create, a failed delete), each with a
 * running VM and a VM booting in it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { frontBlobName, KEY_VAULT_API_VERSION, renderAgentEnv } from '../../lib/front/agent';
import { localFrontPaths, renderNginxConf, type FrontServiceConfig } from '../../lib/front/nginx-conf';
import { tempDir } from '../helpers';
import { vmProgram } from '../support/vm-programs';

/** The guard as the VM runs it (python3 is on every image cloud-init runs on). */
const GUARD_FILE = vmProgram('front', 'conf-guard.py');
import { freePorts, request, sendMany, startBackends, waitFor, type Backends } from './harness';

const ENV = 'test';
/** The token the stub IMDS issues for Key Vault (the store's is tok-1). */
const VAULT_TOKEN = 'vtok-1';
const entry = (live: string) => ({ live, weight: 0, affinity: { by: 'none' }, rules: [], failover: true, mirror: 0 });

let dir: string;
/** The container: blob name → content. */
let blobs: Map<string, string>;
/** The pointer blob's metadata; undefined: no pointer blob. */
let pointer: { config: string; table: string } | undefined;
/** Get Blob Properties calls on the pointer, to wait for the agent's next polls. */
let pointerReads = 0;
let stub: http.Server;
let stubPort: number;
let backends: Backends;
let services: FrontServiceConfig[];
let ports: { http: number; status: number; admin: number };
let agent: ChildProcess | undefined;
let agentLog = '';
let envFile: string;
let search: FrontServiceConfig;

const conf = (svcs: FrontServiceConfig[]) =>
  renderNginxConf({ environment: ENV, services: svcs, listenAddress: '127.0.0.1', ports: { http: ports.http }, statusPort: ports.status, adminPort: ports.admin, paths: localFrontPaths(dir), workerProcesses: 1 });
const table = (version: string, svcs: Record<string, string>) => JSON.stringify({ format: 1, environment: ENV, version, services: Object.fromEntries(Object.entries(svcs).map(([k, v]) => [k, entry(v)])) });
const nginxArgs = () => ['-c', join(dir, 'nginx.conf'), '-p', `${dir}/`];
const runAgent = (mode: string) => {
  const env = {
    ...process.env,
    IMDS_URL: `http://127.0.0.1:${stubPort}`,
    RELOAD: `nginx ${nginxArgs().join(' ')} -s reload`,
    GUARD: `python3 ${GUARD_FILE}`,
  };
  return { env, cmd: ['sh', '-c', `set -a; . ${envFile}; set +a; exec ${join(dir, 'front-agent')} ${mode}`] };
};
const ask = (host: string) => request({ port: ports.http, host, path: '/' });
/** Terraform's create of a content-addressed blob: its name. */
const create = (kind: 'config' | 'table', content: string) => {
  const name = frontBlobName(kind, content);
  blobs.set(name, content);
  return name;
};
/** The whole apply of a new config and table, as Terraform orders it (create, pointer update, delete). */
const publish = (confText: string, tableText: string) => {
  const old = pointer;
  pointer = { config: create('config', confText), table: create('table', tableText) };
  for (const n of [old?.config, old?.table]) if (n && n !== pointer.config && n !== pointer.table) blobs.delete(n);
};
/** Resolves after the running agent has read the pointer `n` more times (so it acted on what it saw). */
const polls = async (n = 2) => {
  const until = pointerReads + n;
  await waitFor(() => pointerReads >= until, 8000);
};

beforeAll(async () => {
  dir = tempDir('front-agent-');
  mkdirSync(join(dir, 'temp'));
  const [a, b, c, d, e, f] = await freePorts(6);
  ports = { http: a, status: b, admin: c };
  services = [{ name: 'pricing', hosts: ['pricing.test.internal'], readTimeoutSeconds: 5, slots: { blue: { address: '127.78.1.5', ports: [d] }, green: { address: '127.78.1.6', ports: [d] } } }];
  search = { name: 'search', hosts: ['search.test.internal'], readTimeoutSeconds: 5, slots: { blue: { address: '127.78.1.7', ports: [e] }, green: { address: '127.78.1.8', ports: [e] } } };
  backends = await startBackends([...services, search]);
  blobs = new Map();
  publish(conf(services), table('v1', { pricing: 'blue' }));
  stub = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/metadata/identity/oauth2/token') {
      // one token per resource: the store's, and the vault's (the front's certificate)
      const resource = url.searchParams.get('resource');
      const tok = resource === 'https://storage.azure.com/' ? 'tok-1' : resource === 'https://vault.azure.net' ? VAULT_TOKEN : undefined;
      const ok = tok !== undefined && req.headers.metadata === 'true' && url.searchParams.get('msi_res_id') === '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-front';
      res.writeHead(ok ? 200 : 400).end(ok ? `{"access_token": "${tok}", "expires_in": "3599"}` : 'bad');
      return;
    }
    if (req.headers.authorization !== 'Bearer tok-1' || !req.headers['x-ms-version']) return void res.writeHead(403).end();
    if (url.pathname === '/front/current') {
      // the pointer: Get Blob Properties (HEAD), its metadata as x-ms-meta-* headers
      if (req.method !== 'HEAD') return void res.writeHead(405).end();
      pointerReads++;
      if (!pointer) return void res.writeHead(404).end();
      return void res.writeHead(200, { 'x-ms-meta-config': pointer.config, 'x-ms-meta-table': pointer.table, 'content-length': '0' }).end();
    }
    const blob = url.pathname.startsWith('/front/') ? blobs.get(url.pathname.slice('/front/'.length)) : undefined;
    res.writeHead(blob === undefined ? 404 : 200).end(req.method === 'HEAD' ? undefined : blob);
  });
  stubPort = f;
  await new Promise<void>((r) => stub.listen(stubPort, '127.0.0.1', r));
  copyFileSync(vmProgram('front', 'front-agent.sh'), join(dir, 'front-agent'));
  chmodSync(join(dir, 'front-agent'), 0o755);
  envFile = join(dir, 'agent.env');
  writeFileSync(
    envFile,
    renderAgentEnv({ containerUrl: `http://127.0.0.1:${stubPort}/front`, identityResourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-front', pollSeconds: 1 })
      .replace(/^ADMIN_URL=.*$/m, `ADMIN_URL='http://127.0.0.1:${ports.admin}/table'`)
      .replace(/^CONF_PATH=.*$/m, `CONF_PATH='${join(dir, 'nginx.conf')}'`)
      .replace(/^TABLE_PATH=.*$/m, `TABLE_PATH='${join(dir, 'table.json')}'`)
      .replace(/^STATE_DIR=.*$/m, `STATE_DIR='${join(dir, 'state')}'`)
      // the guard holds the config to this run's nginx paths (the VM's are the defaults)
      .replace(/^GUARD_TEMP=.*$/m, `GUARD_TEMP='${localFrontPaths(dir).temp}'`)
      .replace(/^GUARD_TABLE=.*$/m, `GUARD_TABLE='${join(dir, 'table.json')}'`)
      .replace(/^GUARD_TRIP_STATE=.*$/m, `GUARD_TRIP_STATE='${localFrontPaths(dir).guardState}'`)
      .replace(/^GUARD_LUA_DIR=.*$/m, `GUARD_LUA_DIR='${localFrontPaths(dir).lua}'`)
      .replace(/^GUARD_PID=.*$/m, `GUARD_PID='${localFrontPaths(dir).pid}'`)
      .replace(/^GUARD_ERROR_LOG=.*$/m, `GUARD_ERROR_LOG='${localFrontPaths(dir).errorLog}'`)
      .replace(/^GUARD_ACCESS_LOG=.*$/m, `GUARD_ACCESS_LOG='${localFrontPaths(dir).accessLog}'`),
  );
});

afterAll(async () => {
  agent?.kill();
  if (existsSync(join(dir, 'nginx.pid'))) {
    const pid = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8'));
    spawnSync('nginx', [...nginxArgs(), '-s', 'quit']);
    await waitFor(() => { try { process.kill(pid, 0); return false; } catch { return true; } }, 10_000).catch(() => undefined);
  }
  await backends?.close();
  await new Promise((r) => stub?.close(r));
});

const current = (kind: 'config' | 'table') => blobs.get(kind === 'config' ? pointer!.config : pointer!.table)!;

test('boot: the agent reads the pointer, fetches the config and table it names with the identity before nginx starts, and nginx serves the table at once', async () => {
  const { env, cmd } = runAgent('once');
  // async: the stub endpoints live in this process
  const r = await new Promise<{ stdout: string }>((resolve) => {
    const child = spawn(cmd[0], cmd.slice(1), { env });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stdout += d));
    const timer = setTimeout(() => child.kill(), 20_000);
    child.on('exit', () => { clearTimeout(timer); resolve({ stdout }); });
  });
  expect(r.stdout).toContain('front: boot: config and routing table in place');
  expect(readFileSync(join(dir, 'nginx.conf'), 'utf8')).toBe(current('config'));
  const started = spawnSync('nginx', nginxArgs(), { encoding: 'utf8' });
  // nginx's own words when it does not start (a port taken, say), not only its exit code
  expect({ status: started.status, stderr: started.status === 0 ? '' : started.stderr }).toEqual({ status: 0, stderr: '' });
  await waitFor(async () => (await request({ port: ports.status, path: '/healthz' }).catch(() => undefined))?.status === 200);
  expect((await ask('pricing.test.internal')).body).toContain('pricing blue');
});

test('loop: a swap, step by step as Terraform applies it (create, pointer update, delete), reaches nginx within a poll of the pointer update, with no reload', async () => {
  const { env, cmd } = runAgent('loop');
  agent = spawn(cmd[0], cmd.slice(1), { env });
  agent.stdout!.on('data', (d) => (agentLog += d));
  agent.stderr!.on('data', (d) => (agentLog += d));
  const pid = readFileSync(join(dir, 'nginx.pid'), 'utf8');
  const old = pointer!;
  // 1. the new table's blob is created; the pointer still names the old one: nothing moves
  const v2 = create('table', table('v2', { pricing: 'green' }));
  await polls();
  expect((await sendMany(20, 4, () => ask('pricing.test.internal'))).bySlot).toEqual({ blue: 20 });
  // 2. the pointer's metadata is updated in place
  pointer = { config: old.config, table: v2 };
  await waitFor(async () => (await ask('pricing.test.internal')).body.includes('pricing green'), 5000);
  await waitFor(() => agentLog.includes(`front: routing table applied v2 (${v2})`), 3000);
  // 3. the old blob is deleted: nothing moves
  blobs.delete(old.table);
  await polls();
  expect((await sendMany(20, 4, () => ask('pricing.test.internal'))).bySlot).toEqual({ green: 20 });
  expect(readFileSync(join(dir, 'table.json'), 'utf8')).toBe(blobs.get(v2));
  expect(readFileSync(join(dir, 'error.log'), 'utf8')).not.toMatch(/signal 1 \(SIGHUP\) received/);
  expect(readFileSync(join(dir, 'nginx.pid'), 'utf8')).toBe(pid);
});

test('a table nginx refuses is logged by name; the last good one keeps serving and stays on disk', async () => {
  const good = readFileSync(join(dir, 'table.json'), 'utf8');
  publish(current('config'), table('v3', { pricing: 'red' }));
  await waitFor(() => agentLog.includes(`front: routing table ${pointer!.table} refused: refused: services.pricing.live: unknown slot red`), 5000);
  expect((await sendMany(20, 4, () => ask('pricing.test.internal'))).bySlot).toEqual({ green: 20 });
  expect(readFileSync(join(dir, 'table.json'), 'utf8')).toBe(good);
});

test('a config that fails nginx -t is refused by name; the running front keeps serving, and its health endpoint warns', async () => {
  const running = readFileSync(join(dir, 'nginx.conf'), 'utf8');
  publish(conf(services).replace('max_fails=0', 'max_fails=oops'), table('v4', { pricing: 'green' }));
  await waitFor(() => new RegExp(`front: config ${pointer!.config.replace('.', '\\.')} refused \\(nginx -t\\): .*invalid parameter "max_fails=oops"`).test(agentLog), 6000);
  // never installed: the running config stays on disk too
  expect(readFileSync(join(dir, 'nginx.conf'), 'utf8')).toBe(running);
  expect((await sendMany(20, 4, () => ask('pricing.test.internal'))).bySlot).toEqual({ green: 20 });
  await waitFor(async () => /a newer config was refused: config config\/[0-9a-f]{16}\.conf refused \(nginx -t\)/.test(JSON.parse((await request({ port: ports.status, path: '/health' })).body).warning ?? ''), 3000);
  expect(JSON.parse((await request({ port: ports.status, path: '/health' })).body).ApplicationHealthState).toBe('Healthy');
});

test('a config blob that carries code (init_by_lua_block { os.execute(...) }) is refused by the guard; nginx -t alone would pass it, and nginx never runs it', async () => {
  const running = readFileSync(join(dir, 'nginx.conf'), 'utf8');
  const pwned = join(dir, 'pwned');
  const router = `${localFrontPaths(dir).lua}/router.lua`;
  const evil = conf(services).replace(`init_by_lua_file ${router};`, `init_by_lua_block { os.execute("touch ${pwned}") dofile("${router}") }`);
  expect(evil).toContain('os.execute');
  // what the agent checked before the guard: nginx -t accepts it (init_by_lua runs at start and reload)
  writeFileSync(join(dir, 'evil.conf'), evil);
  expect(spawnSync('nginx', ['-t', '-q', '-c', join(dir, 'evil.conf')], { encoding: 'utf8' }).status).toBe(0);
  publish(evil, table('v4b', { pricing: 'green' }));
  await waitFor(() => agentLog.includes(`front: config ${pointer!.config} refused (guard): line `), 6000);
  expect(agentLog).toMatch(/refused \(guard\): line \d+: init_by_lua_block: inline Lua is code in the config/);
  expect(readFileSync(join(dir, 'nginx.conf'), 'utf8')).toBe(running);
  expect((await sendMany(20, 4, () => ask('pricing.test.internal'))).bySlot).toEqual({ green: 20 });
  expect(existsSync(pwned)).toBe(false);
  await waitFor(async () => /a newer config was refused: config config\/[0-9a-f]{16}\.conf refused \(guard\)/.test(JSON.parse((await request({ port: ports.status, path: '/health' })).body).warning ?? ''), 3000);
});

test('a new service: config and table arrive in one pointer update; the config is tested, installed and reloaded, then its table entry applies', async () => {
  publish(conf([...services, search]), table('v5', { pricing: 'green', search: 'blue' }));
  await waitFor(async () => (await ask('search.test.internal')).body.includes('search blue'), 8000).catch((e) => { throw new Error(`${e.message}; agent log:\n${agentLog.slice(-1500)}`); });
  await waitFor(() => agentLog.includes('front: routing table applied v5'), 3000);
  expect(agentLog).toContain(`front: config ${pointer!.config} applied and nginx reloaded`);
  // the table survived the reload: pricing still on green
  expect((await ask('pricing.test.internal')).body).toContain('pricing green');
  // the refused config's warning is gone
  await waitFor(async () => JSON.parse((await request({ port: ports.status, path: '/health' })).body).warning === undefined, 3000);
});

/** A front VM booting now: `front-agent once` with an empty disk (or `disk`), until it exits or `ms` pass. */
async function boot(name: string, opts: { disk?: { conf: string; table: string }; ms?: number } = {}) {
  const vm = join(dir, 'vms', name);
  mkdirSync(join(vm, 'state'), { recursive: true });
  if (opts.disk) {
    writeFileSync(join(vm, 'nginx.conf'), opts.disk.conf);
    writeFileSync(join(vm, 'table.json'), opts.disk.table);
  }
  const { env } = runAgent('once');
  const overrides = `export CONF_PATH='${vm}/nginx.conf' TABLE_PATH='${vm}/table.json' STATE_DIR='${vm}/state' RETRY_SECONDS=0.2 BOOT_FALLBACK_TRIES=3`;
  const child = spawn('sh', ['-c', `set -a; . ${envFile}; set +a; ${overrides}; exec ${join(dir, 'front-agent')} once`], { env });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => { child.kill(); resolve(false); }, opts.ms ?? 15_000);
    child.on('exit', () => { clearTimeout(timer); resolve(true); });
  });
  const read = (f: string) => (existsSync(join(vm, f)) ? readFileSync(join(vm, f), 'utf8') : undefined);
  return { exited, out, conf: read('nginx.conf'), table: read('table.json') };
}

describe('a traffic change never leaves a moment with no table: each state an apply can leave the store in, with the running VM and a VM booting in it', () => {
  const tableNow = () => (readFileSync(join(dir, 'table.json'), 'utf8'));
  const versionOf = (text: string | undefined) => (text === undefined ? undefined : (JSON.parse(text) as { version: string }).version);
  let confName: string;

  beforeAll(() => {
    confName = pointer!.config;
  });

  test('only the old table', async () => {
    expect([...blobs.keys()].filter((n) => n.startsWith('routing/'))).toEqual([pointer!.table]);
    const vm = await boot('only-old');
    expect(vm).toMatchObject({ exited: true, conf: blobs.get(confName) });
    expect(versionOf(vm.table)).toBe('v5');
  });

  test('old and new, the pointer not moved yet (created, not yet named): both VMs take the old', async () => {
    const v6 = create('table', table('v6', { pricing: 'blue', search: 'green' }));
    await polls();
    expect(versionOf(tableNow())).toBe('v5');
    expect((await ask('pricing.test.internal')).body).toContain('pricing green');
    expect(versionOf((await boot('old-and-new')).table)).toBe('v5');
    // the pointer moves: old and new remain until the delete, both VMs take the new
    const old = pointer!.table;
    pointer = { config: confName, table: v6 };
    await waitFor(async () => (await ask('pricing.test.internal')).body.includes('pricing blue'), 5000);
    expect(versionOf((await boot('old-and-new-named')).table)).toBe('v6');
    blobs.delete(old);
  });

  test('only the new table', async () => {
    expect([...blobs.keys()].filter((n) => n.startsWith('routing/'))).toEqual([pointer!.table]);
    await polls();
    expect((await ask('pricing.test.internal')).body).toContain('pricing blue');
    expect(versionOf((await boot('only-new')).table)).toBe('v6');
  });

  test('the create failed (the old remains; Terraform updates no dependent of a failed create): both VMs keep the old', async () => {
    // the apply of v7 fails at the create: nothing changes in the store
    await polls();
    expect(versionOf(tableNow())).toBe('v6');
    expect((await ask('pricing.test.internal')).body).toContain('pricing blue');
    expect(versionOf((await boot('create-failed')).table)).toBe('v6');
  });

  test('the delete failed (both remain, the pointer names the new): both VMs take the new', async () => {
    const old = pointer!.table;
    const v7 = create('table', table('v7', { pricing: 'green', search: 'green' }));
    pointer = { config: confName, table: v7 };
    // the delete of the old one fails: it stays
    expect(blobs.has(old)).toBe(true);
    await waitFor(async () => (await ask('pricing.test.internal')).body.includes('pricing green'), 5000);
    expect(versionOf((await boot('delete-failed')).table)).toBe('v7');
    // the next apply deletes it
    blobs.delete(old);
  });

  test('a blob whose content does not match its name is not used: the running VM keeps its table, a new VM waits', async () => {
    const name = frontBlobName('table', table('v8', { pricing: 'blue', search: 'blue' }));
    blobs.set(name, table('v8', { pricing: 'red', search: 'blue' }));
    const before = pointer!;
    pointer = { config: confName, table: name };
    await waitFor(() => agentLog.includes(`front: blob ${name} does not match its name`), 5000);
    expect((await ask('pricing.test.internal')).body).toContain('pricing green');
    const fresh = await boot('corrupt', { ms: 2000 });
    expect(fresh.exited).toBe(false);
    expect(fresh.out).toContain(`front: blob ${name} does not match its name`);
    expect(fresh.table).toBeUndefined();
    pointer = before;
    blobs.delete(name);
  });

  test('the pointer names a table that is gone (deleted by hand): the running VM keeps its table; a rebooted VM starts from its disk; a new VM waits', async () => {
    const before = pointer!;
    const gone = frontBlobName('table', table('v9', { pricing: 'blue', search: 'blue' }));
    pointer = { config: confName, table: gone };
    await waitFor(() => agentLog.includes(`front: cannot fetch the routing table ${gone}; keeping the current one`), 5000);
    expect((await ask('pricing.test.internal')).body).toContain('pricing green');
    const disk = { conf: blobs.get(confName)!, table: blobs.get(before.table)! };
    const rebooted = await boot('rebooted', { disk });
    expect(rebooted.out).toContain('front: boot: cannot read the current config and table; starting with the last good ones on disk');
    expect(rebooted).toMatchObject({ exited: true, table: disk.table });
    const fresh = await boot('new-vm', { ms: 3000 });
    expect(fresh.exited).toBe(false);
    expect(fresh.out).toContain(`front: cannot fetch the routing table ${gone}`);
    pointer = before;
  });
});

/**
 * A stub Key Vault on loopback: Get Secret (`/secrets/<name>?api-version=7.4`), checking the
 * bearer token the stub IMDS issues for `https://vault.azure.net` and the API version. Its
 * secrets are certificates made by openssl: the PEM of key and certificate, as Key Vault keeps a
 * certificate whose content type is application/x-pem-file, or base64 PKCS#12.
 */
describe('TLS: the agent reads the front certificate from Key Vault with the VM identity', () => {
  let vault: http.Server;
  let vaultPort: number;
  /** name → the current version's reply. */
  const secrets = new Map<string, { value: string; contentType: string; version: string }>();
  /** Get Secret calls answered 403 from now on (a grant not yet effective). */
  let refuse = 0;
  const calls: string[] = [];
  const NAME = 'front-tls';
  const makeCert = (cn: string) => {
    const d = join(dir, 'certs', cn);
    mkdirSync(d, { recursive: true });
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(d, 'key.pem'), '-out', join(d, 'cert.pem'), '-subj', `/CN=${cn}`, '-days', '2'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    return { dir: d, pem: readFileSync(join(d, 'key.pem'), 'utf8') + readFileSync(join(d, 'cert.pem'), 'utf8') };
  };
  const subjectOf = (file: string) => spawnSync('openssl', ['x509', '-noout', '-subject', '-in', file], { encoding: 'utf8' }).stdout.trim();

  beforeAll(async () => {
    [vaultPort] = await freePorts(1);
    vault = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      calls.push(`${req.method} ${url.pathname}?${url.searchParams}`);
      if (req.headers.authorization !== `Bearer ${VAULT_TOKEN}`) return void res.writeHead(401).end('{"error":{"code":"Unauthorized"}}');
      if (url.searchParams.get('api-version') !== KEY_VAULT_API_VERSION) return void res.writeHead(400).end('{"error":{"code":"BadParameter"}}');
      if (refuse > 0) { refuse--; return void res.writeHead(403).end('{"error":{"code":"Forbidden","innererror":{"code":"ForbiddenByRbac"}}}'); }
      const m = /^\/secrets\/([^/]+)$/.exec(url.pathname);
      const s = m ? secrets.get(m[1]) : undefined;
      if (req.method !== 'GET' || !s) return void res.writeHead(404).end('{"error":{"code":"SecretNotFound"}}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: s.value, contentType: s.contentType, id: `https://kv-test.vault.azure.net/secrets/${m![1]}/${s.version}`, attributes: { enabled: true } }));
    });
    await new Promise<void>((r) => vault.listen(vaultPort, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => vault?.close(r));
  });

  /** A front VM's agent with TLS: `once` (boot) or `loop`, its own disk; the env file as the front renders it. */
  const start = (name: string, mode: 'once' | 'loop') => {
    const vm = join(dir, 'tls-vms', name);
    mkdirSync(join(vm, 'state'), { recursive: true });
    const tlsEnv = join(vm, 'agent.env');
    // the settings as the front renders them with TLS, pointed at this run's files and stubs
    const rendered = renderAgentEnv({ containerUrl: 'x', identityResourceId: 'x', pollSeconds: 1, tls: { vaultUrl: `http://127.0.0.1:${vaultPort}/`, secret: NAME, pollSeconds: 0 } });
    writeFileSync(tlsEnv, readFileSync(envFile, 'utf8') + rendered.split('\n').filter((l) => /^(VAULT_URL|TLS_SECRET|TLS_POLL_SECONDS|TLS_GROUP)=/.test(l)).join('\n') + `\nTLS_PATH='${vm}/tls/front.pem'\n`);
    const { env } = runAgent(mode);
    // the loop VM's nginx is not this run's: it reloads nothing and has no admin endpoint
    const overrides = `export CONF_PATH='${vm}/nginx.conf' TABLE_PATH='${vm}/table.json' STATE_DIR='${vm}/state' RETRY_SECONDS=0.2 BOOT_FALLBACK_TRIES=3 RELOAD=true NGINX=true ADMIN_URL=http://127.0.0.1:9/table`;
    const child = spawn('sh', ['-c', `set -a; . ${tlsEnv}; set +a; ${overrides}; exec ${join(dir, 'front-agent')} ${mode}`], { env });
    const out = { text: '' };
    child.stdout.on('data', (d) => (out.text += d));
    child.stderr.on('data', (d) => (out.text += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    return { child, out, exited, vm, tls: join(vm, 'tls', 'front.pem') };
  };

  test('the rendered settings name the vault, the secret and the file nginx reads; no Key Vault extension file', () => {
    const env = renderAgentEnv({ containerUrl: 'x', identityResourceId: 'x', pollSeconds: 5, tls: { vaultUrl: 'https://kv-test.vault.azure.net', secret: NAME } });
    expect(env).toContain("VAULT_URL='https://kv-test.vault.azure.net'");
    expect(env).toContain(`TLS_SECRET='${NAME}'`);
    expect(env).toContain("TLS_POLL_SECONDS='3600'");
    expect(env).toContain("TLS_PATH='/etc/front/tls/front.pem'");
    expect(env).not.toMatch(/TLS_SOURCE|Microsoft\.Azure\.KeyVault\.Store/);
  });

  test('boot: while the vault refuses the token (403) the agent retries and says so by name; it exits (so nginx starts) only once the certificate is on disk, 0640 root:www-data, and nginx accepts the file', async () => {
    const first = makeCert('front-v1');
    secrets.set(NAME, { value: first.pem, contentType: 'application/x-pem-file', version: 'v1' });
    refuse = 1_000_000;
    const vm = start('boot', 'once');
    await waitFor(() => vm.out.text.includes(`front: the vault refused the token for the certificate ${NAME} (HTTP 403)`), 8000).catch((e) => { throw new Error(`${e.message}; agent log:\n${vm.out.text}`); });
    // still refused: it has not exited, and there is no certificate for nginx
    await waitFor(() => calls.filter((c) => c.startsWith(`GET /secrets/${NAME}?api-version=${KEY_VAULT_API_VERSION}`)).length >= 3, 5000);
    expect(existsSync(vm.tls)).toBe(false);
    expect(vm.child.exitCode).toBeNull();
    // logged once, not once per retry
    expect(vm.out.text.split(`the vault refused the token for the certificate ${NAME}`).length - 1).toBe(1);
    // the grant arrives
    refuse = 0;
    expect(await vm.exited).toBe(0);
    expect(vm.out.text).toContain(`front: certificate ${NAME} (version v1) published to ${vm.tls}`);
    expect(vm.out.text.indexOf(`published to ${vm.tls}`)).toBeLessThan(vm.out.text.indexOf('front: boot: config and routing table in place'));
    expect(readFileSync(vm.tls, 'utf8')).toBe(first.pem);
    const st = statSync(vm.tls);
    expect(st.mode & 0o777).toBe(0o640);
    expect([st.uid, st.gid]).toEqual([0, 33]); // root:www-data
    // the key never stays in the agent's state folder
    expect(spawnSync('ls', [join(vm.vm, 'state')], { encoding: 'utf8' }).stdout).not.toMatch(/tls/);
    // nginx reads key and certificate from the one file (ssl_certificate and ssl_certificate_key)
    const c = join(vm.vm, 'tls-check.conf');
    writeFileSync(c, `pid ${vm.vm}/nginx.pid; error_log ${vm.vm}/error.log; events {} http { access_log off; server { listen 127.0.0.1:${vaultPort + 1} ssl; ssl_certificate ${vm.tls}; ssl_certificate_key ${vm.tls}; } }\n`);
    const t = spawnSync('nginx', ['-t', '-q', '-c', c, '-p', `${vm.vm}/`], { encoding: 'utf8' });
    expect(t.stderr).toBe('');
    expect(t.status).toBe(0);
  });

  test('loop: a renewal (a new version of the secret) replaces the file whole; a PKCS#12 secret is converted with openssl; a secret that is not key and certificate is not published', async () => {
    const v1 = makeCert('front-v1b');
    secrets.set(NAME, { value: v1.pem, contentType: 'application/x-pem-file', version: 'v1' });
    const vm = start('renewal', 'loop');
    try {
      await waitFor(() => existsSync(vm.tls) && readFileSync(vm.tls, 'utf8') === v1.pem, 8000).catch((e) => { throw new Error(`${e.message}; agent log:\n${vm.out.text}`); });
      const inode = statSync(vm.tls).ino;
      // renewal: Key Vault issues a new version; the versionless read returns it
      const v2 = makeCert('front-v2');
      secrets.set(NAME, { value: v2.pem, contentType: 'application/x-pem-file', version: 'v2' });
      await waitFor(() => vm.out.text.includes(`front: certificate ${NAME} (version v2) published to ${vm.tls}`), 8000);
      expect(readFileSync(vm.tls, 'utf8')).toBe(v2.pem);
      expect(statSync(vm.tls).ino).not.toBe(inode); // renamed into place, never rewritten
      expect(statSync(vm.tls).mode & 0o777).toBe(0o640);
      // not a certificate: the last good one stays
      secrets.set(NAME, { value: 'not a certificate', contentType: 'application/x-pem-file', version: 'v3' });
      await waitFor(() => vm.out.text.includes(`front: the certificate ${NAME} (version v3) is not a PEM of a private key and a certificate: not published`), 8000);
      expect(readFileSync(vm.tls, 'utf8')).toBe(v2.pem);
      // PKCS#12 (an 'external' certificate's secret): base64 DER with no password, converted on the VM
      const v4 = makeCert('front-v4');
      const p12 = join(v4.dir, 'cert.p12');
      expect(spawnSync('openssl', ['pkcs12', '-export', '-inkey', join(v4.dir, 'key.pem'), '-in', join(v4.dir, 'cert.pem'), '-passout', 'pass:', '-out', p12]).status).toBe(0);
      secrets.set(NAME, { value: readFileSync(p12).toString('base64'), contentType: 'application/x-pkcs12', version: 'v4' });
      await waitFor(() => vm.out.text.includes(`front: certificate ${NAME} (version v4) published to ${vm.tls}`), 8000);
      expect(subjectOf(vm.tls)).toMatch(/CN ?= ?front-v4/);
      expect(spawnSync('openssl', ['pkey', '-noout', '-in', vm.tls]).status).toBe(0);
    } finally {
      vm.child.kill();
      await vm.exited;
    }
  });

  test('a rebooted VM starts with the certificate on disk when the vault stays unreachable; a new VM waits', async () => {
    // the VM served before: its certificate is on disk
    const tls = join(dir, 'tls-vms', 'rebooted', 'tls', 'front.pem');
    const cert = makeCert('front-disk');
    mkdirSync(dirname(tls), { recursive: true });
    writeFileSync(tls, cert.pem);
    refuse = 1_000_000;
    const again = start('rebooted', 'once');
    expect(await again.exited).toBe(0);
    expect(again.out.text).toContain('front: boot: cannot read the certificate from the vault; starting with the one on disk');
    expect(readFileSync(tls, 'utf8')).toBe(cert.pem);
    const fresh = start('fresh', 'once');
    await waitFor(() => fresh.out.text.includes(`the vault refused the token for the certificate ${NAME}`), 8000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(fresh.child.exitCode).toBeNull();
    expect(existsSync(fresh.tls)).toBe(false);
    fresh.child.kill();
    await fresh.exited;
    refuse = 0;
  });
});
