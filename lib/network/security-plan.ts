/**
 * NSG rules derived from endpoint declarations (pure; no cdktf). No rule is written by hand in a
 * stack: every rule comes from here.
 *
 * Azure's default inbound rules are not deny-by-default: AllowVnetInBound (65000) admits the whole
 * VNet, its peers and VPN ranges. So every subnet gets, explicitly:
 *   1. allows for what its endpoints declare (an internal load balancer keeps the caller's source
 *      address, so a service admits the front's subnet, not a frontend IP);
 *   2. an allow for the AzureLoadBalancer tag at 4000 (a deny-all would otherwise block health
 *      probes, stall rolling upgrades and make automatic repair replace healthy VMs);
 *   3. a deny of the rest of VirtualNetwork at 4096.
 * Internet inbound stays denied by Azure's DenyAllInBound; no rule here admits it.
 *
 * Priorities are fixed per kind of rule, never by position in a list, so adding an endpoint never
 * renumbers another rule.
 */
import type { EnvironmentPlan } from '../spec/plan';
import { portRange } from '../spec/port-plan';

/** One inbound NSG rule. */
export interface NsgRule {
  /** Unique in its NSG; also the last part of the rule's Terraform address. */
  readonly name: string;
  /** 100-4096; lower wins. */
  readonly priority: number;
  /** Allow or deny what matches. */
  readonly access: 'Allow' | 'Deny';
  /** The protocol matched. */
  readonly protocol: 'Tcp' | 'Udp' | '*';
  /** One CIDR or service tag, or several CIDRs. */
  readonly sources: readonly string[];
  /** The destination CIDR or service tag. */
  readonly destination: string;
  /** Destination ports or ranges ('10000-10003'), or '*'. */
  readonly ports: readonly string[];
  /** Why the rule exists, shown in the portal. */
  readonly description: string;
}

/** A subnet with its NSG and rules, as {@link ServiceNetwork} creates it. */
export interface SubnetSecurity {
  /** Stable key of the subnet: 'front', 'lb-frontends', 'endpoints', 'svc-<service>'. */
  readonly key: string;
  /** The subnet's name. */
  readonly subnetName: string;
  /** The subnet's CIDR, inside the VNet's address space. */
  readonly cidr: string;
  /** The name of the subnet's NSG. */
  readonly nsgName: string;
  /** Whether VMs live here (egress through the NAT gateway). */
  readonly hasVms: boolean;
  /**
   * Service endpoints on the subnet: `Microsoft.Storage` on every VM subnet (the front reads its
   * store, services their artifact store, and Azure Storage ignores IP rules for requests from
   * its own region, so those stores admit the subnets by VNet rule); none elsewhere. The vault is
   * reached through its private endpoint, not a service endpoint.
   */
  readonly serviceEndpoints: readonly string[];
  /**
   * Whether NSG rules apply to private endpoints in this subnet (`private_endpoint_network_policies
   * = "Enabled"`; Azure's default, Disabled, lets the whole VNet and its peers past the NSG).
   * @default false
   */
  readonly privateEndpointPolicies?: boolean;
  /** The NSG's inbound rules. */
  readonly rules: readonly NsgRule[];
}

export const PRIORITY = {
  inputFromFront: 100,
  inputFromVnet: 110,
  inputFromOtherRegions: 115,
  inputFromPeers: 120,
  frontsOfOtherRegions: 125,
  instanceInput: 130,
  internalTcp: 200,
  internalUdp: 210,
  managementTcp: 300,
  managementUdp: 310,
  privateEndpointsFromVnet: 400,
  azureLoadBalancer: 4000,
  denyVirtualNetwork: 4096,
} as const;

const baseline = (destination: string): NsgRule[] => [
  {
    name: 'allow-azure-load-balancer',
    priority: PRIORITY.azureLoadBalancer,
    access: 'Allow',
    protocol: '*',
    sources: ['AzureLoadBalancer'],
    destination,
    ports: ['*'],
    description: 'Health probes; a deny below would otherwise block them',
  },
  {
    name: 'deny-virtual-network',
    priority: PRIORITY.denyVirtualNetwork,
    access: 'Deny',
    protocol: '*',
    sources: ['VirtualNetwork'],
    destination,
    ports: ['*'],
    description: 'The rest of the VNet, peers and VPN ranges (Azure admits them by default)',
  },
];

const byProtocol = (eps: readonly { port: number; protocol: 'Tcp' | 'Udp' }[], protocol: 'Tcp' | 'Udp') =>
  [...new Set(eps.filter((e) => e.protocol === protocol).map((e) => e.port))].sort((a, b) => a - b).map(String);

/** Every subnet of the environment with its NSG rules, from the IP and port plans (pure). */
export function planNetworkSecurity(plan: EnvironmentPlan): SubnetSecurity[] {
  const { env, ips, ports, names } = plan;
  // Storage: the front's store (always) and the artifact store; Azure Storage ignores IP rules
  // for requests from its own region, so a VNet rule on this endpoint is the only way in there.
  // The local endpoint reaches accounts in this region and its pair only; another region of the
  // environment (docs/regions.md) reads the one artifact store from wherever it is, so its
  // subnets take the cross-region endpoint, which reaches accounts in any region (the two cannot
  // be on one subnet together)
  const vmEndpoints = plan.regions !== undefined && plan.regions.self.index > 0 ? ['Microsoft.Storage.Global'] : ['Microsoft.Storage'];
  const vnet = env.network.addressSpace;
  const peers = env.network.peerRanges;
  const admins = env.network.adminRanges;
  const out: SubnetSecurity[] = [];

  // The front: callers from the VNet and declared peers, on its HTTP and HTTPS ports.
  const frontPorts = [String(ports.front.http), String(ports.front.https)];
  const frontRules: NsgRule[] = [];
  if (env.front.allowFrom.includes('vnet')) {
    frontRules.push({ name: 'allow-callers-from-vnet', priority: PRIORITY.inputFromVnet, access: 'Allow', protocol: 'Tcp', sources: [vnet], destination: ips.front.cidr, ports: frontPorts, description: 'Callers in this VNet' });
  }
  // 'vnet' is the environment's VNets: a caller in another region reaches this front for a service
  // only this region serves (its private DNS record names this front; docs/regions.md)
  const otherSpaces = plan.regions ? plan.regions.others.filter((o) => !o.retired).map((o) => o.addressSpace) : [];
  if (env.front.allowFrom.includes('vnet') && otherSpaces.length > 0) {
    frontRules.push({ name: 'allow-callers-from-other-regions', priority: PRIORITY.inputFromOtherRegions, access: 'Allow', protocol: 'Tcp', sources: otherSpaces, destination: ips.front.cidr, ports: frontPorts, description: "Callers in the environment's other regions' VNets" });
  }
  if (env.front.allowFrom.includes('peers') && peers.length > 0) {
    frontRules.push({ name: 'allow-callers-from-peers', priority: PRIORITY.inputFromPeers, access: 'Allow', protocol: 'Tcp', sources: peers, destination: ips.front.cidr, ports: frontPorts, description: 'Callers in declared peer ranges' });
  }
  // the other regions' fronts forward their planned shares here, over peering, on plain HTTP (docs/regions.md)
  // (a retired region's front forwards nothing: it leaves the rule, and the rule goes with the last)
  const forwarding = plan.regions ? plan.regions.others.filter((o) => !o.retired) : [];
  if (forwarding.length > 0) {
    frontRules.push({ name: 'allow-fronts-of-other-regions', priority: PRIORITY.frontsOfOtherRegions, access: 'Allow', protocol: 'Tcp', sources: forwarding.map((o) => o.frontCidr), destination: ips.front.cidr, ports: [String(ports.front.http)], description: "The other regions' fronts (their planned shares and failover)" });
  }
  // the front VMs pull their config and routing table from the front's storage account
  out.push({ key: 'front', subnetName: ips.front.name, cidr: ips.front.cidr, nsgName: names.nsg('front'), hasVms: true, serviceEndpoints: vmEndpoints, privateEndpointPolicies: false, rules: [...frontRules, ...baseline(ips.front.cidr)] });

  // Load-balancer frontends and private endpoints: no VMs, nothing admitted beyond probes.
  out.push({ key: 'lb-frontends', subnetName: ips.loadBalancers.name, cidr: ips.loadBalancers.cidr, nsgName: names.nsg('lb-frontends'), hasVms: false, serviceEndpoints: [], privateEndpointPolicies: false, rules: baseline(ips.loadBalancers.cidr) });
  // The vault's private endpoint lives here: NSG rules apply to it (network policies on), and
  // they admit this VNet on HTTPS, so peers and VPN ranges stay out by the deny at 4096. The rule
  // names the VNet, not each VM subnet, so adding a service changes nothing here.
  const endpointRules: NsgRule[] = env.keyVault
    ? [{ name: 'allow-private-endpoints-from-vnet', priority: PRIORITY.privateEndpointsFromVnet, access: 'Allow', protocol: 'Tcp', sources: [vnet], destination: ips.endpoints.cidr, ports: ['443'], description: "This VNet's VMs reach the vault's private endpoint" }]
    : [];
  out.push({ key: 'endpoints', subnetName: ips.endpoints.name, cidr: ips.endpoints.cidr, nsgName: names.nsg('endpoints'), hasVms: false, serviceEndpoints: [], privateEndpointPolicies: true, rules: [...endpointRules, ...baseline(ips.endpoints.cidr)] });

  // one NSG per placement: a service's own subnet, or a pool's, whose rules admit what every
  // service on it declares (a rule per kind, so priorities stay fixed however many share it)
  for (const placement of plan.placements) {
    const subnet = placement.kind === 'pool' ? ips.pools[placement.name].subnet : ips.services[placement.name].subnet;
    const rangesFrom = (source: 'front' | 'vnet' | 'peers') =>
      placement.services.filter((s) => s.endpoints.input.from.includes(source)).map((s) => portRange(ports.services[s.name]));
    const rules: NsgRule[] = [];
    const front = rangesFrom('front');
    if (front.length > 0) {
      rules.push({ name: 'allow-input-from-front', priority: PRIORITY.inputFromFront, access: 'Allow', protocol: 'Tcp', sources: [ips.front.cidr], destination: subnet.cidr, ports: front, description: "The front subnet (an internal LB keeps the caller's source address)" });
    }
    const fromVnet = rangesFrom('vnet');
    if (fromVnet.length > 0) {
      rules.push({ name: 'allow-input-from-vnet', priority: PRIORITY.inputFromVnet, access: 'Allow', protocol: 'Tcp', sources: [vnet], destination: subnet.cidr, ports: fromVnet, description: 'Callers in this VNet' });
    }
    const fromPeers = rangesFrom('peers');
    if (fromPeers.length > 0 && peers.length > 0) {
      rules.push({ name: 'allow-input-from-peers', priority: PRIORITY.inputFromPeers, access: 'Allow', protocol: 'Tcp', sources: peers, destination: subnet.cidr, ports: fromPeers, description: 'Callers in declared peer ranges' });
    }
    const endpoints = (kind: 'internal' | 'management' | 'instanceInput') => placement.services.flatMap((s) => s.endpoints[kind].map((e) => ({ port: e.port, protocol: 'protocol' in e ? e.protocol : ('Tcp' as const) })));
    const instancePorts = byProtocol(endpoints('instanceInput'), 'Tcp');
    if (instancePorts.length > 0) {
      rules.push({ name: 'allow-instance-input-from-vnet', priority: PRIORITY.instanceInput, access: 'Allow', protocol: 'Tcp', sources: [vnet], destination: subnet.cidr, ports: instancePorts, description: 'Instance input endpoints, from this VNet only' });
    }
    for (const [protocol, priority] of [['Tcp', PRIORITY.internalTcp], ['Udp', PRIORITY.internalUdp]] as const) {
      const p = byProtocol(endpoints('internal'), protocol);
      if (p.length > 0) {
        rules.push({ name: `allow-internal-${protocol.toLowerCase()}`, priority, access: 'Allow', protocol, sources: [subnet.cidr], destination: subnet.cidr, ports: p, description: 'Instances on this subnet only' });
      }
    }
    for (const [protocol, priority] of [['Tcp', PRIORITY.managementTcp], ['Udp', PRIORITY.managementUdp]] as const) {
      const p = byProtocol(endpoints('management'), protocol);
      if (p.length > 0 && admins.length > 0) {
        rules.push({ name: `allow-management-${protocol.toLowerCase()}`, priority, access: 'Allow', protocol, sources: admins, destination: subnet.cidr, ports: p, description: 'Declared admin ranges' });
      }
    }
    out.push({ key: placement.part, subnetName: subnet.name, cidr: subnet.cidr, nsgName: plan.placementNames[placement.part].nsg, hasVms: true, serviceEndpoints: vmEndpoints, privateEndpointPolicies: false, rules: [...rules, ...baseline(subnet.cidr)] });
  }
  return out;
}
