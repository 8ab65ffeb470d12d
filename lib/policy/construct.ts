/**
 * The policy pack for constructs: suppressions declared on a construct (they cover every resource
 * under it), and {@link PolicyAspect}, which runs the pack in any cdktf app that uses the library's
 * constructs on their own.
 *
 * The environment synth runs the same rules over the JSON it writes (`checkStacks`) and takes
 * construct suppressions from {@link constructSuppressions}; an app with the aspect gets them at
 * `app.synth()`, where an unsuppressed error fails the synth with the rule, resource and fix.
 */
import { Annotations, type IAspect, TerraformResource, TerraformStack } from '../runtime/cdk';
import type { IConstruct } from 'constructs';
import { checkStacks, formatFinding, type Suppression } from './policy';
import { ruleById } from './rules';

/** The fewest characters a suppression's reason may have: a reason, not a placeholder. */
export const MIN_REASON_LENGTH = 10;

const SUPPRESSIONS = Symbol.for('azure-slot-environments.policy-suppressions');

interface WithSuppressions {
  [SUPPRESSIONS]?: Array<{ rule: string; reason: string }>;
}

/**
 * Accepts an exception to one rule for every resource under `scope` (the construct or any of its
 * children), with the reason every report shows.
 *
 * @throws if the rule is unknown or the reason is shorter than {@link MIN_REASON_LENGTH} characters
 */
export function suppressPolicy(scope: IConstruct, rule: string, reason: string): void {
  if (!ruleById(rule)) throw new Error(`suppressPolicy(${scope.node.path}): unknown rule '${rule}'`);
  if (typeof reason !== 'string' || reason.trim().length < MIN_REASON_LENGTH) {
    throw new Error(`suppressPolicy(${scope.node.path}, '${rule}'): a suppression needs a reason of at least ${MIN_REASON_LENGTH} characters`);
  }
  const target = scope as unknown as WithSuppressions;
  (target[SUPPRESSIONS] ??= []).push({ rule, reason: reason.trim() });
}

/** Where a resource's findings are reported: `<stack>:<type>.<address>`. */
export const resourceKey = (r: TerraformResource): string => `${TerraformStack.of(r).node.id}:${r.terraformResourceType}.${r.friendlyUniqueId}`;

/** Every construct suppression under `root`, expanded to the resources each covers. */
export function constructSuppressions(root: IConstruct): Suppression[] {
  const out: Suppression[] = [];
  for (const c of root.node.findAll()) {
    const declared = (c as unknown as WithSuppressions)[SUPPRESSIONS];
    if (!declared) continue;
    const resources = c.node.findAll().filter((x): x is TerraformResource => TerraformResource.isTerraformResource(x));
    for (const s of declared) for (const r of resources) out.push({ rule: s.rule, resource: resourceKey(r), reason: s.reason });
  }
  return out;
}

/** What {@link PolicyAspect} checks beside the rules themselves. */
export interface PolicyAspectProps {
  /** Tag names every taggable resource must carry. @default [] */
  readonly requiredTags?: readonly string[];
  /** Suppressions by resource key (`<stack>:<type>.<address>`), beside those declared on constructs. @default [] */
  readonly suppressions?: readonly Suppression[];
}

/**
 * Runs the policy pack on every stack it visits, at synth: unsuppressed errors fail the synth
 * (cdktf's validation error lists each with its rule, resource and fix); warnings and suppressions
 * become warning annotations on the stack.
 *
 * ```ts
 * Aspects.of(stack).add(new PolicyAspect({ requiredTags: ['owner'] }));
 * ```
 *
 * Add it to each stack: cdktf 0.21 invokes aspects from each stack down, so an aspect added to the
 * App never runs.
 *
 * It resolves each stack once more at synth (`toTerraform()`), so it costs about what a second
 * synth of the stack's JSON does.
 */
export class PolicyAspect implements IAspect {
  private readonly seen = new WeakSet<TerraformStack>();

  /** @throws if a suppression names an unknown rule or gives no reason */
  constructor(private readonly props: PolicyAspectProps = {}) {
    for (const s of props.suppressions ?? []) {
      if (!ruleById(s.rule)) throw new Error(`PolicyAspect: suppression of unknown rule '${s.rule}'`);
      if ((s.reason ?? '').trim().length < MIN_REASON_LENGTH) throw new Error(`PolicyAspect: the suppression of ${s.rule} on ${s.resource} needs a reason of at least ${MIN_REASON_LENGTH} characters`);
    }
  }

  /** Adds the policy check to each stack it meets, once (cdktf calls this for every construct). */
  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node) || this.seen.has(node)) return;
    const stack = node;
    this.seen.add(stack);
    stack.node.addValidation({
      validate: () => {
        const suppressions = [...(this.props.suppressions ?? []), ...constructSuppressions(stack)];
        const findings = checkStacks({ [stack.node.id]: stack.toTerraform() }, { requiredTags: this.props.requiredTags ?? [], suppressions });
        for (const f of findings.filter((x) => x.severity === 'warning' || x.suppressed !== undefined)) Annotations.of(stack).addWarning(formatFinding(f));
        return findings
          .filter((f) => f.severity === 'error' && f.suppressed === undefined)
          .map((f) => `${formatFinding(f)} (fix: ${ruleById(f.rule)!.fix})`);
      },
    });
  }
}
