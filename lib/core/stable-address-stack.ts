/**
 * A TerraformStack whose resource addresses are readable and depend only on construct ids.
 *
 * cdktf's default logical id hashes the whole construct path (`pricing_blue_vmss_1A2B3C4D`), so
 * finding "that" resource in a plan or a test is hard. Here the address is the construct path
 * below the stack, joined with '_': `pricing_blue_vmss`. Construct ids come from names in the
 * spec (never list positions), so an address changes only when what it names changes. Two
 * elements that would share an address are an error at synth, never a silent overwrite.
 */
import { Aspects, TerraformElement, TerraformOutput, TerraformStack, Tokenization } from '../runtime/cdk';
import type { Construct, IConstruct, Node } from 'constructs';
import { withoutCreationStacks } from './creation-stacks';
import { resolveTerraform } from './fast-resolve';
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

  /**
   * The stack's Terraform JSON; a reference to anything it does not declare fails the synth (see
   * {@link prepareStack}). It is cdktf's `TerraformStack.toTerraform()` with two costs taken out,
   * the output unchanged (test/core/fast-resolve.test.ts): each element is resolved by
   * `resolveTerraform` (core/fast-resolve.ts), and the merged JSON, already resolved, is not
   * resolved a second time (a stack with raw overrides, which this library never adds, takes
   * cdktf's own path). The tokens cdktf makes while resolving record no creation stack
   * (`withoutCreationStacks`, core/creation-stacks.ts).
   */
  toTerraform(): Record<string, unknown> {
    const tf = withoutCreationStacks(() => this.terraformJson());
    const foreign = foreignReferences(tf);
    if (foreign.length > 0) {
      throw new Error(`Stack ${this.node.id} references what it does not declare: ${foreign.join(', ')}. Stacks of this library never reference another stack's resources; pass names or IDs computed from the plan instead.`);
    }
    return tf;
  }

  private terraformJson(): Record<string, unknown> {
    const overrides = (this as unknown as { rawOverrides: Record<string, unknown> }).rawOverrides;
    if (Object.keys(overrides).length > 0) return super.toTerraform() as Record<string, unknown>;
    const elements = terraformElements(this);
    const metadata: Record<string, unknown> = { version: (this as unknown as { cdktfVersion: string }).cdktfVersion, stackName: this.node.id, backend: 'local', cloud: undefined };
    for (const e of elements) deepMerge(metadata, resolveTerraform(this, e.toMetadata()) as Record<string, unknown>);
    const outputs: Record<string, unknown> = {};
    for (const e of elements) {
      if (!TerraformOutput.isTerraformOutput(e)) continue;
      deepMerge(outputs, e.node.path.split('/').reduceRight<Record<string, unknown>>((inner, part) => (Object.keys(inner).length === 0 ? { [part]: e.friendlyUniqueId } : { [part]: inner }), {}));
    }
    const tf: Record<string, unknown> = { '//': { metadata, outputs } };
    for (const e of elements) deepMerge(tf, resolveTerraform(this, e.toTerraform()) as Record<string, unknown>);
    // cdktf resolves the merged JSON once more, which changes nothing already resolved; `cloud:
    // undefined` is the one value that pass drops
    if (metadata.cloud === undefined) delete metadata.cloud;
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

/** The stack's Terraform elements, not those of a stack inside it (cdktf's terraformElements). */
function terraformElements(node: IConstruct, into: TerraformElement[] = []): TerraformElement[] {
  if (TerraformElement.isTerraformElement(node)) into.push(node);
  for (const child of node.node.children) {
    if (!TerraformStack.isStack(child)) terraformElements(child, into);
  }
  return into;
}

/**
 * Merges `source` into `target` as cdktf's `deepMerge` does: objects recursively, arrays
 * concatenated, `undefined` deletes, a resolvable value replaces whatever is there.
 */
function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      if (typeof target[key] !== 'object') target[key] = {};
      if (Tokenization.isResolvable(value)) {
        target[key] = value;
        continue;
      }
      deepMerge(target[key] as Record<string, unknown>, value as Record<string, unknown>);
    } else if (Array.isArray(value)) {
      target[key] = Array.isArray(target[key]) ? [...(target[key] as unknown[]), ...value] : value;
    } else if (value === undefined) {
      delete target[key];
    } else {
      target[key] = value;
    }
  }
  return target;
}
