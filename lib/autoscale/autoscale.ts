/**
 * Autoscale: an autoscale setting for a scale set from planned profiles (see `planProfiles`):
 * every profile carries the CPU rules out and in; predictive mode and notifications optional.
 */
import { MonitorAutoscaleSetting, type MonitorAutoscaleSettingProfileRule } from '../runtime/azurerm';
import { Construct } from 'constructs';
import type { PlannedProfile } from './plan';

/**
 * The CPU rules every profile carries (the spec's defaults: out above 70 % by 2, in below 30 % by
 * 1, over 5 minutes, cooldowns 5 and 10 minutes).
 */
export interface CpuRules {
  /** Average CPU percent above which instances are added. */
  readonly scaleOutAbovePercent: number;
  /** Average CPU percent below which one instance is removed. */
  readonly scaleInBelowPercent: number;
  /** Instances added per scale-out. */
  readonly scaleOutBy: number;
  /** Minutes the average is taken over. */
  readonly windowMinutes: number;
  /** Minutes after a scale-out before the next action. */
  readonly scaleOutCooldownMinutes: number;
  /** Minutes after a scale-in before the next action. */
  readonly scaleInCooldownMinutes: number;
}

/** A workload metric that scales out and in beside CPU, with the CPU rules' steps and cooldowns. */
export interface MetricRules {
  /** The resource that emits the metric. */
  readonly resourceId: string;
  /** The metric's namespace, e.g. 'microsoft.servicebus/namespaces'. @default - none: autoscale's per-entity metrics (e.g. 'ActiveMessageCount' on a queue) */
  readonly namespace?: string;
  /** Only the series whose dimension has one of these values, by dimension name. @default - none */
  readonly dimensions?: Readonly<Record<string, readonly string[]>>;
  /** The metric's name, e.g. 'ActiveMessages'. */
  readonly name: string;
  /** How values are combined over the window. */
  readonly aggregation: 'Average' | 'Total' | 'Maximum' | 'Minimum';
  /** Scale out above this value. */
  readonly scaleOutAbove: number;
  /** Scale in below this value. */
  readonly scaleInBelow: number;
  /** Divide the value by the instance count before comparing. */
  readonly perInstance: boolean;
}

/** Predictive autoscale (CPU only; it needs days of history). */
export interface PredictiveAutoscale {
  /** 'ForecastOnly' records forecasts; 'Enabled' also scales on them. */
  readonly mode: 'ForecastOnly' | 'Enabled';
  /** How far ahead instances are started, in minutes. */
  readonly lookAheadMinutes: number;
}

/** Props of {@link Autoscale}. */
export interface AutoscaleProps {
  /** The autoscale setting's name. */
  readonly name: string;
  /** The resource group it is created in. */
  readonly resourceGroupName: string;
  /** The Azure region, e.g. 'westeurope'. */
  readonly location: string;
  /** The scale set it scales (`ScaleSet.scaleSetId`). */
  readonly targetResourceId: string;
  /** The profiles, the default first (see {@link planProfiles}); each carries every rule. */
  readonly profiles: readonly PlannedProfile[];
  /** The CPU rules. */
  readonly cpu: CpuRules;
  /** A workload metric scaling out and in beside CPU (same steps and cooldowns). @default - none */
  readonly customMetric?: MetricRules;
  /** @default - off */
  readonly predictive?: PredictiveAutoscale;
  /** Addresses e-mailed on every scale action. @default - no one */
  readonly notifyEmails?: readonly string[];
  /** @default - none */
  readonly tags?: Record<string, string>;
}

const minutes = (m: number) => `PT${m}M`;

/**
 * An autoscale setting for a scale set from planned profiles: every profile carries the CPU rules
 * (and the custom metric's) out and in; predictive mode and e-mail notifications are optional.
 */
export class Autoscale extends Construct {
  /** The autoscale setting's resource ID (a Terraform reference). */
  public readonly autoscaleSettingId: string;

  constructor(scope: Construct, id: string, props: AutoscaleProps) {
    super(scope, id);
    const cpuTrigger = (operator: 'GreaterThan' | 'LessThan', threshold: number) => ({
      metricName: 'Percentage CPU',
      metricNamespace: 'microsoft.compute/virtualmachinescalesets',
      metricResourceId: props.targetResourceId,
      operator,
      threshold,
      statistic: 'Average',
      timeAggregation: 'Average',
      timeGrain: 'PT1M',
      timeWindow: minutes(props.cpu.windowMinutes),
    });
    const out = { direction: 'Increase', type: 'ChangeCount', value: props.cpu.scaleOutBy, cooldown: minutes(props.cpu.scaleOutCooldownMinutes) };
    const back = { direction: 'Decrease', type: 'ChangeCount', value: 1, cooldown: minutes(props.cpu.scaleInCooldownMinutes) };
    const rules: MonitorAutoscaleSettingProfileRule[] = [
      { metricTrigger: cpuTrigger('GreaterThan', props.cpu.scaleOutAbovePercent), scaleAction: out },
      { metricTrigger: cpuTrigger('LessThan', props.cpu.scaleInBelowPercent), scaleAction: back },
    ];
    const m = props.customMetric;
    if (m) {
      // by name, so a record's key order never changes the output
      const dimensions = Object.entries(m.dimensions ?? {})
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, values]) => ({ name, operator: 'Equals', values: [...values] }));
      const trigger = (operator: 'GreaterThan' | 'LessThan', threshold: number) => ({
        metricName: m.name,
        // omitted, not '': the provider refuses an empty string and sends '' for an absent one
        ...(m.namespace !== undefined ? { metricNamespace: m.namespace } : {}),
        metricResourceId: m.resourceId,
        ...(dimensions.length > 0 ? { dimensions } : {}),
        operator,
        threshold,
        statistic: 'Average',
        timeAggregation: m.aggregation,
        timeGrain: 'PT1M',
        timeWindow: minutes(props.cpu.windowMinutes),
        divideByInstanceCount: m.perInstance,
      });
      rules.push({ metricTrigger: trigger('GreaterThan', m.scaleOutAbove), scaleAction: out }, { metricTrigger: trigger('LessThan', m.scaleInBelow), scaleAction: back });
    }
    const setting = new MonitorAutoscaleSetting(this, 'autoscale', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      targetResourceId: props.targetResourceId,
      profile: props.profiles.map((p) => ({
        name: p.name,
        capacity: { ...p.capacity },
        recurrence: p.recurrence
          ? { days: [...p.recurrence.days], hours: [p.recurrence.hour], minutes: [p.recurrence.minute], timezone: p.recurrence.timeZone }
          : undefined,
        rule: rules,
      })),
      predictive: props.predictive ? { scaleMode: props.predictive.mode, lookAheadTime: minutes(props.predictive.lookAheadMinutes) } : undefined,
      notification:
        props.notifyEmails && props.notifyEmails.length > 0
          ? { email: { customEmails: [...props.notifyEmails], sendToSubscriptionAdministrator: false, sendToSubscriptionCoAdministrator: false } }
          : undefined,
      tags: props.tags,
    });
    this.autoscaleSettingId = setting.id;
  }
}
