/**
 * Capacity proofs at synth (pure): upgrade headroom, scale-set limits and vCPU quotas. Each
 * failure is an issue naming the service and field, with the numbers.
 */
import { instancesWithSurge } from './ip-plan';
import type { Capacity } from './schema';
import { VM_SIZES } from './vm-sizes';

/** Azure's scale-set limits (instances per scale set; per placement group when single). */
export const VMSS_LIMITS = { instancesPerScaleSet: 1000, instancesPerPlacementGroup: 100 } as const;

/** Instances a rolling batch takes down: the percentage of the count, at least one. */
export const batchSize = (instances: number, maxBatchPercent: number): number => Math.max(1, Math.floor((instances * maxBatchPercent) / 100));

export interface HeadroomFailure {
  readonly instances: number;
  readonly batch: number;
  readonly remaining: number;
  readonly peak: number;
}

/**
 * Without surge, while one batch is down at the minimum in force, the rest must carry the peak.
 * With surge the batch's replacements start first, so capacity never drops.
 */
export function upgradeHeadroom(minimum: number, upgrade: { maxBatchPercent: number; maxSurge: boolean; peakLoadInstances?: number }): HeadroomFailure | undefined {
  if (upgrade.maxSurge) return undefined;
  const batch = batchSize(minimum, upgrade.maxBatchPercent);
  const peak = upgrade.peakLoadInstances ?? minimum - 1;
  const remaining = minimum - batch;
  return remaining >= peak ? undefined : { instances: minimum, batch, remaining, peak };
}

/** The smallest minimum whose remaining instances carry `peak` with one batch down. */
export function minimumForHeadroom(peak: number, maxBatchPercent: number): number {
  let n = peak + 1;
  while (n - batchSize(n, maxBatchPercent) < peak) n++;
  return n;
}

/**
 * The quota family and vCPUs of a VM size, from the table of known sizes (`vm-sizes.ts`):
 * Standard_D4s_v5 → standardDSv5Family, 4 vCPUs. Undefined for a size the table does not know.
 */
export function vmSizeInfo(size: string): { family: string; vcpus: number } | undefined {
  return Object.prototype.hasOwnProperty.call(VM_SIZES, size) ? VM_SIZES[size] : undefined;
}

/** Instances one slot can run at once: max plus a surge batch. */
export const peakInstances = (capacity: Capacity, upgrade: { maxBatchPercent: number; maxSurge: boolean }): number =>
  upgrade.maxSurge ? instancesWithSurge(capacity, upgrade.maxBatchPercent) : capacity.max;

/**
 * Instances one slot can run at peak: when warm, max plus a surge batch; when parked, its parked
 * count plus the surge batch a rolling upgrade of it adds (a release to the parked idle slot).
 */
export const slotPeak = (capacity: Capacity, upgrade: { maxBatchPercent: number; maxSurge: boolean }, parked?: { readonly instances: number }): number =>
  parked ? parked.instances + (upgrade.maxSurge ? Math.ceil((parked.instances * upgrade.maxBatchPercent) / 100) : 0) : peakInstances(capacity, upgrade);
