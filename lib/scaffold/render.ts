/**
 * Printing spec values as source text in the style of the example environment
 * (`stacks/environments/retail.ts`): small objects on one line, the entry itself one field per line.
 */

export interface TsStyle {
  /** One indentation step, e.g. '  '. */
  readonly unit: string;
  readonly quote: "'" | '"';
  /** Objects longer than this are split over lines. */
  readonly width: number;
}

export const DEFAULT_TS_STYLE: TsStyle = { unit: '  ', quote: "'", width: 120 };

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function tsString(s: string, quote: TsStyle['quote']): string {
  const body = JSON.stringify(s).slice(1, -1);
  return quote === '"' ? `"${body}"` : `'${body.replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

const tsKey = (k: string, style: TsStyle) => (IDENTIFIER.test(k) ? k : tsString(k, style.quote));

/** A value on one line. */
export function inline(value: unknown, style: TsStyle): string {
  if (typeof value === 'string') return tsString(value, style.quote);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => inline(v, style)).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const fields = Object.entries(value).filter(([, v]) => v !== undefined);
    return fields.length === 0 ? '{}' : `{ ${fields.map(([k, v]) => `${tsKey(k, style)}: ${inline(v, style)}`).join(', ')} }`;
  }
  throw new Error(`cannot print ${typeof value}`);
}

/**
 * An object literal over several lines, each field on its own line, starting at `indent` (the
 * first line carries it too). Fields whose one-line form is too long are split the same way.
 * `comments` puts a trailing comment on a field's line.
 */
export function renderTsObject(value: Record<string, unknown>, indent: string, style: TsStyle = DEFAULT_TS_STYLE, comments: Readonly<Record<string, string>> = {}): string {
  const lines = [`${indent}{`];
  const inner = indent + style.unit;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const one = `${inner}${tsKey(k, style)}: ${inline(v, style)},`;
    const comment = comments[k] ? ` // ${comments[k]}` : '';
    if (one.length <= style.width || typeof v !== 'object' || v === null || Array.isArray(v)) lines.push(one + comment);
    else lines.push(`${inner}${tsKey(k, style)}: ${renderTsObject(v as Record<string, unknown>, inner, style).trimStart()},${comment}`);
  }
  lines.push(`${indent}}`);
  return lines.join('\n');
}

/** The quote a TypeScript file mostly uses. */
export function quoteOf(text: string): TsStyle['quote'] {
  const single = (text.match(/'/g) ?? []).length;
  const double = (text.match(/"/g) ?? []).length;
  return double > single ? '"' : "'";
}

/** The indentation step a file mostly uses: the smallest indentation of an indented line. */
export function indentUnitOf(text: string, fallback = '  '): string {
  let best: string | undefined;
  for (const m of text.matchAll(/^([ \t]+)[^\s*]/gm)) {
    if (m[1].includes('\t')) return '\t';
    if (best === undefined || m[1].length < best.length) best = m[1];
  }
  return best ?? fallback;
}
