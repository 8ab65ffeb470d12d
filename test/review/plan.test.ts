/**
 * Plan mode on real plan JSON: the terraform binary runs init, apply, plan -out and show -json on
 * a configuration of built-in `terraform_data` resources (no provider download), giving real
 * create, update, replace (`triggers_replace`), delete and no-op changes. Azure-shaped plans built
 * to Terraform's documented JSON format cover the stateful-resource rules; malformed inputs get
 * one line and exit code 2.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runReview } from './run-review';
import { parsePlanJson, reviewPlan, summarizePlan } from '../../lib/review/plan';
import { tempDir } from '../helpers';

const tf = (dir: string, ...args: string[]) =>
  execFileSync('terraform', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1' } });

const config = (resources: object) => JSON.stringify({ resource: { terraform_data: resources }, variable: { secret: { type: 'string', sensitive: true, default: 's3cret-value' } } });

let dir: string;
let planText: string;
let noopText: string;
let stateJsonText: string;

beforeAll(() => {
  dir = tempDir('ase-plan-');
  writeFileSync(
    join(dir, 'main.tf.json'),
    config({ kept: { input: 'same' }, changed: { input: { size: 'small', password: 'hunter2' } }, replaced: { input: 'x', triggers_replace: ['v1'] }, removed: { input: 'bye' } }),
  );
  tf(dir, 'init', '-input=false', '-no-color');
  tf(dir, 'apply', '-auto-approve', '-input=false', '-no-color');
  stateJsonText = tf(dir, 'show', '-json');
  tf(dir, 'plan', '-out=noop.tfplan', '-input=false', '-no-color');
  noopText = tf(dir, 'show', '-json', 'noop.tfplan');
  writeFileSync(
    join(dir, 'main.tf.json'),
    config({ kept: { input: 'same' }, changed: { input: { size: 'large', password: 'hunter3' } }, replaced: { input: 'x', triggers_replace: ['v2'] }, added: { input: '${var.secret}' } }),
  );
  tf(dir, 'plan', '-out=change.tfplan', '-input=false', '-no-color');
  planText = tf(dir, 'show', '-json', 'change.tfplan');
  writeFileSync(join(dir, 'plan.json'), planText);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => runReview(args, dir);

test('a real plan: counts, actions, reasons and the path that forces the replacement', () => {
  const s = summarizePlan(parsePlanJson(planText));
  expect(s.counts).toMatchObject({ create: 1, update: 1, replace: 1, delete: 1, 'no-op': 1 });
  expect(s.resources.map((r) => `${r.action} ${r.address}`)).toEqual(['create terraform_data.added', 'update terraform_data.changed', 'delete terraform_data.removed', 'replace terraform_data.replaced']);
  const replaced = s.resources.find((r) => r.address === 'terraform_data.replaced')!;
  expect(replaced.actions).toEqual(['delete', 'create']);
  expect(replaced.replacePaths).toEqual(['triggers_replace']);
  expect(replaced.reason).toBe('an attribute that cannot be updated in place changed');
  expect(s.resources.find((r) => r.address === 'terraform_data.removed')!.reason).toBe('no longer in the configuration');
  const md = reviewPlan(s).markdown;
  // the version of the terraform that made the plan (the machine's own, or the one scripts/install-terraform.sh builds)
  const version = (JSON.parse(tf(dir, 'version', '-json')) as { terraform_version: string }).terraform_version;
  expect(md).toContain(`**Plan: 1 to add, 1 to change, 1 to replace, 1 to destroy.** 1 unchanged. Terraform ${version}, plan format 1.2.`);
  expect(md).toContain('| `triggers_replace` | `["v1"]` | `["v2"]` | **forces replacement** |');
  expect(md).toContain('| `-/+` replace | `terraform_data.replaced` |');
});

test('sensitive values are masked and unknown values shown as such', () => {
  const r = cli(['--plan', 'plan.json']);
  expect(r.code).toBe(0);
  for (const secret of ['hunter2', 'hunter3', 's3cret-value']) expect(r.stdout).not.toContain(secret);
  expect(r.stdout).toContain('| `input.password` | (sensitive value) | (sensitive value) |');
  expect(r.stdout).toContain('| `input.size` | `small` | `large` |');
  expect(r.stdout).toMatch(/\| `id` \| `[0-9a-f-]{36}` \| \(known after apply\) \|/);
});

test('a plan without changes says so and exits 0', () => {
  const s = summarizePlan(parsePlanJson(noopText));
  expect(s.resources).toEqual([]);
  expect(reviewPlan(s).markdown).toContain('**Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy.** 4 unchanged.');
});

describe('stateful Azure resources', () => {
  const change = (address: string, actions: string[], extra: object = {}) => {
    const [type] = address.split('.');
    return { address, mode: 'managed', type, name: address.split('.')[1], provider_name: 'registry.terraform.io/hashicorp/azurerm', change: { actions, before: actions[0] === 'create' ? null : { name: 'x' }, after: actions.includes('create') ? { name: 'y' } : null, after_unknown: {}, before_sensitive: {}, after_sensitive: {}, ...extra } };
  };
  const azurePlan = (changes: object[]) => JSON.stringify({ format_version: '1.2', terraform_version: '1.11.4', planned_values: {}, resource_changes: changes });

  test.each([
    ['azurerm_key_vault.vault', ['delete']],
    ['azurerm_key_vault_certificate.front_tls', ['delete', 'create']],
    ['azurerm_storage_account.state', ['create', 'delete']],
    ['azurerm_storage_container.tfstate', ['delete']],
  ])('%s %j blocks (exit 1) until --allow names it', (address, actions) => {
    writeFileSync(join(dir, 'azure.json'), azurePlan([change(address, actions, actions.length === 2 ? { replace_paths: [['name']] } : {}), change('azurerm_lb_probe.p', ['delete'])]));
    const r = cli(['--plan', 'azure.json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`**blocking**: \`${address}\``);
    expect(r.stderr).toBe(`blocking: ${address} ${r.stdout.match(new RegExp(`\\*\\*blocking\\*\\*: \`${address.replace('.', '\\.')}\` (.*)`))![1]}\n`);
    expect(r.stdout).not.toContain('`azurerm_lb_probe.p` destroys');
    const allowed = cli(['--plan', 'azure.json', '--allow', address]);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain(`- allowed: \`${address}\``);
  });

  test('a blob replaced create-before-destroy under a new name is a routine new version', () => {
    const blob = (actions: string[]) => ({ address: 'azurerm_storage_blob.front_routing-table', mode: 'managed', type: 'azurerm_storage_blob', name: 'front_routing-table', change: { actions, before: { name: 'routing/0123456789abcdef.json', source_content: '{"a":1}' }, after: { name: 'routing/fedcba9876543210.json', source_content: '{"a":2}' }, after_unknown: {}, before_sensitive: {}, after_sensitive: {}, replace_paths: [['name'], ['source_content']] } });
    writeFileSync(join(dir, 'azure.json'), azurePlan([blob(['create', 'delete'])]));
    const r = cli(['--plan', 'azure.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| `+/-` version | `azurerm_storage_blob.front_routing-table` | routing table: new version `fedcba9876543210`; the previous `0123456789abcdef` is removed after |');
    expect(r.stdout).toContain('Of the replacements, 1 is a new blob version (created before the previous one is deleted): routine.');
    expect(r.stdout).not.toContain('forces replacement');
    // delete first is not: a moment with no blob
    writeFileSync(join(dir, 'azure.json'), azurePlan([blob(['delete', 'create'])]));
    expect(cli(['--plan', 'azure.json']).stdout).toContain('| `-/+` replace | `azurerm_storage_blob.front_routing-table` |');
  });

  test('creating or updating a stateful resource does not block', () => {
    writeFileSync(join(dir, 'azure.json'), azurePlan([change('azurerm_key_vault.vault', ['update']), change('azurerm_storage_account.new', ['create'])]));
    expect(cli(['--plan', 'azure.json']).code).toBe(0);
  });
});

describe('malformed input: one line, exit code 2, never a stack trace', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ['an empty file', () => '', /is empty/],
    ['truncated JSON', () => planText.slice(0, Math.floor(planText.length / 2)), /is not valid JSON .*truncated/],
    ['a state file', () => readFileSync(join(dir, 'terraform.tfstate'), 'utf8'), /is a Terraform state file, not a plan/],
    ['the JSON of a state (show -json without a plan)', () => stateJsonText, /JSON of a state/],
    ['format 2.0', () => JSON.stringify({ ...JSON.parse(planText), format_version: '2.0' }), /format_version 2\.0; this review reads 1\.x/],
    ['JSON that is not a plan', () => '[1, 2, 3]', /not a Terraform plan/],
  ];
  test.each(cases)('%s', (_, text, message) => {
    writeFileSync(join(dir, 'bad.json'), text());
    const r = cli(['--plan', 'bad.json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^ase review: /);
  });

  test('a missing file, and conflicting modes', () => {
    expect(cli(['--plan', 'nope.json'])).toMatchObject({ code: 2, stderr: 'ase review: cannot read nope.json (ENOENT)\n' });
    expect(cli(['--plan', 'plan.json', '--ref', 'HEAD']).code).toBe(2);
    expect(cli(['--bogus']).stderr).toMatch(/^ase review: unknown flag --bogus\nusage: ase review /);
    expect(cli(['--alow', 'x']).stderr).toMatch(/^ase review: unknown flag --alow \(did you mean '--allow'\?\)/);
  });
});
