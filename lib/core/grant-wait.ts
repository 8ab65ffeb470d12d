/**
 * Waiting for a role assignment to take effect. Azure answers the assignment's PUT at once and the
 * provider waits until Resource Manager reads it back, but the data planes (Key Vault, Storage)
 * honour it only later: Azure documents up to 10 minutes. Neither the provider's Key Vault nor its
 * blob resources retry the 403 they get meanwhile (provider issue #23927), and a scale set whose
 * Key Vault extension fails its first sync is not recorded in state. So every grant that a write
 * in the same apply, or a VM created by a later stack, relies on is followed by a `time_sleep`
 * whose trigger is the grant's ID: a new or replaced grant waits again, an unchanged one costs
 * nothing on later applies, and a removed one takes its wait with it (no wait on removal).
 *
 * See docs/apply-order.md for the durations and why.
 */
import type { RoleAssignment } from '../runtime/azurerm';
import { Sleep, TimeProvider } from '../runtime/time';
import { TerraformProvider, TerraformStack } from '../runtime/cdk';
import type { IConstruct } from 'constructs';

/**
 * How long a new or changed grant is waited for, by what it guards (Terraform duration strings).
 * The documented bound (10 minutes) where a 403 leaves Azure and Terraform's state apart; half of
 * it where a 403 only fails the apply and the next one completes it.
 */
export const GRANT_WAIT = {
  /**
   * Grants a VM needs while it is created (the Key Vault extension's first sync on services, the
   * front's blobs and certificate): a scale set whose creation fails on an extension exists in Azure but not in state, and
   * the next apply stops with "needs to be imported". 10 minutes: Azure's documented bound.
   */
  vmReads: '10m',
  /**
   * The deployer's own data-plane writes (certificates, contacts, the front's blobs): on a 403 the
   * provider has written nothing (its existence check fails first), and the next apply writes it.
   * 5 minutes: ten times the Azure Verified Module's default (30 s), past the reported cases.
   */
  deployerWrites: '5m',
  /**
   * The grants a policy assignment's identity needs before its remediation task runs (the data
   * collection rule association of each VM already in a Flexible scale set, docs/monitoring.md): a
   * task that meets a 403 fails for that VM, Terraform never hears (it starts the task and returns),
   * and no later task runs. 10 minutes: Azure's documented bound. It runs beside the scale sets'
   * creation, which takes minutes of its own.
   */
  policyRemediation: '10m',
} as const;

/**
 * The stack's default `time` provider: the app's own if it declared one (without an alias) anywhere
 * in the stack, by any binding, else one created at the stack's root (id 'time').
 */
export function timeProviderOf(scope: IConstruct): TerraformProvider {
  const stack = TerraformStack.of(scope);
  const known = providers.get(stack);
  if (known) return known; // one search per stack: an identities stack has a wait per grant
  // any binding's time provider: this library's (runtime/time.ts) or the app's own (@cdktf/provider-time)
  const declared = stack.node.findAll().find((c): c is TerraformProvider => c instanceof TerraformProvider && c.terraformResourceType === 'time' && !(c as { alias?: string }).alias);
  if (!declared && stack.node.tryFindChild('time')) throw new Error(`${stack.node.path}: the id 'time' is taken by something that is not the time provider`);
  const provider = declared ?? new TimeProvider(stack, 'time');
  providers.set(stack, provider);
  return provider;
}

const providers = new WeakMap<TerraformStack, TerraformProvider>();

/**
 * A `time_sleep` beside `grant` (id `<grant id>-propagated`), created after it and waiting
 * `duration`; replaced, and so waited for again, whenever the grant's ID changes. Make the writes
 * (or VMs) that need the grant depend on it.
 */
export function waitForGrant(grant: RoleAssignment, duration: string): Sleep {
  const scope = grant.node.scope;
  if (!scope) throw new Error('waitForGrant: the grant has no scope');
  timeProviderOf(grant);
  return new Sleep(scope, `${grant.node.id}-propagated`, {
    createDuration: duration,
    // the grant's ID: unknown until it exists (so the sleep starts after it), new when it is replaced
    triggers: { role_assignment_id: grant.id },
  });
}
