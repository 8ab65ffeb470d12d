/**
 * The lock file proves a retirement was synthesized, not that it was deployed. One pull request
 * that sets `retired: true`, synthesizes (the lock now says retired) and then removes the entry
 * passes the synth, so `ase review --ref <base>` must catch it: the base still holds the stack
 * with its resources. Done as two merged changes, the same removal reviews clean.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../lib/review/cli';
import { synthesize } from '../../lib/environment/synthesize';
import { exampleSpec, tempDir, type Json } from '../helpers';
import { changed } from './harness';

const app = resolve(__dirname, '../../scripts/app.js');
let repo: string;

const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], { cwd: repo, encoding: 'utf8' });
/** Writes the spec and synthesizes it as a developer would, updating the lock file beside it. */
function edit(spec: Json): void {
  writeFileSync(join(repo, 'envs', 'retail.json'), `${JSON.stringify(spec, null, 2)}\n`);
  const r = synthesize([{ file: 'retail.json', spec, issues: [] }], join(repo, 'cdktf.out'), { lockDir: join(repo, 'envs') });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  rmSync(join(repo, 'cdktf.out'), { recursive: true, force: true });
}
function review() {
  let stdout = '';
  let stderr = '';
  const code = main(['--ref', 'HEAD'], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), cwd: repo });
  return { code, stdout, stderr };
}

beforeEach(() => {
  repo = tempDir('ase-retire-ref-');
  mkdirSync(join(repo, 'envs'));
  writeFileSync(join(repo, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: `node ${app} --environments envs` }));
  edit(exampleSpec() as Json);
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'base: deployed');
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

test('retire and remove in one pull request: the synth passes (the lock says retired), the review blocks against the base', () => {
  edit(changed((s) => (s.services[2].retired = true)));
  edit(changed((s) => s.services.splice(2, 1)));
  const r = review();
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n').map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
    'blocking: retail-network:azurerm_subnet.network_svc-catalog-subnet',
    'blocking: retail-svc-catalog',
    'blocking: retail-svc-catalog:azurerm_resource_group.resource-group',
  ]);
  expect(r.stdout).toContain('`retail-svc-catalog` leaves the synth with 25 resources in it');
});

test('retire, merge (deploy), then remove: the review of each change has no blocker', () => {
  edit(changed((s) => (s.services[2].retired = true)));
  const retire = review();
  expect(retire.stderr).toBe('');
  expect(retire.code).toBe(0);
  git('commit', '-q', '-am', 'retire catalog');
  edit(changed((s) => s.services.splice(2, 1)));
  const remove = review();
  expect(remove.stderr).toBe('');
  expect(remove.code).toBe(0);
  expect(remove.stdout).toContain('retail-svc-catalog leaves the synth empty (retired in an earlier change)');
});
