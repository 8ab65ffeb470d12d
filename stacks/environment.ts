/**
 * One environment's stacks: network, one per service, the front, and the state bootstrap when
 * the spec names a backend. Stacks share the static plan, never references; the dependencies
 * only order `cdktf deploy`.
 */
import type { Construct } from 'constructs';
import type { EnvironmentPlan } from '../lib/spec/plan';
import { FrontStack } from './front-stack';
import { NetworkStack } from './network-stack';
import { ServiceStack } from './service-stack';
import { StateStack } from './state-stack';

export interface EnvironmentStacks {
  readonly state?: StateStack;
  readonly network: NetworkStack;
  readonly services: Readonly<Record<string, ServiceStack>>;
  readonly front: FrontStack;
}

export function buildEnvironment(scope: Construct, plan: EnvironmentPlan): EnvironmentStacks {
  const state = plan.env.stateBackend ? new StateStack(scope, plan) : undefined;
  const network = new NetworkStack(scope, plan);
  if (state) network.addDependency(state);
  const services: Record<string, ServiceStack> = {};
  for (const svc of plan.env.services) {
    const stack = new ServiceStack(scope, plan, svc);
    stack.addDependency(network);
    services[svc.name] = stack;
  }
  const front = new FrontStack(scope, plan);
  front.addDependency(network);
  return { state, network, services, front };
}
