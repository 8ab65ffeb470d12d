/**
 * The review's rules on configuration pairs built by hand: replacements the provider's docs
 * name, state-losing changes that block (and --allow), one-way settings, secrets never shown,
 * and the comment-size limit.
 */
import { reviewOutputs } from '../../lib/review/compare';
import { diffStack, diffValues, formatPath, type SynthOutput } from '../../lib/review/config-diff';
import { fitComment } from '../../lib/review/markdown';
import { type Json, exampleStacks } from '../helpers';

const output = (stacks: Record<string, Json>): SynthOutput => ({ stacks, summaries: {} });
const stack = (resources: Record<string, Record<string, Json>>): Json => ({ resource: resources });

let example: Record<string, Json>;
beforeAll(() => {
  example = Object.fromEntries(Object.entries(exampleStacks()).map(([k, v]) => [k, JSON.parse(v)]));
});

/** The example with one resource's body changed by `edit`. */
function edited(stackName: string, type: string, address: string, edit: (body: Json) => void): SynthOutput {
  const copy = structuredClone(example);
  edit(copy[stackName].resource[type][address]);
  return output(copy);
}

const SCALE_SET = ['retail-svc-pricing', 'azurerm_linux_virtual_machine_scale_set', 'blue_scale-set_vmss'] as const;
const VAULT = ['retail-vault', 'azurerm_key_vault', 'key-vault_vault'] as const;

describe('replacement, from the provider documentation', () => {
  const cases: Array<[string, (b: Json) => void]> = [
    ['rolling_upgrade_policy', (b) => (b.rolling_upgrade_policy.max_batch_instance_percent = 50)],
    ['zone_balance', (b) => (b.zone_balance = !b.zone_balance)],
    ['platform_fault_domain_count', (b) => (b.platform_fault_domain_count = 3)],
  ];
  test.each(cases)("a scale set's %s forces replacement", (attr, edit) => {
    const r = reviewOutputs(output(example), edited(...SCALE_SET, edit));
    expect(r.markdown).toContain('| `-/+` replace | `azurerm_linux_virtual_machine_scale_set.blue_scale-set_vmss` |');
    expect(r.markdown).toMatch(new RegExp(`\`${attr}[^\`]*\` \\*\\*forces replacement\\*\\*`));
    // a scale set holds no state the review protects: reported, not blocking
    expect(r.exitCode).toBe(0);
  });

  test("a scale set's sku and tags update in place", () => {
    const r = reviewOutputs(output(example), edited(...SCALE_SET, (b) => ((b.sku = 'Standard_D8s_v5'), (b.tags.team = 'pricing'))));
    expect(r.markdown).toContain('| `~` update | `azurerm_linux_virtual_machine_scale_set.blue_scale-set_vmss` | `sku`, `tags.team` |');
  });

  test("a changed instance count is shown as ignored after creation, not as a change to apply", () => {
    const r = reviewOutputs(output(example), edited(...SCALE_SET, (b) => (b.instances = 9)));
    expect(r.markdown).toContain('`instances` (ignored after creation)');
  });

  test("a Key Vault's name replaces the vault: blocking, unless allowed by name", () => {
    const after = edited(...VAULT, (b) => (b.name = 'kv-retail-other'));
    const r = reviewOutputs(output(example), after);
    expect(r.markdown).toContain('| `-/+` replace | `azurerm_key_vault.key-vault_vault` | `name` **forces replacement** |');
    expect(r.exitCode).toBe(1);
    expect(r.blockers).toEqual([expect.objectContaining({ resource: 'retail-vault:azurerm_key_vault.key-vault_vault', allowed: false })]);
    expect(r.markdown).toContain('**Blocking**: 1 change loses state');
    const allowed = reviewOutputs(output(example), after, { allow: ['retail-vault:azurerm_key_vault.key-vault_vault'] });
    expect(allowed.exitCode).toBe(0);
    expect(allowed.markdown).toContain('- allowed: `retail-vault:azurerm_key_vault.key-vault_vault`');
  });

  test("a Key Vault's soft-delete retention cannot be changed: the apply would fail, so it blocks", () => {
    const r = reviewOutputs(output(example), edited(...VAULT, (b) => (b.soft_delete_retention_days = 30)));
    expect(r.markdown).toContain('`soft_delete_retention_days` **cannot be updated: the apply fails**');
    expect(r.exitCode).toBe(1);
    expect(r.blockers[0].reason).toMatch(/cannot update in place/);
  });

  test('purge protection may be turned on but not off', () => {
    const on = structuredClone(example);
    on['retail-vault'].resource.azurerm_key_vault['key-vault_vault'].purge_protection_enabled = false;
    expect(reviewOutputs(output(on), output(example)).exitCode).toBe(0);
    expect(reviewOutputs(output(example), output(on)).exitCode).toBe(1);
  });

  test('deleting a stateful resource blocks; deleting a stateless one does not', () => {
    const noVault = structuredClone(example);
    delete noVault['retail-vault'];
    const r = reviewOutputs(output(example), output(noVault));
    expect(r.markdown).toContain('#### retail-vault (stack removed');
    expect(r.blockers.map((b) => b.resource)).toEqual(expect.arrayContaining(['retail-vault:azurerm_key_vault.key-vault_vault', 'retail-vault:azurerm_key_vault_certificate.certificate-front-tls_certificate']));
    expect(r.exitCode).toBe(1);
    const noProbe = structuredClone(example);
    delete noProbe['retail-svc-pricing'].resource.azurerm_lb_probe['blue_lb_probe-10000'];
    expect(reviewOutputs(output(example), output(noProbe)).exitCode).toBe(0);
  });
});

describe('a blob replaced create-before-destroy', () => {
  const blob = (name: string, content: string, cbd: boolean) => ({ name, source_content: content, type: 'Block', ...(cbd ? { lifecycle: { create_before_destroy: true } } : {}) });
  const pair = (a: Json, b: Json) => reviewOutputs(output({ s: stack({ azurerm_storage_blob: { t: a } }) }), output({ s: stack({ azurerm_storage_blob: { t: b } }) }));

  test('under a new name is a new version, not a replacement warning', () => {
    const r = pair(blob('routing/0123456789abcdef.json', '{"a":1}', true), blob('routing/fedcba9876543210.json', '{"a":2}', true));
    expect(r.markdown).toContain('| `+/-` version | `azurerm_storage_blob.t` | routing table: new version `fedcba9876543210`; the previous `0123456789abcdef` is removed after |');
    expect(r.markdown).toContain('0 to replace');
    expect(r.exitCode).toBe(0);
  });

  test('without create_before_destroy it is a replacement (delete, then create)', () => {
    const r = pair(blob('routing/0123456789abcdef.json', '{"a":1}', false), blob('routing/fedcba9876543210.json', '{"a":2}', false));
    expect(r.markdown).toContain('| `-/+` replace | `azurerm_storage_blob.t` |');
    expect(r.markdown).toContain('1 to replace');
  });

  test('under the same name it blocks: the create finds the old blob and fails', () => {
    const r = pair(blob('routing.json', '{"a":1}', true), blob('routing.json', '{"a":2}', true));
    expect(r.exitCode).toBe(1);
    expect(r.blockers).toEqual([expect.objectContaining({ resource: 's:azurerm_storage_blob.t', reason: expect.stringContaining("the provider's create finds the old blob of that name and fails") })]);
  });
});

test('named blocks are matched by name, so an inserted extension is one change', () => {
  const before = [{ name: 'health', x: 1 }, { name: 'kv', x: 2 }];
  const after = [{ name: 'aad', x: 0 }, { name: 'health', x: 1 }, { name: 'kv', x: 2 }];
  expect(diffValues({ extension: before }, { extension: after }).map((c) => formatPath(c.path))).toEqual(['extension[aad]']);
});

test("a block added whole counts as replacing when an attribute inside it forces replacement", () => {
  const a = stack({ azurerm_linux_virtual_machine_scale_set: { s: { name: 'x' } } });
  const b = stack({ azurerm_linux_virtual_machine_scale_set: { s: { name: 'x', rolling_upgrade_policy: { max_batch_instance_percent: 20 } } } });
  expect(diffStack(a, b)[0].action).toBe('replace');
});

test('secrets are never shown, at any depth; binary contents only as a digest', () => {
  const a = output({ s: stack({ azurerm_thing: { t: { admin_password: 'hunter2', settings: { token: 'tok-1', size: 1 }, contents: 'AAAA'.repeat(100) } } }) });
  const b = output({ s: stack({ azurerm_thing: { t: { admin_password: 'hunter3', settings: { token: 'tok-2', size: 2 }, contents: 'BBBB'.repeat(100) } } }) });
  const md = reviewOutputs(a, b).markdown;
  for (const secret of ['hunter2', 'hunter3', 'tok-1', 'tok-2', 'AAAAAAAA', 'BBBBBBBB']) expect(md).not.toContain(secret);
  expect(md).toContain('| `admin_password` | (sensitive) | (sensitive) |');
  expect(md).toMatch(/\| `contents` \| `sha256:[0-9a-f]{12}` \(400 chars\) \|/);
});

describe('the comment limit', () => {
  // 3,000 changed resources with a diff each: far beyond one comment
  const many = (v: string) => output({ big: stack({ azurerm_storage_blob: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`b${i}`, { name: `b${i}`, metadata: { v, i: String(i) } }])) }) });
  test('a huge review stays under 65,536 characters and says what it left out', () => {
    const r = reviewOutputs(many('a'), many('b'));
    expect(r.markdown.length).toBeLessThanOrEqual(65_536);
    expect(r.markdown).toMatch(/Left out to stay under the 65,536-character comment limit: .* rows of resources of big/);
    expect(r.markdown).toContain('**0 to add, 3000 to change, 0 to replace, 0 to destroy**');
    // rows in address order, numbers as numbers
    expect(r.markdown.indexOf('`azurerm_storage_blob.b2`')).toBeLessThan(r.markdown.indexOf('`azurerm_storage_blob.b10`'));
  });
  test('--limit 0 keeps everything', () => {
    const r = reviewOutputs(many('a'), many('b'), { limit: 0 });
    expect(r.markdown.length).toBeGreaterThan(65_536);
    expect(r.markdown).not.toContain('Left out');
    expect(r.markdown).toContain('`azurerm_storage_blob.b2999`');
  });
  test('optional details go first, the tables stay whole while they fit', () => {
    const blocks = [{ text: 'head\n' }, { text: 'x'.repeat(500), optional: 'the big diff' }, { text: 'table\n', rows: ['| a |', '| b |'] }];
    const md = fitComment(blocks, 300);
    expect(md).toContain('| a |\n| b |');
    expect(md).not.toContain('xxxx');
    expect(md).toContain('the big diff');
    expect(md.length).toBeLessThanOrEqual(300);
  });
});

test('data sources are reads: a changed one is not listed as a change', () => {
  const a = { resource: { azurerm_thing: { t: { name: 'x' } } }, data: { azurerm_user_assigned_identity: { id: { name: 'id-a' } } } };
  const b = { resource: { azurerm_thing: { t: { name: 'x' } } }, data: { azurerm_user_assigned_identity: { id: { name: 'id-b' } } } };
  expect(diffStack(a, b)).toEqual([]);
});

describe('documents are shown as Terraform reads them', () => {
  test('escaped template sequences in a literal document read back unescaped; a real interpolation is left as written', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { documentText, terraformLiteral } = require('../../lib/review/values');
    expect(documentText('source_content', 'a = "$${x}"\nb = "%%{if y}"\n')).toBe('a = "${x}"\nb = "%{if y}"\n');
    expect(terraformLiteral('${azurerm_lb.x.id} and $${y}')).toBe('${azurerm_lb.x.id} and $${y}');
    expect(terraformLiteral('cost $$5')).toBe('cost $$5');
  });
});
