/**
 * The scaffold's proof before it writes: the edited spec synthesized into a temp folder by the
 * synth itself (`lib/environment/synthesize.ts`: validation, the plans, every stack, the policy pack).
 * Loaded lazily: cdktf and the provider classes are paid for only when a change is checked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpecIssue } from '../spec/issues';

export interface CheckResult {
  /** Validation problems, or policy errors (code 'policy'), by spec path or resource. */
  readonly problems: readonly SpecIssue[];
  /** Policy warnings (the synth prints them; they never fail it). */
  readonly warnings: readonly string[];
}

export function synthCheck(spec: unknown, file: string): CheckResult {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { synthesize } = require('../environment/synthesize') as typeof import('../environment/synthesize');
  const dir = mkdtempSync(join(tmpdir(), 'ase-scaffold-'));
  try {
    const r = synthesize([{ file, spec, issues: [] }], join(dir, 'cdktf.out'));
    return { problems: r.problems.flatMap((p) => p.issues), warnings: (r.warnings ?? []).map((w) => `${w.path}: ${w.message}`) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
