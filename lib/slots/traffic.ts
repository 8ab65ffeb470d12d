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
  /** The slot that takes every request not sent elsewhere. */
  readonly live: SlotName;
  /** Percent (two decimals) of unpinned requests sent to the other slot. */
  readonly weight: number;
  /** How a client keeps its slot during a ramp. */
  readonly affinity: Traffic['affinity'];
  /** Pin rules, first match wins. */
  readonly rules: readonly RouteRule[];
  /** Serve from the other slot when every backend of the chosen one fails. */
  readonly failover: boolean;
  /** Percent of the live slot's requests copied to the other slot. */
  readonly mirror: number;
  /**
   * A service in several regions: the share of this front's requests each other region serves
   * (every other region the service runs in, 0 included: the front fails over only to a region it
   * names), and whether it fails over to them. @default - all served here
   */
  readonly regions?: RegionShares;
  /** The front's guard of a ramp and a swap (docs/guard.md). @default - none */
  readonly guard?: RouteGuard;
}

/** A service's guard as the front reads it: the spec's settings, and each slot's version. */
export interface RouteGuard {
  /** Percentage points of errors the judged slot may have above the good one. */
  readonly errorRateMargin: number;
  /** How many times the good slot's mean request time the judged one may take. */
  readonly latencyRatio: number;
  /** The least difference of mean request times that trips, in milliseconds. */
  readonly latencyMarginMs: number;
  /** Requests the judged slot must serve in the window before it is judged. */
  readonly minRequests: number;
  /** The window, in seconds (a multiple of 5). */
  readonly windowSeconds: number;
  /** What a trip does. */
  readonly action: 'rollback' | 'hold';
  /** How long after a swap the new live slot is judged, in seconds. */
  readonly bakeSeconds: number;
  /** Raised to judge the same version again after a trip. */
  readonly attempt: number;
  /** Each slot's version (a release tag): a trip belongs to the version it judged. */
  readonly releases: Readonly<Record<SlotName, string>>;
}

/** A service's guard entry, or undefined when its traffic has none. */
export function guardEntry(svc: Pick<Service, 'traffic' | 'slots'>): RouteGuard | undefined {
  const g = svc.traffic.guard;
  if (!g) return undefined;
  return {
    errorRateMargin: g.errorRateMargin,
    latencyRatio: g.latencyRatio,
    latencyMarginMs: g.latencyMarginMs,
    minRequests: g.minRequests,
    windowSeconds: g.windowSeconds,
    action: g.action,
    bakeSeconds: g.bakeMinutes * 60,
    attempt: g.attempt,
    releases: { blue: svc.slots.blue.version, green: svc.slots.green.version },
  };
}

/** A service's shares between regions, as one front reads them. */
export interface RegionShares {
  /** Percent (two decimals) of this front's requests each other region serves. */
  readonly shares: Readonly<Record<string, number>>;
  /** Whether this front sends the service's requests to another region when its own slots are down. */
  readonly failover: boolean;
}

/** This front's region and the environment's first region, for the entries of services in several regions. */
export interface TableRegion {
  /** This front's region. */
  readonly self: string;
  /** The environment's first region (`region`): where a service without `regions` runs. */
  readonly first: string;
  /** Retired regions (`otherRegions[].retired`): no front forwards to them. @default - none */
  readonly retired?: readonly string[];
}

/** A service's `regions` entry as the front in `region.self` reads it; undefined for a service in one region. */
export function regionEntry(svc: Pick<Service, 'regions' | 'retiredIn' | 'traffic'>, region: TableRegion): RouteEntry['regions'] {
  // a retired region, or one the service is retired in, serves it no more: no front forwards there
  const runs = (svc.regions ?? [region.first]).filter((r) => !(region.retired ?? []).includes(r) && !(svc.retiredIn ?? []).includes(r));
  if (runs.length < 2) return undefined;
  // by default every request is served by the first of its regions
  const planned = svc.traffic.regions?.shares ?? { [runs[0]]: 100 };
  const others = runs.filter((r) => r !== region.self).sort();
  return { shares: Object.fromEntries(others.map((r) => [r, planned[r] ?? 0])), failover: svc.traffic.regions?.failover ?? true };
}

/** A rule that pins matching requests to a slot. */
export interface RouteRule {
  /** The rule's name (in the access log: `reason=rule:<name>`). */
  name: string;
  /** Match a request header (name lower-case). @default - no header match */
  header?: {
    /** The header's name. */
    name: string;
    /** The exact value. */
    value: string;
  };
  /** Match a cookie. @default - no cookie match */
  cookie?: {
    /** The cookie's name. */
    name: string;
    /** The exact value. */
    value: string;
  };
  /** The slot matching requests go to. */
  slot: SlotName;
}

/** What the front applies at run time: per service where its requests go. */
export interface RoutingTable {
  /** The table's format version. */
  readonly format: typeof ROUTING_TABLE_FORMAT;
  /** The environment's name. */
  readonly environment: string;
  /** Digest of the services' entries: equal tables have equal versions, so synth stays deterministic. */
  readonly version: string;
  /** Per service name, its entry. */
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
export function routingTable(env: Pick<Environment, 'name' | 'services'>, region?: TableRegion): RoutingTable {
  const services: Record<string, RouteEntry> = {};
  // a retired service leaves the front at once (docs/lifecycle.md)
  const served = env.services.filter((svc) => svc.endpoints.input.from.includes('front') && !svc.retired);
  for (const svc of served.sort((a, b) => a.name.localeCompare(b.name, 'en'))) {
    const regions = region ? regionEntry(svc, region) : undefined;
    const guard = guardEntry(svc);
    services[svc.name] = { ...routeEntry(svc.traffic), ...(regions ? { regions } : {}), ...(guard ? { guard } : {}) };
  }
  const version = createHash('sha256').update(JSON.stringify(services)).digest('hex').slice(0, 16);
  return { format: ROUTING_TABLE_FORMAT, environment: env.name, version, services };
}

/** The table as the front stack writes it: stable JSON, two-space indented, ending in a newline. */
export const routingTableJson = (table: RoutingTable): string => `${JSON.stringify(table, null, 2)}\n`;
