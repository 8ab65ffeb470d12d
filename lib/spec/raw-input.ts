/**
 * The spec as written, before the schema reads it: values no field may hold, whatever the field.
 *
 * One walk over the input, bounded in size and depth, that refuses what the schema cannot see or
 * would silently change:
 * - keys JavaScript objects do not keep as data (`__proto__`, `constructor`, `prototype`): zod
 *   drops them from records, so a tag or setting would vanish;
 * - holes in arrays (`[a, , b]` in a .ts file) and objects that are not plain data;
 * - values cdktf would take for one of its tokens: a string with a token marker (`${TfToken[…]}`,
 *   a list or map marker) or a number token inside it, and a number cdktf reads as a token (a
 *   number or number-list token, or its number-map marker -123456789, which crashes the synth):
 *   cdktf would put another resource's value there;
 * - strings Terraform would not read back as written (not Unicode NFC, lone surrogates), control
 *   characters, and leading or trailing white space (CR, LF, NBSP…) that Azure and people cannot see;
 * - more values, deeper nesting or longer strings than any environment needs.
 *
 * It also gives the schema a dense copy (holes become `undefined`, refused keys are left out), so
 * no later pass meets a hole. Numbers, and number tokens inside strings, are asked of cdktf's own
 * token code (`lib/core/cdktf-tokens.ts`); the string markers are cdktf's documented encodings
 * (cdktf/lib/tokens/private/encoding.js: `${TfToken[`, `#{TfToken[`, `&{TfToken[`).
 */
import { cdktfReadsNumberAsToken, numberTokenInString } from '../core/cdktf-tokens';
import { formatPath, show, type Path, type SpecIssue } from './issues';

/** The most values (objects, arrays, strings, numbers…) one environment may hold. */
export const MAX_SPEC_VALUES = 200_000;
/** The deepest nesting any field needs, with room. */
export const MAX_SPEC_DEPTH = 24;
/** The longest string a field other than a setting's value may hold. */
export const MAX_STRING_LENGTH = 4096;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const TOKEN_MARKER = /[$#&]\{TfToken\[/;
const MAP_TOKEN_VALUES = new Set(['String Map Token Value', 'Any Map Token Value']);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const EDGE_SPACE = /^\s|\s$/;
/** Printable ASCII without '{', not starting or ending with a space (or empty): nothing above applies to it but the number rule. */
const PLAIN = /^(?:[\x21-\x7a\x7c-\x7e](?:[\x20-\x7a\x7c-\x7e]*[\x21-\x7a\x7c-\x7e])?)?$/;
/**
 * Unicode noncharacters (U+FDD0-U+FDEF, and the last two code points of every plane): not text.
 * systemd refuses an environment file holding one (utf8.c unichar_is_valid), so a setting with
 * one would keep its service from starting.
 */
const NONCHARACTER = new RegExp(`[\\u{FDD0}-\\u{FDEF}${Array.from({ length: 17 }, (_, plane) => `\\u{${(plane * 0x10000 + 0xfffe).toString(16)}}\\u{${(plane * 0x10000 + 0xffff).toString(16)}}`).join('')}]`, 'u');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A plain object of any realm (a structuredClone, a vm context): its prototype is an Object.prototype, or null. */
export function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === null || (Object.getPrototypeOf(proto) === null && Object.prototype.toString.call(v) === '[object Object]' && proto.constructor?.name === 'Object');
}

/**
 * Free text where white space is the user's own: a setting's value (text for the VM) and a
 * suppression's reason (prose the schema trims). Only the token, Unicode and size rules apply.
 */
const isFreeText = (path: Path) =>
  (path.length >= 4 && path[path.length - 2] === 'settings' && (path[0] === 'services' || path[0] === 'pools')) ||
  (path[0] === 'policy' && path[path.length - 1] === 'reason');

export interface RawInputResult {
  /** Problems with values as written. */
  readonly issues: SpecIssue[];
  /** The input with holes as `undefined` and refused keys left out, for the schema and the rules. */
  readonly input: unknown;
}

/** Walks the input once (see the file comment). */
export function checkRawInput(input: unknown): RawInputResult {
  const issues: SpecIssue[] = [];
  let count = 0;
  let stopped = false;
  const add = (path: Path, i: Omit<SpecIssue, 'path'>) => issues.push({ path: formatPath(path), ...i });

  const text = (s: string, path: Path, what: 'value' | 'key') => {
    // most strings are short printable ASCII without braces or edge spaces: only a number token could hide there
    const numberToken = numberTokenInString(s);
    if (s.length <= MAX_STRING_LENGTH && PLAIN.test(s) && !MAP_TOKEN_VALUES.has(s) && numberToken === undefined) return;
    const at = what === 'key' ? `the key ${show(s)}` : show(s);
    if (TOKEN_MARKER.test(s) || MAP_TOKEN_VALUES.has(s)) {
      add(path, { code: 'invalid_value', message: `${at} holds a cdktf token marker: cdktf would replace it with another resource's value`, value: s, hint: 'spec values are data; remove the marker' });
    }
    if (numberToken !== undefined) {
      add(path, { code: 'invalid_value', message: `${at} holds ${show(numberToken)}, a number cdktf reads as one of its tokens`, value: s });
    }
    if (LONE_SURROGATE.test(s)) {
      add(path, { code: 'invalid_format', message: `${at} holds a lone UTF-16 surrogate: it is not text`, value: s });
    } else if (NONCHARACTER.test(s)) {
      const c = NONCHARACTER.exec(s)![0].codePointAt(0)!;
      add(path, { code: 'invalid_format', message: `${at} holds U+${c.toString(16).toUpperCase().padStart(4, '0')}, a Unicode noncharacter: not text (systemd refuses an environment file holding one)`, value: s, hint: 'remove it' });
    } else if (s.normalize('NFC') !== s) {
      add(path, { code: 'invalid_format', message: `${at} is not in Unicode NFC: Terraform reads it as ${show(s.normalize('NFC'))}, which Azure would receive`, value: s, hint: 'write it in NFC (composed characters)' });
    }
    const free = isFreeText(path) && what === 'value';
    if (free && s.length > MAX_STRING_LENGTH && path[0] === 'policy') {
      add(path, { code: 'too_big', message: `a reason of ${s.length} characters; at most ${MAX_STRING_LENGTH}` });
    }
    // a setting's value becomes an environment variable: a C string, which ends at a NUL (systemd
    // reads an EnvironmentFile only up to its first NUL, losing every later setting with it)
    if (free && s.includes('\u0000')) {
      add(path, { code: 'invalid_format', message: 'holds a NUL character (\\u0000), which no environment variable or text can carry', value: s, hint: 'remove it; binary data goes in Key Vault or the release artifact, base64-encoded' });
    }
    // a pasted PEM block is refused as an inline secret (validate.ts), which says more than its line breaks
    if (free || s.includes('-----BEGIN ')) return;
    if (CONTROL.test(s)) {
      add(path, { code: 'invalid_format', message: `${at} holds a control character (${JSON.stringify(CONTROL.exec(s)![0])})`, value: s, hint: 'remove line breaks, tabs and other control characters' });
    } else if (EDGE_SPACE.test(s)) {
      add(path, { code: 'invalid_format', message: `${at} starts or ends with white space (${JSON.stringify(EDGE_SPACE.exec(s)![0])})`, value: s, hint: 'remove the leading or trailing space (a pasted CR, LF or no-break space)' });
    }
    if (s.length > MAX_STRING_LENGTH) {
      add(path, { code: 'too_big', message: `${what === 'key' ? 'a key' : 'a string'} of ${s.length} characters; at most ${MAX_STRING_LENGTH} here`, hint: 'large values go in Key Vault or the release artifact' });
    }
  };

  const walk = (value: unknown, path: PropertyKey[], depth: number): unknown => {
    if (stopped) return value;
    if (++count > MAX_SPEC_VALUES) {
      stopped = true;
      add([], { code: 'too_big', message: `holds more than ${MAX_SPEC_VALUES} values; the rest was not read`, hint: 'an environment of 1,000 services holds far fewer: split it, or remove generated copies' });
      return value;
    }
    if (typeof value === 'string') {
      text(value, path, 'value');
      return value;
    }
    if (typeof value === 'number') {
      if (cdktfReadsNumberAsToken(value)) {
        add(path, {
          code: 'invalid_value',
          message: `${value} is a number cdktf reads as one of its tokens (${value === -123456789 ? 'its number-map marker: the synth would fail' : 'it would put another value there'})`,
          value,
          hint: 'any other number: this exact value is reserved by cdktf',
        });
      }
      return value;
    }
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= MAX_SPEC_DEPTH) {
      add(path, { code: 'too_big', message: `is nested more than ${MAX_SPEC_DEPTH} levels deep`, hint: 'no field of an environment nests this deep' });
      return undefined;
    }
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let i = 0; i < value.length && !stopped; i++) {
        if (!(i in value)) {
          add([...path, i], { code: 'required', message: 'is a hole in the array (two commas with nothing between: [a, , b])', hint: 'remove the extra comma' });
          out.push(undefined);
        } else out.push(walk(value[i], [...path, i], depth + 1));
      }
      return out;
    }
    const proto = Object.getPrototypeOf(value);
    if (!isPlainObject(value)) {
      add(path, { code: 'invalid_type', message: `is ${proto?.constructor?.name ? `a ${proto.constructor.name}` : 'an object with a prototype'}, not plain data`, hint: 'write a plain object or array' });
      return undefined;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (stopped) break;
      const at = [...path, key];
      if (FORBIDDEN_KEYS.has(key)) {
        add(at, { code: 'invalid_value', message: `${show(key)} cannot be a key: JavaScript objects do not keep it as data, so it would vanish from the spec`, hint: 'rename the key' });
        continue;
      }
      text(key, at, 'key');
      out[key] = walk((value as Record<string, unknown>)[key], at, depth + 1);
    }
    return out;
  };

  const dense = walk(input, [], 0);
  return { issues, input: stopped ? input : dense };
}
