/**
 * waitForGrant: a time_sleep beside the grant, triggered by its ID, and one default time provider
 * per stack (the app's own when it declared one).
 */
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { TimeProvider } from '@cdktf/provider-time/lib/provider';
import { App, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { waitForGrant } from '../../lib/core/grant-wait';
import type { Json } from '../helpers';

const grant = (scope: Construct, id: string) => new RoleAssignment(scope, id, { scope: '/subscriptions/s/resourceGroups/rg', roleDefinitionName: 'Reader', principalId: 'p' });

test('a sleep beside the grant, created after it and replaced with it; one time provider for many waits', () => {
  const stack = new TerraformStack(Testing.app(), 's');
  const group = new Construct(stack, 'group');
  const a = waitForGrant(grant(group, 'a'), '10m');
  waitForGrant(grant(stack, 'b'), '5m');
  expect(a.node.path).toBe('s/group/a-propagated');
  const json = JSON.parse(Testing.synth(stack)) as Json;
  const sleeps = Object.values(json.resource.time_sleep as Record<string, Json>).map((s) => [s.create_duration, s.triggers.role_assignment_id]).sort(([a], [b]) => String(a).localeCompare(String(b)));
  expect(sleeps).toEqual([
    ['10m', expect.stringMatching(/^\$\{azurerm_role_assignment\.group_a_[0-9A-F]+\.id\}$/)],
    ['5m', '${azurerm_role_assignment.b.id}'],
  ]);
  expect(json.provider.time).toHaveLength(1);
});

test("the app's own time provider is used, not a second one", () => {
  const stack = new TerraformStack(new App(), 's');
  new TimeProvider(new Construct(stack, 'providers'), 'mine');
  waitForGrant(grant(stack, 'a'), '1m');
  const json = JSON.parse(Testing.synth(stack)) as Json;
  expect(json.provider.time).toHaveLength(1);
  expect(stack.node.tryFindChild('time')).toBeUndefined();
});
