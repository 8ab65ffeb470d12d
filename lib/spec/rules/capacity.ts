/**
 * Rules of the capacity concern: instance counts in order, upgrades that leave the peak load
 * covered and fit a scale set, autoscale Azure can express (thresholds, schedules, time zones,
 * profile limits), and vCPU quotas per VM family at the worst case.
 */
import { AUTOSCALE_LIMITS, overlappingSchedules } from '../../autoscale/plan';
import { minimumForHeadroom, peakInstances, slotPeak, upgradeHeadroom, vmSizeInfo, VMSS_LIMITS } from '../capacity';
import { MAX_BATCH_PERCENT_WITHOUT_SURGE } from '../constants';
import { show, type Path } from '../issues';
import { capacityIn, regionalPeak, regionShares } from '../regional';
import { SLOT_NAMES, type Capacity, type SlotName } from '../schema';
import { mapTimeZone, sameClockZones } from '../time-zones';
import { collect, isRecord, rawItem, under, type Add, type At, type Findings, type ServiceParts, type SpecView } from './view';

/** min <= default <= max, on whichever of the three are numbers as written (a bad one is reported by the schema). */
function checkCapacity(add: Add, path: Path, raw: unknown) {
  if (!isRecord(raw)) return;
  const n = (k: string) => (typeof raw[k] === 'number' && Number.isFinite(raw[k]) ? (raw[k] as number) : undefined);
  const [min, def, max] = [n('min'), n('default'), n('max')];
  const hint = 'min <= default <= max';
  if (min !== undefined && def !== undefined && min > def) add([...path, 'default'], { code: 'out_of_order', message: `${def} is below min ${min}`, value: def, hint });
  if (def !== undefined && max !== undefined && def > max) add([...path, 'default'], { code: 'out_of_order', message: `${def} is above max ${max}`, value: def, hint });
  if (min !== undefined && max !== undefined && min > max) add([...path, 'min'], { code: 'out_of_order', message: `${min} is above max ${max}`, value: min, hint });
}

/** capacity.min <= default <= max for the front, each pool and each service. */
export function validateCapacityOrder(view: SpecView): Findings {
  return collect((add) => {
    checkCapacity(add, ['front', 'capacity'], isRecord(view.raw.front) ? view.raw.front.capacity : undefined);
    for (const { index } of view.pools) checkCapacity(add, ['pools', index, 'capacity'], rawItem(view, 'pools', index)?.capacity);
    for (const { index } of view.services) {
      const raw = rawItem(view, 'services', index);
      checkCapacity(add, ['services', index, 'capacity'], raw?.capacity);
      if (isRecord(raw?.regionCapacity)) for (const [region, c] of Object.entries(raw.regionCapacity)) checkCapacity(add, ['services', index, 'regionCapacity', region], c);
    }
  });
}

/**
 * A region's part of a service's peak (docs/regions.md): the region serves `share` percent of the
 * service's requests, so its minimum must carry `peak` instances of the service's `wholePeak`.
 */
interface RegionalPeak {
  readonly region: string;
  readonly share: number;
  readonly wholePeak: number;
  readonly peak: number;
  /** Where the region's instance counts are written: `capacity` or `regionCapacity.<region>`. */
  readonly capacityAt: Path;
  /** Where its share is written (`traffic.regions.shares.<region>`); undefined when it is the default 100. */
  readonly shareAt?: Path;
  /** The first of the service's regions: checks of the service's own settings are reported once, there. */
  readonly first: boolean;
  /** Its counts are its own (`regionCapacity`), not `capacity`: checks of them are reported here too. */
  readonly own: boolean;
}

function checkCapacityProofs(add: Add, at: At, capacity: Capacity, upgrade: { maxBatchPercent: number; maxSurge: boolean; peakLoadInstances?: number }, regional?: RegionalPeak) {
  const field = (p: Path) => p.slice(2).join('.');
  if (regional !== undefined && regional.peak > capacity.min) {
    // the split: this region's share of the whole peak must be carried at its minimum
    add(regional.shareAt ?? (upgrade.peakLoadInstances !== undefined ? at('upgrade', 'peakLoadInstances') : [...regional.capacityAt, 'min']), {
      code: 'does_not_fit',
      message: `${regional.region} serves ${regional.share} % of the peak of ${regional.wholePeak} instances: ${regional.peak} at its minimum, above its ${field(regional.capacityAt)}.min ${capacity.min}`,
      value: regional.shareAt ? regional.share : regional.wholePeak,
      hint: `raise ${field(regional.capacityAt)}.min to ${regional.peak}, or move share to a region whose minimum carries it`,
    });
    return;
  }
  if (regional === undefined && upgrade.peakLoadInstances !== undefined && upgrade.peakLoadInstances > capacity.min) {
    add(at('upgrade', 'peakLoadInstances'), {
      code: 'does_not_fit',
      message: `${upgrade.peakLoadInstances} instances of peak load exceed capacity.min ${capacity.min}`,
      value: upgrade.peakLoadInstances,
      hint: 'the minimum must carry the peak; raise capacity.min',
    });
    return;
  }
  const where = regional !== undefined ? ` in ${regional.region}` : '';
  const fail = upgradeHeadroom(capacity.min, regional !== undefined ? { ...upgrade, peakLoadInstances: regional.peak } : upgrade);
  if (fail) {
    add(at('upgrade', 'maxBatchPercent'), {
      code: 'does_not_fit',
      message: `at ${fail.instances} instances${where} a batch of ${fail.batch} leaves ${fail.remaining}, below the peak load of ${fail.peak} instances${regional !== undefined ? ` (its ${regional.share} % of ${regional.wholePeak})` : ''}`,
      value: upgrade.maxBatchPercent,
      hint: `set upgrade.maxSurge: true, or raise ${regional !== undefined ? field(regional.capacityAt) : 'capacity'}.min to ${minimumForHeadroom(fail.peak, upgrade.maxBatchPercent)}`,
    });
  } else if (!upgrade.maxSurge && upgrade.maxBatchPercent > MAX_BATCH_PERCENT_WITHOUT_SURGE && (regional === undefined || regional.first)) {
    // the policy pack (ASE-VM-004) refuses the scale set such a batch makes; say so at the field
    add(at('upgrade', 'maxBatchPercent'), {
      code: 'too_big',
      message: `${upgrade.maxBatchPercent}% batches without surge take more than a third of the instances down at once; the policy pack (ASE-VM-004) allows at most ${MAX_BATCH_PERCENT_WITHOUT_SURGE}% without surge`,
      value: upgrade.maxBatchPercent,
      hint: `set upgrade.maxSurge: true, or maxBatchPercent: ${MAX_BATCH_PERCENT_WITHOUT_SURGE} or less`,
    });
  }
  const peak = peakInstances(capacity, upgrade);
  if (peak > VMSS_LIMITS.instancesPerScaleSet && (regional === undefined || regional.first || regional.own)) {
    add(regional !== undefined ? [...regional.capacityAt, 'max'] : at('capacity', 'max'), {
      code: 'does_not_fit',
      message: `${capacity.max} instances plus surge reach ${peak}; a scale set holds ${VMSS_LIMITS.instancesPerScaleSet}`,
      value: capacity.max,
    });
  }
}

/**
 * A service served in several regions: each region's part of its peak, at its capacity there.
 * Undefined for a service in one region (or whose regions cannot be read), which the single-region
 * proofs cover.
 */
function regionalPeaks(view: SpecView, index: number, s: ServiceParts): Array<RegionalPeak & { capacity: Capacity }> | undefined {
  const { env } = view;
  if (env.region === undefined || !s.capacity || !s.upgrade || !s.regions) return undefined;
  const regionEnv = { region: env.region, otherRegions: env.otherRegions ?? [] };
  const shares = regionShares(regionEnv, { regions: s.regions, traffic: s.traffic });
  const served = Object.keys(shares);
  if (served.length < 2) return undefined;
  const first = capacityIn(regionEnv, s, served[0]);
  const wholePeak = s.upgrade.peakLoadInstances ?? Math.max(1, (first?.min ?? 2) - 1);
  const out: Array<RegionalPeak & { capacity: Capacity }> = [];
  for (const region of served) {
    const capacity = capacityIn(regionEnv, s, region);
    if (!capacity) continue;
    const own = region !== env.region && Object.prototype.hasOwnProperty.call(s.regionCapacity ?? {}, region);
    out.push({
      region,
      share: shares[region],
      wholePeak,
      peak: regionalPeak(wholePeak, shares[region]),
      capacity,
      capacityAt: own ? ['services', index, 'regionCapacity', region] : ['services', index, 'capacity'],
      first: region === served[0],
      own,
      ...(s.traffic?.regions ? { shareAt: ['services', index, 'traffic', 'regions', 'shares', region] } : {}),
    });
  }
  return out;
}

/** Upgrades: a batch leaves the peak load covered (or surges), and max plus surge fits one scale set. */
export function validateUpgradeHeadroom(view: SpecView): Findings {
  return collect((add) => {
    for (const { index, p } of view.pools) if (p.capacity && p.upgrade) checkCapacityProofs(add, under('pools', index), p.capacity, p.upgrade);
    for (const { index, s } of view.services) {
      if (!s.capacity || !s.upgrade) continue;
      const regional = regionalPeaks(view, index, s);
      if (regional === undefined) checkCapacityProofs(add, under('services', index), s.capacity, s.upgrade);
      // in several regions: each region's minimum carries its share of the whole peak
      else for (const r of regional) checkCapacityProofs(add, under('services', index), r.capacity, s.upgrade, r);
    }
    const { front } = view;
    if (front.capacity && front.upgrade) checkCapacityProofs(add, under('front'), front.capacity, front.upgrade);
  });
}

/** Autoscale: thresholds in order, schedules Azure can express (time zone, no overlap, profile limit). */
function checkAutoscale(add: Add, warn: Add, at: At, s: Pick<ServiceParts, 'autoscale' | 'capacity'>) {
  const as = s.autoscale;
  if (!as) return;
  if (as.customMetric) checkQueueMetric(warn, at, as.customMetric);
  if (as.cpu.scaleInBelowPercent >= as.cpu.scaleOutAbovePercent) {
    add(at('autoscale', 'cpu', 'scaleInBelowPercent'), {
      code: 'out_of_order',
      message: `${as.cpu.scaleInBelowPercent} is not below scaleOutAbovePercent ${as.cpu.scaleOutAbovePercent}`,
      value: as.cpu.scaleInBelowPercent,
      hint: 'leave a gap, or autoscale flaps between out and in',
    });
  }
  if (as.customMetric && as.customMetric.scaleInBelow >= as.customMetric.scaleOutAbove) {
    add(at('autoscale', 'customMetric', 'scaleInBelow'), {
      code: 'out_of_order',
      message: `${as.customMetric.scaleInBelow} is not below scaleOutAbove ${as.customMetric.scaleOutAbove}`,
      value: as.customMetric.scaleInBelow,
      hint: 'leave a gap, or autoscale flaps between out and in',
    });
  }
  const maxProfiles = Math.floor((AUTOSCALE_LIMITS.profiles - 1) / 2);
  if (as.schedules.length > maxProfiles) {
    add(at('autoscale', 'schedules'), {
      code: 'too_big',
      message: `${as.schedules.length} schedules need ${1 + 2 * as.schedules.length} autoscale profiles; Azure allows ${AUTOSCALE_LIMITS.profiles} (${maxProfiles} schedules)`,
      hint: 'each window needs a start profile and a return to normal',
    });
  }
  const names = new Set<string>();
  as.schedules.forEach((sch, i) => {
    const p = at('autoscale', 'schedules', i);
    if (names.has(sch.name)) add([...p, 'name'], { code: 'duplicate', message: `${show(sch.name)} names another schedule too`, value: sch.name });
    names.add(sch.name);
    const tz = mapTimeZone(sch.timeZone);
    if (!tz.ok && tz.windows.length === 0) {
      add([...p, 'timeZone'], { code: 'invalid_value', message: `${show(sch.timeZone)} is not an IANA time zone Azure can map`, value: sch.timeZone, hint: "use a name like 'Europe/Amsterdam' or 'UTC'" });
    } else if (!tz.ok) {
      const same = sameClockZones(sch.timeZone);
      add([...p, 'timeZone'], {
        code: 'invalid_value',
        message: `${show(sch.timeZone)} maps to the Windows time zone ${tz.windows.map((w) => `'${w}'`).join(', ')}, which azurerm's autoscale setting does not accept`,
        value: sch.timeZone,
        hint: same.length > 0 ? `a zone Azure accepts with the same clock in 2026: ${same.map((z) => `'${z}'`).join(', ')}` : "write the window in a zone Azure accepts, e.g. 'UTC', shifting start and end",
      });
    }
    if (sch.timeZone !== as.schedules[0].timeZone) {
      add([...p, 'timeZone'], { code: 'invalid_value', message: `${show(sch.timeZone)} differs from schedules[0]'s ${show(as.schedules[0].timeZone)}`, value: sch.timeZone, hint: "one service's windows share one time zone" });
    }
    if (sch.start === sch.end) add([...p, 'end'], { code: 'invalid_value', message: `equals start ${sch.start}: an empty window`, value: sch.end });
    const max = sch.max ?? s.capacity?.max;
    if (max !== undefined && sch.min > max) add([...p, 'min'], { code: 'out_of_order', message: `${sch.min} is above the window's max ${max}`, value: sch.min });
    if (sch.max !== undefined && s.capacity && sch.max > s.capacity.max) {
      add([...p, 'max'], { code: 'does_not_fit', message: `${sch.max} is above capacity.max ${s.capacity.max}, which sizes the subnet`, value: sch.max });
    }
  });
  for (const [i, j] of overlappingSchedules(as.schedules)) {
    add(at('autoscale', 'schedules', j), {
      code: 'overlap',
      message: `${show(as.schedules[j].name)} overlaps or touches ${show(as.schedules[i].name)} (schedules[${i}])`,
      hint: 'merge them, or leave a gap: two windows starting and ending at one minute leave Azure to pick one',
    });
  }
}

/** Each pool's and service's autoscale. */
export function validateAutoscale(view: SpecView): Findings {
  return collect((add, warn) => {
    for (const { index, p } of view.pools) checkAutoscale(add, warn, under('pools', index), p);
    for (const { index, s } of view.services) checkAutoscale(add, warn, under('services', index), s);
  });
}

/** Service Bus's message-count metrics, which have the `EntityName` dimension (one per queue or topic). */
const SERVICE_BUS_COUNT_METRICS = ['ActiveMessages', 'Messages', 'DeadletteredMessages', 'ScheduledMessages'];

/**
 * Queue-depth metrics that do not measure what they seem to (docs/workers.md): a Service Bus
 * namespace's message counts without `EntityName` add up every queue and topic of the namespace;
 * a storage account's `QueueMessageCount` has no per-queue dimension and is emitted hourly.
 */
function checkQueueMetric(warn: Add, at: At, m: { namespace?: string; name: string; dimensions?: Record<string, readonly string[]> }) {
  const ns = m.namespace?.toLowerCase();
  const dimension = (name: string) => Object.keys(m.dimensions ?? {}).some((d) => d.toLowerCase() === name.toLowerCase());
  if (ns === 'microsoft.servicebus/namespaces' && SERVICE_BUS_COUNT_METRICS.some((n) => n.toLowerCase() === m.name.toLowerCase()) && !dimension('EntityName')) {
    warn(at('autoscale', 'customMetric', 'dimensions'), {
      code: 'missing',
      message: `${show(m.name)} on a Service Bus namespace counts the messages of every queue and topic in it, so another entity's backlog scales this service`,
      hint: "select the queue: dimensions: { EntityName: ['<queue>'] }",
    });
  }
  if (ns === 'microsoft.storage/storageaccounts/queueservices' && m.name.toLowerCase() === 'queuemessagecount') {
    warn(at('autoscale', 'customMetric', 'name'), {
      code: 'invalid_value',
      message: `'QueueMessageCount' counts every queue of the storage account (it has no dimensions) and Azure emits it hourly (time grain PT1H), so autoscale sees a backlog up to an hour late`,
      hint: 'scale on CPU, or move the queue to Service Bus (per-queue counts every minute)',
    });
  }
}

/**
 * vCPU quotas per family and region: the worst case is both slots of every service at max plus
 * surge. Each region is checked on its own (`quotas` for the first, `otherRegions[i].quotas` for
 * another), against what runs there: the services whose `regions` name it, pools (first region
 * only) and its front. A family a region's quotas do not list is a warning: quota is the
 * subscription's, and may be watched elsewhere.
 */
export function validateQuotas(view: SpecView): Findings {
  return collect((add, warn) => {
    const { env, front } = view;
    const first = env.region;
    const regions: Array<{ name: string | undefined; quotas: Record<string, number> | undefined; at: Path; first: boolean }> = [
      { name: first, quotas: env.quotas, at: ['quotas'], first: true },
      ...(env.otherRegions ?? []).map((r, i) => ({ name: r.name, quotas: r.quotas, at: ['otherRegions', i, 'quotas'] as Path, first: false })),
    ];
    for (const region of regions) {
      if (!region.quotas || Object.keys(region.quotas).length === 0) continue;
      const quotas = region.quotas;
      const where = region.first ? '' : ` in ${region.name}`;
      const demand = new Map<string, { vcpus: number; parts: string[]; paths: Path[] }>();
      const count = (what: string, size: string | undefined, instances: number, path: Path) => {
        const info = size === undefined ? undefined : vmSizeInfo(size);
        if (!info) return; // an unknown size is reported by validateVmSizes
        const d = demand.get(info.family) ?? { vcpus: 0, parts: [], paths: [] };
        d.vcpus += instances * info.vcpus;
        if (d.parts.length < 8) d.parts.push(`${what} ${instances} × ${info.vcpus}`);
        else if (d.parts.length === 8) d.parts.push('…');
        d.paths.push(path);
        demand.set(info.family, d);
      };
      for (const { index, s } of view.services) {
        // a service runs in its regions (the first region when it names none), at its capacity in each (`regionCapacity`)
        const runsHere = region.first ? !s.regions || s.regions.includes(first!) : (s.regions ?? []).includes(region.name!);
        // a retired one still counts: its VMs may run while the retirement deploys (docs/lifecycle.md)
        if (!runsHere) continue;
        // a parked slot holds its parked count; a warm one may reach max plus a surge batch
        const capacity = region.first || first === undefined ? s.capacity : capacityIn({ region: first }, s, region.name!);
        const instances = (slot: SlotName) => slotPeak(capacity!, s.upgrade!, s.slots?.[slot].parked);
        if (capacity && s.upgrade) count(s.name ?? `services[${index}]`, s.vmSize, instances('blue') + instances('green'), ['services', index, 'vmSize']);
      }
      if (region.first) {
        for (const { index, p } of view.pools) {
          if (p.capacity && p.upgrade) count(`pool ${p.name ?? index}`, p.vmSize, SLOT_NAMES.length * peakInstances(p.capacity, p.upgrade), ['pools', index, 'vmSize']);
        }
      }
      // every region has its own front, with the same settings
      if (front.capacity && front.upgrade) count('front', front.vmSize, peakInstances(front.capacity, front.upgrade), ['front', 'vmSize']);
      for (const [family, d] of [...demand].sort()) {
        const quota = Object.prototype.hasOwnProperty.call(quotas, family) ? quotas[family] : undefined;
        if (quota === undefined) {
          for (const path of d.paths) {
            warn(path, {
              code: 'missing',
              message: `${region.first ? 'quotas' : `otherRegions (${region.name}) quotas`} lists no ${family}: ${d.vcpus} vCPUs at peak${where} (${d.parts.join(' + ')}) are not checked against a quota`,
              hint: `add ${[...region.at].join('.').replace(/\.(\d+)\./, '[$1].')}.${family} (az vm list-usage --location ${region.name ?? '<region>'})`,
            });
          }
        }
        if (quota !== undefined && d.vcpus > quota) {
          add([...region.at, family], {
            code: 'does_not_fit',
            message: `${d.vcpus} vCPUs at peak${where} (${d.parts.join(' + ')}) exceed the quota of ${quota}`,
            value: quota,
            hint: 'request more quota, or lower capacity.max; the peak counts both slots at max plus one upgrade surge',
          });
        }
      }
    }
  });
}

/**
 * Losing a region (docs/regions.md): with `traffic.regions.failover` on, the regions left take
 * its share, so at their max together they must carry the whole peak. Failing over more than they
 * can run would overload them too (the front sheds nothing), so it is an error at the max of the
 * region that would carry it; with failover off a lost region's share fails, and the review says so.
 */
export function validateRegionLoss(view: SpecView): Findings {
  return collect((add) => {
    for (const { index, s } of view.services) {
      if (!s.capacity || !s.upgrade || s.traffic?.regions?.failover === false) continue;
      const regional = regionalPeaks(view, index, s);
      if (regional === undefined) continue;
      for (const lost of regional) {
        if (lost.share === 0) continue;
        const left = regional.filter((r) => r !== lost);
        const max = left.reduce((n, r) => n + r.capacity.max, 0);
        if (max >= lost.wholePeak) continue;
        const field = (p: Path) => p.slice(2).join('.');
        const carrier = left.length === 1 ? left[0].region : `the regions left (${left.map((r) => r.region).join(', ')})`;
        const fields = left.map((r) => `${field(r.capacityAt)}.max`).filter((f, i, all) => all.indexOf(f) === i);
        add([...left[0].capacityAt, 'max'], {
          code: 'does_not_fit',
          message: `losing ${lost.region} fails its ${lost.share} % over to ${carrier}: the whole peak of ${lost.wholePeak} instances, above ${fields.join(' + ')} ${max}`,
          value: left[0].capacity.max,
          hint: `raise ${fields.join(' or ')} to carry ${lost.wholePeak}, or set traffic.regions.failover: false (a lost region's share then fails)`,
        });
      }
    }
  });
}
