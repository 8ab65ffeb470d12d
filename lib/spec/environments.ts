/**
 * Several environment files at once (pure, no cdktf): validate them all, refusing two files that
 * declare one environment name, and print the problems grouped by file. The synth and the
 * commands (`ase front`) share these.
 */
import { formatIssue, type SpecIssue } from './issues';
import type { LoadedSpec } from './load';
import { locate } from './locate';
import type { Environment } from './schema';
import { validateEnvironment } from './validate';

/** Per file, the problems found (only files with problems). */
export type FileProblems = ReadonlyArray<{
  /** The file, relative to its folder. */
  readonly file: string;
  /** Its problems. */
  readonly issues: readonly SpecIssue[];
  /** The file's text, to print each problem's line and column. @default - none */
  readonly text?: string;
  /** The spec as loaded, to name the service or pool at a path. @default - none */
  readonly spec?: unknown;
}>;

/** A validated environment and the file it came from. */
export type EnvironmentFromFile = Environment & {
  /** The file, relative to its folder. @default - none (not loaded from a file) */
  readonly file?: string;
};

/**
 * Validates every loaded spec; returns the valid environments and every problem of every file
 * (load errors, validation issues, and a name already used by an earlier file). Never throws.
 */
export function validateAll(specs: readonly LoadedSpec[]): {
  /** The valid environments, in the order given. */
  environments: EnvironmentFromFile[];
  /** Every problem of every file. */
  problems: FileProblems;
  /** What valid files should print though nothing is wrong (only files with warnings). */
  warnings: FileProblems;
} {
  const environments: EnvironmentFromFile[] = [];
  const problems: Array<{ file: string; issues: SpecIssue[]; text?: string; spec?: unknown }> = [];
  const warnings: Array<{ file: string; issues: readonly SpecIssue[] }> = [];
  const byName = new Map<string, string>();
  for (const loaded of specs) {
    const issues: SpecIssue[] = [...loaded.issues];
    if (loaded.spec !== undefined) {
      const r = validateEnvironment(loaded.spec);
      if (r.ok) {
        const prev = byName.get(r.environment.name);
        if (prev) issues.push({ path: 'name', code: 'duplicate', message: `'${r.environment.name}' is also the environment in ${prev}`, value: r.environment.name });
        else {
          byName.set(r.environment.name, loaded.file);
          environments.push({ ...r.environment, file: loaded.file });
          if (r.warnings.length > 0) warnings.push({ file: loaded.file, issues: r.warnings });
        }
      } else issues.push(...r.issues);
    }
    if (issues.length > 0) problems.push({ file: loaded.file, issues, ...(loaded.text !== undefined ? { text: loaded.text } : {}), ...(loaded.spec !== undefined ? { spec: loaded.spec } : {}) });
  }
  return { environments, problems, warnings };
}

/**
 * `services[2].capacity.max` → `services[2] (catalog).capacity.max`: the name of the service or
 * pool an index stands for, when the spec gives one.
 */
export function namedPath(path: string, spec: unknown): string {
  const m = /^(services|pools)\[(\d+)\]/.exec(path);
  if (!m || typeof spec !== 'object' || spec === null) return path;
  const list = (spec as Record<string, unknown>)[m[1]];
  const entry = Array.isArray(list) ? (list[Number(m[2])] as unknown) : undefined;
  const name = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).name : undefined;
  return typeof name === 'string' && /^[a-z0-9-]{1,40}$/.test(name) ? `${m[0]} (${name})${path.slice(m[0].length)}` : path;
}

/**
 * The problems as printed: `<folder>/<file>: N problems`, then one indented line per issue,
 * each starting with `<folder>/<file>:<line>:<column>:` where the value can be found in the
 * file (lib/spec/locate.ts), and naming the service or pool at an index.
 */
export function formatProblems(problems: FileProblems, folder: string): string {
  const lines: string[] = [];
  for (const p of problems) {
    lines.push(`${folder}/${p.file}: ${p.issues.length} problem${p.issues.length === 1 ? '' : 's'}`);
    for (const i of p.issues) {
      const at = p.text !== undefined && !i.path.startsWith('(') ? locate(p.text, p.file, i.path) : undefined;
      const shown = formatIssue({ ...i, path: namedPath(i.path, p.spec) });
      lines.push(`  ${at ? `${folder}/${p.file}:${at.line}:${at.column}: ` : ''}${shown}`);
    }
  }
  return lines.join('\n');
}
