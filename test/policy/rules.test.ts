/**
 * The policy pack: the example has no findings; breaking each guarded property in a synthesized
 * stack gets the matching rule; suppressions need a reason and are listed; an error fails the
 * synth and writes nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkStacks, formatFinding } from '../../lib/policy/policy';
import { RULES, type Json } from '../../lib/policy/rules';
import { formatIssue } from '../../lib/spec/issues';
import { validateEnvironment } from '../../lib/spec/validate';
import { synthesize } from '../../stacks/synthesize';
import { exampleSpec, resourceAt, synthStacks, tempDir, exampleStacks } from '../helpers';

const stacks = exampleStacks();
const TAGS = ['owner', 'cost-center'];
const parsed = () => Object.fromEntries(Object.entries(stacks).map(([k, v]) => [k, JSON.parse(v) as Json]));
/** The rules a change to one resource of the example trips. */
function broken(stack: string, type: string, address: string, change: (r: Json, s: Json) => void): string[] {
  const all = parsed();
  change(all[stack].resource[type][address], all[stack]);
  return checkStacks(all, { requiredTags: TAGS }).map((f) => `${f.rule} ${f.resource}: ${f.message}`);
}
/** Adds a management lock to a stack (CanNotDelete unless told). */
const lock = (st: Json, address: string, scope: string, level = 'CanNotDelete') => ((st.resource.azurerm_management_lock ??= {})[address] = { name: address, scope, lock_level: level });
const VMSS = ['retail-svc-pricing', 'azurerm_linux_virtual_machine_scale_set', 'blue_scale-set_vmss'] as const;

test('the example synth has no findings', () => {
  expect(checkStacks(stacks, { requiredTags: TAGS })).toEqual([]);
});

test('every rule has an ID, a severity, a rationale and a fix; IDs are unique', () => {
  expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  for (const r of RULES) expect([r.id, r.title.length > 5, r.rationale.length > 10, r.fix.length > 5]).toEqual([expect.stringMatching(/^ASE-[A-Z]+-\d{3}$/), true, true, true]);
});

test.each([
  ['ASE-NET-001', 'a public IP not used by the NAT gateway', () => broken('retail-network', 'azurerm_public_ip', 'network_nat-ip', (_r, s) => delete s.resource.azurerm_nat_gateway_public_ip_association)],
  ['ASE-NET-002', 'a subnet without its NSG', () => broken('retail-network', 'azurerm_subnet', 'network_front-subnet', (_r, s) => delete s.resource.azurerm_subnet_network_security_group_association['network_front-nsg-link'])],
  ['ASE-NET-003', 'an NSG rule open to the internet', () => broken('retail-network', 'azurerm_network_security_rule', 'network_front-allow-callers-from-vnet', (r) => ((r.source_address_prefix = '*'), delete r.source_address_prefixes))],
  ['ASE-NET-004', 'an NSG without its VNet deny', () => broken('retail-network', 'azurerm_network_security_group', 'network_svc-pricing-nsg', (_r, st) => delete st.resource.azurerm_network_security_rule['network_svc-pricing-deny-virtual-network'])],
  ['ASE-NET-004', 'an NSG that denies the probes', () => broken('retail-network', 'azurerm_network_security_group', 'network_front-nsg', (_r, st) => delete st.resource.azurerm_network_security_rule['network_front-allow-azure-load-balancer'])],
  ['ASE-NET-004', 'a VNet deny that shadows an allow', () => broken('retail-network', 'azurerm_network_security_group', 'network_front-nsg', (_r, st) => (st.resource.azurerm_network_security_rule['network_front-deny-virtual-network'].priority = 115))],
  ['ASE-VM-001', 'a password VM', () => broken(...VMSS, (r) => ((r.disable_password_authentication = false), (r.admin_password = 'P@ssw0rd!')))],
  ['ASE-VM-001', 'a scale set with no SSH key', () => broken(...VMSS, (r) => delete r.admin_ssh_key)],
  ['ASE-VM-002', 'no encryption at host', () => broken(...VMSS, (r) => (r.encryption_at_host_enabled = false))],
  ['ASE-VM-005', 'a scale set without the VM agent', () => broken(...VMSS, (r) => (r.provision_vm_agent = false))],
  ['ASE-NET-003', 'an NSG with an inline rule open to the internet', () => broken('retail-network', 'azurerm_network_security_group', 'network_front-nsg', (r) => (r.security_rule = [{ name: 'udp', direction: 'Inbound', access: 'Allow', protocol: 'Udp', source_address_prefix: 'Internet', destination_port_range: '53', priority: 200 }]))],
  ['ASE-ST-001', 'the front store with shared keys (the provider default)', () => broken('retail-front', 'azurerm_storage_account', 'front_store', (r) => delete r.shared_access_key_enabled)],
  ['ASE-ST-001', 'the front store open to anonymous containers (the provider default)', () => broken('retail-front', 'azurerm_storage_account', 'front_store', (r) => delete r.allow_nested_items_to_be_public)],
  ['ASE-ST-001', 'the front store over plain HTTP and TLS 1.0', () => broken('retail-front', 'azurerm_storage_account', 'front_store', (r) => ((r.https_traffic_only_enabled = false), (r.min_tls_version = 'TLS1_0')))],
  ['ASE-ST-001', "a public container in the front's store", () => broken('retail-front', 'azurerm_storage_container', 'front_container', (r) => (r.container_access_type = 'blob'))],
  ['ASE-ST-002', 'the front store without network rules', () => broken('retail-front', 'azurerm_storage_account', 'front_store', (r) => delete r.network_rules)],
  ['ASE-ST-002', 'the front store admitting every network', () => broken('retail-front', 'azurerm_storage_account', 'front_store', (r) => (r.network_rules.default_action = 'Allow'))],
  ['ASE-KV-004', 'a vault without its private endpoint', () => broken('retail-vault', 'azurerm_key_vault', 'key-vault_vault', (_r, st) => delete st.resource.azurerm_private_endpoint)],
  ['ASE-VM-003', 'one zone', () => broken(...VMSS, (r) => (r.zones = ['1']))],
  ['ASE-VM-004', 'manual upgrades without repair', () => broken(...VMSS, (r) => ((r.upgrade_mode = 'Manual'), (r.automatic_instance_repair = { enabled: false })))],
  ['ASE-AS-001', 'an autoscale minimum of 1', () => broken('retail-svc-pricing', 'azurerm_monitor_autoscale_setting', 'blue_autoscale_autoscale', (r) => (r.profile[0].capacity.minimum = 1))],
  ['ASE-LB-001', 'a Basic LB', () => broken('retail-svc-pricing', 'azurerm_lb', 'blue_lb_lb', (r) => (r.sku = 'Basic'))],
  ['ASE-LB-002', 'a rule with no probe', () => broken('retail-svc-pricing', 'azurerm_lb_rule', 'blue_lb_rule-10000', (r) => delete r.probe_id)],
  ['ASE-KV-001', 'a vault with access policies and no purge protection', () => broken('retail-vault', 'azurerm_key_vault', 'key-vault_vault', (r) => ((r.enable_rbac_authorization = false), (r.purge_protection_enabled = false)))],
  ['ASE-STATE-001', 'the front store without blob versioning', () => broken('retail-front', 'azurerm_storage_account', 'front_store', (r) => (r.blob_properties.versioning_enabled = false))],
  ['ASE-STATE-001', 'the front store without soft delete of blobs and containers', () => broken('retail-front', 'azurerm_storage_account', 'front_store', (r) => (delete r.blob_properties.delete_retention_policy, delete r.blob_properties.container_delete_retention_policy))],
  ['ASE-STATE-001', 'a vault Terraform may destroy', () => broken('retail-vault', 'azurerm_key_vault', 'key-vault_vault', (r) => delete r.lifecycle)],
  ['ASE-STATE-002', 'a delete lock on the vault, above the grants of two stacks', () => broken('retail-vault', 'azurerm_key_vault', 'key-vault_vault', (_r, st) => lock(st, 'vault-lock', '${azurerm_key_vault.key-vault_vault.id}'))],
  ['ASE-STATE-002', "a delete lock on the front's store, above its two grants", () => broken('retail-front', 'azurerm_storage_account', 'front_store', (_r, st) => lock(st, 'store-lock', '${azurerm_storage_account.front_store.id}'))],
  ['ASE-STATE-002', "a delete lock on the vault's resource group", () => broken('retail-vault', 'azurerm_resource_group', 'resource-group', (_r, st) => lock(st, 'rg-lock', '${azurerm_resource_group.resource-group.id}'))],
  ['ASE-KV-003', 'a vault-issued certificate that only e-mails', () => broken('retail-vault', 'azurerm_key_vault_certificate', 'certificate-front-tls_certificate', (r) => (r.certificate_policy.lifetime_action[0].action.action_type = 'EmailContacts'))],
  ['ASE-TAG-001', 'a resource without the required tags', () => broken('retail-network', 'azurerm_virtual_network', 'network_vnet', (r) => delete r.tags.owner)],
])('%s catches %s', (rule, _what, run) => {
  const found = run();
  expect(found.length).toBeGreaterThan(0);
  expect(found.every((f) => f.startsWith(`${rule} `))).toBe(true);
});

describe('ASE-STATE-002: no grant or diagnostic setting under a delete lock', () => {
  const found = (change: (all: Record<string, Json>) => void) => {
    const all = parsed();
    change(all);
    return checkStacks(all, { requiredTags: TAGS }).map((f) => `${f.rule} ${f.resource}: ${f.message}`);
  };

  test('a lock on the vault names every grant under it, in its own stack and in others, by Azure ID', () => {
    const f = found((all) => lock(all['retail-vault'], 'vault-lock', '${azurerm_key_vault.key-vault_vault.id}'));
    const vault = resourceAt(stacks['retail-vault'], 'azurerm_key_vault', 'key-vault_vault').name as string;
    const vaultId = `/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-vault/providers/Microsoft.KeyVault/vaults/${vault}`;
    expect(f).toContain(
      `ASE-STATE-002 retail-identities:azurerm_role_assignment.svc-pricing-blue_secret-pricing-db-password: a Key Vault Secrets User grant at ${vaultId}/secrets/pricing-db-password is under the CanNotDelete lock retail-vault:azurerm_management_lock.vault-lock (${vaultId}): deleting it fails with ScopeLocked`,
    );
    expect(f).toContain(
      `ASE-STATE-002 retail-vault:azurerm_role_assignment.key-vault_deployer-certificates: a Key Vault Certificates Officer grant at ${vaultId} is under the CanNotDelete lock retail-vault:azurerm_management_lock.vault-lock (${vaultId}): deleting it fails with ScopeLocked`,
    );
    // every grant on the vault or a secret in it, and nothing else (the artifact store is elsewhere)
    expect(f.map((x) => x.split(':')[0] + ':' + x.split(':')[1].split(' ')[0]).sort()).toEqual(
      [
        'retail-identities:azurerm_role_assignment.front_tls-reader',
        'retail-identities:azurerm_role_assignment.svc-pricing-blue_secret-pricing-db-password',
        'retail-identities:azurerm_role_assignment.svc-pricing-green_secret-pricing-db-password',
        // the vault's own diagnostic setting (to the environment's workspace) is under it too
        'retail-vault:azurerm_monitor_diagnostic_setting.key-vault_vault-diagnostics',
        'retail-vault:azurerm_role_assignment.key-vault_deployer-certificates',
        'retail-vault:azurerm_role_assignment.key-vault_deployer-secrets',
      ].map((r) => `ASE-STATE-002 ${r}`),
    );
  });

  test('a diagnostic setting under a lock is named too; a ReadOnly lock, or a lock elsewhere, is not this rule', () => {
    const spec = exampleSpec();
    spec.keyVault!.logAnalyticsWorkspaceId = '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/law-retail';
    const all = Object.fromEntries(Object.entries(synthStacks(spec)).map(([k, v]) => [k, JSON.parse(v) as Json]));
    lock(all['retail-vault'], 'vault-lock', '${azurerm_key_vault.key-vault_vault.id}');
    const f = checkStacks(all, { requiredTags: TAGS }).map((x) => `${x.rule} ${x.resource}`);
    expect(f).toContain('ASE-STATE-002 retail-vault:azurerm_monitor_diagnostic_setting.key-vault_diagnostics');
    all['retail-vault'].resource.azurerm_management_lock['vault-lock'].lock_level = 'ReadOnly';
    // a lock on a resource no grant or diagnostic setting is on: an identity
    const identity = Object.keys(all['retail-identities'].resource.azurerm_user_assigned_identity)[0];
    lock(all['retail-identities'], 'identity-lock', `\${azurerm_user_assigned_identity.${identity}.id}`);
    expect(checkStacks(all, { requiredTags: TAGS })).toEqual([]);
  });

  test('the state account keeps its lock: nothing is granted under it', () => {
    const spec = exampleSpec();
    spec.stateBackend = { resourceGroupName: 'rg-retail-state', storageAccountName: 'stretailstate', containerName: 'tfstate' };
    const all = synthStacks(spec);
    expect(resourceAt(all['retail-state'], 'azurerm_management_lock', 'storage-lock')).toMatchObject({ lock_level: 'CanNotDelete' });
    expect(checkStacks(all, { requiredTags: TAGS })).toEqual([]);
    // a grant on the state account from another stack would be caught
    const parsedAll = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, JSON.parse(v) as Json]));
    parsedAll['retail-front'].resource.azurerm_role_assignment['state-reader'] = {
      scope: '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-state/providers/Microsoft.Storage/storageAccounts/stretailstate/blobServices/default/containers/tfstate',
      role_definition_name: 'Storage Blob Data Reader',
      principal_id: 'x',
    };
    expect(checkStacks(parsedAll, { requiredTags: TAGS }).map((x) => `${x.rule} ${x.resource}`)).toEqual(['ASE-STATE-002 retail-front:azurerm_role_assignment.state-reader']);
  });
});

describe('in the synth', () => {
  test('an error fails it, naming rule, resource and fix, and writes nothing', () => {
    const spec = exampleSpec();
    spec.requiredTags = ['owner', 'cost-center', 'data-class'];
    spec.tags = { ...spec.tags, 'data-class': 'internal' };
    spec.services[0].tags = { 'data-class': '' }; // a service overriding a required tag with nothing
    const out = join(tempDir(), 'cdktf.out');
    const r = synthesize([{ file: 'retail.ts', spec, issues: [] }], out);
    expect(r.ok).toBe(false);
    expect(r.problems[0].issues.map(formatIssue)).toContain(
      "retail-svc-pricing:azurerm_lb.blue_lb_lb: ASE-TAG-001 missing tag(s) data-class: The environment's required tags on every taggable resource (add the tags to the environment (tags) or the service)",
    );
    expect(existsSync(out)).toBe(false);
  });

  test('suppressions are listed with their reasons; one that matches nothing is a warning; one without a reason is refused', () => {
    const spec = exampleSpec();
    spec.keyVault!.certificates!.push({ name: 'legacy', issuer: 'imported', importFrom: { path: '/etc/retail-ci/legacy.pfx' }, subject: 'CN=legacy.retail.internal' });
    spec.policy = {
      suppressions: [
        { rule: 'ASE-KV-002', resource: 'retail-vault:azurerm_key_vault_certificate.certificate-legacy_certificate', reason: 'the partner issues it; renewal ticket OPS-1234 tracks it' },
        { rule: 'ASE-NET-001', resource: 'retail-network:azurerm_public_ip.nothing', reason: 'left over from an old design' },
      ],
    };
    const r = synthesize([{ file: 'retail.ts', spec, issues: [] }], join(tempDir(), 'cdktf.out'));
    expect(r.ok).toBe(true);
    expect(r.warnings!.map((w) => w.message)).toEqual([
      'suppressed ASE-KV-002 retail-vault:azurerm_key_vault_certificate.certificate-legacy_certificate: imported: Key Vault cannot renew it; platform-team@retail.invalid will be e-mailed before it expires, and someone must import the next one (reason: the partner issues it; renewal ticket OPS-1234 tracks it)',
      'warning ASE-NET-001 retail-network:azurerm_public_ip.nothing: the suppression matches no finding (reason given: left over from an old design); remove it',
    ]);
    const bad = exampleSpec();
    bad.policy = { suppressions: [{ rule: 'ASE-NET-001', resource: 'retail-network:azurerm_public_ip.network_nat-ip', reason: ' ' }] };
    const v = validateEnvironment(bad);
    expect(v.ok ? [] : v.issues.map(formatIssue)).toEqual(["policy.suppressions[0].reason: '' is 0 characters, expected at least 10"]);
  });
});

test('findings print one line each', () => {
  expect(formatFinding({ rule: 'ASE-VM-002', severity: 'error', resource: 'a:b.c', message: 'no encryption at host' })).toBe('error ASE-VM-002 a:b.c: no encryption at host');
});

describe('rules checkov also knows (docs/checkov.md)', () => {
  test('ASE-ST-001 names each weak property of a storage account', () => {
    expect(broken('retail-front', 'azurerm_storage_account', 'front_store', (r) => (delete r.shared_access_key_enabled, delete r.allow_nested_items_to_be_public, (r.min_tls_version = 'TLS1_1')))).toEqual([
      'ASE-ST-001 retail-front:azurerm_storage_account.front_store: shared access keys enabled (account keys and SAS tokens work), min_tls_version TLS1_1, containers may be made public (allow_nested_items_to_be_public)',
    ]);
  });

  test('ASE-ST-002 reads network rules given as their own resource; ASE-KV-004 takes a subnet rule or an endpoint named by ID', () => {
    expect(
      broken('retail-front', 'azurerm_storage_account', 'front_store', (r, st) => {
        delete r.network_rules;
        st.resource.azurerm_storage_account_network_rules = { rules: { storage_account_id: '${azurerm_storage_account.front_store.id}', default_action: 'Deny' } };
      }),
    ).toEqual([]);
    expect(broken('retail-vault', 'azurerm_key_vault', 'key-vault_vault', (r, st) => (delete st.resource.azurerm_private_endpoint, (r.network_acls.virtual_network_subnet_ids = ['/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s'])))).toEqual([]);
    expect(
      broken('retail-vault', 'azurerm_key_vault', 'key-vault_vault', (r, st) => {
        delete st.resource.azurerm_private_endpoint;
        // an endpoint in another stack, to the vault by its Azure ID
        const all = st as Json;
        (all.resource.azurerm_private_endpoint ??= {}).elsewhere = { private_service_connection: { private_connection_resource_id: `/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${r.name.toUpperCase()}` } };
      }),
    ).toEqual([]);
  });

  test('the state account passes ASE-ST-001 as it is', () => {
    const spec = exampleSpec();
    spec.stateBackend = { resourceGroupName: 'rg-retail-state', storageAccountName: 'stretailstate', containerName: 'tfstate' };
    const all = Object.fromEntries(Object.entries(synthStacks(spec)).map(([k, v]) => [k, JSON.parse(v) as Json]));
    expect(checkStacks(all, { requiredTags: TAGS })).toEqual([]);
    delete all['retail-state'].resource.azurerm_storage_account.storage.shared_access_key_enabled;
    expect(checkStacks(all, { requiredTags: TAGS }).map((f) => `${f.rule} ${f.resource}`)).toEqual(['ASE-ST-001 retail-state:azurerm_storage_account.storage']);
  });

  test('ASE-NET-003 names the inline rule; ASE-VM-001 and ASE-VM-005 read the Flexible scale set too', () => {
    expect(
      broken('retail-network', 'azurerm_network_security_group', 'network_front-nsg', (r) => (r.security_rule = [{ name: 'ssh', direction: 'Inbound', access: 'Allow', source_address_prefixes: ['10.0.0.0/8', '0.0.0.0/0'] }])),
    ).toEqual(['ASE-NET-003 retail-network:azurerm_network_security_group.network_front-nsg: admits inbound traffic from 0.0.0.0/0 (rule ssh)']);
    const spec = exampleSpec();
    spec.services[2].orchestration = 'Flexible';
    const all = Object.fromEntries(Object.entries(synthStacks(spec)).map(([k, v]) => [k, JSON.parse(v) as Json]));
    const linux = all['retail-svc-catalog'].resource.azurerm_orchestrated_virtual_machine_scale_set['blue_scale-set_vmss'].os_profile.linux_configuration;
    linux.provision_vm_agent = false;
    linux.admin_ssh_key = [];
    expect(checkStacks(all, { requiredTags: TAGS }).map((f) => `${f.rule} ${f.resource}: ${f.message}`)).toEqual([
      'ASE-VM-001 retail-svc-catalog:azurerm_orchestrated_virtual_machine_scale_set.blue_scale-set_vmss: no admin SSH key',
      'ASE-VM-005 retail-svc-catalog:azurerm_orchestrated_virtual_machine_scale_set.blue_scale-set_vmss: provision_vm_agent is false: no extension can run',
    ]);
  });
});

describe('ASE-VM-004 and the unhealthy limit', () => {
  test('a batch above max_unhealthy_instance_percent is an error, with surge too (upgrading instances count as unhealthy)', () => {
    expect(broken(...VMSS, (r) => ((r.rolling_upgrade_policy.max_batch_instance_percent = 50), (r.rolling_upgrade_policy.max_unhealthy_instance_percent = 20)))).toEqual([
      'ASE-VM-004 retail-svc-pricing:azurerm_linux_virtual_machine_scale_set.blue_scale-set_vmss: batches of 50% above the unhealthy limit of 20% (upgrading instances count as unhealthy)',
    ]);
    expect(broken(...VMSS, (r) => ((r.rolling_upgrade_policy.max_batch_instance_percent = 50), (r.rolling_upgrade_policy.max_unhealthy_instance_percent = 50)))).toEqual([]);
  });

  test('a service spec with a 50 % batch synthesizes a consistent policy (the unhealthy limit follows the batch)', () => {
    const spec = exampleSpec();
    spec.services[0].upgrade = { maxBatchPercent: 50 };
    spec.quotas = { ...spec.quotas, standardDSv5Family: 400 };
    const out = synthStacks(spec);
    expect(checkStacks(out, { requiredTags: TAGS })).toEqual([]);
    expect(JSON.parse(out['retail-svc-pricing']).resource.azurerm_linux_virtual_machine_scale_set['blue_scale-set_vmss'].rolling_upgrade_policy).toMatchObject({ max_batch_instance_percent: 50, max_unhealthy_instance_percent: 50 });
  });

  test('Flexible scale sets are checked too', () => {
    const spec = exampleSpec();
    spec.services[2].orchestration = 'Flexible';
    const all = Object.fromEntries(Object.entries(synthStacks(spec)).map(([k, v]) => [k, JSON.parse(v) as Json]));
    const flex = all['retail-svc-catalog'].resource.azurerm_orchestrated_virtual_machine_scale_set['blue_scale-set_vmss'];
    expect(checkStacks(all, { requiredTags: TAGS })).toEqual([]);
    flex.automatic_instance_repair = { enabled: false };
    expect(checkStacks(all, { requiredTags: TAGS }).map((f) => `${f.rule} ${f.resource}: ${f.message}`)).toEqual([
      'ASE-VM-004 retail-svc-catalog:azurerm_orchestrated_virtual_machine_scale_set.blue_scale-set_vmss: no automatic repair',
    ]);
  });
});

describe('ASE-MON-001: every resource that takes a diagnostic setting has one', () => {
  const parsed = () => Object.fromEntries(Object.entries(stacks).map(([k, v]) => [k, JSON.parse(v) as Json]));
  const mon = (all: Record<string, Json>) => checkStacks(all, { requiredTags: TAGS }).filter((f) => f.rule === 'ASE-MON-001').map((f) => `${f.severity} ${f.resource}: ${f.message}`);

  test('the example has one on each; removing the NSG\'s names it, as a warning', () => {
    const all = parsed();
    expect(mon(all)).toEqual([]);
    const settings = all['retail-network'].resource.azurerm_monitor_diagnostic_setting;
    const nsg = Object.keys(settings).find((a) => a.endsWith('svc-pricing-nsg-diagnostics'))!;
    delete settings[nsg];
    expect(mon(all)).toEqual(['warning retail-network:azurerm_network_security_group.network_svc-pricing-nsg: no diagnostic setting sends its logs and metrics anywhere']);
  });

  test('a setting in another stack that names the resource by its Azure ID counts', () => {
    const all = parsed();
    const settings = all['retail-network'].resource.azurerm_monitor_diagnostic_setting;
    const key = Object.keys(settings).find((a) => a.endsWith('svc-pricing-nsg-diagnostics'))!;
    const moved = settings[key];
    delete settings[key];
    const nsg = all['retail-network'].resource.azurerm_network_security_group['network_svc-pricing-nsg'];
    (all['retail-monitor'].resource.azurerm_monitor_diagnostic_setting ??= {})['pricing-nsg'] = {
      ...moved,
      target_resource_id: `/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-network/providers/Microsoft.Network/networkSecurityGroups/${nsg.name}`,
    };
    expect(mon(all)).toEqual([]);
  });

  test('with monitoring off, every such resource is named; a resource under a CanNotDelete lock is exempt', () => {
    const spec = exampleSpec();
    spec.monitoring = { enabled: false };
    const all = Object.fromEntries(Object.entries(synthStacks(spec)).map(([k, v]) => [k, JSON.parse(v) as Json]));
    const found = mon(all);
    expect(found.length).toBeGreaterThan(10);
    expect(found).toContain('warning retail-vault:azurerm_key_vault.key-vault_vault: no diagnostic setting sends its logs and metrics anywhere');
    lock(all['retail-vault'], 'vault-lock', '${azurerm_key_vault.key-vault_vault.id}');
    expect(mon(all).filter((f) => f.includes('azurerm_key_vault.'))).toEqual([]);
  });
});
