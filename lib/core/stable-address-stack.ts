/**
 * A TerraformStack whose resource addresses are readable and depend only on construct ids.
 *
 * cdktf's default logical id hashes the whole construct path (`pricing_blue_vmss_1A2B3C4D`), so
 * finding "that" resource in a plan or a test is hard. Here the address is the construct path
 * below the stack, joined with '_': `pricing_blue_vmss`. Construct ids come from names in the
 * spec (never list positions), so an address changes only when what it names changes. Two
 * elements that would share an address are an error at synth, never a silent overwrite.
 */
import { Aspects, TerraformElement, TerraformStack } from 'cdktf';
import type { Construct, Node } from 'constructs';
import { foreignReferences } from './local-references';
import { TerraformDataAspect } from './terraform-data';

/** The Terraform address (resource name) for a construct path below a stack. */
export function addressOf(parts: readonly string[]): string {
  const clean = parts.filter((p) => p !== 'Default').map((p) => p.replace(/[^A-Za-z0-9_-]/g, '-'));
  const id = clean.join('_');
  return /^[A-Za-z_]/.test(id) ? id : `r_${id}`;
}

/**
 * A TerraformStack whose resource addresses are the construct path below the stack joined with
 * '_' (`pricing_blue_vmss`), never a hash; two elements that would share one fail the synth.
 * Every string its elements hand Terraform is data ({@link TerraformDataAspect}): `${` and `%{`
 * in spec values are escaped, expressions the library builds (tokens) stay expressions.
 */
export class StableAddressStack extends TerraformStack {
  private readonly addresses = new Map<string, string>();

  /** A stack whose elements' strings are data ({@link TerraformDataAspect}). */
  constructor(scope: Construct, id: string) {
    super(scope, id);
    Aspects.of(this).add(new TerraformDataAspect());
  }

  /**
   * cdktf's `App.synth` resolves every element twice: a 'preparing' pass whose only job is to find
   * references to another stack's resources (and add an output and a `terraform_remote_state`
   * for each), then the pass that writes. This library never makes one: stacks share names and
   * IDs computed from the plan, so each plans on its own (core/local-references.ts). The
   * preparing pass was 37 % of `app.synth`'s CPU for the example; it is skipped, keeping only
   * its other step (a local backend when none is set), and {@link toTerraform} proves at every
   * synth that each reference names an element of its own stack.
   */
  prepareStack(): void {
    (this as unknown as { ensureBackendExists(): unknown }).ensureBackendExists();
  }

  /** The stack's Terraform JSON; a reference to anything it does not declare fails the synth (see {@link prepareStack}). */
  toTerraform(): Record<string, unknown> {
    const tf = super.toTerraform() as Record<string, unknown>;
    const foreign = foreignReferences(tf);
    if (foreign.length > 0) {
      throw new Error(`Stack ${this.node.id} references what it does not declare: ${foreign.join(', ')}. Stacks of this library never reference another stack's resources; pass names or IDs computed from the plan instead.`);
    }
    return tf;
  }

  protected allocateLogicalId(element: TerraformElement | Node): string {
    const isElement = TerraformElement.isTerraformElement(element);
    const node = isElement ? element.node : element;
    const stack = isElement ? element.cdktfStack : this;
    const scopes = node.scopes;
    const parts = scopes.slice(scopes.indexOf(stack) + 1).map((c) => c.node.id);
    if (parts.length === 0) return '';
    const id = addressOf(parts);
    const prev = this.addresses.get(id);
    if (prev !== undefined && prev !== node.path) {
      throw new Error(`Two elements would share the Terraform address '${id}': ${prev} and ${node.path}. Give one a different construct id.`);
    }
    this.addresses.set(id, node.path);
    return id;
  }
}
