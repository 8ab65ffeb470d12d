/**
 * Runs the policy pack over synthesized stacks (pure): findings per resource, each with its rule,
 * severity and message; suppressions (each with a mandatory reason) turn a finding into a listed
 * exception instead of a failure. The synth runs it on the JSON it writes (a parse, where running
 * it inside cdktf would resolve every stack a second time); errors fail the synth, warnings print.
 */
import { RULES, type Json, type PolicyRule } from './rules';

/** An accepted exception to one rule on one resource, with its reason. */
export interface Suppression {
  /** A rule ID, e.g. 'ASE-NET-001'. */
  readonly rule: string;
  /** `<stack>:<type>.<address>`, e.g. 'retail-network:azurerm_public_ip.network_nat-ip'. */
  readonly resource: string;
  /** Why the exception is acceptable: shown in every report. */
  readonly reason: string;
}

/** What a rule found wrong with one resource. */
export interface Finding {
  /** The rule's ID, e.g. 'ASE-NET-001'. */
  readonly rule: string;
  /** Errors fail the synth unless suppressed; warnings are printed. */
  readonly severity: PolicyRule['severity'];
  /** `<stack>:<type>.<address>`. */
  readonly resource: string;
  /** What is wrong, with the value found. */
  readonly message: string;
  /** The reason, when a suppression covers it. */
  readonly suppressed?: string;
}

/**
 * Every rule of {@link RULES} over synthesized stacks (`cdk.tf.json` text or parsed, by stack
 * name): the findings, suppressed ones carrying their reason. Give every stack of one synth in one
 * call: rules that compare stacks (ASE-STATE-002: a grant in one stack under a lock in another)
 * see only the stacks given.
 */
export function checkStacks(stacks: Readonly<Record<string, string | Json>>, options: { requiredTags?: readonly string[]; suppressions?: readonly Suppression[] } = {}): Finding[] {
  const findings: Finding[] = [];
  const synth: Record<string, Json> = {};
  for (const [stack, text] of Object.entries(stacks)) synth[stack] = (typeof text === 'string' ? JSON.parse(text) : text) as Json;
  for (const stack of Object.keys(synth).sort((a, b) => a.localeCompare(b))) {
    const json = synth[stack];
    const resources = (json.resource ?? {}) as Record<string, Record<string, Json>>;
    const ctx = { resources, requiredTags: options.requiredTags ?? [], stack, synth };
    for (const rule of RULES) {
      for (const type of rule.resourceTypes) {
        for (const [address, body] of Object.entries(resources[type] ?? {})) {
          const message = rule.check(body, address, ctx, type);
          if (message === undefined) continue;
          const resource = `${stack}:${type}.${address}`;
          const s = options.suppressions?.find((x) => x.rule === rule.id && x.resource === resource);
          findings.push({ rule: rule.id, severity: rule.severity, resource, message, ...(s ? { suppressed: s.reason } : {}) });
        }
      }
    }
  }
  return findings;
}

/** One line per finding, for the synth's output and the review. */
export const formatFinding = (f: Finding) =>
  f.suppressed !== undefined ? `suppressed ${f.rule} ${f.resource}: ${f.message} (reason: ${f.suppressed})` : `${f.severity} ${f.rule} ${f.resource}: ${f.message}`;
