/**
 * The hashicorp/time provider and its `time_sleep` resource, the one part of it the library uses
 * (core/grant-wait.ts), written against the runtime seam instead of a prebuilt binding
 * (docs/runtimes.md): CDK Terrain publishes no time provider, and one binding for both runtimes is
 * less to keep in step than two. It synthesizes what `@cdktf/provider-time` 11.0.1 synthesizes,
 * key for key (test/core/runtime-seam.test.ts compares both on a stack with every attribute set):
 * the provider `hashicorp/time` at exactly 0.13.1, a `time_sleep` with `create_duration`,
 * `destroy_duration` and `triggers`.
 */
import type { Construct } from 'constructs';
import { hashMapper, stringToTerraform, TerraformProvider, TerraformResource, type ITerraformDependable } from './cdk';

/** The provider version the stacks pin, exactly: the one `npm run test:terraform` builds (scripts/install-providers.sh). */
export const TIME_PROVIDER_VERSION = '0.13.1';

const GENERATOR = { providerName: 'time', providerVersion: TIME_PROVIDER_VERSION, providerVersionConstraint: '~> 0.7' };

/** Config of {@link TimeProvider}. */
export interface TimeProviderConfig {
  /** An alias, for a second configuration of the provider. @default - none */
  readonly alias?: string;
}

/** The `time` provider (no settings but an alias). */
export class TimeProvider extends TerraformProvider {
  /** The Terraform type of the provider. */
  public static readonly tfResourceType = 'time';
  private readonly aliasName?: string;

  constructor(scope: Construct, id: string, config: TimeProviderConfig = {}) {
    super(scope, id, { terraformResourceType: 'time', terraformGeneratorMetadata: GENERATOR, terraformProviderSource: 'hashicorp/time' });
    this.aliasName = config.alias;
  }

  /** The provider's alias, if any. */
  public get alias(): string | undefined {
    return this.aliasName;
  }

  /** The provider block's attributes, as Terraform JSON. */
  protected synthesizeAttributes(): Record<string, unknown> {
    return { alias: stringToTerraform(this.aliasName) };
  }
}

/** Config of {@link Sleep}. */
export interface SleepConfig {
  /** How long the create waits (a Terraform duration, e.g. '10m'). @default - no wait on create */
  readonly createDuration?: string;
  /** How long the destroy waits. @default - no wait on destroy */
  readonly destroyDuration?: string;
  /** Values whose change replaces the sleep, so it waits again. @default - none */
  readonly triggers?: Record<string, string>;
  /** Resources it is created after. @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/** A `time_sleep`: waits on create (and destroy), replaced when a trigger changes. */
export class Sleep extends TerraformResource {
  /** The Terraform type of the resource. */
  public static readonly tfResourceType = 'time_sleep';
  private readonly config: SleepConfig;

  constructor(scope: Construct, id: string, config: SleepConfig = {}) {
    super(scope, id, { terraformResourceType: 'time_sleep', terraformGeneratorMetadata: GENERATOR, dependsOn: config.dependsOn });
    this.config = config;
  }

  /** The sleep's ID (its creation time), for what must wait for it. */
  public get id(): string {
    return this.getStringAttribute('id');
  }

  /** The resource's attributes, as Terraform JSON. */
  protected synthesizeAttributes(): Record<string, unknown> {
    return {
      create_duration: stringToTerraform(this.config.createDuration),
      destroy_duration: stringToTerraform(this.config.destroyDuration),
      triggers: hashMapper(stringToTerraform)(this.config.triggers),
    };
  }
}
