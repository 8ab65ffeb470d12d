/**
 * The code in the docs cannot rot. Every fenced block in README.md and docs/*.md whose info string
 * starts with `ts` or `typescript` is checked, wherever it sits (under any heading, in a list item):
 *
 * - every such block is type-checked against the library with the TypeScript compiler API, the
 *   package name mapped to lib/index.ts as an installed package resolves it (in CI's slow step:
 *   test/slow/doc-types.test.ts runs this file with ASE_DOCS_TYPECHECK=1);
 * - a block with `export default defineEnvironment(` is an environment file, as pasted into
 *   stacks/environments/: it is type-checked there (its `../../lib/spec/schema` import resolves) and
 *   synthesized through `synthesize()`, as `npm run synth` does (validation, every stack, the
 *   policy pack, the lock check), into a temp folder;
 * - a block that calls `app.synth()` is a cdktf app: it is run, and must write stacks with resources.
 *
 * A block opts out with `no-check` after the language (```ts no-check). Use it only for fragments
 * (a spec excerpt, a single field, lines that only make sense inside a larger file); a block that
 * says it is complete must be checked.
 *
 * The structure is checked too: the README stays a five-minute read (under 250 lines) with a
 * complete environment example, links every docs page, and no relative link in the docs points to
 * a missing file or outside the repository.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { formatProblems, synthesize } from '../../lib/environment/synthesize';
import { tempDir } from '../helpers';

const root = resolve(__dirname, '..', '..');
const envDir = join(root, 'stacks', 'environments');
const PACKAGE = 'azure-slot-environments';
const FILES = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

type Kind = 'environment' | 'app' | 'module';
interface Example {
  readonly file: string;
  readonly heading: string;
  readonly line: number;
  readonly code: string;
  readonly kind: Kind;
}

/** The part of commonmark's document tree read here (the package ships no types). */
interface MdNode {
  readonly type: string;
  readonly level: number;
  readonly info: string | null;
  readonly literal: string | null;
  readonly destination: string | null;
  readonly sourcepos: [[number, number], [number, number]];
  readonly firstChild: MdNode | null;
  readonly next: MdNode | null;
  walker(): { next(): { entering: boolean; node: MdNode } | null };
}
interface Commonmark {
  Parser: new () => { parse(text: string): MdNode };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const commonmark: Commonmark = require('commonmark');

const textOf = (n: MdNode): string => {
  let out = '';
  for (let c = n.firstChild; c; c = c.next) out += c.literal ?? textOf(c);
  return out;
};

/** Every node of a document, in order. */
function* nodes(file: string): Generator<MdNode> {
  const walker = new commonmark.Parser().parse(readFileSync(join(root, file), 'utf8')).walker();
  for (let e = walker.next(); e; e = walker.next()) if (e.entering) yield e.node;
}

const kindOf = (code: string): Kind => (/export default defineEnvironment\(/.test(code) ? 'environment' : /\bapp\.synth\(\)/.test(code) ? 'app' : 'module');

/** The checked TypeScript blocks of one file, each with the nearest heading above it. */
function examplesOf(file: string): Example[] {
  const found: Example[] = [];
  let heading = '';
  for (const n of nodes(file)) {
    if (n.type === 'heading') heading = textOf(n);
    const info = (n.info ?? '').trim().split(/\s+/);
    if (n.type !== 'code_block' || !/^(ts|typescript)$/.test(info[0])) continue;
    if (info.includes('no-check')) continue;
    const code = n.literal ?? '';
    found.push({ file, heading, line: n.sourcepos[0][0], code, kind: kindOf(code) });
  }
  return found;
}

const all = FILES.flatMap(examplesOf);
// virtual files, never written: an environment file where a user pastes it, the rest beside this test
const fileOf = (e: Example, i: number) => (e.kind === 'environment' ? join(envDir, `docs-example-${i}.ts`) : join(__dirname, `docs-example-${i}.ts`));
const where = (e: Example) => `${e.file}:${e.line} (${e.heading})`;

test('the docs have checked examples, and the README a complete environment file', () => {
  expect(all.filter((e) => e.file === 'README.md' && e.kind === 'environment').length).toBe(1);
  const readmeEnv = all.find((e) => e.file === 'README.md' && e.kind === 'environment')!;
  expect(readmeEnv.code).toMatch(/\bdeployer:/);
  expect(all.filter((e) => e.file === 'docs/getting-started.md').length).toBeGreaterThan(5);
});

test('getting started has an example per construct, each importing the package', () => {
  const own = all.filter((e) => e.file === 'docs/getting-started.md');
  const code = own.map((e) => e.code).join('\n');
  for (const name of ['ScaleSet', 'InternalLoadBalancer', 'Autoscale', 'SlotPair', 'NginxFront', 'KeyVault', 'KeyVaultCertificate', 'ServiceNetwork', 'buildEnvironment', 'PolicyAspect', 'suppressPolicy']) {
    expect(code).toMatch(new RegExp(`new ${name}\\(|${name}\\(`));
  }
  for (const e of own) expect(e.code).toMatch(new RegExp(`from '${PACKAGE}'`));
});

// the type-check takes about 8 s of CPU (the whole library): in CI's slow step (test/slow/doc-types.test.ts), as the
// suite leaves type-checking to npm run typecheck
const typeCheckDocs = () => {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    noUnusedLocals: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    baseUrl: root,
    paths: { [PACKAGE]: ['lib/index.ts'] },
  };
  const host = ts.createCompilerHost(options);
  const virtual = new Map(all.map((e, i) => [fileOf(e, i), e.code]));
  const names = [...virtual.keys()];
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (virtual.has(name) ? ts.createSourceFile(name, virtual.get(name)!, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => virtual.has(name) || fileExists(name);
  const program = ts.createProgram(names, options, host);
  const problems = ts.getPreEmitDiagnostics(program).map((d) => {
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const i = d.file ? names.indexOf(d.file.fileName) : -1;
    const place = i >= 0 ? `${all[i].file}:${all[i].line + 1 + (at?.line ?? 0)} (${all[i].heading})` : (d.file?.fileName ?? '');
    return `${place}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  expect(problems).toEqual([]);
};
if (process.env.ASE_DOCS_TYPECHECK) test('every TypeScript block in the docs type-checks against the library', typeCheckDocs);

/** Runs a block as CommonJS; relative imports resolve from where its virtual file lies. */
function run(e: Example, i: number): Record<string, unknown> {
  const { outputText } = ts.transpileModule(e.code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
  const from = dirname(fileOf(e, i));
  const load = (id: string) => (id === PACKAGE ? require('../../lib/index') : id.startsWith('.') ? require(resolve(from, id)) : require(id));
  const mod = { exports: {} as Record<string, unknown> };
  new Function('require', 'module', 'exports', outputText)(load, mod, mod.exports);
  return mod.exports;
}

/** The stacks written to `out`, each with resources. */
function expectStacks(out: string) {
  const stacks = readdirSync(join(out, 'stacks'));
  expect(stacks.length).toBeGreaterThan(0);
  for (const s of stacks) {
    const file = join(out, 'stacks', s, 'cdk.tf.json');
    expect(existsSync(file)).toBe(true);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).resource ?? {}).length).toBeGreaterThan(0);
  }
  return stacks;
}

const environments = all.map((e, i) => [where(e), i] as const).filter(([, i]) => all[i].kind === 'environment');
test.each(environments)('the environment file at %s synthesizes as npm run synth would', (_, i) => {
  const out = tempDir('docs-env-');
  const locks = tempDir('docs-env-lock-');
  try {
    const spec = run(all[i], i).default;
    const name = (spec as { name: string }).name;
    const result = synthesize([{ file: `${name}.ts`, spec, issues: [] }], join(out, 'cdktf.out'), { lockDir: locks, projectRoot: root });
    if (!result.ok) throw new Error(`${where(all[i])}:\n${formatProblems(result.problems, 'stacks/environments')}`);
    expect(expectStacks(join(out, 'cdktf.out'))).toEqual(expect.arrayContaining([`${name}-network`, `${name}-identities`, `${name}-front`]));
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(locks, { recursive: true, force: true });
  }
});

const apps = all.map((e, i) => [where(e), i] as const).filter(([, i]) => all[i].kind === 'app');
test.each(apps)('the cdktf app at %s synthesizes', (_, i) => {
  const out = tempDir('docs-example-');
  const before = process.env.CDKTF_OUTDIR;
  process.env.CDKTF_OUTDIR = out;
  try {
    run(all[i], i);
  } finally {
    if (before === undefined) delete process.env.CDKTF_OUTDIR;
    else process.env.CDKTF_OUTDIR = before;
  }
  try {
    expectStacks(out);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the README is a five-minute read that links every docs page', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  expect(readme.split('\n').length).toBeLessThan(250);
  expect(readme).toContain('npm ci && npm run synth');
  expect(readme).toContain('npm ci && npm test');
  expect(readme).toMatch(/```mermaid/);
  const linked = new Set([...nodes('README.md')].filter((n) => n.type === 'link').map((n) => n.destination!.replace(/#.*$/, '')));
  for (const f of FILES.filter((f) => f !== 'README.md')) expect(linked).toContain(f);
});

test('every relative link in the docs names a file in the repository', () => {
  const bad: string[] = [];
  for (const file of FILES) {
    for (const n of nodes(file)) {
      if (n.type !== 'link' && n.type !== 'image') continue;
      const dest = n.destination ?? '';
      if (/^[a-z]+:/i.test(dest) || dest.startsWith('#')) continue;
      const target = resolve(root, dirname(file), decodeURI(dest.replace(/#.*$/, '')));
      const inside = !relative(root, target).startsWith('..');
      if (!inside || !existsSync(target)) bad.push(`${file}:${n.sourcepos?.[0]?.[0] ?? '?'}: ${dest}${inside ? ' (missing)' : ' (outside the repository)'}`);
    }
  }
  expect(bad).toEqual([]);
});
