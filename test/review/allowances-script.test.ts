/**
 * scripts/allowances.js: which `/allow` lines of a pull request count. Reviews are shaped as the
 * GitHub REST API returns them (`GET /repos/{o}/{r}/pulls/{n}/reviews`); the command line is run
 * as a real node process on files such as `gh api --paginate` writes.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { tempDir } from '../helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { selectAllowances, allowLines } = require('../../scripts/allowances.js') as typeof import('../../scripts/allowances.js');
type Review = import('../../scripts/allowances.js').PullRequestReview;

const HEAD = 'c0ffee0000000000000000000000000000000001';
const OLD = 'bad0000000000000000000000000000000000002';
const VAULT = 'retail-vault:azurerm_key_vault.key-vault_vault';
let seq = 0;
const review = (login: string, state: string, body: string, extra: Record<string, unknown> = {}) => ({
  id: ++seq,
  user: { login, type: 'User' },
  state,
  body,
  commit_id: HEAD,
  submitted_at: `2026-12-01T10:${String(seq).padStart(2, '0')}:00Z`,
  ...extra,
});
const permissions = { alice: 'write', bob: 'maintain', root: 'admin', tess: 'triage', rita: 'read', author: 'admin' };
const select = (reviews: Review[], description?: string) => selectAllowances({ reviews, author: 'author', headSha: HEAD, permissions, description });

describe('selectAllowances', () => {
  test('an approving review by another user with write, maintain or admin counts, and says who', () => {
    const r = select([review('alice', 'APPROVED', `Looks right.\n/allow ${VAULT}\n`), review('bob', 'APPROVED', '/allow `retail-state:azurerm_storage_account.state`'), review('root', 'APPROVED', `/allow ${VAULT}`)]);
    expect(r.allowances).toEqual([
      { resource: 'retail-state:azurerm_storage_account.state', by: 'bob' },
      { resource: VAULT, by: 'alice' },
      { resource: VAULT, by: 'root' },
    ]);
    expect(r.ignored).toEqual([]);
  });

  test('the author cannot allow, in a review or in the description', () => {
    const r = select([review('Author', 'APPROVED', `/allow ${VAULT}`)], `Deleting the old vault.\n/allow ${VAULT}`);
    expect(r.allowances).toEqual([]);
    expect(r.ignored.map((i) => [i.by, i.reason])).toEqual([
      ['author', "in the pull request's description: only an approving review by someone other than the author counts"],
      ['Author', 'the author of the pull request cannot allow their own change'],
    ]);
  });

  test('triage, read or no role on the repository does not count', () => {
    const r = select([review('tess', 'APPROVED', `/allow ${VAULT}`), review('rita', 'APPROVED', `/allow ${VAULT}`), review('stranger', 'APPROVED', `/allow ${VAULT}`)]);
    expect(r.allowances).toEqual([]);
    expect(r.ignored.map((i) => i.reason)).toEqual([
      "tess has the role 'triage' on the repository, not write, maintain or admin",
      "rita has the role 'read' on the repository, not write, maintain or admin",
      "stranger has the role 'none' on the repository, not write, maintain or admin",
    ]);
  });

  test('a comment or a request for changes does not allow; a later request for changes withdraws an approval; a later comment does not', () => {
    expect(select([review('alice', 'COMMENTED', `/allow ${VAULT}`)]).ignored[0].reason).toBe('in a review that does not approve (commented)');
    expect(select([review('alice', 'CHANGES_REQUESTED', `/allow ${VAULT}`)]).allowances).toEqual([]);
    const withdrawn = select([review('alice', 'APPROVED', `/allow ${VAULT}`), review('alice', 'CHANGES_REQUESTED', 'wait, not yet')]);
    expect(withdrawn.allowances).toEqual([]);
    expect(withdrawn.ignored[0].reason).toBe("withdrawn: alice's latest review requests changes");
    expect(select([review('alice', 'APPROVED', `/allow ${VAULT}`), review('alice', 'COMMENTED', 'one more note')]).allowances).toEqual([{ resource: VAULT, by: 'alice' }]);
    expect(select([review('alice', 'DISMISSED', `/allow ${VAULT}`)]).ignored[0].reason).toBe('in a review that does not approve (dismissed)');
  });

  test('an approval of an earlier commit does not count for the head', () => {
    const r = select([review('alice', 'APPROVED', `/allow ${VAULT}`, { commit_id: OLD })]);
    expect(r.allowances).toEqual([]);
    expect(r.ignored[0].reason).toBe('approves an earlier commit (bad0000), not the head (c0ffee0)');
  });

  test('a bot cannot allow; the order of the API answer does not matter; duplicates collapse', () => {
    expect(select([review('renovate', 'APPROVED', `/allow ${VAULT}`, { user: { login: 'renovate[bot]', type: 'Bot' } })]).allowances).toEqual([]);
    const a = review('alice', 'APPROVED', `/allow ${VAULT}\n/allow ${VAULT}`);
    const b = review('alice', 'CHANGES_REQUESTED', 'no');
    const c = review('alice', 'APPROVED', 'ok now');
    expect(select([c, b, a]).allowances).toEqual([{ resource: VAULT, by: 'alice' }]);
  });

  test('only lines that start with /allow count, with one resource each', () => {
    expect(allowLines('text /allow x\n  /allow a:b.c trailing words\n/allowed y\n/allow\n')).toEqual(['a:b.c']);
  });
});

describe('the command line, on files gh api writes', () => {
  const script = resolve(__dirname, '..', '..', 'scripts', 'allowances.js');
  let dir: string;
  beforeAll(() => (dir = tempDir('ase-allowances-')));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { cwd: dir, encoding: 'utf8' });

  test('reads paginated reviews (arrays back to back) and prints the allowances as JSON; ignored lines on stderr', () => {
    const page1 = [review('alice', 'APPROVED', `/allow ${VAULT}`)];
    const page2 = [review('author', 'APPROVED', '/allow retail-front:azurerm_storage_account.front_store')];
    writeFileSync(join(dir, 'reviews.json'), `${JSON.stringify(page1)}\n${JSON.stringify(page2)}\n`);
    writeFileSync(join(dir, 'permissions.json'), JSON.stringify(permissions));
    const r = run('--reviews', 'reviews.json', '--permissions', 'permissions.json', '--author', 'author', '--head-sha', HEAD);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ resource: VAULT, by: 'alice' }]);
    expect(r.stderr).toBe('ignored /allow retail-front:azurerm_storage_account.front_store from @author: the author of the pull request cannot allow their own change\n');
  });

  test('missing flags or files: one line, exit 2', () => {
    expect(run('--reviews', 'reviews.json')).toMatchObject({ status: 2, stderr: 'allowances: missing --permissions, --author\n' });
    expect(run('--reviews', 'nope.json', '--permissions', 'permissions.json', '--author', 'a')).toMatchObject({ status: 2, stderr: 'allowances: --reviews nope.json: ENOENT\n' });
  });
});

describe('the plan-review workflow', () => {
  const workflow = parse(require('node:fs').readFileSync(resolve(__dirname, '..', '..', '.github', 'workflows', 'plan-review.yml'), 'utf8'));
  const steps = workflow.jobs.review.steps as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const text = JSON.stringify(workflow);

  test('runs again when a review is submitted, edited or dismissed', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'pull_request_review']);
    expect(workflow.on.pull_request_review.types.sort()).toEqual(['dismissed', 'edited', 'submitted']);
  });

  test("takes allowances from the reviews through scripts/allowances.js, never from the pull request's description", () => {
    expect(text).not.toContain('pull_request.body');
    const select = steps.find((s) => s.id === 'allowances')!;
    expect(select.uses).toMatch(/^actions\/github-script@/);
    expect(select.with.script).toContain("require('./scripts/allowances.js')");
    expect(select.with.script).toContain('listReviews');
    expect(select.with.script).toContain('getCollaboratorPermissionLevel');
    const reviewStep = steps.find((s) => s.id === 'review')!;
    expect(reviewStep.run).toContain('--allowances allowances.json');
    expect(reviewStep.run).not.toMatch(/--allow /);
  });
});
