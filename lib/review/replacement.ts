/**
 * Whether a change replaces a resource, from the force-new table of the azurerm version the
 * bindings are for (lib/runtime/provider.ts: 4.55's table on cdktf, 4.73's on CDK Terrain; the
 * tables are generated data, scripts/force-new-from-docs.ts).
 */
import { CANNOT_UPDATE, FORCE_NEW } from '../runtime/provider';

const tables = new Map(Object.entries(FORCE_NEW).map(([t, paths]) => [t, new Set(paths)]));

/** The dotted path and each enclosing block's, list indexes (numbers or digit strings) left out. */
function prefixes(path: readonly (string | number)[]): string[] {
  const keys = path.filter((k): k is string => typeof k === 'string' && !/^\d+$/.test(k));
  return keys.map((_, i) => keys.slice(0, i + 1).join('.'));
}

/**
 * Whether changing the attribute at `path` (as found diffing cdk.tf.json:
 * `['rolling_upgrade_policy', 0, 'max_batch_instance_percent']` or without the index) replaces a
 * resource of `type`: the attribute or a block enclosing it is in FORCE_NEW. False for types not
 * in the table.
 */
export function forcesReplacement(type: string, path: readonly (string | number)[]): boolean {
  const table = tables.get(type);
  return table !== undefined && prefixes(path).some((p) => table.has(p));
}

/** Why the docs say a change at `path` cannot be made in place (from CANNOT_UPDATE), or undefined. */
export function cannotUpdate(type: string, path: readonly (string | number)[]): string | undefined {
  const table = CANNOT_UPDATE[type];
  if (table === undefined) return undefined;
  for (const p of prefixes(path)) if (p in table) return table[p];
  return undefined;
}
