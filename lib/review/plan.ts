/**
 * Plan mode: the review of a real Terraform plan, read from `terraform show -json <planfile>`.
 * Counts per action, each resource's actions with Terraform's reason and the paths that force a
 * replacement, attribute changes with sensitive values masked and unknown values shown as such,
 * and stateful resources flagged when the plan deletes or replaces them. Format 1.x only.
 */
import { diffValues, formatPath, ReviewInputError, type AttrPath } from './config-diff';
import { allowanceLookup, attributeBody, blockersText, details, shortList, type Allowance, type Blocker, type ReviewResult } from './render';
import { COMMENT_MARKER, fitComment, GITHUB_COMMENT_LIMIT, type Block } from './markdown';
import { azureChecksText, type AzureCheck, type AzureFinding } from './azure-rules';
import { isStateful, stateLossReason } from './stateful';
import { code, documentText, inlineValue, isSecretAttribute, lineDiff } from './values';
import { blobVersionOf, versionText, type BlobVersion } from './versions';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** The plan JSON's major version this review reads. */
export const PLAN_FORMAT_MAJOR = 1;

interface PlanChange {
  readonly actions: readonly string[];
  readonly before?: Json;
  readonly after?: Json;
  readonly after_unknown?: Json;
  readonly before_sensitive?: Json;
  readonly after_sensitive?: Json;
  readonly replace_paths?: ReadonlyArray<ReadonlyArray<string | number>>;
}

interface ResourceChangeJson {
  readonly address: string;
  readonly mode?: string;
  readonly type: string;
  readonly change: PlanChange;
  readonly action_reason?: string;
}

export type PlanAction = 'create' | 'update' | 'replace' | 'delete' | 'read' | 'no-op' | 'forget';

export interface PlannedResource {
  readonly address: string;
  readonly type: string;
  readonly action: PlanAction;
  /** Terraform's actions as written, e.g. ['delete', 'create']. */
  readonly actions: readonly string[];
  readonly reason?: string;
  readonly replacePaths: readonly string[];
  readonly attributes: ReadonlyArray<{ path: AttrPath; before: string; after: string; forcesReplacement: boolean; document?: string }>;
  /** A replacement that is a blob's new version (created first, under a new name): routine. */
  readonly version?: BlobVersion;
}

export interface PlanSummary {
  readonly terraformVersion?: string;
  readonly formatVersion: string;
  readonly counts: Readonly<Record<PlanAction, number>>;
  /** Every resource change but no-ops, in address order. */
  readonly resources: readonly PlannedResource[];
  readonly driftCount: number;
  /** The plan says it cannot be applied as is (errored, or not applyable). */
  readonly notApplyable?: string;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks the document; every problem is one line (ReviewInputError). */
export function parsePlanJson(text: string, file = 'plan'): JsonObject {
  if (text.trim() === '') throw new ReviewInputError(`${file} is empty: expected the output of terraform show -json <planfile>`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ReviewInputError(`${file} is not valid JSON (${(e as Error).message}); a truncated file? Expected the output of terraform show -json <planfile>`);
  }
  if (!isObject(doc)) throw new ReviewInputError(`${file} is not a Terraform plan: the JSON is not an object`);
  if (typeof doc.lineage === 'string' && typeof doc.serial === 'number') throw new ReviewInputError(`${file} is a Terraform state file, not a plan: run terraform plan -out=tfplan, then terraform show -json tfplan`);
  const fv = doc.format_version;
  if (typeof fv !== 'string') throw new ReviewInputError(`${file} is not a Terraform plan: it has no format_version`);
  const major = Number(fv.split('.')[0]);
  if (major !== PLAN_FORMAT_MAJOR) throw new ReviewInputError(`${file} has plan format_version ${fv}; this review reads ${PLAN_FORMAT_MAJOR}.x`);
  if (!('planned_values' in doc) && !('resource_changes' in doc)) {
    const hint = isObject(doc.values) ? 'it is the JSON of a state (terraform show -json without a plan file)' : 'it has neither planned_values nor resource_changes';
    throw new ReviewInputError(`${file} is not a Terraform plan: ${hint}; run terraform show -json <planfile>`);
  }
  if (doc.resource_changes !== undefined && !Array.isArray(doc.resource_changes)) throw new ReviewInputError(`${file}: resource_changes is not a list`);
  return doc;
}

function actionOf(actions: readonly string[]): PlanAction {
  const a = actions.join(',');
  if (a === 'delete,create' || a === 'create,delete') return 'replace';
  if (a === 'create' || a === 'update' || a === 'delete' || a === 'read' || a === 'no-op' || a === 'forget') return a;
  return 'update';
}

/** True at `path` in a sensitivity or unknown mask (a `true` higher up covers everything under it). */
function maskAt(mask: Json | undefined, path: AttrPath): boolean {
  let m: Json | undefined = mask;
  for (const p of path) {
    if (m === true) return true;
    if (typeof p === 'object') return false;
    if (Array.isArray(m) && typeof p === 'number') m = m[p];
    else if (isObject(m) && typeof p === 'string') m = m[p];
    else return false;
  }
  return m === true;
}

/** Paths where the unknown mask is true: values Terraform learns during the apply. */
function unknownPaths(mask: Json | undefined, path: Array<string | number> = []): Array<Array<string | number>> {
  if (mask === true) return [path];
  if (Array.isArray(mask)) return mask.flatMap((m, i) => unknownPaths(m, [...path, i]));
  if (isObject(mask)) return Object.keys(mask).sort().flatMap((k) => unknownPaths(mask[k], [...path, k]));
  return [];
}

const REASONS: Readonly<Record<string, string>> = {
  replace_because_tainted: 'tainted: a previous apply failed part-way',
  replace_because_cannot_update: 'an attribute that cannot be updated in place changed',
  replace_by_request: 'replacement requested (-replace)',
  replace_by_triggers: 'replace_triggered_by or triggers_replace changed',
  delete_because_no_resource_config: 'no longer in the configuration',
  delete_because_wrong_repetition: 'count/for_each changed shape',
  delete_because_count_index: 'its count index is gone',
  delete_because_each_key: 'its for_each key is gone',
  delete_because_no_module: 'its module is gone',
  delete_because_no_move_target: 'a moved block has no target',
  read_because_config_unknown: 'read during apply: its configuration depends on unknown values',
  read_because_dependency_pending: 'read during apply: a dependency has pending changes',
  read_because_check_nested: 'read for a check block',
};

const lastKey = (path: AttrPath) => {
  const keys = path.filter((p): p is string => typeof p === 'string');
  return keys[keys.length - 1] ?? '';
};

const UNKNOWN = '(known after apply)';
const SENSITIVE = '(sensitive value)';

function attributesOf(c: PlanChange, replacePaths: readonly string[]): PlannedResource['attributes'] {
  const before = c.before ?? undefined;
  const after = c.after ?? undefined;
  const leaves = diffValues(before === null ? undefined : before, after === null ? undefined : after);
  // unknown values are absent from `after`; each is its own change unless already listed
  const seen = new Set(leaves.map((l) => formatPath(l.path)));
  const unknown = unknownPaths(c.after_unknown).filter((p) => !seen.has(formatPath(p)));
  const all = [...leaves.map((l) => ({ ...l, unknown: false })), ...unknown.map((p) => ({ path: p as AttrPath, before: undefined as Json | undefined, after: undefined as Json | undefined, unknown: true }))];
  all.sort((a, b) => formatPath(a.path).localeCompare(formatPath(b.path)));
  return all.map((l) => {
    const name = lastKey(l.path);
    const sensitiveBefore = maskAt(c.before_sensitive, l.path) || isSecretAttribute(name);
    const sensitiveAfter = maskAt(c.after_sensitive, l.path) || isSecretAttribute(name);
    const isUnknown = l.unknown || maskAt(c.after_unknown, l.path);
    const shown = formatPath(l.path);
    const forces = replacePaths.some((r) => shown === r || shown.startsWith(`${r}.`) || shown.startsWith(`${r}[`));
    const docA = sensitiveBefore ? undefined : documentText(name, l.before);
    const docB = sensitiveAfter || isUnknown ? undefined : documentText(name, l.after);
    return {
      path: l.path,
      before: sensitiveBefore && l.before !== undefined ? SENSITIVE : inlineValue(name, l.before),
      after: isUnknown ? UNKNOWN : sensitiveAfter && l.after !== undefined ? SENSITIVE : inlineValue(name, l.after),
      forcesReplacement: forces,
      ...(docA !== undefined || docB !== undefined ? { document: lineDiff(shown, docA ?? '', docB ?? '') } : {}),
    };
  });
}

/** The plan as a summary (pure over the parsed document). */
export function summarizePlan(doc: JsonObject): PlanSummary {
  const changes = (Array.isArray(doc.resource_changes) ? doc.resource_changes : []) as unknown as ResourceChangeJson[];
  const counts: Record<PlanAction, number> = { create: 0, update: 0, replace: 0, delete: 0, read: 0, 'no-op': 0, forget: 0 };
  const resources: PlannedResource[] = [];
  for (const rc of changes) {
    if (!isObject(rc) || typeof rc.address !== 'string' || !isObject(rc.change) || !Array.isArray((rc.change as JsonObject).actions)) {
      throw new ReviewInputError(`plan: a resource_changes entry has no address or change.actions: not the JSON of terraform show -json`);
    }
    const action = actionOf(rc.change.actions);
    counts[action]++;
    if (action === 'no-op') continue;
    const replacePaths = (rc.change.replace_paths ?? []).map((p) => formatPath(p));
    const nameOf = (v: Json | undefined) => (isObject(v) ? v.name : undefined);
    const version =
      action === 'replace'
        ? blobVersionOf({ type: rc.type, createBeforeDestroy: rc.change.actions[0] === 'create', forced: replacePaths, nameBefore: nameOf(rc.change.before), nameAfter: nameOf(rc.change.after) })
        : undefined;
    resources.push({
      ...(version ? { version } : {}),
      address: rc.address,
      type: rc.type,
      action,
      actions: rc.change.actions,
      ...(rc.action_reason ? { reason: REASONS[rc.action_reason] ?? rc.action_reason } : {}),
      replacePaths,
      attributes: action === 'update' || action === 'replace' ? attributesOf(rc.change, replacePaths) : [],
    });
  }
  resources.sort((a, b) => a.address.localeCompare(b.address));
  const notApplyable = doc.errored === true ? 'the plan errored' : doc.applyable === false ? 'Terraform marked it not applyable' : doc.complete === false ? 'it is incomplete (deferred changes); another plan and apply follow' : undefined;
  return {
    formatVersion: String(doc.format_version),
    ...(typeof doc.terraform_version === 'string' ? { terraformVersion: doc.terraform_version } : {}),
    counts,
    resources,
    driftCount: Array.isArray(doc.resource_drift) ? doc.resource_drift.length : 0,
    ...(notApplyable ? { notApplyable } : {}),
  };
}

const SYMBOL: Readonly<Record<PlanAction, string>> = { create: '`+` create', update: '`~` update', replace: '`-/+` replace', delete: '`-` delete', read: '`<=` read', 'no-op': 'no-op', forget: '`.` forget' };

/** The plan review as one comment, with the blockers and the exit code. */
export function reviewPlan(
  summary: PlanSummary,
  options: { allow?: readonly (string | Allowance)[]; limit?: number; title?: string; azure?: { findings: readonly AzureFinding[]; checks: readonly AzureCheck[] } } = {},
): ReviewResult {
  const allow = allowanceLookup(options.allow);
  const blockers: Blocker[] = summary.resources
    .filter((r) => (r.action === 'delete' || r.action === 'replace') && isStateful(r.type))
    .map((r) => ({ resource: r.address, reason: stateLossReason(r.action as 'delete' | 'replace', r.type), ...allow(r.address) }));
  // Azure's apply-time rules on this plan (azurePlanReport): one blocker per resource
  for (const f of (options.azure?.findings ?? []).filter((x) => x.severity === 'block')) {
    const i = blockers.findIndex((b) => b.resource === f.resource);
    if (i < 0) blockers.push({ resource: f.resource, reason: f.reason, source: f.source, ...allow(f.resource) });
    else blockers[i] = { ...blockers[i], reason: `${blockers[i].reason}; and it ${f.reason}` };
  }
  const open = blockers.filter((b) => !b.allowed);
  const c = summary.counts;
  const blocks: Block[] = [
    { text: `${COMMENT_MARKER}\n## Plan review: ${options.title ?? 'terraform plan'}\n` },
    {
      text: `**Plan: ${c.create} to add, ${c.update} to change, ${c.replace} to replace, ${c.delete} to destroy.** ${c['no-op']} unchanged${c.read ? `, ${c.read} to read` : ''}${c.forget ? `, ${c.forget} to forget` : ''}${summary.driftCount ? `; ${summary.driftCount} changed outside Terraform since the last apply` : ''}. Terraform ${summary.terraformVersion ?? '(version not given)'}, plan format ${summary.formatVersion}.\n`,
    },
  ];
  const versions = summary.resources.filter((r) => r.version).length;
  if (versions > 0) blocks.push({ text: `Of the replacements, ${versions === 1 ? '1 is a new blob version' : `${versions} are new blob versions`} (created before the previous one is deleted): routine.\n` });
  if (summary.notApplyable) blocks.push({ text: `> [!WARNING]\n> Not applied as is: ${summary.notApplyable}.\n` });
  if (blockers.length > 0) blocks.push({ text: blockersText(blockers, options.azure?.findings.some((f) => f.severity === 'block') ? 'lose state or cannot be applied' : 'lose state', '<address>') });
  const azureText = options.azure ? azureChecksText(options.azure.findings, options.azure.checks) : undefined;
  if (azureText) blocks.push({ text: azureText });
  if (summary.resources.length > 0) {
    blocks.push({
      text: ['### Changes', '', '| Action | Resource | Why | Attributes |', '|---|---|---|---|'].join('\n') + '\n',
      rows: summary.resources.map((r) => {
        const attrs = r.attributes.map((a) => `${code(formatPath(a.path))}${a.forcesReplacement ? ' **forces replacement**' : ''}`);
        if (r.version) return `| \`+/-\` version | ${code(r.address)} | ${versionText(r.version)} | ${shortList(r.attributes.map((a) => code(formatPath(a.path))))} |`;
        return `| ${SYMBOL[r.action]}${isStateful(r.type) && (r.action === 'delete' || r.action === 'replace') ? ' ⚠ stateful' : ''} | ${code(r.address)} | ${r.reason ?? ''} | ${shortList(attrs)} |`;
      }),
      rowsLabel: 'the changes table',
    });
    for (const r of summary.resources) {
      if (r.attributes.length === 0) continue;
      const body = attributeBody(r.attributes.map((a) => ({ path: formatPath(a.path), before: a.before, after: a.after, note: a.forcesReplacement ? (r.version ? 'new version' : '**forces replacement**') : '', ...(a.document !== undefined ? { diff: a.document } : {}) })));
      blocks.push({ text: details(`${r.address}: ${r.attributes.length} attribute${r.attributes.length === 1 ? '' : 's'}`, body), optional: `the attribute diff of ${r.address}` });
    }
  }
  return { markdown: fitComment(blocks, options.limit ?? GITHUB_COMMENT_LIMIT), blockers, exitCode: open.length > 0 ? 1 : 0 };
}
