/**
 * The KQL the library ships (pure): the log alerts `<env>-monitor` creates on the workspace, and
 * the day-two queries docs/monitoring.md lists. Every query is bound by Kusto.Language against the
 * tables' columns in test/monitor/queries.cases.ts: `FrontAccess_CL` as the data collection rule
 * fills it, `Syslog`, `Perf`, `AutoscaleScaleActionsLog` and `AzureActivity` as Azure documents them.
 */
import { FRONT_ACCESS_TABLE } from './front-access-log';
import type { MonitoringPlan } from './monitoring';
import { CERT_EXPIRY_TAG } from '../compute/cert-expiry';

/** A log alert on the workspace: it fires when the query returns a row (one alert per dimension value). */
export interface WorkspaceAlert {
  /** In the rule's name: `<env>-<key>`. */
  readonly key: string;
  readonly description: string;
  /** Azure's 0 (critical) to 4 (verbose). */
  readonly severity: number;
  readonly query: string;
  /** Columns the alert splits by: a row per service and slot fires (and resolves) on its own. */
  readonly dimensions: readonly string[];
  /** How often it runs and over how much data (ISO 8601, as azurerm allows them). @default - every 5 minutes over 5 minutes */
  readonly schedule?: { readonly frequency: string; readonly window: string };
  /**
   * The query reads Azure Resource Graph (`arg("")`): the rule runs as the quota reader identity,
   * which holds Reader on the subscription (a rule without an identity cannot read it).
   */
  readonly readsResourceGraph?: true;
}

/** The log alerts, from the spec's thresholds. Each query returns only the rows that breach. */
export function workspaceAlerts(m: MonitoringPlan): WorkspaceAlert[] {
  const a = m.alerts;
  return [
    {
      key: 'slot-errors',
      description: `A slot answered more than ${a.errorRatePercent} % of its requests with a 5xx over 5 minutes (at least ${a.minRequests} requests), from the front's access log`,
      severity: 1,
      query: [
        FRONT_ACCESS_TABLE,
        "| where Service != ''",
        '| summarize Requests = count(), Errors = countif(Status >= 500) by Service, Slot',
        `| where Requests >= ${a.minRequests} and Errors * 100.0 / Requests > ${a.errorRatePercent}`,
        '| project Service, Slot, Requests, Errors, ErrorPercent = round(Errors * 100.0 / Requests, 1)',
      ].join('\n'),
      dimensions: ['Service', 'Slot'],
    },
    {
      key: 'slot-latency',
      description: `A slot's 95th percentile request time passed ${a.latencyP95Ms} ms over 5 minutes (at least ${a.minRequests} requests), from the front's access log`,
      severity: 2,
      query: [
        FRONT_ACCESS_TABLE,
        "| where Service != ''",
        '| summarize Requests = count(), P95Ms = percentile(RequestSeconds, 95) * 1000 by Service, Slot',
        `| where Requests >= ${a.minRequests} and P95Ms > ${a.latencyP95Ms}`,
        '| project Service, Slot, Requests, P95Ms = round(P95Ms, 0)',
      ].join('\n'),
      dimensions: ['Service', 'Slot'],
    },
    {
      key: 'front-refused',
      description: 'A front VM refused a routing table or a config (it keeps serving the last good one): the next swap or ramp would not reach it',
      severity: 1,
      query: [
        'Syslog',
        "| where SyslogMessage has 'front:' and SyslogMessage has 'refused'",
        '| where SyslogMessage matches regex @"front: (routing table \\S+|config \\S+|config) refused"',
        '| summarize Refusals = count(), Last = arg_max(TimeGenerated, SyslogMessage) by Computer',
        '| project Computer, Refusals, SyslogMessage',
      ].join('\n'),
      dimensions: ['Computer'],
    },
    ...(m.guarded
      ? [
          {
            key: 'guard-tripped',
            description: 'A front VM\'s traffic guard tripped: a new slot failed against the good one and the front moved its traffic back or held it (docs/guard.md); it stays so until the slot runs another version',
            severity: 1,
            query: [
              'Syslog',
              // the front agent logs each trip once per VM, from the router's admin endpoint
              "| where SyslogMessage has 'front: guard tripped:'",
              '| extend Service = extract(@"front: guard tripped: (\\S+) ", 1, SyslogMessage)',
              '| summarize FrontVMs = dcount(Computer), Last = arg_max(TimeGenerated, SyslogMessage) by Service',
              '| project Service, FrontVMs, SyslogMessage',
            ].join('\n'),
            dimensions: ['Service'],
          },
        ]
      : []),
    ...(m.certificateExpiry
      ? [
          {
            key: 'certificate-expiry',
            description: `A certificate a VM serves with expires in fewer than ${m.certificateExpiry.days} days, or the VM cannot read it (as the VMs report them every 6 hours): Key Vault's renewal did not happen or did not reach the VM`,
            severity: 2,
            query: [
              'Syslog',
              `| where ProcessName == '${CERT_EXPIRY_TAG}'`,
              '| extend Certificate = extract(@"^(\\S+) ", 1, SyslogMessage), DaysLeft = toint(extract(@" in (-?[0-9]+) days$", 1, SyslogMessage))',
              '| summarize arg_max(TimeGenerated, DaysLeft, SyslogMessage) by Computer, Certificate',
              `| where isnull(DaysLeft) or DaysLeft < ${m.certificateExpiry.days}`,
              '| project Computer, Certificate, DaysLeft, SyslogMessage',
            ].join('\n'),
            dimensions: ['Computer', 'Certificate'],
            // the VMs report every 6 hours: a day holds several reports from each
            schedule: { frequency: 'PT6H', window: 'P1D' },
          },
        ]
      : []),
    ...(m.vcpuQuota ? [vcpuQuotaAlert(m.vcpuQuota)] : []),
  ];
}

/**
 * Quota near its limit: Azure Resource Graph's QuotaResources, the same data and the same query
 * shape as the alert the portal's Quotas page creates ("Create alerts for quotas"): one row per
 * usage of `microsoft.compute/locations/usages`, `name.value` as `az vm list-usage` prints it.
 */
function vcpuQuotaAlert(q: NonNullable<MonitoringPlan['vcpuQuota']>): WorkspaceAlert {
  const list = q.quotaNames.map((n) => `'${n}'`).join(', ');
  return {
    key: 'vcpu-quota',
    description: `A vCPU quota in ${q.region} (the regional total or a VM family the environment runs) is ${q.percent} % used or more: the next scale-out, surge upgrade or new slot may fail to allocate`,
    severity: 2,
    query: [
      'arg("").QuotaResources',
      `| where type =~ 'microsoft.compute/locations/usages' and subscriptionId =~ '${q.subscriptionId}' and location =~ '${q.region}'`,
      '| mv-expand Usage = properties.value limit 400',
      "| extend QuotaName = tostring(Usage.name.value), Used = toint(Usage.currentValue), Limit = toint(Usage['limit'])",
      `| where QuotaName in~ (${list})`,
      `| where Limit > 0 and Used * 100 >= Limit * ${q.percent}`,
      '| project QuotaName, Used, Limit, UsedPercent = Used * 100 / Limit',
    ].join('\n'),
    dimensions: ['QuotaName'],
    // quota usage moves with VMs, not requests: the portal's quota alerts offer 5 to 15 minutes
    schedule: { frequency: 'PT15M', window: 'PT15M' },
    readsResourceGraph: true,
  };
}

/** A query docs/monitoring.md lists for a day-two question. */
export interface DayTwoQuery {
  readonly question: string;
  readonly query: string;
  /** What must be true for the data to be there. */
  readonly needs?: string;
}

/** The day-two questions and their queries. */
export const DAY_TWO_QUERIES: readonly DayTwoQuery[] = [
  {
    question: 'Where did each service send its traffic during a ramp or swap (share per slot, 5-minute bins)?',
    query: [
      FRONT_ACCESS_TABLE,
      '| where TimeGenerated > ago(6h) and Service != ""',
      '| summarize Requests = count() by bin(TimeGenerated, 5m), Service, Slot',
      '| as T | join kind=inner (T | summarize Total = sum(Requests) by TimeGenerated, Service) on TimeGenerated, Service',
      '| project TimeGenerated, Service, Slot, Requests, SharePercent = round(100.0 * Requests / Total, 1)',
      '| order by TimeGenerated asc, Service asc, Slot asc',
    ].join('\n'),
  },
  {
    question: 'Which slot and which backend served the failing requests?',
    query: [
      FRONT_ACCESS_TABLE,
      '| where TimeGenerated > ago(1h) and Status >= 500',
      '| summarize Failures = count(), Statuses = make_set(Status), Sample = take_any(RequestId) by Service, Slot, Upstream, Reason',
      '| order by Failures desc',
    ].join('\n'),
  },
  {
    question: 'Why did a request go to the slot it did (rules, weight, failover), per service?',
    query: [FRONT_ACCESS_TABLE, '| where TimeGenerated > ago(1h)', '| summarize Requests = count() by Service, Slot, Reason', '| order by Service asc, Requests desc'].join('\n'),
  },
  {
    question: 'What did autoscale do, and did it stop at its maximum?',
    query: [
      'AutoscaleScaleActionsLog',
      '| where TimeGenerated > ago(1d)',
      '| project TimeGenerated, ResourceId, ScaleDirection, CurrentInstanceCount, NewInstanceCount, ResultType',
      '| order by TimeGenerated desc',
    ].join('\n'),
  },
  {
    question: 'Which instances did automatic repair replace?',
    query: [
      'AzureActivity',
      '| where TimeGenerated > ago(7d)',
      "| where OperationNameValue =~ 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/delete' or OperationNameValue has 'repair'",
      '| project TimeGenerated, _ResourceId, OperationNameValue, ActivityStatusValue, Caller',
      '| order by TimeGenerated desc',
    ].join('\n'),
    needs: "the subscription's activity log in the workspace (a subscription diagnostic setting: `az monitor diagnostic-settings subscription create`), which the library does not create: it needs a subscription-scope role the deployer does not hold",
  },
  {
    question: "What did a service's instances log in the last hour (the journal, through syslog)?",
    query: ['Syslog', '| where TimeGenerated > ago(1h) and ProcessName startswith "pricing"', '| project TimeGenerated, Computer, ProcessName, SeverityLevel, SyslogMessage', '| order by TimeGenerated desc'].join('\n'),
  },
  {
    question: 'Which VMs run short of memory or disk?',
    query: [
      'Perf',
      '| where TimeGenerated > ago(30m)',
      '| where (ObjectName == "Memory" and CounterName == "% Used Memory") or (ObjectName == "Logical Disk" and CounterName == "% Used Space")',
      '| summarize Peak = max(CounterValue) by Computer, ObjectName, CounterName, InstanceName',
      '| where Peak > 85',
    ].join('\n'),
  },
];
