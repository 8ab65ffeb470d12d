/**
 * The programs the front VMs run (lib/front/vm/) are linted with the real tool for their language,
 * from Debian's packages: shellcheck for the agent (POSIX sh), pyflakes for the config guard and
 * for the Python the agent runs inline (`python3 -c '…'`, reading Key Vault's reply), taken out of
 * the agent as sh passes it. The router's Lua is linted by lua-lint.test.ts. No nginx here.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { VM_PROGRAM_DIRS, vmProgram } from '../support/vm-programs';

const AGENT = vmProgram('front', 'front-agent.sh');

test('the folder holds the agent and the guard only, each linted below', () => {
  expect(readdirSync(VM_PROGRAM_DIRS.front).sort()).toEqual(['conf-guard.py', 'front-agent.sh']);
  expect(readFileSync(AGENT, 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
});

test('the agent passes shellcheck (POSIX sh, every check, style included)', () => {
  const r = spawnSync('shellcheck', ['--norc', '--shell=sh', '--severity=style', '--format=gcc', AGENT], { encoding: 'utf8' });
  expect(r.error).toBeUndefined();
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});

test('the config guard passes pyflakes', () => {
  const r = spawnSync('pyflakes3', [vmProgram('front', 'conf-guard.py')], { encoding: 'utf8' });
  expect(r.error).toBeUndefined();
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});

test("the agent's inline Python (Key Vault's reply to files) passes pyflakes", () => {
  // every `python3 -c '...'` in the agent: single-quoted, so sh passes the text as it stands
  const inline = [...readFileSync(AGENT, 'utf8').matchAll(/python3 -c '([^']*)'/g)].map((m) => m[1]);
  expect(inline.length).toBe(1);
  expect(inline[0]).toContain('json.load(open(sys.argv[1]))');
  const r = spawnSync('pyflakes3', [], { input: inline[0], encoding: 'utf8' });
  expect(r.error).toBeUndefined();
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});
