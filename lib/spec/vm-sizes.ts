/**
 * Azure VM sizes this library knows, each with its vCPU count and the quota family Azure counts it
 * in (the `name.value` that `az vm list-usage` prints, e.g. `standardDSv5Family`).
 *
 * Data, not a naming rule: a size that looks right but does not exist (`Standard_E4s_v9`) is
 * refused at synth with the closest known size suggested. The families are the x64 general
 * purpose (D), memory optimised (E), compute optimised (Fsv2) and burstable (B) families whose
 * sizes and quota family names are listed in Azure's VM size documentation ("Sizes for virtual
 * machines in Azure", each series' page) and match `az vm list-skus` output. Confined sizes
 * (`Standard_E8-4s_v5`), isolated sizes and ARM64 sizes are left out: the default image is x64.
 * To add a size, add it to its family below (one line per family).
 */

import { distance } from 'fastest-levenshtein';

/** One VM size: its vCPUs and its quota family. */
export interface VmSize {
  readonly vcpus: number;
  readonly family: string;
}

/** [quota family, size name with {n} for the vCPU count, vCPU counts]. */
const FAMILIES: ReadonlyArray<readonly [string, string, readonly number[]]> = [
  // D-series v3 and v4 (general purpose)
  ['standardDv3Family', 'Standard_D{n}_v3', [2, 4, 8, 16, 32, 48, 64]],
  ['standardDSv3Family', 'Standard_D{n}s_v3', [2, 4, 8, 16, 32, 48, 64]],
  ['standardDv4Family', 'Standard_D{n}_v4', [2, 4, 8, 16, 32, 48, 64]],
  ['standardDSv4Family', 'Standard_D{n}s_v4', [2, 4, 8, 16, 32, 48, 64]],
  ['standardDDv4Family', 'Standard_D{n}d_v4', [2, 4, 8, 16, 32, 48, 64]],
  ['standardDDSv4Family', 'Standard_D{n}ds_v4', [2, 4, 8, 16, 32, 48, 64]],
  // D-series v5: Intel, AMD (a), low memory (l), local disk (d)
  ['standardDv5Family', 'Standard_D{n}_v5', [2, 4, 8, 16, 32, 48, 64, 96]],
  ['standardDSv5Family', 'Standard_D{n}s_v5', [2, 4, 8, 16, 32, 48, 64, 96]],
  ['standardDDv5Family', 'Standard_D{n}d_v5', [2, 4, 8, 16, 32, 48, 64, 96]],
  ['standardDDSv5Family', 'Standard_D{n}ds_v5', [2, 4, 8, 16, 32, 48, 64, 96]],
  ['standardDASv5Family', 'Standard_D{n}as_v5', [2, 4, 8, 16, 32, 48, 64, 96]],
  ['standardDADSv5Family', 'Standard_D{n}ads_v5', [2, 4, 8, 16, 32, 48, 64, 96]],
  ['standardDLSv5Family', 'Standard_D{n}ls_v5', [2, 4, 8, 16, 32, 48, 64, 96]],
  ['standardDLDSv5Family', 'Standard_D{n}lds_v5', [2, 4, 8, 16, 32, 48, 64, 96]],
  // E-series v3, v4, v5 (memory optimised)
  ['standardEv3Family', 'Standard_E{n}_v3', [2, 4, 8, 16, 20, 32, 48, 64]],
  ['standardESv3Family', 'Standard_E{n}s_v3', [2, 4, 8, 16, 20, 32, 48, 64]],
  ['standardESv4Family', 'Standard_E{n}s_v4', [2, 4, 8, 16, 20, 32, 48, 64]],
  ['standardEDSv4Family', 'Standard_E{n}ds_v4', [2, 4, 8, 16, 20, 32, 48, 64]],
  ['standardEv5Family', 'Standard_E{n}_v5', [2, 4, 8, 16, 20, 32, 48, 64, 96]],
  ['standardESv5Family', 'Standard_E{n}s_v5', [2, 4, 8, 16, 20, 32, 48, 64, 96]],
  ['standardEDv5Family', 'Standard_E{n}d_v5', [2, 4, 8, 16, 20, 32, 48, 64, 96]],
  ['standardEDSv5Family', 'Standard_E{n}ds_v5', [2, 4, 8, 16, 20, 32, 48, 64, 96]],
  ['standardEASv5Family', 'Standard_E{n}as_v5', [2, 4, 8, 16, 20, 32, 48, 64, 96]],
  ['standardEADSv5Family', 'Standard_E{n}ads_v5', [2, 4, 8, 16, 20, 32, 48, 64, 96]],
  // F-series v2 (compute optimised)
  ['standardFSv2Family', 'Standard_F{n}s_v2', [2, 4, 8, 16, 32, 48, 64, 72]],
];

/** Burstable B-series v1: names do not follow the {n} pattern (B1ls, B2ms, …); one quota family. */
const B_SERIES: ReadonlyArray<readonly [string, number]> = [
  ['Standard_B1ls', 1],
  ['Standard_B1s', 1],
  ['Standard_B1ms', 1],
  ['Standard_B2s', 2],
  ['Standard_B2ms', 2],
  ['Standard_B4ms', 4],
  ['Standard_B8ms', 8],
  ['Standard_B12ms', 12],
  ['Standard_B16ms', 16],
  ['Standard_B20ms', 20],
];

/** Every known size, by its exact name. */
export const VM_SIZES: Readonly<Record<string, VmSize>> = Object.freeze(
  Object.fromEntries([
    ...FAMILIES.flatMap(([family, pattern, counts]) => counts.map((n) => [pattern.replace('{n}', String(n)), { vcpus: n, family }] as const)),
    ...B_SERIES.map(([size, vcpus]) => [size, { vcpus, family: 'standardBSFamily' }] as const),
  ]),
);

/** The known size names, sorted. */
export const VM_SIZE_NAMES: readonly string[] = Object.keys(VM_SIZES).sort();

/** Every quota family a known size counts in, sorted. */
export const QUOTA_FAMILIES: readonly string[] = [...new Set(Object.values(VM_SIZES).map((s) => s.family))].sort();

/**
 * "did you mean" for an unknown size: a case-insensitive match, else the known sizes nearest by
 * edit distance (at most 3 edits), the newest generation first, then the fewest vCPUs; up to three.
 */
export function suggestVmSizes(given: string): string[] {
  const lower = given.toLowerCase();
  const exact = VM_SIZE_NAMES.find((n) => n.toLowerCase() === lower);
  if (exact) return [exact];
  const version = (n: string) => Number(/_v(\d+)$/.exec(n)?.[1] ?? 1);
  const scored = VM_SIZE_NAMES.map((n) => ({ n, d: distance(lower, n.toLowerCase()) })).filter((x) => x.d <= 3);
  const best = Math.min(...scored.map((x) => x.d));
  return scored
    .filter((x) => x.d === best)
    .map((x) => x.n)
    .sort((a, b) => version(b) - version(a) || VM_SIZES[a].vcpus - VM_SIZES[b].vcpus || (a < b ? -1 : 1))
    .slice(0, 3);
}
