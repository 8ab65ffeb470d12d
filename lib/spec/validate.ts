/**
 * Validation: every problem in a spec at once, each with the path the user wrote.
 *
 * Three passes over the same input. The raw-input walk (`raw-input.ts`) refuses values no field
 * may hold. The schema pass (zod) reports shapes, types, ranges and unknown fields. The rule pass
 * compares fields: overlaps, collisions, fits, order, derived names, capacity. Each rule is a pure
 * `validate*` function in `rules/<concern>.ts` that reads the spec parsed leniently
 * (`rules/view.ts`: the parsed spec when the shape is valid, otherwise each field parsed on its
 * own) and returns what it found; {@link RULES} lists them, and `validateEnvironment` runs every
 * one of them on every input. No rule reads what another found, so one bad field or one failing
 * rule never hides a problem elsewhere. Never throws for any input.
 */
import { validatePolicySuppressions } from './rules/policy';
import { fromZod, type SpecIssue } from './issues';
import { checkRawInput } from './raw-input';
import { validateAdminUsername, validateDeployerRanges, validateEntraIdLogin, validateSshKeys } from './rules/access';
import { validateAutoscale, validateCapacityOrder, validateQuotas, validateRegionLoss, validateUpgradeHeadroom } from './rules/capacity';
import { validateArtifacts, validateCustomDataSize, validateImages, validatePools, validateRetirement, validateVmSizes } from './rules/compute';
import { validateFrontCertificate, validateFrontDns, validateFrontPorts } from './rules/front';
import { validateEnvironmentNames, validatePoolNames, validateRegion, validateServiceNames, validateTags } from './rules/names';
import { validateAddressSpace, validateBlocks, validateEndpointSources, validateNatGateway, validateRanges, validateSubnetFits } from './rules/network';
import { validatePorts } from './rules/ports';
import { validateOtherRegions, validateServiceRegions } from './rules/regions';
import { validateRoutes, validateTraffic } from './rules/traffic';
import { validateCertificates, validateNoInlineSecrets, validateServiceVaultReferences } from './rules/vault';
import { specView, type Findings, type SpecView } from './rules/view';
import { EnvironmentSchema, type Environment } from './schema';

export { CUSTOM_DATA_MAX_BYTES, isGen1Image, isUbuntuMinimalImage } from './rules/compute';
export { AZURE_DISALLOWED_ADMIN_USERNAMES, LINUX_SYSTEM_USERNAMES } from './rules/access';

/** The environment with defaults applied, or every issue found. */
export type ValidationResult =
  | {
      /** Valid. */
      readonly ok: true;
      /** The spec with every default filled in. */
      readonly environment: Environment;
      /** What the synth prints though nothing is wrong (e.g. a VM family the declared quotas do not list). */
      readonly warnings: readonly SpecIssue[];
    }
  | {
      /** Not valid. */
      readonly ok: false;
      /** Every problem, sorted by path. */
      readonly issues: readonly SpecIssue[];
    };

/**
 * Every rule, by concern. Each reads only the view; the order only decides which of two issues
 * at one path is listed first (issues are sorted by path).
 */
export const RULES: ReadonlyArray<{ readonly concern: string; readonly rule: (view: SpecView) => Findings }> = [
  // vault: secret material anywhere in the spec, then the certificates
  { concern: 'vault', rule: validateNoInlineSecrets },
  { concern: 'vault', rule: validateCertificates },
  { concern: 'names', rule: validateRegion },
  { concern: 'regions', rule: validateOtherRegions },
  { concern: 'regions', rule: validateServiceRegions },
  { concern: 'access', rule: validateSshKeys },
  { concern: 'access', rule: validateAdminUsername },
  { concern: 'access', rule: validateDeployerRanges },
  { concern: 'access', rule: validateEntraIdLogin },
  { concern: 'names', rule: validateTags },
  { concern: 'names', rule: validateEnvironmentNames },
  { concern: 'names', rule: validatePoolNames },
  { concern: 'names', rule: validateServiceNames },
  { concern: 'network', rule: validateAddressSpace },
  { concern: 'network', rule: validateRanges },
  { concern: 'network', rule: validateBlocks },
  { concern: 'network', rule: validateSubnetFits },
  { concern: 'network', rule: validateNatGateway },
  { concern: 'network', rule: validateEndpointSources },
  { concern: 'front', rule: validateFrontPorts },
  { concern: 'front', rule: validateFrontCertificate },
  { concern: 'front', rule: validateFrontDns },
  { concern: 'compute', rule: validatePools },
  { concern: 'compute', rule: validateImages },
  { concern: 'compute', rule: validateArtifacts },
  { concern: 'compute', rule: validateVmSizes },
  { concern: 'compute', rule: validateCustomDataSize },
  { concern: 'compute', rule: validateRetirement },
  { concern: 'capacity', rule: validateCapacityOrder },
  { concern: 'capacity', rule: validateUpgradeHeadroom },
  { concern: 'capacity', rule: validateRegionLoss },
  { concern: 'capacity', rule: validateAutoscale },
  { concern: 'capacity', rule: validateQuotas },
  { concern: 'ports', rule: validatePorts },
  { concern: 'traffic', rule: validateTraffic },
  { concern: 'traffic', rule: validateRoutes },
  { concern: 'vault', rule: validateServiceVaultReferences },
  { concern: 'policy', rule: validatePolicySuppressions },
];

/** Validates an environment given as any value (typed object, parsed JSON or YAML). */
export function validateEnvironment(written: unknown): ValidationResult {
  const warnings: SpecIssue[] = [];
  // values no field may hold (token markers, vanishing keys, holes, size): before the schema,
  // which then reads a dense copy, so no pass meets a hole
  const raw = checkRawInput(written);
  const issues: SpecIssue[] = [...raw.issues];
  if (raw.issues.some((i) => i.path === '(environment)' && i.code === 'too_big')) return { ok: false, issues };
  const input = raw.input;
  const whole = EnvironmentSchema.safeParse(input, { reportInput: true });
  // a hole is told once, as a hole: not again as the missing value the schema then sees
  const holes = new Set(raw.issues.filter((i) => i.code === 'required').map((i) => i.path));
  if (!whole.success) for (const i of fromZod(whole.error.issues, EnvironmentSchema)) if (!(i.code === 'required' && holes.has(i.path))) issues.push(i);
  // a valid shape lets the rules read the parsed spec; otherwise they parse field by field
  const view = specView(input, whole.success ? whole.data : undefined);
  for (const { rule } of RULES) {
    try {
      const found = rule(view);
      for (const i of found.issues) issues.push(i);
      for (const w of found.warnings) warnings.push(w);
    } catch (e) {
      // a rule that throws is a defect; the user still gets every other rule's problems and no stack trace
      issues.push({ path: '(environment)', code: 'internal', message: `a validation rule failed (${e instanceof Error ? e.message : String(e)}); the other problems are listed`, hint: 'report this with the spec that caused it' });
    }
  }
  if (issues.length > 0 || !whole.success) return { ok: false, issues: dedupe(issues).sort(byPath) };
  return { ok: true, environment: whole.data, warnings: dedupe(warnings).sort(byPath) };
}

/** Issues in reading order: by path, numbers compared as numbers (services[2] before services[10]). */
const byPath = (a: SpecIssue, b: SpecIssue) => a.path.localeCompare(b.path, 'en', { numeric: true });

function dedupe(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

