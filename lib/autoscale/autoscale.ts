/**
 * Autoscale: an autoscale setting for a scale set from planned profiles (see `planProfiles`):
 * every profile carries the CPU rules out and in; predictive mode and notifications optional.
 */
import { MonitorAutoscaleSetting } from '@cdktf/provider-azurerm/lib/monitor-autoscale-setting';
import { Construct } from 'constructs';
import type { PlannedProfile } from './plan';

export interface CpuRules {
  readonly scaleOutAbovePercent: number;
  readonly scaleInBelowPercent: number;
  readonly scaleOutBy: number;
  readonly windowMinutes: number;
  readonly scaleOutCooldownMinutes: number;
  readonly scaleInCooldownMinutes: number;
}

export interface MetricRules {
  readonly resourceId: string;
  readonly namespace: string;
  readonly name: string;
  readonly aggregation: 'Average' | 'Total' | 'Maximum' | 'Minimum';
  readonly scaleOutAbove: number;
  readonly scaleInBelow: number;
  readonly perInstance: boolean;
}

export interface AutoscaleProps {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly targetResourceId: string;
  readonly profiles: readonly PlannedProfile[];
  readonly cpu: CpuRules;
  /** A workload metric scaling out and in beside CPU (same steps and cooldowns). @default - none */
  readonly customMetric?: MetricRules;
  /** @default - off */
  readonly predictive?: { readonly mode: 'ForecastOnly' | 'Enabled'; readonly lookAheadMinutes: number };
  /** @default - no one */
  readonly notifyEmails?: readonly string[];
  /** @default - none */
  readonly tags?: Record<string, string>;
}

const minutes = (m: number) => `PT${m}M`;

export class Autoscale extends Construct {
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
    const rules = [
      { metricTrigger: cpuTrigger('GreaterThan', props.cpu.scaleOutAbovePercent), scaleAction: out },
      { metricTrigger: cpuTrigger('LessThan', props.cpu.scaleInBelowPercent), scaleAction: back },
    ];
    const m = props.customMetric;
    if (m) {
      const trigger = (operator: 'GreaterThan' | 'LessThan', threshold: number) => ({
        metricName: m.name,
        metricNamespace: m.namespace,
        metricResourceId: m.resourceId,
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
