/**
 * Where a spec path's value is written in its file: line and column, as terraform and compilers
 * report them, so a problem can be followed to the value from an editor or a terminal.
 *
 * - JSON and YAML: the `yaml` package's Document API, which keeps every node's source range
 *   (YAML 1.2 is a superset of JSON, so one parser serves both).
 * - TypeScript and JavaScript: the TypeScript compiler API (an optional peer: without it, no
 *   positions), walking the default export (or `environment`) through object literals, array
 *   literals and a `defineEnvironment({...})` call. A value built by code (a spread, a variable,
 *   a function call) is located at the nearest enclosing literal that is written out.
 *
 * Never throws: a file that cannot be parsed, or a path it does not hold, has no location.
 */
import { extname } from 'node:path';

/** A 1-based line and column. */
export interface Location {
  readonly line: number;
  readonly column: number;
}

/** `services[2].slots.blue.version` → ['services', 2, 'slots', 'blue', 'version']; '(file)' → []. */
export function pathSegments(path: string): Array<string | number> {
  if (path.startsWith('(')) return [];
  const out: Array<string | number> = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(`"${m[3]}"`) as string);
    else out.push(m[1]);
  }
  return out;
}

function lineColumn(text: string, offset: number): Location {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function locateYaml(text: string, segments: Array<string | number>): Location | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseDocument, isMap, isSeq, isPair, isScalar } = require('yaml') as typeof import('yaml');
  const doc = parseDocument(text, { keepSourceTokens: false });
  let node: unknown = doc.contents;
  let best: [number, number] | undefined = (node as { range?: [number, number] } | null)?.range as [number, number] | undefined;
  for (const seg of segments) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      // a missing key: point at the map that lacks it
      if (!pair) break;
      next = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === 'number') next = node.items[seg];
    else break;
    if (!next) break;
    node = next;
    const r = (node as { range?: [number, number] }).range;
    if (r) best = r;
  }
  return best ? lineColumn(text, best[0]) : undefined;
}

function locateTs(text: string, file: string, segments: Array<string | number>): Location | undefined {
  let ts: typeof import('typescript');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ts = require('typescript') as typeof import('typescript');
  } catch {
    return undefined;
  }
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const consts = new Map<string, import('typescript').Expression>();
  let root: import('typescript').Expression | undefined;
  for (const st of source.statements) {
    if (ts.isExportAssignment(st)) root = st.expression;
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer) {
          consts.set(d.name.text, d.initializer);
          if (d.name.text === 'environment' && st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) root ??= d.initializer;
        }
      }
    }
  }
  const unwrap = (e: import('typescript').Expression | undefined, depth = 0): import('typescript').Expression | undefined => {
    if (!e || depth > 8) return e;
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e)) return unwrap(e.expression, depth + 1);
    if (ts.isCallExpression(e) && e.arguments.length === 1) return unwrap(e.arguments[0], depth + 1);
    if (ts.isIdentifier(e) && consts.has(e.text)) return unwrap(consts.get(e.text), depth + 1);
    return e;
  };
  let node = unwrap(root);
  if (!node) return undefined;
  let best: import('typescript').Node = node;
  for (const seg of segments) {
    let next: import('typescript').Expression | undefined;
    if (ts.isObjectLiteralExpression(node)) {
      for (const p of node.properties) {
        const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name)) ? p.name.text : undefined;
        if (name !== String(seg)) continue;
        if (ts.isPropertyAssignment(p)) next = p.initializer;
        else if (ts.isShorthandPropertyAssignment(p)) next = p.name;
      }
    } else if (ts.isArrayLiteralExpression(node) && typeof seg === 'number') {
      const el = node.elements[seg];
      if (el && !ts.isSpreadElement(el) && !ts.isOmittedExpression(el)) next = el;
    }
    const inner = unwrap(next);
    if (!inner) {
      if (next) best = next;
      break;
    }
    node = inner;
    best = next!;
  }
  const { line, character } = source.getLineAndCharacterOfPosition(best.getStart(source));
  return { line: line + 1, column: character + 1 };
}

/** The line and column of the value at `path` in the file's text, when it can be found. */
export function locate(text: string, file: string, path: string): Location | undefined {
  try {
    const segments = pathSegments(path);
    const ext = extname(file);
    if (ext === '.json' || ext === '.yaml' || ext === '.yml') return locateYaml(text, segments);
    if (ext === '.ts' || ext === '.js' || ext === '.cjs') return locateTs(text, file, segments);
  } catch {
    /* no location */
  }
  return undefined;
}
