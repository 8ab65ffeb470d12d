/**
 * What every stack needs to know of the environment's monitoring, from the static plan (pure
 * except the construct helpers at the end): the workspace's ID (created by `<env>-monitor`, or the
 * spec's own), the data collection rules' and the action group's IDs. Stacks share these static
 * IDs, never references, as they share the network's (lib/core/azure-ids.ts).
 *
 * Checked against azurerm v4.55.0 (docs/monitoring.md has the details):
 * - `azurerm_monitor_diagnostic_setting` (monitor_diagnostic_setting_resource.go): `name` and
 *   `target_resource_id` force a new setting; create polls until Azure returns it three times in a
 *   row; `enabled_metric` replaces the deprecated `metric` block; a `category_group` (`allLogs`,
 *   `audit`) or a `category`, never both in one block.
 * - the Azure Monitor Agent is an inline scale-set extension (`Microsoft.Azure.Monitor` /
 *   `AzureMonitorLinuxAgent`, type handler `1.0` with minor upgrades, and on Uniform scale sets
 *   `automatic_upgrade_enabled`, which the orchestrated block lacks), authenticating with the
 *   slot's user-assigned identity (`mi_res_id`), which needs no role: the data collection rule
 *   association authorizes it (Azure Monitor Agent requirements).
 */
import { MonitorDataCollectionRuleAssociation, MonitorDiagnosticSetting } from '../runtime/azurerm';
import { TerraformResource } from '../runtime/cdk';
import type { Construct } from 'constructs';
import { azureIds } from '../core/azure-ids';
import type { ScaleSetExtension } from '../compute/scale-set';
import { vmSizeInfo } from '../spec/capacity';
import { PLATFORM_PARTS } from '../spec/names';
import type { EnvironmentPlan } from '../spec/plan';
import type { Environment } from '../spec/schema';
import { DIAGNOSTICS_BY_TYPE, type DiagnosticsKind } from './diagnostic-types';

export { DIAGNOSTICS_BY_TYPE, type DiagnosticsKind };

/** The environment's monitoring, as every stack sees it. */
export interface MonitoringPlan {
  /** The workspace every diagnostic setting and data collection rule sends to (a static ID). */
  readonly workspaceId: string;
  /** Whether `<env>-monitor` creates that workspace (else the spec named an existing one). */
  readonly createsWorkspace: boolean;
  /** The monitor stack's resource group. */
  readonly resourceGroupName: string;
  /** The data collection rule of the service and pool VMs, and the front's (static IDs). */
  readonly dataCollectionRuleIds: Readonly<Record<'vms' | 'front', string>>;
  /** The alerts' action group (a static ID). */
  readonly actionGroupId: string;
  /** Who the action group emails. */
  readonly contacts: readonly string[];
  /** Alert thresholds. */
  readonly alerts: Environment['monitoring']['alerts'];
  /**
   * The certificates the VMs serve with and report (cert-expiry.ts), and the days left that
   * alert; absent when no VM has one.
   */
  readonly certificateExpiry?: {
    /** The Key Vault certificates some VM serves with, by name. */
    readonly certificates: readonly string[];
    /** Fewer days left than this alert. */
    readonly days: number;
  };
  /** The services a traffic guard watches (their trips alert); absent when none has one. */
  readonly guarded?: {
    /** The services behind the front whose traffic has a guard (docs/guard.md), sorted. */
    readonly services: readonly string[];
  };
  /**
   * The vCPU quotas watched (absent when `alerts.vcpuQuotaPercent` is false): Azure's name of each
   * (`cores` for the regional total, then each family the environment's VMs run, e.g.
   * `standardDSv5Family`), in the environment's region and subscription.
   */
  readonly vcpuQuota?: {
    /** Percent of a quota in use that alerts. */
    readonly percent: number;
    /** `cores`, then the families, sorted. */
    readonly quotaNames: readonly string[];
    /** The environment's region, as Resource Graph writes `location`. */
    readonly region: string;
    /** The environment's subscription. */
    readonly subscriptionId: string;
  };
}

/** The default days left that alert: 14, or one day before the soonest renewal. */
export const CERTIFICATE_EXPIRY_DAYS = 14;

/** The monitoring plan, or undefined when the spec turns monitoring off. */
export function monitoringOf(plan: EnvironmentPlan): MonitoringPlan | undefined {
  const { env, names } = plan;
  const m = env.monitoring;
  if (!m.enabled) return undefined;
  const rg = names.resourceGroup(PLATFORM_PARTS.monitor);
  return {
    workspaceId: m.workspaceId ?? azureIds.logAnalyticsWorkspace(env.subscriptionId, rg, names.workspace),
    createsWorkspace: m.workspaceId === undefined,
    resourceGroupName: rg,
    dataCollectionRuleIds: {
      vms: azureIds.dataCollectionRule(env.subscriptionId, rg, names.dataCollectionRule('vms')),
      front: azureIds.dataCollectionRule(env.subscriptionId, rg, names.dataCollectionRule('front')),
    },
    actionGroupId: azureIds.actionGroup(env.subscriptionId, rg, names.actionGroup),
    contacts: m.contacts ?? env.keyVault?.contacts ?? [],
    alerts: m.alerts,
    ...certificateExpiryOf(env),
    ...vcpuQuotaOf(env),
    ...guardedOf(env),
  };
}

/** The quota names of the regional total and of each VM family the environment runs. */
function vcpuQuotaOf(env: EnvironmentPlan['env']): Pick<MonitoringPlan, 'vcpuQuota'> {
  const percent = env.monitoring.alerts.vcpuQuotaPercent;
  if (percent === false) return {};
  const sizes = [env.front.vmSize, ...env.services.filter((s) => !s.retired).map((s) => s.vmSize), ...env.pools.map((p) => p.vmSize)];
  const families = new Set(sizes.flatMap((s) => {
    const family = s === undefined ? undefined : vmSizeInfo(s)?.family;
    return family ? [family] : [];
  }));
  return { vcpuQuota: { percent, quotaNames: ['cores', ...[...families].sort()], region: env.region, subscriptionId: env.subscriptionId } };
}

function guardedOf(env: EnvironmentPlan['env']): Pick<MonitoringPlan, 'guarded'> {
  const services = env.services.filter((s) => !s.retired && s.traffic.guard && s.endpoints.input.from.includes('front')).map((s) => s.name).sort();
  return services.length > 0 ? { guarded: { services } } : {};
}

function certificateExpiryOf(env: EnvironmentPlan['env']): Pick<MonitoringPlan, 'certificateExpiry'> {
  const onVms = new Set([...(env.front.tlsCertificate ? [env.front.tlsCertificate] : []), ...env.services.filter((s) => !s.retired).flatMap((s) => s.certificates)]);
  if (onVms.size === 0) return {};
  const renewals = (env.keyVault?.certificates ?? []).filter((c) => onVms.has(c.name)).map((c) => c.renewBeforeDays);
  const days = env.monitoring.alerts.certificateExpiryDays ?? Math.max(1, Math.min(CERTIFICATE_EXPIRY_DAYS, ...renewals.map((d) => d - 1)));
  return { certificateExpiry: { certificates: [...onVms].sort(), days } };
}

/** The one name every diagnostic setting of the environment takes (a resource can hold five; names are unique per resource). */
export const DIAGNOSTIC_SETTING_NAME = 'to-log-analytics';

/** A diagnostic setting on `targetResourceId` (a resource's Terraform reference or a static ID). */
export function diagnosticSetting(scope: Construct, id: string, props: { targetResourceId: string; workspaceId: string; kind: DiagnosticsKind; name?: string }): MonitorDiagnosticSetting {
  return new MonitorDiagnosticSetting(scope, id, {
    name: props.name ?? DIAGNOSTIC_SETTING_NAME,
    targetResourceId: props.targetResourceId,
    logAnalyticsWorkspaceId: props.workspaceId,
    enabledLog: props.kind.logs ? [{ categoryGroup: props.kind.logs }] : undefined,
    enabledMetric: props.kind.metrics ? [{ category: 'AllMetrics' }] : undefined,
  });
}

/** The Azure Monitor Agent extension (Linux), authenticating with a user-assigned identity. */
export const MONITOR_AGENT_EXTENSION = { publisher: 'Microsoft.Azure.Monitor', type: 'AzureMonitorLinuxAgent', typeHandlerVersion: '1.0' } as const;

/** The agent as a scale-set extension, signed in as `identityId` (the slot's own identity). */
export function monitorAgentExtension(identityId: string): ScaleSetExtension {
  return {
    name: 'azure-monitor-agent',
    ...MONITOR_AGENT_EXTENSION,
    settings: JSON.stringify({ authentication: { managedIdentity: { 'identifier-name': 'mi_res_id', 'identifier-value': identityId } } }),
    automaticUpgradeEnabled: true,
  };
}

/**
 * The association of a scale set with a data collection rule: the agent on every instance, those
 * to come included, collects what the rule says. Uniform scale sets only: for a Flexible one Azure
 * associates rules with each VM (docs/monitoring.md).
 */
export function dataCollectionRuleAssociation(scope: Construct, id: string, props: { scaleSetId: string; ruleId: string; name: string }): MonitorDataCollectionRuleAssociation {
  return new MonitorDataCollectionRuleAssociation(scope, id, {
    name: props.name,
    targetResourceId: props.scaleSetId,
    dataCollectionRuleId: props.ruleId,
    description: 'the Azure Monitor Agent on these VMs collects what this rule says',
  });
}

/**
 * A diagnostic setting for every resource of `stack` whose type takes one (DIAGNOSTICS_BY_TYPE),
 * sending to the environment's workspace; a storage account gets a second on its blob service
 * (where its logs are). Run last in a stack's constructor: a resource added after it has none, and
 * the policy pack's ASE-MON-001 says so. `skip` leaves types that already send elsewhere.
 */
export function addDiagnostics(stack: Construct, workspaceId: string, skip: readonly string[] = []): void {
  const resources = stack.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource && DIAGNOSTICS_BY_TYPE[c.terraformResourceType] !== undefined && !skip.includes(c.terraformResourceType));
  for (const r of resources) {
    const scope = r.node.scope!;
    const targetResourceId = r.getStringAttribute('id');
    diagnosticSetting(scope, `${r.node.id}-diagnostics`, { targetResourceId, workspaceId, kind: DIAGNOSTICS_BY_TYPE[r.terraformResourceType] });
    if (r.terraformResourceType === 'azurerm_storage_account') diagnosticSetting(scope, `${r.node.id}-blob-diagnostics`, { targetResourceId: `${targetResourceId}/blobServices/default`, workspaceId, kind: { logs: 'audit', metrics: false } });
  }
}
