/**
 * The test files kept out of the suite and run as CI steps of their own (test:runtime, test:cli)
 * exist, belong to one step each, and are the ones the suite leaves out: a renamed file cannot drop
 * out of every step silently.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import RUNTIME from './runtime-tests.json';
import CLI from './cli-tests.json';

const REPO = join(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require('../jest.config.js') as { testPathIgnorePatterns: string[] };

test.each([...RUNTIME, ...CLI])('%s exists and the suite leaves it out', (file) => {
  expect(existsSync(join(REPO, file))).toBe(true);
  if (!process.env.ASE_RUNTIME_TESTS && !process.env.ASE_CLI_TESTS) expect(config.testPathIgnorePatterns.some((p) => new RegExp(p).test(`${REPO}/${file}`))).toBe(true);
});

test('no file is in two steps', () => {
  expect(RUNTIME.filter((f) => CLI.includes(f))).toEqual([]);
});
