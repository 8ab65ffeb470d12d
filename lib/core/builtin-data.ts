/**
 * Terraform's built-in `terraform_data` resource, written without cdktf's `DataResource` class.
 *
 * cdktf 0.21's `DataResource` adds a validation that runs `terraform version` (a child process)
 * every time its stack is synthesized, to check Terraform >= 1.4: measured at about 100 ms per
 * resource, six per example synth (4x the synth's own time), and a synth that fails on a machine
 * without a `terraform` binary (synthesizing needs none otherwise). The configuration written is
 * the same (`terraform_data` with `input`, `triggers_replace` and `lifecycle`); Terraform itself
 * refuses a version below 1.4 at init, and docs/prerequisites.md names the version.
 */
import { TerraformResource, type TerraformResourceLifecycle } from '../runtime/cdk';
import type { Construct } from 'constructs';

export interface BuiltinDataProps {
  /** A value Terraform stores in state (`input`); references resolve at plan. */
  readonly input: Readonly<Record<string, string>>;
  /** A change of this value replaces the resource (`triggers_replace`). */
  readonly triggersReplace: Readonly<Record<string, string>>;
  /** @default - none */
  readonly lifecycle?: TerraformResourceLifecycle;
}

export class BuiltinData extends TerraformResource {
  private readonly props: BuiltinDataProps;

  constructor(scope: Construct, id: string, props: BuiltinDataProps) {
    super(scope, id, { terraformResourceType: 'terraform_data', terraformGeneratorMetadata: { providerName: 'terraform' }, lifecycle: props.lifecycle });
    this.props = props;
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { input: { ...this.props.input }, triggers_replace: { ...this.props.triggersReplace } };
  }

  protected synthesizeHclAttributes(): Record<string, unknown> {
    return {
      input: { value: { ...this.props.input }, isBlock: false, type: 'map', storageClassType: 'stringMap' },
      triggers_replace: { value: { ...this.props.triggersReplace }, isBlock: false, type: 'map', storageClassType: 'stringMap' },
    };
  }
}
