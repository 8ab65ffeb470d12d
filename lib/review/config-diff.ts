/**
 * Compares two synth outputs (two `cdktf.out` folders): per stack, the resources added, changed
 * and removed, each change down to the attribute, and whether Terraform will replace the resource
 * (an attribute the provider's documentation says forces a new resource). Pure over parsed JSON;
 * `readSynthOutput` is the only part that touches the disk.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FORCE_NEW } from '../runtime/provider';
import { cannotUpdate, forcesReplacement } from './replacement';
import { SUMMARY_DIR, SUMMARY_FORMAT, summaryPath, type EnvironmentSummary } from './summary';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** Bad input: one line for the user, exit code 2. */
export class ReviewInputError extends Error {}

export interface SynthOutput {
  /** Stack name → its cdk.tf.json. */
  readonly stacks: Readonly<Record<string, JsonObject>>;
  /** Environment name → its review summary (absent for outputs of other cdktf apps). */
  readonly summaries: Readonly<Record<string, EnvironmentSummary>>;
}

function readJson(path: string, what: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ReviewInputError(`${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (text.trim() === '') throw new ReviewInputError(`${what}: ${path} is empty`);
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new ReviewInputError(`${what}: ${path} is not valid JSON (${(e as Error).message})`);
  }
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a synth output folder through its manifest. */
export function readSynthOutput(dir: string): SynthOutput {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new ReviewInputError(`${dir} is not a synth output: it has no manifest.json (run cdktf synth first)`);
  const manifest = readJson(manifestPath, 'synth output');
  if (!isObject(manifest) || !isObject(manifest.stacks)) throw new ReviewInputError(`${manifestPath} has no "stacks": not a cdktf manifest`);
  const stacks: Record<string, JsonObject> = {};
  for (const [name, entry] of Object.entries(manifest.stacks)) {
    const rel = isObject(entry) && typeof entry.synthesizedStackPath === 'string' ? entry.synthesizedStackPath : undefined;
    if (rel === undefined) throw new ReviewInputError(`${manifestPath}: stack ${name} has no synthesizedStackPath`);
    const json = readJson(join(dir, rel), `stack ${name}`);
    if (!isObject(json)) throw new ReviewInputError(`stack ${name}: ${join(dir, rel)} is not a Terraform JSON configuration`);
    stacks[name] = json;
  }
  const summaries: Record<string, EnvironmentSummary> = {};
  const reviewDir = join(dir, SUMMARY_DIR);
  const envs = existsSync(reviewDir) ? readdirSync(reviewDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)) : [];
  for (const env of envs.sort()) {
    const path = join(dir, summaryPath(env));
    const summary = readJson(path, `environment ${env}`) as unknown as EnvironmentSummary;
    if (summary?.format !== SUMMARY_FORMAT) throw new ReviewInputError(`${path}: summary format ${String(summary?.format)} is not ${SUMMARY_FORMAT}; synthesize both sides with the same library version`);
    summaries[env] = summary;
  }
  return { stacks, summaries };
}

/** A path into a resource's configuration: keys, list indexes, or a list item matched by name. */
export type AttrPath = ReadonlyArray<string | number | { readonly name: string }>;

export interface AttributeChange {
  readonly path: AttrPath;
  /** Absent when the attribute is added. */
  readonly before?: Json;
  /** Absent when the attribute is removed. */
  readonly after?: Json;
  /** The provider's documentation says a change here forces a new resource. */
  readonly forcesReplacement: boolean;
  /** Listed in the resource's lifecycle.ignore_changes: Terraform keeps the live value. */
  readonly ignored: boolean;
  /** The provider's documentation says this change cannot be made in place: the apply will fail. */
  readonly cannotUpdate?: string;
}

export interface ResourceChange {
  /** `<type>.<name>`. */
  readonly address: string;
  readonly type: string;
  readonly action: 'create' | 'update' | 'replace' | 'delete';
  /** For updates and replacements. */
  readonly changes: readonly AttributeChange[];
  /** The construct path cdktf records, to find the code. */
  readonly constructPath?: string;
  /** The configuration, for creates and deletes. */
  readonly body?: JsonObject;
  /** `lifecycle.create_before_destroy` is set on the new configuration (updates and replacements). */
  readonly createBeforeDestroy?: boolean;
}

export interface StackDiff {
  readonly stack: string;
  readonly status: 'added' | 'removed' | 'changed';
  readonly resources: readonly ResourceChange[];
  /** Changes to the stack's provider, backend or required providers. */
  readonly settings: readonly AttributeChange[];
}

/** cdktf's metadata key: never part of the configuration Terraform sees. */
const META = '//';

const strip = (v: Json): Json => {
  if (Array.isArray(v)) return v.map(strip);
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => k !== META).map(([k, x]) => [k, strip(x)]));
};

const equal = (a: Json | undefined, b: Json | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

const namedList = (v: Json[]): v is JsonObject[] => v.length > 0 && v.every((x) => isObject(x) && typeof x.name === 'string') && new Set(v.map((x) => (x as JsonObject).name)).size === v.length;

/** Leaf differences between two configuration values, in a stable order. */
export function diffValues(before: Json | undefined, after: Json | undefined, path: AttrPath = []): Array<{ path: AttrPath; before?: Json; after?: Json }> {
  if (equal(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => k !== META).sort();
    return keys.flatMap((k) => diffValues(before[k], after[k], [...path, k]));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    // blocks with names (extensions, rules) are matched by name, so a reorder or an insert shows as such
    if (namedList(before) && namedList(after)) {
      const names = [...new Set([...before.map((x) => x.name as string), ...after.map((x) => x.name as string)])].sort();
      const find = (list: JsonObject[], name: string) => list.find((x) => x.name === name);
      return names.flatMap((name) => diffValues(find(before, name), find(after, name), [...path, { name }]));
    }
    if (before.length === after.length && before.some((x) => isObject(x) || Array.isArray(x))) return before.flatMap((x, i) => diffValues(x, after[i], [...path, i]));
  }
  return [{ path, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) }];
}

const keysOf = (path: AttrPath) => path.filter((p): p is string => typeof p === 'string');

/**
 * A change forces replacement when the documentation lists the attribute or a block around it,
 * or, for a whole block added or removed, any attribute inside it.
 */
/**
 * Replacing arguments of the types beside azurerm's (the generated table covers azurerm only):
 * Terraform's built-in `terraform_data` is replaced when `triggers_replace` changes (Terraform
 * 1.11 internal/builtin/providers/terraform/resource_data.go; measured with the real terraform in
 * test/compute/os-patch.test.ts: `delete,create`).
 */
const BUILTIN_FORCE_NEW: Readonly<Record<string, readonly string[]>> = { terraform_data: ['triggers_replace'] };

function forcesNew(type: string, keys: readonly string[], wholeBlock: boolean): boolean {
  if (forcesReplacement(type, keys)) return true;
  if (BUILTIN_FORCE_NEW[type]?.includes(keys[0] ?? '')) return true;
  const prefix = `${keys.join('.')}.`;
  return wholeBlock && (FORCE_NEW[type] ?? []).some((p) => p.startsWith(prefix));
}

/**
 * The documented one-way settings, applied to the direction of the change: custom data can change
 * but not be removed; purge protection can be enabled but not disabled; others never change.
 */
function blockedInPlace(type: string, keys: readonly string[], before: Json | undefined, after: Json | undefined): string | undefined {
  const note = cannotUpdate(type, keys);
  if (note === undefined) return undefined;
  if (/remove it/i.test(note)) return after === undefined ? note : undefined;
  if (/not possible to Disable/i.test(note)) return before === true && after !== true ? note : undefined;
  return note;
}

function ignoredPaths(body: JsonObject | undefined): string[] {
  const lc = body?.lifecycle;
  const ic = isObject(lc) ? lc.ignore_changes : undefined;
  return Array.isArray(ic) ? ic.filter((x): x is string => typeof x === 'string') : [];
}

function resourceEntries(config: JsonObject | undefined): Map<string, { type: string; body: JsonObject }> {
  const out = new Map<string, { type: string; body: JsonObject }>();
  // data sources are reads: nothing is created, changed or destroyed, so the review leaves them out
  const block = config?.resource;
  if (!isObject(block)) return out;
  for (const [type, byName] of Object.entries(block)) {
    if (!isObject(byName)) continue;
    for (const [name, body] of Object.entries(byName)) if (isObject(body)) out.set(`${type}.${name}`, { type, body });
  }
  return out;
}

const constructPathOf = (body: JsonObject): string | undefined => {
  const meta = body[META];
  const md = isObject(meta) ? meta.metadata : undefined;
  return isObject(md) && typeof md.path === 'string' ? md.path : undefined;
};

/** The resources of one stack that differ between two configurations, by address. */
export function diffStack(before: JsonObject | undefined, after: JsonObject | undefined): ResourceChange[] {
  const a = resourceEntries(before);
  const b = resourceEntries(after);
  const addresses = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x.localeCompare(y, 'en', { numeric: true }));
  const out: ResourceChange[] = [];
  for (const address of addresses) {
    const x = a.get(address);
    const y = b.get(address);
    const type = (x ?? y)!.type;
    if (!x) out.push({ address, type, action: 'create', changes: [], constructPath: constructPathOf(y!.body), body: strip(y!.body) as JsonObject });
    else if (!y) out.push({ address, type, action: 'delete', changes: [], constructPath: constructPathOf(x.body), body: strip(x.body) as JsonObject });
    else {
      const ignored = ignoredPaths(y.body);
      const leaves = diffValues(x.body, y.body);
      if (leaves.length === 0) continue;
      const changes = leaves.map((l): AttributeChange => {
        const keys = keysOf(l.path);
        const top = keys[0];
        const wholeBlock = isObject(l.before) || isObject(l.after) || Array.isArray(l.before) || Array.isArray(l.after);
        const blocked = blockedInPlace(type, keys, l.before, l.after);
        return {
          ...l,
          forcesReplacement: top !== 'lifecycle' && top !== 'depends_on' && forcesNew(type, keys, wholeBlock),
          ignored: top !== undefined && ignored.includes(top),
          ...(blocked ? { cannotUpdate: blocked } : {}),
        };
      });
      const effective = changes.filter((c) => !c.ignored);
      const replace = effective.some((c) => c.forcesReplacement);
      const lc = y.body.lifecycle;
      const cbd = isObject(lc) && lc.create_before_destroy === true;
      out.push({ address, type, action: replace ? 'replace' : 'update', changes, constructPath: constructPathOf(y.body), ...(cbd ? { createBeforeDestroy: true } : {}) });
    }
  }
  return out;
}

/** Every stack's differences, stacks in name order; unchanged stacks are left out. */
export function diffOutputs(before: SynthOutput, after: SynthOutput): StackDiff[] {
  const names = [...new Set([...Object.keys(before.stacks), ...Object.keys(after.stacks)])].sort();
  const out: StackDiff[] = [];
  for (const stack of names) {
    const x = before.stacks[stack];
    const y = after.stacks[stack];
    const resources = diffStack(x, y);
    const settings = ['terraform', 'provider'].flatMap((k) => diffValues(x?.[k], y?.[k], [k])).map((l) => ({ ...l, forcesReplacement: false, ignored: false }));
    if (resources.length === 0 && (x && y ? settings.length === 0 : false)) continue;
    out.push({ stack, status: !x ? 'added' : !y ? 'removed' : 'changed', resources, settings: x && y ? settings : [] });
  }
  return out;
}

/** A path as a reader writes it: `rolling_upgrade_policy.max_batch_instance_percent`, `extension[health].settings`. */
export const formatPath = (path: AttrPath): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : typeof p === 'object' ? `[${p.name}]` : i === 0 ? p : `.${p}`)).join('') || '(whole value)';
