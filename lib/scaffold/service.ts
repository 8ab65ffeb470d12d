/**
 * A new service entry with safe defaults (pure): the next block after every block in use, a small
 * VM size whose vCPU family the environment's quotas cover, two instances minimum, both slots warm
 * on one release, blue live, reachable from the front only.
 */
import { vmSizeInfo } from '../spec/capacity';
import type { EndpointSource, EnvironmentSpec } from '../spec/schema';

/** Fewest instances: one zone or fault domain can fail (the schema's and the policy pack's floor). */
export const DEFAULT_MIN = 2;
/** Room to scale out threefold before anyone has measured the service. */
export const DEFAULT_MAX = 6;

/**
 * Two-vCPU sizes, most general first. All support trusted launch and encryption at host (which
 * every scale set gets); the first one whose family the environment's quotas cover is chosen.
 */
export const SMALL_VM_SIZES = ['Standard_D2s_v5', 'Standard_D2as_v5', 'Standard_D2ds_v5', 'Standard_E2s_v5', 'Standard_F2s_v2', 'Standard_D2s_v4', 'Standard_D2s_v3'] as const;

export interface ServiceOptions {
  readonly name: string;
  /** The release both slots run. */
  readonly version: string;
  /** Where the release is; with `sha256`. @default - derived from the environment's artifactStore */
  readonly artifactUrl?: string;
  readonly sha256?: string;
  /** A gallery image version that holds the release instead of an artifact. */
  readonly galleryImage?: string;
  readonly vmSize?: string;
  readonly min?: number;
  readonly max?: number;
  readonly instancesPerVm?: number;
  readonly block?: number;
  readonly from?: readonly EndpointSource[];
}

/** The first block after every service and pool block (never a gap: a removed service's block may still hold resources). */
export function nextBlock(spec: EnvironmentSpec): number {
  const used = [...(spec.services ?? []), ...(spec.pools ?? [])].map((s) => s.block).filter((b): b is number => typeof b === 'number');
  return used.length === 0 ? 1 : Math.max(...used) + 1;
}

/**
 * VM sizes to try, in order. An environment that declares quotas gets only sizes of a family it
 * has a quota for (a family it never declared is one it may have no quota in); one without
 * quotas gets the first, general-purpose size.
 */
export function vmSizeCandidates(spec: EnvironmentSpec): string[] {
  const quotas = spec.quotas ?? {};
  if (Object.keys(quotas).length === 0) return [SMALL_VM_SIZES[0]];
  return SMALL_VM_SIZES.filter((s) => quotas[vmSizeInfo(s)!.family] !== undefined);
}

/** The artifact URL convention of the example: https://<store>.blob.core.windows.net/releases/<service>/<version>.tar.gz */
export function defaultArtifactUrl(spec: EnvironmentSpec, service: string, version: string): string | undefined {
  const account = spec.artifactStore?.storageAccountId.split('/').pop()?.toLowerCase();
  return account ? `https://${account}.blob.core.windows.net/releases/${service}/${version}.tar.gz` : undefined;
}

/** The entry, fields in the order the example writes them. `vmSize` is the candidate to try. */
export function serviceEntry(spec: EnvironmentSpec, o: ServiceOptions, vmSize: string): Record<string, unknown> {
  const min = o.min ?? DEFAULT_MIN;
  const max = o.max ?? Math.max(DEFAULT_MAX, min);
  const artifactUrl = o.artifactUrl ?? defaultArtifactUrl(spec, o.name, o.version);
  const slot = o.galleryImage ? { version: o.version } : { version: o.version, artifact: { url: artifactUrl, sha256: o.sha256 } };
  return {
    name: o.name,
    block: o.block ?? nextBlock(spec),
    vmSize,
    capacity: { min, default: min, max },
    ...(o.instancesPerVm !== undefined && o.instancesPerVm !== 1 ? { instancesPerVm: o.instancesPerVm } : {}),
    ...(o.galleryImage ? { image: { galleryImageVersionId: o.galleryImage } } : {}),
    slots: { blue: slot, green: structuredClone(slot) },
    traffic: { live: 'blue' },
    endpoints: { input: { from: [...(o.from ?? ['front'])] } },
  };
}
