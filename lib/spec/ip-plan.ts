/**
 * The IP plan: where every subnet and every internal load-balancer frontend lives.
 *
 * The address space is cut into equal blocks of `network.subnetPrefixLength`. Blocks 0-2 are the
 * platform's (front VMs, load-balancer frontends, private endpoints); service block N is address
 * block N + 2. A service's place depends only on its own `block`, never on list order, so adding,
 * removing or reordering services moves nothing already planned.
 *
 * Load-balancer frontends live in their own subnet, where no NIC is ever placed, so a scale set
 * growing into its subnet can never take a frontend address first. The front's frontend is the
 * first usable address there; service block N's blue and green frontends are the next two pairs.
 */
import { AZURE_RESERVED_ADDRESSES_PER_SUBNET, FIRST_USABLE_OFFSET, PLATFORM_BLOCKS } from './constants';
import { addressAt, blockCount, blockOf, parseCidr, type Range } from './cidr';
import { SLOT_NAMES, type Capacity, type Environment, type SlotName } from './schema';
import { computeNames, environmentNames, serviceNames } from './names';
import { poolPart } from './placement';

/** One subnet of the IP plan. */
export interface PlannedSubnet {
  /** The subnet's Azure name. */
  readonly name: string;
  /** The subnet's CIDR. */
  readonly cidr: string;
  /** First address Azure lets a NIC take (after its reserved ones). */
  readonly firstUsable: string;
  /** Last address Azure lets a NIC take. */
  readonly lastUsable: string;
  /** How many addresses NICs may take (the block's size less Azure's five reserved ones). */
  readonly usableAddresses: number;
}

/** A service's addresses. */
export interface ServiceIps {
  /** The subnet its VMs are in: its own, or its pool's. */
  readonly subnet: PlannedSubnet;
  /** Static private frontend IP of each slot's internal load balancer. */
  readonly frontendIps: Readonly<Record<SlotName, string>>;
}

/** Every subnet and static frontend IP of an environment, from fixed blocks (see {@link planIps}). */
export interface IpPlan {
  /** The VNet's address space. */
  readonly addressSpace: string;
  /** The front VMs' subnet (block 0). */
  readonly front: PlannedSubnet;
  /** The load-balancer frontends' subnet (block 1), where no NIC is placed. */
  readonly loadBalancers: PlannedSubnet;
  /** The private endpoints' subnet (block 2). */
  readonly endpoints: PlannedSubnet;
  /** Static frontend IP of the front's internal load balancer: the one address callers keep. */
  readonly frontFrontendIp: string;
  /** Per service name, in name order. */
  readonly services: Readonly<Record<string, ServiceIps>>;
  /** Per pool name, in name order. */
  readonly pools: Readonly<Record<string, {
    /** The pool's subnet. */
    readonly subnet: PlannedSubnet;
  }>>;
}

export const addressBlockOfService = (block: number): number => PLATFORM_BLOCKS.length - 1 + block;
export const usableInBlock = (prefix: number): number => 2 ** (32 - prefix) - AZURE_RESERVED_ADDRESSES_PER_SUBNET;

/** Largest service block whose two frontends still fit the load-balancer subnet. */
export const maxBlockForFrontends = (prefix: number): number =>
  Math.floor((2 ** (32 - prefix) - 2 - FIRST_USABLE_OFFSET - 1 - 1) / SLOT_NAMES.length) + 1;

/** Largest service block the address space holds. */
export const maxBlockForSpace = (space: Range, prefix: number): number => blockCount(space, prefix) - PLATFORM_BLOCKS.length;

/** Instances one scale set may run at once during a rolling upgrade with surge: max plus one batch. */
export function instancesWithSurge(capacity: Capacity, maxBatchPercent: number): number {
  return capacity.max + Math.ceil((capacity.max * maxBatchPercent) / 100);
}

/** Addresses a service's subnet must hold: both slots at max capacity plus surge. */
export const serviceAddressesNeeded = (capacity: Capacity, maxBatchPercent: number): number =>
  SLOT_NAMES.length * instancesWithSurge(capacity, maxBatchPercent);

function subnet(name: string, r: Range): PlannedSubnet {
  return {
    name,
    cidr: r.cidr,
    firstUsable: addressAt(r.first + BigInt(FIRST_USABLE_OFFSET)),
    lastUsable: addressAt(r.last - 1n),
    usableAddresses: Number(r.last - r.first + 1n) - AZURE_RESERVED_ADDRESSES_PER_SUBNET,
  };
}

/** Frontend IP of a service slot, as an offset into the load-balancer subnet. */
export const frontendOffset = (block: number, slot: SlotName): number =>
  FIRST_USABLE_OFFSET + 1 + SLOT_NAMES.length * (block - 1) + SLOT_NAMES.indexOf(slot);

/** Plans every subnet and frontend IP. Expects a validated environment (see validateEnvironment). */
export function planIps(env: Environment): IpPlan {
  const space = parseCidr(env.network.addressSpace);
  if (!space) throw new Error(`planIps: unvalidated address space ${env.network.addressSpace}`);
  const prefix = env.network.subnetPrefixLength;
  const names = environmentNames(env);
  const lb = blockOf(space, prefix, PLATFORM_BLOCKS.indexOf('loadBalancers'));
  const pools: Record<string, { subnet: PlannedSubnet }> = {};
  for (const pool of [...env.pools].sort((a, b) => a.name.localeCompare(b.name))) {
    pools[pool.name] = { subnet: subnet(computeNames(env, poolPart(pool.name), pool.name).subnet, blockOf(space, prefix, addressBlockOfService(pool.block))) };
  }
  const services: Record<string, ServiceIps> = {};
  for (const svc of [...env.services].sort((a, b) => a.name.localeCompare(b.name))) {
    const frontendIps = Object.fromEntries(
      SLOT_NAMES.map((slot) => [slot, addressAt(lb.first + BigInt(frontendOffset(svc.block, slot)))]),
    ) as Record<SlotName, string>;
    services[svc.name] = {
      subnet: svc.pool !== undefined ? pools[svc.pool].subnet : subnet(serviceNames(env, svc.name).subnet, blockOf(space, prefix, addressBlockOfService(svc.block))),
      frontendIps,
    };
  }
  return {
    addressSpace: env.network.addressSpace,
    front: subnet(names.frontSubnet, blockOf(space, prefix, PLATFORM_BLOCKS.indexOf('front'))),
    loadBalancers: subnet(names.loadBalancerSubnet, lb),
    endpoints: subnet(names.endpointSubnet, blockOf(space, prefix, PLATFORM_BLOCKS.indexOf('endpoints'))),
    frontFrontendIp: addressAt(lb.first + BigInt(FIRST_USABLE_OFFSET)),
    services,
    pools,
  };
}
