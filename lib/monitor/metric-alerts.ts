/**
 * A scale set's metric alerts, beside its resources (each slot's in its compute stack, the front's
 * in the front stack): instances failing the load balancer's health probe, and autoscale held at
 * its maximum.
 *
 * Checked against azurerm v4.55.0 `monitor_metric_alert_resource.go`: `name` forces a new alert;
 * `frequency` PT1M/PT5M/PT15M/PT30M/PT1H, `window_size` from PT1M to P1D and longer than the
 * frequency; create polls until ten reads in a row find the alert (about 2.5 minutes each, Azure's
 * eventual consistency, azure-rest-api-specs#10973). Metric names from Azure Monitor's supported
 * metrics: `Microsoft.Network/loadBalancers` `DipAvailability` (health probe status, Average, in
 * percent) and `Microsoft.Insights/autoscalesettings` `ObservedCapacity` (Average).
 */
import { MonitorMetricAlert } from '../runtime/azurerm';
import type { Construct } from 'constructs';
import type { EnvironmentPlan } from '../spec/plan';
import type { MonitoringPlan } from './monitoring';

/** The evaluation frequency for a window (Azure: the window must be longer than the frequency). */
const frequencyFor = (minutes: number) => (minutes <= 5 ? 'PT1M' : 'PT5M');
const window = (minutes: number) => (minutes === 60 ? 'PT1H' : `PT${minutes}M`);

/** What the alerts watch: a scale set's load balancer and autoscale setting. */
export interface WatchedScaleSet {
  /** `<label>-<slot>` or `front`: in the alerts' names and descriptions. */
  readonly label: string;
  readonly loadBalancerId: string;
  readonly autoscaleSettingId: string;
  readonly capacityMax: number;
  /** Held at a fixed count (a parked slot): no at-maximum alert. */
  readonly parked?: boolean;
}

/** A scale set's two metric alerts: instances failing the health probe, and autoscale at its maximum. */
export function scaleSetAlerts(scope: Construct, id: string, props: { plan: EnvironmentPlan; monitoring: MonitoringPlan; resourceGroupName: string; watched: WatchedScaleSet }): void {
  const { env } = props.plan;
  const a = props.monitoring.alerts;
  const w = props.watched;
  const name = (what: string) => `${env.name}-${w.label}-${what}`;
  new MonitorMetricAlert(scope, `${id}-unhealthy-alert`, {
    name: name('unhealthy'),
    resourceGroupName: props.resourceGroupName,
    scopes: [w.loadBalancerId],
    description: `An instance of ${w.label} failed its load balancer's health probe for ${a.unhealthyMinutes} minutes (automatic repair replaces it after its grace period)`,
    severity: 2,
    frequency: frequencyFor(a.unhealthyMinutes),
    windowSize: window(a.unhealthyMinutes),
    criteria: [{ metricNamespace: 'Microsoft.Network/loadBalancers', metricName: 'DipAvailability', aggregation: 'Average', operator: 'LessThan', threshold: 100 }],
    action: [{ actionGroupId: props.monitoring.actionGroupId }],
    tags: props.plan.tags,
  });
  if (w.parked) return;
  new MonitorMetricAlert(scope, `${id}-at-max-alert`, {
    name: name('at-max'),
    resourceGroupName: props.resourceGroupName,
    scopes: [w.autoscaleSettingId],
    description: `${w.label} has run at its autoscale maximum (${w.capacityMax} instances) for ${a.autoscaleAtMaxMinutes} minutes: it cannot scale out further`,
    severity: 2,
    frequency: frequencyFor(a.autoscaleAtMaxMinutes),
    windowSize: window(a.autoscaleAtMaxMinutes),
    criteria: [{ metricNamespace: 'Microsoft.Insights/autoscalesettings', metricName: 'ObservedCapacity', aggregation: 'Average', operator: 'GreaterThanOrEqual', threshold: w.capacityMax }],
    action: [{ actionGroupId: props.monitoring.actionGroupId }],
    tags: props.plan.tags,
  });
}
