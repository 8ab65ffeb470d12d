/**
 * ServiceNetwork: a VNet with one subnet per planned block, an NSG per subnet with the planned
 * rules, and egress through a NAT gateway whose Standard public IP is the only public IP of the
 * environment. Translation only: every CIDR and rule comes from the IP plan and the security plan.
 */
import { NatGateway, NatGatewayPublicIpAssociation, NetworkSecurityGroup, NetworkSecurityRule, PublicIp, Subnet, SubnetNatGatewayAssociation, SubnetNetworkSecurityGroupAssociation, VirtualNetwork } from '../runtime/azurerm';
import { Construct } from 'constructs';
import type { NsgRule, SubnetSecurity } from './security-plan';

/** Props of {@link ServiceNetwork}. */
export interface ServiceNetworkProps {
  /** The resource group it is created in. */
  readonly resourceGroupName: string;
  /** The Azure region, e.g. 'westeurope'. */
  readonly location: string;
  /** The VNet's name. */
  readonly name: string;
  /** The VNet's address space, from the IP plan. */
  readonly addressSpace: string;
  /** Every subnet with its NSG rules, from `planNetworkSecurity()`. */
  readonly subnets: readonly SubnetSecurity[];
  /**
   * NAT gateway for the subnets that hold VMs. A NAT gateway lives in at most one zone: give one
   * zone (or none in a region without zones); a zone outage stops egress, not ingress.
   */
  readonly natGateway: {
    /** The NAT gateway's name. */
    readonly name: string;
    /** The name of its Standard public IP: the environment's only public IP. */
    readonly publicIpName: string;
    /** @default - no zone (regional) */
    readonly zone?: string;
    /** @default 4 */
    readonly idleTimeoutInMinutes?: number;
    /**
     * 'StandardV2' (azurerm 4.67 or later): zone-redundant, so `zone` is not used, and its public
     * IP is StandardV2 too. @default 'Standard'
     */
    readonly sku?: 'Standard' | 'StandardV2';
  };
  /** @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * A VNet with one subnet per planned block, each with its NSG and planned rules, and egress
 * through a NAT gateway whose Standard public IP is the only public IP of the environment.
 */
export class ServiceNetwork extends Construct {
  /** The VNet's resource ID (a Terraform reference). */
  public readonly virtualNetworkId: string;
  /** The VNet's name (a Terraform reference). */
  public readonly virtualNetworkName: string;
  /** Subnet IDs by subnet key. */
  public readonly subnetIds: Readonly<Record<string, string>>;
  /** The NAT gateway's egress address (known after apply). */
  public readonly egressIp: string;

  constructor(scope: Construct, id: string, props: ServiceNetworkProps) {
    super(scope, id);
    const common = { resourceGroupName: props.resourceGroupName, location: props.location, tags: props.tags };
    const vnet = new VirtualNetwork(this, 'vnet', { ...common, name: props.name, addressSpace: [props.addressSpace] });
    const sku = props.natGateway.sku ?? 'Standard';
    // StandardV2 is zone-redundant: the gateway refuses `zones` at plan (azurerm v4.73.0
    // nat_gateway_resource.go, CustomizeDiff), and its public IP is "only zone-redundant". The IP's
    // `zones` is ForceNew with no StandardV2 handling (public_ip_resource.go), so whatever zones
    // Azure reports for it are ignored: otherwise a report that differs from the configuration
    // would replace the egress IP at every plan (docs/runtimes.md).
    const zones = sku === 'Standard' && props.natGateway.zone ? [props.natGateway.zone] : undefined;
    const ip = new PublicIp(this, 'nat-ip', {
      ...common,
      name: props.natGateway.publicIpName,
      sku,
      allocationMethod: 'Static',
      zones,
      ...(sku === 'StandardV2' ? { lifecycle: { ignoreChanges: ['zones'] } } : {}),
    });
    const nat = new NatGateway(this, 'nat', {
      ...common,
      name: props.natGateway.name,
      skuName: sku,
      idleTimeoutInMinutes: props.natGateway.idleTimeoutInMinutes ?? 4,
      zones,
    });
    // each attribute read makes a new token (cdktf records a stack trace per token): read once
    const natGatewayId = nat.id;
    const virtualNetworkName = vnet.name;
    new NatGatewayPublicIpAssociation(this, 'nat-ip-link', { natGatewayId, publicIpAddressId: ip.id });

    const subnetIds: Record<string, string> = {};
    for (const s of props.subnets) {
      const subnet = new Subnet(this, `${s.key}-subnet`, {
        name: s.subnetName,
        resourceGroupName: props.resourceGroupName,
        virtualNetworkName,
        addressPrefixes: [s.cidr],
        defaultOutboundAccessEnabled: false,
        serviceEndpoints: s.serviceEndpoints.length > 0 ? [...s.serviceEndpoints] : undefined,
        // azurerm's default is Disabled (NSGs do not apply to private endpoints); set either way
        privateEndpointNetworkPolicies: s.privateEndpointPolicies ? 'Enabled' : undefined,
      });
      const nsg = new NetworkSecurityGroup(this, `${s.key}-nsg`, { ...common, name: s.nsgName });
      const nsgName = nsg.name;
      const subnetId = subnet.id;
      for (const rule of s.rules) new NetworkSecurityRule(this, `${s.key}-${rule.name}`, ruleConfig(rule, nsgName, props.resourceGroupName));
      new SubnetNetworkSecurityGroupAssociation(this, `${s.key}-nsg-link`, { subnetId, networkSecurityGroupId: nsg.id });
      if (s.hasVms) new SubnetNatGatewayAssociation(this, `${s.key}-nat-link`, { subnetId, natGatewayId });
      subnetIds[s.key] = subnetId;
    }
    this.virtualNetworkId = vnet.id;
    this.virtualNetworkName = vnet.name;
    this.subnetIds = subnetIds;
    this.egressIp = ip.ipAddress;
  }
}

function ruleConfig(rule: NsgRule, networkSecurityGroupName: string, resourceGroupName: string) {
  const one = <T>(xs: readonly T[]) => (xs.length === 1 ? { single: xs[0], many: undefined } : { single: undefined, many: [...xs] });
  const src = one(rule.sources);
  const dst = one(rule.ports);
  return {
    name: rule.name,
    networkSecurityGroupName,
    resourceGroupName,
    priority: rule.priority,
    direction: 'Inbound',
    access: rule.access,
    protocol: rule.protocol,
    description: rule.description,
    sourcePortRange: '*',
    sourceAddressPrefix: src.single,
    sourceAddressPrefixes: src.many,
    destinationAddressPrefix: rule.destination,
    destinationPortRange: dst.single,
    destinationPortRanges: dst.many,
  };
}
