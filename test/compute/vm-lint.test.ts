/**
 * The programs the service VMs run (lib/compute/vm/) are linted with the real tool for their
 * language, from Debian's packages: shellcheck (package shellcheck) for the POSIX sh ones,
 * pyflakes (package pyflakes3) for the Python ones. Each lints the file itself, as custom data
 * carries it byte for byte. No check is turned off; a targeted `# shellcheck disable=` in a file
 * would carry its reason beside it.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { VM_PROGRAM_DIRS, vmPrograms } from '../support/vm-programs';

const shell = vmPrograms('service', '.sh');
const python = vmPrograms('service', '.py');

test('the folder holds shell and Python programs only, each linted below', () => {
  expect(readdirSync(VM_PROGRAM_DIRS.service).sort()).toEqual(['cert-expiry.sh', 'drain.py', 'fetch-release.sh', 'fetch-secrets.py', 'publish-certs.sh', 'release-agent.py', 'retry.sh', 'vm-health.py']);
  for (const f of shell) expect(readFileSync(f, 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
  for (const f of python) expect(readFileSync(f, 'utf8').startsWith('#!/usr/bin/env python3\n')).toBe(true);
});

test.each(shell.map((f) => [basename(f), f]))('%s passes shellcheck (POSIX sh, every check, style included)', (_name, file) => {
  const r = spawnSync('shellcheck', ['--norc', '--shell=sh', '--severity=style', '--format=gcc', file], { encoding: 'utf8' });
  expect(r.error).toBeUndefined();
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});

test.each(python.map((f) => [basename(f), f]))('%s passes pyflakes', (_name, file) => {
  const r = spawnSync('pyflakes3', [file], { encoding: 'utf8' });
  expect(r.error).toBeUndefined();
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});

test('the linters are not a formality: each finds a planted mistake', () => {
  const sh = spawnSync('shellcheck', ['--norc', '--shell=sh', '--format=gcc', '-'], { input: '#!/bin/sh\nrm -rf $dir/\n', encoding: 'utf8' });
  expect(sh.stdout).toMatch(/SC2086/);
  expect(sh.status).not.toBe(0);
  const py = spawnSync('pyflakes3', [], { input: 'import os\nprint(undefined_name)\n', encoding: 'utf8' });
  expect(py.stdout).toMatch(/'os' imported but unused/);
  expect(py.stdout).toMatch(/undefined name 'undefined_name'/);
  expect(py.status).not.toBe(0);
});
