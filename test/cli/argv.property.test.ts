/**
 * One command-line convention (lib/cli/args.ts): random argument vectors and broken files fed to
 * every command, in process, from an empty working folder. Whatever the input: no stack trace, no
 * raw Node error, an exit code of the convention (0, 1 or 2; never 70, a defect), and nothing
 * written.
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main';

const work = mkdtempSync(join(tmpdir(), 'ase-argv-'));
const cwd = process.cwd();
// folders of environment files, none valid: missing, empty, and broken in each format
const broken = join(work, 'broken');
const empty = join(work, 'empty');
mkdirSync(broken);
mkdirSync(empty);
writeFileSync(join(broken, 'syntax.ts'), 'export default {\n  name: "x",\n  services: [ ,\n  oops: }\n');
writeFileSync(join(broken, 'bad.json'), '{"name": "x", ');
writeFileSync(join(broken, 'wrong.yaml'), 'name: 3\nservices: {}\n');
writeFileSync(join(broken, 'empty.ts'), 'export const nothing = 1;\n');
writeFileSync(join(work, 'not-a-folder'), 'x');
const home = join(work, 'cwd');
mkdirSync(home);

function tree(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [`${e.name}/`, ...tree(join(dir, e.name)).map((x) => `${e.name}/${x}`)] : [`${e.name}:${statSync(join(dir, e.name)).size}`]));
}

async function capture(run: () => Promise<number> | number) {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((c) => (out.push(String(c)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((c) => (err.push(String(c)), true));
  try {
    const code = await run();
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const FLAGS = ['--environments', '--environments=', '--out', '--frozen-lock', '--port', '--requests', '--json', '--ref', '--plan', '--allow', '--allowances', '--limit', '--title', '--env', '--version', '--sha256', '--min', '--max', '--dir', '--tag', '--ssh-key', '--subscription', '--help', '-h', '--', '--bogus', '--envirnoments', '-x', '--port=abc', '--limit=-1', '--json=yes'];
const VALUES = ['retail', 'x', '', ' ', 'render', 'preview', 'environment', 'service', 'HEAD', 'no-such-ref', '0', '-1', '99999999999', '1e3', '8080', 'NaN', '${x}', '%{if}', '\u0000', 'é', '../..', broken, empty, join(work, 'missing'), join(work, 'not-a-folder'), join(broken, 'bad.json'), join(broken, 'syntax.ts')];
const token = fc.oneof(fc.constantFrom(...FLAGS), fc.constantFrom(...VALUES), fc.string({ maxLength: 12 }));
// the commands, and the shapes a user types them in; the synth app is `ase synth`
const COMMANDS = ['front', 'front render', 'front preview', 'prerequisites', 'review', 'new', 'new environment', 'new service', 'synth', 'frnt', ''];

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

afterAll(() => {
  process.chdir(cwd);
  rmSync(work, { recursive: true, force: true });
});

test('random argument vectors to every command: no stack trace, exit 0/1/2, nothing written', async () => {
  process.chdir(home);
  const before = tree(work);
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...COMMANDS), fc.array(token, { maxLength: 6 }), async (command, rest) => {
      // `front preview` of a valid environment would serve until Ctrl-C: there is none here
      const argv = [...command.split(' ').filter(Boolean), ...rest];
      const r = await capture(() => main(argv));
      const said = `${r.out}${r.err}`;
      expect(said).not.toMatch(STACK);
      expect(said).not.toMatch(/node:internal|ERR_[A-Z_]{4,}|ENOENT|EISDIR|ENOTDIR|TypeError|ReferenceError|SyntaxError: /);
      expect([0, 1, 2]).toContain(r.code);
      if (r.code !== 0) expect(r.err.trim()).not.toBe('');
      expect(tree(work)).toEqual(before);
    }),
    { numRuns: 400, seed: 20261201 },
  );
  process.chdir(cwd);
});

test('the synth with each broken folder: every problem, exit 1 or 2, nothing written', async () => {
  process.chdir(home);
  const before = tree(work);
  const cases: Array<[string[], number, RegExp]> = [
    [['--environments', broken], 1, /syntax\.ts: 1 problem\n {2}\(file\): syntax error at line 4, column 9/],
    [['--environments', join(work, 'missing')], 2, /no such folder/],
    [['--environments', join(work, 'not-a-folder')], 2, /not a folder/],
    [['--environmnets', broken], 2, /unknown flag --environmnets \(did you mean '--environments'\?\)/],
    [[], 2, /cannot read environments from stacks\/environments: no such folder/],
  ];
  for (const [argv, code, said] of cases) {
    const r = await capture(() => main(['synth', ...argv]));
    expect({ argv, code: r.code }).toEqual({ argv, code });
    expect(r.err).toMatch(said);
    expect(r.err).not.toMatch(STACK);
  }
  const all = await capture(() => main(['synth', '--environments', broken]));
  // every file's problems at once
  for (const f of ['syntax.ts', 'bad.json', 'wrong.yaml', 'empty.ts']) expect(all.err).toContain(f);
  expect(all.err).toMatch(/Nothing was written\.\n$/);
  expect(tree(work)).toEqual(before);
  process.chdir(cwd);
});

test('every command answers --help from its declaration: each flag it accepts is explained', async () => {
  for (const [command, flags] of [
    ['front', ['--environments', '--port', '--requests']],
    ['prerequisites', ['--environments', '--json']],
    ['review', ['--ref', '--plan', '--allow', '--allowances', '--out', '--limit', '--title']],
    ['synth', ['--environments', '--out', '--frozen-lock']],
    ['new environment', ['--subscription', '--tenant', '--ssh-key', '--deployer', '--deployer-ip-range', '--region', '--address-space', '--tag', '--artifact-store', '--http-only', '--dir', '--import']],
    ['new service', ['--env', '--version', '--sha256', '--artifact-url', '--gallery-image', '--vm-size', '--min', '--max', '--instances-per-vm', '--block', '--from', '--dir']],
  ] as const) {
    const r = await capture(() => main([...command.split(' '), '--help']));
    expect({ command, code: r.code }).toEqual({ command, code: 0 });
    expect(r.out).toMatch(/exit codes: 0 done, 1 problems found in the input \(nothing written\), 2 misuse of the command, 70 a defect of the tool/);
    for (const f of flags) expect(r.out).toMatch(new RegExp(`^  (-\\w, )?${f}\\b.* \\S`, 'm'));
  }
});

test('a defect of the tool is one line naming it, exit 70, the stack only with ASE_DEBUG=1', async () => {
  const { settle } = await import('../../lib/cli/main');
  const boom = () => {
    throw new TypeError("Cannot read properties of undefined (reading 'x')");
  };
  const r = await capture(() => settle('ase test', boom));
  expect(r.code).toBe(70);
  expect(r.err).toMatch(/^ase test: internal error: Cannot read properties of undefined \(reading 'x'\)\nThis is a defect of the tool, not of your input/);
  expect(r.err).not.toMatch(STACK);
  process.env.ASE_DEBUG = '1';
  try {
    expect((await capture(() => settle('ase test', boom))).err).toMatch(STACK);
  } finally {
    delete process.env.ASE_DEBUG;
  }
});
