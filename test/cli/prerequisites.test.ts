/**
 * `ase prerequisites <env>`: derived from the synthesized stacks, so a new resource type, a scale
 * set setting or a role assignment shows up without a list kept by hand.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { prerequisitesOf, NAMESPACE_OF, renderPrerequisites } from '../../lib/cli/prerequisites';
import { RESOURCE_TYPES } from '../../scripts/force-new-from-docs';
import { exampleSpec, exampleStacks, planOf, synthStacks, type Json } from '../helpers';

const parse = (stacks: Record<string, string>) => Object.fromEntries(Object.entries(stacks).map(([k, v]) => [k, JSON.parse(v) as Json]));
const example = exampleSpec();
const p = prerequisitesOf(planOf(example).env, parse(exampleStacks()));

describe('prerequisites of the example', () => {
  test('every namespace the stacks use, each with the types that need it', () => {
    expect(p.namespaces.map((n) => n.namespace)).toEqual([
      'Microsoft.Authorization',
      'Microsoft.Compute',
      'Microsoft.Insights',
      'Microsoft.KeyVault',
      'Microsoft.ManagedIdentity',
      'Microsoft.Network',
      'Microsoft.OperationalInsights',
      'Microsoft.Resources',
      'Microsoft.Storage',
    ]);
    expect(p.namespaces.find((n) => n.namespace === 'Microsoft.Network')!.types).toContain('azurerm_private_endpoint');
    expect(p.unknownTypes).toEqual([]);
  });

  test('every resource type the library emits has a namespace', () => {
    expect(RESOURCE_TYPES.filter((t) => !NAMESPACE_OF[t])).toEqual([]);
  });

  test('features: encryption at host and maximum surge (Uniform scale sets); no Flexible flag', () => {
    expect(p.features.map((f) => `${f.namespace}/${f.name}`)).toEqual(['Microsoft.Compute/EncryptionAtHost', 'Microsoft.Compute/MaxSurgeRollingUpgrade']);
  });

  test('a Flexible service adds the Flexible rolling-upgrade flags, and (monitoring on) the VM association policy: its namespace, the deployer\'s policy rights on the group, the roles its identity gets', () => {
    const spec = exampleSpec();
    spec.services[2].orchestration = 'Flexible';
    const flex = prerequisitesOf(planOf(spec).env, parse(synthStacks(spec)));
    expect(flex.features.map((f) => f.name)).toEqual(['EncryptionAtHost', 'ImageReferenceUpgradeForVmoVMs', 'MaxSurgeRollingUpgrade', 'VMSSFlexRollingUpgrade']);
    expect(flex.namespaces.find((n) => n.namespace === 'Microsoft.Compute')!.types).toEqual(['azurerm_linux_virtual_machine_scale_set', 'azurerm_orchestrated_virtual_machine_scale_set', 'azurerm_platform_image']);
    expect(flex.namespaces.find((n) => n.namespace === 'Microsoft.PolicyInsights')!.types).toEqual(['azurerm_resource_group_policy_remediation']);
    const group = `resource_group rg-retail-svc-${spec.services[2].name} (retail-svc-${spec.services[2].name})`;
    expect(flex.roles.find((r) => r.role === 'Resource Policy Contributor')!.scopes).toEqual([group]);
    expect(flex.roles.find((r) => r.role.startsWith('Role Based Access Control Administrator'))!.scopes).toEqual(expect.arrayContaining([group, '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-monitor/providers/Microsoft.Insights/dataCollectionRules/dcr-retail-vms']));
    expect(flex.rolesAssigned).toEqual(expect.arrayContaining(['Log Analytics Contributor', 'Monitoring Contributor', 'Monitoring Reader']));
    // the example's own services are Uniform: none of it there
    expect(p.roles.find((r) => r.role === 'Resource Policy Contributor')).toBeUndefined();
  });

  test('the deployer: Contributor on the subscription, role-assignment rights where grants are made (the artifact store too), lock rights where locks are', () => {
    expect(p.roles[0]).toMatchObject({ role: 'Contributor', scopes: ['/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10'] });
    const assign = p.roles.find((r) => r.role.startsWith('Role Based Access Control Administrator'))!;
    expect(assign.scopes).toContain(example.artifactStore!.storageAccountId);
    expect(assign.scopes).toContain('key_vault kv-retail-bc00af in rg-retail-vault (retail-vault)');
    // the example has no state backend, the only stack that locks (nothing is granted under it)
    expect(p.roles.find((r) => r.role.includes('locks'))).toBeUndefined();
    // the vCPU quota alert's reader holds Reader on the subscription (monitoring.alerts.vcpuQuotaReaderId names one instead)
    expect(assign.scopes).toContain('/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10');
    expect(p.rolesAssigned).toEqual(['Key Vault Certificates Officer', 'Key Vault Secrets Officer', 'Key Vault Secrets User', 'Reader', 'Storage Blob Data Contributor', 'Storage Blob Data Reader']);
  });

  test("the artifact store's VNet rules: every service subnet by its static ID, not the front's", () => {
    const vnet = '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-network/providers/Microsoft.Network/virtualNetworks/vnet-retail/subnets/';
    expect(p.artifactStore).toEqual({ storageAccountId: example.artifactStore!.storageAccountId, subnetIds: ['snet-svc-catalog', 'snet-svc-order-processing', 'snet-svc-pricing'].map((s) => vnet + s) });
    expect(renderPrerequisites(p)).toContain(`  az storage account network-rule add --resource-group rg-releases --account-name stretailreleases --subnet ${vnet}snet-svc-pricing\n`);
  });

  test("in two regions: the other region's service subnets too, on the cross-region storage endpoint, whose feature is listed to check", () => {
    const spec = exampleSpec() as Json;
    spec.otherRegions = [{ name: 'northeurope', code: 'ne', addressSpace: '10.30.0.0/16' }];
    spec.services[0].regions = ['westeurope', 'northeurope'];
    const stacks = parse(synthStacks(spec));
    const two = prerequisitesOf(planOf(spec).env, stacks);
    const north = '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-ne-network/providers/Microsoft.Network/virtualNetworks/vnet-retail-ne/subnets/';
    expect(two.artifactStore!.subnetIds).toEqual([...p.artifactStore!.subnetIds, `${north}snet-svc-pricing`]);
    // north's VM subnets reach a store in any region; the first region's keep the local endpoint
    const endpoints = (stack: string) => Object.values(stacks[stack].resource.azurerm_subnet as Json).filter((x: Json) => x.service_endpoints).map((x: Json) => x.service_endpoints);
    expect(new Set(endpoints('retail-ne-network').flat())).toEqual(new Set(['Microsoft.Storage.Global']));
    expect(new Set(endpoints('retail-network').flat())).toEqual(new Set(['Microsoft.Storage']));
    expect(two.features.map((f) => `${f.namespace}/${f.name}`)).toContain('Microsoft.Network/AllowGlobalTagsForStorage');
    expect(renderPrerequisites(two)).toContain('  check:    az feature show --namespace Microsoft.Network --name <feature>');
    expect(p.features.map((f) => f.name)).not.toContain('AllowGlobalTagsForStorage');
  });
});

describe('ase prerequisites, the command', () => {
  const root = resolve(__dirname, '..', '..');
  const ase = (...args: string[]) => spawnSync(process.execPath, ['scripts/app.js', 'lib/cli/main.ts', 'prerequisites', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });

  test('prints every need with the az command that checks it, exit 0', () => {
    const r = ase('retail');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Prerequisites of retail \(subscription 6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10\)/);
    for (const cmd of ['az provider show --namespace', 'az feature show --namespace Microsoft.Compute', 'az role assignment list --assignee 3c9e1f0a-7b2d-4e6f-8a1c-5d4b3a2f1e0d', 'az storage account network-rule list']) expect(r.stdout).toContain(cmd);
  });

  test('--json gives the same data; an unknown environment is one line, exit 1; no environment is usage, exit 2', () => {
    expect(JSON.parse(ase('retail', '--json').stdout)).toEqual(JSON.parse(JSON.stringify(p)));
    expect(ase('shop')).toMatchObject({ status: 1, stderr: "no environment named 'shop' in stacks/environments (there: retail)\n" });
    expect(ase().status).toBe(2);
  });
});

test("an existing workspace (monitoring.workspaceId) asks for Log Analytics Contributor on it; the environment's own needs nothing beyond Contributor", () => {
  expect(p.roles.map((r) => r.role)).not.toContain('Log Analytics Contributor');
  const spec = exampleSpec();
  const workspace = '/subscriptions/0d2a4c6e-8f10-4b32-a547-6c8e9f0a1b2c/resourceGroups/rg-shared/providers/Microsoft.OperationalInsights/workspaces/law-shared';
  spec.monitoring = { workspaceId: workspace };
  const q = prerequisitesOf(planOf(spec).env, parse(synthStacks(spec)));
  expect(q.roles.find((r) => r.role === 'Log Analytics Contributor')).toMatchObject({ scopes: [workspace] });
});
