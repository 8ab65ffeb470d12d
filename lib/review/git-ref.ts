/**
 * Git-ref mode: synthesize a ref of this repository in a temporary worktree, and the working tree,
 * each with the cdktf app command its `cdktf.json` names (as `cdktf synth` does: the app runs with
 * CDKTF_OUTDIR set). Works for any cdktf app that uses the library, not only this repository's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { readSynthOutput, ReviewInputError, type SynthOutput } from './config-diff';

export interface SideResult {
  readonly output: SynthOutput;
  /** The app's error output when it did not synthesize (the side then counts as empty). */
  readonly failure?: string;
}

const EMPTY: SynthOutput = { stacks: {}, summaries: {} };

function git(cwd: string, args: readonly string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new ReviewInputError(`git is not available: ${r.error.message}`);
  if (r.status !== 0) throw new ReviewInputError(`git ${args.join(' ')}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  return r.stdout.trim();
}

function appCommand(projectDir: string): string {
  const file = join(projectDir, 'cdktf.json');
  if (!existsSync(file)) throw new ReviewInputError(`${projectDir} has no cdktf.json: run the review from the cdktf app's folder`);
  let app: unknown;
  try {
    app = (JSON.parse(readFileSync(file, 'utf8')) as { app?: unknown }).app;
  } catch (e) {
    throw new ReviewInputError(`${file} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof app !== 'string' || app.trim() === '') throw new ReviewInputError(`${file} names no "app" command`);
  return app;
}

/** Runs the app's synth into `outdir`; a failing app is reported, not thrown. */
export function synthesizeAt(projectDir: string, outdir: string): SideResult {
  const r = spawnSync(appCommand(projectDir), {
    cwd: projectDir,
    shell: true,
    encoding: 'utf8',
    env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0 || !existsSync(join(outdir, 'manifest.json'))) {
    return { output: EMPTY, failure: (r.stderr || r.stdout || `exit code ${r.status}`).trim() };
  }
  return { output: readSynthOutput(outdir) };
}

/** Synthesizes `ref` (in a temporary worktree) and the working tree of `projectDir`. */
export function synthesizeRefAndWorkingTree(projectDir: string, ref: string): { before: SideResult; after: SideResult } {
  const dir = resolve(projectDir);
  const top = git(dir, ['rev-parse', '--show-toplevel']);
  const found = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: dir, encoding: 'utf8' });
  if (found.status !== 0) throw new ReviewInputError(`--ref ${ref}: no such commit, branch or tag in ${top} (git rev-parse finds none; fetch it first, or name it as origin/<branch>)`);
  const commit = found.stdout.trim();
  const tmp = mkdtempSync(join(tmpdir(), 'ase-review-'));
  const worktree = join(tmp, 'base');
  try {
    git(dir, ['worktree', 'add', '--detach', '--quiet', worktree, commit]);
    const baseProject = join(worktree, relative(top, dir));
    // the base runs with the working tree's installed packages (a worktree has no node_modules)
    if (existsSync(join(dir, 'node_modules')) && !existsSync(join(baseProject, 'node_modules'))) symlinkSync(join(dir, 'node_modules'), join(baseProject, 'node_modules'), 'dir');
    const before = synthesizeAt(baseProject, join(tmp, 'before.out'));
    const after = synthesizeAt(dir, join(tmp, 'after.out'));
    return { before, after };
  } finally {
    spawnSync('git', ['worktree', 'remove', '--force', worktree], { cwd: dir });
    rmSync(tmp, { recursive: true, force: true });
    spawnSync('git', ['worktree', 'prune'], { cwd: dir });
  }
}
