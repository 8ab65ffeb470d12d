/**
 * The synth driver: validate every environment first, then build and write all stacks.
 *
 * A bad spec prints every problem with its path and writes nothing. A good one is synthesized
 * into a staging folder beside the output and swapped in only when complete, so `cdktf.out` is
 * never half-written, whatever fails.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { App } from 'cdktf';
import { formatIssue, type SpecIssue } from '../lib/spec/issues';
import type { LoadedSpec } from '../lib/spec/load';
import { planEnvironment } from '../lib/spec/plan';
import { validateEnvironment } from '../lib/spec/validate';
import type { Environment } from '../lib/spec/schema';
import { buildEnvironment } from './environment';

export interface SynthResult {
  readonly ok: boolean;
  /** Per file, the problems found (only files with problems). */
  readonly problems: ReadonlyArray<{ readonly file: string; readonly issues: readonly SpecIssue[] }>;
  /** Stack names written, in order. */
  readonly stacks: readonly string[];
}

/** Validates all specs; returns the environments, or every problem of every file. */
export function validateAll(specs: readonly LoadedSpec[]): { environments: Environment[]; problems: SynthResult['problems'] } {
  const environments: Environment[] = [];
  const problems: Array<{ file: string; issues: SpecIssue[] }> = [];
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
          environments.push(r.environment);
        }
      } else issues.push(...r.issues);
    }
    if (issues.length > 0) problems.push({ file: loaded.file, issues });
  }
  return { environments, problems };
}

export function synthesize(specs: readonly LoadedSpec[], outdir: string): SynthResult {
  const { environments, problems } = validateAll(specs);
  if (problems.length > 0) return { ok: false, problems, stacks: [] };

  const staging = `${outdir}.staging-${process.pid}`;
  const previous = `${outdir}.previous-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const app = new App({ outdir: staging });
    const stacks: string[] = [];
    for (const env of environments) {
      const built = buildEnvironment(app, planEnvironment(env));
      if (built.state) stacks.push(built.state.stackName);
      stacks.push(built.network.stackName, ...Object.values(built.services).map((s) => s.stackName), built.front.stackName);
    }
    app.synth();
    if (existsSync(outdir)) renameSync(outdir, previous);
    renameSync(staging, outdir);
    rmSync(previous, { recursive: true, force: true });
    return { ok: true, problems: [], stacks };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export function formatProblems(problems: SynthResult['problems'], folder: string): string {
  const lines: string[] = [];
  for (const p of problems) {
    lines.push(`${folder}/${p.file}: ${p.issues.length} problem${p.issues.length === 1 ? '' : 's'}`);
    for (const i of p.issues) lines.push(`  ${formatIssue(i)}`);
  }
  return lines.join('\n');
}
