/**
 * `ase review`: one pull-request comment a reviewer can decide from.
 *
 *   ase review <before-dir> <after-dir>   compare two synth outputs (cdktf.out folders)
 *   ase review --ref <git-ref>            synthesize <git-ref> and the working tree, compare
 *   ase review --plan <plan.json>         summarize `terraform show -json <planfile>`
 *
 * Options: --allow <resource>[=@<login>] (repeatable; accepts a blocker, and says who did),
 * --allowances <file.json> (`[{ "resource": "…", "by": "<login>" }]`, as scripts/allowances.js
 * writes from a pull request's approving reviews), --out <file> (else stdout),
 * --limit <chars> (default 65536, GitHub's comment limit; 0: none), --title <text>.
 * Exit codes: 0 nothing blocking, 1 blocking (state lost, an apply that fails, a change that does
 * not synthesize) unless --allow names it, 2 bad input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { commandHelp, intFlag, parseCommandArgs, usageError, usageText, type CommandArgs } from '../cli/args';
import { CommandError } from '../cli/command';
import { azurePlanReport } from './azure-rules';
import { reviewOutputs } from './compare';
import type { Allowance, ReviewResult } from './render';
import { readSynthOutput, ReviewInputError } from './config-diff';
import { synthesizeRefAndWorkingTree } from './git-ref';
import { GITHUB_COMMENT_LIMIT } from './markdown';
import { parsePlanJson, reviewPlan, summarizePlan } from './plan';

/** What `ase review` accepts. */
export const REVIEW_ARGS: CommandArgs = {
  command: 'ase review',
  summary: 'one pull-request comment from two synth outputs, a git ref, or a terraform plan (exit 1 when blocking)',
  usage: ['ase review <before-dir> <after-dir> [flags]', 'ase review --ref <git-ref> [flags]', 'ase review --plan <plan.json> [flags]'],
  positionals: [
    { name: 'before-dir', description: 'the synth output (cdktf.out) before the change' },
    { name: 'after-dir', description: 'the synth output after it (make it with CDKTF_OUTDIR=<dir> npm run synth)' },
  ],
  flags: {
    ref: { type: 'string', value: 'REF', description: 'synthesize this git ref in a temporary worktree and the working tree, and compare them' },
    plan: { type: 'string', value: 'FILE', description: 'review a plan: terraform show -json <plan> > FILE' },
    allow: { type: 'string', value: 'RESOURCE[=@LOGIN]', multiple: true, description: 'accept one blocking change to this resource (stack:type.address), optionally approved by a GitHub login' },
    allowances: { type: 'string', value: 'FILE', description: 'a JSON file of allowances (docs/review.md)' },
    out: { type: 'string', value: 'FILE', description: 'write the comment to FILE instead of standard output' },
    limit: { type: 'string', value: 'N', description: 'cut the comment at N characters (0: no limit)', default: String(GITHUB_COMMENT_LIMIT) },
    title: { type: 'string', value: 'TEXT', description: "the comment's title" },
  },
  notes: [
    'blocks on: state lost, a change the provider cannot apply, a change that does not synthesize, and',
    "  Azure's apply-time traps: a delete under a lock, a subnet deleted while NICs use it, a stack that",
    '  leaves the synth with resources in it (retire it first: retired: true, deploy, then remove it);',
    '  warns of a data-plane write in the same apply as its grant with no time_sleep between them',
    'exit codes here: 0 nothing blocking, 1 blocking, 2 bad input',
  ],
};

/** The usage text of `ase review`. */
export const USAGE = usageText(REVIEW_ARGS);

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
    if (e instanceof CommandError) {
      io.stderr(`${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof ReviewInputError) {
      io.stderr(`ase review: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

function run(argv: readonly string[], io: Io): number {
  const parsed = parseCommandArgs(REVIEW_ARGS, argv);
  if (parsed.help) {
    io.stdout(`${commandHelp(REVIEW_ARGS)}\n`);
    return 0;
  }
  const { positionals } = parsed;
  const values = parsed.values as { ref?: string; plan?: string; allow: string[]; allowances?: string; out?: string; limit: string; title?: string };
  const modes = [values.ref !== undefined, values.plan !== undefined, positionals.length > 0].filter(Boolean).length;
  if (modes !== 1) throw usageError(REVIEW_ARGS, 'give two synth output folders, --ref or --plan (exactly one)');
  const limit = intFlag(REVIEW_ARGS, 'limit', values.limit, 0, Number.MAX_SAFE_INTEGER);
  const allow = parseAllowances(values.allow, values.allowances, io.cwd);
  const options = { allow, limit, ...(values.title !== undefined ? { title: values.title } : {}) };

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
    if (positionals.length !== 2) throw usageError(REVIEW_ARGS, `give two synth output folders (before and after), not ${positionals.length}`);
    const [a, b] = positionals;
    result = reviewOutputs(readSynthOutput(resolve(io.cwd, a)), readSynthOutput(resolve(io.cwd, b)), { ...options, title: values.title ?? `${a} → ${b}` });
  }

  if (values.out !== undefined) writeFileSync(resolve(io.cwd, values.out), result.markdown);
  else io.stdout(result.markdown);
  const open = result.blockers.filter((b) => !b.allowed);
  for (const b of open) io.stderr(`blocking: ${b.resource} ${b.reason}\n`);
  return result.exitCode;
}

/** A GitHub login: letters, digits and single hyphens, 1-39 characters, no hyphen first or last. */
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

/**
 * The allowances from `--allow <resource>[=@<login>]` and `--allowances <file>`, every problem at
 * once (each naming the flag or the file's entry), or a ReviewInputError. The approver's part is
 * split at the last `=@`, so a resource address may itself hold `=`.
 */
export function parseAllowances(flags: readonly string[], file: string | undefined, cwd: string): Allowance[] {
  const out: Allowance[] = [];
  const problems: string[] = [];
  flags.forEach((raw, i) => {
    const at = raw.lastIndexOf('=@');
    const resource = at < 0 ? raw : raw.slice(0, at);
    const by = at < 0 ? undefined : raw.slice(at + 2);
    if (resource.trim() === '' || /\s/.test(resource)) problems.push(`--allow[${i}]: '${raw}' names no resource (expected <resource> or <resource>=@<login>)`);
    else if (by !== undefined && !GITHUB_LOGIN.test(by)) problems.push(`--allow[${i}]: '${by}' after '=@' is not a GitHub login (letters, digits and single hyphens, at most 39)`);
    else out.push(by === undefined ? { resource } : { resource, by });
  });
  if (file !== undefined) {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(resolve(cwd, file), 'utf8'));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(`--allowances: cannot read ${file} (${code ?? `not JSON: ${(e as Error).message}`})`);
    }
    if (data !== undefined && !Array.isArray(data)) problems.push(`--allowances: ${file} must hold a JSON array of { "resource": "…", "by": "<login>" }`);
    else if (Array.isArray(data)) {
      data.forEach((entry: unknown, i) => {
        const e = entry as { resource?: unknown; by?: unknown } | null;
        if (typeof e !== 'object' || e === null) return problems.push(`--allowances: ${file}[${i}]: expected an object { "resource": "…", "by": "<login>" }`);
        const before = problems.length;
        if (typeof e.resource !== 'string' || e.resource.trim() === '' || /\s/.test(e.resource)) problems.push(`--allowances: ${file}[${i}].resource: expected a resource address, got ${JSON.stringify(e.resource)}`);
        if (typeof e.by !== 'string' || !GITHUB_LOGIN.test(e.by)) problems.push(`--allowances: ${file}[${i}].by: expected the GitHub login of who allowed it, got ${JSON.stringify(e.by)}`);
        if (problems.length === before) out.push({ resource: e.resource as string, by: e.by as string });
        return undefined;
      });
    }
  }
  if (problems.length > 0) throw new ReviewInputError(problems.length === 1 ? problems[0] : `${problems.length} problems with the allowances:\n  ${problems.join('\n  ')}`);
  return out;
}
