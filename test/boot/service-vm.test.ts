/**
 * The example's service VM, booted for real: cloud-init (Debian 12's 22.4.2) runs the pricing blue
 * scale set's custom data exactly as the synth renders it, under systemd 252 as PID 1
 * (test/support/boot.ts), against loopback stubs for IMDS, the blob store and Key Vault
 * (test/support/azure-stubs.ts). The health endpoint is read from the host as
 * ApplicationHealthLinux 2.0 reads it (test/support/app-health-extension.ts).
 *
 * Run with `npm run test:boot` (ASE_BOOT_TESTS=1, as root); skipped otherwise. docs/boot-tests.md
 * lists what differs from Azure.
 */
import { probeUrl, type Evaluation } from '../support/app-health-extension';
import { azureStubs, stubToken, type AzureStubs } from '../support/azure-stubs';
import { boot, BOOT_TESTS, bootRoot, failedUnits as failed, type BootResult, type Units, type Vm } from '../support/boot';
import { createHash } from 'node:crypto';
import { pricingExample as example, release, SECRET, servedUserData, type Example } from '../support/pricing-vm';
import { exampleSpec, synthStacks } from '../helpers';
import { keyVaultCertificatePath } from '../../lib/vault/vm-extension';

const describeBoot = BOOT_TESTS ? describe : describe.skip;
const PORTS = [10000, 10001, 10002, 10003];
const HEALTH = 'http://127.0.0.1:9000/health';

const active = (u: Units, id: string) => u[id]?.ActiveState === 'active' && u[id]?.SubState === 'running';

/** Probes the health endpoint as the extension does, every second, recording each distinct reply until `done`. */
async function probeUntil(vm: Vm, done: (e: Evaluation, body: string) => boolean, timeoutMs = 240_000): Promise<Array<{ state: string; status: number; body: string }>> {
  const seen: Array<{ state: string; status: number; body: string }> = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await rawGet(HEALTH);
    const e = await probeUrl(HEALTH, 5_000);
    const entry = { state: e.state, status: r.status, body: r.body };
    if (!seen.length || seen[seen.length - 1].body !== entry.body || seen[seen.length - 1].state !== entry.state) seen.push(entry);
    if (done(e, r.body)) return seen;
    if (!vm.running || Date.now() > deadline) throw new Error(`health never got there; replies:\n${seen.map((s) => `${s.state} ${s.status} ${s.body}`).join('\n')}\njournal:\n${vm.journal().split('\n').slice(-60).join('\n')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function rawGet(url: string): Promise<{ status: number; body: string }> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return { status: r.status, body: await r.text() };
  } catch (e) {
    return { status: 0, body: `no answer (${(e as Error).cause ?? e})` };
  }
}

describeBoot('the example service VM, booted (pricing, blue slot)', () => {
  let root: string;
  let ex: Example;
  let archive: { tarball: Buffer; sha: string };
  let stubs: AzureStubs;
  let vm: Vm | undefined;
  let result: BootResult | undefined;
  const boots: Array<{ name: string; seconds: number }> = [];

  beforeAll(() => {
    root = bootRoot();
    ex = example();
    archive = release();
  }, 900_000);

  beforeEach(async () => {
    stubs = await azureStubs();
    const blue = ex.userData.services.pricing;
    stubs.blobs.set(new URL(stubs.blobUrl(blue.artifact.url)).pathname.slice('/blob/'.length), archive.tarball);
    stubs.secrets.set(ex.vault, new Map([['pricing-db-password', SECRET]]));
    result = undefined;
  });

  afterEach(async () => {
    if (vm) {
      result = await vm.stop();
      boots.push({ name: expect.getState().currentTestName ?? '?', seconds: result.seconds });
      vm = undefined;
    }
    await stubs.close();
  }, 120_000);

  afterAll(() => {
    if (boots.length) console.log(`boots: ${boots.map((b) => `${b.seconds.toFixed(1)} s  ${b.name}`).join('\n')}`);
  });

  const start = (name: string, from: Example = ex) =>
    boot(root, {
      name,
      userData: from.customData,
      environment: { IMDS_ENDPOINT: stubs.imds, VAULT_URL: stubs.vaultUrl(ex.vault) },
      ports: [9000, ...PORTS],
    });

  test('the first download is refused twice (403), then succeeds: every instance runs on its $PORT, health goes from starting (Unknown) to Healthy, no unit failed', async () => {
    stubs.userData = servedUserData(ex, stubs, archive.sha);
    stubs.refuse = (path, seen) => path.startsWith('/blob/') && seen < 2;
    vm = await start('retry');

    const replies = await probeUntil(vm, (e) => e.state === 'Healthy');
    const units = await vm.waitForUnits('every instance running', (u) => PORTS.every((p) => active(u, `pricing@${p}.service`)));

    // before Healthy: the endpoint said the release step was retrying, which the extension reads as Unknown
    const starting = replies.filter((r) => r.status === 503);
    expect(starting.map((r) => r.state)).toEqual(starting.map(() => 'Unknown'));
    expect(starting.some((r) => /^\{"reason": "starting: pricing-release retrying after attempt [12] \(exit 1: fetch-release: download of http:\/\/127\.0\.0\.1:\d+\/blob\/stretailreleases\/releases\/pricing\/2024\.11\.3\.tar\.gz failed: HTTP 403/.test(r.body))).toBe(true);
    expect(replies.some((r) => r.state === 'Unhealthy')).toBe(false);
    expect(replies[replies.length - 1]).toEqual({ state: 'Healthy', status: 200, body: '{"ApplicationHealthState": "Healthy", "release": {"pricing": "2024.11.3"}}' });

    // the store saw two refusals and one download, each with the identity's storage token
    const downloads = stubs.log.filter((r) => r.path.startsWith('/blob/'));
    expect(downloads.map((r) => r.status)).toEqual([403, 403, 200]);
    expect(new Set(downloads.map((r) => r.headers.authorization))).toEqual(new Set([`Bearer ${stubToken('https://storage.azure.com/', ex.identity)}`]));
    const tokens = stubs.log.filter((r) => r.path === '/metadata/identity/oauth2/token');
    expect(new Set(tokens.map((r) => r.query.get('msi_res_id')))).toEqual(new Set([ex.identity]));
    expect(tokens.every((r) => r.headers.metadata === 'true')).toBe(true);

    // each instance answers on its own port with the release, the slot and the vault's secret
    for (const port of PORTS) {
      const r = await rawGet(`http://127.0.0.1:${port}/`);
      expect(JSON.parse(r.body)).toEqual({ port: String(port), version: '2024.11.3', slot: 'blue', secret: true });
    }
    expect(units['pricing-release.service']).toMatchObject({ ActiveState: 'active', Result: 'success', NRestarts: '0' });
    expect(units['vm-health.service']).toMatchObject({ ActiveState: 'active', SubState: 'running' });
    expect(units['slotenv-release-agent.service']).toMatchObject({ ActiveState: 'active', SubState: 'running' });
    expect((await vm.exec('cat /run/slotenv/pricing-release.state')).output).toBe('ready\n');
    expect(JSON.parse((await vm.exec('cat /run/slotenv/pricing.release.json')).output)).toEqual({ release: ['2024.11.3', archive.sha], running: '2024.11.3' });
    expect((await vm.exec('stat -c "%U %a" /run/slotenv-secrets/pricing.env')).output).toBe('root 600\n');
    // security updates between OS patches (lib/compute/updates.ts): the booted systemd took the
    // timer drop-in, and apt reads the settings from the folder the image's own files are in
    const timer = (await vm.exec('systemctl show -p RandomizedDelayUSec -p FixedRandomDelay apt-daily-upgrade.timer')).output;
    expect(timer).toMatch(/^RandomizedDelayUSec=6h$/m);
    expect(timer).toMatch(/^FixedRandomDelay=yes$/m);
    expect((await vm.exec('apt-config shell R Unattended-Upgrade::Automatic-Reboot U APT::Periodic::Unattended-Upgrade')).output).toBe("R='false'\nU='1'\n");

    result = await vm.stop();
    vm = undefined;
    expect(failed(result.units)).toEqual([]);
    expect(result.ended).toBe('poweroff');
    // cloud-init ran the document through to its final stage without an error
    expect(result.cloudInitStatus).toMatch(/^status: done$/m);
    expect(result.cloudInitStatus).toMatch(/^detail:\s*\nDataSourceNoCloud/m);
    expect(result.journal).toMatch(/retry: .* attempt 2 failed \(exit 1\); next in 10s/);
    boots.push({ name: expect.getState().currentTestName ?? '?', seconds: result.seconds });
  }, 400_000);

  test('a wrong SHA-256 (the example\'s own, against the stub\'s archive): the release step fails for good, no instance starts, health names the reason (Unhealthy)', async () => {
    // the synthesized user data as it is: its SHA-256 is the example's, not the archive's
    stubs.userData = servedUserData(ex, stubs);
    vm = await start('refused');

    const replies = await probeUntil(vm, (e) => e.state === 'Unhealthy');
    const units = await vm.waitForUnits('the release step failed', (u) => u['pricing-release.service']?.ActiveState === 'failed');
    const want = ex.userData.services.pricing.artifact.sha256;
    const last = replies[replies.length - 1];
    expect(last.status).toBe(200);
    expect(JSON.parse(last.body)).toEqual({
      ApplicationHealthState: 'Unhealthy',
      reason: `pricing-release failed: fetch-release: ${stubs.blobUrl(ex.userData.services.pricing.artifact.url)} has sha256 ${archive.sha}, expected ${want}; refusing it`,
    });
    expect(units['pricing-release.service']).toMatchObject({ Result: 'exit-code', ExecMainStatus: '65', NRestarts: '0' });
    for (const port of PORTS) {
      expect(units[`pricing@${port}.service`]?.ActiveState).toBe('inactive');
      expect((await rawGet(`http://127.0.0.1:${port}/`)).status).toBe(0);
    }
    // one download only: a refused archive is not tried again
    expect(stubs.log.filter((r) => r.path.startsWith('/blob/')).map((r) => r.status)).toEqual([200]);
    const files = await vm.exec('ls -A /opt/pricing/releases 2>&1; ls /opt/pricing/current 2>&1');
    expect(files.output).not.toMatch(/2024\.11\.3/);
  }, 400_000);

  test('a new release through the user data (no reimage, no reboot): the release agent switches the instances port by port, health stays Healthy and then names the new release', async () => {
    stubs.userData = servedUserData(ex, stubs, archive.sha);
    vm = await start('release');
    await probeUntil(vm, (e, body) => e.state === 'Healthy' && body.includes('"2024.11.3"'));

    // the model's user data changes (a release to this slot): a new version, its archive at a new path
    const next = structuredClone(ex.userData);
    next.services.pricing.version = '2024.12.0';
    next.services.pricing.artifact.url = ex.userData.services.pricing.artifact.url.replace('2024.11.3', '2024.12.0');
    stubs.blobs.set(new URL(stubs.blobUrl(next.services.pricing.artifact.url)).pathname.slice('/blob/'.length), archive.tarball);
    stubs.userData = servedUserData({ ...ex, userData: next }, stubs, archive.sha);

    // the agent polls every 30 s (the rendered pollSeconds); the switch restarts one port at a time
    const replies = await probeUntil(vm, (e, body) => e.state === 'Healthy' && body.includes('"2024.12.0"') && !body.includes('warning'), 180_000);
    expect(replies.map((r) => r.state)).toEqual(replies.map(() => 'Healthy'));
    expect(replies.some((r) => /"warning": "pricing: switching to 2024\.12\.0 \(pricing@1000[0-3] restarting\)"/.test(r.body))).toBe(true);
    expect(replies[replies.length - 1].body).toBe('{"ApplicationHealthState": "Healthy", "release": {"pricing": "2024.12.0"}}');
    for (const port of PORTS) expect(JSON.parse((await rawGet(`http://127.0.0.1:${port}/`)).body)).toEqual({ port: String(port), version: '2024.12.0', slot: 'blue', secret: true });
    expect(JSON.parse((await vm.exec('cat /run/slotenv/pricing.release.json')).output)).toEqual({ release: ['2024.12.0', archive.sha], running: '2024.12.0' });
    expect(stubs.log.filter((r) => r.path.startsWith('/blob/')).map((r) => `${r.status} ${r.path.replace(/^.*\//, '')}`)).toEqual(['200 2024.11.3.tar.gz', '200 2024.12.0.tar.gz']);
    expect(failed(vm.units())).toEqual([]);
  }, 400_000);

  test('a reboot: the units enabled by the first boot start with the boot itself (runcmd does not run again), the installed release is not downloaded again, secrets are fetched again', async () => {
    stubs.userData = servedUserData(ex, stubs, archive.sha);
    vm = await start('reboot');
    await probeUntil(vm, (e) => e.state === 'Healthy');
    const firstBoot = stubs.log.length;

    await vm.reboot();
    await probeUntil(vm, (e) => e.state === 'Healthy');
    // cloud-final (which logs "already ran") is ordered after multi-user.target, not before it: wait for both,
    // or the grep below races cloud-final on a loaded machine (CI saw 0 for the second count)
    const units = await vm.waitForUnits(
      'every instance running, the boot and cloud-final finished',
      (u) => PORTS.every((p) => active(u, `pricing@${p}.service`)) && u['multi-user.target']?.ActiveState === 'active' && u['cloud-final.service']?.ActiveState === 'active',
    );
    expect(failed(units)).toEqual([]);
    // cloud-init's per-instance modules (runcmd among them) ran on the first boot only
    const log = await vm.exec("grep -c \"Running command \\['/var/lib/cloud/instance/scripts/runcmd'\\]\" /var/log/cloud-init.log; grep -c 'config-scripts-user already ran' /var/log/cloud-init.log");
    expect(log.output).toBe('1\n1\n');
    // the instances were part of the boot transaction: multi-user.target was reached after them
    const order = await vm.exec('for u in pricing@10000.service pricing@10003.service multi-user.target; do systemctl show -p ActiveEnterTimestampMonotonic --value $u; done');
    const [i0, i3, target] = order.output.trim().split('\n').map(Number);
    expect(target).toBeGreaterThanOrEqual(Math.max(i0, i3));
    const second = stubs.log.slice(firstBoot);
    expect(second.filter((r) => r.path.startsWith('/blob/'))).toEqual([]);
    expect(second.some((r) => r.path.startsWith('/vault/') && r.status === 200)).toBe(true);
    for (const port of PORTS) expect(JSON.parse((await rawGet(`http://127.0.0.1:${port}/`)).body)).toEqual({ port: String(port), version: '2024.11.3', slot: 'blue', secret: true });
  }, 400_000);

  test('a missing secret: the secrets step retries (404) and no instance starts; once the secret exists the instances start and health turns Healthy', async () => {
    stubs.userData = servedUserData(ex, stubs, archive.sha);
    stubs.secrets.get(ex.vault)!.delete('pricing-db-password');
    vm = await start('secret');

    const before = await probeUntil(vm, (_e, body) => /pricing-secrets retrying after attempt 2 /.test(body));
    const last = before[before.length - 1];
    expect(last.state).toBe('Unknown');
    expect(last.status).toBe(503);
    expect(JSON.parse(last.body).reason).toBe('starting: pricing-secrets retrying after attempt 2 (exit 1: fetch-secrets: pricing: secret pricing-db-password (for DB_PASSWORD): HTTP 404 from the vault), next in 10s');
    const waiting = vm.units();
    for (const port of PORTS) expect(waiting[`pricing@${port}.service`]?.ActiveState).not.toBe('active');
    expect(waiting['pricing-release.service']).toMatchObject({ ActiveState: 'active', Result: 'success' });
    expect(failed(waiting)).toEqual([]);

    // the secret is created (a late `az keyvault secret set`): the next attempt gets it
    stubs.secrets.get(ex.vault)!.set('pricing-db-password', SECRET);
    await probeUntil(vm, (e) => e.state === 'Healthy');
    const units = await vm.waitForUnits('every instance running', (u) => PORTS.every((p) => active(u, `pricing@${p}.service`)));
    expect(failed(units)).toEqual([]);
    for (const port of PORTS) expect(JSON.parse((await rawGet(`http://127.0.0.1:${port}/`)).body).secret).toBe(true);
    const vaultCalls = stubs.log.filter((r) => r.path.startsWith('/vault/'));
    expect(vaultCalls.slice(0, 2).map((r) => r.status)).toEqual([404, 404]);
    expect(vaultCalls[vaultCalls.length - 1].status).toBe(200);
    expect(new Set(vaultCalls.map((r) => r.headers.authorization))).toEqual(new Set([`Bearer ${stubToken('https://vault.azure.net', ex.identity)}`]));
  }, 400_000);

  test("service certificates: no instance starts until the Key Vault extension's file is there; then it is published to /etc/pricing/certs (root:pricing 0640), the instances read it, and a renewal is republished by the path unit", async () => {
    const spec = exampleSpec();
    spec.keyVault!.certificates!.push({ name: 'pricing-tls', subject: 'CN=pricing.retail.internal', dnsNames: ['pricing.retail.internal'] });
    spec.services.find((s) => s.name === 'pricing')!.certificates = ['pricing-tls'];
    const withCert = example('blue', synthStacks(spec));
    expect(withCert.customData).toContain('pricing-certs.path');
    stubs.userData = servedUserData(withCert, stubs, archive.sha);
    vm = await start('certs', withCert);
    // where the Key Vault VM extension writes the certificate (its default store, the vault's name and the certificate's)
    const source = keyVaultCertificatePath(withCert.vault, 'pricing-tls');

    // the extension has not written it yet: the step waits its 30 s, then retries; no instance starts
    const before = await probeUntil(vm, (_e, body) => /pricing-certs retrying after attempt 1 /.test(body));
    const last = before[before.length - 1];
    expect(last.state).toBe('Unknown');
    expect(last.status).toBe(503);
    expect(JSON.parse(last.body).reason).toMatch(new RegExp(`^starting: pricing-certs retrying after attempt 1 \\(exit 1: publish-certs: pricing: no certificate at ${source.replace(/\./g, '\\.')} after 30s \\(Key Vault extension\\)\\), next in \\d+s$`));
    const waiting = vm.units();
    for (const port of PORTS) expect(waiting[`pricing@${port}.service`]?.ActiveState).not.toBe('active');
    expect(failed(waiting)).toEqual([]);

    // the extension's first sync: root's file, as it writes it
    const pem = (n: number) => `-----BEGIN PRIVATE KEY-----\nkey-${n}\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\ncert-${n}\n-----END CERTIFICATE-----\n`;
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    const write = (text: string) => vm!.exec(`mkdir -p "$(dirname ${source})" && printf '%s' '${text}' > ${source}.tmp && chmod 600 ${source}.tmp && mv ${source}.tmp ${source}`);
    expect((await write(pem(1))).status).toBe(0);
    await probeUntil(vm, (e) => e.state === 'Healthy');
    const units = await vm.waitForUnits('every instance running', (u) => PORTS.every((p) => active(u, `pricing@${p}.service`)));
    expect(failed(units)).toEqual([]);
    expect((await vm.exec('stat -c "%U:%G %a" /etc/pricing/certs /etc/pricing/certs/pricing-tls.pem')).output).toBe('root:pricing 750\nroot:pricing 640\n');
    // each instance (the service's user) reads the published file: the extension's bytes
    for (const port of PORTS) expect(JSON.parse((await rawGet(`http://127.0.0.1:${port}/`)).body).certs).toEqual({ 'pricing-tls.pem': sha(pem(1)) });

    // a renewal: the extension writes the new version; the path unit publishes it
    expect((await write(pem(2))).status).toBe(0);
    const deadline = Date.now() + 60_000;
    let published = '';
    while (Date.now() < deadline && (published = (await vm.exec('cat /etc/pricing/certs/pricing-tls.pem')).output) !== pem(2)) await new Promise((r) => setTimeout(r, 500));
    expect(published).toBe(pem(2));
    expect(vm.journal()).toMatch(/publish-certs: pricing: pricing-tls published[\s\S]*publish-certs: pricing: pricing-tls published/);
    expect(failed(vm.units())).toEqual([]);
  }, 400_000);
});
