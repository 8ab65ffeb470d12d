/**
 * Everything the constructs need, computed once from a validated environment: names, the IP plan
 * and the port plan. Stacks pass slices of this to constructs; no construct decides an address.
 */
import { planIps, type IpPlan } from './ip-plan';
import { computeNames, environmentNames, serviceNames, type EnvironmentNames, type ComputeNames } from './names';
import { placementsOf, type Placement } from './placement';
import { planPorts, type PortPlan } from './port-plan';
import { zonesOf } from './regions';
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
