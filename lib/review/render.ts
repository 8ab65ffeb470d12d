/**
 * Markdown pieces both review modes write: the blockers callout, a collapsed section, a short
 * list of attributes, and one resource's attribute changes (a table, then documents as line diffs).
 */
import { code } from './values';

/** A change the review blocks on, unless `--allow` names it. */
export interface Blocker {
  /** `<stack>:<address>` (compare mode) or the Terraform address (plan mode). */
  readonly resource: string;
  readonly reason: string;
  /** Where Azure or the provider says so, for Azure's apply-time rules. */
  readonly source?: string;
  /** Named by `--allow`: reported, not blocking. */
  readonly allowed: boolean;
  /** The GitHub logins that allowed it, sorted (empty when allowed without a name, or not allowed). */
  readonly allowedBy?: readonly string[];
}

/**
 * One accepted blocker: the resource (`<stack>:<address>` or a bare address) and who accepted it
 * (a GitHub login, without '@'; absent for a local run that names no one).
 */
export interface Allowance {
  readonly resource: string;
  readonly by?: string;
}

/**
 * Looks blockers up in the allowances: `allowed` when any allowance names one of `names` (the
 * `<stack>:<address>` form or the bare address), `allowedBy` every login that did, sorted.
 */
export function allowanceLookup(allow: readonly (string | Allowance)[] = []): (...names: string[]) => { allowed: boolean; allowedBy: string[] } {
  const byResource = new Map<string, Set<string>>();
  for (const a of allow) {
    const { resource, by } = typeof a === 'string' ? { resource: a, by: undefined } : a;
    const set = byResource.get(resource) ?? new Set<string>();
    if (by !== undefined) set.add(by);
    byResource.set(resource, set);
  }
  return (...names) => {
    const hits = names.filter((n) => byResource.has(n));
    return { allowed: hits.length > 0, allowedBy: [...new Set(hits.flatMap((n) => [...byResource.get(n)!]))].sort() };
  };
}

/** A review: the comment, the blockers, and the exit code CI gates on. */
export interface ReviewResult {
  readonly markdown: string;
  readonly blockers: readonly Blocker[];
  /** 0: nothing blocking; 1: a blocker no `--allow` names. */
  readonly exitCode: 0 | 1;
}

export const details = (summary: string, body: string) => `<details><summary>${summary}</summary>\n\n${body.trim()}\n\n</details>\n`;

export const escapeCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The callout at the top: what blocks, what `--allow` accepted. `what` is what such changes do,
 * with a plural verb ('lose state').
 */
export function blockersText(blockers: readonly Blocker[], what: string, allowArg: string): string {
  const open = blockers.filter((b) => !b.allowed).length;
  const head =
    open > 0
      ? [
          `> [!CAUTION]\n> **Blocking**: ${open === 1 ? `1 change ${what.replace(/^lose /, 'loses ')}` : `${open} changes ${what}`}. Re-run with \`--allow ${allowArg}\` for each one you accept.`,
          `> In a pull request, a reviewer with write access who is not its author accepts one by approving it with a line \`/allow ${allowArg}\` in the review.`,
        ].join('\n>\n')
      : `> [!WARNING]\n> Allowed with \`--allow\`: changes that ${what}.`;
  const status = (b: Blocker) => (!b.allowed ? '**blocking**' : b.allowedBy && b.allowedBy.length > 0 ? `allowed by ${b.allowedBy.map((u) => `@${u}`).join(', ')}` : 'allowed');
  return [head, '', ...blockers.map((b) => `- ${status(b)}: ${code(b.resource)} ${b.reason}`), ''].join('\n');
}

/** At most `max` items, then how many more. */
export const shortList = (items: readonly string[], max = 6) => (items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', '));

/** One attribute change, already rendered: cells for the table, or a line diff of its document. */
export interface AttributeRow {
  readonly path: string;
  readonly before: string;
  readonly after: string;
  /** The last column: forces replacement, ignored, cannot be updated. */
  readonly note: string;
  /** A unified diff of the decoded document, shown instead of a table row. */
  readonly diff?: string;
}

/** A resource's attribute changes: the plain ones as a table, documents as `diff` blocks. */
export function attributeBody(rows: readonly AttributeRow[]): string {
  const table = rows.filter((r) => r.diff === undefined).map((r) => `| ${code(r.path)} | ${r.before} | ${r.after} | ${r.note} |`);
  const docs = rows
    .filter((r) => r.diff !== undefined)
    .flatMap((r) => [`${code(r.path)}${r.note ? ` (${r.note.replace(/\*\*/g, '')})` : ''}, line diff:`, '', '```diff', r.diff!, '```', '']);
  return [...(table.length > 0 ? ['| Attribute | Before | After | |', '|---|---|---|---|', ...table, ''] : []), ...docs].join('\n');
}
