/**
 * Writes lib/review/force-new.ts: for each azurerm resource type this library emits, the arguments
 * whose change makes Terraform replace the resource. The provider schema that cdktf ships carries
 * no ForceNew, so the source is the provider's own documentation (website/docs/r/<name>.html.markdown
 * at the tag of the provider version @cdktf/provider-azurerm wraps).
 *
 *   node scripts/app.js scripts/force-new-from-docs.ts <docs-dir> --ref '<tag (commit)>' [--out <file>]
 *
 * <docs-dir> holds the provider's website/docs/r files; --ref names where they came from and goes
 * into the generated header. Nothing is written when a document is missing.
 *
 * Parsing uses `commonmark` (the CommonMark reference parser for JavaScript, in node_modules through
 * cdktf-cli's jsii tools; not a direct dependency). The document's "## Arguments Reference"
 * section is read; a paragraph "A `x` block supports the following:" starts block `x`'s arguments;
 * list items "* `name` - (Required|Optional) …" are arguments; "-> **Note:** …" paragraphs belong
 * to the argument they follow, or to the arguments they name. Nested arguments become dotted paths
 * from the top (`os_disk.diff_disk_settings.option`), found through the argument that names each
 * block; a block documented under several parents gets every path.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The azurerm resource types this library emits: the table covers each, possibly with no entry. */
export const RESOURCE_TYPES: readonly string[] = [
  'azurerm_key_vault',
  'azurerm_key_vault_certificate',
  'azurerm_key_vault_certificate_contacts',
  'azurerm_lb',
  'azurerm_lb_backend_address_pool',
  'azurerm_lb_nat_rule',
  'azurerm_lb_probe',
  'azurerm_lb_rule',
  'azurerm_linux_virtual_machine_scale_set',
  'azurerm_log_analytics_workspace',
  'azurerm_log_analytics_workspace_table_custom_log',
  'azurerm_orchestrated_virtual_machine_scale_set',
  'azurerm_management_lock',
  'azurerm_monitor_action_group',
  'azurerm_monitor_autoscale_setting',
  'azurerm_monitor_data_collection_rule',
  'azurerm_monitor_data_collection_rule_association',
  'azurerm_monitor_diagnostic_setting',
  'azurerm_monitor_metric_alert',
  'azurerm_monitor_scheduled_query_rules_alert_v2',
  'azurerm_nat_gateway',
  'azurerm_nat_gateway_public_ip_association',
  'azurerm_network_security_group',
  'azurerm_network_security_rule',
  'azurerm_private_dns_a_record',
  'azurerm_private_dns_zone',
  'azurerm_private_dns_zone_virtual_network_link',
  'azurerm_private_endpoint',
  'azurerm_public_ip',
  'azurerm_resource_group',
  'azurerm_resource_group_policy_assignment',
  'azurerm_resource_group_policy_remediation',
  'azurerm_role_assignment',
  'azurerm_storage_account',
  'azurerm_storage_blob',
  'azurerm_storage_container',
  'azurerm_subnet',
  'azurerm_subnet_nat_gateway_association',
  'azurerm_subnet_network_security_group_association',
  'azurerm_user_assigned_identity',
  'azurerm_virtual_network',
  'azurerm_virtual_network_peering',
];

// ---- the markdown parser (no published types: the few members used here) ----

interface MdNode {
  readonly type: string;
  readonly literal: string | null;
  readonly level: number;
  readonly firstChild: MdNode | null;
  readonly next: MdNode | null;
}
interface Commonmark {
  readonly Parser: new () => { parse(text: string): MdNode };
}
const commonmark: Commonmark = require('commonmark');

function children(node: MdNode): MdNode[] {
  const out: MdNode[] = [];
  for (let c = node.firstChild; c; c = c.next) out.push(c);
  return out;
}

/** Inline text with code spans kept in backticks; links give their text. */
function inlineText(node: MdNode): string {
  switch (node.type) {
    case 'text':
      return node.literal ?? '';
    case 'code':
      return `\`${node.literal ?? ''}\``;
    case 'softbreak':
    case 'linebreak':
      return ' ';
    case 'html_inline':
      return '';
    default:
      return children(node).map(inlineText).join('');
  }
}

/** A list item's prose: its paragraphs and nested lists, not its code blocks. */
function itemText(item: MdNode): string {
  return children(item)
    .map((c) => (c.type === 'paragraph' ? inlineText(c) : c.type === 'list' ? children(c).map(itemText).join(' ') : ''))
    .filter((s) => s !== '')
    .join(' ');
}

// ---- the phrasing ----

const ARGUMENTS_HEADING = /^Arguments? Reference$/i;
/** "A `x` block supports the following:", "An …", "The `x` block supports:", "A (Linux) `x` block …", "A `x` block support:". */
const BLOCK_INTRO = /^(?:A|An|The|Each)\s+(?:\([^)]*\)\s+)?`([A-Za-z0-9_]+)`\s+blocks?\s+supports?\b/;
const ITEM = /^`([A-Za-z0-9_]+)`\s*[-–:]\s*([\s\S]*)$/;
const NOTE = /^[-~!]>\s*(?:(?:Note|NOTE|Warning|WARNING|Important)\s*:\s*)?/;
/** "forces a new resource", "forces a new Public IP to be created", "force new", "being recreated". */
const FORCE = /\bforces? (?:a )?new\b|\bforces? (?:a )?(?:re-?creation|replacement)\b|\b(?:being|be) re-?created\b/i;
/** "will not trigger a force new", "does not force a new …". */
const NEGATED = /\b(?:not|never)\s+(?:\w+\s+){0,2}(?:force|trigger|be re-?created|recreat)/i;
/** The plain sentence: nothing after the thing that gets created. Anything else is a condition. */
const UNCONDITIONAL =
  /^(?:Changing|Updating|Modifying) (?:this|`[A-Za-z0-9_]+`)(?: (?:value|field|property|argument))? forces a new (?:resource|[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)*)(?: to be created)?\.?$/;
/** Documented as unchangeable without being replaced: Terraform plans an update the provider refuses. */
const CANNOT_UPDATE =
  /\b(?:can only be (?:configured|set) (?:one time|once)|cannot be (?:updated|changed|modified)|(?:it'?s|it is) not possible to (?:disable|remove|change|update) it)\b/i;
/** …said of the argument, not of something else ("existing blocks cannot be modified"). */
const CANNOT_UPDATE_SUBJECT = /^(?:This|It|Once|When)\b|^`[A-Za-z0-9_]+`/;
const SUBJECT_IS_ITEM = /^(?:Changing|Updating|Modifying|Setting) (?:this|the value)\b|^This\b/;
const SUBJECT_NAMED = /^(?:Changing|Updating|Modifying) `([A-Za-z0-9_]+)`/;

function sentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(?<=[.!?])\s+(?=[A-Z`(])/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const codeNames = (s: string): string[] => [...s.matchAll(/`([A-Za-z0-9_]+)`/g)].map((m) => m[1]);

// ---- the parse ----

export interface DocFinding {
  /** Dotted argument path from the resource's top: `name`, `rolling_upgrade_policy`, `os_disk.diff_disk_settings.option`. */
  readonly path: string;
  /** The sentence that says so, as written (with the note's earlier sentences when it leans on them). */
  readonly sentence: string;
}

export interface ForceNewFinding extends DocFinding {
  /** The sentence limits it ("… when types `LRS` … are changed to `ZRS` …", "to remove an existing zone"). */
  readonly conditional: boolean;
}

export interface ParsedDoc {
  /** Arguments whose change forces a new resource, in document order (a path may repeat). */
  readonly forceNew: readonly ForceNewFinding[];
  /** Arguments documented as not updatable, without saying a change forces a new resource. */
  readonly cannotUpdate: readonly DocFinding[];
  /** What the parse could not place. */
  readonly warnings: readonly string[];
}

interface Item {
  readonly name: string;
  readonly text: string;
}
interface Note {
  readonly text: string;
  readonly after: Item | undefined;
}
interface Section {
  /** undefined: the resource's top level. */
  readonly block: string | undefined;
  readonly items: Item[];
  readonly notes: Note[];
}

function readSections(markdown: string): Section[] {
  const body = markdown.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n/, ''); // front matter
  const doc = new commonmark.Parser().parse(body);
  const sections: Section[] = [];
  let inArguments = false;
  let current: Section | undefined;
  let last: Item | undefined;
  for (const node of children(doc)) {
    if (node.type === 'heading' && node.level <= 2) {
      if (inArguments) break;
      inArguments = ARGUMENTS_HEADING.test(inlineText(node).trim());
      if (inArguments) sections.push((current = { block: undefined, items: [], notes: [] }));
      last = undefined;
      continue;
    }
    if (!inArguments || !current) continue;
    if (node.type === 'paragraph') {
      const text = inlineText(node).trim();
      const block = BLOCK_INTRO.exec(text);
      if (block) {
        sections.push((current = { block: block[1], items: [], notes: [] }));
        last = undefined;
      } else if (NOTE.test(text)) {
        current.notes.push({ text: text.replace(NOTE, ''), after: last });
      }
    } else if (node.type === 'list') {
      for (const item of children(node)) {
        const m = ITEM.exec(itemText(item).trim());
        if (!m) continue;
        last = { name: m[1], text: m[2] };
        current.items.push(last);
      }
    }
  }
  return sections;
}

interface Claim {
  readonly section: Section;
  readonly names: readonly string[];
  readonly sentence: string;
}

/** Which arguments of the section a sentence speaks of. */
function subjects(sentence: string, paragraph: string, item: Item | undefined, isNote: boolean, args: ReadonlySet<string>): string[] {
  const own = item ? [item.name] : [];
  if (SUBJECT_IS_ITEM.test(sentence)) return own;
  const named = SUBJECT_NAMED.exec(sentence);
  if (named && args.has(named[1])) return [named[1]];
  if (!isNote) return own;
  const inSentence = codeNames(sentence).filter((n) => args.has(n));
  if (inSentence.length > 0) return [...new Set(inSentence)];
  const inNote = codeNames(paragraph).filter((n) => args.has(n));
  return inNote.length > 0 ? [...new Set(inNote)] : own;
}

/** Every dotted path at which a block's arguments sit, through the arguments that name the block. */
function blockPaths(sections: readonly Section[], warnings: string[]): Map<string, string[]> {
  const argsOf = new Map<string | undefined, Set<string>>();
  for (const s of sections) {
    const set = argsOf.get(s.block) ?? new Set<string>();
    for (const i of s.items) set.add(i.name);
    argsOf.set(s.block, set);
  }
  const memo = new Map<string, string[]>();
  const resolveBlock = (block: string, seen: ReadonlySet<string>): string[] => {
    const known = memo.get(block);
    if (known) return known;
    const paths: string[] = [];
    for (const [parent, args] of argsOf) {
      if (!args.has(block) || parent === block) continue;
      if (parent === undefined) paths.push(block);
      else if (!seen.has(parent)) paths.push(...resolveBlock(parent, new Set([...seen, block])).map((p) => `${p}.${block}`));
    }
    if (paths.length === 0) {
      warnings.push(`block \`${block}\` is documented but no argument names it; its arguments are listed under \`${block}.\``);
      paths.push(block);
    }
    const sorted = [...new Set(paths)].sort();
    memo.set(block, sorted);
    return sorted;
  };
  const out = new Map<string, string[]>();
  for (const block of argsOf.keys()) if (block !== undefined) out.set(block, resolveBlock(block, new Set()));
  return out;
}

/** The force-new and cannot-update arguments one resource document states. */
export function parseResourceDoc(markdown: string): ParsedDoc {
  const warnings: string[] = [];
  const sections = readSections(markdown);
  if (sections.length === 0) warnings.push('no "## Arguments Reference" section');
  const force: (Claim & { conditional: boolean })[] = [];
  const fixed: Claim[] = [];
  for (const section of sections) {
    const args = new Set(section.items.map((i) => i.name));
    const paragraphs = [
      ...section.items.map((i) => ({ text: i.text, item: i as Item | undefined, isNote: false })),
      ...section.notes.map((n) => ({ text: n.text, item: n.after, isNote: true })),
    ];
    for (const p of paragraphs) {
      const all = sentences(p.text);
      for (const [index, sentence] of all.entries()) {
        const isForce = FORCE.test(sentence) && !NEGATED.test(sentence);
        const isFixed = !isForce && CANNOT_UPDATE.test(sentence) && CANNOT_UPDATE_SUBJECT.test(sentence);
        if (!isForce && !isFixed) continue;
        const names = subjects(sentence, p.text, p.item, p.isNote, args);
        if (names.length === 0) {
          warnings.push(`${section.block ?? 'top level'}: "${sentence}" names no argument`);
          continue;
        }
        // a note's sentence that names its arguments only before it ("… either property …") is
        // quoted with what comes before it
        const leans = p.isNote && !names.every((n) => n === p.item?.name || codeNames(sentence).includes(n));
        const quoted = leans ? all.slice(0, index + 1).join(' ') : sentence;
        if (isForce) force.push({ section, names, sentence: quoted, conditional: !UNCONDITIONAL.test(sentence) });
        else fixed.push({ section, names, sentence: quoted });
      }
    }
  }
  const paths = blockPaths(sections, warnings);
  const expand = (c: Claim): string[] =>
    c.names.flatMap((n) => (c.section.block === undefined ? [n] : (paths.get(c.section.block) ?? []).map((p) => `${p}.${n}`)));
  return {
    forceNew: force.flatMap((c) => expand(c).map((path) => ({ path, sentence: c.sentence, conditional: c.conditional }))),
    cannotUpdate: fixed.flatMap((c) => expand(c).map((path) => ({ path, sentence: c.sentence }))),
    warnings,
  };
}

// ---- the table ----

export interface ResourceTable {
  readonly forceNew: readonly string[];
  /** path → the sentence, for force-new paths that the docs state only under a condition. */
  readonly conditions: Readonly<Record<string, string>>;
  /** path → the sentence. */
  readonly cannotUpdate: Readonly<Record<string, string>>;
}

/** One resource's table: sorted, unique; a path stated both plainly and with a condition is plain. */
export function tableOf(doc: ParsedDoc): ResourceTable {
  const plain = new Set(doc.forceNew.filter((f) => !f.conditional).map((f) => f.path));
  const conditions: Record<string, string> = {};
  for (const f of doc.forceNew) if (f.conditional && !plain.has(f.path) && !(f.path in conditions)) conditions[f.path] = f.sentence;
  const forceNew = [...new Set(doc.forceNew.map((f) => f.path))].sort();
  const cannotUpdate: Record<string, string> = {};
  for (const f of doc.cannotUpdate) if (!forceNew.includes(f.path) && !(f.path in cannotUpdate)) cannotUpdate[f.path] = f.sentence;
  return { forceNew, conditions: sortKeys(conditions), cannotUpdate: sortKeys(cannotUpdate) };
}

const sortKeys = <T>(o: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** A TypeScript string literal: single quotes unless the text has one. */
const q = (s: string): string => (s.includes("'") && !s.includes('"') ? JSON.stringify(s) : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);

function renderList(key: string, values: readonly string[]): string {
  const one = `  ${key}: [${values.map(q).join(', ')}],`;
  if (one.length <= 110) return one;
  return [`  ${key}: [`, ...values.map((v) => `    ${q(v)},`), '  ],'].join('\n');
}

function renderSentences(key: string, entries: Readonly<Record<string, string>>): string | undefined {
  const list = Object.entries(entries);
  if (list.length === 0) return undefined;
  return [`  ${key}: {`, ...list.map(([p, s]) => `    ${/^[a-z_][a-z0-9_]*$/.test(p) ? p : q(p)}: ${q(s)},`), '  },'].join('\n');
}

/** The text of lib/review/force-new.ts. */
/**
 * Replacements the provider forces in code (a `CustomizeDiff` with `ForceNewIf`) that its docs do
 * not state, read in the source at the same ref. Merged into the docs' table.
 */
export const FROM_CODE: Readonly<Record<string, readonly string[]>> = {
  // internal/services/loadbalancer/lb_resource.go: CustomizeDiff ForceNewIf("frontend_ip_configuration")
  // forces `frontend_ip_configuration.N.zones` new when a named frontend's zones change
  azurerm_lb: ['frontend_ip_configuration.zones'],
};

/** The docs' table with FROM_CODE merged in. */
export function withCodeRules(type: string, table: ResourceTable): ResourceTable {
  const extra = FROM_CODE[type];
  return extra ? { ...table, forceNew: [...new Set([...table.forceNew, ...extra])].sort() } : table;
}

export function renderTable(tables: ReadonlyMap<string, ResourceTable>, ref: string, wraps = '@cdktf/provider-azurerm 14.23.1', out = 'lib/review/force-new.ts'): string {
  const types = [...tables.keys()].sort();
  const force = types.map((t) => renderList(t, tables.get(t)!.forceNew)).join('\n');
  const conditions = types.map((t) => renderSentences(t, tables.get(t)!.conditions)).filter((s) => s !== undefined).join('\n');
  const fixed = types.map((t) => renderSentences(t, tables.get(t)!.cannotUpdate)).filter((s) => s !== undefined).join('\n');
  return `/**
 * Which argument changes make Terraform replace an azurerm resource, for the types this library
 * emits. GENERATED by scripts/force-new-from-docs.ts from the azurerm provider's documentation,
 * website/docs/r/<name>.html.markdown at
 *
 *   ${ref}
 *
 * (the provider version ${wraps} wraps): an argument is listed when its
 * description, or a note under it, says changing it forces a new resource, plus the replacements
 * its code forces that the docs omit (FROM_CODE in the script). Do not edit; regenerate:
 *
 *   node scripts/app.js scripts/force-new-from-docs.ts <provider>/website/docs/r --ref '<tag (commit)>'${out === 'lib/review/force-new.ts' ? '' : ` --wraps '${wraps}' --out ${out}`}
 *
 * Paths are Terraform JSON names; a nested argument is \`block.argument\`; a block listed on its own
 * is replaced as a whole when anything in it changes. The docs are the source because the schema
 * cdktf ships has no ForceNew; they can lag the code, and a plan's \`replace_paths\` is the word.
 */

/** Resource type → sorted argument paths whose change forces a new resource. */
export const FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
${force}
};

/** Paths in FORCE_NEW that the docs state only under a condition: type → path → the sentence. */
export const FORCE_NEW_CONDITIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
${conditions}
};

/**
 * Arguments the docs say cannot be changed in place (or not in one direction) without saying that
 * a change forces a new resource: Terraform plans an in-place update that will not do what was
 * asked (the provider refuses it, or keeps the old value). Type → path → the sentence.
 */
export const CANNOT_UPDATE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
${fixed}
};
`;
}

// ---- the command ----

function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

function main(argv: readonly string[]): number {
  const positional: string[] = [];
  let ref: string | undefined;
  let out: string | undefined;
  let wraps: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--ref') ref = argv[++i];
    else if (argv[i] === '--out') out = argv[++i];
    else if (argv[i] === '--wraps') wraps = argv[++i];
    else positional.push(argv[i]);
  }
  if (positional.length !== 1 || !ref) {
    process.stderr.write("usage: node scripts/app.js scripts/force-new-from-docs.ts <docs-dir> --ref '<tag (commit)>' [--wraps '<bindings and version>' --out <file>]\n");
    return 2;
  }
  const dir = resolve(positional[0]);
  const missing = RESOURCE_TYPES.map((t) => join(dir, `${t.replace(/^azurerm_/, '')}.html.markdown`)).filter((f) => !existsSync(f));
  if (missing.length > 0) {
    process.stderr.write(`missing ${missing.length} document(s), nothing written:\n${missing.map((f) => `  ${f}\n`).join('')}`);
    return 1;
  }
  const tables = new Map<string, ResourceTable>();
  for (const type of RESOURCE_TYPES) {
    const doc = parseResourceDoc(readFileSync(join(dir, `${type.replace(/^azurerm_/, '')}.html.markdown`), 'utf8'));
    for (const w of doc.warnings) process.stderr.write(`${type}: ${w}\n`);
    const table = withCodeRules(type, tableOf(doc));
    tables.set(type, table);
    const extra = [
      Object.keys(table.conditions).length > 0 ? `${Object.keys(table.conditions).length} conditional` : '',
      Object.keys(table.cannotUpdate).length > 0 ? `${Object.keys(table.cannotUpdate).length} cannot-update` : '',
    ].filter((s) => s !== '');
    process.stdout.write(`${type}: ${table.forceNew.length} force-new${extra.length > 0 ? ` (${extra.join(', ')})` : ''}\n`);
  }
  const file = out ? resolve(out) : join(projectRoot(__dirname), 'lib', 'review', 'force-new.ts');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderTable(tables, ref, wraps, out ? relative(projectRoot(__dirname), file) : undefined));
  process.stdout.write(`wrote ${file}\n`);
  return 0;
}

// scripts/app.js loads the entry with require() after setting argv[1] to it; tests import the parse.
if (require.main === module || /force-new-from-docs\.[jt]s$/.test(process.argv[1] ?? '')) process.exitCode = main(process.argv.slice(2));
