/**
 * The example's Key Vault: RBAC, purge protection, soft delete, a firewall that denies by default
 * and admits only the deployer, a private endpoint for the VMs, destroy protection, and
 * data-plane roles for the deployer only.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { azureIds } from '../../lib/core/azure-ids';
import { formatIssue } from '../../lib/spec/issues';
import { validateEnvironment } from '../../lib/spec/validate';
import { synthesize } from '../../stacks/synthesize';
import { globalSuffix } from '../../lib/spec/names';
import { exampleSpec, resourceAt, resourcesOf, synthStacks, tempDir, type Json, exampleStacks } from '../helpers';

const stacks = exampleStacks();
const vaultStack = JSON.parse(stacks['retail-vault']) as Json;
const vault = resourceAt(vaultStack, 'azurerm_key_vault', 'key-vault_vault');
const subnet = (name: string) => azureIds.subnet('6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10', 'rg-retail-network', 'vnet-retail', name);

describe('Key Vault', () => {
  test('uses RBAC, purge protection and the declared soft-delete retention', () => {
    expect(vault).toMatchObject({ rbac_authorization_enabled: true, purge_protection_enabled: true, soft_delete_retention_days: 90, sku_name: 'standard' });
    expect(vault.access_policy).toBeUndefined();
    expect(vault.enable_rbac_authorization).toBeUndefined(); // the deprecated spelling is not used
  });

  test('has a stable, globally unique name derived from the subscription and environment', () => {
    expect(vault.name).toBe(`kv-retail-${globalSuffix('6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10', 'retail')}`);
    expect(vault.name).toMatch(/^kv-retail-[0-9a-f]{6}$/);
  });

  test('denies by default, with no trusted-services bypass, and admits only the deployer (no subnet: the VMs come through the private endpoint)', () => {
    expect(vault.network_acls).toEqual({ default_action: 'Deny', bypass: 'None', ip_rules: ['203.0.113.0/28'], virtual_network_subnet_ids: [] });
  });

  test('the VMs reach it through a private endpoint in the endpoints subnet, resolved by the privatelink zone linked to the VNet', () => {
    expect(resourceAt(vaultStack, 'azurerm_private_endpoint', 'private-link_endpoint')).toMatchObject({
      subnet_id: subnet('snet-endpoints'),
      location: 'westeurope',
      private_service_connection: { is_manual_connection: false, private_connection_resource_id: '${azurerm_key_vault.key-vault_vault.id}', subresource_names: ['vault'] },
      private_dns_zone_group: { private_dns_zone_ids: ['${azurerm_private_dns_zone.private-link_dns-zone.id}'] },
    });
    expect(resourceAt(vaultStack, 'azurerm_private_dns_zone', 'private-link_dns-zone').name).toBe('privatelink.vaultcore.azure.net');
    expect(resourceAt(vaultStack, 'azurerm_private_dns_zone_virtual_network_link', 'private-link_dns-link')).toMatchObject({
      private_dns_zone_name: '${azurerm_private_dns_zone.private-link_dns-zone.name}',
      virtual_network_id: '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-network/providers/Microsoft.Network/virtualNetworks/vnet-retail',
      registration_enabled: false,
    });
  });

  test('NSG rules apply to the private endpoint, and admit this VNet on 443 only; VM subnets have the Storage endpoint and no Key Vault one', () => {
    const network = JSON.parse(stacks['retail-network']) as Json;
    for (const [address, s] of Object.entries(resourcesOf(network, 'azurerm_subnet'))) {
      const vm = !/lb-frontends|endpoints/.test(address);
      expect({ address, endpoints: s.service_endpoints }).toEqual({ address, endpoints: vm ? ['Microsoft.Storage'] : undefined });
    }
    expect(resourceAt(network, 'azurerm_subnet', 'network_endpoints-subnet').private_endpoint_network_policies).toBe('Enabled');
    expect(resourceAt(network, 'azurerm_network_security_rule', 'network_endpoints-allow-private-endpoints-from-vnet')).toMatchObject({
      access: 'Allow', protocol: 'Tcp', source_address_prefix: '10.20.0.0/16', destination_address_prefix: '10.20.2.0/24', destination_port_range: '443',
    });
  });

  test('is protected from destroy by prevent_destroy and purge protection, with no delete lock above its grants', () => {
    expect(vault.lifecycle).toEqual({ prevent_destroy: true });
    expect(vault.purge_protection_enabled).toBe(true);
    // a CanNotDelete lock would block deleting the grants on it and its secrets (ScopeLocked)
    expect(resourcesOf(vaultStack, 'azurerm_management_lock')).toEqual({});
  });

  test("waits for each of the deployer's grants, 5 minutes and again only when the grant is new, before writing certificates and contacts", () => {
    const sleeps = resourcesOf(vaultStack, 'time_sleep');
    expect(Object.fromEntries(Object.entries(sleeps).map(([a, s]) => [a, [s.create_duration, s.triggers]]))).toEqual({
      'key-vault_deployer-certificates-propagated': ['5m', { role_assignment_id: '${azurerm_role_assignment.key-vault_deployer-certificates.id}' }],
      'key-vault_deployer-secrets-propagated': ['5m', { role_assignment_id: '${azurerm_role_assignment.key-vault_deployer-secrets.id}' }],
    });
    const waits = ['time_sleep.key-vault_deployer-certificates-propagated', 'time_sleep.key-vault_deployer-secrets-propagated'];
    expect(resourceAt(vaultStack, 'azurerm_key_vault_certificate', 'certificate-front-tls_certificate').depends_on).toEqual(waits);
    expect(resourceAt(vaultStack, 'azurerm_key_vault_certificate_contacts', 'key-vault_contacts').depends_on).toEqual(waits);
  });

  test('grants the deployer the certificate and secret officer roles at vault scope, and nothing else', () => {
    const roles = resourcesOf(vaultStack, 'azurerm_role_assignment');
    expect(Object.values(roles).map((r) => [r.role_definition_name, r.principal_id, r.principal_type, r.scope])).toEqual([
      ['Key Vault Certificates Officer', '3c9e1f0a-7b2d-4e6f-8a1c-5d4b3a2f1e0d', 'ServicePrincipal', '${azurerm_key_vault.key-vault_vault.id}'],
      ['Key Vault Secrets Officer', '3c9e1f0a-7b2d-4e6f-8a1c-5d4b3a2f1e0d', 'ServicePrincipal', '${azurerm_key_vault.key-vault_vault.id}'],
    ]);
  });

  test("sends audit logs and metrics to the environment's workspace; to the vault's own workspace when one is named, in one setting; none with monitoring off", () => {
    expect(Object.values(resourcesOf(vaultStack, 'azurerm_monitor_diagnostic_setting'))).toEqual([
      expect.objectContaining({
        target_resource_id: '${azurerm_key_vault.key-vault_vault.id}',
        log_analytics_workspace_id: '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-monitor/providers/Microsoft.OperationalInsights/workspaces/log-retail',
        enabled_log: [{ category_group: 'audit' }],
        enabled_metric: [{ category: 'AllMetrics' }],
      }),
    ]);
    const off = exampleSpec();
    off.monitoring = { enabled: false };
    expect(resourcesOf(synthStacks(off)['retail-vault'], 'azurerm_monitor_diagnostic_setting')).toEqual({});
    const spec = exampleSpec();
    const workspace = '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/law-retail';
    spec.keyVault!.logAnalyticsWorkspaceId = workspace;
    const withLogs = JSON.parse(synthStacks(spec)['retail-vault']) as Json;
    expect(resourceAt(withLogs, 'azurerm_monitor_diagnostic_setting', 'key-vault_diagnostics')).toMatchObject({
      target_resource_id: '${azurerm_key_vault.key-vault_vault.id}',
      log_analytics_workspace_id: workspace,
      enabled_log: [{ category_group: 'audit' }],
    });
    // the vault's audit log goes where the spec says, once
    expect(Object.keys(resourcesOf(withLogs, 'azurerm_monitor_diagnostic_setting'))).toEqual(['key-vault_diagnostics']);
  });

  test('an environment without keyVault has no vault stack and no rule for private endpoints (VM subnets keep their storage endpoint)', () => {
    const spec = exampleSpec();
    delete spec.keyVault;
    delete spec.front; // its TLS certificate came from the vault
    spec.services[0].settings = {}; // and pricing's database password
    const without = synthStacks(spec);
    expect(without['retail-vault']).toBeUndefined();
    for (const s of Object.values(resourcesOf(without['retail-network'], 'azurerm_subnet'))) expect(s.service_endpoints).toEqual(/^snet-(front|svc-)/.test(s.name) ? ['Microsoft.Storage'] : undefined);
    expect(Object.keys(resourcesOf(without['retail-network'], 'azurerm_network_security_rule')).filter((a) => a.includes('private-endpoints'))).toEqual([]);
  });
});

describe('certificates', () => {
  const cert = (stack: Json, name: string) => resourceAt(stack, 'azurerm_key_vault_certificate', `certificate-${name}_certificate`);

  test('a self-signed certificate renews itself 30 days before expiry, after the deployer can write to the vault', () => {
    const c = cert(vaultStack, 'front-tls');
    expect(c.certificate_policy).toMatchObject({
      issuer_parameters: { name: 'Self' },
      key_properties: { key_type: 'RSA', key_size: 2048, exportable: true, reuse_key: false },
      lifetime_action: [{ action: { action_type: 'AutoRenew' }, trigger: { days_before_expiry: 30 } }],
      x509_certificate_properties: { subject: 'CN=retail.internal', validity_in_months: 12, subject_alternative_names: { dns_names: ['retail.internal', '*.retail.internal'] } },
    });
    expect(c.certificate).toBeUndefined();
    expect(c.depends_on).toEqual(['time_sleep.key-vault_deployer-certificates-propagated', 'time_sleep.key-vault_deployer-secrets-propagated']);
    expect(resourceAt(vaultStack, 'azurerm_key_vault_certificate_contacts', 'key-vault_contacts').contact).toEqual([{ email: 'platform-team@retail.invalid' }]);
  });

  test('an integrated CA certificate renews itself; an imported one e-mails the contacts, read from its file at plan time', () => {
    const spec = exampleSpec();
    spec.front = {}; // the front's certificate is not among these
    spec.keyVault!.certificates = [
      { name: 'api', issuer: 'DigiCert', subject: 'CN=api.retail.example', keyType: 'EC' },
      { name: 'legacy', issuer: 'imported', importFrom: { path: '/etc/retail-ci/legacy.pfx' }, subject: 'CN=legacy.retail.internal' },
    ];
    const stack = JSON.parse(synthStacks(spec)['retail-vault']) as Json;
    expect(cert(stack, 'api').certificate_policy).toMatchObject({
      issuer_parameters: { name: 'DigiCert' },
      key_properties: { key_type: 'EC', curve: 'P-256' },
      lifetime_action: [{ action: { action_type: 'AutoRenew' } }],
    });
    expect(cert(stack, 'api').certificate_policy.key_properties.key_size).toBeUndefined();
    const legacy = cert(stack, 'legacy');
    expect(legacy.certificate).toEqual({ contents: '${filebase64("/etc/retail-ci/legacy.pfx")}' });
    expect(legacy.certificate_policy.lifetime_action).toEqual([{ action: { action_type: 'EmailContacts' }, trigger: { days_before_expiry: 30 } }]);
    expect(legacy.certificate_policy.x509_certificate_properties).toBeUndefined();
  });

  test('an imported certificate is written with the policy warning ASE-KV-002, naming who hears of its expiry; a renewable one gets none', () => {
    const spec = exampleSpec();
    spec.keyVault!.certificates!.push({ name: 'legacy', issuer: 'imported', importFrom: { path: '/etc/retail-ci/legacy.pfx' }, subject: 'CN=legacy.retail.internal' });
    const r = synthesize([{ file: 'retail.ts', spec, issues: [] }], join(tempDir(), 'cdktf.out'));
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([
      {
        file: 'retail.ts',
        path: 'retail-vault:azurerm_key_vault_certificate.certificate-legacy_certificate',
        message:
          'warning ASE-KV-002 retail-vault:azurerm_key_vault_certificate.certificate-legacy_certificate: imported: Key Vault cannot renew it; platform-team@retail.invalid will be e-mailed before it expires, and someone must import the next one',
      },
    ]);
    expect(synthesize([{ file: 'retail.ts', spec: exampleSpec(), issues: [] }], join(tempDir(), 'cdktf.out')).warnings).toEqual([]);
  });
});

describe('certificate validation', () => {
  const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n';
  const lines = (spec: unknown) => {
    const r = validateEnvironment(spec);
    return r.ok ? [] : r.issues.map(formatIssue);
  };

  test('refuses an inline certificate or private key wherever it is, naming the field', () => {
    const spec = exampleSpec() as Json;
    spec.services[0].settings = { TLS_KEY: PEM };
    spec.keyVault.certificates[0].pem = PEM;
    expect(lines(spec)).toEqual([
      'keyVault.certificates[0].pem: unknown field (allowed here: name, issuer, importFrom, subject, dnsNames, extendedKeyUsage, keyType, keySize, validityMonths, renewBeforeDays)',
      'keyVault.certificates[0].pem: holds an inline certificate or private key; secrets never go in the repository (import it from a file outside the repository (keyVault.certificates[].importFrom.path), or keep it in Key Vault)',
      'services[0].settings.TLS_KEY: holds an inline certificate or private key; secrets never go in the repository (import it from a file outside the repository (keyVault.certificates[].importFrom.path), or keep it in Key Vault)',
    ]);
  });

  test('an imported certificate needs its file and contacts; only an imported one names a file', () => {
    const spec = exampleSpec() as Json;
    spec.keyVault.contacts = [];
    spec.front = {};
    spec.keyVault.certificates = [
      { name: 'a', issuer: 'imported', subject: 'CN=a' },
      { name: 'b', importFrom: { path: '/etc/b.pfx' }, subject: 'CN=b' },
    ];
    expect(lines(spec)).toEqual([
      "keyVault.certificates[0].importFrom: required for an imported certificate: the file's path outside the repository",
      'keyVault.certificates[0].issuer: Key Vault cannot renew an imported certificate, and keyVault.contacts is empty (declare keyVault.contacts to hear before it expires)',
      "keyVault.certificates[1].importFrom: only an imported certificate names a file (issuer is 'self') (set issuer: 'imported', or remove importFrom)",
    ]);
  });

  test('refuses an imported file inside the repository, and writes nothing', () => {
    const dir = tempDir();
    const spec = exampleSpec();
    spec.front = {}; // the front's certificate is not among these
    spec.keyVault!.certificates = [{ name: 'x', issuer: 'imported', importFrom: { path: `${dir}/certs/x.pfx` }, subject: 'CN=x' }];
    const r = synthesize([{ file: 'retail.ts', spec, issues: [] }], join(dir, 'out'), { projectRoot: dir });
    expect(r.ok).toBe(false);
    expect(r.problems[0].issues.map(formatIssue)).toEqual([
      `keyVault.certificates[0].importFrom.path: ${dir}/certs/x.pfx is inside the repository (keep certificate files outside the repository (e.g. a CI secret file))`,
    ]);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
