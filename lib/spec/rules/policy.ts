/**
 * Rules on `policy`: each suppression names a rule the policy pack has. A suppression of a rule
 * that does not exist can never match a finding; it used to be only a warning after the synth,
 * so a typo in a rule ID left the finding it meant to accept failing the synth with no hint why.
 */
import { RULES as POLICY_RULES } from '../../policy/rules';
import { show, suggest } from '../issues';
import { collect, isRecord, type Findings, type SpecView } from './view';

/** policy.suppressions[i].rule: a rule of the policy pack (lib/policy/rules.ts). */
export function validatePolicySuppressions(view: SpecView): Findings {
  return collect((add) => {
    const policy = isRecord(view.raw.policy) ? view.raw.policy : undefined;
    const list = policy && Array.isArray(policy.suppressions) ? policy.suppressions : [];
    const ids = POLICY_RULES.map((r) => r.id);
    list.forEach((s, i) => {
      const rule = isRecord(s) ? s.rule : undefined;
      // the schema refuses a rule that is not shaped like an ID; this one is shaped right but unknown
      if (typeof rule !== 'string' || !/^ASE-[A-Z]+-\d{3}$/.test(rule) || ids.includes(rule)) return;
      const near = suggest(rule, ids);
      add(['policy', 'suppressions', i, 'rule'], { code: 'invalid_value', message: `${show(rule)} is not a rule of the policy pack`, value: rule, hint: near ?? `the rules: ${ids.join(', ')}` });
    });
  });
}
