/**
 * The checkov runner's pure parts (scripts/checkov.ts), without checkov: the reviewed skips file
 * parses, a bad one is refused with every problem at its path, skip patterns match what they say,
 * and checkov's line numbers map back to each resource of a synthesized stack. The runs of real
 * checkov are in test/slow/checkov.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classify, parseSkips, resourceLines, resourcesOf, skipMatches, type CheckResult } from '../../scripts/checkov';
import { exampleStacks } from '../helpers';

const result = (stack: string, resource: string, check = 'CKV_AZURE_59'): CheckResult => ({ stack, check, title: 't', resource, result: 'failed', kind: 'resource' });

test('the reviewed skips file parses: each entry a check, a resource of one type, and a reason', () => {
  const { skips, problems } = parseSkips(readFileSync(join(__dirname, '..', '..', 'lib', 'policy', 'checkov-skips.yaml'), 'utf8'));
  expect(problems).toEqual([]);
  expect(skips.length).toBeGreaterThan(0);
  for (const s of skips) expect(s.reason.length).toBeGreaterThanOrEqual(40);
});

test('a bad skips file is refused with every problem at its path', () => {
  const text = [
    'skips:',
    '  - check: CKV_AWS_1',
    "    resource: '*'",
    '    reason: because',
    '  - check: CKV_AZURE_59',
    "    resource: 'retail-front:azurerm_*.front_store'",
    '    reason: a reason long enough to be read by a platform engineer',
    '    ticket: OPS-1',
    '  - check: CKV_AZURE_59',
    "    resource: '*-front:azurerm_storage_account.front_store'",
    '    reason: a reason long enough to be read by a platform engineer',
    '  - check: CKV_AZURE_59',
    "    resource: '*-front:azurerm_storage_account.front_store'",
    '    reason: the same entry again, long enough to be read by anyone',
  ].join('\n');
  expect(parseSkips(text).problems).toEqual([
    'skips[0].check: expected a checkov Azure check ID like CKV_AZURE_59 or CKV2_AZURE_33, got "CKV_AWS_1"',
    'skips[0].resource: expected <stack>:<type>.<name> with a literal type (* only in the stack or the name), got "*"',
    'skips[0].reason: expected why the check does not apply, at least 40 characters',
    'skips[1].ticket: unknown field (allowed: check, resource, reason)',
    'skips[1].resource: expected <stack>:<type>.<name> with a literal type (* only in the stack or the name), got "retail-front:azurerm_*.front_store"',
    'skips[3]: a second entry for CKV_AZURE_59 *-front:azurerm_storage_account.front_store',
  ]);
  expect(parseSkips('skips: nothing').problems).toEqual(['skips: expected a list of { check, resource, reason }']);
});

test('a skip matches its check on resources its pattern names, and nothing else; an unused one is stale', () => {
  const skip = { check: 'CKV_AZURE_59', resource: '*-front:azurerm_storage_account.front_store', reason: 'r' };
  expect(skipMatches(skip, result('retail-front', 'azurerm_storage_account.front_store'))).toBe(true);
  expect(skipMatches(skip, result('shop-front', 'azurerm_storage_account.front_store'))).toBe(true);
  expect(skipMatches(skip, result('retail-front', 'azurerm_storage_account.front_store', 'CKV_AZURE_35'))).toBe(false);
  expect(skipMatches(skip, result('retail-state', 'azurerm_storage_account.front_store'))).toBe(false);
  expect(skipMatches(skip, result('retail-front', 'azurerm_storage_account.front_store2'))).toBe(false);
  // * stops at : and ., so a stack pattern cannot reach into the type
  expect(skipMatches({ ...skip, resource: '*:azurerm_storage_account.*' }, result('a', 'azurerm_storage_account.b'))).toBe(true);
  expect(skipMatches({ ...skip, resource: '*:azurerm_storage_account.*' }, result('a:azurerm_storage_account.b', 'azurerm_storage_account.c'))).toBe(false);
  const stale = { check: 'CKV_AZURE_97', resource: '*:azurerm_linux_virtual_machine_scale_set.*', reason: 'r' };
  const v = classify([result('retail-front', 'azurerm_storage_account.front_store'), result('retail-front', 'azurerm_storage_container.front_container', 'CKV2_AZURE_21')], [skip, stale]);
  expect([v.skipped.map((x) => x.result.check), v.failed.map((x) => x.check), v.stale]).toEqual([['CKV_AZURE_59'], ['CKV2_AZURE_21'], [stale]]);
});

test("checkov's line numbers map to every resource of a synthesized stack", () => {
  const stacks = exampleStacks();
  for (const [name, text] of Object.entries(stacks)) {
    const lines = resourceLines(text);
    expect([name, [...lines.values()].sort()]).toEqual([name, resourcesOf(JSON.parse(text)).sort()]);
    for (const [line, address] of lines) expect(text.split('\n')[line - 1]).toBe(`      "${address.slice(address.indexOf('.') + 1)}": {`);
  }
});
