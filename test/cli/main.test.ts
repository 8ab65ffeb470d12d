/** `ase`: the command table, help, version and unknown commands. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { COMMANDS, helpText, main, packageVersion } from '../../lib/cli/main';

const root = resolve(__dirname, '..', '..');

function capture(run: () => Promise<number>) {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((c) => (out.push(String(c)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((c) => (err.push(String(c)), true));
  return run().then(
    (code) => ((o.mockRestore(), e.mockRestore()), { code, out: out.join(''), err: err.join('') }),
    (x) => ((o.mockRestore(), e.mockRestore()), Promise.reject(x)),
  );
}

test('--help lists every command in the table with its summary, exit 0', async () => {
  const r = await capture(() => main(['--help']));
  expect(r.code).toBe(0);
  expect(r.err).toBe('');
  expect(r.out).toMatch(/^usage: ase <command>/);
  for (const [name, c] of Object.entries(COMMANDS)) expect(r.out).toMatch(new RegExp(`^  ${name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  expect(r.out).toBe(`${helpText()}\n`);
});

test('no command prints the help on stderr and exits 2', async () => {
  const r = await capture(() => main([]));
  expect(r.code).toBe(2);
  expect(r.err).toBe(`${helpText()}\n`);
});

test('an unknown command is one line and the usage on stderr, with a suggestion, exit 2', async () => {
  const r = await capture(() => main(['frnt', 'render']));
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).toMatch(/^ase: unknown command 'frnt' \(did you mean 'front'\?\)\nusage: ase <command> \[arguments\]; commands: .*front.* \(ase --help\)\n$/);
  expect(r.err.trim().split('\n')).toHaveLength(2);
  const far = await capture(() => main(['deploy']));
  expect(far.err).toMatch(/^ase: unknown command 'deploy'\nusage: /);
  // names inherited from Object.prototype are not commands
  expect((await capture(() => main(['constructor']))).code).toBe(2);
});

test('--version is the package version', async () => {
  const r = await capture(() => main(['--version']));
  expect(r.out).toBe(`${JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')).version}\n`);
  expect(packageVersion()).toBe(r.out.trim());
});

test('a command that stops with a CommandError prints only its message and its exit code', async () => {
  const r = await capture(() => main(['front', 'render']));
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/^ase front: render takes <env> <dir>, got 0 argument\(s\)\nusage: ase front render <env> <dir>/);
});

test('npm run ase runs the table through scripts/app.js with the exit code', () => {
  const r = spawnSync(process.execPath, ['scripts/app.js', 'lib/cli/main.ts', 'nope'], { cwd: root, encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/^ase: unknown command 'nope'/);
  expect(r.stdout).toBe('');
});
