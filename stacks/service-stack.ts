/**
 * One stack per service: its resource group now; its two slots (scale set, internal load
 * balancer, autoscale each) as the compute work lands. Reads the network only through the static
 * plans (names and addresses), never through cross-stack references.
 */
import type { Construct } from 'constructs';
import { servicePart } from '../lib/spec/names';
import type { EnvironmentPlan } from '../lib/spec/plan';
import type { Service } from '../lib/spec/schema';
import { EnvironmentStack } from './environment-stack';

export class ServiceStack extends EnvironmentStack {
  public readonly service: Service;

  constructor(scope: Construct, plan: EnvironmentPlan, service: Service) {
    super(scope, plan, servicePart(service.name));
    this.service = service;
    this.resourceGroup(servicePart(service.name), { ...plan.tags, ...service.tags, service: service.name });
  }
}
