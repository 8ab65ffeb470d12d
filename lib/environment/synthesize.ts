/**
 * The synth driver: validate every environment first, then build and write all stacks.
 *
 * A bad spec prints every problem with its path and writes nothing. A good one is synthesized
 * into a staging folder beside the output and swapped in only when complete, so `cdktf.out` is
 * never half-written, whatever fails.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkFixedSettings, LOCK_NOTE, type SettingsLock } from '../compute/fixed-settings';
import { imageOfScaleSet } from '../compute/images-planned';
import { App } from '../runtime/cdk';
import { formatProblems, validateAll, type FileProblems } from '../spec/environments';
import { formatIssue, type SpecIssue } from '../spec/issues';
import { certificateContentProblem, certificateFileFormat, unsetPasswordWarnings } from '../spec/certificates';
import { checkBlocks, isBlockLock, type BlockLock } from '../spec/block-lock';
import { checkRemovals, orphanLockIssue, type LifecycleEntry, type LifecycleLock } from '../spec/lifecycle';
import { LOCK_SUFFIX, lockFileOf, type LoadedSpec } from '../spec/load';
import type { Environment } from '../spec/schema';
import { linkRegions, planEnvironment } from '../spec/plan';
import { regionalEnvironments, regionOf } from '../spec/regional';
import { VM_SIZE_NAMES } from '../spec/vm-sizes';
import { withoutCreationStacks } from '../core/creation-stacks';
import { constructSuppressions } from '../policy/construct';
import { checkStacks, formatFinding } from '../policy/policy';
import { ruleById } from '../policy/rules';
import { environmentSummary, summaryPath } from '../review/summary';
import { buildEnvironment } from './build';

/** What {@link synthesize} did. */
export interface SynthResult {
  /** True when every stack was written. */
  readonly ok: boolean;
  /** Per file, the problems found (only files with problems); nothing was written when any. */
  readonly problems: FileProblems;
  /** Stack names written, in order. */
  readonly stacks: readonly string[];
  /** What a reviewer should see though nothing is wrong (printed; never fails the synth). */
  readonly warnings?: ReadonlyArray<{
    /** The environment file. */
    readonly file: string;
    /** The resource (`<stack>:<type>.<address>`) or spec path. */
    readonly path: string;
    /** What to look at. */
    readonly message: string;
  }>;
}

/** Options of {@link synthesize}. */
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

/** Every service and pool of an environment, for the lock's lifecycle records. */
function lifecycleEntries(env: Environment): LifecycleEntry[] {
  const retiredPools = new Set(env.pools.filter((p) => p.retired).map((p) => p.name));
  return [
    ...env.services.map((s, i): LifecycleEntry => ({ kind: s.pool !== undefined ? 'pooled' : 'service', name: s.name, retired: s.retired || (s.pool !== undefined && retiredPools.has(s.pool)), specPath: `services[${i}]` })),
    ...env.pools.map((p, i): LifecycleEntry => ({ kind: 'pool', name: p.name, retired: p.retired, specPath: `pools[${i}]` })),
  ];
}

// validateAll and formatProblems are shared with the commands (lib/spec/environments.ts)
export { validateAll, formatProblems };

/**
 * Validates every spec, builds every environment's stacks ({@link buildEnvironment}) in one cdktf
 * App, runs the policy pack over what was written, and swaps the output into `outdir` whole; or
 * writes nothing and returns every problem.
 */
export function synthesize(specs: readonly LoadedSpec[], outdir: string, options: SynthOptions = {}): SynthResult {
  const { environments, problems, warnings: specWarnings } = validateAll(specs);
  if (problems.length > 0) return { ok: false, problems, stacks: [] };

  // an imported file that is there (CI) must hold what its name says: Terraform reads it only at plan
  if (!options.projectRoot) {
    const bad = environments.map((env) => ({ file: env.file ?? env.name, issues: importedFileProblems(env.keyVault?.certificates ?? []) })).filter((p) => p.issues.length > 0);
    if (bad.length > 0) return { ok: false, problems: bad, stacks: [] };
  }

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
      issues.push(...importedFileProblems(env.keyVault?.certificates ?? []));
      if (issues.length > 0) outside.push({ file: env.file ?? env.name, issues });
    }
    if (outside.length > 0) return { ok: false, problems: outside, stacks: [] };
  }

  // each region of an environment is planned as an environment of its own, told of the others (spec/regional.ts)
  let plans = environments.flatMap((env) => {
    const regional = regionalEnvironments(env);
    return linkRegions(
      regional.map((r) => planEnvironment(r.env)),
      regional.map((r) => r.code),
    ).map((plan) => ({ env: plan.env as typeof env, plan }));
  });

  // creation-time settings against each environment's lock file
  const locksToWrite: Array<{ path: string; text: string }> = [];
  // each scale set builds with what its lock records (zone balance, disk type, …), by environment
  const recordedOf = new Map<string, SettingsLock['scaleSets']>();
  const lockProblems: Array<{ file: string; issues: SpecIssue[] }> = [];
  for (const { env, plan } of options.lockDir ? plans : []) {
    const file = lockFileOf(env.file ?? env.name);
    const path = join(options.lockDir!, file);
    const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    let lock: (SettingsLock & { readonly blocks?: BlockLock }) | undefined;
    try {
      lock = before === undefined ? undefined : (JSON.parse(before) as SettingsLock);
      if (lock && (lock.version !== 1 || typeof lock.scaleSets !== 'object')) throw new Error('not a version 1 lock');
      if (lock && lock.blocks !== undefined && !isBlockLock(lock.blocks)) throw new Error("its blocks are not { services: { name: block }, pools: { name: block } }");
    } catch (e) {
      lockProblems.push({ file, issues: [{ path: '(file)', code: 'invalid_format', message: `cannot be read: ${(e as Error).message}`, hint: 'restore it from git' }] });
      continue;
    }
    // retired placements have no scale sets: dropped from the lock, and recorded as retired
    const items = [
      ...plan.placements
        .filter((p) => !p.retired)
        .map((p) => ({ name: p.label, specPath: p.specPath, orchestration: p.orchestration, upgrade: p.upgrade, vmSize: p.vmSize, allowReplacement: p.allowReplacement, imageOf: imageOfScaleSet({ role: 'service', placement: p }) })),
      { name: 'front', specPath: 'front', orchestration: 'Uniform' as const, upgrade: env.front.upgrade, vmSize: env.front.vmSize, allowReplacement: env.front.allowReplacement, single: true, imageOf: imageOfScaleSet({ role: 'front' }) },
    ];
    const { issues, next } = checkFixedSettings(items, plan.zones, lock, { keyVault: env.keyVault, adminUsername: env.admin.username, knownSizes: VM_SIZE_NAMES });
    recordedOf.set(env.name, next.scaleSets);
    // each service's and pool's block, which fixes its addresses and ports: never changed (spec/block-lock.ts)
    const owners = [
      ...env.services.map((s, index) => ({ kind: 'services' as const, index, name: s.name, block: s.block })),
      ...env.pools.map((p, index) => ({ kind: 'pools' as const, index, name: p.name, block: p.block })),
    ];
    const blocks = checkBlocks(owners, lock?.blocks, file);
    // an entry the lock records as running may leave the spec only after its retirement
    // another region: a service that left only its list is named with the spec's path, in the spec's file
    const firstOf = regionOf(env);
    // (the spec as written: the first region's plan leaves out the services that run only elsewhere)
    const spec = environments.find((e) => e.name === (firstOf ?? env.name) && e.otherRegions.length > 0);
    const lifecycle = checkRemovals(lifecycleEntries(env), lock as LifecycleLock | undefined, spec ? { name: env.region, services: new Map(spec.services.map((s, i) => [s.name, i])) } : undefined);
    if (issues.length > 0 || blocks.issues.length > 0 || lifecycle.issues.length > 0) {
      lockProblems.push({ file: (spec ?? env).file ?? env.name, issues: [...issues.map((i) => ({ ...i, code: 'invalid_value' as const })), ...blocks.issues, ...lifecycle.issues] });
      continue;
    }
    const recorded = { ...(lifecycle.pooled ? { pooled: lifecycle.pooled } : {}), ...(lifecycle.retired ? { retired: lifecycle.retired } : {}) };
    const text = `${JSON.stringify({ note: LOCK_NOTE, ...next, blocks: blocks.next, ...recorded }, null, 2)}\n`;
    if (text === before) continue;
    if (options.frozenLock) {
      lockProblems.push({ file, issues: [{ path: '(file)', code: 'invalid_value', message: 'is out of date (--frozen-lock)', hint: 'run npm run synth and commit the lock file' }] });
    } else locksToWrite.push({ path, text });
  }
  // a lock file without its environment file: the environment's stacks would leave the synth
  if (options.lockDir && existsSync(options.lockDir)) {
    const mine = new Set(plans.map(({ env }) => lockFileOf(env.file ?? env.name)));
    for (const f of readdirSync(options.lockDir).filter((x) => x.endsWith(LOCK_SUFFIX)).sort()) {
      if (!mine.has(f)) lockProblems.push({ file: f, issues: [orphanLockIssue()] });
    }
  }
  if (lockProblems.length > 0) return { ok: false, problems: lockProblems, stacks: [] };
  plans = plans.map(({ env, plan }) => ({ env, plan: recordedOf.has(env.name) ? { ...plan, fixedSettings: recordedOf.get(env.name) } : plan }));

  const staging = `${outdir}.staging-${process.pid}`;
  const previous = `${outdir}.previous-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  // cdktf's App creates its outdir but not the parents: an output folder in a new folder (CDKTF_OUTDIR=out/x/cdktf.out) threw ENOENT
  mkdirSync(dirname(staging), { recursive: true });
  try {
    const app = new App({ outdir: staging });
    const stacks: string[] = [];
    const stacksOf = new Map<string, string[]>();
    const builtOf = new Map<string, ReturnType<typeof buildEnvironment>>();
    for (const { plan } of plans) {
      // cdktf's creation stack traces cost a second and 130 MB of peak at 200 services (core/creation-stacks.ts)
      const built = withoutCreationStacks(() => buildEnvironment(app, plan));
      builtOf.set(plan.env.name, built);
      // another region after the first: its state lives in the account the first region's state
      // stack makes, and its peerings name the earlier regions' VNets (network-stack.ts)
      const firstOf = regionOf(plan.env);
      if (firstOf !== undefined) {
        const first = builtOf.get(firstOf)!;
        if (first.state) for (const st of [built.monitor, built.network]) st?.addDependency(first.state);
        for (const earlier of plan.regions!.others.filter((o) => o.index < plan.regions!.self.index)) built.network.addDependency(builtOf.get(earlier.environment)!.network);
      }
      const mine = [
        ...(built.state ? [built.state.stackName] : []),
        ...(built.monitor ? [built.monitor.stackName] : []),
        built.network.stackName,
        ...(built.vault ? [built.vault.stackName] : []),
        built.identities.stackName,
        ...Object.values(built.compute).map((s) => s.stackName),
        built.front.stackName,
      ];
      stacksOf.set(plan.env.name, mine);
      stacks.push(...mine);
    }
    // suppressions declared on constructs (suppressPolicy), expanded to the resources they cover
    const declaredOnConstructs = constructSuppressions(app);
    app.synth();
    // the policy pack over what was written: an unsuppressed error fails the synth, nothing is swapped in
    const findings = plans.flatMap(({ env }) => {
      const mine = Object.fromEntries(
        readdirSync(join(staging, 'stacks'))
          .filter((s) => stacksOf.get(env.name)!.includes(s))
          .map((s) => [s, readFileSync(join(staging, 'stacks', s, 'cdk.tf.json'), 'utf8')]),
      );
      const fromConstructs = declaredOnConstructs.filter((x) => mine[x.resource.split(':')[0]] !== undefined);
      const found = checkStacks(mine, { requiredTags: env.requiredTags, suppressions: [...env.policy.suppressions, ...fromConstructs] });
      // another region holds the first region's suppressions under its own stack names; one it does not use is no news
      const unused = regionOf(env) !== undefined ? [] : env.policy.suppressions.filter((s) => !found.some((f) => f.rule === s.rule && f.resource === s.resource));
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
    const warnings = [
      ...specWarnings.flatMap((w) => w.issues.map((i) => ({ file: w.file, path: i.path, message: formatIssue(i).slice(i.path.length + 2) }))),
      ...environments.flatMap((env) => unsetPasswordWarnings(env.keyVault?.certificates ?? [], process.env).map((w) => ({ file: env.file ?? env.name, ...w }))),
      ...findings.map(({ file, f }) => ({ file, path: f.resource, message: formatFinding(f) })),
    ];
    return { ok: true, problems: [], stacks, warnings };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Imported files that exist here and do not hold what their name says (read, never written). */
function importedFileProblems(certificates: ReadonlyArray<{ readonly importFrom?: { readonly path: string } }>): SpecIssue[] {
  const issues: SpecIssue[] = [];
  certificates.forEach((c, i) => {
    const path = c.importFrom?.path;
    const format = path === undefined ? undefined : certificateFileFormat(path);
    if (!path || !format || !existsSync(path)) return;
    let problem: string | undefined;
    try {
      problem = certificateContentProblem(format, readFileSync(path));
    } catch (e) {
      problem = `cannot be read: ${(e as Error).message.split('\n')[0]}`;
    }
    if (problem) issues.push({ path: `keyVault.certificates[${i}].importFrom.path`, code: 'invalid_value', message: `${path} ${problem}`, value: path, hint: 'Terraform reads it at plan time, and Key Vault refuses it at apply' });
  });
  return issues;
}
