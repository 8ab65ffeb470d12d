/**
 * The front agent (lib/front/vm/front-agent.sh) on its own, run by sh against a loopback stub of
 * IMDS and Key Vault, with no nginx: the paths where it cannot get a token or cannot publish the
 * certificate. Each must log by name and keep what the VM has (a rebooted VM starts from its disk).
 * These lines were rewritten from `A && B || C` to `if ! A || ! B` for shellcheck (SC2015): the
 * tests hold the rewrite to the behaviour it had.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../helpers';
import { vmProgram } from '../support/vm-programs';

const IDENTITY = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-front';
/** Which resources the stub IMDS issues tokens for. */
const issue = { storage: false, vault: false };
let pem = '';
let stub: http.Server;
let port = 0;

beforeAll(async () => {
  const d = tempDir('agent-cert-');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(d, 'key.pem'), '-out', join(d, 'cert.pem'), '-subj', '/CN=front', '-days', '1'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  pem = readFileSync(join(d, 'key.pem'), 'utf8') + readFileSync(join(d, 'cert.pem'), 'utf8');
  stub = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/metadata/identity/oauth2/token') {
      const resource = url.searchParams.get('resource');
      const tok = resource === 'https://storage.azure.com/' && issue.storage ? 'tok-1' : resource === 'https://vault.azure.net' && issue.vault ? 'vtok-1' : undefined;
      return void res.writeHead(tok ? 200 : 500).end(tok ? `{"access_token": "${tok}"}` : '{"error": "identity not assigned"}');
    }
    if (url.pathname === '/secrets/front-tls' && req.headers.authorization === 'Bearer vtok-1') {
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: pem, contentType: 'application/x-pem-file', id: 'https://kv.vault.azure.net/secrets/front-tls/v1' }));
    }
    // the identity's Storage Blob Data Reader grant has not reached the store yet
    if (url.pathname === '/front/current') return void res.writeHead(403).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  port = (stub.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => stub.close(r));
});

/** A VM's disk, and the agent's settings pointing at it and at the stub. */
function vm(opts: { tls?: string; onDisk?: boolean } = {}) {
  const root = tempDir('agent-vm-');
  mkdirSync(join(root, 'state'));
  if (opts.onDisk) {
    writeFileSync(join(root, 'nginx.conf'), 'events {}\n');
    writeFileSync(join(root, 'table.json'), '{}\n');
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH!,
    IMDS_URL: `http://127.0.0.1:${port}`,
    CONTAINER_URL: `http://127.0.0.1:${port}/front`,
    POINTER: 'current',
    IDENTITY_RESOURCE_ID: IDENTITY,
    POLL_SECONDS: '1',
    ADMIN_URL: 'http://127.0.0.1:9/table',
    CONF_PATH: join(root, 'nginx.conf'),
    TABLE_PATH: join(root, 'table.json'),
    STATE_DIR: join(root, 'state'),
    RETRY_SECONDS: '0',
    BOOT_FALLBACK_TRIES: '2',
    ...(opts.tls ? { VAULT_URL: `http://127.0.0.1:${port}`, TLS_SECRET: 'front-tls', TLS_PATH: opts.tls, TLS_GROUP: 'root', TLS_POLL_SECONDS: '3600' } : {}),
  };
  return { root, env };
}

/** Runs `front-agent MODE`; resolves when it exits, or kills it once its output matches `until`. */
function agent(mode: string, env: Record<string, string>, until?: RegExp): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [vmProgram('front', 'front-agent.sh'), mode], { env });
    let out = '';
    const timer = setTimeout(() => { child.kill(); reject(new Error(`front-agent ${mode} did not finish in 20 s:\n${out}`)); }, 20_000);
    const seen = (d: Buffer) => {
      out += d;
      if (until?.test(out)) child.kill();
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

test('boot, IMDS gives no token for the store: each try says so by name; a VM with a config and table on disk starts from them', async () => {
  issue.storage = false;
  const { env } = vm({ onDisk: true });
  const r = await agent('once', env);
  expect(r.code).toBe(0);
  // curl's own line (HTTP 500) goes to the journal too; the agent's lines are these
  expect(r.out).toContain('curl: (22) The requested URL returned error: 500');
  expect(r.out.split('\n').filter((l) => l.startsWith('front: '))).toEqual([
    'front: cannot get a token for the store; keeping the current config and table',
    'front: cannot get a token for the store; keeping the current config and table',
    'front: boot: cannot read the current config and table; starting with the last good ones on disk',
    'front: boot: config and routing table in place',
  ]);
});

test('boot, the store refuses the pointer (403: the grant has not propagated): each try says it cannot read the pointer, not that the pointer names nothing', async () => {
  issue.storage = true;
  const { env } = vm({ onDisk: true });
  const r = await agent('once', env);
  expect(r.code).toBe(0);
  expect(r.out).toContain('curl: (22) The requested URL returned error: 403');
  expect(r.out.split('\n').filter((l) => l.startsWith('front: '))).toEqual([
    'front: cannot read the pointer current; keeping the current config and table',
    'front: cannot read the pointer current; keeping the current config and table',
    'front: boot: cannot read the current config and table; starting with the last good ones on disk',
    'front: boot: config and routing table in place',
  ]);
});

test('boot, IMDS gives no token for the vault: said once, by name; a VM with a certificate on disk starts with it, unchanged', async () => {
  issue.storage = false;
  issue.vault = false;
  const { root } = vm();
  const tls = join(root, 'tls.pem');
  writeFileSync(tls, 'the certificate from the last boot\n');
  const { env } = vm({ tls, onDisk: true });
  const r = await agent('once', env);
  expect(r.code).toBe(0);
  expect(r.out.split('\n').filter((l) => l.includes('vault'))).toEqual([
    'front: cannot get a token for the vault from IMDS; retrying',
    'front: boot: cannot read the certificate from the vault; starting with the one on disk',
  ]);
  expect(readFileSync(tls, 'utf8')).toBe('the certificate from the last boot\n');
});

test('the certificate cannot be written (its folder is a file): "cannot write", nothing published, the agent keeps trying', async () => {
  issue.vault = true;
  const { root } = vm();
  writeFileSync(join(root, 'not-a-folder'), '');
  const tls = join(root, 'not-a-folder', 'front.pem');
  const { env } = vm({ tls, onDisk: true });
  const r = await agent('once', env, /cannot write/);
  expect(r.out).toContain(`front: cannot write ${tls}\n`);
  expect(r.out).not.toContain('published');
  expect(r.out).not.toContain('config and routing table in place');
});

test('with a token and a writable folder, the same agent publishes the certificate (the failures above are the only difference)', async () => {
  issue.vault = true;
  const { root } = vm();
  const tls = join(root, 'tls', 'front.pem');
  const { env } = vm({ tls, onDisk: true });
  const r = await agent('once', env);
  expect(r.code).toBe(0);
  expect(r.out).toContain(`front: certificate front-tls (version v1) published to ${tls}\n`);
  expect(readFileSync(tls, 'utf8')).toBe(pem);
});
