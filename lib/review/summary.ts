/**
 * What a reviewer needs beside the Terraform: per environment, where each service's traffic goes,
 * what each slot and placement can run, the vCPUs at peak per quota family, the upgrade headroom,
 * and the policy findings the synth let through (warnings, suppressions). Pure: computed from the
 * validated plan; the synth writes it as `cdktf.out/review/<env>.json` beside the stacks, and the
 * review command compares two of them.
 */
import { batchSize, peakInstances, slotPeak, vmSizeInfo } from '../spec/capacity';
import type { EnvironmentPlan } from '../spec/plan';
import { SLOT_NAMES, type Service, type SlotName } from '../spec/schema';
import { capacityIn, regionShares, servedRegions } from '../spec/regional';
import { busiestMinimum, guardEntry, routeEntry, type RouteEntry } from '../slots/traffic';
import type { Finding } from '../policy/policy';

/** Bump on an incompatible change; the review refuses a summary whose format it does not know. */
export const SUMMARY_FORMAT = 1;

/** Where the synth writes an environment's summary, relative to the output folder. */
export const SUMMARY_DIR = 'review';
export const summaryPath = (env: string) => `${SUMMARY_DIR}/${env}.json`;

export interface SlotSummary {
  readonly version: string;
  /** Fixed count when parked; absent when autoscaled like the placement. */
  readonly parked?: number;
  /** The OS patch label of the slot's VMs (the placement's: a pool's slot is shared); absent when none is set. */
  readonly osPatch?: string;
}

export interface ServiceSummary {
  /** The placement (and stack part) the service runs on: 'svc-<name>' or 'pool-<name>'. */
  readonly placement: string;
  /** Callers reach it through the front (it is in the routing table). */
  readonly viaFront: boolean;
  readonly traffic: RouteEntry;
  readonly slots: Readonly<Record<SlotName, SlotSummary>>;
  /** Retired: the front no longer routes to it and its VMs are gone (docs/lifecycle.md). */
  readonly retired?: true;
  /**
   * A service in several regions, in the first region's summary only (the plan is the
   * environment's, not one region's): the share of every front's requests each region serves,
   * whether regions fail over to each other, and the instances each region's minimum runs against
   * the peak load. @default - one region
   */
  readonly regions?: RegionsSummary;
}

/** A service's plan across regions (docs/regions.md). */
export interface RegionsSummary {
  /** Percent of the requests reaching any region's front served by each region (adding up to 100). */
  readonly shares: Readonly<Record<string, number>>;
  /** Regions fail over to each other when one has no healthy slot. */
  readonly failover: boolean;
  /** Each region's instance counts per slot (`capacity`, or `regionCapacity` there). */
  readonly capacity: Readonly<Record<string, { readonly min: number; readonly max: number }>>;
  /** The whole service's instances' worth of load at peak (upgrade.peakLoadInstances, else the first region's capacity.min − 1). */
  readonly peakLoad: number;
}

export interface PlacementSummary {
  readonly stack: string;
  readonly vmSize: string;
  /** Quota family and vCPUs per VM; absent for a size outside Azure's naming convention. */
  readonly family?: string;
  readonly vcpus?: number;
  readonly capacity: { readonly min: number; readonly default: number; readonly max: number };
  /** The highest minimum autoscale keeps at any hour (schedules included). */
  readonly busiestMinimum: number;
  readonly upgrade: { readonly maxBatchPercent: number; readonly maxSurge: boolean; readonly peakLoadInstances?: number };
  /**
   * A rolling upgrade at the autoscale minimum: instances taken down per batch, and the fewest
   * serving while it runs (the minimum itself with surge, else the minimum less a batch).
   */
  readonly rollout: { readonly batch: number; readonly servingDuringBatch: number; readonly peakLoad: number };
  /** Instances per slot at peak: max plus a surge batch, or the parked count. */
  readonly peakPerSlot: Readonly<Record<SlotName, number>>;
  readonly services: readonly string[];
  /** Retired: its stack holds no resources until the entry is removed. */
  readonly retired?: true;
}

export interface EnvironmentSummary {
  readonly format: typeof SUMMARY_FORMAT;
  readonly environment: string;
  readonly stacks: readonly string[];
  readonly services: Readonly<Record<string, ServiceSummary>>;
  readonly placements: Readonly<Record<string, PlacementSummary>>;
  /** vCPUs at peak (both slots at max plus surge, parked slots at their count) per family. */
  readonly quotas: Readonly<Record<string, { readonly peakVcpus: number; readonly quota?: number }>>;
  /** Findings the synth let through: warnings and suppressed errors, with the reasons. */
  readonly policy: readonly Finding[];
}

/** A service's plan across regions, for the summary of the first region serving it; nothing for a service in one region. */
function regionsOf(plan: EnvironmentPlan, s: Service): { regions?: RegionsSummary } {
  // a retired region serves nothing: what losing one region means is about the others
  const runs = servedRegions(plan.env, s);
  // a pooled service runs in the first region only (rules/regions.ts), so it has its own capacity here
  // written once, in the summary of the first region that serves it
  if (runs.length < 2 || !s.capacity || (plan.regions !== undefined && plan.regions.self.name !== runs[0])) return {};
  const counts = (r: string) => {
    const c = capacityIn(plan.env, s, r)!;
    return { min: c.min, max: c.max };
  };
  return {
    regions: {
      shares: regionShares(plan.env, s),
      failover: s.traffic.regions?.failover ?? true,
      capacity: Object.fromEntries(runs.map((r) => [r, counts(r)])),
      peakLoad: s.upgrade.peakLoadInstances ?? Math.max(1, counts(runs[0]).min - 1),
    },
  };
}

const sortedRecord = <T>(entries: Array<[string, T]>): Record<string, T> => Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b, 'en')));

export function environmentSummary(plan: EnvironmentPlan, stacks: readonly string[], findings: readonly Finding[]): EnvironmentSummary {
  const env = plan.env;
  const placementOfService = new Map(plan.placements.flatMap((p) => p.services.map((s) => [s.name, p] as const)));
  const services = sortedRecord(
    env.services.map((s): [string, ServiceSummary] => [
      s.name,
      {
        placement: placementOfService.get(s.name)!.part,
        viaFront: s.endpoints.input.from.includes('front') && !s.retired,
        // with the guard as the front reads it (its settings and each slot's version)
        traffic: ((g) => ({ ...routeEntry(s.traffic), ...(g ? { guard: g } : {}) }))(guardEntry(s)),
        slots: Object.fromEntries(
          SLOT_NAMES.map((slot) => {
            const osPatch = placementOfService.get(s.name)!.osPatch[slot];
            return [slot, { version: s.slots[slot].version, ...(s.slots[slot].parked ? { parked: s.slots[slot].parked!.instances } : {}), ...(osPatch !== undefined ? { osPatch } : {}) }];
          }),
        ) as Record<SlotName, SlotSummary>,
        ...(s.retired ? { retired: true as const } : {}),
        ...regionsOf(plan, s),
      },
    ]),
  );

  const demand = new Map<string, number>();
  const count = (vmSize: string, instances: number) => {
    const info = vmSizeInfo(vmSize);
    if (info) demand.set(info.family, (demand.get(info.family) ?? 0) + instances * info.vcpus);
  };
  const placements = sortedRecord(
    plan.placements.map((p): [string, PlacementSummary] => {
      const info = vmSizeInfo(p.vmSize);
      const min = p.capacity.min;
      const batch = batchSize(min, p.upgrade.maxBatchPercent);
      // a pool keeps both slots warm; a service's parked slot holds its count
      const parkedOf = (slot: SlotName) => (p.kind === 'service' ? p.services[0].slots[slot].parked : undefined);
      // a retired placement runs no VMs
      const peakPerSlot = Object.fromEntries(SLOT_NAMES.map((slot) => [slot, p.retired ? 0 : slotPeak(p.capacity, p.upgrade, parkedOf(slot))])) as Record<SlotName, number>;
      for (const slot of SLOT_NAMES) count(p.vmSize, peakPerSlot[slot]);
      return [
        p.part,
        {
          stack: `${env.name}-${p.part}`,
          vmSize: p.vmSize,
          ...(info ? { family: info.family, vcpus: info.vcpus } : {}),
          capacity: { min, default: p.capacity.default, max: p.capacity.max },
          busiestMinimum: busiestMinimum(p.capacity, p.autoscale.schedules),
          upgrade: { maxBatchPercent: p.upgrade.maxBatchPercent, maxSurge: p.upgrade.maxSurge, ...(p.upgrade.peakLoadInstances !== undefined ? { peakLoadInstances: p.upgrade.peakLoadInstances } : {}) },
          rollout: { batch, servingDuringBatch: p.upgrade.maxSurge ? min : min - batch, peakLoad: p.upgrade.peakLoadInstances ?? min - 1 },
          peakPerSlot,
          services: p.services.map((s) => s.name),
          ...(p.retired ? { retired: true as const } : {}),
        },
      ];
    }),
  );
  count(env.front.vmSize, peakInstances(env.front.capacity, env.front.upgrade));
  const families = new Set([...demand.keys(), ...Object.keys(env.quotas ?? {})]);
  const quotas = sortedRecord(
    [...families].map((f): [string, { peakVcpus: number; quota?: number }] => [f, { peakVcpus: demand.get(f) ?? 0, ...(env.quotas?.[f] !== undefined ? { quota: env.quotas[f] } : {}) }]),
  );
  const policy = findings.filter((f) => f.severity === 'warning' || f.suppressed !== undefined);
  return { format: SUMMARY_FORMAT, environment: env.name, stacks: [...stacks], services, placements, quotas, policy };
}
