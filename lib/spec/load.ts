/**
 * Loading environment specs from files: TypeScript/JavaScript modules (default export or an
 * `environment` export), JSON and YAML. Loading never validates; `validateEnvironment` does.
 * Problems reading a file are returned as issues at the file, never thrown.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { SpecIssue } from './issues';

/** An environment file as loaded, not yet validated. */
export interface LoadedSpec {
  /** The file it came from, relative to the folder it was loaded from. */
  readonly file: string;
  /** The exported or parsed value. @default - none: the file could not be read (see issues) */
  readonly spec?: unknown;
  /** Problems reading the file (never validation issues). */
  readonly issues: readonly SpecIssue[];
  /** The file's text as the user wrote it, to locate problems by line and column. @default - not kept */
  readonly text?: string;
}

/** The lock file beside an environment file: `retail.ts` → `retail.lock.json`. */
export const LOCK_SUFFIX = '.lock.json';
export const lockFileOf = (file: string) => `${file.replace(/\.[^.]+$/, '')}${LOCK_SUFFIX}`;

const MODULE_EXTENSIONS = new Set(['.js', '.cjs', '.ts']);
const DATA_EXTENSIONS = new Set(['.json', '.yaml', '.yml']);

/** The environment files in a folder, in name order (declaration files and tests skipped). */
export function environmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => (MODULE_EXTENSIONS.has(extname(f)) || DATA_EXTENSIONS.has(extname(f))) && !f.endsWith('.d.ts') && !f.endsWith(LOCK_SUFFIX) && !/\.(test|spec)\./.test(f) && !f.startsWith('_') && !f.startsWith('index.'))
    .sort();
}

/**
 * Loads one environment file: a module's default (or `environment`) export, or parsed JSON or
 * YAML. TypeScript files need a require hook registered (ts-node, jest, sucrase/register).
 */
export function loadSpecFile(dir: string, file: string): LoadedSpec {
  const path = join(dir, file);
  const ext = extname(file);
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    /* reported below, by the loader that needs it */
  }
  const withText = (r: LoadedSpec): LoadedSpec => (text === undefined ? r : { ...r, text });
  return withText(loadParsed(path, file, ext, text));
}

function loadParsed(path: string, file: string, ext: string, text: string | undefined): LoadedSpec {
  try {
    if (ext === '.json') return { file, spec: JSON.parse(text ?? readFileSync(path, 'utf8')), issues: [] };
    if (ext === '.yaml' || ext === '.yml') {
      // loaded only when a YAML file exists: it adds ~35 ms to start-up
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { parse } = require('yaml') as typeof import('yaml');
      return { file, spec: parse(text ?? readFileSync(path, 'utf8')), issues: [] };
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path) as Record<string, unknown>;
    const spec = mod.default ?? mod.environment;
    if (spec === undefined) {
      return { file, issues: [{ path: '(file)', code: 'missing', message: 'exports no environment', hint: 'export default defineEnvironment({ … })' }] };
    }
    return { file, spec, issues: [] };
  } catch (e) {
    const message = (e instanceof Error ? e.message.split('\n')[0] : String(e)).replace(/:$/, '');
    // sucrase: "Error transforming <path>: Unexpected token (4:9)"; JSON: "... in JSON at position 12 (line 2 column 3)"
    const ts = /^(?:SyntaxError: )?Error transforming[^:]*: (.*?)\s*\((\d+):(\d+)\)$/.exec(message);
    if (ts) return { file, issues: [{ path: '(file)', code: 'invalid_format', message: `syntax error at line ${ts[2]}, column ${ts[3]}: ${ts[1]}` }] };
    const json = ext === '.json' ? /^(.*?) in JSON at position (\d+)/.exec(message) : null;
    if (json) {
      const before = (text ?? '').slice(0, Number(json[2]));
      const line = before.split('\n').length;
      return { file, issues: [{ path: '(file)', code: 'invalid_format', message: `not valid JSON at line ${line}, column ${before.length - before.lastIndexOf('\n')}: ${json[1]}` }] };
    }
    return { file, issues: [{ path: '(file)', code: 'invalid_format', message: `cannot be read: ${message.replace(` ${path}`, '')}` }] };
  }
}
