/** The environment's network: VNet, subnets from the IP plan, NSGs from endpoint declarations, NAT egress. Changes rarely. */
import type { Construct } from 'constructs';
import { planNetworkSecurity } from '../network/security-plan';
import { ServiceNetwork } from '../network/service-network';
import { PLATFORM_PARTS } from '../spec/names';
import type { EnvironmentPlan } from '../spec/plan';
import { EnvironmentStack } from './environment-stack';

/** `<env>-network`: the resource group and the ServiceNetwork from the IP and security plans. */
export class NetworkStack extends EnvironmentStack {
  /** The network. */
  public readonly network: ServiceNetwork;

  constructor(scope: Construct, plan: EnvironmentPlan) {
    super(scope, plan, PLATFORM_PARTS.network);
    const rg = this.resourceGroup(PLATFORM_PARTS.network);
    this.network = new ServiceNetwork(this, 'network', {
      resourceGroupName: rg.name,
      location: plan.env.region,
      name: plan.names.virtualNetwork,
      addressSpace: plan.ips.addressSpace,
      subnets: planNetworkSecurity(plan),
      natGateway: { name: plan.names.natGateway, publicIpName: plan.names.natPublicIp, zone: plan.zones[0] },
      tags: plan.tags,
    });
  }
}
