/**
 * Accepting a blocker says who accepted it: `--allow <resource>=@<login>` and `--allowances
 * <file>` (what scripts/allowances.js writes from approving reviews) reach the comment as
 * "allowed by @login"; bad allowances are every problem at once, exit 2, nothing written.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllowances } from '../../lib/review/cli';
import { runReview } from './run-review';
import { reviewOutputs } from '../../lib/review/compare';
import { ReviewInputError, readSynthOutput } from '../../lib/review/config-diff';
import { exampleSpec, tempDir } from '../helpers';
import { synthesize } from '../../stacks/synthesize';

const VAULT = 'azurerm_key_vault.vault';
const plan = JSON.stringify({
  format_version: '1.2',
  terraform_version: '1.11.4',
  planned_values: {},
  resource_changes: [
    { address: VAULT, mode: 'managed', type: 'azurerm_key_vault', name: 'vault', provider_name: 'registry.terraform.io/hashicorp/azurerm', change: { actions: ['delete'], before: { name: 'kv' }, after: null, after_unknown: {}, before_sensitive: {}, after_sensitive: {} } },
  ],
});

let dir: string;
beforeAll(() => {
  dir = tempDir('ase-allow-');
  writeFileSync(join(dir, 'plan.json'), plan);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => runReview(args, dir);

describe('ase review --allow with who allowed it', () => {
  test('a blocker names the way to accept it in a pull request: an approving review by someone else with write access', () => {
    const r = cli(['--plan', 'plan.json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`- **blocking**: \`${VAULT}\``);
    expect(r.stdout).toContain('a reviewer with write access who is not its author accepts one by approving it with a line `/allow <address>` in the review');
  });

  test('--allow <resource>=@<login> accepts it and the comment says who', () => {
    const r = cli(['--plan', 'plan.json', '--allow', `${VAULT}=@alice`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`- allowed by @alice: \`${VAULT}\``);
  });

  test('two approvers of one resource are both named, sorted; a bare --allow (a local run) names no one', () => {
    expect(cli(['--plan', 'plan.json', '--allow', `${VAULT}=@zoe`, '--allow', `${VAULT}=@bob`]).stdout).toContain(`- allowed by @bob, @zoe: \`${VAULT}\``);
    const bare = cli(['--plan', 'plan.json', '--allow', VAULT]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toContain(`- allowed: \`${VAULT}\``);
  });

  test('--allowances reads the file scripts/allowances.js writes', () => {
    writeFileSync(join(dir, 'allowances.json'), JSON.stringify([{ resource: VAULT, by: 'carol-ops' }, { resource: 'azurerm_other.x', by: 'dave' }]));
    const r = cli(['--plan', 'plan.json', '--allowances', 'allowances.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`- allowed by @carol-ops: \`${VAULT}\``);
  });

  test('bad allowances: every problem at once, each naming its flag or entry, exit 2, no review written', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify([{ resource: VAULT }, { resource: 'a b', by: '-x' }, 7]));
    const r = cli(['--plan', 'plan.json', '--allow', `${VAULT}=@not a login`, '--allow', '=@alice', '--allowances', 'bad.json', '--out', 'review.md']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'ase review: 6 problems with the allowances:',
        "  --allow[0]: 'not a login' after '=@' is not a GitHub login (letters, digits and single hyphens, at most 39)",
        "  --allow[1]: '=@alice' names no resource (expected <resource> or <resource>=@<login>)",
        '  --allowances: bad.json[0].by: expected the GitHub login of who allowed it, got undefined',
        '  --allowances: bad.json[1].resource: expected a resource address, got "a b"',
        '  --allowances: bad.json[1].by: expected the GitHub login of who allowed it, got "-x"',
        '  --allowances: bad.json[2]: expected an object { "resource": "…", "by": "<login>" }',
        '',
      ].join('\n'),
    );
    expect(existsSync(join(dir, 'review.md'))).toBe(false);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('an unreadable or non-array allowances file is one problem naming it', () => {
    expect(cli(['--plan', 'plan.json', '--allowances', 'missing.json']).stderr).toBe('ase review: --allowances: cannot read missing.json (ENOENT)\n');
    writeFileSync(join(dir, 'obj.json'), '{}');
    expect(cli(['--plan', 'plan.json', '--allowances', 'obj.json']).stderr).toBe('ase review: --allowances: obj.json must hold a JSON array of { "resource": "…", "by": "<login>" }\n');
  });

  test('the approver is split at the last =@, so an address may hold "="', () => {
    expect(parseAllowances(['x.y["k=v"]=@alice', 'plain'], undefined, dir)).toEqual([{ resource: 'x.y["k=v"]', by: 'alice' }, { resource: 'plain' }]);
    expect(() => parseAllowances(['x=@'], undefined, dir)).toThrow(ReviewInputError);
  });
});

test('compare mode: a vault replaced in a synth pair is allowed by the named reviewer, in the callout', () => {
  const root = tempDir('ase-allow-synth-');
  try {
    const spec = exampleSpec();
    const changed = exampleSpec();
    changed.keyVault!.softDeleteRetentionDays = 30; // one-way: the review blocks it as an apply that fails
    for (const [name, s] of [['before', spec], ['after', changed]] as const) expect(synthesize([{ file: 'retail.ts', spec: s, issues: [] }], join(root, name)).ok).toBe(true);
    const before = readSynthOutput(join(root, 'before'));
    const after = readSynthOutput(join(root, 'after'));
    const blocked = reviewOutputs(before, after);
    expect(blocked.exitCode).toBe(1);
    const resource = blocked.blockers[0].resource;
    expect(resource).toBe('retail-vault:azurerm_key_vault.key-vault_vault');
    const r = reviewOutputs(before, after, { allow: [{ resource, by: 'alice' }] });
    expect(r.exitCode).toBe(0);
    expect(r.blockers).toEqual([expect.objectContaining({ resource, allowed: true, allowedBy: ['alice'] })]);
    expect(r.markdown).toContain(`- allowed by @alice: \`${resource}\``);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
