/**
 * The nginx front: its resource group now; its scale set, internal load balancer with the static
 * frontend every caller keeps, and the routing table as the front work lands. A swap deploys only
 * this stack.
 */
import type { Construct } from 'constructs';
import { PLATFORM_PARTS } from '../lib/spec/names';
import type { EnvironmentPlan } from '../lib/spec/plan';
import { EnvironmentStack } from './environment-stack';

export class FrontStack extends EnvironmentStack {
  constructor(scope: Construct, plan: EnvironmentPlan) {
    super(scope, plan, PLATFORM_PARTS.front);
    this.resourceGroup(PLATFORM_PARTS.front);
  }
}
