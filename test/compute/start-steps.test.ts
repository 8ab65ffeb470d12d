/**
 * The start steps (release download, secrets fetch, certificate publish) and their unit graph.
 *
 * On systemd 249 (Ubuntu 22.04) and 252 (Debian 12), units that `Requires=` a oneshot fail on its
 * first failure and are not started again when `Restart=on-failure` later succeeds (systemd 254
 * added `RestartMode=direct`). So no step relies on `Restart=`: each runs under the
 * retry wrapper, which retries inside the oneshot's one activation while the instances' start
 * jobs wait for it, and records a state file the health endpoint reads.
 *
 * Here the programs (lib/compute/vm/) run for real, chained as the units chain them, against loopback stubs
 * that fail first and succeed later; and the units pass `systemd-analyze verify` laid out as on
 * the VM. (A real systemd booting them is scripts/boot-vm-units.sh: opt-in, it needs root and a
 * Debian root file system.)
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { cloudInitFor, HEALTH_UNIT, renderCloudInit, unitNames, VM_PATHS } from '../../lib/compute/cloud-init';
import { evaluateReply } from '../support/app-health-extension';
import { exampleSpec, layOutVm, planOf, releaseTarball, systemdVerify, tempDir } from '../helpers';
import { freePorts } from '../support/ports';
import { vmProgram } from '../support/vm-programs';

const IDENTITY = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-x';

/**
 * A `sleep` first on PATH that returns at once, logging how long it was asked to wait and running
 * SLEEP_HOOK (what happens in the world while the wrapper backs off): no test waits for a backoff.
 */
function fakeSleep(prefix: string): { path: string; log: string } {
  const bin = join(prefix, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'sleep'), '#!/bin/sh\nprintf \'%s\\n\' "$1" >> "$SLEEP_LOG"\nif [ -n "${SLEEP_HOOK:-}" ]; then sh -c "$SLEEP_HOOK"; fi\n');
  chmodSync(join(bin, 'sleep'), 0o755);
  return { path: `${bin}:${process.env.PATH}`, log: join(prefix, 'sleeps') };
}

/**
 * Runs a command under the retry wrapper (retry.sh), in a prefix, without blocking the stubs; with
 * the fake sleep, and at most 10 attempts unless told (production retries forever).
 */
function underRetry(prefix: string, stateFile: string, command: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; state: string; sleeps: string[] }> {
  const retry = join(prefix, 'retry');
  copyFileSync(vmProgram('service', 'retry.sh'), retry);
  const sleep = fakeSleep(prefix);
  return new Promise((resolve) => {
    const child = spawn('sh', [retry, stateFile, ...command], { env: { ...process.env, PATH: sleep.path, SLEEP_LOG: sleep.log, SLOTENV_PREFIX: prefix, RETRY_ATTEMPTS: '10', ...env } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr, state: readFileSync(join(prefix, stateFile), 'utf8'), sleeps: existsSync(sleep.log) ? readFileSync(sleep.log, 'utf8').trim().split('\n') : [] }));
  });
}

/** A loopback stub; `handler` sees the request and how many came before it on that path. */
async function stub(handler: (url: URL, seen: number, headers: Record<string, unknown>) => [number, string | Buffer]): Promise<{ server: Server; port: number; seen: Map<string, number> }> {
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://stub');
    const n = seen.get(url.pathname) ?? 0;
    seen.set(url.pathname, n + 1);
    const [status, body] = handler(url, n, req.headers);
    res.writeHead(status).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

const { tarball, sha } = releaseTarball();

const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

describe('the release download, retried by the wrapper (lib/compute/vm/, run by sh)', () => {
  let storage: Awaited<ReturnType<typeof stub>>;
  beforeAll(async () => {
    // the grant has not reached storage for the first two downloads (403), then the blob arrives
    storage = await stub((url, seen) => {
      if (url.pathname === '/metadata/identity/oauth2/token') return [200, '{"access_token": "tok-1"}'];
      if (url.pathname === '/releases/late.tar.gz') return seen < 2 ? [403, 'AuthorizationPermissionMismatch'] : [200, tarball];
      if (url.pathname === '/releases/wrong.tar.gz') return [200, Buffer.from('not the release')];
      return [404, ''];
    });
    servers.push(storage.server);
  });
  const fetch = (prefix: string, blob: string) => {
    copyFileSync(vmProgram('service', 'fetch-release.sh'), join(prefix, 'fetch-release'));
    return underRetry(prefix, VM_PATHS.state(unitNames('app').release), ['sh', join(prefix, 'fetch-release'), 'app', '1.0.0', `http://127.0.0.1:${storage.port}/releases/${blob}`, sha, IDENTITY], { IMDS_ENDPOINT: `http://127.0.0.1:${storage.port}` });
  };

  test('refused twice, then downloaded: ready, and the release is in place', async () => {
    const prefix = tempDir('steps-');
    const r = await fetch(prefix, 'late.tar.gz');
    expect(r.code).toBe(0);
    expect(r.state).toBe('ready\n');
    expect(storage.seen.get('/releases/late.tar.gz')).toBe(3);
    expect(r.stderr).toContain(`fetch-release: download of http://127.0.0.1:${storage.port}/releases/late.tar.gz failed: HTTP 403 (curl exit 22)`);
    expect(r.stderr).toContain('attempt 2 failed (exit 1); next in 10s');
    expect(r.sleeps).toEqual(['5', '10']);
    expect(readlinkSync(join(prefix, 'opt/app/current'))).toBe(join(prefix, 'opt/app/releases/1.0.0'));
    expect(execFileSync(join(prefix, 'opt/app/current/bin/start'), { encoding: 'utf8' })).toBe('started\n');
  });

  test('a file whose checksum differs: failed for good after one download, with the reason, nothing installed', async () => {
    const prefix = tempDir('steps-');
    const r = await fetch(prefix, 'wrong.tar.gz');
    expect(r.code).toBe(65);
    const actual = createHash('sha256').update('not the release').digest('hex');
    expect(r.state).toBe(`failed fetch-release: http://127.0.0.1:${storage.port}/releases/wrong.tar.gz has sha256 ${actual}, expected ${sha}; refusing it\n`);
    expect(storage.seen.get('/releases/wrong.tar.gz')).toBe(1);
    expect(existsSync(join(prefix, 'opt/app/current'))).toBe(false);
  });

  test('bounded for tests only (RETRY_ATTEMPTS): a step that never succeeds ends failed with its last reason', async () => {
    const prefix = tempDir('steps-');
    copyFileSync(vmProgram('service', 'fetch-release.sh'), join(prefix, 'fetch-release'));
    const r = await underRetry(prefix, '/run/slotenv/app-release.state', ['sh', join(prefix, 'fetch-release'), 'app', '1.0.0', `http://127.0.0.1:${storage.port}/releases/missing.tar.gz`, sha, IDENTITY], {
      IMDS_ENDPOINT: `http://127.0.0.1:${storage.port}`,
      RETRY_ATTEMPTS: '3',
    });
    expect(r.code).toBe(1);
    expect(r.state).toBe(`failed after 3 attempts: fetch-release: download of http://127.0.0.1:${storage.port}/releases/missing.tar.gz failed: HTTP 404 (curl exit 22)\n`);
  });

  test('the backoff doubles from 5 s up to 300 s, then stays there', async () => {
    const prefix = tempDir('steps-');
    const r = await underRetry(prefix, '/run/slotenv/x.state', ['false'], { RETRY_ATTEMPTS: '10' });
    expect(r.code).toBe(1);
    expect(r.sleeps).toEqual(['5', '10', '20', '40', '80', '160', '300', '300', '300']);
  });
});

describe('the secrets fetch, retried by the wrapper (lib/compute/vm/, run by python3)', () => {
  let vault: Awaited<ReturnType<typeof stub>>;
  beforeAll(async () => {
    // the role assignment takes a while to reach Key Vault: 403 twice, then the secret
    vault = await stub((url, seen) => {
      if (url.pathname === '/metadata/identity/oauth2/token') return [200, '{"access_token": "kv-1"}'];
      if (url.pathname === '/secrets/db-password') return seen < 2 ? [403, '{"error":{"code":"Forbidden"}}'] : [200, '{"value": "s3cret"}'];
      if (url.pathname === '/secrets/two-lines') return [200, '{"value": "a\\nb"}'];
      return [404, ''];
    });
    servers.push(vault.server);
  });
  const run = (prefix: string, list: string) => {
    mkdirSync(join(prefix, 'etc/app'), { recursive: true });
    writeFileSync(join(prefix, VM_PATHS.secretsList('app')), list);
    copyFileSync(vmProgram('service', 'fetch-secrets.py'), join(prefix, 'fetch-secrets'));
    return underRetry(prefix, VM_PATHS.state(unitNames('app').secrets), ['python3', join(prefix, 'fetch-secrets'), 'app', 'kv-x', IDENTITY, VM_PATHS.secretsList('app'), VM_PATHS.secretsEnv('app')], {
      IMDS_ENDPOINT: `http://127.0.0.1:${vault.port}`,
      VAULT_URL: `http://127.0.0.1:${vault.port}`,
    });
  };

  test('refused while the grant propagates, then fetched: ready, the file written', async () => {
    const prefix = tempDir('steps-');
    const r = await run(prefix, 'DB_PASSWORD db-password\n');
    expect(r.code).toBe(0);
    expect(r.state).toBe('ready\n');
    expect(r.stderr).toContain('fetch-secrets: app: secret db-password (for DB_PASSWORD): HTTP 403 from the vault');
    expect(readFileSync(join(prefix, VM_PATHS.secretsEnv('app')), 'utf8')).toBe('DB_PASSWORD="s3cret"\n');
  });

  test('a value no environment variable can hold: failed for good, named', async () => {
    const prefix = tempDir('steps-');
    const r = await run(prefix, 'CERT two-lines\n');
    expect(r.code).toBe(65);
    expect(r.state).toBe('failed fetch-secrets: app: secret two-lines (for CERT) has more than one line; an environment variable holds one\n');
    expect(vault.seen.get('/secrets/two-lines')).toBe(1);
  });
});

describe('the certificate publish, retried by the wrapper (lib/compute/vm/, run by sh)', () => {
  test('the Key Vault extension syncs late: the step keeps trying and publishes it', async () => {
    const prefix = tempDir('steps-');
    mkdirSync(join(prefix, 'kv'));
    copyFileSync(vmProgram('service', 'publish-certs.sh'), join(prefix, 'publish-certs'));
    // the service's name is its group: www-data exists on this machine
    // the extension writes the certificate while the wrapper backs off after the first attempt;
    // what the state file said meanwhile is kept
    const hook = `cp "${prefix}/run/slotenv/www-data-certs.state" "${prefix}/state-while-waiting"; printf 'PEM\\n' > "${prefix}/kv/vault.cert-a"`;
    const r = await underRetry(prefix, '/run/slotenv/www-data-certs.state', ['sh', join(prefix, 'publish-certs'), 'www-data', VM_PATHS.certsDir('www-data'), '/kv/vault.cert-a', 'cert-a'], { WAIT_SECONDS: '0', SLEEP_HOOK: hook });
    expect(readFileSync(join(prefix, 'state-while-waiting'), 'utf8')).toBe(`retrying after attempt 1 (exit 1: publish-certs: www-data: no certificate at ${prefix}/kv/vault.cert-a after 0s (Key Vault extension)), next in 5s\n`);
    expect(r.code).toBe(0);
    expect(r.state).toBe('ready\n');
    expect(readFileSync(join(prefix, 'etc/www-data/certs/cert-a.pem'), 'utf8')).toBe('PEM\n');
  });
});

describe('a refused release, end to end: the fetcher\u2019s state file makes the health endpoint say Unhealthy, with the reason', () => {
  test('real fetcher under the real wrapper, then the real health endpoint, read as the extension reads it', async () => {
    const storage = await stub((url) => (url.pathname.startsWith('/metadata') ? [200, '{"access_token": "t"}'] : [200, Buffer.from('tampered')]));
    servers.push(storage.server);
    const prefix = tempDir('steps-');
    copyFileSync(vmProgram('service', 'fetch-release.sh'), join(prefix, 'fetch-release'));
    const fetched = await underRetry(prefix, VM_PATHS.state(unitNames('app').release), ['sh', join(prefix, 'fetch-release'), 'app', '1.0.0', `http://127.0.0.1:${storage.port}/r.tgz`, sha, IDENTITY], { IMDS_ENDPOINT: `http://127.0.0.1:${storage.port}` });
    expect(fetched.code).toBe(65);

    // two free ports: the endpoint's, and the instance's (nothing runs there: it never started)
    const [healthPort, instancePort] = await freePorts(2);
    copyFileSync(vmProgram('service', 'vm-health.py'), join(prefix, 'vm-health.py'));
    writeFileSync(
      join(prefix, 'vm-health.json'),
      JSON.stringify({ bind: '127.0.0.1', port: healthPort, timeoutSeconds: 1, stateDir: join(prefix, VM_PATHS.stateDir), services: [{ service: 'app', steps: ['app-release'], checks: [{ port: instancePort, path: '/health' }] }] }),
    );
    const health = spawn('python3', [join(prefix, 'vm-health.py'), join(prefix, 'vm-health.json')], { stdio: 'ignore' });
    try {
      let reply: { status: number; body: string } | undefined;
      for (let i = 0; i < 100 && !reply; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${healthPort}/health`);
          reply = { status: res.status, body: await res.text() };
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const tamperedSha = createHash('sha256').update('tampered').digest('hex');
      expect(reply!.status).toBe(200);
      expect(JSON.parse(reply!.body)).toEqual({ ApplicationHealthState: 'Unhealthy', reason: `app-release failed: fetch-release: http://127.0.0.1:${storage.port}/r.tgz has sha256 ${tamperedSha}, expected ${sha}; refusing it` });
      expect(evaluateReply(reply!).state).toBe('Unhealthy');
    } finally {
      health.kill();
    }
  });
});

describe('the unit graph', () => {
  const plan = planOf(exampleSpec());
  const pricing = plan.env.services.find((s) => s.name === 'pricing')!;
  const input = cloudInitFor(plan, pricing, 'blue', IDENTITY);
  const doc = parse(renderCloudInit(input)) as { write_files: Array<{ path: string; content: string; permissions: string }>; runcmd: string[][] };
  const unit = (name: string) => doc.write_files.find((f) => f.path === `/etc/systemd/system/${name}`)!.content;
  const u = unitNames('pricing');

  test('every start step retries inside its activation: no Restart= (the systemd < 254 trap), no start timeout, a state file', () => {
    for (const [name, state] of [[u.release, '/run/slotenv/pricing-release.state'], [u.secrets, '/run/slotenv/pricing-secrets.state']]) {
      const text = unit(name);
      expect(text).toContain('Type=oneshot');
      expect(text).not.toMatch(/^Restart=/m);
      expect(text).toContain('TimeoutStartSec=infinity');
      expect(text).toMatch(new RegExp(`^ExecStart=${VM_PATHS.retry} ${state} `, 'm'));
    }
  });

  test('instances require the steps and wait for them, and are never given up on after crashes', () => {
    const text = unit(u.instance);
    expect(text).toContain(`Requires=${u.release} ${u.secrets}`);
    expect(text).toContain(`After=network-online.target ${u.release} ${u.secrets}`);
    expect(text).toContain('Restart=always');
    expect(text).toContain('StartLimitIntervalSec=0');
    expect(unit(HEALTH_UNIT)).toContain('StartLimitIntervalSec=0');
  });

  test('cloud-init does not wait for the steps (they may retry for long): --no-block', () => {
    expect(doc.runcmd[1].slice(0, 4)).toEqual(['systemctl', 'enable', '--now', '--no-block']);
  });

  test('the units pass systemd-analyze verify laid out as on the VM', () => {
    const root = layOutVm(doc.write_files, { services: ['pricing'], binaries: ['/usr/bin/python3'] });
    const r = systemdVerify(root, [u.release, u.secrets, u.instanceOf(10000), HEALTH_UNIT]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
