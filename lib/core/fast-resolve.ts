/**
 * cdktf's token resolution, with the token-free parts of a value copied rather than walked by it.
 *
 * `TerraformStack.toTerraform()` resolves each element's Terraform JSON with cdktf's generic
 * resolver, then resolves the merged stack JSON again. The resolver makes two closures, a context
 * object and a copy of the key path for every string, number, key and object it visits, and runs
 * four regular expressions over every string: for the example environment that was 40 % of
 * `app.synth`'s CPU, and half of it the second pass over JSON already resolved.
 *
 * {@link resolveTerraform} gives the same result with cdktf's own resolver doing all the work that
 * involves a token: any string that holds a token marker (or text cdktf's number-token pattern
 * matches), any number, any array that holds a string or number, any object that is not plain
 * (tokens, class instances, constructs) and any object with a map-token key is handed to cdktf's
 * `Tokenization.resolve` whole, with the same scope and resolver cdktf uses. What is left (plain
 * objects and arrays of them, and strings without a marker) is exactly what cdktf's resolver
 * returns unchanged, except that it drops `undefined` values, as cdktf does.
 *
 * The resolver's context flags (`suppressBraces`, `ignoreEscapes`, `warnEscapes`,
 * `iteratorContext`) are set only by a token for what it resolves beneath it, so on the plain path
 * from the root to a delegated value they are all unset, as they are for the delegated call. A test
 * (test/core/fast-resolve.test.ts) holds every stack of the fixture environments equal to cdktf's
 * own `toTerraform()`.
 */
import { DefaultTokenResolver, StringConcat, Token, Tokenization } from '../runtime/cdk';
import type { IConstruct } from 'constructs';

const RESOLVER = new DefaultTokenResolver(new StringConcat());

/** cdktf's pattern for numbers encoded into strings (encoding.js NUMBER_TOKEN_REGEX). */
const NUMBER_IN_STRING = /[-|\d|.+]+(e[-|\d|.|e|E|+]+)/;

/** Whether cdktf's resolver could change (or refuse) this string: every marker kind has "TfToken[". */
function mayHoldToken(s: string): boolean {
  return s.includes('TfToken[') || NUMBER_IN_STRING.test(s) || s === Token.STRING_MAP_TOKEN_VALUE || s === Token.ANY_MAP_TOKEN_VALUE;
}

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
};

/** Resolves `value` in `scope` as cdktf's `resolve(scope, value)` does (see the file comment). */
export function resolveTerraform(scope: IConstruct, value: unknown): unknown {
  const cdktf = (v: unknown) => Tokenization.resolve(v, { scope, preparing: false, resolver: RESOLVER });
  const walk = (v: unknown): unknown => {
    if (v === undefined || v === null || typeof v === 'boolean') return v;
    if (typeof v === 'string') return mayHoldToken(v) ? cdktf(v) : v;
    if (typeof v !== 'object') return cdktf(v); // numbers (maybe tokens), functions (refused by cdktf)
    if (Array.isArray(v)) {
      if (v.some((x) => typeof x === 'number' || (typeof x === 'string' && mayHoldToken(x)))) return cdktf(v);
      const out: unknown[] = [];
      for (const x of v) {
        const r = walk(x);
        if (r !== undefined) out.push(r);
      }
      return out;
    }
    if (!isPlainObject(v) || typeof (v as { resolve?: unknown }).resolve === 'function') return cdktf(v);
    const keys = Object.keys(v);
    if (keys.some(mayHoldToken)) return cdktf(v);
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const r = walk((v as Record<string, unknown>)[k]);
      if (r !== undefined) out[k] = r;
    }
    return out;
  };
  return walk(value);
}
