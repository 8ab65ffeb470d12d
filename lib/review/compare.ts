/**
 * The review of two synth outputs as one GitHub comment: what Terraform will create, change,
 * replace or destroy per stack (down to the attribute, documents as line diffs), where each
 * service's traffic goes before and after (a table and a Mermaid flowchart), the capacity left
 * during a rollout, and the policy findings that came or went. Pure: input is two parsed outputs.
 */
import { diffOutputs, formatPath, type AttributeChange, type ResourceChange, type StackDiff, type SynthOutput } from './config-diff';
import { COMMENT_MARKER, fitComment, GITHUB_COMMENT_LIMIT, type Block } from './markdown';
import { allowanceLookup, attributeBody, blockersText, details, escapeCell, shortList, type Allowance, type AttributeRow, type Blocker, type ReviewResult } from './render';
import { azureChecksText, azureRuleReport } from './azure-rules';
import { exposure, rolloutBlockers } from './rollout';
import type { EnvironmentSummary, PlacementSummary, RegionsSummary, ServiceSummary } from './summary';
import { code, documentText, inlineValue, lineDiff } from './values';
import { blobVersionOf, SAME_NAME_BLOB, versionText, type BlobVersion } from './versions';
import type { RouteEntry } from '../slots/traffic';
import type { Finding } from '../policy/policy';
import { SLOT_NAMES, type SlotName } from '../spec/schema';

export interface CompareOptions {
  /** Shown in the heading, e.g. 'main → this branch'. @default 'before → after' */
  readonly title?: string;
  /** Blockers accepted, each `<stack>:<address>` or a bare address, with who accepted it. @default [] */
  readonly allow?: readonly (string | Allowance)[];
  /** @default GITHUB_COMMENT_LIMIT */
  readonly limit?: number;
  /** Problems that stopped one side from synthesizing (git-ref mode): blocking when on the after side. */
  readonly synthFailure?: { readonly side: 'before' | 'after'; readonly text: string };
}

const ACTION = { create: '`+` create', update: '`~` update', replace: '`-/+` replace', delete: '`-` delete', version: '`+/-` version' } as const;
const count = (n: number, what: string) => `${n} to ${what}`;
const arrow = (a: string, b: string) => (a === b ? a : `${a} → **${b}**`);

/**
 * The replacements of one stack that are a blob's new version (created before the old one is
 * removed, under a new name), by address, each with the blob whose metadata names it.
 */
function blobVersions(s: StackDiff, after: SynthOutput): Map<string, BlobVersion> {
  const out = new Map<string, BlobVersion>();
  const blobs = (after.stacks[s.stack]?.resource as { azurerm_storage_blob?: Record<string, { name?: unknown; metadata?: Record<string, unknown> }> } | undefined)?.azurerm_storage_blob ?? {};
  for (const r of s.resources) {
    if (r.action !== 'replace') continue;
    const name = r.changes.find((c) => formatPath(c.path) === 'name');
    const v = blobVersionOf({
      type: r.type,
      createBeforeDestroy: r.createBeforeDestroy === true,
      forced: r.changes.filter((c) => c.forcesReplacement && !c.ignored).map((c) => formatPath(c.path)),
      nameBefore: name?.before,
      nameAfter: name?.after,
    });
    if (!v) continue;
    const ref = `\${${r.address}.name}`;
    const pointer = Object.values(blobs).find((b) => Object.values(b.metadata ?? {}).includes(ref));
    out.set(r.address, { ...v, ...(typeof pointer?.name === 'string' ? { pointer: pointer.name } : {}) });
  }
  return out;
}

/** A grant replaced only because its description changed. */
export const GRANT_REWORDED =
  'replaces a role assignment only because its description changed (ForceNew): the principal loses the access between the delete and the create, and where Terraform creates the new one first (create_before_destroy, inherited from a dependant) Azure refuses it as a duplicate (RoleAssignmentExists). Keep the old wording';

export function reviewOutputs(before: SynthOutput, after: SynthOutput, options: CompareOptions = {}): ReviewResult {
  const stacks = diffOutputs(before, after);
  const versions = new Map(stacks.map((s) => [s.stack, blobVersions(s, after)]));
  const isVersion = (stack: string, r: ResourceChange) => versions.get(stack)?.has(r.address) === true;
  const allow = allowanceLookup(options.allow);
  // Azure's apply-time rules: locks, subnets in use, stacks that leave the synth, state loss, grants
  const azure = azureRuleReport(before, after);
  // one blocker per resource: a replaced vault both loses state and sits under its own lock
  const blockers: Blocker[] = [];
  for (const f of azure.findings.filter((x) => x.severity === 'block')) {
    const i = blockers.findIndex((b) => b.resource === f.resource);
    if (i < 0) blockers.push({ resource: f.resource, reason: f.reason, source: f.source, ...allow(f.resource, f.resource.slice(f.resource.indexOf(':') + 1)) });
    else blockers[i] = { ...blockers[i], reason: `${blockers[i].reason}; and it ${f.reason}`, source: `${blockers[i].source}; ${f.source}` };
  }
  for (const s of stacks) {
    for (const r of s.resources) {
      if (r.type === 'azurerm_storage_blob' && r.action === 'replace' && r.createBeforeDestroy && !r.changes.some((c) => formatPath(c.path) === 'name')) {
        const resource = `${s.stack}:${r.address}`;
        blockers.push({ resource, reason: SAME_NAME_BLOB, ...allow(resource, r.address) });
      }
      if (r.type === 'azurerm_role_assignment' && r.action === 'replace' && r.changes.length > 0 && r.changes.every((c) => formatPath(c.path) === 'description')) {
        const resource = `${s.stack}:${r.address}`;
        blockers.push({ resource, reason: GRANT_REWORDED, source: 'azurerm v4.55.0 role_assignment_resource.go: every argument, description included, is ForceNew', ...allow(resource, r.address) });
      }
      for (const c of r.changes.filter((x) => x.cannotUpdate !== undefined && !x.ignored)) {
        const resource = `${s.stack}:${r.address}`;
        blockers.push({ resource, reason: `changes ${formatPath(c.path)}, which the provider cannot update in place (the apply fails): ${c.cannotUpdate}`, ...allow(resource, r.address) });
      }
    }
  }
  // a release (or any scale-set change) and more traffic for the same slot: two changes, in order
  for (const r of rolloutBlockers(stacks, before, after)) blockers.push({ ...r, ...allow(r.resource, r.resource.slice(r.resource.indexOf(':') + 1)) });
  if (options.synthFailure?.side === 'after') blockers.push({ resource: '(synth)', reason: 'the change does not synthesize', allowed: false });

  const envs = [...new Set([...Object.keys(before.summaries), ...Object.keys(after.summaries)])].sort();
  const blocks: Block[] = [];
  const all = stacks.flatMap((s) => s.resources.map((r) => ({ r, version: isVersion(s.stack, r) })));
  const n = (a: ResourceChange['action']) => all.filter(({ r, version }) => r.action === a && !version).length;
  const nVersions = all.filter((x) => x.version).length;
  const counts = [count(n('create'), 'add'), count(n('update'), 'change'), count(n('replace'), 'replace'), count(n('delete'), 'destroy')].join(', ') + (nVersions > 0 ? `; ${nVersions} new blob version${nVersions === 1 ? '' : 's'} (created before the previous one is removed)` : '');
  const trafficRows = envs.flatMap((e) => trafficChanges(before.summaries[e], after.summaries[e]));
  const regionRows = envs.flatMap((e) => regionChanges(before.summaries[e], after.summaries[e]));
  const servicesChanged = new Set([...trafficRows, ...regionRows].map((r) => r.name)).size;
  const policy = envs.map((e) => policyChanges(before.summaries[e], after.summaries[e]));
  const newFindings = policy.reduce((a, p) => a + p.added.length, 0);

  blocks.push({ text: `${COMMENT_MARKER}\n## Plan review: ${options.title ?? 'before → after'}\n` });
  if (options.synthFailure) {
    const side = options.synthFailure.side === 'after' ? 'The change does not synthesize' : 'The base does not synthesize; compared with nothing';
    blocks.push({ text: `> [!CAUTION]\n> ${side}:\n\n\`\`\`\n${options.synthFailure.text.trim()}\n\`\`\`\n` });
  }
  const changedStacks = stacks.filter((s) => s.resources.length > 0 || s.settings.length > 0 || s.status !== 'changed');
  blocks.push({
    text:
      stacks.length === 0 && servicesChanged === 0 && policy.every((p) => p.added.length === 0 && p.removed.length === 0)
        ? 'No changes: both sides synthesize to the same Terraform.\n'
        : `**${counts}** in ${changedStacks.length} of ${new Set([...Object.keys(before.stacks), ...Object.keys(after.stacks)]).size} stacks · slot or traffic changes for ${servicesChanged} service${servicesChanged === 1 ? '' : 's'} · ${newFindings} new policy finding${newFindings === 1 ? '' : 's'}\n`,
  });
  const open = blockers.filter((b) => !b.allowed);
  if (blockers.length > 0) blocks.push({ text: blockersText(blockers, 'lose state or cannot be applied', '<resource>') });

  const azureText = azureChecksText(azure.findings, azure.checks);
  if (azureText) blocks.push({ text: azureText });

  // traffic: a table of what changed, then a flowchart of where requests go afterwards
  if (trafficRows.length > 0) {
    blocks.push({
      text: [
        '### Traffic',
        '',
        '| Service | Live slot | Ramp weight | Pin rules | Affinity | Failover | Mirror | Versions |',
        '|---|---|---|---|---|---|---|---|',
        ...trafficRows.map((r) => r.row),
        '',
      ].join('\n'),
    });
    const charted = trafficRows.filter((r) => r.after?.viaFront);
    if (charted.length > 0) blocks.push({ text: ['Where requests go after this change:', '', '```mermaid', flowchart(charted.map((r) => ({ name: r.name, s: r.after! }))), '```', ''].join('\n'), optional: 'the traffic flowchart' });
  }

  // the guard: what each changed service's guard judges after this change, and what would trip it
  const guardRows = trafficRows.flatMap((r) => guardRow(r, before.summaries, after.summaries));
  if (guardRows.length > 0) {
    blocks.push({
      text: [
        '### Guard',
        '',
        "Each front VM judges the new slot against the good one on its own share of the requests (docs/guard.md); a trip only ever moves traffic back to the good slot, and holds until either slot runs another version, `live` moves away from the good slot, or the guard changes.",
        '',
        '| Service | After this change | Trips when | Then |',
        '|---|---|---|---|',
        ...guardRows,
        '',
      ].join('\n'),
    });
  }

  // regions: each service in several regions whose plan changed (docs/regions.md)
  if (regionRows.length > 0) {
    blocks.push({
      text: [
        '### Regions',
        '',
        "Share of every region's front requests served by each region. Requests served in another region than the one they reached cross the peering (billed per GB, both ways) and take one more proxy hop.",
        '',
        '| Service | Served by | Failover between regions | If one region is lost |',
        '|---|---|---|---|',
        ...regionRows.map((r) => r.row),
        '',
      ].join('\n'),
    });
  }

  // OS patches: each slot whose patch label changed, with what it serves (docs/patching.md)
  const patches = envs.flatMap((e) => osPatchRows(e, before.summaries[e], after.summaries[e]));
  if (patches.length > 0) {
    blocks.push({
      text: [
        '### OS patches',
        '',
        "A changed label resolves the image SKU's newest version at this apply; the slot's rolling upgrade then reimages its VMs onto it, health-gated (docs/patching.md).",
        '',
        '| Slot | OS patch | Serves | What the apply does |',
        '|---|---|---|---|',
        ...patches,
        '',
      ].join('\n'),
    });
  }

  // capacity: placements whose numbers changed or whose scale sets roll
  const capacity = envs.flatMap((e) => capacityRows(e, before.summaries[e], after.summaries[e], stacks));
  const quota = envs.flatMap((e) => quotaRows(before.summaries[e], after.summaries[e]));
  if (capacity.length > 0 || quota.length > 0) {
    const lines = ['### Capacity', ''];
    if (capacity.length > 0) {
      lines.push(
        '| Placement | VM size | Instances min / default / max | Busiest minimum | Per slot at peak (blue / green) | Rollout at the minimum: batch down / serving / peak load | Why shown |',
        '|---|---|---|---|---|---|---|',
        ...capacity,
        '',
      );
    }
    if (quota.length > 0) lines.push('| Quota family | vCPUs at peak | Quota | Free at peak |', '|---|---|---|---|', ...quota, '');
    blocks.push({ text: lines.join('\n') });
  }

  // policy: findings that came or went; suppressions in force with their reasons
  const policyLines: string[] = [];
  for (const [i, env] of envs.entries()) {
    const p = policy[i];
    if (p.added.length === 0 && p.removed.length === 0) continue;
    policyLines.push(`| Environment ${env} | Rule | Severity | Resource | Finding |`, '|---|---|---|---|---|');
    for (const f of p.added) policyLines.push(`| new | ${f.rule} | ${f.suppressed !== undefined ? `suppressed ${f.severity}: ${escapeCell(f.suppressed)}` : f.severity} | ${code(f.resource)} | ${escapeCell(f.message)} |`);
    for (const f of p.removed) policyLines.push(`| gone | ${f.rule} | ${f.severity} | ${code(f.resource)} | ${escapeCell(f.message)} |`);
    policyLines.push('');
  }
  if (policyLines.length > 0) blocks.push({ text: ['### Policy', '', ...policyLines].join('\n') });
  const suppressions = envs.flatMap((e) => (after.summaries[e]?.policy ?? []).filter((f) => f.suppressed !== undefined));
  if (suppressions.length > 0) {
    blocks.push({
      text: details(`${suppressions.length} policy suppression${suppressions.length === 1 ? '' : 's'} in force`, suppressions.map((f) => `- ${f.rule} ${code(f.resource)}: ${escapeCell(f.suppressed!)}`).join('\n')),
      optional: 'the list of suppressions in force',
    });
  }

  // Terraform changes per stack
  if (stacks.length > 0) blocks.push({ text: '### Changes by stack\n' });
  for (const s of stacks) blocks.push(...stackBlocks(s, versions.get(s.stack)!));

  const markdown = fitComment(blocks, options.limit ?? GITHUB_COMMENT_LIMIT);
  return { markdown, blockers, exitCode: open.length > 0 ? 1 : 0 };
}


function stackBlocks(s: StackDiff, versions: ReadonlyMap<string, BlobVersion>): Block[] {
  const resources = s.resources;
  const n = (a: ResourceChange['action']) => resources.filter((r) => r.action === a && !versions.has(r.address)).length;
  const parts = (['create', 'update', 'replace', 'delete'] as const).filter((a) => n(a) > 0).map((a) => count(n(a), { create: 'add', update: 'change', replace: 'replace', delete: 'destroy' }[a]));
  if (versions.size > 0) parts.push(`${versions.size} new version${versions.size === 1 ? '' : 's'}`);
  const status = s.status === 'added' ? ' (new stack)' : s.status === 'removed' ? ' (stack removed from the synth: its resources stay in Azure unless it was retired and deployed first)' : '';
  const out: Block[] = [];
  const rows = resources.map((r) => {
    const v = versions.get(r.address);
    return v ? `| ${ACTION.version} | ${code(r.address)} | ${versionText(v)} |` : `| ${ACTION[r.action]} | ${code(r.address)} | ${whatChanges(r)} |`;
  });
  out.push({ text: [`#### ${s.stack}${status}: ${parts.join(', ') || 'settings only'}`, '', '| Action | Resource | What changes |', '|---|---|---|'].join('\n') + '\n', rows, rowsLabel: `resources of ${s.stack}` });
  if (s.settings.length > 0) out.push({ text: details(`${s.stack}: provider and backend settings`, attributeBody(attributeRows(s.settings))), optional: `the settings diff of ${s.stack}` });
  for (const r of resources) {
    if (r.action !== 'update' && r.action !== 'replace') continue;
    out.push({ text: details(`${r.address}: ${r.changes.length} attribute${r.changes.length === 1 ? '' : 's'}`, attributeBody(attributeRows(r.changes, versions.has(r.address)))), optional: `the attribute diff of ${s.stack}:${r.address}` });
  }
  return out;
}

function whatChanges(r: ResourceChange): string {
  if (r.action === 'create' || r.action === 'delete') return r.constructPath ? `construct ${code(r.constructPath)}` : '';
  const shown = r.changes.map((c) => {
    const p = code(formatPath(c.path));
    return c.ignored ? `${p} (ignored after creation)` : c.forcesReplacement ? `${p} **forces replacement**` : c.cannotUpdate ? `${p} **cannot be updated: the apply fails**` : p;
  });
  return shortList(shown);
}

const attrName = (c: AttributeChange) => {
  const keys = c.path.filter((p): p is string => typeof p === 'string');
  return keys[keys.length - 1] ?? '';
};

/**
 * What an in-place change of a scale set's boot data does to running VMs (docs/vm-side.md): Azure
 * applies changed custom data only on reimage, while user data (the release) reaches an instance
 * when it is updated to the latest model, which a rolling upgrade does.
 */
const BOOT_DATA_NOTES: Readonly<Record<string, string>> = {
  custom_data: 'running VMs keep the old document until reimaged: an update to the latest model does not apply custom data',
  user_data: 'the release: reaches running VMs as the rolling upgrade updates each to the latest model; their release agent switches within 30 s',
  user_data_base64: 'the release: reaches running VMs as the rolling upgrade updates each to the latest model; their release agent switches within 30 s',
};

const noteOf = (c: AttributeChange, version: boolean) =>
  c.forcesReplacement
    ? version
      ? 'new version'
      : '**forces replacement**'
    : c.ignored
      ? 'ignored after creation'
      : c.cannotUpdate
        ? `**cannot be updated**: ${escapeCell(c.cannotUpdate)}`
        : c.before !== undefined && c.after !== undefined
          ? (BOOT_DATA_NOTES[attrName(c)] ?? '')
          : '';

/** The attribute changes as rows: documents (custom data, configs, long lists) as line diffs. */
function attributeRows(changes: readonly AttributeChange[], version = false): AttributeRow[] {
  return changes.map((c) => {
    const name = attrName(c);
    const path = formatPath(c.path);
    const a = documentText(name, c.before);
    const b = documentText(name, c.after);
    const isDocument = (a !== undefined || c.before === undefined) && (b !== undefined || c.after === undefined) && (a ?? b) !== undefined;
    return { path, before: inlineValue(name, c.before), after: inlineValue(name, c.after), note: noteOf(c, version), ...(isDocument ? { diff: lineDiff(path, a ?? '', b ?? '') } : {}) };
  });
}

// ---- traffic ----

interface TrafficRow {
  readonly name: string;
  readonly row: string;
  readonly after?: ServiceSummary;
}

const affinityText = (a: RouteEntry['affinity']) => (a.by === 'cookie' ? `cookie ${a.name}` : a.by === 'header' ? `header ${a.name}` : a.by);
const ruleText = (r: RouteEntry['rules'][number]) => `${r.name}: ${r.header ? `header ${r.header.name}=${r.header.value}` : `cookie ${r.cookie!.name}=${r.cookie!.value}`} → ${r.slot}`;
const otherOf = (slot: string) => (slot === 'blue' ? 'green' : 'blue');

function trafficCells(s: ServiceSummary): string[] {
  const t = s.traffic;
  const version = (slot: 'blue' | 'green') => {
    const v = s.slots[slot];
    const notes = [v.parked !== undefined ? `parked at ${v.parked}` : '', v.osPatch !== undefined ? `OS patch ${v.osPatch}` : ''].filter(Boolean);
    return `${slot} ${v.version}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
  };
  return [
    s.retired ? 'retired: not routed' : s.viaFront ? t.live : `${t.live} (not via the front)`,
    t.weight > 0 ? `${t.weight} % to ${otherOf(t.live)}` : '0',
    t.rules.length > 0 ? t.rules.map(ruleText).join('; ') : '–',
    affinityText(t.affinity),
    t.failover ? 'on' : 'off',
    t.mirror > 0 ? `${t.mirror} % to ${otherOf(t.live)}` : '0',
    `${version('blue')}; ${version('green')}`,
  ].map(escapeCell);
}

function trafficChanges(before: EnvironmentSummary | undefined, after: EnvironmentSummary | undefined): TrafficRow[] {
  const names = [...new Set([...Object.keys(before?.services ?? {}), ...Object.keys(after?.services ?? {})])].sort();
  const rows: TrafficRow[] = [];
  for (const name of names) {
    const a = before?.services[name];
    const b = after?.services[name];
    const shown = after?.environment ?? before!.environment;
    if (a && b && JSON.stringify([a.traffic, a.slots, a.viaFront, a.retired]) === JSON.stringify([b.traffic, b.slots, b.viaFront, b.retired])) continue;
    const ca = a ? trafficCells(a) : undefined;
    const cb = b ? trafficCells(b) : undefined;
    const cells = cb ? cb.map((x, i) => (ca ? arrow(ca[i], x) : x)) : ca!.map((x) => `~~${x}~~`);
    const label = `${shown}/${name}${!a ? ' (new)' : !b ? ' (removed)' : ''}`;
    rows.push({ name, row: `| ${label} | ${cells.join(' | ')} |`, after: b });
  }
  return rows;
}

// ---- guard ----

/** A changed service's guard after the change: its phase, the judged and good slots, what trips it. */
function guardRow(r: TrafficRow, before: Record<string, EnvironmentSummary>, after: Record<string, EnvironmentSummary>): string[] {
  const b = r.after;
  const env = Object.keys(after).find((e) => after[e].services[r.name] === b);
  if (!b || !b.viaFront || env === undefined) return [];
  const a = before[env]?.services[r.name];
  const g = b.traffic.guard;
  const label = `${env}/${r.name}`;
  if (!g) {
    // a ramp or a swap with no guard: worth a line, since nothing watches it
    if (a?.traffic.guard) return [`| ${escapeCell(label)} | guard removed: the front routes as the table says | – | – |`];
    const moves = b.traffic.weight > 0 || (a !== undefined && a.traffic.live !== b.traffic.live);
    return moves ? [`| ${escapeCell(label)} | no guard: the front routes as the table says | – | – |`] : [];
  }
  const t = b.traffic;
  const other: SlotName = t.live === 'blue' ? 'green' : 'blue';
  const swapped = a !== undefined && a.traffic.live !== t.live;
  const [judged, good]: [SlotName, SlotName] | [undefined, undefined] = t.weight > 0 ? [other, t.live] : swapped ? [t.live, a.traffic.live] : [undefined, undefined];
  const phase =
    t.weight > 0
      ? `ramp: ${judged} (${g.releases[judged!]}) at ${t.weight} % judged against ${good} (${g.releases[good!]})`
      : swapped && g.bakeSeconds > 0
        ? `swap: for ${g.bakeSeconds / 60} min on each front VM, ${judged} (${g.releases[judged!]}) judged against ${good}, live before`
        : 'nothing judged: no ramp, no swap';
  if (judged === undefined || (t.weight === 0 && g.bakeSeconds === 0)) return [`| ${escapeCell(label)} | ${escapeCell(phase)} | – | – |`];
  const trips = `over ${g.windowSeconds} s, once ${judged} served ${g.minRequests} requests on a front VM: its error rate passes ${good}'s by ${g.errorRateMargin} points, or its mean time passes ${g.latencyRatio} × ${good}'s and by ${g.latencyMarginMs} ms`;
  const then =
    g.action === 'rollback'
      ? `rollback: ${judged}'s unpinned requests go to ${good} on that front VM`
      : t.weight > 0
        ? `hold: ${judged} keeps the weight it tripped at; a higher one waits`
        : 'hold: nothing moves after a swap; the trip is logged and alerts';
  return [`| ${escapeCell(label)} | ${escapeCell(phase)} | ${escapeCell(trips)} | ${escapeCell(then)} |`];
}

// ---- regions ----

function regionCells(r: RegionsSummary): string[] {
  const served = Object.entries(r.shares).map(([region, share]) => `${region} ${share} %`).join(', ');
  return [served, r.failover ? 'on' : 'off', regionLoss(r)].map(escapeCell);
}

/**
 * What losing each region that serves a share means: with failover, whether the regions left
 * carry the service's whole peak at their minimum, or autoscale must add instances (the synth
 * refuses a split whose survivors cannot carry it at their max); without, its share fails.
 */
function regionLoss(r: RegionsSummary): string {
  const regions = Object.keys(r.capacity);
  const parts: string[] = [];
  for (const lost of regions) {
    const share = r.shares[lost] ?? 0;
    if (share === 0) continue;
    const left = regions.filter((x) => x !== lost);
    if (!r.failover) {
      parts.push(`losing ${lost}: its ${share} % fails (no failover)`);
      continue;
    }
    const min = left.reduce((n, x) => n + r.capacity[x].min, 0);
    const max = left.reduce((n, x) => n + r.capacity[x].max, 0);
    const who = left.join(' + ');
    if (min >= r.peakLoad) parts.push(`losing ${lost}: ${who} carries the whole peak at its minimum (min ${min} ≥ peak ${r.peakLoad} per slot)`);
    else if (max >= r.peakLoad) parts.push(`losing ${lost}: ${who} carries ${min} of the peak's ${r.peakLoad} instances at its minimum; autoscale must add ${r.peakLoad - min} (max ${max})`);
    else parts.push(`losing ${lost}: ${who} carries at most ${max} of the peak's ${r.peakLoad} instances (${Math.round(((r.peakLoad - max) * 100) / r.peakLoad)} % over its max)`);
  }
  return parts.length > 0 ? parts.join('; ') : 'no region serves a share';
}

function regionChanges(before: EnvironmentSummary | undefined, after: EnvironmentSummary | undefined): Array<{ name: string; row: string }> {
  const names = [...new Set([...Object.keys(before?.services ?? {}), ...Object.keys(after?.services ?? {})])].sort();
  const rows: Array<{ name: string; row: string }> = [];
  for (const name of names) {
    const a = before?.services[name]?.regions;
    const b = after?.services[name]?.regions;
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const ca = a ? regionCells(a) : ['one region', '–', '–'];
    const cb = b ? regionCells(b) : ['one region', '–', '–'];
    rows.push({ name, row: `| ${after?.environment ?? before!.environment}/${name} | ${cb.map((x, i) => arrow(ca[i], x)).join(' | ')} |` });
  }
  return rows;
}

const nodeId = (...parts: string[]) => parts.join('_').replace(/[^A-Za-z0-9_]/g, '_');
const label = (s: string) => `"${s.replace(/"/g, "'")}"`;

/** A Mermaid flowchart: the front, each service's slots, and the edges requests take. */
export function flowchart(services: ReadonlyArray<{ name: string; s: ServiceSummary }>): string {
  const lines = ['flowchart LR', `  front(["nginx front"])`];
  for (const { name, s } of services) {
    const t = s.traffic;
    const other = otherOf(t.live) as 'blue' | 'green';
    const live = t.live as 'blue' | 'green';
    lines.push(`  subgraph ${nodeId('svc', name)}[${label(name)}]`);
    for (const slot of ['blue', 'green'] as const) {
      const v = s.slots[slot];
      lines.push(`    ${nodeId(name, slot)}[${label(`${slot} · ${v.version}${v.parked !== undefined ? ` · parked at ${v.parked}` : ''}`)}]`);
    }
    lines.push('  end');
    const liveShare = Math.round((100 - t.weight) * 100) / 100;
    if (liveShare > 0) lines.push(`  front -->|${label(`${liveShare} %`)}| ${nodeId(name, live)}`);
    if (t.weight > 0) lines.push(`  front -->|${label(`${t.weight} % ramp`)}| ${nodeId(name, other)}`);
    for (const r of t.rules) lines.push(`  front -->|${label(`rule ${r.name}`)}| ${nodeId(name, r.slot)}`);
    if (t.mirror > 0) lines.push(`  front -.->|${label(`mirror ${t.mirror} %`)}| ${nodeId(name, other)}`);
    if (t.failover) {
      if (liveShare > 0) lines.push(`  ${nodeId(name, live)} -.->|failover| ${nodeId(name, other)}`);
      if (t.weight > 0) lines.push(`  ${nodeId(name, other)} -.->|failover| ${nodeId(name, live)}`);
    }
  }
  return lines.join('\n');
}

// ---- OS patches ----

/**
 * One row per slot whose OS patch label changed: the placement's slot, the label before → after,
 * the share of each service's requests the slot serves after the change, and whether the rollout
 * reimages VMs that serve requests (a live slot) or none (the idle one: patch it, then swap).
 */
function osPatchRows(env: string, before: EnvironmentSummary | undefined, after: EnvironmentSummary | undefined): string[] {
  if (!before || !after) return [];
  const rows: string[] = [];
  for (const [part, p] of Object.entries(after.placements)) {
    if (p.retired || !before.placements[part]) continue;
    const services = p.services.map((name) => ({ name, now: after.services[name], was: before.services[name] })).filter((x) => x.now && !x.now.retired);
    if (services.length === 0) continue;
    for (const slot of SLOT_NAMES) {
      const label = (side: 'now' | 'was') => services.map((x) => x[side]?.slots[slot].osPatch).find((v) => v !== undefined);
      const [a, b] = [label('was'), label('now')];
      if (a === b) continue;
      const shares = services.map((x) => ({ name: x.name, ...exposure(x.now, slot) }));
      const parked = services[0].now.slots[slot].parked;
      const serving = shares.some((x) => x.share > 0 || x.pinned);
      const serves = shares.map((x) => `${x.share} % of ${x.name}${x.pinned ? ' (and pinned requests)' : ''}`).join('; ');
      const effect =
        parked === 0
          ? 'parked at 0: no VM to reimage; the VMs it starts later boot the new version'
          : serving
            ? `reimages VMs that serve requests, in batches of ${p.upgrade.maxBatchPercent} %${p.upgrade.maxSurge ? ' with surge' : ''}: each VM's in-flight requests end with it. The zero-downtime path: patch the idle slot, let its rollout complete, then swap`
            : 'no live instance is touched: it reimages the idle slot\'s VMs, which serve no requests; swap once their rollout completed (az vmss rolling-upgrade get-latest shows Completed): a zero-downtime OS upgrade';
      rows.push(`| ${escapeCell(`${env}/${part} · ${slot}`)} | ${escapeCell(arrow(a ?? '–', b ?? '–'))} | ${escapeCell(serves + (serving ? '' : ' (idle)'))} | ${escapeCell(effect)} |`);
    }
  }
  return rows;
}

// ---- capacity ----

function placementCells(p: PlacementSummary): string[] {
  return [
    p.vmSize,
    `${p.capacity.min} / ${p.capacity.default} / ${p.capacity.max}`,
    String(p.busiestMinimum),
    `${p.peakPerSlot.blue} / ${p.peakPerSlot.green}`,
    `${p.rollout.batch} / ${p.rollout.servingDuringBatch}${p.upgrade.maxSurge ? ' (surge)' : ''} / ${p.rollout.peakLoad}`,
  ];
}

function capacityRows(env: string, before: EnvironmentSummary | undefined, after: EnvironmentSummary | undefined, stacks: readonly StackDiff[]): string[] {
  const parts = [...new Set([...Object.keys(before?.placements ?? {}), ...Object.keys(after?.placements ?? {})])].sort();
  const rows: string[] = [];
  for (const part of parts) {
    const a = before?.placements[part];
    const b = after?.placements[part];
    const stack = (b ?? a)!.stack;
    const rolls = stacks.some((s) => s.stack === stack && s.resources.some((r) => r.type.endsWith('virtual_machine_scale_set') && (r.action === 'update' || r.action === 'replace') && r.changes.some((c) => !c.ignored)));
    const changed = JSON.stringify(a) !== JSON.stringify(b);
    if (!changed && !rolls) continue;
    const ca = a ? placementCells(a) : undefined;
    const cb = b ? placementCells(b) : undefined;
    const cells = cb ? cb.map((x, i) => (ca ? arrow(ca[i], x) : x)) : ca!.map((x) => `~~${x}~~`);
    const why = [changed ? (b?.retired && !a?.retired ? 'retired: its VMs go' : a && b ? 'capacity changed' : a ? 'removed' : 'new') : '', rolls ? 'its scale sets roll' : ''].filter(Boolean).join('; ');
    rows.push(`| ${env}/${part} | ${cells.join(' | ')} | ${why} |`);
  }
  return rows;
}

function quotaRows(before: EnvironmentSummary | undefined, after: EnvironmentSummary | undefined): string[] {
  const families = [...new Set([...Object.keys(before?.quotas ?? {}), ...Object.keys(after?.quotas ?? {})])].sort();
  const rows: string[] = [];
  for (const f of families) {
    const a = before?.quotas[f];
    const b = after?.quotas[f];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const peak = arrow(String(a?.peakVcpus ?? 0), String(b?.peakVcpus ?? 0));
    const quota = arrow(a?.quota !== undefined ? String(a.quota) : '–', b?.quota !== undefined ? String(b.quota) : '–');
    const free = (q: { peakVcpus: number; quota?: number } | undefined) => (q?.quota !== undefined ? String(q.quota - q.peakVcpus) : '–');
    rows.push(`| ${f} | ${peak} | ${quota} | ${arrow(free(a), free(b))} |`);
  }
  return rows;
}

// ---- policy ----

const findingKey = (f: Finding) => JSON.stringify([f.rule, f.resource, f.severity, f.suppressed ?? null]);

function policyChanges(before: EnvironmentSummary | undefined, after: EnvironmentSummary | undefined): { added: Finding[]; removed: Finding[] } {
  const a = before?.policy ?? [];
  const b = after?.policy ?? [];
  const inA = new Set(a.map(findingKey));
  const inB = new Set(b.map(findingKey));
  return { added: b.filter((f) => !inA.has(findingKey(f))), removed: a.filter((f) => !inB.has(findingKey(f))) };
}
