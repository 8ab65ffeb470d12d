/**
 * The KQL the library ships, bound by Kusto.Language against the tables it reads: the log alerts
 * `<env>-monitor` creates (from the example's thresholds) and the day-two queries of
 * docs/monitoring.md. `FrontAccess_CL` has the columns the data collection rule writes; the Azure
 * tables have the columns Azure's table references and example queries use (a subset: only what
 * a query here reads). Every ```kusto block in docs/monitoring.md must be one of these queries.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { frontAccessTableColumns } from '../../lib/monitor/front-access-log';
import { monitoringOf } from '../../lib/monitor/monitoring';
import { DAY_TWO_QUERIES, workspaceAlerts } from '../../lib/monitor/queries';
import { planOf, exampleSpec } from '../helpers';
import { analyzeKql, type Tables } from '../support/kql';

const standard = [
  { name: 'TimeGenerated', type: 'datetime' },
  { name: '_ResourceId', type: 'string' },
] as const;
const TABLES: Tables = {
  FrontAccess_CL: [...frontAccessTableColumns().map(({ name, type }) => ({ name, type })), { name: '_ResourceId', type: 'string' }],
  // Azure Monitor Logs reference: Syslog
  Syslog: [...standard, ...['Computer', 'Facility', 'SeverityLevel', 'SyslogMessage', 'ProcessName', 'HostName'].map((name) => ({ name, type: 'string' as const })), { name: 'ProcessID', type: 'int' }],
  // Perf
  Perf: [...standard, ...['Computer', 'ObjectName', 'CounterName', 'InstanceName'].map((name) => ({ name, type: 'string' as const })), { name: 'CounterValue', type: 'real' }],
  // AutoscaleScaleActionsLog (Azure's example queries for the table)
  AutoscaleScaleActionsLog: [...standard, ...['ResourceId', 'ScaleDirection', 'ResultType'].map((name) => ({ name, type: 'string' as const })), { name: 'CurrentInstanceCount', type: 'int' }, { name: 'NewInstanceCount', type: 'int' }],
  // Azure Resource Graph's QuotaResources, through arg(""): the columns every Resource Graph table has (its docs' schema)
  QuotaResources: [...['id', 'name', 'type', 'tenantId', 'location', 'resourceGroup', 'subscriptionId'].map((name) => ({ name, type: 'string' as const })), { name: 'properties', type: 'dynamic' }],
  // AzureActivity
  AzureActivity: [...standard, ...['OperationNameValue', 'ActivityStatusValue', 'Caller', 'CategoryValue', 'ResourceGroup'].map((name) => ({ name, type: 'string' as const }))],
};

const monitoring = monitoringOf(planOf(exampleSpec()))!;
const alerts = workspaceAlerts(monitoring);

describe('the log alerts', () => {
  test.each(alerts.map((a) => [a.key, a] as const))('%s binds with no diagnostic, and returns the columns it splits by', (_, a) => {
    const r = analyzeKql(a.query, TABLES);
    expect(r.diagnostics).toEqual([]);
    for (const d of a.dimensions) expect(r.columns.map((c) => c.name)).toContain(d);
  });

  test("the error and latency alerts carry the spec's thresholds", () => {
    const byKey = Object.fromEntries(alerts.map((a) => [a.key, a.query]));
    expect(byKey['slot-errors']).toContain('Requests >= 100 and Errors * 100.0 / Requests > 5');
    expect(byKey['slot-latency']).toContain('P95Ms > 2000');
    const spec = exampleSpec();
    spec.monitoring = { alerts: { errorRatePercent: 1.5, latencyP95Ms: 300, minRequests: 20 } };
    const tuned = Object.fromEntries(workspaceAlerts(monitoringOf(planOf(spec))!).map((a) => [a.key, a.query]));
    expect(tuned['slot-errors']).toContain('Requests >= 20 and Errors * 100.0 / Requests > 1.5');
    expect(tuned['slot-latency']).toContain('P95Ms > 300');
  });

  test("the front-refused alert's pattern matches the agent's own log lines (lib/front/vm/front-agent.sh), and nothing routine", () => {
    const pattern = /front: (routing table \S+|config \S+|config) refused/;
    expect(alerts.find((a) => a.key === 'front-refused')!.query).toContain(`@"${pattern.source}"`);
    const agent = readFileSync(join(__dirname, '../../lib/front/vm/front-agent.sh'), 'utf8');
    // the lines the agent writes when it refuses something (log "..." with its variables)
    expect(agent).toContain('log "routing table $table_name refused: ');
    expect(agent).toContain('reason="config $conf_name refused (');
    expect(agent).toContain('log "config refused: the reload failed');
    for (const line of ['front: routing table table/0123456789abcdef.json refused: refused: services.pricing.live: unknown slot red', 'front: config config/0123456789abcdef.conf refused (nginx -t): x', 'front: config refused: the reload failed; nginx keeps the running config']) expect(line).toMatch(pattern);
    for (const line of ['front: routing table applied v2 (x)', 'front: boot: config and routing table in place']) expect(line).not.toMatch(pattern);
  });

  test("the vCPU quota alert watches the regional total and each family the example's VMs run, at the spec's percent, in its region and subscription", () => {
    const quota = alerts.find((a) => a.key === 'vcpu-quota')!;
    expect(quota.readsResourceGraph).toBe(true);
    expect(quota.query.split('\n')[0]).toBe('arg("").QuotaResources');
    // pricing D4s_v5, order-processing D2s_v5, catalog E4s_v5, the front the default D2s_v5 (the example)
    expect(quota.query).toContain("| where QuotaName in~ ('cores', 'standardDSv5Family', 'standardESv5Family')");
    expect(quota.query).toContain("location =~ 'westeurope'");
    expect(quota.query).toContain("subscriptionId =~ '6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10'");
    expect(quota.query).toContain('Used * 100 >= Limit * 80');
    expect(quota.schedule).toEqual({ frequency: 'PT15M', window: 'PT15M' });
    const spec = exampleSpec();
    spec.monitoring = { alerts: { vcpuQuotaPercent: 95 } };
    spec.pools = [];
    expect(workspaceAlerts(monitoringOf(planOf(spec))!).find((a) => a.key === 'vcpu-quota')!.query).toContain('Used * 100 >= Limit * 95');
    spec.monitoring = { alerts: { vcpuQuotaPercent: false } };
    expect(workspaceAlerts(monitoringOf(planOf(spec))!).map((a) => a.key)).not.toContain('vcpu-quota');
  });

  test('a broken query is a diagnostic (the checker is not a no-op)', () => {
    expect(analyzeKql('arg("").QuotaResources | where Type =~ "x"', TABLES).diagnostics.join()).toMatch(/Type/);
    expect(analyzeKql('FrontAccess_CL | summarize count() by Slott', TABLES).diagnostics.join()).toMatch(/Slott/);
    expect(analyzeKql('Syslog | where SyslogMessage hass "x"', TABLES).diagnostics.length).toBeGreaterThan(0);
  });
});

describe('the day-two queries', () => {
  test.each(DAY_TWO_QUERIES.map((q) => [q.question, q] as const))('%s', (_, q) => {
    expect(analyzeKql(q.query, TABLES).diagnostics).toEqual([]);
  });

  test('docs/monitoring.md lists each of them, byte for byte, and no other kusto block', () => {
    const doc = readFileSync(join(__dirname, '../../docs/monitoring.md'), 'utf8');
    const blocks = [...doc.matchAll(/```kusto\n([\s\S]*?)\n```/g)].map((m) => m[1]);
    expect(blocks.sort()).toEqual([...DAY_TWO_QUERIES.map((q) => q.query), ...alerts.map((a) => a.query)].sort());
  });
});
