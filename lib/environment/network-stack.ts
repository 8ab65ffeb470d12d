/** The environment's network: VNet, subnets from the IP plan, NSGs from endpoint declarations, NAT egress. Changes rarely. */
import { TerraformOutput } from '../runtime/cdk';
import type { Construct } from 'constructs';
import { planNetworkSecurity } from '../network/security-plan';
import { ServiceNetwork } from '../network/service-network';
import { PLATFORM_PARTS } from '../spec/names';
import type { EnvironmentPlan } from '../spec/plan';
import { EnvironmentStack } from './environment-stack';
import { VirtualNetworkPeering } from '../runtime/azurerm';

/** The name of the network stack's output that lists the VM subnets an external artifact store must admit. */
export const ARTIFACT_STORE_SUBNETS_OUTPUT = 'artifact_store_subnet_ids';

/** `<env>-network`: the resource group and the ServiceNetwork from the IP and security plans. */
export class NetworkStack extends EnvironmentStack {
  /** The network. */
  public readonly network: ServiceNetwork;

  constructor(scope: Construct, plan: EnvironmentPlan) {
    super(scope, plan, PLATFORM_PARTS.network);
    const rg = this.resourceGroup(PLATFORM_PARTS.network);
    const subnets = planNetworkSecurity(plan);
    this.network = new ServiceNetwork(this, 'network', {
      resourceGroupName: rg.name,
      location: plan.env.region,
      name: plan.names.virtualNetwork,
      addressSpace: plan.ips.addressSpace,
      subnets,
      natGateway: { name: plan.names.natGateway, publicIpName: plan.names.natPublicIp, zone: plan.zones[0], sku: plan.env.network.natGateway?.sku },
      tags: plan.tags,
    });
    // The artifact store is the team's own account, outside these stacks: Azure Storage ignores
    // IP rules for requests from its own region, so its owner admits these subnets by VNet rule
    // (`az storage account network-rule add --subnet <id>`; see docs/prerequisites.md).
    if (plan.env.artifactStore) {
      const vmSubnets = subnets.filter((s) => s.hasVms && s.key !== 'front').map((s) => s.key);
      new TerraformOutput(this, ARTIFACT_STORE_SUBNETS_OUTPUT, {
        description: 'Subnets whose VMs fetch releases from the artifact store: add each as a VNet rule on that storage account',
        value: vmSubnets.map((key) => this.network.subnetIds[key]),
      });
    }
    // another region: peered both ways with each earlier region, both sides made here, so adding a
    // region never changes the earlier regions' network stacks beyond their fronts' NSG rule
    if (plan.regions) {
      const self = plan.regions.self;
      for (const other of plan.regions.others.filter((o) => o.index < self.index)) {
        const key = other.code ?? 'first';
        const options = { allowVirtualNetworkAccess: true, allowForwardedTraffic: false, allowGatewayTransit: false, useRemoteGateways: false };
        new VirtualNetworkPeering(this, `peering-to-${key}`, { name: `peer-${self.environment}-to-${other.environment}`, resourceGroupName: rg.name, virtualNetworkName: this.network.virtualNetworkName, remoteVirtualNetworkId: other.virtualNetworkId, ...options });
        new VirtualNetworkPeering(this, `peering-from-${key}`, { name: `peer-${other.environment}-to-${self.environment}`, resourceGroupName: other.networkResourceGroup, virtualNetworkName: other.virtualNetworkName, remoteVirtualNetworkId: this.network.virtualNetworkId, ...options });
      }
    }
    this.sendDiagnostics();
  }
}
