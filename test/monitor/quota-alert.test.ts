/**
 * The vCPU quota alert in `<env>-monitor`: Azure runs its Resource Graph query as an identity the
 * stack creates, which holds Reader on the subscription (the portal's quota alerts ask the same:
 * "Create alerts for quotas"); `alerts.vcpuQuotaPercent: false` leaves out the alert, the identity
 * and the grant. The query itself is bound by Kusto.Language in queries.cases.ts.
 */
import { exampleSpec, exampleStacks, resourceAt, resourcesOf, synthStacks, type Json } from '../helpers';

const SUBSCRIPTION = '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10';

test('the rule runs as the quota reader, which holds Reader on the subscription; the rule is created after the grant', () => {
  const monitor = exampleStacks()['retail-monitor'];
  const identity = resourceAt(monitor, 'azurerm_user_assigned_identity', 'quota-reader');
  expect(identity.name).toBe('id-retail-quota-reader');
  const grant = resourceAt(monitor, 'azurerm_role_assignment', 'quota-reader-subscription');
  expect(grant).toMatchObject({ scope: SUBSCRIPTION, role_definition_name: 'Reader', principal_id: '${azurerm_user_assigned_identity.quota-reader.principal_id}', principal_type: 'ServicePrincipal' });
  const rule = resourceAt(monitor, 'azurerm_monitor_scheduled_query_rules_alert_v2', 'alert-vcpu-quota');
  expect(rule.identity).toEqual({ type: 'UserAssigned', identity_ids: ['${azurerm_user_assigned_identity.quota-reader.id}'] });
  expect(rule.depends_on).toContain('azurerm_role_assignment.quota-reader-subscription');
  expect(rule).toMatchObject({ name: 'retail-vcpu-quota', evaluation_frequency: 'PT15M', window_duration: 'PT15M', severity: 2 });
  expect(rule.criteria[0].dimension).toEqual([{ name: 'QuotaName', operator: 'Include', values: ['*'] }]);
  // the other rules read only the workspace: no identity
  const others = Object.entries(resourcesOf(monitor, 'azurerm_monitor_scheduled_query_rules_alert_v2')).filter(([a]) => a !== 'alert-vcpu-quota');
  expect(others.length).toBeGreaterThan(2);
  for (const [, r] of others) expect((r as Json).identity).toBeUndefined();
  // the only grant the monitor stack makes
  expect(Object.keys(resourcesOf(monitor, 'azurerm_role_assignment'))).toEqual(['quota-reader-subscription']);
});

test('vcpuQuotaPercent: false leaves out the alert, the identity and the grant', () => {
  const spec = exampleSpec();
  spec.monitoring = { alerts: { vcpuQuotaPercent: false } };
  const monitor = synthStacks(spec)['retail-monitor'];
  expect(Object.keys(resourcesOf(monitor, 'azurerm_monitor_scheduled_query_rules_alert_v2'))).not.toContain('alert-vcpu-quota');
  expect(resourcesOf(monitor, 'azurerm_user_assigned_identity')).toEqual({});
  expect(resourcesOf(monitor, 'azurerm_role_assignment')).toEqual({});
});

test('vcpuQuotaReaderId: the rule runs as that identity, and the stack creates none and grants nothing', () => {
  const reader = `${SUBSCRIPTION}/resourceGroups/rg-platform/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-quota-reader`;
  const spec = exampleSpec();
  spec.monitoring = { alerts: { vcpuQuotaReaderId: reader } };
  const monitor = synthStacks(spec)['retail-monitor'];
  const rule = resourceAt(monitor, 'azurerm_monitor_scheduled_query_rules_alert_v2', 'alert-vcpu-quota');
  expect(rule.identity).toEqual({ type: 'UserAssigned', identity_ids: [reader] });
  expect(rule.depends_on).toEqual(['azurerm_log_analytics_workspace_table_custom_log.front-access-table']);
  expect(resourcesOf(monitor, 'azurerm_user_assigned_identity')).toEqual({});
  expect(resourcesOf(monitor, 'azurerm_role_assignment')).toEqual({});
});

test("a workspace in another subscription: the reader also gets Log Analytics Reader on it (Azure runs the rule's query as the identity)", () => {
  const spec = exampleSpec();
  const workspace = '/subscriptions/0b7e5a10-8d54-4a7e-9a41-3c2d6f1c2f59/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/law-shared';
  spec.monitoring = { workspaceId: workspace };
  const monitor = synthStacks(spec)['retail-monitor'];
  expect(resourceAt(monitor, 'azurerm_role_assignment', 'quota-reader-workspace')).toMatchObject({ scope: workspace, role_definition_name: 'Log Analytics Reader', principal_id: '${azurerm_user_assigned_identity.quota-reader.principal_id}' });
  expect(resourceAt(monitor, 'azurerm_monitor_scheduled_query_rules_alert_v2', 'alert-vcpu-quota').depends_on).toContain('azurerm_role_assignment.quota-reader-workspace');
  // one in this subscription is read through Reader on the subscription: no second grant
  spec.monitoring = { workspaceId: workspace.replace('0b7e5a10-8d54-4a7e-9a41-3c2d6f1c2f59', '6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10') };
  expect(Object.keys(resourcesOf(synthStacks(spec)['retail-monitor'], 'azurerm_role_assignment'))).toEqual(['quota-reader-subscription']);
});
