/**
 * `npm run test:checkov`: checkov (pinned, scripts/install-checkov.sh) over every stack the synth
 * writes, with all its checks (`--framework terraform_json`), every stack's `cdk.tf.json` in one
 * checkov process (about 4 s for 15 stacks; a process per stack took 2.5 to 5 s each, mostly
 * checkov's start-up).
 * Every stack has an `azurerm_resource_group.resource-group`; checkov's graph joins references only
 * within a file's folder, so same-named resources of two stacks stay apart (test/slow/checkov.test.ts
 * proves it with a private endpoint in one stack and none in the other).
 *
 * A failed check passes only with an entry in lib/policy/checkov-skips.yaml (check, resource
 * pattern, reason); an entry that matches no failed check fails the run too (stale). Every
 * resource of a type checkov has a resource check for must appear in checkov's results, so a run
 * that loads nothing cannot pass.
 *
 *   --no-synth       scan the outputs as they are (default: `npm run -s synth` first, and the
 *                    example with every option, everyOptionSpec(), into cdktf.out.checkov-options)
 *   --out DIR        a synth output folder to scan, repeatable (default: cdktf.out and
 *                    cdktf.out.checkov-options; the skips cover both, so a skip for the state
 *                    stack is stale in a scan of the example alone)
 *   --skips FILE     the skips file (default lib/policy/checkov-skips.yaml)
 *   --markdown       also print the table of docs/checkov.md: each check, its result, the pack's rule
 *   CHECKOV=PATH     a checkov executable to use instead of installing the pinned one
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { formatProblems, synthesize } from '../lib/environment/synthesize';
import { RULES } from '../lib/policy/rules';
import type { EnvironmentSpec } from '../lib/spec/schema';
import example from '../stacks/environments/retail';

/** One reviewed exception: a checkov check that fails on purpose, where, and why. */
export interface CheckovSkip {
  /** The checkov check ID, e.g. 'CKV_AZURE_59'. */
  readonly check: string;
  /** `<stack>:<type>.<name>`; `*` in the stack or the name matches any characters but `:` and `.`. */
  readonly resource: string;
  /** Why the check does not apply, for a platform engineer. */
  readonly reason: string;
}

/** One check's result on one resource. */
export interface CheckResult {
  readonly stack: string;
  readonly check: string;
  readonly title: string;
  /** `<type>.<name>`. */
  readonly resource: string;
  readonly result: 'passed' | 'failed';
  /** A Python resource check, or a graph (CKV2) check. */
  readonly kind: 'resource' | 'graph';
}

const SKIP_KEYS = ['check', 'resource', 'reason'];
const CHECK_ID = /^CKV2?_AZURE_\d+$/;
// a literal resource type: a skip names what it covers, never every type
const RESOURCE = /^[A-Za-z0-9*_-]+:[a-z0-9_]+\.[A-Za-z0-9*_-]+$/;
const MIN_REASON = 40;

/** Reads the skips file: every problem at once, each at its path (`skips[2].reason`). */
export function parseSkips(text: string): { skips: CheckovSkip[]; problems: string[] } {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return { skips: [], problems: [`not YAML: ${(e as Error).message}`] };
  }
  const list = (doc as { skips?: unknown } | null)?.skips;
  if (!Array.isArray(list)) return { skips: [], problems: ['skips: expected a list of { check, resource, reason }'] };
  const skips: CheckovSkip[] = [];
  const seen = new Set<string>();
  list.forEach((raw: unknown, i) => {
    const at = `skips[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return void problems.push(`${at}: expected { check, resource, reason }`);
    const e = raw as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!SKIP_KEYS.includes(k)) problems.push(`${at}.${k}: unknown field (allowed: ${SKIP_KEYS.join(', ')})`);
    const before = problems.length;
    if (typeof e.check !== 'string' || !CHECK_ID.test(e.check)) problems.push(`${at}.check: expected a checkov Azure check ID like CKV_AZURE_59 or CKV2_AZURE_33, got ${JSON.stringify(e.check)}`);
    if (typeof e.resource !== 'string' || !RESOURCE.test(e.resource))
      problems.push(`${at}.resource: expected <stack>:<type>.<name> with a literal type (* only in the stack or the name), got ${JSON.stringify(e.resource)}`);
    if (typeof e.reason !== 'string' || e.reason.trim().length < MIN_REASON) problems.push(`${at}.reason: expected why the check does not apply, at least ${MIN_REASON} characters`);
    if (problems.length > before) return;
    const key = `${e.check} ${e.resource}`;
    if (seen.has(key)) return void problems.push(`${at}: a second entry for ${key}`);
    seen.add(key);
    skips.push({ check: e.check as string, resource: e.resource as string, reason: (e.reason as string).trim().replace(/\s+/g, ' ') });
  });
  return { skips, problems };
}

const glob = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^:.]*')}$`);

/** Whether a skip covers a result. */
export function skipMatches(skip: CheckovSkip, r: CheckResult): boolean {
  return skip.check === r.check && glob(skip.resource).test(`${r.stack}:${r.resource}`);
}

/**
 * Line number (1-based) of each resource's opening line in a cdk.tf.json → `<type>.<name>`.
 * checkov's terraform_json runner names a resource-check result `resource.<name>` without its
 * type; its `file_line_range` starts at the resource's line, which cdktf's 2-space layout fixes.
 */
export function resourceLines(text: string): Map<number, string> {
  const lines = new Map<number, string>();
  let inResources = false;
  let type: string | undefined;
  text.split('\n').forEach((line, i) => {
    if (/^ {2}"/.test(line)) inResources = line === '  "resource": {';
    if (!inResources) return;
    const t = /^ {4}"([^"]+)": \{$/.exec(line);
    if (t) type = t[1];
    const n = /^ {6}"([^"]+)": \{$/.exec(line);
    if (n && type) lines.set(i + 1, `${type}.${n[1]}`);
  });
  return lines;
}

/** Every `<type>.<name>` of a stack's JSON. */
export function resourcesOf(json: { resource?: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(json.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`));
}

interface CheckovRecord {
  check_id: string;
  check_name: string;
  resource: string;
  file_line_range: [number, number];
  file_abs_path: string;
  check_class: string;
}
interface CheckovReport {
  check_type?: string;
  results?: { passed_checks?: CheckovRecord[]; failed_checks?: CheckovRecord[]; skipped_checks?: CheckovRecord[] };
  summary: { passed: number; failed: number; skipped: number; parsing_errors: number; checkov_version: string };
}

/** checkov's JSON report of one stack as results by `<type>.<name>` (a report with no results is only a summary). */
export function readReport(stack: string, report: CheckovReport, text: string): CheckResult[] {
  const lines = resourceLines(text);
  const out: CheckResult[] = [];
  const of = (rec: CheckovRecord, result: CheckResult['result']) => {
    const fromLine = lines.get(rec.file_line_range[0]);
    if (!fromLine) throw new Error(`${stack}: checkov reported ${rec.check_id} on ${rec.resource} at line ${rec.file_line_range[0]}, which starts no resource`);
    // graph results carry `<type>.<name>`; resource checks `resource.<name>`: both must agree with the line
    if (rec.resource !== fromLine && rec.resource !== `resource.${fromLine.slice(fromLine.indexOf('.') + 1)}`)
      throw new Error(`${stack}: checkov reported ${rec.check_id} on ${rec.resource}, but line ${rec.file_line_range[0]} starts ${fromLine}`);
    const kind = rec.check_class.startsWith('checkov.terraform.checks.resource.') ? 'resource' : 'graph';
    out.push({ stack, check: rec.check_id, title: rec.check_name.trim(), resource: fromLine, result, kind });
  };
  for (const r of report.results?.passed_checks ?? []) of(r, 'passed');
  for (const r of report.results?.failed_checks ?? []) of(r, 'failed');
  if ((report.results?.skipped_checks ?? []).length > 0) throw new Error(`${stack}: checkov skipped checks itself; skips belong in the skips file`);
  return out;
}

/** The run's verdict: which failures a skip covers, which do not, and which skips cover nothing. */
export function classify(results: readonly CheckResult[], skips: readonly CheckovSkip[]) {
  const skipped: { result: CheckResult; skip: CheckovSkip }[] = [];
  const failed: CheckResult[] = [];
  const used = new Set<CheckovSkip>();
  for (const r of results) {
    if (r.result !== 'failed') continue;
    const skip = skips.find((s) => skipMatches(s, r));
    if (skip) {
      used.add(skip);
      skipped.push({ result: r, skip });
    } else failed.push(r);
  }
  return { skipped, failed, stale: skips.filter((s) => !used.has(s)) };
}

/** checkov's Python resource checks by resource type, from its own registry (the pinned install). */
function resourceChecksByType(checkov: string, types: readonly string[]): Record<string, string[]> {
  const py = join(dirname(checkov), 'python');
  const code = [
    'import json, sys',
    'from checkov.terraform.checks.resource.registry import resource_registry',
    'print(json.dumps({t: sorted({c.id for c in resource_registry.checks.get(t, [])}) for t in sys.argv[1:]}))',
  ].join('\n');
  const r = spawnSync(py, ['-c', code, ...types], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`checkov's registry could not be read: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string[]>;
}

function runCheckov(checkov: string, files: readonly string[]): Promise<CheckovReport> {
  const file = files.length === 1 ? files[0] : `${files.length} files`;
  return new Promise((done, fail) => {
    // --skip-download: no call for guidelines or mappings (there is no network but the registries)
    const p = spawn(checkov, ['-f', ...files, '--framework', 'terraform_json', '-o', 'json', '--skip-download', '--compact'], { env: { ...process.env, LOG_LEVEL: 'WARNING' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', fail);
    p.on('close', (code) => {
      // checkov exits 1 when a check failed; anything else is an error
      if (code !== 0 && code !== 1) return fail(new Error(`checkov on ${file} exited ${code}:\n${stderr}`));
      try {
        const parsed = JSON.parse(stdout) as CheckovReport | CheckovReport[];
        if (Array.isArray(parsed)) return fail(new Error(`checkov on ${file} ran more than one framework`));
        done('summary' in parsed ? parsed : { summary: parsed as unknown as CheckovReport['summary'] });
      } catch {
        fail(new Error(`checkov on ${file} wrote no JSON report:\n${stdout.slice(0, 500)}\n${stderr}`));
      }
    });
  });
}

/** The pack's rules that name a checkov check. */
const packRulesFor = (check: string) => RULES.filter((r) => r.checkov?.includes(check)).map((r) => r.id);

function markdown(scans: readonly (readonly CheckResult[])[], skipped: ReturnType<typeof classify>['skipped']): string {
  const all = scans.flat();
  const checks = [...new Set(all.map((r) => r.check))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const head = scans.length > 1 ? '| check | what it wants | on | the example | with every option | pack rule |' : '| check | what it wants | on | result | pack rule |';
  const lines = [head, `|${'---|'.repeat(scans.length + 4)}`];
  const cell = (rs: readonly CheckResult[]) => {
    const passed = rs.filter((r) => r.result === 'passed').length;
    const skips = rs.filter((r) => skipped.some((s) => s.result === r)).length;
    const failed = rs.filter((r) => r.result === 'failed').length - skips;
    return [passed && `${passed} passed`, skips && `${skips} skipped`, failed && `${failed} FAILED`].filter(Boolean).join(', ') || 'not evaluated';
  };
  for (const check of checks) {
    const rs = all.filter((r) => r.check === check);
    const types = [...new Set(rs.map((r) => r.resource.split('.')[0].replace(/^azurerm_/, '')))].sort().join(', ');
    lines.push(`| ${check} | ${rs[0].title} | ${types} | ${scans.map((sc) => cell(sc.filter((r) => r.check === check))).join(' | ')} | ${packRulesFor(check).join(', ') || 'none'} |`);
  }
  return lines.join('\n');
}

/**
 * The example with every optional stack and resource the library adds: the state backend's stack,
 * the vault's diagnostic setting (Log Analytics) and a Flexible scale set (catalog). Scanned beside
 * the example, so its storage account and the resource types only options emit meet checkov too.
 */
export function everyOptionSpec(): EnvironmentSpec {
  const spec = structuredClone(example);
  spec.stateBackend = { resourceGroupName: 'rg-retail-state', storageAccountName: 'stretailstate', containerName: 'tfstate' };
  spec.keyVault = { ...spec.keyVault!, logAnalyticsWorkspaceId: `/subscriptions/${spec.subscriptionId}/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/law-retail` };
  spec.services = spec.services.map((svc) => (svc.name === 'catalog' ? { ...svc, orchestration: 'Flexible' as const } : svc));
  // a second region (docs/regions.md): pricing in both, at counts of its own in north, each region's private DNS zone
  spec.otherRegions = [{ name: 'northeurope', code: 'ne', addressSpace: '10.30.0.0/16' }];
  spec.front = { ...spec.front, privateDnsZone: true };
  spec.services = spec.services.map((svc) =>
    svc.name === 'pricing' ? { ...svc, regions: ['westeurope', 'northeurope'], regionCapacity: { northeurope: { min: 6, default: 6, max: 10 } }, traffic: { ...svc.traffic, regions: { shares: { westeurope: 90, northeurope: 10 } } } } : svc,
  );
  return spec;
}

interface Scanned {
  readonly out: string;
  readonly stack: string;
  readonly file: string;
  readonly text: string;
  readonly json: { resource?: Record<string, Record<string, unknown>> };
}

async function main() {
  const { values } = parseArgs({
    options: { 'no-synth': { type: 'boolean', default: false }, out: { type: 'string', multiple: true }, skips: { type: 'string' }, markdown: { type: 'boolean', default: false } },
    strict: true,
  });
  const started = Date.now();
  const root = resolve(__dirname, '..', ...(__dirname.split(/[\\/]/).includes('.build') ? ['..'] : []));
  const skipsFile = values.skips ? resolve(values.skips) : join(root, 'lib', 'policy', 'checkov-skips.yaml');
  const { skips, problems } = parseSkips(readFileSync(skipsFile, 'utf8'));
  if (problems.length > 0) {
    process.stderr.write(`${skipsFile}:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
    process.exit(1);
  }

  const OPTIONS_OUT = 'cdktf.out.checkov-options';
  // the skips cover both: scanning one alone leaves the other's skips stale
  const outs = values.out ?? ['cdktf.out', OPTIONS_OUT];
  if (!values['no-synth']) {
    // the example, as `npm run -s synth` writes it; then the example with every option
    const s = spawnSync(process.execPath, [join(root, 'scripts', 'app.js')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
    if (s.status !== 0) process.exit(1);
    {
      const r = synthesize([{ file: 'retail.ts (every option)', spec: everyOptionSpec(), issues: [] }], resolve(root, OPTIONS_OUT), { projectRoot: root });
      if (!r.ok) {
        process.stderr.write(`${formatProblems(r.problems, 'every-option example')}\n`);
        process.exit(1);
      }
    }
  }
  const install = Date.now();
  let checkov = process.env.CHECKOV;
  if (!checkov) {
    const r = spawnSync('bash', [join(root, 'scripts', 'install-checkov.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) process.exit(1);
    checkov = r.stdout.trim();
  }
  const installSeconds = (Date.now() - install) / 1000;

  const scanned: Scanned[] = [];
  for (const out of outs) {
    const dir = resolve(root, out, 'stacks');
    const stacks = existsSync(dir) ? readdirSync(dir).filter((s) => existsSync(join(dir, s, 'cdk.tf.json'))).sort() : [];
    if (stacks.length === 0) {
      process.stderr.write(`no stacks in ${dir}\n`);
      process.exit(1);
    }
    for (const stack of stacks) {
      const file = join(dir, stack, 'cdk.tf.json');
      const text = readFileSync(file, 'utf8');
      scanned.push({ out, stack, file, text, json: JSON.parse(text) });
    }
  }
  const allTypes = [...new Set(scanned.flatMap((x) => resourcesOf(x.json).map((a) => a.split('.')[0])))].sort();
  const checksByType = resourceChecksByType(checkov, allTypes);

  const scan = Date.now();
  const report = await runCheckov(checkov, scanned.map((x) => x.file));
  const scanSeconds = (Date.now() - scan) / 1000;

  const errors: string[] = [];
  const version = report.summary.checkov_version;
  if (report.summary.parsing_errors > 0) errors.push(`checkov could not parse ${report.summary.parsing_errors} file(s)`);
  // the records of each stack, by the file checkov read
  const byFile = new Map(scanned.map((x) => [x.file, x]));
  const all = [...(report.results?.passed_checks ?? []), ...(report.results?.failed_checks ?? []), ...(report.results?.skipped_checks ?? [])];
  const stray = all.find((r) => !byFile.has(resolve(r.file_abs_path)));
  if (stray) throw new Error(`checkov reported on a file it was not given: ${stray.file_abs_path}`);
  const split = (recs: CheckovRecord[] | undefined, x: Scanned) => (recs ?? []).filter((r) => resolve(r.file_abs_path) === x.file);
  const resultsOf = new Map(
    scanned.map((x) => [
      x,
      readReport(x.stack, { ...report, results: { passed_checks: split(report.results?.passed_checks, x), failed_checks: split(report.results?.failed_checks, x), skipped_checks: split(report.results?.skipped_checks, x) } }, x.text),
    ]),
  );
  const results = [...resultsOf.values()].flat();
  const verdict = classify(results, skips);
  const label = (x: Scanned) => (x.out === outs[0] ? x.stack : `${x.stack} (${x.out})`);

  process.stdout.write(`checkov ${version} (framework terraform_json), ${scanned.length} stacks of ${outs.join(' and ')}, skips from ${skipsFile.replace(`${root}/`, '')}\n`);
  let total = { passed: 0, failed: 0, skipped: 0, checked: 0 };
  for (const x of scanned) {
    const mine = resultsOf.get(x)!;
    const resources = resourcesOf(x.json);
    const azurerm = resources.filter((a) => a.startsWith('azurerm_'));
    // every resource of a type checkov has resource checks for must have results: checkov loaded it
    const checkable = resources.filter((a) => (checksByType[a.split('.')[0]] ?? []).length > 0);
    const checked = new Set(mine.filter((r) => r.kind === 'resource').map((r) => r.resource));
    const missing = checkable.filter((a) => !checked.has(a));
    if (missing.length > 0) errors.push(`${label(x)}: checkov has checks for ${missing.join(', ')} but reported none: it did not load them`);
    const withResults = new Set(mine.map((r) => r.resource));
    const passed = mine.filter((r) => r.result === 'passed').length;
    const skippedHere = verdict.skipped.filter((v) => mine.includes(v.result));
    const failedHere = verdict.failed.filter((f) => mine.includes(f));
    total = { passed: total.passed + passed, failed: total.failed + failedHere.length, skipped: total.skipped + skippedHere.length, checked: total.checked + withResults.size };
    const uncovered = [...new Set(azurerm.filter((a) => !withResults.has(a)).map((a) => a.split('.')[0]))].sort();
    process.stdout.write(
      `\n${label(x)}: ${withResults.size} of ${azurerm.length} azurerm resources checked: ${passed} passed, ${failedHere.length} failed, ${skippedHere.length} skipped\n` +
        (uncovered.length > 0 ? `  no checkov check covers ${uncovered.join(', ')}\n` : ''),
    );
    for (const f of failedHere) process.stdout.write(`  FAILED ${f.check} ${f.resource}: ${f.title}\n`);
    for (const v of skippedHere) process.stdout.write(`  skipped ${v.result.check} ${v.result.resource}: ${v.skip.reason}\n`);
    for (const f of failedHere) errors.push(`${label(x)}:${f.resource}: ${f.check} failed (${f.title}); fix the construct, or add a skip with the reason`);
  }
  if (total.checked === 0) errors.push('checkov checked no resource at all');
  for (const s of verdict.stale) errors.push(`stale skip ${s.check} ${s.resource}: it matches no failed check (remove it from the skips file)`);

  const scans = outs.map((out) => scanned.filter((x) => x.out === out).flatMap((x) => resultsOf.get(x)!));
  if (values.markdown) process.stdout.write(`\n${markdown(scans, verdict.skipped)}\n`);
  process.stdout.write(
    `\ncheckov total: ${total.checked} resources, ${total.passed} checks passed, ${total.failed} failed, ${total.skipped} skipped with a reason` +
      ` (install ${installSeconds.toFixed(1)} s, scan ${scanSeconds.toFixed(1)} s, all ${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  if (errors.length > 0) {
    process.stderr.write(`\n${errors.map((e) => `error: ${e}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
  });
}
