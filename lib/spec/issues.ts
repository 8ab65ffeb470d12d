/**
 * Spec issues: what is wrong, where (the path the user wrote), the value given, what is allowed,
 * and a hint. Every message text lives here or is built from data here.
 */
import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';

/** What kind of problem a {@link SpecIssue} is. */
export type IssueCode =
  | 'required'
  | 'policy'
  | 'invalid_type'
  | 'unknown_field'
  | 'too_small'
  | 'too_big'
  | 'invalid_format'
  | 'invalid_value'
  | 'duplicate'
  | 'overlap'
  | 'collision'
  | 'does_not_fit'
  | 'out_of_order'
  | 'name_rule'
  | 'missing'
  /** A defect in the validation itself (a rule threw): never expected, reported instead of a stack trace. */
  | 'internal';

/** One problem in a spec: where, what, the value given, and the likely fix. */
export interface SpecIssue {
  /** Where, as the user wrote it: 'services[1].capacity.min'. */
  readonly path: string;
  /** What kind of problem. */
  readonly code: IssueCode;
  /** What is wrong, with the value given and what is allowed. */
  readonly message: string;
  /** The offending value, when there is one. */
  readonly value?: unknown;
  /** The likely fix or why the rule exists. */
  readonly hint?: string;
}

export type Path = readonly PropertyKey[];

export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? String(seg) : `.${String(seg)}`;
  return out === '' ? '(environment)' : out;
}

/** One line: `path: message (hint)`. */
export function formatIssue(i: SpecIssue): string {
  return `${i.path}: ${i.message}${i.hint ? ` (${i.hint})` : ''}`;
}

/** A short, readable rendering of a value the user gave. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  return 'an object';
}

const kindOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isNaN(v) ? 'NaN' : typeof v === 'number' && !Number.isFinite(v) ? 'Infinity' : typeof v;

/** "did you mean 'x'?" when a candidate is close enough to be a typo. */
export function suggest(given: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(given, candidates as string[]);
  const d = distance(given.toLowerCase(), best.toLowerCase());
  return d <= Math.max(2, Math.floor(best.length / 3)) ? `did you mean '${best}'?` : undefined;
}

const list = (xs: readonly unknown[]) => xs.map((x) => show(x)).join(', ');

// ---- zod → SpecIssue ------------------------------------------------------------------------

type AnySchema = z.core.$ZodType;
const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);

function unwrap(s: AnySchema | undefined): AnySchema | undefined {
  let cur = s;
  while (cur && WRAPPERS.has(cur._zod.def.type)) cur = (cur._zod.def as unknown as { innerType: AnySchema }).innerType;
  return cur;
}

/** The field names an object schema allows at `path` (for suggestions), or [] when unknown. */
export function fieldsAt(root: AnySchema, path: Path): string[] {
  let s = unwrap(root);
  for (const seg of path) {
    if (!s) return [];
    const def = s._zod.def as unknown as { type: string; shape?: Record<string, AnySchema>; element?: AnySchema; valueType?: AnySchema };
    if (def.type === 'object') s = unwrap(def.shape?.[String(seg)]);
    else if (def.type === 'array') s = unwrap(def.element);
    else if (def.type === 'record') s = unwrap(def.valueType);
    else return [];
  }
  const def = s?._zod.def as unknown as { type: string; shape?: Record<string, AnySchema> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

const FORMAT_WORDS: Record<string, string> = {
  cidrv4: 'an IPv4 CIDR such as 10.20.0.0/16',
  guid: 'a GUID such as 00000000-0000-0000-0000-000000000000',
};

/** Converts zod's issues for `root` into SpecIssues; `pathPrefix` places a part in the whole spec. */
export function fromZod(issues: readonly z.core.$ZodIssue[], root: AnySchema, pathPrefix: Path = []): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const iss of issues) {
    const rel = iss.path as PropertyKey[];
    const path = formatPath([...pathPrefix, ...rel]);
    const input = (iss as { input?: unknown }).input;
    switch (iss.code) {
      case 'unrecognized_keys': {
        const allowed = fieldsAt(root, rel);
        for (const key of iss.keys) {
          out.push({
            path: formatPath([...pathPrefix, ...rel, key]),
            code: 'unknown_field',
            message: 'unknown field',
            hint: suggest(key, allowed) ?? (allowed.length ? `allowed here: ${allowed.join(', ')}` : undefined),
          });
        }
        break;
      }
      case 'invalid_type':
        if (input === undefined) out.push({ path, code: 'required', message: `required field is missing (expected ${iss.expected})` });
        else out.push({ path, code: 'invalid_type', message: `got ${typeof input === 'object' && input !== null ? show(input) : `${kindOf(input)} ${show(input)}`}, expected ${iss.expected}`, value: input });
        break;
      case 'too_small':
      case 'too_big': {
        const small = iss.code === 'too_small';
        const bound = small ? (iss as z.core.$ZodIssueTooSmall).minimum : (iss as z.core.$ZodIssueTooBig).maximum;
        const inclusive = (iss as { inclusive?: boolean }).inclusive !== false;
        const op = small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
        const origin = (iss as { origin?: string }).origin;
        let message: string;
        if (origin === 'string') message = `${show(input)} is ${String(input).length} character${String(input).length === 1 ? '' : 's'}, expected ${small ? 'at least' : 'at most'} ${bound}`;
        else if (origin === 'array') message = `has ${Array.isArray(input) ? input.length : '?'} items, expected ${small ? 'at least' : 'at most'} ${bound}`;
        else message = `got ${show(input)}, expected ${op} ${bound}`;
        // a numeric bound the schema explains (a custom message) gives the reason as the hint
        const why = origin === 'number' && !/^Too (big|small)/.test(iss.message) ? { hint: iss.message } : {};
        out.push({ path, code: iss.code, message, value: input, ...why });
        break;
      }
      case 'invalid_format': {
        const f = iss as z.core.$ZodIssueInvalidStringFormat;
        const expected = f.format === 'regex' ? iss.message : (FORMAT_WORDS[f.format] ?? `a ${f.format}`);
        out.push({ path, code: 'invalid_format', message: `${show(input)} is not ${expected}`, value: input });
        break;
      }
      case 'invalid_value': {
        const values = iss.values as unknown[];
        const strings = values.filter((v): v is string => typeof v === 'string');
        out.push({
          path,
          code: 'invalid_value',
          message: `got ${show(input)}, expected one of ${list(values)}`,
          value: input,
          hint: typeof input === 'string' ? suggest(input, strings) : undefined,
        });
        break;
      }
      case 'not_multiple_of':
        out.push({ path, code: 'invalid_value', message: `got ${show(input)}, expected a multiple of ${String(iss.divisor)}`, value: input });
        break;
      default:
        out.push({ path, code: 'invalid_value', message: `${iss.message}${input === undefined ? '' : ` (got ${show(input)})`}`, value: input });
    }
  }
  return out;
}
