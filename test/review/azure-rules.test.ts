/**
 * Azure's apply-time rules on crafted synth JSON (shaped as cdktf writes it) and a crafted plan
 * (Terraform's documented `show -json` format 1.2), for the cases the example does not hold:
 * `time_sleep` waits between a grant and a data-plane write, ReadOnly locks, locks by static ID
 * across stacks, a subnet used by reference in its own stack.
 */
import { azurePlanReport, azureRuleFindings, azureRuleReport } from '../../lib/review/azure-rules';
import { reviewPlan, summarizePlan } from '../../lib/review/plan';
import type { Json } from '../helpers';

const SUB = '00000000-0000-0000-0000-000000000001';
const stack = (resource: Json): Json => ({ provider: { azurerm: [{ features: [{}], subscription_id: SUB }] }, resource });
const out = (stacks: Record<string, Json>) => ({ stacks });
const brief = (before: Record<string, Json>, after: Record<string, Json>) => azureRuleFindings(out(before), out(after)).map((f) => `${f.severity} ${f.rule} ${f.resource}`);

// ---- grant propagation ----

const vault = {
  azurerm_resource_group: { rg: { name: 'rg-v', location: 'westeurope' } },
  azurerm_key_vault: { v: { name: 'kv-x', resource_group_name: '${azurerm_resource_group.rg.name}' } },
  azurerm_role_assignment: { officer: { scope: '${azurerm_key_vault.v.id}', role_definition_name: 'Key Vault Certificates Officer', principal_id: 'p' } },
};
const cert = (extra: Json = {}) => ({ azurerm_key_vault_certificate: { c: { name: 'tls', key_vault_id: '${azurerm_key_vault.v.id}', ...extra } } });
const sleep = (extra: Json = {}) => ({ time_sleep: { grant: { create_duration: '120s', depends_on: ['azurerm_role_assignment.officer'], ...extra } } });

describe('grant propagation', () => {
  test('a certificate created with its grant and nothing but depends_on between them: a warning naming the grant', () => {
    const f = azureRuleFindings(out({}), out({ v: stack({ ...vault, ...cert({ depends_on: ['azurerm_role_assignment.officer'] }) }) }));
    expect(f.map((x) => `${x.severity} ${x.rule} ${x.resource}`)).toEqual(['warn grant v:azurerm_key_vault_certificate.c']);
    expect(f[0].reason).toContain('azurerm_role_assignment.officer (Key Vault Certificates Officer)');
    expect(f[0].source).toContain('#23927');
  });

  test('a time_sleep created with the grant, on the path from the write to it: no finding, and the check says so', () => {
    const after = out({ v: stack({ ...vault, ...sleep(), ...cert({ depends_on: ['time_sleep.grant'] }) }) });
    const r = azureRuleReport(out({}), after);
    expect(r.findings).toEqual([]);
    expect(r.checks.map((c) => c.text)).toEqual(['v:azurerm_key_vault_certificate.c waits for azurerm_role_assignment.officer through time_sleep.grant']);
  });

  test('a time_sleep beside the path (the write does not wait for it) does not count', () => {
    expect(brief({}, { v: stack({ ...vault, ...sleep(), ...cert({ depends_on: ['azurerm_role_assignment.officer'] }) }) })).toEqual(['warn grant v:azurerm_key_vault_certificate.c']);
  });

  test('a time_sleep from an earlier apply does not wait again when the grant is replaced, unless its triggers name the grant', () => {
    const before = { v: stack({ ...vault, ...sleep(), ...cert({ depends_on: ['time_sleep.grant'] }) }) };
    const replaced = (s: Json) => {
      const j = structuredClone(s);
      j.resource.azurerm_role_assignment.officer.principal_id = 'q';
      j.resource.azurerm_key_vault_certificate.c2 = { name: 'tls2', key_vault_id: '${azurerm_key_vault.v.id}', depends_on: ['time_sleep.grant'] };
      return j;
    };
    expect(brief(before, { v: replaced(before.v) })).toEqual(['warn grant v:azurerm_key_vault_certificate.c2']);
    const triggered = { v: stack({ ...vault, ...sleep({ triggers: { grant: '${azurerm_role_assignment.officer.id}' } }), ...cert({ depends_on: ['time_sleep.grant'] }) }) };
    expect(brief(triggered, { v: replaced(triggered.v) })).toEqual([]);
  });

  test('a write whose grant exists from an earlier apply, or a grant without a data-plane role: no finding', () => {
    expect(brief({ v: stack(vault) }, { v: stack({ ...vault, ...cert() }) })).toEqual([]);
    const reader = structuredClone(vault) as Json;
    reader.azurerm_role_assignment.officer.role_definition_name = 'Reader';
    expect(brief({}, { v: stack({ ...reader, ...cert() }) })).toEqual([]);
  });

  test('a blob written with the Storage Blob Data Contributor grant on its account', () => {
    const store = {
      azurerm_storage_account: { st: { name: 'stx', resource_group_name: 'rg-s' } },
      azurerm_role_assignment: { w: { scope: '${azurerm_storage_account.st.id}', role_definition_name: 'Storage Blob Data Contributor', principal_id: 'p' } },
      azurerm_storage_blob: { b: { name: 'a.json', storage_account_name: 'stx', storage_container_name: 'c', depends_on: ['azurerm_role_assignment.w'] } },
    };
    expect(brief({}, { s: stack(store) })).toEqual(['warn grant s:azurerm_storage_blob.b']);
  });
});

// ---- locks ----

describe('locks', () => {
  const locked = (level: string) => ({
    ...vault,
    azurerm_management_lock: { l: { name: 'keep', lock_level: level, scope: '${azurerm_key_vault.v.id}' } },
  });
  const vaultId = `/subscriptions/${SUB}/resourceGroups/rg-v/providers/Microsoft.KeyVault/vaults/kv-x`;
  const grants = (scope: string, principal = 'p1') => stack({ azurerm_role_assignment: { g: { scope, role_definition_name: 'Key Vault Secrets User', principal_id: principal } } });

  test("a grant on a secret, in another stack, by static ID, deleted under the vault's CanNotDelete lock: blocked", () => {
    const before = { v: stack(locked('CanNotDelete')), ids: grants(`${vaultId}/secrets/db`) };
    expect(brief(before, { v: before.v, ids: stack({}) })).toEqual(['block lock ids:azurerm_role_assignment.g']);
    // creating it under the lock is fine, and the ID comparison ignores case
    expect(brief({ v: before.v, ids: stack({}) }, { v: before.v, ids: grants(`${vaultId.toUpperCase()}/secrets/db`) })).toEqual([]);
    expect(brief({ v: before.v, ids: grants(`${vaultId.toUpperCase()}/secrets/db`) }, { v: before.v, ids: stack({}) })).toEqual(['block lock ids:azurerm_role_assignment.g']);
  });

  test('a grant beside the locked scope is not under it', () => {
    const before = { v: stack(locked('CanNotDelete')), ids: grants(`${vaultId}-other/secrets/db`) };
    expect(brief(before, { v: before.v, ids: stack({}) })).toEqual([]);
  });

  test('a ReadOnly lock blocks updates under it too; CanNotDelete does not', () => {
    const withTags = (level: string, tag: string) => {
      const s = locked(level) as Json;
      return { v: stack({ ...s, azurerm_key_vault: { v: { ...s.azurerm_key_vault.v, tags: { t: tag } } } }) };
    };
    expect(brief(withTags('ReadOnly', 'a'), withTags('ReadOnly', 'b'))).toEqual(['block lock v:azurerm_key_vault.v']);
    expect(brief(withTags('CanNotDelete', 'a'), withTags('CanNotDelete', 'b'))).toEqual([]);
  });

  test('a lock on a resource group covers what is in it', () => {
    const rgLocked = {
      azurerm_resource_group: { rg: { name: 'rg-a' } },
      azurerm_management_lock: { l: { name: 'keep', lock_level: 'CanNotDelete', scope: '${azurerm_resource_group.rg.id}' } },
      azurerm_user_assigned_identity: { id: { name: 'id-a', resource_group_name: '${azurerm_resource_group.rg.name}' } },
    };
    const { azurerm_user_assigned_identity: _gone, ...without } = rgLocked;
    expect(brief({ a: stack(rgLocked) }, { a: stack(without) })).toEqual(['block lock a:azurerm_user_assigned_identity.id']);
  });
});

// ---- subnets ----

describe('subnets in use', () => {
  const network = (subnets: string[]) =>
    stack({
      azurerm_virtual_network: { vnet: { name: 'vnet-a', resource_group_name: 'rg-n' } },
      azurerm_subnet: Object.fromEntries(subnets.map((s) => [s, { name: `snet-${s}`, resource_group_name: 'rg-n', virtual_network_name: '${azurerm_virtual_network.vnet.name}' }])),
    });
  const subnetId = `/subscriptions/${SUB}/resourceGroups/rg-n/providers/Microsoft.Network/virtualNetworks/vnet-a/subnets/snet-x`;
  const vmss = stack({ azurerm_linux_virtual_machine_scale_set: { s: { name: 'vmss', network_interface: [{ ip_configuration: [{ subnet_id: subnetId }] }] } } });

  test('a subnet deleted while a scale set in another stack keeps using it: blocked', () => {
    expect(brief({ n: network(['x']), c: vmss }, { n: network([]), c: vmss })).toEqual(['block subnet n:azurerm_subnet.x']);
  });

  test('a NIC in the same stack that names the subnet by reference is deleted first by Terraform: no finding', () => {
    const both = (withNic: boolean) => {
      const s = network(['x']);
      if (withNic) s.resource.azurerm_network_interface = { nic: { name: 'nic', ip_configuration: [{ subnet_id: '${azurerm_subnet.x.id}' }] } };
      return s;
    };
    const gone = network([]);
    expect(brief({ n: both(true) }, { n: gone })).toEqual([]);
  });

  test('a stack that leaves the synth empty is no finding; one with resources in it is blocked', () => {
    expect(brief({ a: stack({}), n: network(['x']) }, { n: network(['x']) })).toEqual([]);
    expect(brief({ c: vmss, n: network(['x']) }, { n: network(['x']) })).toEqual(['block vanished c']);
  });
});

// ---- plan mode ----

describe('plan mode', () => {
  const rc = (address: string, actions: string[], before: Json | null, after: Json | null) => ({ address, mode: 'managed', type: address.split('.')[0], name: address.split('.')[1], change: { actions, before, after, after_unknown: {} } });
  const vaultId = `/subscriptions/${SUB}/resourceGroups/rg-v/providers/Microsoft.KeyVault/vaults/kv-x`;

  test('a deployer change: role assignments replaced under the lock the state knows, blocking with the source', () => {
    const doc: Json = {
      format_version: '1.2',
      terraform_version: '1.11.0',
      resource_changes: [
        rc('azurerm_management_lock.l', ['no-op'], { id: `${vaultId}/providers/Microsoft.Authorization/locks/keep`, scope: vaultId, lock_level: 'CanNotDelete' }, { scope: vaultId, lock_level: 'CanNotDelete' }),
        rc('azurerm_role_assignment.officer', ['delete', 'create'], { id: `${vaultId}/providers/Microsoft.Authorization/roleAssignments/1`, scope: vaultId, principal_id: 'old' }, { scope: vaultId, principal_id: 'new', role_definition_name: 'Key Vault Certificates Officer' }),
      ],
      configuration: { root_module: { resources: [] } },
    };
    const azure = azurePlanReport(doc);
    expect(azure.findings.map((f) => `${f.severity} ${f.rule} ${f.resource}`)).toEqual(['block lock azurerm_role_assignment.officer']);
    const r = reviewPlan(summarizePlan(doc), { azure });
    expect(r.exitCode).toBe(1);
    expect(r.markdown).toContain('- **blocking**: `azurerm_role_assignment.officer` replaces (deletes, then creates) a resource at or under the scope of the CanNotDelete lock azurerm_management_lock.l');
    expect(r.markdown).toContain('- **blocks** (lock): `azurerm_role_assignment.officer`, as above. Source: Azure: a CanNotDelete lock blocks deleting role assignments');
  });

  test("a first deploy: the certificate races the grant unless a time_sleep created with it is on the path (from the plan's configuration)", () => {
    const changes = [
      rc('azurerm_key_vault.v', ['create'], null, { name: 'kv-x' }),
      rc('azurerm_role_assignment.officer', ['create'], null, { role_definition_name: 'Key Vault Certificates Officer' }),
      rc('azurerm_key_vault_certificate.c', ['create'], null, { name: 'tls' }),
      rc('time_sleep.grant', ['create'], null, { create_duration: '120s' }),
    ];
    const config = (certDependsOn: string[]) => ({
      root_module: {
        resources: [
          { address: 'azurerm_key_vault.v', expressions: {} },
          { address: 'azurerm_role_assignment.officer', expressions: { scope: { references: ['azurerm_key_vault.v.id', 'azurerm_key_vault.v'] } } },
          { address: 'time_sleep.grant', expressions: { create_duration: { constant_value: '120s' } }, depends_on: ['azurerm_role_assignment.officer'] },
          { address: 'azurerm_key_vault_certificate.c', expressions: { key_vault_id: { references: ['azurerm_key_vault.v.id', 'azurerm_key_vault.v'] } }, depends_on: certDependsOn },
        ],
      },
    });
    const racing = azurePlanReport({ format_version: '1.2', resource_changes: changes, configuration: config(['azurerm_role_assignment.officer']) });
    expect(racing.findings.map((f) => `${f.severity} ${f.rule} ${f.resource}`)).toEqual(['warn grant azurerm_key_vault_certificate.c']);
    expect(azurePlanReport({ format_version: '1.2', resource_changes: changes, configuration: config(['time_sleep.grant']) }).findings).toEqual([]);
  });
});
