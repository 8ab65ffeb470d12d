/**
 * Everything the constructs need, computed once from a validated environment: names, the IP plan
 * and the port plan. Stacks pass slices of this to constructs; no construct decides an address.
 */
import { planIps, type IpPlan } from './ip-plan';
import { azureIds } from '../core/azure-ids';
import { computeNames, defaultDomain, environmentNames, PLATFORM_PARTS, serviceHosts, serviceNames, type EnvironmentNames, type ComputeNames } from './names';
import { placementsOf, type Placement } from './placement';
import { planPorts, type PortPlan } from './port-plan';
import { zonesOf } from './regions';
import { isRetiredRegion } from './regional';
import type { Environment } from './schema';
import type { FixedSettings } from '../compute/fixed-settings';

/** Everything the constructs need, computed once from a validated environment. */
export interface EnvironmentPlan {
  /** The validated environment. */
  readonly env: Environment;
  /** Names of the shared resources. */
  readonly names: EnvironmentNames;
  /** Names of each service's own resources, by service name. */
  readonly serviceNames: Readonly<Record<string, ComputeNames>>;
  /** The sets of VMs: services on their own scale sets, and pools. */
  readonly placements: readonly Placement[];
  /** Names of each placement's resources, by part ('svc-<service>', 'pool-<pool>'). */
  readonly placementNames: Readonly<Record<string, ComputeNames>>;
  /** Subnets and static frontend IPs. */
  readonly ips: IpPlan;
  /** Every port. */
  readonly ports: PortPlan;
  /** Availability zones of the region ([] where it has none). */
  readonly zones: readonly string[];
  /** Tags for every resource of the environment. */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * Each scale set's creation-time settings as the lock file records them, keyed 'service/slot',
   * 'pool-<pool>/slot' or 'front' (set by the synth after its lock check).
   * @default - none: every scale set takes today's defaults
   */
  readonly fixedSettings?: Readonly<Record<string, FixedSettings>>;
  /**
   * This environment's place among its regions (`otherRegions`, docs/regions.md), set by
   * {@link linkRegions}. @default - one region
   */
  readonly regions?: RegionLinks;
}

/** One region of an environment, as the other regions' stacks see it (static values only). */
export interface RegionLink {
  /** Its position: 0 for the first region (`region`), then `otherRegions` in order. */
  readonly index: number;
  /** The Azure region. */
  readonly name: string;
  /** Its `otherRegions[].code`; undefined for the first region. */
  readonly code?: string;
  /** The name of its environment (`<env>` or `<env>-<code>`), which names its stacks. */
  readonly environment: string;
  /** Its VNet's resource group. */
  readonly networkResourceGroup: string;
  /** Its VNet's name. */
  readonly virtualNetworkName: string;
  /** Its VNet's static resource ID. */
  readonly virtualNetworkId: string;
  /** Its VNet's address space. */
  readonly addressSpace: string;
  /** Its front VMs' subnet: the source of the requests its front forwards. */
  readonly frontCidr: string;
  /** Its front's internal load balancer address. */
  readonly frontAddress: string;
  /** Its front's plain HTTP port (the hop between fronts). */
  readonly frontHttpPort: number;
  /** Retired (`otherRegions[].retired`): no front forwards to it, its peering and network stay. */
  readonly retired: boolean;
  /**
   * The host names its front serves (the services there that are not retired), and the domain
   * itself when it serves a service by path prefix: what its private DNS records point here.
   */
  readonly hosts: readonly string[];
}

/** This region, and the environment's others, the first region first. */
export interface RegionLinks {
  /** This region. */
  readonly self: RegionLink;
  /** The environment's other regions, the first region first. */
  readonly others: readonly RegionLink[];
}

/**
 * The host names a plan's front serves: each service it routes that is not retired, by its host
 * names, and the domain itself for one served by path prefix (the front's default server).
 */
export function servedHosts(p: Pick<EnvironmentPlan, 'env'>): string[] {
  const domain = defaultDomain(p.env.name, p.env.front);
  const routed = p.env.services.filter((s) => s.endpoints.input.from.includes('front') && !s.retired);
  return [...new Set(routed.flatMap((s) => (s.route.pathPrefix ? [domain] : serviceHosts(s, domain))))];
}

/** The plans of one environment's regions (the first first), each told of the others. One plan stays as it is. */
export function linkRegions(plans: readonly EnvironmentPlan[], codes: readonly (string | undefined)[]): EnvironmentPlan[] {
  if (plans.length < 2) return [...plans];
  const links: RegionLink[] = plans.map((p, index) => {
    const rg = p.names.resourceGroup(PLATFORM_PARTS.network);
    return {
      index,
      name: p.env.region,
      ...(codes[index] !== undefined ? { code: codes[index] } : {}),
      environment: p.env.name,
      networkResourceGroup: rg,
      virtualNetworkName: p.names.virtualNetwork,
      virtualNetworkId: azureIds.virtualNetwork(p.env.subscriptionId, rg, p.names.virtualNetwork),
      addressSpace: p.env.network.addressSpace,
      frontCidr: p.ips.front.cidr,
      frontAddress: p.ips.frontFrontendIp,
      frontHttpPort: p.ports.front.http,
      retired: isRetiredRegion(p.env),
      hosts: servedHosts(p),
    };
  });
  return plans.map((p, i) => ({ ...p, regions: { self: links[i], others: links.filter((_, j) => j !== i) } }));
}

/** Plans a validated environment (see {@link validateEnvironment}): names, placements, IPs, ports. */
export function planEnvironment(env: Environment): EnvironmentPlan {
  const placements = placementsOf(env);
  return {
    placements,
    placementNames: Object.fromEntries(placements.map((p) => [p.part, computeNames(env, p.part, p.label)])),
    env,
    names: environmentNames(env),
    serviceNames: Object.fromEntries(env.services.map((s) => [s.name, serviceNames(env, s.name)])),
    ips: planIps(env),
    ports: planPorts(env),
    zones: zonesOf(env.region),
    tags: { environment: env.name, 'managed-by': 'cdktf', ...env.tags },
  };
}
