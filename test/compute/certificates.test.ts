/**
 * Key Vault certificates delivered to a service's scale sets: the Key Vault VM extension (the
 * versionless secret URL, the slot identity's client ID), the grant one apply before the VMs, the
 * units that publish the certificate before an instance starts and on renewal, and the publisher
 * run for real.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { unitNames, VM_PATHS } from '../../lib/compute/cloud-init';
import { azureIds } from '../../lib/core/azure-ids';
import { formatIssue } from '../../lib/spec/issues';
import { validateEnvironment } from '../../lib/spec/validate';
import { exampleSpec, layOutVm, planOf, resourceAt, synthStacks, systemdVerify, tempDir, type Json } from '../helpers';
import { vmProgram } from '../support/vm-programs';
import { decodeCustomData } from '../../lib/compute/scale-set';

const withCert = () => {
  const spec = exampleSpec();
  spec.keyVault!.certificates!.push({ name: 'catalog-mtls', subject: 'CN=catalog.retail.internal' });
  spec.services[2].certificates = ['catalog-mtls'];
  return spec;
};
const plan = planOf(withCert());
const stacks = synthStacks(withCert());
const catalog = stacks['retail-svc-catalog'];
const vmss = resourceAt(catalog, 'azurerm_linux_virtual_machine_scale_set', 'blue_scale-set_vmss');
const doc = parse(decodeCustomData(vmss.custom_data as string)) as { write_files: Array<{ path: string; content: string; permissions: string }>; runcmd: string[][] };
const unit = (name: string) => doc.write_files.find((f) => f.path === `/etc/systemd/system/${name}`)!.content;

test('a certificate the vault does not hold is refused at its field', () => {
  const spec = withCert();
  spec.services[2].certificates = ['catalog-mtsl'];
  const r = validateEnvironment(spec);
  expect(r.ok ? [] : r.issues.map(formatIssue)).toEqual(["services[2].certificates[0]: names no certificate in keyVault.certificates: 'catalog-mtsl' (did you mean 'catalog-mtls'?)"]);
});

test("the Key Vault extension polls the versionless URL with the slot identity's client ID; other services get none", () => {
  const ext = (vmss.extension as Json[]).find((e) => e.type === 'KeyVaultForLinux')!;
  expect(JSON.parse(ext.settings)).toMatchObject({
    secretsManagementSettings: { observedCertificates: [`https://${plan.names.keyVault}.vault.azure.net/secrets/catalog-mtls`], pollingIntervalInS: '3600', requireInitialSync: true },
    authenticationSettings: { msiClientId: '${data.azurerm_user_assigned_identity.blue-identity.client_id}' },
  });
  expect((JSON.parse(catalog) as Json).data.azurerm_user_assigned_identity['blue-identity']).toMatchObject({ name: 'id-retail-catalog-blue', resource_group_name: 'rg-retail-identities' });
  const pricing = resourceAt(stacks['retail-svc-pricing'], 'azurerm_linux_virtual_machine_scale_set', 'blue_scale-set_vmss');
  expect((pricing.extension as Json[]).map((e) => e.type)).toEqual(['ApplicationHealthLinux', 'AzureMonitorLinuxAgent']);
});

test("each slot's identity may read that certificate's secret, granted in the identities stack", () => {
  const vaultId = azureIds.keyVault(plan.env.subscriptionId, 'rg-retail-vault', plan.names.keyVault);
  for (const slot of ['blue', 'green']) {
    expect(resourceAt(stacks['retail-identities'], 'azurerm_role_assignment', `svc-catalog-${slot}_secret-catalog-mtls`)).toMatchObject({ scope: `${vaultId}/secrets/catalog-mtls`, role_definition_name: 'Key Vault Secrets User' });
  }
});

test('instances start only after the certificate is published; a path unit republishes renewals', () => {
  const source = VM_PATHS.keyVaultCert(plan.names.keyVault, 'catalog-mtls');
  expect(unit(unitNames('catalog').instance)).toContain('Requires=catalog-release.service catalog-certs.service');
  expect(unit(unitNames('catalog').instance)).toContain(`Environment=CERTS_DIR=${VM_PATHS.certsDir('catalog')}`);
  expect(unit(unitNames('catalog').certs)).toContain(`ExecStart=${VM_PATHS.retry} /run/slotenv/catalog-certs.state ${VM_PATHS.certs} catalog /etc/catalog/certs ${source} catalog-mtls`);
  expect(unit(unitNames('catalog').certsPath)).toContain(`PathChanged=${source}`);
  expect(doc.runcmd[1]).toContain('catalog-certs.path');
});

test('the units pass systemd-analyze verify laid out as on the VM', () => {
  const root = layOutVm(doc.write_files, { services: ['catalog'] });
  const r = systemdVerify(root, [unitNames('catalog').certs, unitNames('catalog').certsPath, unitNames('catalog').instanceOf(10032)]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

describe('the publisher, run for real', () => {
  // the service's name is its group: www-data exists on this machine
  const run = (prefix: string, wait: number) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const script = join(prefix, 'publish-certs');
      copyFileSync(vmProgram('service', 'publish-certs.sh'), script);
      const child = spawn('sh', [script, 'www-data', VM_PATHS.certsDir('www-data'), '/kv/vault.cert-a', 'cert-a'], { env: { ...process.env, SLOTENV_PREFIX: prefix, WAIT_SECONDS: String(wait) } });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => resolve({ code, out }));
    });

  test('waits for the extension, publishes readable by the service group only, and republishes a renewal', async () => {
    const prefix = tempDir('certs-');
    mkdirSync(join(prefix, 'kv'));
    const pending = run(prefix, 20);
    await new Promise((r) => setTimeout(r, 500));
    writeFileSync(join(prefix, 'kv/vault.cert-a'), 'PEM v1\n', { mode: 0o600 });
    expect(await pending).toEqual({ code: 0, out: 'publish-certs: www-data: cert-a published\n' });
    const target = join(prefix, 'etc/www-data/certs/cert-a.pem');
    expect(readFileSync(target, 'utf8')).toBe('PEM v1\n');
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect(statSync(target).gid).toBe(33);
    expect(statSync(dirname(target)).mode & 0o777).toBe(0o750);
    expect(await run(prefix, 20)).toEqual({ code: 0, out: '' }); // unchanged: nothing to do
    writeFileSync(join(prefix, 'kv/vault.cert-a'), 'PEM v2\n');
    expect(await run(prefix, 20)).toEqual({ code: 0, out: 'publish-certs: www-data: cert-a published\n' });
    expect(readFileSync(target, 'utf8')).toBe('PEM v2\n');
  });

  test('a certificate that never arrives fails the start, naming where it looked', async () => {
    const prefix = tempDir('certs-');
    const r = await run(prefix, 2);
    expect(r.code).toBe(1);
    expect(r.out).toBe(`publish-certs: www-data: no certificate at ${prefix}/kv/vault.cert-a after 2s (Key Vault extension)\n`);
  });
});
