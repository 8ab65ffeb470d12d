/**
 * Blocks in the lock file (pure). A service's or pool's `block` fixes its subnet, its load-balancer
 * frontend IPs and its default ports: changing it moves or replaces every resource it has, and
 * Azure refuses a new subnet over addresses an old one still holds. The synth records each name's
 * block in `<env>.lock.json` and refuses:
 * - a recorded name with another block (also a name removed and added again: the lock keeps a
 *   removed name's block, since its resources may still exist);
 * - a block recorded for another name (a removed service's block reused while its resources may
 *   still exist).
 * The way out is a new name (a new service beside the old one), or, once the old resources are
 * destroyed, deleting the old name's line from the lock file in the same pull request.
 */
import type { SpecIssue } from './issues';

/** What the lock file records: block per service name and per pool name, in name order. */
export interface BlockLock {
  readonly services: Readonly<Record<string, number>>;
  readonly pools: Readonly<Record<string, number>>;
}

/** One service or pool of the spec. */
export interface BlockOwner {
  readonly kind: 'services' | 'pools';
  readonly index: number;
  readonly name: string;
  readonly block: number;
}

const KINDS = ['services', 'pools'] as const;
const one = (kind: BlockOwner['kind']) => (kind === 'services' ? 'service' : 'pool');

/** Whether a parsed lock's `blocks` has the shape this file writes. */
export function isBlockLock(v: unknown): v is BlockLock {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return KINDS.every((k) => {
    const m = (v as Record<string, unknown>)[k];
    return typeof m === 'object' && m !== null && !Array.isArray(m) && Object.values(m).every((b) => Number.isInteger(b));
  });
}

/** Each owner's block against the lock; returns the issues and the lock to write (removed names kept). */
export function checkBlocks(owners: readonly BlockOwner[], lock: BlockLock | undefined, lockFile: string): { issues: SpecIssue[]; next: BlockLock } {
  const issues: SpecIssue[] = [];
  const recorded = lock ?? { services: {}, pools: {} };
  const has = (kind: BlockOwner['kind'], name: string) => Object.prototype.hasOwnProperty.call(recorded[kind], name);
  // which name the lock gives each block
  const ownerOf = new Map<number, { kind: BlockOwner['kind']; name: string }>();
  for (const kind of KINDS) for (const [name, block] of Object.entries(recorded[kind])) ownerOf.set(block, { kind, name });
  const current = new Set(owners.map((o) => `${o.kind}/${o.name}`));
  for (const o of owners) {
    const path = `${o.kind}[${o.index}].block`;
    if (has(o.kind, o.name)) {
      const before = recorded[o.kind][o.name];
      if (before !== o.block) {
        issues.push({
          path,
          code: 'invalid_value',
          message: `changes ${one(o.kind)} ${o.name}'s block from ${before} to ${o.block}; the block fixes its subnet, load-balancer frontend IPs and ports, so every one of its resources would move (${lockFile} records ${before})`,
          value: o.block,
          hint: `keep block ${before}. To move it, add it under a new name with block ${o.block}, move traffic, then remove the old one; its entry stays in ${lockFile} until you delete that line once its resources are destroyed`,
        });
      }
      continue;
    }
    const other = ownerOf.get(o.block);
    if (other && !(other.kind === o.kind && other.name === o.name) && !current.has(`${other.kind}/${other.name}`)) {
      issues.push({
        path,
        code: 'invalid_value',
        message: `block ${o.block} is recorded for ${one(other.kind)} ${other.name} in ${lockFile}, which the spec no longer has: its subnet and frontend IPs may still exist`,
        value: o.block,
        hint: `take a block no service or pool has used; or, once ${other.name}'s resources are destroyed, delete its line from ${lockFile} in this change`,
      });
    }
  }
  const next = { services: { ...recorded.services }, pools: { ...recorded.pools } } as Record<BlockOwner['kind'], Record<string, number>>;
  if (issues.length === 0) for (const o of owners) next[o.kind][o.name] = o.block;
  const sorted = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { issues, next: { services: sorted(next.services), pools: sorted(next.pools) } };
}
