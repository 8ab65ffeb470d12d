/**
 * The synth driver: validate every environment first, then build and write all stacks.
 *
 * A bad spec prints every problem with its path and writes nothing. A good one is synthesized
 * into a staging folder beside the output and swapped in only when complete, so `cdktf.out` is
 * never half-written, whatever fails.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFixedSettings, LOCK_NOTE, type SettingsLock } from '../lib/compute/fixed-settings';
import { App } from 'cdktf';
import { formatIssue, type SpecIssue } from '../lib/spec/issues';
import { lockFileOf, type LoadedSpec } from '../lib/spec/load';
import { planEnvironment } from '../lib/spec/plan';
import { validateEnvironment } from '../lib/spec/validate';
import { checkStacks, formatFinding } from '../lib/policy/policy';
import { ruleById } from '../lib/policy/rules';
import { environmentSummary, summaryPath } from '../lib/review/summary';
import type { Environment } from '../lib/spec/schema';
import { buildEnvironment } from '../lib/environment/build';

export interface SynthResult {
  readonly ok: boolean;
  /** Per file, the problems found (only files with problems). */
  readonly problems: ReadonlyArray<{ readonly file: string; readonly issues: readonly SpecIssue[] }>;
  /** Stack names written, in order. */
  readonly stacks: readonly string[];
  /** What a reviewer should see though nothing is wrong (printed; never fails the synth). */
  readonly warnings?: ReadonlyArray<{ readonly file: string; readonly path: string; readonly message: string }>;
}

export interface SynthOptions {
  /**
   * Where each environment's lock file (creation-time settings of its scale sets) lives; the
   * synth refuses changes that would replace a recorded scale set and records new ones.
   * @default - no lock files (tests, or a library user's own app)
   */
  readonly lockDir?: string;
  /** Fail instead of writing when a lock file would change (CI). @default false */
  readonly frozenLock?: boolean;
  /** The repository: imported certificate files must lie outside it. @default - not checked */
  readonly projectRoot?: string;
}

/** Validates all specs; returns the environments, or every problem of every file. */
export function validateAll(specs: readonly LoadedSpec[]): { environments: Array<Environment & { readonly file?: string }>; problems: SynthResult['problems'] } {
  const environments: Array<Environment & { file?: string }> = [];
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
          environments.push({ ...r.environment, file: loaded.file });
        }
      } else issues.push(...r.issues);
    }
    if (issues.length > 0) problems.push({ file: loaded.file, issues });
  }
  return { environments, problems };
}

export function synthesize(specs: readonly LoadedSpec[], outdir: string, options: SynthOptions = {}): SynthResult {
  const { environments, problems } = validateAll(specs);
  if (problems.length > 0) return { ok: false, problems, stacks: [] };

  // imported certificates come from outside the repository, so their bytes can never be committed
  if (options.projectRoot) {
    const root = `${options.projectRoot.replace(/\/+$/, '')}/`;
    const outside: Array<{ file: string; issues: SpecIssue[] }> = [];
    for (const env of environments) {
      const issues: SpecIssue[] = [];
      (env.keyVault?.certificates ?? []).forEach((c, i) => {
        if (c.importFrom && (c.importFrom.path + '/').startsWith(root)) {
          issues.push({ path: `keyVault.certificates[${i}].importFrom.path`, code: 'invalid_value', message: `${c.importFrom.path} is inside the repository`, value: c.importFrom.path, hint: 'keep certificate files outside the repository (e.g. a CI secret file)' });
        }
      });
      if (issues.length > 0) outside.push({ file: env.file ?? env.name, issues });
    }
    if (outside.length > 0) return { ok: false, problems: outside, stacks: [] };
  }

  const plans = environments.map((env) => ({ env, plan: planEnvironment(env) }));

  // creation-time settings against each environment's lock file
  const locksToWrite: Array<{ path: string; text: string }> = [];
  const lockProblems: Array<{ file: string; issues: SpecIssue[] }> = [];
  for (const { env, plan } of options.lockDir ? plans : []) {
    const file = lockFileOf(env.file ?? env.name);
    const path = join(options.lockDir!, file);
    const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    let lock: SettingsLock | undefined;
    try {
      lock = before === undefined ? undefined : (JSON.parse(before) as SettingsLock);
      if (lock && (lock.version !== 1 || typeof lock.scaleSets !== 'object')) throw new Error('not a version 1 lock');
    } catch (e) {
      lockProblems.push({ file, issues: [{ path: '(file)', code: 'invalid_format', message: `cannot be read: ${(e as Error).message}`, hint: 'restore it from git' }] });
      continue;
    }
    const items = [
      ...plan.placements.map((p) => ({ name: p.label, specPath: p.specPath, orchestration: p.orchestration, upgrade: p.upgrade, allowReplacement: p.allowReplacement })),
      { name: 'front', specPath: 'front', orchestration: 'Uniform' as const, upgrade: env.front.upgrade, allowReplacement: env.front.allowReplacement, single: true },
    ];
    const { issues, next } = checkFixedSettings(items, plan.zones, lock, env.keyVault);
    if (issues.length > 0) {
      lockProblems.push({ file: env.file ?? env.name, issues: issues.map((i) => ({ ...i, code: 'invalid_value' as const })) });
      continue;
    }
    const text = `${JSON.stringify({ note: LOCK_NOTE, ...next }, null, 2)}\n`;
    if (text === before) continue;
    if (options.frozenLock) {
      lockProblems.push({ file, issues: [{ path: '(file)', code: 'invalid_value', message: 'is out of date (--frozen-lock)', hint: 'run npm run synth and commit the lock file' }] });
    } else locksToWrite.push({ path, text });
  }
  if (lockProblems.length > 0) return { ok: false, problems: lockProblems, stacks: [] };

  const staging = `${outdir}.staging-${process.pid}`;
  const previous = `${outdir}.previous-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const app = new App({ outdir: staging });
    const stacks: string[] = [];
    const stacksOf = new Map<string, string[]>();
    for (const { plan } of plans) {
      const built = buildEnvironment(app, plan);
      const mine = [
        ...(built.state ? [built.state.stackName] : []),
        built.network.stackName,
        ...(built.vault ? [built.vault.stackName] : []),
        built.identities.stackName,
        ...Object.values(built.compute).map((s) => s.stackName),
        built.front.stackName,
      ];
      stacksOf.set(plan.env.name, mine);
      stacks.push(...mine);
    }
    app.synth();
    // the policy pack over what was written: an unsuppressed error fails the synth, nothing is swapped in
    const findings = plans.flatMap(({ env }) => {
      const mine = Object.fromEntries(
        readdirSync(join(staging, 'stacks'))
          .filter((s) => s.startsWith(`${env.name}-`))
          .map((s) => [s, readFileSync(join(staging, 'stacks', s, 'cdk.tf.json'), 'utf8')]),
      );
      const found = checkStacks(mine, { requiredTags: env.requiredTags, suppressions: env.policy.suppressions });
      const unused = env.policy.suppressions.filter((s) => !found.some((f) => f.rule === s.rule && f.resource === s.resource));
      return [
        ...found.map((f) => ({ env: env.name, file: env.file ?? env.name, f })),
        ...unused.map((s) => ({ env: env.name, file: env.file ?? env.name, f: { rule: s.rule, severity: 'warning' as const, resource: s.resource, message: `the suppression matches no finding (reason given: ${s.reason}); remove it` } })),
      ];
    });
    const blocking = findings.filter(({ f }) => f.severity === 'error' && f.suppressed === undefined);
    if (blocking.length > 0) {
      const byFile = new Map<string, SpecIssue[]>();
      for (const { file, f } of blocking) {
        const rule = ruleById(f.rule)!;
        byFile.set(file, [...(byFile.get(file) ?? []), { path: f.resource, code: 'policy', message: `${f.rule} ${f.message}: ${rule.title}`, hint: rule.fix }]);
      }
      return { ok: false, problems: [...byFile].map(([file, issues]) => ({ file, issues })), stacks: [] };
    }
    // what the review command reads beside the Terraform: traffic, capacity, findings let through
    for (const { env, plan } of plans) {
      const summary = environmentSummary(plan, stacksOf.get(env.name)!, findings.filter((x) => x.env === env.name).map((x) => x.f));
      mkdirSync(join(staging, 'review'), { recursive: true });
      writeFileSync(join(staging, summaryPath(env.name)), `${JSON.stringify(summary, null, 2)}\n`);
    }
    if (existsSync(outdir)) renameSync(outdir, previous);
    renameSync(staging, outdir);
    rmSync(previous, { recursive: true, force: true });
    for (const l of locksToWrite) writeFileSync(l.path, l.text);
    const warnings = findings.map(({ file, f }) => ({ file, path: f.resource, message: formatFinding(f) }));
    return { ok: true, problems: [], stacks, warnings };
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
