/**
 * Base of every stack of an environment: readable stable addresses, the azurerm provider for the
 * environment's subscription, and its state backend (a relative local path by default, so two
 * checkouts synthesize the same bytes; the spec's Azure Storage account when it names one, one
 * state key per stack, locked by blob lease).
 */
import { AzurermProvider, ResourceGroup } from '../runtime/azurerm';
import { AzurermBackend, LocalBackend } from '../runtime/cdk';
import type { Construct } from 'constructs';
import { StableAddressStack } from '../core/stable-address-stack';
import type { EnvironmentPlan } from '../spec/plan';
import { addDiagnostics, monitoringOf } from '../monitor/monitoring';

/** Options of {@link EnvironmentStack}. */
export interface EnvironmentStackOptions {
  /** Use local state even when the spec names a backend (the state bootstrap stack). */
  readonly localState?: boolean;
  /** Authenticate to storage data planes with Entra ID (for stacks that manage storage). */
  readonly storageUseAzuread?: boolean;
}

/**
 * Base of every stack of an environment: stable addresses, the azurerm provider for the
 * environment's subscription, and its state backend (a relative local path, or the spec's Azure
 * Storage account with one key per stack).
 */
export class EnvironmentStack extends StableAddressStack {
  /** The environment's plan. */
  public readonly plan: EnvironmentPlan;
  /** `<env>-<part>`, e.g. 'retail-network'. */
  public readonly stackName: string;

  constructor(scope: Construct, plan: EnvironmentPlan, part: string, options: EnvironmentStackOptions = {}) {
    const stackName = plan.names.stack(part);
    super(scope, stackName);
    this.plan = plan;
    this.stackName = stackName;
    const { env } = plan;
    new AzurermProvider(this, 'azurerm', {
      features: [{}],
      // The provider's default ('legacy') registers some fifty resource providers on the whole
      // subscription at every plan, which needs `*/register/action` there: a deployer scoped to
      // resource groups cannot. 'none' registers nothing; the namespaces these stacks use are
      // registered once, in advance (docs/prerequisites.md, `ase prerequisites <env>`).
      resourceProviderRegistrations: 'none',
      subscriptionId: env.subscriptionId,
      tenantId: env.tenantId,
      storageUseAzuread: options.storageUseAzuread,
    });
    if (env.stateBackend && !options.localState) {
      new AzurermBackend(this, {
        resourceGroupName: env.stateBackend.resourceGroupName,
        storageAccountName: env.stateBackend.storageAccountName,
        containerName: env.stateBackend.containerName,
        key: `${env.name}/${stackName}.tfstate`,
        subscriptionId: env.subscriptionId,
        tenantId: env.tenantId,
        useAzureadAuth: true,
      });
    } else {
      // Terraform runs each stack from cdktf.out/stacks/<stack>/: this is the project root.
      new LocalBackend(this, { path: `../../../terraform.${stackName}.tfstate` });
    }
  }

  /**
   * A diagnostic setting to the environment's workspace on every resource of this stack that takes
   * one (unless monitoring is off); call it last in the constructor. `skip`: types that already send
   * elsewhere.
   */
  protected sendDiagnostics(skip: readonly string[] = []): void {
    const m = monitoringOf(this.plan);
    if (m) addDiagnostics(this, m.workspaceId, skip);
  }

  /** The stack's own resource group, named from the spec's template. */
  protected resourceGroup(part: string, tags: Record<string, string> = this.plan.tags): ResourceGroup {
    return new ResourceGroup(this, 'resource-group', { name: this.plan.names.resourceGroup(part), location: this.plan.env.region, tags });
  }
}
