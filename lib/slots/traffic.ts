/**
 * The traffic plan (pure, no cdktf): where each service's requests go, what each slot must carry,
 * and the routing table the front serves from.
 *
 * A service's traffic is `live` (the slot that takes everything not sent elsewhere), a ramp
 * `weight` for the other slot, pin rules by header or cookie, affinity, failover and mirroring.
 * The routing table is the only thing a swap or a ramp step changes: the front stack writes it
 * and every front VM applies it at run time (see `lib/front/`).
 */
import { createHash } from 'node:crypto';
import type { Environment, Service, SlotName } from '../spec/schema';

export const otherSlot = (slot: SlotName): SlotName => (slot === 'blue' ? 'green' : 'blue');

/** Format of the routing table the front's Lua reads; bump on an incompatible change. */
export const ROUTING_TABLE_FORMAT = 1;

export type Traffic = Service['traffic'];

/** What one slot receives, in percent of the service's requests. */
export interface SlotLoad {
  /** Requests it serves (live share or ramp weight). */
  readonly served: number;
  /** Copies of live requests it receives (mirroring), responses discarded. */
  readonly mirrored: number;
  /** It is a target of a pin rule (an unknown share: testers, A/B groups). */
  readonly pinned: boolean;
  /** It takes every request when the other slot fails (failover). */
  readonly failoverTarget: boolean;
}

/** Each slot's load under a traffic plan. Pure arithmetic, rounded to two decimals. */
export function slotLoads(traffic: Traffic): Record<SlotName, SlotLoad> {
  const other = otherSlot(traffic.live);
  const round = (x: number) => Math.round(x * 100) / 100;
  const liveShare = round(100 - traffic.weight);
  const load = (slot: SlotName): SlotLoad => ({
    served: slot === traffic.live ? liveShare : traffic.weight,
    mirrored: slot === other ? round((traffic.mirror * liveShare) / 100) : 0,
    pinned: traffic.rules.some((r) => r.slot === slot),
    // a slot that serves requests fails over to the other one
    failoverTarget: traffic.failover && (slot === other ? liveShare > 0 : traffic.weight > 0),
  });
  return { blue: load('blue'), green: load('green') };
}

/**
 * Instances a slot needs to carry `percent` of the service's requests at the busiest time: the
 * same share of the highest minimum the service's autoscale keeps (its default or a schedule's),
 * rounded up. A live slot sized by autoscale carries 100 % at that minimum by definition.
 */
export function instancesFor(percent: number, busiestMinimum: number): number {
  return percent <= 0 ? 0 : Math.ceil((percent * busiestMinimum) / 100 - 1e-9);
}

/** The highest minimum the service's autoscale keeps at any time of the week. */
export function busiestMinimum(capacity: { min: number }, schedules: ReadonlyArray<{ min: number }>): number {
  return Math.max(capacity.min, ...schedules.map((s) => s.min));
}

/** One service's entry in the routing table: exactly what the front needs, nothing else. */
export interface RouteEntry {
  readonly live: SlotName;
  readonly weight: number;
  readonly affinity: Traffic['affinity'];
  readonly rules: ReadonlyArray<{ name: string; header?: { name: string; value: string }; cookie?: { name: string; value: string }; slot: SlotName }>;
  readonly failover: boolean;
  readonly mirror: number;
}

export interface RoutingTable {
  readonly format: typeof ROUTING_TABLE_FORMAT;
  readonly environment: string;
  /** Digest of the services' entries: equal tables have equal versions, so synth stays deterministic. */
  readonly version: string;
  readonly services: Readonly<Record<string, RouteEntry>>;
}

export function routeEntry(traffic: Traffic): RouteEntry {
  return {
    live: traffic.live,
    weight: traffic.weight,
    affinity: traffic.affinity,
    // header names are matched case-insensitively, as HTTP says; the front reads them lower-case
    rules: traffic.rules.map((r) => ({
      name: r.name,
      ...(r.header ? { header: { name: r.header.name.toLowerCase(), value: r.header.value } } : {}),
      ...(r.cookie ? { cookie: r.cookie } : {}),
      slot: r.slot,
    })),
    failover: traffic.failover,
    mirror: traffic.mirror,
  };
}

/**
 * The environment's routing table: the services callers reach through the front, sorted by name
 * so list order never shows.
 */
export function routingTable(env: Pick<Environment, 'name' | 'services'>): RoutingTable {
  const services: Record<string, RouteEntry> = {};
  const served = env.services.filter((svc) => svc.endpoints.input.from.includes('front'));
  for (const svc of served.sort((a, b) => a.name.localeCompare(b.name, 'en'))) services[svc.name] = routeEntry(svc.traffic);
  const version = createHash('sha256').update(JSON.stringify(services)).digest('hex').slice(0, 16);
  return { format: ROUTING_TABLE_FORMAT, environment: env.name, version, services };
}

/** The table as the front stack writes it: stable JSON, two-space indented, ending in a newline. */
export const routingTableJson = (table: RoutingTable): string => `${JSON.stringify(table, null, 2)}\n`;
