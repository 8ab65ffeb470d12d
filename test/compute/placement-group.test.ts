/**
 * A Uniform scale set in a single placement group holds at most 100 VMs (azurerm's
 * `single_placement_group`: "capped at 100 Virtual Machines"). During a rolling upgrade with
 * maximum surge Azure first adds a batch of new instances on top of the current count, so the
 * choice counts autoscale's maximum plus that batch, not the maximum alone.
 */
import { Testing, TerraformStack } from 'cdktf';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { peakInstances, ScaleSet, type ScaleSetProps } from '../../lib/compute/scale-set';
import type { Json } from '../helpers';

function singlePlacementGroup(maxInstances: number, upgrade?: ScaleSetProps['upgrade']): boolean {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'pg');
  new AzurermProvider(stack, 'azurerm', { features: [{}] });
  new ScaleSet(stack, 'ss', {
    name: 'vmss-x',
    resourceGroupName: 'rg',
    location: 'westeurope',
    subnetId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/x',
    vmSize: 'Standard_D2s_v5',
    initialInstances: 2,
    maxInstances,
    adminUsername: 'azureadmin',
    sshPublicKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq3mVn5uYw3Zg6c8Yt0cXo7fJ9Q2pWz0k4m1x7Hn2aE ops'],
    identityId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id',
    cloudInit: '#cloud-config\n',
    upgrade,
  });
  const json = JSON.parse(Testing.synth(stack)) as Json;
  return (Object.values(json.resource.azurerm_linux_virtual_machine_scale_set as Record<string, Json>)[0] as Json).single_placement_group;
}

test.each([
  // max, upgrade, peak during an upgrade, single placement group
  [83, undefined, 100, true], // 83 + a 20 % batch of 17 = 100: fits
  [84, undefined, 101, false], // 84 + 17 = 101: the 101st surge instance would be refused
  [90, { maxBatchPercent: 20, maxSurge: true }, 108, false], // the case the maximum alone got wrong
  [100, { maxSurge: false }, 100, true], // without surge a batch is taken down first: never above max
  [50, { maxBatchPercent: 100, maxSurge: true }, 100, true],
  [1, undefined, 2, true], // a batch is at least one instance
] as const)('max %d, upgrade %j: peak %d, single placement group %s', (max, upgrade, peak, single) => {
  expect(peakInstances(max, upgrade)).toBe(peak);
  expect(singlePlacementGroup(max, upgrade)).toBe(single);
});
