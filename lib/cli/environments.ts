/**
 * Loading and validating the environment files of a folder for a command (`ase front`), the way
 * the synth does. TypeScript environment files need a require hook: the one already registered
 * (ts-node, jest), or sucrase's when it is installed (this repository has it; an installing
 * project adds it as a devDependency, or writes JSON or YAML environments).
 */
import { resolve } from 'node:path';
import { formatProblems, validateAll, type EnvironmentFromFile, type FileProblems } from '../spec/environments';
import { environmentFiles, loadSpecFile } from '../spec/load';
import { CommandError } from './command';

/** The folder commands read environments from unless told otherwise (`--environments`). */
export const DEFAULT_ENVIRONMENTS = 'stacks/environments';

/** Registers sucrase for .ts environment files unless a TypeScript hook is already there. */
export function ensureTypeScriptHook(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const extensions = require.extensions as Record<string, unknown> | undefined;
  if (!extensions || extensions['.ts']) return;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('sucrase/register/ts');
  } catch {
    throw new CommandError('TypeScript environment files need a TypeScript loader: install sucrase (npm install --save-dev sucrase), or write the environment as JSON or YAML');
  }
}

/** Why a folder of environment files cannot be read, in words (no errno names, no stack). */
export function folderProblem(folder: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : ((e as Error).message ?? String(e));
  return `cannot read environments from ${folder}: ${why} (--environments DIR names the folder of environment files)`;
}

/**
 * Loads and validates every environment file in `folder` (relative to the working directory):
 * the valid environments and every problem of every file. Throws a {@link CommandError} only when
 * the folder cannot be read or TypeScript files cannot be loaded.
 */
export function readEnvironments(folder = DEFAULT_ENVIRONMENTS): { environments: EnvironmentFromFile[]; problems: FileProblems } {
  const dir = resolve(folder);
  let files: string[];
  try {
    files = environmentFiles(dir);
  } catch (e) {
    throw new CommandError(folderProblem(folder, e), 2);
  }
  if (files.some((f) => f.endsWith('.ts'))) ensureTypeScriptHook();
  return validateAll(files.map((f) => loadSpecFile(dir, f)));
}

/**
 * The named environment, or a {@link CommandError}: every problem when some file has problems,
 * else the names that are there.
 */
export function loadEnvironment(name: string, folder = DEFAULT_ENVIRONMENTS): EnvironmentFromFile {
  const { environments, problems } = readEnvironments(folder);
  const env = environments.find((e) => e.name === name);
  if (env) return env;
  if (problems.length > 0) throw new CommandError(formatProblems(problems, folder));
  throw new CommandError(`no environment named '${name}' in ${folder} (there: ${environments.map((e) => e.name).join(', ') || 'none'})`);
}
