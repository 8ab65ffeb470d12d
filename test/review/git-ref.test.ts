/**
 * Git-ref mode end to end: a throwaway repository whose cdktf.json runs this project's app on an
 * environment folder. `ase review --ref HEAD` synthesizes the commit in a temporary worktree and
 * the working tree, each with the app command, and compares them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runReview } from './run-review';
import { exampleSpec, tempDir, type Json } from '../helpers';

const app = resolve(__dirname, '../../scripts/app.js');
let repo: string;

const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], { cwd: repo, encoding: 'utf8' });
const writeSpec = (spec: Json) => writeFileSync(join(repo, 'envs', 'retail.json'), `${JSON.stringify(spec, null, 2)}\n`);

const cli = (args: string[]) => runReview(args, repo);

beforeAll(() => {
  repo = tempDir('ase-ref-');
  mkdirSync(join(repo, 'envs'));
  writeFileSync(join(repo, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: `node ${app} --environments envs` }));
  writeSpec(exampleSpec() as Json);
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'base');
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

test('a swap in the working tree against HEAD', () => {
  const spec = exampleSpec() as Json;
  spec.services[0].traffic = { live: 'green' };
  writeSpec(spec);
  const r = cli(['--ref', 'HEAD', '--out', 'review.md']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const md = execFileSync('cat', [join(repo, 'review.md')], { encoding: 'utf8' });
  expect(md).toContain('## Plan review: HEAD → working tree');
  expect(md).toContain('| retail/pricing | blue → **green** |');
  expect(md).toContain('| `+/-` version | `azurerm_storage_blob.front_routing-table` | routing table: new version `');
  // the worktree and the temporary outputs are gone
  expect(git('worktree', 'list').trim().split('\n')).toHaveLength(1);
  expect(readdirSync(repo).sort()).toEqual(['.git', 'cdktf.json', 'envs', 'review.md']);
});

test('a working tree that does not synthesize blocks, with the problems in the comment', () => {
  const spec = exampleSpec() as Json;
  spec.services[0].traffic = { live: 'purple' };
  writeSpec(spec);
  const r = cli(['--ref', 'HEAD']);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('The change does not synthesize');
  expect(r.stdout).toMatch(/services\[0\] \(pricing\)\.traffic\.live/);
  expect(r.stderr).toContain('blocking: (synth) the change does not synthesize');
});

test('an unknown ref is bad input', () => {
  const r = cli(['--ref', 'no-such-branch']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^ase review: --ref no-such-branch: no such commit, branch or tag in /);
  expect(existsSync(join(repo, 'envs', 'retail.json'))).toBe(true);
});
