/**
 * The README's usage examples ("The library in your own cdktf app") cannot rot: every ```ts block
 * of that section is type-checked against the library with the TypeScript compiler API, with the
 * package name mapped to lib/index.ts as an installed package resolves it, and every example is
 * run to synthesize into a temp folder.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { tempDir } from '../helpers';

const root = resolve(__dirname, '..', '..');
const SECTION = 'The library in your own cdktf app';

interface Example {
  readonly heading: string;
  readonly line: number;
  readonly code: string;
}

/** The part of commonmark's document tree read here (the package ships no types). */
interface MdNode {
  readonly type: string;
  readonly level: number;
  readonly info: string | null;
  readonly literal: string | null;
  readonly sourcepos: [[number, number], [number, number]];
  readonly firstChild: MdNode | null;
  readonly next: MdNode | null;
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

/** The ```ts blocks under the section's h2 (top-level blocks), each with the nearest heading above it. */
function examples(): Example[] {
  const doc = new commonmark.Parser().parse(readFileSync(join(root, 'README.md'), 'utf8'));
  const found: Example[] = [];
  let inSection = false;
  let heading = '';
  for (let n = doc.firstChild; n; n = n.next) {
    if (n.type === 'heading') {
      const text = textOf(n);
      if (n.level === 2) inSection = text === SECTION;
      heading = text;
    }
    if (inSection && n.type === 'code_block' && /^(ts|typescript)\b/.test((n.info ?? '').trim())) found.push({ heading, line: n.sourcepos[0][0], code: n.literal ?? '' });
  }
  return found;
}

const all = examples();
const fileOf = (i: number) => join(root, 'test', 'package', `readme-example-${i}.ts`); // virtual: never written

test('the section has an example per construct', () => {
  const code = all.map((e) => e.code).join('\n');
  for (const name of ['ScaleSet', 'InternalLoadBalancer', 'Autoscale', 'SlotPair', 'NginxFront', 'KeyVault', 'KeyVaultCertificate', 'ServiceNetwork', 'buildEnvironment']) {
    expect(code).toMatch(new RegExp(`new ${name}\\(|${name}\\(`));
  }
  for (const e of all) expect(e.code).toMatch(/from 'azure-slot-environments'/);
});

test('every example type-checks against the library', () => {
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
    paths: { 'azure-slot-environments': ['lib/index.ts'] },
  };
  const host = ts.createCompilerHost(options);
  const virtual = new Map(all.map((e, i) => [fileOf(i), e.code]));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (virtual.has(name) ? ts.createSourceFile(name, virtual.get(name)!, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => virtual.has(name) || fileExists(name);
  const program = ts.createProgram([...virtual.keys()], options, host);
  const problems = ts.getPreEmitDiagnostics(program).map((d) => {
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const i = d.file ? [...virtual.keys()].indexOf(d.file.fileName) : -1;
    const where = i >= 0 ? `README.md:${all[i].line + 1 + (at?.line ?? 0)} (${all[i].heading})` : (d.file?.fileName ?? '');
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  expect(problems).toEqual([]);
});

test.each(all.map((e, i) => [e.heading, i] as const))('the example under "%s" synthesizes', (_, i) => {
  const out = tempDir('readme-example-');
  const { outputText } = ts.transpileModule(all[i].code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
  const load = (id: string) => (id === 'azure-slot-environments' ? require('../../lib/index') : require(id));
  const before = process.env.CDKTF_OUTDIR;
  process.env.CDKTF_OUTDIR = out;
  try {
    new Function('require', 'module', 'exports', outputText)(load, { exports: {} }, {});
  } finally {
    if (before === undefined) delete process.env.CDKTF_OUTDIR;
    else process.env.CDKTF_OUTDIR = before;
  }
  try {
    const stacks = readdirSync(join(out, 'stacks'));
    expect(stacks.length).toBeGreaterThan(0);
    for (const s of stacks) {
      const file = join(out, 'stacks', s, 'cdk.tf.json');
      expect(existsSync(file)).toBe(true);
      expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).resource ?? {}).length).toBeGreaterThan(0);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
