/**
 * Grants and the apply order, from synthesized output:
 * - every data-plane write (certificates, contacts, the front's blobs) and the front's scale set
 *   depends, directly or through depends_on, on a time_sleep triggered by the grant it needs;
 *   every grant of the identities stack has its own wait, so the stacks after it find it working;
 * - each ordinary change (remove a secret setting, remove a certificate, change the deployer,
 *   remove a service, drop the vault's audit logs) deletes grants or diagnostic settings, and none
 *   of them sits at or under a CanNotDelete lock of the synth before or after the change (Azure
 *   would refuse the delete with ScopeLocked).
 */
import { buildEnvironment } from '../../lib/environment/build';
import { resolveAzureId, isAtOrUnder } from '../../lib/policy/azure-scope';
import type { EnvironmentSpec } from '../../lib/spec/schema';
import { App } from 'cdktf';
import { exampleSpec, planOf, synthStacks, type Json } from '../helpers';

type Synth = Record<string, Json>;
const synth = (spec: EnvironmentSpec): Synth => Object.fromEntries(Object.entries(synthStacks(spec)).map(([k, v]) => [k, JSON.parse(v) as Json]));
const DEPLOYER = '3c9e1f0a-7b2d-4e6f-8a1c-5d4b3a2f1e0d';
const WORKSPACE = '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/law-retail';

/** The example with what the changes below remove: a service certificate and the vault's audit logs. */
function fullSpec(): EnvironmentSpec {
  const spec = exampleSpec();
  spec.keyVault!.certificates!.push({ name: 'catalog-tls', subject: 'CN=catalog.retail.internal' });
  spec.services[2].certificates = ['catalog-tls'];
  spec.keyVault!.logAnalyticsWorkspaceId = WORKSPACE;
  return spec;
}

/** `type.address` of every resource `address` in `stack` depends on, through depends_on and references, transitively. */
function dependencies(stack: Json, type: string, address: string): Set<string> {
  const seen = new Set<string>();
  const visit = (t: string, a: string) => {
    const body = stack.resource?.[t]?.[a];
    if (!body) return;
    const { '//': _m, ...rest } = body;
    const refs = [...JSON.stringify(rest).matchAll(/\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)[.}]/g)].map((m) => `${m[1]}.${m[2]}`);
    for (const d of [...((body.depends_on as string[] | undefined) ?? []), ...refs]) {
      if (seen.has(d)) continue;
      seen.add(d);
      const [dt, da] = d.split('.');
      visit(dt, da);
    }
  };
  visit(type, address);
  return seen;
}

/** The grants (role assignments, by address) whose propagation a resource waits for: time_sleeps it depends on, triggered by a grant's ID. */
function awaitedGrants(stack: Json, type: string, address: string): Json[] {
  const out: Json[] = [];
  for (const dep of dependencies(stack, type, address)) {
    const [t, a] = dep.split('.');
    if (t !== 'time_sleep') continue;
    const sleep = stack.resource.time_sleep[a];
    expect(sleep.create_duration).toMatch(/^\d+[smh]$/);
    for (const trigger of Object.values((sleep.triggers ?? {}) as Record<string, string>)) {
      const m = /^\$\{azurerm_role_assignment\.([A-Za-z0-9_-]+)\.id\}$/.exec(trigger);
      if (m) out.push(stack.resource.azurerm_role_assignment[m[1]]);
    }
  }
  return out;
}

describe('every write and VM waits for the grant it needs', () => {
  const stacks = synth(fullSpec());

  test.each([
    ['retail-vault', 'azurerm_key_vault_certificate', 'certificate-front-tls_certificate', 'Key Vault Certificates Officer', DEPLOYER],
    ['retail-vault', 'azurerm_key_vault_certificate', 'certificate-catalog-tls_certificate', 'Key Vault Certificates Officer', DEPLOYER],
    ['retail-vault', 'azurerm_key_vault_certificate_contacts', 'key-vault_contacts', 'Key Vault Certificates Officer', DEPLOYER],
    ['retail-front', 'azurerm_storage_blob', 'front_config', 'Storage Blob Data Contributor', DEPLOYER],
    ['retail-front', 'azurerm_storage_blob', 'front_routing-table', 'Storage Blob Data Contributor', DEPLOYER],
    ['retail-front', 'azurerm_storage_blob', 'front_pointer', 'Storage Blob Data Contributor', DEPLOYER],
    ['retail-front', 'azurerm_linux_virtual_machine_scale_set', 'front_scale-set_vmss', 'Storage Blob Data Reader', '${data.azurerm_user_assigned_identity.identity.principal_id}'],
  ])('%s %s.%s waits for the %s grant', (stack, type, address, role, principal) => {
    expect(stacks[stack].resource[type][address]).toBeDefined();
    const grants = awaitedGrants(stacks[stack], type, address);
    expect(grants.map((g) => [g.role_definition_name, g.principal_id])).toContainEqual([role, principal]);
  });

  test('the list above is every data-plane write of the synth', () => {
    const writes = Object.entries(stacks).flatMap(([s, j]) =>
      ['azurerm_key_vault_certificate', 'azurerm_key_vault_certificate_contacts', 'azurerm_key_vault_secret', 'azurerm_storage_blob'].flatMap((t) => Object.keys(j.resource?.[t] ?? {}).map((a) => `${s}:${t}.${a}`)),
    );
    expect(writes.sort()).toEqual([
      'retail-front:azurerm_storage_blob.front_config',
      'retail-front:azurerm_storage_blob.front_pointer',
      'retail-front:azurerm_storage_blob.front_routing-table',
      'retail-vault:azurerm_key_vault_certificate.certificate-catalog-tls_certificate',
      'retail-vault:azurerm_key_vault_certificate.certificate-front-tls_certificate',
      'retail-vault:azurerm_key_vault_certificate_contacts.key-vault_contacts',
    ]);
  });

  test("every grant of the identities stack has its own wait (the VMs' stacks are deployed after it), 10 minutes, triggered by its ID", () => {
    const ids = stacks['retail-identities'];
    const grants = Object.keys(ids.resource.azurerm_role_assignment);
    expect(grants.length).toBeGreaterThan(5);
    const sleeps = Object.values(ids.resource.time_sleep as Record<string, Json>);
    for (const g of grants) {
      const mine = sleeps.filter((s) => s.triggers?.role_assignment_id === `\${azurerm_role_assignment.${g}.id}`);
      expect({ g, waits: mine.map((s) => s.create_duration) }).toEqual({ g, waits: ['10m'] });
    }
    expect(sleeps).toHaveLength(grants.length);
    // the time provider is declared where sleeps are used
    expect(ids.terraform.required_providers.time.source).toBe('hashicorp/time');
  });

  test('the compute and front stacks are deployed after the identities stack, which is deployed after the vault', () => {
    const envStacks = buildEnvironment(new App(), planOf(fullSpec()));
    for (const s of [...Object.values(envStacks.compute), envStacks.front]) expect(s.dependencies).toContain(envStacks.identities);
    expect(envStacks.identities.dependencies).toContain(envStacks.vault);
  });
});

/** A resource's Azure scope: a role assignment's `scope`, a diagnostic setting's `target_resource_id`. */
const scopeOf = (type: string, r: Json) => (type === 'azurerm_role_assignment' ? r.scope : r.target_resource_id) as string;
const DELETABLE = ['azurerm_role_assignment', 'azurerm_monitor_diagnostic_setting'];

/** Role assignments and diagnostic settings an apply from `before` to `after` deletes: gone, or replaced (every argument of a role assignment forces a new one). */
function deleted(before: Synth, after: Synth) {
  const out: Array<{ stack: string; type: string; address: string; id: string }> = [];
  for (const [stack, json] of Object.entries(before)) {
    for (const type of DELETABLE) {
      for (const [address, body] of Object.entries((json.resource?.[type] ?? {}) as Record<string, Json>)) {
        const next = after[stack]?.resource?.[type]?.[address];
        const strip = (b: Json) => JSON.stringify({ ...b, '//': undefined });
        const gone = !next || (type === 'azurerm_role_assignment' && strip(next) !== strip(body));
        if (!gone) continue;
        const id = resolveAzureId(scopeOf(type, body), json);
        if (!id) throw new Error(`${stack}:${type}.${address}: scope ${scopeOf(type, body)} does not resolve`);
        out.push({ stack, type, address, id });
      }
    }
  }
  return out;
}

/** CanNotDelete locks of a synth, with their scopes as Azure IDs. */
function locks(s: Synth) {
  return Object.entries(s).flatMap(([stack, json]) =>
    Object.entries((json.resource?.azurerm_management_lock ?? {}) as Record<string, Json>)
      .filter(([, l]) => l.lock_level === 'CanNotDelete')
      .map(([address, l]) => {
        const id = resolveAzureId(l.scope, json);
        if (!id) throw new Error(`${stack}:azurerm_management_lock.${address}: scope ${l.scope} does not resolve`);
        return { lock: `${stack}:${address}`, id };
      }),
  );
}

describe('ordinary changes delete no grant or diagnostic setting under a delete lock', () => {
  const before = synth(fullSpec());
  const changes: Array<[string, (s: EnvironmentSpec) => void, string]> = [
    ['remove a secret setting', (s) => (s.services[0].settings = { PRICE_CACHE_SECONDS: '30' }), 'retail-identities:azurerm_role_assignment.svc-pricing-blue_secret-pricing-db-password'],
    ['remove a certificate', (s) => ((s.keyVault!.certificates = s.keyVault!.certificates!.filter((c) => c.name !== 'catalog-tls')), (s.services[2].certificates = [])), 'retail-identities:azurerm_role_assignment.svc-catalog-green_secret-catalog-tls'],
    ["change the deployer's principal", (s) => (s.deployer!.principalId = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a'), 'retail-front:azurerm_role_assignment.front_deployer-writes'],
    ['remove a service', (s) => (s.services = s.services.filter((x) => x.name !== 'pricing')), 'retail-identities:azurerm_role_assignment.svc-pricing-green_artifact-reader'],
    ["drop the vault's audit logs", (s) => delete s.keyVault!.logAnalyticsWorkspaceId, 'retail-vault:azurerm_monitor_diagnostic_setting.key-vault_diagnostics'],
  ];

  test.each(changes)('%s', (_what, change, expected) => {
    const spec = fullSpec();
    change(spec);
    const after = synth(spec);
    const gone = deleted(before, after);
    // the change really deletes what it should (so the check below means something)
    expect(gone.map((d) => `${d.stack}:${d.type}.${d.address}`)).toContain(expected);
    const all = [...new Map([...locks(before), ...locks(after)].map((l) => [`${l.lock} ${l.id}`, l])).values()];
    const blocked = gone.flatMap((d) => all.filter((l) => isAtOrUnder(d.id, l.id)).map((l) => `${d.stack}:${d.type}.${d.address} (${d.id}) under ${l.lock}`));
    expect(blocked).toEqual([]);
  });

  test("the deployer change replaces the deployer's grants in the vault and the front (each wait is triggered by its grant's new ID)", () => {
    const spec = fullSpec();
    spec.deployer!.principalId = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
    const gone = deleted(before, synth(spec)).map((d) => `${d.stack}:${d.address}`);
    expect(gone.sort()).toEqual(['retail-front:front_deployer-writes', 'retail-vault:key-vault_deployer-certificates', 'retail-vault:key-vault_deployer-secrets']);
  });
});
