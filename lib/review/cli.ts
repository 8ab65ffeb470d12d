/**
 * `ase review`: one pull-request comment a reviewer can decide from.
 *
 *   ase review <before-dir> <after-dir>   compare two synth outputs (cdktf.out folders)
 *   ase review --ref <git-ref>            synthesize <git-ref> and the working tree, compare
 *   ase review --plan <plan.json>         summarize `terraform show -json <planfile>`
 *
 * Options: --allow <resource> (repeatable; accepts a blocker), --out <file> (else stdout),
 * --limit <chars> (default 65536, GitHub's comment limit; 0: none), --title <text>.
 * Exit codes: 0 nothing blocking, 1 blocking (state lost, an apply that fails, a change that does
 * not synthesize) unless --allow names it, 2 bad input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { azurePlanReport } from './azure-rules';
import { reviewOutputs } from './compare';
import type { ReviewResult } from './render';
import { readSynthOutput, ReviewInputError } from './config-diff';
import { synthesizeRefAndWorkingTree } from './git-ref';
import { GITHUB_COMMENT_LIMIT } from './markdown';
import { parsePlanJson, reviewPlan, summarizePlan } from './plan';

export const USAGE = `usage: ase review <before-dir> <after-dir> | --ref <git-ref> | --plan <plan.json>
  [--allow <resource>]... [--out <file>] [--limit <chars>] [--title <text>]
blocks on: state lost, a change the provider cannot apply, a change that does not synthesize, and
  Azure's apply-time traps: a delete under a lock, a subnet deleted while NICs use it, a stack that
  leaves the synth with resources in it (retire it first: retired: true, deploy, then remove it);
  warns of a data-plane write in the same apply as its grant with no time_sleep between them
exit codes: 0 nothing blocking, 1 blocking, 2 bad input`;

export interface Io {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly cwd: string;
}

const processIo: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s), cwd: process.cwd() };

export function main(argv: readonly string[], io: Io = processIo): number {
  try {
    return run(argv, io);
  } catch (e) {
    if (e instanceof ReviewInputError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`ase review: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

function run(argv: readonly string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      ref: { type: 'string' },
      plan: { type: 'string' },
      allow: { type: 'string', multiple: true, default: [] },
      out: { type: 'string' },
      limit: { type: 'string' },
      title: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const modes = [values.ref !== undefined, values.plan !== undefined, positionals.length > 0].filter(Boolean).length;
  if (modes !== 1) throw new ReviewInputError(`give two synth output folders, --ref or --plan (exactly one)\n${USAGE}`);
  const limit = values.limit === undefined ? GITHUB_COMMENT_LIMIT : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new ReviewInputError(`--limit must be a whole number of characters (0: no limit), not '${values.limit}'`);
  const options = { allow: values.allow, limit, ...(values.title !== undefined ? { title: values.title } : {}) };

  let result: ReviewResult;
  if (values.plan !== undefined) {
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, values.plan), 'utf8');
    } catch (e) {
      throw new ReviewInputError(`cannot read ${values.plan} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const doc = parsePlanJson(text, values.plan);
    result = reviewPlan(summarizePlan(doc), { ...options, title: values.title ?? values.plan, azure: azurePlanReport(doc) });
  } else if (values.ref !== undefined) {
    const { before, after } = synthesizeRefAndWorkingTree(io.cwd, values.ref);
    const failure = after.failure !== undefined ? { side: 'after' as const, text: after.failure } : before.failure !== undefined ? { side: 'before' as const, text: before.failure } : undefined;
    result = reviewOutputs(before.output, after.output, { ...options, title: values.title ?? `${values.ref} → working tree`, ...(failure ? { synthFailure: failure } : {}) });
  } else {
    if (positionals.length !== 2) throw new ReviewInputError(`give two synth output folders (before and after), not ${positionals.length}\n${USAGE}`);
    const [a, b] = positionals;
    result = reviewOutputs(readSynthOutput(resolve(io.cwd, a)), readSynthOutput(resolve(io.cwd, b)), { ...options, title: values.title ?? `${a} → ${b}` });
  }

  if (values.out !== undefined) writeFileSync(resolve(io.cwd, values.out), result.markdown);
  else io.stdout(result.markdown);
  const open = result.blockers.filter((b) => !b.allowed);
  for (const b of open) io.stderr(`blocking: ${b.resource} ${b.reason}\n`);
  return result.exitCode;
}
