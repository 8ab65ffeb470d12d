/**
 * Runs the policy pack over synthesized stacks (pure): findings per resource, each with its rule,
 * severity and message; suppressions (each with a mandatory reason) turn a finding into a listed
 * exception instead of a failure. The synth runs it on the JSON it writes (a parse, where running
 * it inside cdktf would resolve every stack a second time); errors fail the synth, warnings print.
 */
import { RULES, type Json, type PolicyRule } from './rules';

export interface Suppression {
  /** A rule ID, e.g. 'ASE-NET-001'. */
  readonly rule: string;
  /** `<stack>:<type>.<address>`, e.g. 'retail-network:azurerm_public_ip.network_nat-ip'. */
  readonly resource: string;
  /** Why the exception is acceptable: shown in every report. */
  readonly reason: string;
}

export interface Finding {
  readonly rule: string;
  readonly severity: PolicyRule['severity'];
  readonly resource: string;
  readonly message: string;
  /** The reason, when a suppression covers it. */
  readonly suppressed?: string;
}

export function checkStacks(stacks: Readonly<Record<string, string | Json>>, options: { requiredTags?: readonly string[]; suppressions?: readonly Suppression[] } = {}): Finding[] {
  const findings: Finding[] = [];
  for (const [stack, text] of Object.entries(stacks).sort(([a], [b]) => a.localeCompare(b))) {
    const json = (typeof text === 'string' ? JSON.parse(text) : text) as Json;
    const resources = (json.resource ?? {}) as Record<string, Record<string, Json>>;
    const ctx = { resources, requiredTags: options.requiredTags ?? [] };
    for (const rule of RULES) {
      for (const type of rule.resourceTypes) {
        for (const [address, body] of Object.entries(resources[type] ?? {})) {
          const message = rule.check(body, address, ctx);
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
