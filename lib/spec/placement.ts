/**
 * Placements: the sets of VMs in an environment. A service without a pool is its own placement;
 * a pool is one placement running all its services, each on its own planned ports. Subnets, NSGs,
 * scale sets, load balancers, autoscale, quotas and the lock are per placement. Pure; expects a
 * validated environment.
 */
import { servicePart } from './names';
import type { Capacity, Environment, Pool, Service, SlotName } from './schema';

export const poolPart = (pool: string) => `pool-${pool}`;

/** One set of VMs: a service on its own scale sets, or a node pool with its services. */
export interface Placement {
  /** A service's own VMs, or a pool's. */
  readonly kind: 'service' | 'pool';
  /** The service's or pool's name. */
  readonly name: string;
  /** Stack, resource group and subnet part: 'svc-<name>' or 'pool-<name>'. */
  readonly part: string;
  /** Host name label: the service's name, or 'pool-<name>'. */
  readonly label: string;
  /** Address block of its subnet. */
  readonly block: number;
  /** The VM size. */
  readonly vmSize: string;
  /** Instance counts of each slot. */
  readonly capacity: Capacity;
  /** Rolling-upgrade settings. */
  readonly upgrade: Service['upgrade'];
  /** Autoscale settings. */
  readonly autoscale: Service['autoscale'];
  /** The scale sets' orchestration mode. */
  readonly orchestration: 'Uniform' | 'Flexible';
  /** Whether a change that replaces its scale sets is accepted. */
  readonly allowReplacement: boolean;
  /** The image. @default - Ubuntu 22.04 LTS */
  readonly image?: Service['image'];
  /** Each slot's OS patch label (`slots.<slot>.osPatch`, a pool's `osPatch`); a change re-resolves the slot's image version. */
  readonly osPatch: Readonly<Record<SlotName, string | undefined>>;
  /** Tags of its resources, beside the environment's. */
  readonly tags: Readonly<Record<string, string>>;
  /** The services on these VMs, in name order. */
  readonly services: readonly Service[];
  /** Where it is in the spec: 'services[2]' or 'pools[0]'. */
  readonly specPath: string;
  /**
   * Retired (`retired: true`): its stack stays, with no resources, until the entry is removed;
   * the network and the identities keep its subnet, NSG and identities until then.
   */
  readonly retired: boolean;
}

const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);

export function placementOf(svc: Service, index: number): Placement {
  return {
    kind: 'service',
    name: svc.name,
    part: servicePart(svc.name),
    label: svc.name,
    block: svc.block,
    vmSize: svc.vmSize!,
    capacity: svc.capacity!,
    upgrade: svc.upgrade,
    autoscale: svc.autoscale,
    orchestration: svc.orchestration,
    allowReplacement: svc.allowReplacement,
    image: svc.image,
    osPatch: { blue: svc.slots.blue.osPatch, green: svc.slots.green.osPatch },
    tags: { ...svc.tags, service: svc.name },
    services: [svc],
    specPath: `services[${index}]`,
    retired: svc.retired,
  };
}

export function poolPlacement(pool: Pool, index: number, services: readonly Service[]): Placement {
  return {
    kind: 'pool',
    name: pool.name,
    part: poolPart(pool.name),
    label: poolPart(pool.name),
    block: pool.block,
    vmSize: pool.vmSize,
    capacity: pool.capacity,
    upgrade: pool.upgrade,
    autoscale: pool.autoscale,
    orchestration: pool.orchestration,
    allowReplacement: pool.allowReplacement,
    image: pool.image,
    osPatch: { blue: pool.osPatch?.blue, green: pool.osPatch?.green },
    tags: { ...pool.tags, pool: pool.name },
    services: services.filter((s) => s.pool === pool.name).sort(byName),
    specPath: `pools[${index}]`,
    retired: pool.retired,
  };
}

/** The services a placement's VMs run: those not retired (none when the placement is retired). */
export const runningServices = (p: Placement): readonly Service[] => (p.retired ? [] : p.services.filter((s) => !s.retired));

/** Every placement: services without a pool, then pools, each in name order. */
export function placementsOf(env: Environment): Placement[] {
  const own = env.services.map((s, i) => ({ s, i })).filter(({ s }) => s.pool === undefined).map(({ s, i }) => placementOf(s, i));
  const pools = env.pools.map((p, i) => poolPlacement(p, i, env.services));
  return [...own.sort(byName), ...pools.sort(byName)];
}
