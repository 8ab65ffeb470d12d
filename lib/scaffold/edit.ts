/**
 * Adding an entry to an environment file's `services` list as a text insertion, so every other
 * byte of the file (comments, blank lines, quoting, order) stays as the user wrote it:
 * - TypeScript: the compiler API finds the `services: [...]` array literal of the exported
 *   environment object; the entry is printed in the file's indentation and quotes;
 * - JSON: a small position-keeping parser finds the array; the entry is printed with the file's
 *   indentation;
 * - YAML: the `yaml` package's Document API finds the sequence node and its source range; the
 *   entry is printed as a block mapping at the sequence's indentation.
 * Each returns the insertions, so a caller (and a test) can see exactly what was added. The
 * caller re-reads the result and compares it with the intended spec before writing anything.
 */
import { ScaffoldError } from './errors';
import { DEFAULT_TS_STYLE, indentUnitOf, quoteOf, renderTsObject } from './render';
import { formatOf } from './source';

export interface Insertion {
  /** Offset in the original text. */
  readonly at: number;
  readonly text: string;
  /** Characters of the original replaced from `at` (only YAML's empty `[]` needs it). @default 0 */
  readonly remove?: number;
}

export interface Edit {
  readonly text: string;
  readonly insertions: readonly Insertion[];
}

export interface EntryOptions {
  /** Trailing comments per top-level field of the entry (TypeScript and YAML). */
  readonly comments?: Readonly<Record<string, string>>;
}

export function applyInsertions(text: string, insertions: readonly Insertion[]): string {
  let out = text;
  // from the end, so earlier offsets stay valid; at one offset, the first listed ends up first
  const order = insertions.map((i, n) => ({ i, n })).sort((a, b) => b.i.at - a.i.at || b.n - a.n);
  for (const { i } of order) out = out.slice(0, i.at) + i.text + out.slice(i.at + (i.remove ?? 0));
  return out;
}

/** Adds `entry` at the end of the file's `services` list. `field` names the flag to blame. */
export function addServiceEntry(text: string, file: string, entry: Record<string, unknown>, field: string, options: EntryOptions = {}): Edit {
  const format = formatOf(file);
  const insertions =
    format === 'ts' ? insertTs(text, file, entry, field, options) : format === 'json' ? insertJson(text, file, entry, field) : insertYaml(text, file, entry, field, options);
  return { text: applyInsertions(text, insertions), insertions };
}

// --- arrays in brace languages (TypeScript, JSON) -------------------------------------------

interface ArraySpan {
  /** Offset of '['. */
  readonly open: number;
  /** Offset of ']'. */
  readonly close: number;
  readonly elements: ReadonlyArray<{ readonly start: number; readonly end: number }>;
  readonly trailingComma: boolean;
}

const lineStart = (text: string, p: number) => text.lastIndexOf('\n', p - 1) + 1;
const lineIndent = (text: string, p: number) => /^[ \t]*/.exec(text.slice(lineStart(text, p)))![0];
const onlySpaceBefore = (text: string, p: number) => /^[ \t]*$/.test(text.slice(lineStart(text, p), p));
const blankToLineEnd = (text: string, p: number) => {
  const nl = text.indexOf('\n', p);
  return /^[ \t\r]*$/.test(text.slice(p, nl === -1 ? text.length : nl));
};

/**
 * Insertions that append an element to an array literal. `render(indent)` prints the element with
 * its first line at `indent`. The new element goes after the last one (and after any comment
 * lines before ']'), at the last element's indentation.
 */
function appendToArray(text: string, arr: ArraySpan, render: (indent: string) => string, unit: string, trailingCommaStyle: boolean): Insertion[] {
  const closeOwnLine = onlySpaceBefore(text, arr.close);
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  if (arr.elements.length === 0) {
    const indent = lineIndent(text, arr.open) + unit;
    const entry = render(indent) + (trailingCommaStyle ? ',' : '');
    if (closeOwnLine) return [{ at: lineStart(text, arr.close), text: `${entry}${nl}` }];
    return [{ at: arr.close, text: `${nl}${entry}${nl}${lineIndent(text, arr.open)}` }];
  }
  const first = arr.elements[0];
  const last = arr.elements[arr.elements.length - 1];
  const indent = onlySpaceBefore(text, first.start) ? lineIndent(text, first.start) : lineIndent(text, arr.open) + unit;
  const entry = render(indent);
  if (!arr.trailingComma && blankToLineEnd(text, last.end) && closeOwnLine) {
    // `  }\n]` → `  },\n  {new}\n]`: one insertion, nothing else on the line moves
    return [{ at: last.end, text: `,${nl}${entry}` }];
  }
  const comma: Insertion[] = arr.trailingComma ? [] : [{ at: last.end, text: ',' }];
  const tail = arr.trailingComma || trailingCommaStyle ? ',' : '';
  if (closeOwnLine) return [...comma, { at: lineStart(text, arr.close), text: `${entry}${tail}${nl}` }];
  return [...comma, { at: arr.close, text: `${nl}${entry}${tail}${nl}${lineIndent(text, arr.open)}` }];
}

// --- TypeScript ---------------------------------------------------------------------------------

function loadTypeScript(field: string): typeof import('typescript') {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('typescript') as typeof import('typescript');
  } catch {
    throw new ScaffoldError(field, 'editing a .ts environment file needs the typescript package (npm install --save-dev typescript)');
  }
}

function insertTs(text: string, file: string, entry: Record<string, unknown>, field: string, options: EntryOptions): Insertion[] {
  const ts = loadTypeScript(field);
  const syntax = ts.transpileModule(text, { fileName: file, reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.CommonJS } }).diagnostics ?? [];
  if (syntax.length > 0) {
    const d = syntax[0];
    const where = d.file && d.start !== undefined ? `:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '';
    throw new ScaffoldError(field, `${file}${where} does not parse: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  }
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const cannot = (why: string) =>
    new ScaffoldError(field, `${file}: cannot find where to add the service: ${why}; add this entry to services by hand:\n${renderTsObject(entry, '', { ...DEFAULT_TS_STYLE, quote: quoteOf(text) })}`);

  const unwrap = (e: import('typescript').Expression): import('typescript').Expression => {
    for (;;) {
      if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
      else return e;
    }
  };
  const declared = (name: string) => {
    for (const s of sf.statements) {
      if (!ts.isVariableStatement(s)) continue;
      for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer) return d.initializer;
    }
    return undefined;
  };
  // the environment object: `export default X` or `export const environment = X`, where X is an
  // object literal, defineEnvironment({ … }), or a variable holding one
  let exported: import('typescript').Expression | undefined;
  for (const s of sf.statements) {
    if (ts.isExportAssignment(s) && !s.isExportEquals) exported = s.expression;
  }
  exported ??= declared('environment');
  if (!exported) throw cannot('no `export default` environment');
  let obj: import('typescript').Expression = unwrap(exported);
  for (let hops = 0; hops < 5 && !ts.isObjectLiteralExpression(obj); hops++) {
    if (ts.isCallExpression(obj) && obj.arguments.length > 0) obj = unwrap(obj.arguments[0]);
    else if (ts.isIdentifier(obj) && declared(obj.text)) obj = unwrap(declared(obj.text)!);
    else break;
  }
  if (!ts.isObjectLiteralExpression(obj)) throw cannot('the default export is not an object literal or defineEnvironment({ … })');
  const prop = obj.properties.find(
    (p): p is import('typescript').PropertyAssignment => ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === 'services',
  );
  if (!prop) throw cannot('the environment object has no `services: [...]`');
  const arr = unwrap(prop.initializer);
  if (!ts.isArrayLiteralExpression(arr)) throw cannot('`services` is not an array literal');
  const unit = indentUnitOf(text);
  // as wide as the file's own lines: the example keeps a slot with its artifact on one line
  const width = Math.max(DEFAULT_TS_STYLE.width, ...text.split('\n').map((l) => l.length));
  const style = { ...DEFAULT_TS_STYLE, unit, quote: quoteOf(text), width };
  const span: ArraySpan = {
    open: arr.getStart(sf),
    close: arr.end - 1,
    elements: arr.elements.map((e) => ({ start: e.getStart(sf), end: e.end })),
    trailingComma: arr.elements.hasTrailingComma,
  };
  return appendToArray(text, span, (indent) => renderTsObject(entry, indent, style, options.comments), unit, true);
}

// --- JSON ---------------------------------------------------------------------------------------

interface JsonNode {
  readonly start: number;
  readonly end: number;
  readonly kind: 'object' | 'array' | 'scalar';
  readonly fields?: ReadonlyMap<string, JsonNode>;
  readonly items?: readonly JsonNode[];
}

/** A JSON parser that keeps each value's offsets (JSON.parse has already accepted the text). */
function parseJsonSpans(text: string): JsonNode {
  let p = 0;
  const ws = () => {
    while (p < text.length && /[ \t\r\n]/.test(text[p])) p++;
  };
  const str = () => {
    const start = p++;
    while (text[p] !== '"') p += text[p] === '\\' ? 2 : 1;
    p++;
    return JSON.parse(text.slice(start, p)) as string;
  };
  const value = (): JsonNode => {
    ws();
    const start = p;
    if (text[p] === '{') {
      p++;
      const fields = new Map<string, JsonNode>();
      ws();
      while (text[p] !== '}') {
        ws();
        const key = str();
        ws();
        p++; // ':'
        fields.set(key, value());
        ws();
        if (text[p] === ',') p++;
        ws();
      }
      p++;
      return { start, end: p, kind: 'object', fields };
    }
    if (text[p] === '[') {
      p++;
      const items: JsonNode[] = [];
      ws();
      while (text[p] !== ']') {
        items.push(value());
        ws();
        if (text[p] === ',') p++;
        ws();
      }
      p++;
      return { start, end: p, kind: 'array', items };
    }
    if (text[p] === '"') {
      str();
      return { start, end: p, kind: 'scalar' };
    }
    while (p < text.length && /[^,\]}\s]/.test(text[p])) p++;
    return { start, end: p, kind: 'scalar' };
  };
  return value();
}

function insertJson(text: string, file: string, entry: Record<string, unknown>, field: string): Insertion[] {
  try {
    JSON.parse(text);
  } catch (e) {
    throw new ScaffoldError(field, `${file} does not parse: ${(e as Error).message}`);
  }
  const root = parseJsonSpans(text);
  const services = root.fields?.get('services');
  if (!services || services.kind !== 'array') throw new ScaffoldError(field, `${file}: the environment has no "services": [...] list to add to`);
  const compact = !text.trim().includes('\n');
  const unit = compact ? '' : indentUnitOf(text);
  const render = (indent: string) =>
    compact
      ? JSON.stringify(entry)
      : JSON.stringify(entry, null, unit)
          .split('\n')
          .map((l) => indent + l)
          .join('\n');
  if (compact) {
    const last = services.items![services.items!.length - 1];
    return [last ? { at: last.end, text: `,${render('')}` } : { at: services.end - 1, text: render('') }];
  }
  const span: ArraySpan = { open: services.start, close: services.end - 1, elements: services.items!.map((i) => ({ start: i.start, end: i.end })), trailingComma: false };
  return appendToArray(text, span, render, unit, false);
}

// --- YAML ---------------------------------------------------------------------------------------

function insertYaml(text: string, file: string, entry: Record<string, unknown>, field: string, options: EntryOptions): Insertion[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const YAML = require('yaml') as typeof import('yaml');
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) throw new ScaffoldError(field, `${file} does not parse: ${doc.errors[0].message.split('\n')[0]}`);
  const seq = doc.get('services', true);
  if (!YAML.isSeq(seq) || !seq.range) throw new ScaffoldError(field, `${file}: the environment has no services: list to add to`);
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  const unit = indentUnitOf(text).length || 2;
  // the entry as a block mapping, with its comments, in the file's indentation
  const node = doc.createNode(entry) as import('yaml').YAMLMap;
  for (const pair of node.items) {
    const key = YAML.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const comment = options.comments?.[key];
    if (comment && YAML.isNode(pair.value)) pair.value.comment = ` ${comment}`;
  }
  const body = new YAML.Document(node).toString({ indent: unit, lineWidth: 0, minContentWidth: 0 }).replace(/\n$/, '').split('\n');
  const item = (indent: string) => [`${indent}- ${body[0]}`, ...body.slice(1).map((l) => (l === '' ? l : `${indent}  ${l}`))].join(nl);

  if (seq.flow) {
    if (seq.items.length > 0) {
      // a flow list `[a, b]`: append in flow style (JSON is YAML), leaving the rest as written
      const close = text.lastIndexOf(']', seq.range[1]);
      return [{ at: close, text: `, ${JSON.stringify(entry)}` }];
    }
    // `services: []` becomes a block list under the key: the `[]` goes (a comment after it stays)
    let from = seq.range[0];
    while (from > 0 && (text[from - 1] === ' ' || text[from - 1] === '\t')) from--;
    const eol = text.indexOf('\n', seq.range[1]);
    const items = item(lineIndent(text, seq.range[0]) + ' '.repeat(unit));
    return [
      { at: from, remove: seq.range[1] - from, text: '' },
      eol === -1 ? { at: text.length, text: `${nl}${items}${nl}` } : { at: eol + 1, text: `${items}${nl}` },
    ];
  }
  const indent = ' '.repeat(seq.range[0] - lineStart(text, seq.range[0]));
  const at = seq.range[1];
  const before = at > 0 && text[at - 1] !== '\n' ? nl : '';
  return [{ at, text: `${before}${item(indent)}${nl}` }];
}
