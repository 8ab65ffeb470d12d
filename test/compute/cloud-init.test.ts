/**
 * Rendered cloud-init through the real tools: `cloud-init schema` on every document, every unit
 * through `systemd-analyze verify` laid out as on the VM, and the release fetcher run for real
 * against loopback stubs (the health endpoint: vm-health.test.ts; retries: start-steps.test.ts).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { cloudInitFor, DRAIN_UNIT, HEALTH_UNIT, RELEASE_AGENT_UNIT, releaseUserData, renderCloudInit, renderCloudInitReference, unitNames, VM_PATHS, type CloudInitInput } from '../../lib/compute/cloud-init';
import { exampleSpec, layOutVm, planOf, releaseTarball, systemdVerify, tempDir } from '../helpers';
import { cloudInitSchemaAll } from '../support/custom-data';
import { vmProgram } from '../support/vm-programs';

const plan = planOf(exampleSpec());
const IDENTITY = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-x';
const documents = plan.env.services.flatMap((svc) => (['blue', 'green'] as const).map((slot) => ({ name: `${svc.name}/${slot}`, input: cloudInitFor(plan, svc, slot, IDENTITY) })));

const one = documents[0].input.services[0];
const noArtifact: CloudInitInput = { ...documents[0].input, services: [{ ...one, artifact: undefined, service: 'baked' }] };
/** Two services on one VM, as on a node pool: each its own ports, version and health path. */
const pooled: CloudInitInput = {
  slot: 'green',
  identityResourceId: IDENTITY,
  services: [
    { ...one, service: 'search', ports: [10048, 10049], healthPath: '/ready' },
    { ...documents[2].input.services[0] },
  ],
};

function schemaCheck(text: string) {
  const file = join(tempDir(), 'user-data.yaml');
  writeFileSync(file, text);
  return spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
}

describe('cloud-init documents', () => {
  const checked = [...documents, { name: 'a slot whose image holds the release', input: noArtifact }, { name: 'two services on one VM', input: pooled }];
  // one python process for all of them (the CLI's own steps; the next tests hold it to the CLI)
  const schema = cloudInitSchemaAll(checked.map((d) => renderCloudInit(d.input)));
  test.each(checked.map((d, i) => ({ ...d, i })))('$name passes cloud-init schema', ({ i }) => {
    expect(schema[i]).toEqual({ status: 0, stdout: 'Valid cloud-config: FILE\n', stderr: '' });
  });

  test('cloud-init schema catches a broken document (the check is not a formality)', () => {
    const broken = renderCloudInit(documents[0].input).replace('runcmd:', 'runcmd: 7\nx_runcmd:');
    expect(schemaCheck(broken).status).not.toBe(0);
  });

  test('the batched check answers as the cloud-init schema command does, for a valid and a broken document', () => {
    const valid = renderCloudInit(documents[0].input);
    const broken = valid.replace('runcmd:', 'runcmd: 7\nx_runcmd:');
    const cli = [valid, broken].map((t) => {
      const file = join(tempDir(), 'user-data.yaml');
      writeFileSync(file, t);
      const r = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
      return { status: r.status, stdout: r.stdout.split(file).join('FILE'), stderr: r.stderr };
    });
    expect(cli[1].status).toBe(1);
    expect(cli[1].stderr).toMatch(/^Error:\nCloud config schema errors: runcmd: 7 is not of type 'array'/);
    expect(cloudInitSchemaAll([valid, broken])).toEqual(cli);
  });

  test('pricing blue starts one unit per planned port, with the release, settings and health config', () => {
    const doc = parse(renderCloudInit(documents.find((d) => d.name === 'pricing/blue')!.input));
    expect(doc.users).toEqual(['default', { name: 'pricing', system: true, shell: '/usr/sbin/nologin', no_create_home: true }]);
    expect(doc.runcmd).toEqual([
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', '--no-block', 'vm-health.service', 'slotenv-release-agent.service', 'slotenv-drain.service', 'pricing@10000.service', 'pricing@10001.service', 'pricing@10002.service', 'pricing@10003.service'],
    ]);
    const files = Object.fromEntries(doc.write_files.map((f: { path: string; content: string }) => [f.path, f]));
    // no VERSION: the release is in the user data (releaseUserData), installed by the release agent
    expect(files['/etc/pricing/release.env'].content).toBe('SERVICE="pricing"\nSLOT="blue"\nPRICE_CACHE_SECONDS="30"\n');
    expect(JSON.parse(files['/etc/slotenv/vm-health.json'].content)).toEqual({
      port: 9000,
      timeoutSeconds: 2,
      startupSeconds: 300,
      stateDir: '/run/slotenv',
      services: [{ service: 'pricing', steps: ['pricing-release', 'pricing-secrets'], checks: [10000, 10001, 10002, 10003].map((port) => ({ port, path: '/health' })) }],
    });
    expect(files['/etc/systemd/system/pricing-release.service'].content).toContain('ExecStart=/usr/local/lib/slotenv/retry /run/slotenv/pricing-release.state /usr/bin/python3 /usr/local/lib/slotenv/release-agent boot pricing\n');
    expect(JSON.parse(files['/etc/slotenv/release-agent.json'].content)).toEqual({
      stateDir: '/run/slotenv',
      fetch: '/usr/local/lib/slotenv/fetch-release',
      identity: IDENTITY,
      pollSeconds: 30,
      startupSeconds: 300,
      services: [{ service: 'pricing', ports: [10000, 10001, 10002, 10003], healthPath: '/health' }],
    });
    // the release itself: in the user data, and nowhere in the custom data
    expect(JSON.parse(releaseUserData(documents.find((d) => d.name === 'pricing/blue')!.input))).toEqual({
      slot: 'blue',
      services: { pricing: { version: '2024.11.3', artifact: { url: 'https://stretailreleases.blob.core.windows.net/releases/pricing/2024.11.3.tar.gz', sha256: '78b2dca965848b5db72383bc3044aa59b3ad19fd92cf8699e2447bce687dda0c' } } },
    });
    const text = renderCloudInit(documents.find((d) => d.name === 'pricing/blue')!.input);
    expect(text).not.toContain('2024.11.3');
    expect(text).not.toContain('78b2dca965848b5db72383bc3044aa59b3ad19fd92cf8699e2447bce687dda0c');
    expect(files['/etc/pricing/release.env'].permissions).toBe('0644');
  });

  test('settings are escaped for systemd', () => {
    const doc = parse(renderCloudInit({ ...noArtifact, services: [{ ...noArtifact.services[0], settings: { A: 'say "hi" $HOME\\' } }] }));
    const env = doc.write_files.find((f: { path: string }) => f.path === '/etc/baked/release.env').content;
    expect(env).toContain('A="say \\"hi\\" \\$HOME\\\\"');
  });

  test.each([
    ...documents,
    { name: 'no artifact', input: noArtifact },
    { name: 'two services', input: pooled },
    { name: 'settings', input: { ...noArtifact, services: [{ ...noArtifact.services[0], settings: { B: 'two\nlines', A: '"q"' } }] } },
  ])(
    '$name: the fast renderer writes exactly what the yaml library writes for the whole document',
    ({ input }) => {
      expect(renderCloudInit(input)).toBe(renderCloudInitReference(input));
    },
  );

  test('two services on one VM: each its env file and units, one health endpoint checking every port on its own path', () => {
    const doc = parse(renderCloudInit(pooled));
    expect(doc.users.slice(1).map((u: { name: string }) => u.name)).toEqual(['order-processing', 'search']);
    expect(doc.runcmd[1]).toEqual(['systemctl', 'enable', '--now', '--no-block', 'vm-health.service', 'slotenv-release-agent.service', 'slotenv-drain.service', 'order-processing@10016.service', 'order-processing@10017.service', 'search@10048.service', 'search@10049.service']);
    const health = JSON.parse(doc.write_files.find((f: { path: string }) => f.path === '/etc/slotenv/vm-health.json').content);
    expect(health.services).toEqual([
      { service: 'order-processing', steps: ['order-processing-release'], checks: [{ port: 10016, path: '/health' }, { port: 10017, path: '/health' }] },
      { service: 'search', steps: ['search-release', 'search-secrets'], checks: [{ port: 10048, path: '/ready' }, { port: 10049, path: '/ready' }] },
    ]);
    const paths = doc.write_files.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['/etc/search/release.env', '/etc/order-processing/release.env', '/etc/systemd/system/search@.service', '/etc/systemd/system/order-processing@.service']));
    expect(paths.filter((p: string) => p === '/usr/local/lib/slotenv/fetch-release')).toHaveLength(1);
    expect(paths.filter((p: string) => p === '/usr/local/lib/slotenv/retry')).toHaveLength(1);
  });

  test('each program is written as its file in lib/compute/vm/, byte for byte, root-owned and executable', () => {
    // a VM with secrets and certificates carries all six
    const input: CloudInitInput = { ...documents[0].input, services: [{ ...one, secrets: { DB_PASSWORD: 'db-password' }, vaultName: 'kv-x', certificates: ['api-tls'] }] };
    const files = Object.fromEntries(parse(renderCloudInit(input)).write_files.map((f: { path: string }) => [f.path, f]));
    const programs: Array<[string, string]> = [
      [VM_PATHS.retry, 'retry.sh'],
      [VM_PATHS.fetch, 'fetch-release.sh'],
      [VM_PATHS.certs, 'publish-certs.sh'],
      [VM_PATHS.secrets, 'fetch-secrets.py'],
      [VM_PATHS.agent, 'release-agent.py'],
      [VM_PATHS.health, 'vm-health.py'],
    ];
    for (const [onVm, file] of programs) {
      expect({ onVm, content: files[onVm]?.content }).toEqual({ onVm, content: readFileSync(vmProgram('service', file), 'utf8') });
      expect({ onVm, owner: files[onVm].owner, permissions: files[onVm].permissions }).toEqual({ onVm, owner: 'root:root', permissions: '0755' });
    }
  });

  test('rendering is deterministic', () => {
    expect(renderCloudInit(documents[0].input)).toBe(renderCloudInit(structuredClone(documents[0].input)));
  });
});

/** A document's files laid out as on the VM, with each service's start program and python3. */
const layOut = (text: string, services: readonly string[]) =>
  layOutVm(parse(text).write_files as Array<{ path: string; content: string; permissions: string }>, { services, binaries: ['/usr/bin/python3'] });
const verify = systemdVerify;

describe('systemd units', () => {
  test.each([...documents.filter((d) => d.name.endsWith('/blue')), { name: 'two services on one VM', input: pooled }])('$name: every unit instance passes systemd-analyze verify', ({ input }) => {
    const root = layOut(renderCloudInit(input), input.services.map((b) => b.service));
    const units = input.services.flatMap((b) => [unitNames(b.service).release, ...b.ports.map((p) => unitNames(b.service).instanceOf(p))]);
    const r = verify(root, [HEALTH_UNIT, RELEASE_AGENT_UNIT, DRAIN_UNIT, ...units]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test("a queue worker's VM: the health endpoint reads its instances' units, each unit stops within stopSeconds, the drain stops them before approving; the units pass verify", () => {
    const worker = { ...documents[0].input.services[0], service: 'giftmaker', worker: { stopSeconds: 120 } };
    const input: CloudInitInput = { ...documents[0].input, services: [worker] };
    const doc = parse(renderCloudInit(input));
    const file = (path: string) => doc.write_files.find((f: { path: string }) => f.path === path)!.content as string;
    const health = JSON.parse(file(VM_PATHS.healthConfig));
    expect(health.services[0].checks).toEqual(worker.ports.map((port) => ({ port, unit: `giftmaker@${port}.service` })));
    expect(file('/etc/systemd/system/giftmaker@.service')).toMatch(/^TimeoutStopSec=120$/m);
    const drain = JSON.parse(file(VM_PATHS.drainConfig));
    expect(drain).toMatchObject({ mode: 'service', stop: [['systemctl', 'stop', ...worker.ports.map((p) => `giftmaker@${p}.service`).sort()]], stopWhat: 'the queue workers' });
    // a request/reply service on the same renderer: no unit checks, no stop timeout, no stop command
    const web = parse(renderCloudInit(documents[0].input));
    const webFile = (path: string) => web.write_files.find((f: { path: string }) => f.path === path)!.content as string;
    expect(JSON.parse(webFile(VM_PATHS.healthConfig)).services[0].checks[0]).toEqual({ port: documents[0].input.services[0].ports[0], path: documents[0].input.services[0].healthPath });
    expect(JSON.parse(webFile(VM_PATHS.drainConfig)).stop).toBeUndefined();
    const root = layOut(renderCloudInit(input), ['giftmaker']);
    const r = verify(root, [HEALTH_UNIT, DRAIN_UNIT, unitNames('giftmaker').release, ...worker.ports.map((p) => unitNames('giftmaker').instanceOf(p))]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('verify fails when the start program is missing (it checks what the VM will run)', () => {
    const root = layOut(renderCloudInit(noArtifact), ['baked']);
    spawnSync('rm', [join(root, VM_PATHS.start('baked'))]);
    const r = verify(root, [unitNames('baked').instanceOf(10000)]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/bin\/start/);
  });
});

/** An HTTP server on loopback; resolves to it and its port. */
function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

describe('release fetcher (lib/compute/vm/fetch-release.sh, run by sh)', () => {
  const { tarball, sha } = releaseTarball();
  let stub: { server: Server; port: number };
  const seen: Array<{ url?: string; auth?: string; metadata?: string }> = [];
  beforeAll(async () => {
    stub = await serve((req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization, metadata: req.headers.metadata as string | undefined });
      if (req.url?.startsWith('/metadata/identity/oauth2/token')) res.writeHead(200).end('{"access_token": "tok-123", "expires_in": "3599"}');
      else if (req.url === '/releases/app.tar.gz' && req.headers.authorization === 'Bearer tok-123') res.writeHead(200).end(tarball);
      else res.writeHead(403).end();
    });
  });
  afterAll(() => stub.server.close());

  /** Runs the script without blocking this process, whose stub server must answer it. */
  function run(prefix: string, expectSha: string): Promise<{ status: number | null; stderr: string }> {
    const script = join(prefix, 'fetch-release');
    copyFileSync(vmProgram('service', 'fetch-release.sh'), script);
    return new Promise((resolve) => {
      const child = spawn('sh', [script, 'app', '1.0.0', `http://127.0.0.1:${stub.port}/releases/app.tar.gz`, expectSha, IDENTITY], {
        env: { ...process.env, SLOTENV_PREFIX: prefix, IMDS_ENDPOINT: `http://127.0.0.1:${stub.port}` },
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (status) => resolve({ status, stderr }));
    });
  }

  test('downloads with the managed identity token, verifies the checksum and points current at the release', async () => {
    const prefix = tempDir();
    const r = await run(prefix, sha);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readlinkSync(join(prefix, 'opt/app/current'))).toBe(join(prefix, 'opt/app/releases/1.0.0'));
    expect(execFileSync(join(prefix, 'opt/app/current/bin/start'), { encoding: 'utf8' })).toBe('started\n');
    const token = seen.find((s) => s.url?.startsWith('/metadata/identity'))!;
    expect(token.metadata).toBe('true');
    expect(token.url).toContain(`msi_res_id=${IDENTITY}`);
    expect(token.url).toContain('resource=https%3A%2F%2Fstorage.azure.com%2F');
  });

  test('refuses a file whose checksum differs and installs nothing', async () => {
    const prefix = tempDir();
    const r = await run(prefix, 'f'.repeat(64));
    expect(r.status).toBe(65); // a failure for good: not retried
    expect(r.stderr).toContain(`has sha256 ${sha}, expected ${'f'.repeat(64)}; refusing it`);
    expect(existsSync(join(prefix, 'opt/app/current'))).toBe(false);
    expect(existsSync(join(prefix, 'opt/app/releases/1.0.0'))).toBe(false);
  });

  test('a second boot with the release in place does not download again', async () => {
    const prefix = tempDir();
    expect((await run(prefix, sha)).status).toBe(0);
    const downloads = seen.filter((s) => s.url === '/releases/app.tar.gz').length;
    expect((await run(prefix, sha)).status).toBe(0);
    expect(seen.filter((s) => s.url === '/releases/app.tar.gz').length).toBe(downloads);
    expect(readFileSync(join(prefix, 'opt/app/current/.sha256'), 'utf8').trim()).toBe(sha);
  });
});

test('every service VM carries the drain agent (gzip, byte for byte once unpacked), its config and its unit, enabled at boot', () => {
  const doc = parse(renderCloudInit(documents.find((d) => d.name === 'pricing/blue')!.input));
  const file = doc.write_files.find((f: { path: string }) => f.path === VM_PATHS.drain);
  expect(file).toMatchObject({ owner: 'root:root', permissions: '0755', encoding: 'gz+b64' });
  expect(gunzipSync(Buffer.from(file.content, 'base64')).toString('utf8')).toBe(readFileSync(vmProgram('service', 'drain.py'), 'utf8'));
  expect(JSON.parse(doc.write_files.find((f: { path: string }) => f.path === VM_PATHS.drainConfig).content)).toEqual({
    mode: 'service', ports: [10000, 10001, 10002, 10003], pollSeconds: 1, lbSeconds: 15, approveMarginSeconds: 10,
    stateFile: '/run/slotenv/drain.json', probeSource: '168.63.129.16', ignorePeers: ['127.0.0.1'],
  });
  expect(doc.write_files.find((f: { path: string }) => f.path === `/etc/systemd/system/${DRAIN_UNIT}`).content).toContain(`ExecStart=/usr/bin/python3 ${VM_PATHS.drain} watch\n`);
  expect(doc.runcmd[1]).toContain(DRAIN_UNIT);
});
