/**
 * Retiring services, pools and environments (docs/lifecycle.md). Pure: no cdktf.
 *
 * Removing an entry is two changes. First `retired: true`: the entry's stack stays in the synth
 * with no resources, so `cdktf deploy` destroys its scale sets, load balancers and autoscale, and
 * the front stops routing to it; the network keeps its subnet and NSG and the identities stack its
 * identities. Then, once that is deployed, the entry is removed: its subnet has no NICs left and
 * its stack holds nothing, so dropping it from the synth orphans nothing.
 *
 * Removed in one step, the stack would vanish from the synth with its scale sets in it: cdktf can
 * no longer destroy them (nothing names them), and the network stack, applied first, would try to
 * delete a subnet whose NICs still exist (Azure: InUseSubnetCannotBeDeleted).
 *
 * The synth's lock file (`<env>.lock.json`) is what it knows of earlier synths: every placement
 * with scale sets (`scaleSets`), the services on pools (`pooled`) and what is retired (`retired`).
 * An entry the lock records as running may not disappear; one it records as retired may.
 */
import type { SpecIssue } from './issues';

/** Where a placement or service is in the spec, and whether it is retired. */
export interface LifecycleEntry {
  /** 'service' (its own VMs), 'pooled' (a service on a pool) or 'pool'. */
  readonly kind: 'service' | 'pooled' | 'pool';
  /** The service's or pool's name. */
  readonly name: string;
  readonly retired: boolean;
  /** 'services[2]' or 'pools[0]'. */
  readonly specPath: string;
}

/** What the lock file adds for lifecycles (beside `scaleSets`, which fixed-settings writes). */
export interface LifecycleLock {
  /** Keys `<label>/<slot>` (label: the service's name or 'pool-<pool>') and 'front'. */
  readonly scaleSets?: Readonly<Record<string, unknown>>;
  /** Services on pools that are not retired (they have no scale sets of their own). */
  readonly pooled?: readonly string[];
  /** Labels of retired services and pools ('catalog', 'pool-batch'). */
  readonly retired?: readonly string[];
}

const labelOf = (e: LifecycleEntry) => (e.kind === 'pool' ? `pool-${e.name}` : e.name);

/** The labels the lock records as running and as retired. */
export function lockedEntries(lock: LifecycleLock | undefined): { running: Set<string>; retired: Set<string> } {
  const running = new Set<string>();
  for (const key of Object.keys(lock?.scaleSets ?? {})) if (key.includes('/')) running.add(key.slice(0, key.lastIndexOf('/')));
  for (const s of lock?.pooled ?? []) running.add(s);
  return { running, retired: new Set(lock?.retired ?? []) };
}

/**
 * Entries the lock records as running that the spec no longer has: each an issue saying the two
 * steps. Returns the lock's new `pooled` and `retired` lists (sorted; absent when empty).
 */
export function checkRemovals(
  entries: readonly LifecycleEntry[],
  lock: LifecycleLock | undefined,
  /** Another region's environment (docs/regions.md): its name, and the spec's services by name with their index. */
  region?: { readonly name: string; readonly services: ReadonlyMap<string, number> },
): { issues: SpecIssue[]; pooled?: string[]; retired?: string[] } {
  const { running, retired } = lockedEntries(lock);
  const present = new Set(entries.map(labelOf));
  const issues: SpecIssue[] = [];
  for (const label of [...running].sort()) {
    if (present.has(label) || retired.has(label)) continue;
    const pool = label.startsWith('pool-') && !(lock?.pooled ?? []).includes(label);
    const what = pool ? `pool '${label.slice('pool-'.length)}'` : `service '${label}'`;
    const index = region?.services.get(label);
    if (region && !pool && index !== undefined) {
      // the service is still in the spec: it left this region's list only
      issues.push({
        path: `services[${index}].regions`,
        code: 'invalid_value',
        message: `${what} no longer runs in ${region.name}, but that region's lock file records it as running there and never as retired: its stack there would leave the synth with its scale sets in it`,
        hint: `take it out of the region in two steps: 1. keep '${region.name}' in regions, add it to services[${index}].retiredIn and deploy (its stack there is emptied, no front routes to it there); 2. remove it from both lists in a later change`,
      });
      continue;
    }
    issues.push({
      path: pool ? 'pools' : 'services',
      code: 'invalid_value',
      message: `${what} is gone, but the lock file records it as running and never as retired: its stack would leave the synth with its scale sets in it (cdktf could no longer destroy them), and the network would try to delete a subnet their NICs still use`,
      hint: `retire it in two steps: 1. put the entry back with retired: true and deploy it (its stack is emptied, the front stops routing to it); 2. remove the entry in a later change`,
    });
  }
  // a service that moves onto a pool leaves its own stack: the same trap as a removal
  const own = new Set(Object.keys(lock?.scaleSets ?? {}).filter((k) => k.includes('/')).map((k) => k.slice(0, k.lastIndexOf('/'))));
  for (const e of entries) {
    if (e.kind !== 'pooled' || !own.has(e.name) || retired.has(e.name)) continue;
    issues.push({
      path: `${e.specPath}.pool`,
      code: 'invalid_value',
      message: `moves ${e.name} off its own scale sets, which the lock file records as running: its stack would leave the synth with them in it`,
      hint: `add the service on the pool under a new name, move its callers, then retire this entry (retired: true) and remove it in a later change`,
    });
  }
  const sorted = (xs: Iterable<string>) => {
    const out = [...new Set(xs)].sort();
    return out.length > 0 ? out : undefined;
  };
  return {
    issues,
    pooled: sorted(entries.filter((e) => e.kind === 'pooled' && !e.retired).map(labelOf)),
    retired: sorted(entries.filter((e) => e.retired).map(labelOf)),
  };
}

/**
 * An environment's lock file whose environment file is gone: its stacks would leave the synth with
 * their resources (the network, the identities, the front, the protected vault).
 */
export function orphanLockIssue(): SpecIssue {
  return {
    path: '(file)',
    code: 'invalid_value',
    message: "belongs to an environment whose file is gone: its stacks would leave the synth with their resources in them, and cdktf could no longer destroy them",
    hint: 'restore the environment file; to tear the environment down, retire every service and pool and deploy, then destroy its stacks as docs/lifecycle.md says, and delete this lock file last',
  };
}

/** Spec rules of retirement: a retired pool's services are retired too; a pool with only retired services is retired. */
export function checkRetirement(
  pools: ReadonlyArray<{ index: number; p: { name?: string; retired?: boolean } }>,
  services: ReadonlyArray<{ index: number; s: { name?: string; pool?: string; retired?: boolean } }>,
): Array<{ path: PropertyKey[]; issue: Omit<SpecIssue, 'path'> }> {
  const out: Array<{ path: PropertyKey[]; issue: Omit<SpecIssue, 'path'> }> = [];
  for (const { index, p } of pools) {
    if (p.name === undefined) continue;
    const on = services.filter(({ s }) => s.pool === p.name);
    if (p.retired) {
      for (const { index: i, s } of on) {
        if (s.retired) continue;
        out.push({
          path: ['services', i, 'retired'],
          issue: { code: 'invalid_value', message: `${s.name ?? 'this service'} runs on pool '${p.name}', which is retired: its VMs go`, hint: `retire the service too (retired: true), or move it off the pool first` },
        });
      }
    } else if (on.length > 0 && on.every(({ s }) => s.retired)) {
      out.push({
        path: ['pools', index, 'retired'],
        issue: { code: 'invalid_value', message: `every service on pool '${p.name}' is retired, so its VMs would run nothing`, hint: 'retire the pool too (retired: true), or keep a service on it' },
      });
    }
  }
  return out;
}
