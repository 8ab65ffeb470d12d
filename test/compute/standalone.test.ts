/**
 * SlotPair and NginxFront used alone, outside this project's stacks (as a platform team would in
 * its own cdktf app): given no identity, each creates its own.
 */
import { Testing, TerraformStack } from 'cdktf';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { NginxFront } from '../../lib/front/nginx-front';
import { SlotPair, type SlotProps } from '../../lib/slots/slot-pair';
import { AutoscaleSchema } from '../../lib/spec/schema';
import type { Json } from '../helpers';
import { decodeCustomData } from '../../lib/compute/scale-set';

const cpu = AutoscaleSchema.parse({}).cpu;
const admin = { adminUsername: 'azureadmin', sshPublicKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq3mVn5uYw3Zg6c8Yt0cXo7fJ9Q2pWz0k4m1x7Hn2aE ops'] };

function synth(build: (stack: TerraformStack) => void): Json {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'standalone');
  new AzurermProvider(stack, 'azurerm', { features: [{}] });
  build(stack);
  return JSON.parse(Testing.synth(stack)) as Json;
}

test('a SlotPair without given identities makes one per slot, and the artifact grant', () => {
  const slot = (name: string): SlotProps => ({
    names: { identity: `id-${name}`, loadBalancer: `lb-${name}`, scaleSet: `vmss-${name}`, autoscale: `as-${name}` },
    frontends: [{ name: 'frontend', ip: '10.0.1.5', ports: [8080], healthPath: '/health' }],
    cloudInit: '#cloud-config\n',
    artifactStoreId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/releases',
  });
  const json = synth((stack) => {
    new SlotPair(stack, 'api', {
      resourceGroupName: 'rg-api',
      location: 'westeurope',
      label: 'api',
      subnetId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/api',
      frontendSubnetId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/lb',
      vmSize: 'Standard_D2s_v5',
      capacity: { min: 2, default: 2, max: 4 },
      profiles: [{ name: 'default', capacity: { minimum: 2, default: 2, maximum: 4 } }],
      cpu,
      upgrade: { maxBatchPercent: 20, maxSurge: true },
      ...admin,
      slots: { blue: slot('blue'), green: { ...slot('green'), parked: { instances: 0 } } },
    });
  });
  const ids = json.resource.azurerm_user_assigned_identity as Record<string, Json>;
  expect(Object.values(ids).map((i) => i.name).sort()).toEqual(['id-blue', 'id-green']);
  const grants = Object.values(json.resource.azurerm_role_assignment as Record<string, Json>);
  expect(grants.map((g) => g.role_definition_name)).toEqual(['Storage Blob Data Reader', 'Storage Blob Data Reader']);
  const vmss = Object.values(json.resource.azurerm_linux_virtual_machine_scale_set as Record<string, Json>);
  expect(vmss.map((v) => v.identity.identity_ids[0]).sort()).toEqual(Object.keys(ids).map((k) => `\${azurerm_user_assigned_identity.${k}.id}`).sort());
  const parked = Object.values(json.resource.azurerm_monitor_autoscale_setting as Record<string, Json>).find((a) => a.name === 'as-green')!;
  expect(parked.profile.map((p: Json) => [p.name, p.capacity])).toEqual([['parked', { minimum: 0, default: 0, maximum: 0 }]]);
});

test('an NginxFront without a given identity makes one and names it in the agent settings', () => {
  const json = synth((stack) => {
    new NginxFront(stack, 'front', {
      name: 'edge',
      resourceGroupName: 'rg-edge',
      location: 'westeurope',
      subnetId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/front',
      frontendSubnetId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/lb',
      frontendIp: '10.0.1.4',
      ports: { http: 80 },
      vmSize: 'Standard_D2s_v5',
      capacity: { min: 2, default: 2, max: 4 },
      upgrade: { maxBatchPercent: 20, maxSurge: true },
      cpu,
      ...admin,
      nginxConf: 'events {}\n',
      routingTable: '{}\n',
      storeName: 'stedgefront01',
      deployer: { principalId: '3c9e1f0a-7b2d-4e6f-8a1c-5d4b3a2f1e0d', principalType: 'ServicePrincipal', ipRanges: ['203.0.113.0/28'] },
      identityResourceId: '/subscriptions/s/resourceGroups/rg-edge/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-edge',
    });
  });
  const [idKey, identity] = Object.entries(json.resource.azurerm_user_assigned_identity as Record<string, Json>)[0];
  expect(identity.name).toBe('id-edge');
  const reads = Object.values(json.resource.azurerm_role_assignment as Record<string, Json>).find((g) => g.role_definition_name === 'Storage Blob Data Reader')!;
  expect(reads.principal_id).toBe(`\${azurerm_user_assigned_identity.${idKey}.principal_id}`);
  const vmss = Object.values(json.resource.azurerm_linux_virtual_machine_scale_set as Record<string, Json>)[0];
  expect(decodeCustomData(vmss.custom_data)).toContain("IDENTITY_RESOURCE_ID='/subscriptions/s/resourceGroups/rg-edge/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-edge'");
});
