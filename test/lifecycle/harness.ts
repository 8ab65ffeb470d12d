/**
 * A platform team's changes, one synth after another, as CI runs them: each step synthesizes the
 * spec with the environment's lock file from the step before (seeded with the committed
 * `stacks/environments/retail.lock.json`), so a step sees what earlier ones recorded.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { azureRuleReport, type AzureCheck, type AzureFinding } from '../../lib/review/azure-rules';
import { readSynthOutput, type SynthOutput } from '../../lib/review/config-diff';
import { synthesize } from '../../lib/environment/synthesize';
import type { FileProblems } from '../../lib/spec/environments';
import { exampleSpec, tempDir, type Json } from '../helpers';

export const EMPTY: SynthOutput = { stacks: {}, summaries: {} };

let baselineCache: { output: SynthOutput; lock: string; manifest: string } | undefined;

export type StepResult = { ok: true; output: SynthOutput } | { ok: false; problems: FileProblems };

/** One environment's history: synths in order, sharing a lock folder. */
export class History {
  readonly dir = tempDir('ase-lifecycle-');
  private n = 0;

  /** @param lock 'committed': start from the repository's lock file; 'none': no lock file at all (a library user's app) */
  constructor(private readonly lock: 'committed' | 'none' = 'committed') {
    if (lock === 'committed') copyFileSync(resolve(__dirname, '../../stacks/environments/retail.lock.json'), join(this.dir, 'retail.lock.json'));
  }

  /** Synthesizes the spec as the next step (the lock is updated only when it succeeds). */
  step(spec: unknown, file = 'retail.ts'): StepResult {
    const out = join(this.dir, `out-${this.n++}`);
    const r = synthesize([{ file, spec, issues: [] }], out, this.lock === 'none' ? {} : { lockDir: this.dir });
    if (!r.ok) return { ok: false, problems: r.problems };
    return { ok: true, output: readSynthOutput(out) };
  }

  /**
   * The first step, the unchanged example from the committed lock: synthesized once per test file
   * and replayed for every later History (its output, its lock file and its manifest). A synth is a
   * pure function of the spec and the lock (test/stacks/synth.test.ts holds two synths
   * byte-identical), so this saves a synth per test; a test that compares two synths takes
   * `ok()` for both.
   */
  baseline(): SynthOutput {
    if (this.n !== 0 || this.lock !== 'committed') throw new Error('baseline() is the first step of a History from the committed lock');
    const lockFile = join(this.dir, 'retail.lock.json');
    if (!baselineCache) {
      const output = this.ok(exampleSpec());
      baselineCache = { output: structuredClone(output), lock: readFileSync(lockFile, 'utf8'), manifest: readFileSync(join(this.dir, 'out-0', 'manifest.json'), 'utf8') };
      return output;
    }
    writeFileSync(lockFile, baselineCache.lock);
    mkdirSync(join(this.dir, `out-${this.n++}`));
    writeFileSync(join(this.dir, 'out-0', 'manifest.json'), baselineCache.manifest);
    return structuredClone(baselineCache.output);
  }

  /** The same, failing the test when the step does not synthesize. */
  ok(spec: unknown): SynthOutput {
    const r = this.step(spec);
    if (!r.ok) throw new Error(`the step does not synthesize:\n${JSON.stringify(r.problems, null, 2)}`);
    return r.output;
  }

  /** The stack dependencies cdktf recorded in the last step's manifest (they order `cdktf deploy`). */
  dependencies(): Record<string, string[]> {
    const manifest = JSON.parse(readFileSync(join(this.dir, `out-${this.n - 1}`, 'manifest.json'), 'utf8')) as { stacks: Record<string, { dependencies: string[] }> };
    return Object.fromEntries(Object.entries(manifest.stacks).map(([k, v]) => [k, [...v.dependencies].sort()]));
  }

  cleanUp(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A copy of the example, changed. */
export function changed(edit: (s: Json) => void): Json {
  const spec = exampleSpec() as Json;
  edit(spec);
  return spec;
}

/** Findings as `severity rule resource`, for exact comparison. */
export const findingsOf = (before: SynthOutput, after: SynthOutput): string[] => azureRuleReport(before, after).findings.map(brief);
export const brief = (f: AzureFinding) => `${f.severity} ${f.rule} ${f.resource}`;
export const checksOf = (before: SynthOutput, after: SynthOutput): AzureCheck[] => azureRuleReport(before, after).checks;

/** Whether the synth holds `time_sleep` waits (another change adds them to the vault and front stacks). */
export const hasWaits = (o: SynthOutput): boolean => Object.values(o.stacks).some((s) => (s as Json).resource?.time_sleep !== undefined);

/** A second certificate, read by the catalog service. */
export const CATALOG_CERT = { name: 'catalog-mtls', subject: 'CN=catalog.retail.internal', dnsNames: ['catalog.retail.internal'] };

/** The example with a node pool `batch` running a `reports` service. */
export function withPool(edit: (s: Json) => void = () => undefined): Json {
  return changed((s) => {
    s.pools = [{ name: 'batch', block: 5, vmSize: 'Standard_D2s_v5', capacity: { min: 2, default: 2, max: 4 } }];
    s.services.push({ ...structuredClone(s.services[2]), name: 'reports', block: 6, pool: 'batch', vmSize: undefined, capacity: undefined, endpoints: { input: { from: ['front'] } } });
    delete s.services[3].vmSize;
    delete s.services[3].capacity;
    edit(s);
  });
}
