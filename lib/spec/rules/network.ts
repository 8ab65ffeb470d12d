/**
 * Rules of the network concern: the address space and subnet size, peer and admin ranges, the
 * blocks that place each service and pool in the address plan, whether each set of VMs fits its
 * subnet (surge included), and endpoints that admit ranges the network must declare.
 */
import { canonicalIfHostBitsSet, contains, overlaps, parseCidr, type Range } from '../cidr';
import { PRIVATE_RANGES } from '../constants';
import { instancesWithSurge, serviceAddressesNeeded, usableInBlock } from '../ip-plan';
import { show, type Path } from '../issues';
import type { Capacity } from '../schema';
import { PROVIDER_FEATURES } from '../../runtime/provider';
import { addressBasis, collect, isRecord, under, type Findings, type SpecView } from './view';

const PRIVATE = PRIVATE_RANGES.map((r) => parseCidr(r)!);

/** network.addressSpace (private, no host bits), subnetPrefixLength (room for the blocks), peer and admin ranges. */
export function validateAddressSpace(view: SpecView): Findings {
  return collect((add) => {
    const { net } = view;
    if (net.addressSpace !== undefined) {
      const fixed = canonicalIfHostBitsSet(net.addressSpace);
      const space = parseCidr(net.addressSpace);
      if (fixed) {
        add(['network', 'addressSpace'], { code: 'invalid_value', message: `${show(net.addressSpace)} has host bits set`, value: net.addressSpace, hint: `did you mean '${fixed}'?` });
      } else if (space && !PRIVATE.some((p) => contains(p, space))) {
        add(['network', 'addressSpace'], {
          code: 'invalid_value',
          message: `${show(net.addressSpace)} is not a private range`,
          value: net.addressSpace,
          hint: `use a range inside ${PRIVATE_RANGES.join(', ')}`,
        });
      }
    }
    const { space, prefix } = addressBasis(view);
    if (space && prefix !== undefined && prefix < space.prefix + 2) {
      add(['network', 'subnetPrefixLength'], {
        code: 'does_not_fit',
        message: `/${prefix} subnets give ${2 ** Math.max(0, prefix - space.prefix)} blocks in ${net.addressSpace}; the platform needs 3 and each service 1`,
        value: prefix,
        hint: space.prefix + 2 <= 28 ? `use /${space.prefix + 2} or longer, or a larger address space` : `the address space is too small for /28 subnets (the smallest the spec allows): use a /26 or larger address space`,
      });
    }
  });
}

/** network.peerRanges and adminRanges: element by element as written, so one bad range hides no problem with another. */
export function validateRanges(view: SpecView): Findings {
  return collect((add) => {
    const { net } = view;
    const { space } = addressBasis(view);
    const rawNet = isRecord(view.raw.network) ? view.raw.network : {};
    const peerSeen: Array<{ i: number; r: string; range: Range }> = [];
    for (const field of ['peerRanges', 'adminRanges'] as const) {
      const written = net[field] ?? (Array.isArray(rawNet[field]) ? (rawNet[field] as unknown[]) : []);
      written.forEach((r, i) => {
        if (typeof r !== 'string' || !parseCidr(r)) return; // the schema reports it
        const range = parseCidr(r)!;
        if (field === 'peerRanges') {
          const other = peerSeen.find((o) => overlaps(o.range, range));
          if (other) {
            add(['network', field, i], {
              code: 'overlap',
              message: `${show(r)} overlaps peerRanges[${other.i}] ${show(other.r)}`,
              value: r,
              hint: 'a VNet cannot peer with two networks whose ranges overlap; list each peer network once',
            });
          }
          peerSeen.push({ i, r, range });
        }
        const fixed = canonicalIfHostBitsSet(r);
        if (fixed) add(['network', field, i], { code: 'invalid_value', message: `${show(r)} has host bits set`, value: r, hint: `did you mean '${fixed}'?` });
        if (space && overlaps(range, space)) {
          add(['network', field, i], {
            code: 'overlap',
            message: `${show(r)} overlaps the address space ${net.addressSpace}`,
            value: r,
            hint: field === 'peerRanges' ? 'Azure refuses to peer networks whose ranges overlap' : 'admin ranges are outside callers; VNet sources are declared per endpoint',
          });
        }
      });
    }
  });
}

/** Blocks: one per pool and service, inside the plan. */
export function validateBlocks(view: SpecView): Findings {
  return collect((add) => {
    const { maxBlock } = addressBasis(view);
    const { net } = view;
    const blockOwner = new Map<number, string>();
    for (const { index, p } of view.pools) {
      if (p.block === undefined) continue;
      const prev = blockOwner.get(p.block);
      if (prev) add(['pools', index, 'block'], { code: 'duplicate', message: `block ${p.block} is already ${prev}'s`, value: p.block, hint: 'each pool and service needs its own block' });
      else blockOwner.set(p.block, `pools[${index}]`);
      if (maxBlock !== undefined && p.block > maxBlock) {
        add(['pools', index, 'block'], { code: 'does_not_fit', message: `block ${p.block} is outside the plan: service and pool blocks 1-${maxBlock}`, value: p.block });
      }
    }
    const firstByBlock = new Map<number, number>();
    for (const { index, s } of view.services) {
      if (s.block === undefined) continue;
      const at = under('services', index);
      const blockTaken = blockOwner.get(s.block);
      if (blockTaken) add(at('block'), { code: 'duplicate', message: `block ${s.block} is already ${blockTaken}'s`, value: s.block, hint: 'each pool and service needs its own block' });
      const prev = firstByBlock.get(s.block);
      if (prev !== undefined) {
        add(at('block'), {
          code: 'duplicate',
          message: `block ${s.block} is already services[${prev}]'s`,
          value: s.block,
          hint: 'each service needs its own block; take one no service uses',
        });
      } else firstByBlock.set(s.block, index);
      if (maxBlock !== undefined && s.block > maxBlock) {
        add(at('block'), {
          code: 'does_not_fit',
          message: `block ${s.block} is outside the plan: ${net.addressSpace} in /${addressBasis(view).prefix} subnets holds service blocks 1-${maxBlock}`,
          value: s.block,
          hint: 'use a free lower block, or a larger address space',
        });
      }
    }
  });
}

/** Each set of VMs (the front, a pool's two slots, a service's two slots) fits its subnet with upgrade surge. */
export function validateSubnetFits(view: SpecView): Findings {
  return collect((add) => {
    const { blocksUsable, prefix } = addressBasis(view);
    if (!blocksUsable || prefix === undefined) return;
    const { front } = view;
    if (front.capacity) {
      const need = instancesWithSurge(front.capacity, front.upgrade?.maxBatchPercent ?? 20);
      if (need > usableInBlock(prefix)) {
        add(['front', 'capacity', 'max'], {
          code: 'does_not_fit',
          message: `${front.capacity.max} instances plus upgrade surge need ${need} addresses; a /${prefix} subnet holds ${usableInBlock(prefix)}`,
          value: front.capacity.max,
          hint: 'lower front.capacity.max or network.subnetPrefixLength',
        });
      }
    }
    for (const { index, p } of view.pools) {
      if (!p.capacity || !p.upgrade) continue;
      const need = serviceAddressesNeeded(p.capacity, p.upgrade.maxBatchPercent);
      if (need > usableInBlock(prefix)) {
        add(['pools', index, 'capacity', 'max'], { code: 'does_not_fit', message: `2 slots × ${instancesWithSurge(p.capacity, p.upgrade.maxBatchPercent)} instances with surge need ${need} addresses; a /${prefix} subnet holds ${usableInBlock(prefix)}`, value: p.capacity.max });
      }
    }
    for (const { index, s } of view.services) {
      const batch = s.upgrade?.maxBatchPercent ?? 20;
      // the service's block, so its subnet's size, is the same in every region (docs/regions.md)
      const counts: Array<[Path, Capacity | undefined]> = [
        [['services', index, 'capacity', 'max'], s.capacity],
        ...Object.entries(s.regionCapacity ?? {}).map(([region, c]): [Path, Capacity] => [['services', index, 'regionCapacity', region, 'max'], c]),
      ];
      for (const [path, capacity] of counts) {
        if (!capacity) continue;
        const need = serviceAddressesNeeded(capacity, batch);
        if (need > usableInBlock(prefix)) {
          add(path, {
            code: 'does_not_fit',
            message: `2 slots × (${capacity.max} instances + ${instancesWithSurge(capacity, batch) - capacity.max} upgrade surge) need ${need} addresses; a /${prefix} subnet holds ${usableInBlock(prefix)}`,
            value: capacity.max,
            hint: `lower ${path.slice(2).join('.')}, or choose a shorter network.subnetPrefixLength (which moves every subnet)`,
          });
        }
      }
    }
  });
}

/** Endpoints that admit peers or admin ranges need the network to declare them. */
export function validateEndpointSources(view: SpecView): Findings {
  return collect((add) => {
    const { net } = view;
    for (const { index, s } of view.services) {
      const ep = s.endpoints;
      if (!ep) continue;
      const at = under('services', index);
      if (ep.input.from.includes('peers') && net.peerRanges !== undefined && net.peerRanges.length === 0) {
        add(at('endpoints', 'input', 'from'), { code: 'missing', message: "admits 'peers', but network.peerRanges is empty", hint: 'declare the peer ranges, or drop peers' });
      }
      if (ep.management.length > 0 && net.adminRanges !== undefined && net.adminRanges.length === 0) {
        add(at('endpoints', 'management'), { code: 'missing', message: 'management endpoints need network.adminRanges, which is empty', hint: 'declare the admin ranges (a bastion or admin VPN)' });
      }
    }
  });
}

/**
 * Regions where Azure does not offer StandardV2 NAT gateways (docs/runtimes.md: the latest list
 * found, which has changed several times since general availability on 2026-01-22).
 */
export const NAT_STANDARD_V2_UNAVAILABLE: readonly string[] = ['canadaeast', 'indonesiacentral', 'israelnorthwest', 'qatarcentral', 'swedensouth', 'westindia'];

/** network.natGateway.sku: a SKU the provider version of these bindings accepts, offered in every region of the environment. */
export function validateNatGateway(view: SpecView): Findings {
  return collect((add) => {
    const sku = (view.net as { natGateway?: { sku?: unknown } }).natGateway?.sku;
    if (sku !== 'StandardV2') return;
    const path: Path = ['network', 'natGateway', 'sku'];
    if (!PROVIDER_FEATURES.natGatewaySkus.includes(sku)) {
      add(path, {
        code: 'invalid_value',
        message: `'StandardV2' needs azurerm 4.67 or later, and these bindings are azurerm ${PROVIDER_FEATURES.azurerm} (${PROVIDER_FEATURES.runtime}): the provider would refuse it at plan`,
        value: sku,
        hint: "use the CDK Terrain entry point (azure-slot-environments/cdktn, azurerm 4.73; docs/runtimes.md), or keep 'Standard'",
      });
      return;
    }
    const regions: Array<{ region: unknown; at: Path }> = [
      { region: view.env.region, at: ['region'] },
      // retired regions too: their network stack stays until the region is removed, with the same SKU
      ...(Array.isArray(view.raw.otherRegions) ? view.raw.otherRegions : []).map((r: unknown, i: number) => ({ region: isRecord(r) ? r.name : undefined, at: ['otherRegions', i, 'name'] as Path })),
    ];
    for (const { region, at } of regions) {
      if (typeof region === 'string' && NAT_STANDARD_V2_UNAVAILABLE.includes(region.toLowerCase())) {
        add(path, {
          code: 'invalid_value',
          message: `Azure offers no StandardV2 NAT gateway in ${region} (${at.join('.').replace(/\.(\d+)\./g, '[$1].')})`,
          value: sku,
          hint: "keep 'Standard', or deploy the environment to regions that offer it",
        });
      }
    }
  });
}
