/**
 * The front agent run for real (sh + curl) against a stub IMDS and a stub blob endpoint on
 * loopback, with real nginx: boot fetch, a swap reaching nginx with no reload, a refused table and
 * a refused config (named log lines, the last good one keeps serving), and a structural change
 * (a new service) applied by a reload.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { AGENT_SCRIPT, renderAgentEnv } from '../../lib/front/agent';
import { localFrontPaths, renderNginxConf, type FrontServiceConfig } from '../../lib/front/nginx-conf';
import { tempDir } from '../helpers';
import { freePorts, request, sendMany, startBackends, waitFor, type Backends } from './harness';

const ENV = 'test';
const entry = (live: string) => ({ live, weight: 0, affinity: { by: 'none' }, rules: [], failover: true, mirror: 0 });

let dir: string;
let blobs: Record<string, string>;
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
  };
  return { env, cmd: ['sh', '-c', `set -a; . ${envFile}; set +a; exec ${join(dir, 'front-agent')} ${mode}`] };
};
const ask = (host: string) => request({ port: ports.http, host, path: '/' });

beforeAll(async () => {
  dir = tempDir('front-agent-');
  mkdirSync(join(dir, 'temp'));
  const [a, b, c, d, e, f] = await freePorts(6);
  ports = { http: a, status: b, admin: c };
  services = [{ name: 'pricing', hosts: ['pricing.test.internal'], readTimeoutSeconds: 5, slots: { blue: { address: '127.78.1.5', ports: [d] }, green: { address: '127.78.1.6', ports: [d] } } }];
  search = { name: 'search', hosts: ['search.test.internal'], readTimeoutSeconds: 5, slots: { blue: { address: '127.78.1.7', ports: [e] }, green: { address: '127.78.1.8', ports: [e] } } };
  backends = await startBackends([...services, search]);
  blobs = { '/front/nginx.conf': conf(services), '/front/routing.json': table('v1', { pricing: 'blue' }) };
  stub = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/metadata/identity/oauth2/token') {
      const ok = req.headers.metadata === 'true' && url.searchParams.get('resource') === 'https://storage.azure.com/' && url.searchParams.get('msi_res_id') === '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-front';
      res.writeHead(ok ? 200 : 400).end(ok ? '{"access_token": "tok-1", "expires_in": "3599"}' : 'bad');
      return;
    }
    if (req.headers.authorization !== 'Bearer tok-1' || !req.headers['x-ms-version']) return void res.writeHead(403).end();
    const blob = blobs[url.pathname];
    res.writeHead(blob === undefined ? 404 : 200).end(blob);
  });
  stubPort = f;
  await new Promise<void>((r) => stub.listen(stubPort, '127.0.0.1', r));
  writeFileSync(join(dir, 'front-agent'), AGENT_SCRIPT);
  chmodSync(join(dir, 'front-agent'), 0o755);
  envFile = join(dir, 'agent.env');
  writeFileSync(
    envFile,
    renderAgentEnv({ confUrl: `http://127.0.0.1:${stubPort}/front/nginx.conf`, tableUrl: `http://127.0.0.1:${stubPort}/front/routing.json`, identityResourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-front', pollSeconds: 1 })
      .replace(/^ADMIN_URL=.*$/m, `ADMIN_URL='http://127.0.0.1:${ports.admin}/table'`)
      .replace(/^CONF_PATH=.*$/m, `CONF_PATH='${join(dir, 'nginx.conf')}'`)
      .replace(/^TABLE_PATH=.*$/m, `TABLE_PATH='${join(dir, 'table.json')}'`)
      .replace(/^STATE_DIR=.*$/m, `STATE_DIR='${join(dir, 'state')}'`),
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

test('boot: the agent fetches the config and table with the identity before nginx starts, and nginx serves the table at once', async () => {
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
  expect(readFileSync(join(dir, 'nginx.conf'), 'utf8')).toBe(blobs['/front/nginx.conf']);
  const started = spawnSync('nginx', nginxArgs(), { encoding: 'utf8' });
  expect(started.status).toBe(0);
  await waitFor(async () => (await request({ port: ports.status, path: '/healthz' }).catch(() => undefined))?.status === 200);
  expect((await ask('pricing.test.internal')).body).toContain('pricing blue');
});

test('loop: a swap in the blob reaches nginx within a poll, with no reload', async () => {
  const { env, cmd } = runAgent('loop');
  agent = spawn(cmd[0], cmd.slice(1), { env });
  agent.stdout!.on('data', (d) => (agentLog += d));
  agent.stderr!.on('data', (d) => (agentLog += d));
  const pid = readFileSync(join(dir, 'nginx.pid'), 'utf8');
  blobs['/front/routing.json'] = table('v2', { pricing: 'green' });
  await waitFor(async () => (await ask('pricing.test.internal')).body.includes('pricing green'), 5000);
  await waitFor(() => agentLog.includes('front: routing table applied v2'), 3000);
  expect(readFileSync(join(dir, 'table.json'), 'utf8')).toBe(blobs['/front/routing.json']);
  expect(readFileSync(join(dir, 'error.log'), 'utf8')).not.toMatch(/signal 1 \(SIGHUP\) received/);
  expect(readFileSync(join(dir, 'nginx.pid'), 'utf8')).toBe(pid);
});

test('a table nginx refuses is logged by name; the last good one keeps serving and stays on disk', async () => {
  const good = readFileSync(join(dir, 'table.json'), 'utf8');
  blobs['/front/routing.json'] = table('v3', { pricing: 'red' });
  await waitFor(() => agentLog.includes('front: routing table refused: refused: services.pricing.live: unknown slot red'), 5000);
  expect((await sendMany(20, 4, () => ask('pricing.test.internal'))).bySlot).toEqual({ green: 20 });
  expect(readFileSync(join(dir, 'table.json'), 'utf8')).toBe(good);
});

test('a config that fails nginx -t is refused by name; the running front keeps serving', async () => {
  blobs['/front/routing.json'] = table('v4', { pricing: 'green' });
  blobs['/front/nginx.conf'] = conf(services).replace('max_fails=1', 'max_fails=oops');
  const running = readFileSync(join(dir, 'nginx.conf'), 'utf8');
  await waitFor(() => /front: config refused \(nginx -t\): .*invalid parameter "max_fails=oops"/.test(agentLog), 6000);
  // never installed: the running config stays on disk too
  expect(readFileSync(join(dir, 'nginx.conf'), 'utf8')).toBe(running);
  expect((await sendMany(20, 4, () => ask('pricing.test.internal'))).bySlot).toEqual({ green: 20 });
});

test('a new service: the config is tested, installed and reloaded, then its table entry applies', async () => {
  blobs['/front/nginx.conf'] = conf([...services, search]);
  blobs['/front/routing.json'] = table('v5', { pricing: 'green', search: 'blue' });
  await waitFor(async () => (await ask('search.test.internal')).body.includes('search blue'), 8000).catch((e) => { throw new Error(`${e.message}; agent log:\n${agentLog.slice(-1500)}`); });
  await waitFor(() => agentLog.includes('front: routing table applied v5'), 3000);
  expect(agentLog).toContain('front: config applied and nginx reloaded');
  // the table survived the reload: pricing still on green
  expect((await ask('pricing.test.internal')).body).toContain('pricing green');
});

test('TLS: boot waits for the Key Vault extension\'s certificate, then publishes it readable by nginx\'s group only; a renewal is published again', async () => {
  const source = join(dir, 'kv-store', 'kv-retail.front-tls');
  const target = join(dir, 'tls', 'front.pem');
  const { env, cmd } = runAgent('once');
  const tlsEnv = { ...env, TLS_SOURCE: source, TLS_PATH: target, TLS_GROUP: 'www-data', RETRY_SECONDS: '1' };
  let out = '';
  const child = spawn(cmd[0], cmd.slice(1), { env: tlsEnv });
  child.stdout!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  await waitFor(() => out.includes(`front: waiting for the certificate at ${source}`), 5000);
  mkdirSync(dirname(source), { recursive: true });
  writeFileSync(source, 'CERTIFICATE AND KEY v1\n', { mode: 0o600 });
  expect(await exited).toBe(0);
  expect(out).toContain(`front: certificate published to ${target}`);
  expect(readFileSync(target, 'utf8')).toBe('CERTIFICATE AND KEY v1\n');
  const st = statSync(target);
  expect(st.mode & 0o777).toBe(0o640);
  expect(st.gid).toBe(33); // www-data
  expect(st.uid).toBe(0);
  // renewal: the extension replaces its file; the agent's next pass publishes it whole
  writeFileSync(source, 'CERTIFICATE AND KEY v2\n', { mode: 0o600 });
  // the agent's functions without its main loop, then one pass of sync_tls (as the loop makes every poll)
  const functions = join(dir, 'agent-functions.sh');
  writeFileSync(functions, readFileSync(join(dir, 'front-agent'), 'utf8').replace(/\ncase "\$\{1:-loop\}" in[\s\S]*$/, '\n'));
  const again = spawnSync('sh', ['-c', `set -a; . ${envFile}; set +a; . ${functions}; sync_tls`], { env: tlsEnv, encoding: 'utf8' });
  expect(again.stdout).toContain(`front: certificate published to ${target}`);
  expect(readFileSync(target, 'utf8')).toBe('CERTIFICATE AND KEY v2\n');
});
