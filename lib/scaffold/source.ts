/**
 * Reading an environment file's text the way the synth reads the file (`lib/spec/load.ts`): a
 * module's default export (or its `environment` export), parsed JSON, or parsed YAML. The scaffold
 * checks an edited text before it writes it, so a TypeScript text is transpiled with sucrase (the
 * synth's transpiler) and run in memory, with the file's own path for its imports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { ScaffoldError } from './errors';

export type EnvironmentFormat = 'ts' | 'json' | 'yaml';

export const ENVIRONMENT_EXTENSIONS: Readonly<Record<string, EnvironmentFormat>> = { '.ts': 'ts', '.json': 'json', '.yaml': 'yaml', '.yml': 'yaml' };

export function formatOf(file: string): EnvironmentFormat | undefined {
  return ENVIRONMENT_EXTENSIONS[extname(file)];
}

/**
 * The root of this library's source checkout (the folder holding `lib/spec/schema.ts`), when the
 * scaffold runs from one (tests, `scripts/app.js`); undefined in an installed package.
 */
export function librarySourceRoot(): string | undefined {
  for (let d = __dirname; ; d = dirname(d)) {
    if (d.split(sep).includes('node_modules')) return undefined;
    if (existsSync(join(d, 'lib', 'spec', 'schema.ts'))) return d;
    if (dirname(d) === d) return undefined;
  }
}

/** The name of the package this code ships in (for imports in files written outside the checkout). */
export function packageName(): string {
  for (let d = __dirname; dirname(d) !== d; d = dirname(d)) {
    const p = join(d, 'package.json');
    if (existsSync(p)) {
      const name = (JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name;
      if (name) return name;
    }
  }
  return 'azure-slot-environments';
}

/** Parses an environment file's text; throws a ScaffoldError naming `field` when it cannot. */
export function parseEnvironmentText(text: string, file: string, field: string): unknown {
  const format = formatOf(file);
  try {
    if (format === 'json') return JSON.parse(text);
    if (format === 'yaml') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { parseDocument } = require('yaml') as typeof import('yaml');
      const doc = parseDocument(text);
      if (doc.errors.length > 0) throw new Error(doc.errors[0].message.split('\n')[0]);
      return doc.toJS();
    }
    if (format === 'ts') {
      const mod = evaluateModule(text, resolve(file), new Map()) as Record<string, unknown>;
      const spec = mod.default ?? mod.environment;
      if (spec === undefined) throw new Error('exports no environment (export default defineEnvironment({ … }))');
      return spec;
    }
  } catch (e) {
    throw new ScaffoldError(field, `${file} cannot be read: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
  }
  throw new ScaffoldError(field, `${file}: not an environment file (expected ${Object.keys(ENVIRONMENT_EXTENSIONS).join(', ')})`);
}

/** Runs TypeScript module text in memory; relative .ts imports are transpiled the same way. */
function evaluateModule(text: string, file: string, cache: Map<string, unknown>): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { transform } = require('sucrase') as typeof import('sucrase');
  const { code } = transform(text, { transforms: ['typescript', 'imports'], filePath: file });
  const nodeRequire = createRequire(file);
  const root = librarySourceRoot();
  const ownSchema = root ? join(root, 'lib', 'spec', 'schema') : undefined;
  const pkg = packageName();
  const localRequire = (spec: string): unknown => {
    if (spec.startsWith('.') || spec.startsWith('/')) {
      const abs = resolve(dirname(file), spec);
      // the library's own spec module: the copy already loaded here (defineEnvironment is the identity)
      if (ownSchema && abs.replace(/\.(ts|js)$/, '') === ownSchema) return require('../spec/schema');
      for (const candidate of [abs, `${abs}.ts`, join(abs, 'index.ts')]) {
        if (candidate.endsWith('.ts') && existsSync(candidate)) {
          if (!cache.has(candidate)) cache.set(candidate, evaluateModule(readFileSync(candidate, 'utf8'), candidate, cache));
          return cache.get(candidate);
        }
      }
      return nodeRequire(spec);
    }
    try {
      return nodeRequire(spec);
    } catch (e) {
      // the library itself, imported by name from a project that runs the scaffold from its checkout
      if (spec === pkg || spec.startsWith(`${pkg}/`)) return require('../spec/schema');
      throw e;
    }
  };
  const module = { exports: {} as Record<string, unknown> };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('exports', 'require', 'module', '__filename', '__dirname', code)(module.exports, localRequire, module, file, dirname(file));
  return module.exports;
}
