/**
 * Whole-app synth: deterministic bytes, and stable addresses. Adding, removing or reordering
 * services changes no resource in any other service's stack, and in the network stack only the
 * resources of the service added or removed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceSpec } from '../../lib/spec/schema';
import { synthesize } from '../../stacks/synthesize';
import { changedResources, exampleSpec, FRONT_BLOB_ADDRESSES, readStacks, resourceAt, synthStacks, tempDir, type Json, exampleStacks } from '../helpers';

// the run's shared synth of the example; the determinism test below synthesizes afresh and compares
const baseline = exampleStacks();

/** Every resource of a stack as 'type.address' → JSON text. */
function resources(stackJson: string): Map<string, string> {
  const out = new Map<string, string>();
  const json = JSON.parse(stackJson) as Json;
  for (const [type, byAddress] of Object.entries(json.resource ?? {})) {
    for (const [address, body] of Object.entries(byAddress as Json)) out.set(`${type}.${address}`, JSON.stringify(body));
  }
  return out;
}

/** Resources that differ between two versions of a stack: added, removed or changed. */
function changed(before: string, after: string): string[] {
  const a = resources(before);
  const b = resources(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}

const search: ServiceSpec = {
  name: 'search',
  block: 4,
  vmSize: 'Standard_F4s_v2',
  capacity: { min: 2, default: 2, max: 6 },
  slots: {
    blue: { version: '0.9.0', artifact: { url: 'https://stretailreleases.blob.core.windows.net/releases/search/0.9.0.tar.gz', sha256: 'b'.repeat(64) } },
    green: { version: '0.9.0', artifact: { url: 'https://stretailreleases.blob.core.windows.net/releases/search/0.9.0.tar.gz', sha256: 'b'.repeat(64) } },
  },
  traffic: { live: 'blue' },
};

describe('synth of the example', () => {
  test('writes the monitoring, a network, a vault, the identities, a front and one stack per service', () => {
    expect(Object.keys(baseline)).toEqual(['retail-front', 'retail-identities', 'retail-monitor', 'retail-network', 'retail-svc-catalog', 'retail-svc-order-processing', 'retail-svc-pricing', 'retail-vault']);
  });

  test('deploy order: identities and their grants after the vault, and before every stack whose VMs use them', () => {
    const out = join(tempDir(), 'cdktf.out');
    expect(synthesize([{ file: 'retail.ts', spec: exampleSpec(), issues: [] }], out).ok).toBe(true);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { stacks: Record<string, { dependencies: string[] }> };
    const deps = (s: string) => [...manifest.stacks[s].dependencies].sort();
    // the workspace and rules first: every other stack sends its diagnostic settings there
    expect(deps('retail-monitor')).toEqual([]);
    expect(deps('retail-network')).toEqual(['retail-monitor']);
    expect(deps('retail-vault')).toEqual(['retail-network']);
    expect(deps('retail-identities')).toEqual(['retail-vault']);
    for (const s of ['retail-svc-pricing', 'retail-svc-catalog', 'retail-front']) expect(deps(s)).toEqual(['retail-identities', 'retail-network']);
  });

  test("every stack's provider registers no resource provider (a deployer scoped to resource groups cannot register)", () => {
    for (const [stack, text] of Object.entries(baseline)) {
      const provider = (JSON.parse(text) as Json).provider.azurerm[0];
      expect({ stack, registrations: provider.resource_provider_registrations }).toEqual({ stack, registrations: 'none' });
    }
  });

  test('writes into an output folder whose parents do not exist yet', () => {
    const out = join(tempDir(), 'new', 'folder', 'cdktf.out');
    const r = synthesize([{ file: 'retail.ts', spec: exampleSpec(), issues: [] }], out);
    expect(r.problems).toEqual([]);
    expect(readdirSync(join(out, 'stacks')).sort()).toEqual(Object.keys(baseline));
  });

  test('twice gives byte-identical output with no absolute path of this machine', () => {
    const again = synthStacks(exampleSpec());
    expect(again).toEqual(baseline);
    for (const text of Object.values(baseline)) {
      expect(text).not.toContain(process.cwd());
      expect(text).not.toMatch(/"\/(tmp|home|root|work)\//);
    }
  });

  test('keeps state in relative local files by default, one per stack', () => {
    const json = JSON.parse(baseline['retail-svc-pricing']) as Json;
    expect(json.terraform.backend).toEqual({ local: { path: '../../../terraform.retail-svc-pricing.tfstate' } });
    expect(json.provider.azurerm).toEqual([{ features: [{}], resource_provider_registrations: 'none', subscription_id: '6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10', tenant_id: '0b5d4a3e-2c1f-4e8d-9b7a-6f5e4d3c2b1a' }]);
  });

  test('each service stack owns its resource group, tagged with the environment tags and the service', () => {
    expect(resourceAt(baseline['retail-svc-pricing'], 'azurerm_resource_group', 'resource-group')).toEqual({
      name: 'rg-retail-svc-pricing',
      location: 'westeurope',
      tags: { environment: 'retail', 'managed-by': 'cdktf', owner: 'platform-team', 'cost-center': 'cc-4411', service: 'pricing' },
    });
  });

  test('service and front stacks match their snapshots', () => {
    expect(JSON.parse(baseline['retail-svc-catalog'])).toMatchSnapshot();
    expect(JSON.parse(baseline['retail-front'])).toMatchSnapshot();
  });
});

describe('stable addresses', () => {
  test("adding a service changes no other service stack, not a byte of the vault, nothing of the front but its config and table, and no existing network resource", () => {
    const spec = exampleSpec();
    spec.services.splice(1, 0, search); // in the middle of the list
    const after = synthStacks(spec);
    expect(Object.keys(after)).toContain('retail-svc-search');
    for (const stack of Object.keys(baseline).filter((s) => !['retail-network', 'retail-front', 'retail-identities', 'retail-monitor'].includes(s))) expect({ stack, json: after[stack] }).toEqual({ stack, json: baseline[stack] });
    expect(changedResources(baseline['retail-front'], after['retail-front'])).toEqual(FRONT_BLOB_ADDRESSES);
    // search runs a VM family no other VM runs (Fsv2): the quota alert watches it too, an in-place update of its query
    expect(changedResources(baseline['retail-monitor'], after['retail-monitor'])).toEqual(['azurerm_monitor_scheduled_query_rules_alert_v2.alert-vcpu-quota']);
    expect(resourceAt(after['retail-monitor'], 'azurerm_monitor_scheduled_query_rules_alert_v2', 'alert-vcpu-quota').criteria[0].query).toContain("'standardESv5Family', 'standardFSv2Family')");
    expect(changedResources(baseline['retail-identities'], after['retail-identities'])).toEqual([
      'azurerm_role_assignment.svc-search-blue_artifact-reader',
      'azurerm_role_assignment.svc-search-green_artifact-reader',
      'azurerm_user_assigned_identity.svc-search-blue_identity',
      'azurerm_user_assigned_identity.svc-search-green_identity',
      // each new grant's wait: only the new grants wait, nothing existing is replaced
      'time_sleep.svc-search-blue_artifact-reader-propagated',
      'time_sleep.svc-search-green_artifact-reader-propagated',
    ]);
    const diff = changed(baseline['retail-network'], after['retail-network']);
    expect(diff.length).toBeGreaterThan(0);
    for (const key of diff) expect(key).toMatch(/\.network_svc-search-/);
    // the vault admits the VNet through its private endpoint, not each subnet: not one byte changes
    expect(after['retail-vault']).toBe(baseline['retail-vault']);
  });

  test('removing a service changes nothing but its own stack and its own network resources (the vault not a byte)', () => {
    const spec = exampleSpec();
    spec.services = spec.services.filter((s) => s.name !== 'order-processing');
    const after = synthStacks(spec);
    expect(Object.keys(after)).not.toContain('retail-svc-order-processing');
    for (const stack of Object.keys(after).filter((s) => !['retail-network', 'retail-front', 'retail-identities'].includes(s))) expect({ stack, json: after[stack] }).toEqual({ stack, json: baseline[stack] });
    expect(changedResources(baseline['retail-front'], after['retail-front'])).toEqual(FRONT_BLOB_ADDRESSES);
    for (const key of changedResources(baseline['retail-identities'], after['retail-identities'])) expect(key).toMatch(/\.svc-order-processing-(blue|green)_/);
    const diff = changed(baseline['retail-network'], after['retail-network']);
    expect(diff.length).toBeGreaterThan(0);
    for (const key of diff) expect(key).toMatch(/\.network_svc-order-processing-/);
    expect(after['retail-vault']).toBe(baseline['retail-vault']);
  });

  test('adding a node pool with two services leaves the vault byte-identical too; the artifact store output gains the pool subnet', () => {
    const spec = exampleSpec();
    const art = (svc: string) => ({ url: `https://stretailreleases.blob.core.windows.net/releases/${svc}/1.0.0.tar.gz`, sha256: 'c'.repeat(64) });
    spec.pools = [{ name: 'highcpu', block: 10, vmSize: 'Standard_F8s_v2', capacity: { min: 3, default: 3, max: 12 } }];
    spec.services.push(
      { name: 'search', block: 4, pool: 'highcpu', slots: { blue: { version: '1.0.0', artifact: art('search') }, green: { version: '1.0.0', artifact: art('search') } }, traffic: { live: 'blue' } },
      { name: 'recommend', block: 5, pool: 'highcpu', slots: { blue: { version: '1.0.0', artifact: art('recommend') }, green: { version: '1.0.0', artifact: art('recommend') } }, traffic: { live: 'green' } },
    );
    const after = synthStacks(spec);
    expect(Object.keys(after)).toContain('retail-pool-highcpu');
    expect(after['retail-vault']).toBe(baseline['retail-vault']);
    const output = (JSON.parse(after['retail-network']) as Json).output.artifact_store_subnet_ids.value as string[];
    expect(output).toContain('${azurerm_subnet.network_pool-highcpu-subnet.id}');
  });

  test('reordering services changes no byte of any stack', () => {
    const spec = exampleSpec();
    spec.services.reverse();
    expect(synthStacks(spec)).toEqual(baseline);
  });
});

describe('traffic changes deploy only the front, and in it only the routing table', () => {
  const onlyTheTable = (mutate: (spec: ReturnType<typeof exampleSpec>) => void) => {
    const spec = exampleSpec();
    mutate(spec);
    const after = synthStacks(spec);
    const differing = Object.keys(baseline).filter((s) => after[s] !== baseline[s]);
    expect(differing).toEqual(['retail-front']);
    expect(changedResources(baseline['retail-front'], after['retail-front'])).toEqual(['azurerm_storage_blob.front_routing-table']);
    return JSON.parse((JSON.parse(after['retail-front']) as Json).resource.azurerm_storage_blob['front_routing-table'].source_content);
  };

  test('a swap', () => {
    const table = onlyTheTable((spec) => (spec.services[0].traffic = { ...spec.services[0].traffic, live: 'green' }));
    expect(table.services.pricing.live).toBe('green');
  });

  test('a ramp step', () => {
    expect(onlyTheTable((spec) => (spec.services[0].traffic = { ...spec.services[0].traffic, live: 'blue', weight: 10 })).services.pricing.weight).toBe(10);
  });

  test('a pin rule, mirroring and failover off', () => {
    const t = onlyTheTable((spec) => (spec.services[2].traffic = { live: 'blue', rules: [{ name: 'testers', header: { name: 'X-Slot', value: 'green' }, slot: 'green' }], mirror: 20, failover: false }));
    expect(t.services.catalog).toMatchObject({ rules: [{ name: 'testers', header: { name: 'x-slot', value: 'green' }, slot: 'green' }], mirror: 20, failover: false });
  });

  test("parking the idle slot changes only the service's own stack: its autoscale holds the parked count", () => {
    const spec = exampleSpec();
    spec.services[0].slots.green.parked = { instances: 1 };
    const after = synthStacks(spec);
    expect(Object.keys(baseline).filter((s) => after[s] !== baseline[s])).toEqual(['retail-svc-pricing']);
    // and a parked slot, held at a fixed count, has no at-maximum alert (docs/monitoring.md)
    expect(changedResources(baseline['retail-svc-pricing'], after['retail-svc-pricing'])).toEqual(['azurerm_linux_virtual_machine_scale_set.green_scale-set_vmss', 'azurerm_monitor_autoscale_setting.green_autoscale_autoscale', 'azurerm_monitor_metric_alert.green-at-max-alert']);
    // the scale set differs only in its creation count, which Terraform ignores on an existing one
    const [was, now] = [baseline, after].map((st) => resourceAt(st['retail-svc-pricing'], 'azurerm_linux_virtual_machine_scale_set', 'green_scale-set_vmss'));
    expect(now.instances).toBe(1);
    expect({ ...now, instances: was.instances }).toEqual(was);
    expect(now.lifecycle.ignore_changes).toContain('instances');
    const profiles = resourceAt(after['retail-svc-pricing'], 'azurerm_monitor_autoscale_setting', 'green_autoscale_autoscale').profile as Json[];
    expect(profiles.map((p) => [p.name, p.capacity])).toEqual([['parked', { minimum: 1, default: 1, maximum: 1 }]]);
  });
});

describe('a bad spec', () => {
  test('writes nothing and leaves an existing output untouched', () => {
    const dir = tempDir();
    const out = join(dir, 'cdktf.out');
    expect(synthesize([{ file: 'retail.ts', spec: exampleSpec(), issues: [] }], out).ok).toBe(true);
    const before = readStacks(out);
    const bad = exampleSpec();
    bad.services[0].capacity!.min = 1;
    const r = synthesize([{ file: 'retail.ts', spec: bad, issues: [] }], out);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([expect.objectContaining({ file: 'retail.ts', issues: [expect.objectContaining({ path: 'services[0].capacity.min', code: 'too_small' })] })]);
    expect(readStacks(out)).toEqual(before);
    expect(readdirSync(dir)).toEqual(['cdktf.out']); // no staging folder left behind
  });

  test('with no previous output, creates no folder at all', () => {
    const dir = tempDir();
    const out = join(dir, 'cdktf.out');
    const r = synthesize([{ file: 'x.ts', spec: { name: 'x' }, issues: [] }], out);
    expect(r.ok).toBe(false);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('two environment files with one name are refused', () => {
    const dir = tempDir();
    const r = synthesize(
      [
        { file: 'a.ts', spec: exampleSpec(), issues: [] },
        { file: 'b.ts', spec: exampleSpec(), issues: [] },
      ],
      join(dir, 'out'),
    );
    expect(r.problems).toEqual([expect.objectContaining({ file: 'b.ts', issues: [expect.objectContaining({ path: 'name', message: "'retail' is also the environment in a.ts" })] })]);
  });
});

describe('Azure Storage state backend', () => {
  const spec = exampleSpec();
  spec.stateBackend = { resourceGroupName: 'rg-retail-tfstate', storageAccountName: 'stretailtfstate01' };
  const stacks = synthStacks(spec);

  test('each stack keeps its own state key in the storage account, with Entra ID auth', () => {
    for (const name of ['retail-network', 'retail-front', 'retail-svc-pricing']) {
      expect(JSON.parse(stacks[name]).terraform.backend).toEqual({
        azurerm: {
          resource_group_name: 'rg-retail-tfstate',
          storage_account_name: 'stretailtfstate01',
          container_name: 'tfstate',
          key: `retail/${name}.tfstate`,
          subscription_id: '6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10',
          tenant_id: '0b5d4a3e-2c1f-4e8d-9b7a-6f5e4d3c2b1a',
          use_azuread_auth: true,
        },
      });
    }
  });

  test('a bootstrap stack creates the storage account with versioning, soft delete, a delete lock and destroy protection', () => {
    const state = JSON.parse(stacks['retail-state']) as Json;
    expect(state.terraform.backend).toEqual({ local: { path: '../../../terraform.retail-state.tfstate' } });
    expect(resourceAt(state, 'azurerm_storage_account', 'storage')).toMatchObject({
      name: 'stretailtfstate01',
      account_replication_type: 'ZRS',
      min_tls_version: 'TLS1_2',
      shared_access_key_enabled: false,
      allow_nested_items_to_be_public: false,
      blob_properties: { versioning_enabled: true, delete_retention_policy: { days: 30 }, container_delete_retention_policy: { days: 30 } },
      lifecycle: { prevent_destroy: true },
    });
    // only the deployer's ranges reach the state (the example's 203.0.113.0/28)
    expect(resourceAt(state, 'azurerm_storage_account', 'storage').network_rules).toEqual({ default_action: 'Deny', bypass: ['None'], ip_rules: ['203.0.113.0/28'] });
    expect(resourceAt(state, 'azurerm_management_lock', 'storage-lock')).toMatchObject({ lock_level: 'CanNotDelete', scope: '${azurerm_storage_account.storage.id}' });
    expect(resourceAt(state, 'azurerm_storage_container', 'container')).toMatchObject({ name: 'tfstate', container_access_type: 'private' });
    // every other stack's backend uses Entra ID: the deployer gets the data role above the lock, and the stack waits for it
    expect(resourceAt(state, 'azurerm_role_assignment', 'deployer-state')).toMatchObject({ scope: '${azurerm_resource_group.resource-group.id}', role_definition_name: 'Storage Blob Data Contributor', principal_id: spec.deployer!.principalId });
    expect(resourceAt(state, 'time_sleep', 'deployer-state-propagated')).toMatchObject({ triggers: { role_assignment_id: '${azurerm_role_assignment.deployer-state.id}' } });
    // previous state versions go after 90 days (a key once in a state does not stay in its history forever); current ones never
    expect(resourceAt(state, 'azurerm_storage_management_policy', 'state-versions')).toEqual({
      storage_account_id: '${azurerm_storage_account.storage.id}',
      rule: [{ name: 'expire-previous-state-versions', enabled: true, filters: { blob_types: ['blockBlob'], prefix_match: ['tfstate/'] }, actions: { version: { delete_after_days_since_creation: 90 } } }],
    });
    expect(state).toMatchSnapshot();
  });
});

describe('environment files', () => {
  test('a JSON and a YAML environment load and synthesize like the TypeScript one', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'envs'));
    const spec = exampleSpec();
    writeFileSync(join(dir, 'envs', 'retail.json'), JSON.stringify(spec));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { stringify } = require('yaml');
    writeFileSync(join(dir, 'envs', 'other.yaml'), stringify({ ...spec, name: 'other' }));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { environmentFiles, loadSpecFile } = require('../../lib/spec/load');
    const files: string[] = environmentFiles(join(dir, 'envs'));
    expect(files).toEqual(['other.yaml', 'retail.json']);
    const r = synthesize(files.map((f) => loadSpecFile(join(dir, 'envs'), f)), join(dir, 'out'));
    expect(r.ok).toBe(true);
    expect(readStacks(join(dir, 'out'))['retail-network']).toEqual(baseline['retail-network']);
  });
});
