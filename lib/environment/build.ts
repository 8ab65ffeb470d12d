/**
 * One environment's stacks: monitoring, network, the vault, identities, one per service, the front, and the state bootstrap when
 * the spec names a backend. Stacks share the static plan, never references; the dependencies
 * only order `cdktf deploy`.
 */
import type { Construct } from 'constructs';
import type { EnvironmentPlan } from '../spec/plan';
import { FrontStack } from './front-stack';
import { IdentitiesStack } from './identities-stack';
import { NetworkStack } from './network-stack';
import { ComputeStack } from './compute-stack';
import { StateStack } from './state-stack';
import { MonitorStack } from './monitor-stack';
import { monitoringOf } from '../monitor/monitoring';
import { VaultStack } from './vault-stack';
import { regionOf } from '../spec/regional';

/** The stacks {@link buildEnvironment} made for one environment. */
export interface EnvironmentStacks {
  /** The state storage bootstrap, when the spec names a backend. */
  readonly state?: StateStack;
  /** The workspace, data collection rules, action group and log alerts, unless monitoring is off. */
  readonly monitor?: MonitorStack;
  /** Resource group, VNet, subnets, NSGs, NAT gateway. */
  readonly network: NetworkStack;
  /** The Key Vault and its certificates, when the spec has `keyVault`. */
  readonly vault?: VaultStack;
  /** Every identity and its data-plane grants, deployed before the VMs. */
  readonly identities: IdentitiesStack;
  /** One per placement, by part: 'svc-<service>' (a service on its own VMs) or 'pool-<pool>'. */
  readonly compute: Readonly<Record<string, ComputeStack>>;
  /** The nginx front. */
  readonly front: FrontStack;
}

/**
 * One environment's stacks in `scope` (an App): network, vault, identities, one per placement,
 * the front, and the state bootstrap when the spec names a backend. They share the static plan,
 * never references; their dependencies only order `cdktf deploy`.
 */
export function buildEnvironment(scope: Construct, plan: EnvironmentPlan): EnvironmentStacks {
  // another region's stacks keep their state in the account the first region's state stack made
  const state = plan.env.stateBackend && regionOf(plan.env) === undefined ? new StateStack(scope, plan) : undefined;
  // the workspace and rules first: every other stack's diagnostic settings and agents send there
  const monitoring = monitoringOf(plan);
  const monitor = monitoring ? new MonitorStack(scope, plan, monitoring) : undefined;
  if (state) monitor?.addDependency(state);
  const network = new NetworkStack(scope, plan);
  if (state) network.addDependency(state);
  if (monitor) network.addDependency(monitor);
  // the vault's firewall names the VM subnets, which the network stack creates first
  const vault = plan.env.keyVault ? new VaultStack(scope, plan) : undefined;
  vault?.addDependency(network);
  // identities and their grants one apply before the VMs that use them; a grant's scope (the
  // vault's certificate) must exist first
  const identities = new IdentitiesStack(scope, plan);
  identities.addDependency(vault ?? network);
  const compute: Record<string, ComputeStack> = {};
  for (const placement of plan.placements) {
    const stack = new ComputeStack(scope, plan, placement);
    stack.addDependency(network);
    stack.addDependency(identities);
    compute[placement.part] = stack;
  }
  const front = new FrontStack(scope, plan);
  front.addDependency(network);
  front.addDependency(identities);
  // a retired placement is emptied after the front stops routing to it: `cdktf deploy` applies
  // the front (its config and routing table without the retired services) first
  for (const placement of plan.placements) if (placement.retired || placement.services.some((s) => s.retired)) compute[placement.part].addDependency(front);
  return { state, monitor, network, vault, identities, compute, front };
}
