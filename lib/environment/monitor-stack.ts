/**
 * `<env>-monitor`: the environment's Log Analytics workspace (unless the spec names one), the
 * table of the front's access log, the data collection rules the VMs' agents follow, the alerts'
 * action group, and the alerts that read the workspace. Deployed first (after the state
 * bootstrap): every other stack sends its diagnostic settings here and its scale sets associate
 * with these rules, by static ID.
 *
 * Checked against azurerm v4.55.0 (docs/monitoring.md):
 * - `azurerm_log_analytics_workspace`: `local_authentication_enabled = false` (the agent signs in
 *   with Entra ID; shared keys stay unused); retention 30-730; the workspace is soft-deleted on
 *   destroy (14 days) unless the provider's `permanently_delete_on_destroy` is set.
 * - `azurerm_log_analytics_workspace_table_custom_log` (new in 4.55.0): `name` must end `_CL`,
 *   `name` and `workspace_id` force a new table; the table must exist before a rule names it
 *   (Azure answers `InvalidOutputTable` otherwise, provider issue #21897): the rule depends on it.
 * - `azurerm_monitor_data_collection_rule`: `kind` `Linux` (forces a new rule only when changed
 *   from a set value); custom streams start `Custom-`, validated by Azure, not the provider; no data
 *   collection endpoint: Azure needs one only with private link (docs, 2025-05-21).
 * - `azurerm_monitor_action_group`: `short_name` 1-12 characters; location `global`.
 * - `azurerm_monitor_scheduled_query_rules_alert_v2`: exactly one scope (the workspace);
 *   `skip_query_validation`, because a query on `FrontAccess_CL` fails Azure's check until the
 *   table holds a row.
 */
import { LogAnalyticsWorkspace, LogAnalyticsWorkspaceTableCustomLog, MonitorActionGroup, MonitorDataCollectionRule, type MonitorDataCollectionRuleDataSources, MonitorScheduledQueryRulesAlertV2, RoleAssignment, UserAssignedIdentity } from '../runtime/azurerm';
import type { Construct } from 'constructs';
import { FRONT_ACCESS_STREAM, FRONT_ACCESS_TABLE, FRONT_ACCESS_TRANSFORM, frontAccessStreamColumns, frontAccessTableColumns, tableColumnType } from '../monitor/front-access-log';
import { diagnosticSetting, type MonitoringPlan } from '../monitor/monitoring';
import { workspaceAlerts } from '../monitor/queries';
import { VM_FRONT_PATHS } from '../front/nginx-conf';
import { PLATFORM_PARTS } from '../spec/names';
import type { EnvironmentPlan } from '../spec/plan';
import { EnvironmentStack } from './environment-stack';

/** Syslog from every VM: the services' and agents' journal reaches rsyslog as `daemon` (systemd's default `SyslogFacility=`). */
const SYSLOG = { facilityNames: ['daemon', 'user', 'syslog', 'auth', 'authpriv', 'kern', 'cron'], logLevels: ['Info', 'Notice', 'Warning', 'Error', 'Critical', 'Alert', 'Emergency'] };

/**
 * Performance counters every minute, with the names the Linux agent takes (Azure Monitor docs,
 * "Collect performance counters from virtual machine", Linux table).
 */
export const PERF_COUNTERS = [
  'Processor(*)\\% Processor Time',
  'Processor(*)\\% IO Wait Time',
  'Memory(*)\\% Used Memory',
  'Memory(*)\\Available MBytes Memory',
  'Logical Disk(*)\\% Used Space',
  'Logical Disk(*)\\% Used Inodes',
  'Network(*)\\Total Bytes Transmitted',
  'Network(*)\\Total Bytes Received',
  'System(*)\\Load1',
] as const;

const WORKSPACE_DESTINATION = 'workspace';

/** `<env>-monitor`: the workspace, the front's access table, the rules, the action group and the workspace's alerts. */
export class MonitorStack extends EnvironmentStack {
  constructor(scope: Construct, plan: EnvironmentPlan, monitoring: MonitoringPlan) {
    super(scope, plan, PLATFORM_PARTS.monitor);
    const { env, names } = plan;
    const m = env.monitoring;
    const resourceGroupName = this.resourceGroup(PLATFORM_PARTS.monitor).name;
    const location = env.region;
    const workspace = monitoring.createsWorkspace
      ? new LogAnalyticsWorkspace(this, 'workspace', {
          name: names.workspace,
          resourceGroupName,
          location,
          sku: 'PerGB2018',
          retentionInDays: m.retentionDays,
          dailyQuotaGb: m.dailyQuotaGb,
          // the agents sign in with Entra ID (their identities); nothing needs the shared keys
          localAuthenticationEnabled: false,
          tags: plan.tags,
        })
      : undefined;
    const workspaceId = workspace?.id ?? monitoring.workspaceId;
    if (workspace) diagnosticSetting(this, 'workspace-diagnostics', { targetResourceId: workspace.id, workspaceId: workspace.id, kind: { logs: 'audit', metrics: true } });

    const table = new LogAnalyticsWorkspaceTableCustomLog(this, 'front-access-table', {
      name: FRONT_ACCESS_TABLE,
      workspaceId,
      description: "The front's access log: one row per request, with the service, the slot that served it and why",
      column: frontAccessTableColumns().map((c) => ({ name: c.name, type: tableColumnType(c.type), description: c.description })),
    });

    const destinations = { logAnalytics: [{ name: WORKSPACE_DESTINATION, workspaceResourceId: workspaceId }] };
    const vmSources = (): MonitorDataCollectionRuleDataSources => ({
      syslog: [{ name: 'syslog', streams: ['Microsoft-Syslog'], ...SYSLOG }],
      performanceCounter: [{ name: 'perf', streams: ['Microsoft-Perf'], samplingFrequencyInSeconds: 60, counterSpecifiers: [...PERF_COUNTERS] }],
    });
    const vmFlow = { streams: ['Microsoft-Syslog', 'Microsoft-Perf'], destinations: [WORKSPACE_DESTINATION] };
    new MonitorDataCollectionRule(this, 'vms-rule', {
      name: names.dataCollectionRule('vms'),
      resourceGroupName,
      location,
      kind: 'Linux',
      description: "The service and pool VMs: syslog (the services' journal) and performance counters",
      destinations,
      dataSources: vmSources(),
      dataFlow: [vmFlow],
      tags: plan.tags,
    });
    new MonitorDataCollectionRule(this, 'front-rule', {
      name: names.dataCollectionRule('front'),
      resourceGroupName,
      location,
      kind: 'Linux',
      description: "The front VMs: syslog, performance counters, and nginx's access log as JSON into " + FRONT_ACCESS_TABLE,
      destinations,
      dataSources: { ...vmSources(), logFile: [{ name: 'front-access', streams: [FRONT_ACCESS_STREAM], filePatterns: [VM_FRONT_PATHS.accessLog], format: 'json' }] },
      streamDeclaration: [{ streamName: FRONT_ACCESS_STREAM, column: frontAccessStreamColumns() }],
      dataFlow: [vmFlow, { streams: [FRONT_ACCESS_STREAM], destinations: [WORKSPACE_DESTINATION], transformKql: FRONT_ACCESS_TRANSFORM, outputStream: `Custom-${FRONT_ACCESS_TABLE}` }],
      // Azure refuses a rule whose output table does not exist yet
      dependsOn: [table],
      tags: plan.tags,
    });

    const actionGroup = new MonitorActionGroup(this, 'action-group', {
      name: names.actionGroup,
      resourceGroupName,
      location: 'global',
      shortName: `ase-${env.name}`.slice(0, 12),
      emailReceiver: monitoring.contacts.map((address, i) => ({ name: `contact-${i + 1}`, emailAddress: address, useCommonAlertSchema: true })),
      tags: plan.tags,
    });

    const alerts = workspaceAlerts(monitoring);
    // the quota alert reads Azure Resource Graph: Azure runs its query as this identity, with Reader on the subscription
    const existingReader = env.monitoring.alerts.vcpuQuotaReaderId;
    const quotaReader = !alerts.some((a) => a.readsResourceGraph)
      ? undefined
      : existingReader
        ? { identityId: existingReader, after: [] }
        : this.quotaReader(plan, workspaceId, resourceGroupName);
    for (const alert of alerts) {
      const reader = alert.readsResourceGraph ? quotaReader : undefined;
      new MonitorScheduledQueryRulesAlertV2(this, `alert-${alert.key}`, {
        name: `${env.name}-${alert.key}`,
        resourceGroupName,
        location,
        scopes: [workspaceId],
        description: alert.description,
        severity: alert.severity,
        evaluationFrequency: alert.schedule?.frequency ?? 'PT5M',
        windowDuration: alert.schedule?.window ?? 'PT5M',
        criteria: [{ query: alert.query, timeAggregationMethod: 'Count', operator: 'GreaterThan', threshold: 0, dimension: alert.dimensions.map((name) => ({ name, operator: 'Include', values: ['*'] })), failingPeriods: { minimumFailingPeriodsToTriggerAlert: 1, numberOfEvaluationPeriods: 1 } }],
        action: { actionGroups: [actionGroup.id] },
        autoMitigationEnabled: true,
        // FrontAccess_CL has no row until the first front VM logs: Azure's check would refuse the query
        skipQueryValidation: true,
        ...(reader ? { identity: { type: 'UserAssigned', identityIds: [reader.identityId] } } : {}),
        // no wait for the grant: no write depends on it, and until Azure honours it an evaluation fails and the next one runs (docs/monitoring.md)
        dependsOn: [table, ...(reader?.after ?? [])],
        tags: plan.tags,
      });
    }

    // no setting on the state account: its CanNotDelete lock would block deleting one (ScopeLocked, ASE-STATE-002)
  }

  /**
   * `id-<env>-quota-reader` with Reader on the subscription, which a rule needs to read Azure
   * Resource Graph. Azure runs the rule's whole query as the identity, the workspace part too:
   * Reader on this subscription reads a workspace in it; one in another subscription gets a grant of
   * its own.
   */
  private quotaReader(plan: EnvironmentPlan, workspaceId: string, resourceGroupName: string): { identityId: string; after: RoleAssignment[] } {
    const { env, names } = plan;
    const identity = new UserAssignedIdentity(this, 'quota-reader', { name: names.quotaReaderIdentity, resourceGroupName, location: env.region, tags: plan.tags });
    const grant = (id: string, scope: string, role: string, description: string) =>
      new RoleAssignment(this, id, { scope, roleDefinitionName: role, principalId: identity.principalId, principalType: 'ServicePrincipal', description: `${env.name}: ${description}` });
    const after = [grant('quota-reader-subscription', `/subscriptions/${env.subscriptionId}`, 'Reader', 'the vCPU quota alert reads QuotaResources in Azure Resource Graph')];
    const workspaceSubscription = /^\/subscriptions\/([^/]+)\//i.exec(workspaceId)?.[1];
    if (workspaceSubscription !== undefined && workspaceSubscription.toLowerCase() !== env.subscriptionId.toLowerCase()) {
      after.push(grant('quota-reader-workspace', workspaceId, 'Log Analytics Reader', 'the vCPU quota alert queries the workspace'));
    }
    return { identityId: identity.id, after };
  }
}
