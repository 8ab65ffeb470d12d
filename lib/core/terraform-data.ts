/**
 * Spec values are data: the one place where strings become Terraform strings.
 *
 * In Terraform's JSON syntax every string (and every key of a map value) is a template: `${…}`
 * is interpolated and `%{…}` is a directive. A tag value `team%{if x}` fails the plan, and
 * `CN=x${var.y}` reads a variable. Constructs hand spec strings to provider attributes as they
 * are; {@link TerraformDataAspect} escapes them when the stack is synthesized, for every
 * resource, data source, provider, output and local of the stack, so no construct can forget it.
 *
 * What tells a user string from an expression the library builds: every expression the library
 * builds is a cdktf token (a reference, an `Fn` call, {@link terraformExpression}); before
 * resolution a token sits in a string as its marker (`${TfToken[TOKEN.12]}`), and everything
 * around the markers is literal text. The aspect wraps each element's `toTerraform()`, whose
 * output is not yet resolved: markers of registered tokens stay as they are, and the literal text
 * between them is escaped (`${` → `$${`, `%{` → `%%{`). cdktf then resolves the markers as usual.
 * After resolution the two cannot be told apart, which is why this runs before it.
 *
 * A string from the spec that *is* a marker cannot be told from a real one here: the spec
 * validation refuses token markers (`lib/spec/raw-input.ts`). Backends are left alone: Terraform
 * does not template a backend block, so an escape there would be read as written.
 */
import { type IAspect, type IResolvable, TerraformBackend, TerraformElement, Token, Tokenization } from '../runtime/cdk';
import type { IConstruct } from 'constructs';

/** cdktf's string token marker (`${TfToken[TOKEN.n]}`), as its encoding.js matches it. */
const STRING_TOKEN = /\$\{TfToken\[([a-zA-Z0-9:._-]+)\]\}/g;

/** The Terraform template text that Terraform reads back as exactly `s` (no interpolation, no directive). */
export function terraformLiteral(s: string): string {
  return s.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** Whether a marker names a token cdktf will resolve (reverseString gives one token fragment for it). */
function isRegisteredToken(marker: string): boolean {
  try {
    const f = Tokenization.reverseString(marker);
    return f.length === 1 && f.firstToken !== undefined;
  } catch {
    return false; // cdktf throws for a marker it never issued (its resolve would too)
  }
}

/**
 * Literal text for a string that also holds tokens. A run of '$' before '{' is written as an
 * interpolation of that run (`${"$$"}{`): cdktf reads any `${` in such a string as the start of
 * an expression (its escape tracking), its token regex would find `${TfToken[` inside
 * `$${TfToken[`, and a '$' just before an interpolation would turn it into the `$${` escape.
 * `beforeToken`: the text is followed by a token, so a trailing run of '$' is written that way too.
 */
function literalBesideTokens(s: string, beforeToken: boolean): string {
  const dollars = (run: string) => `\${${JSON.stringify(run)}}`;
  let out = s.replace(/\$+(?=\{)/g, dollars).replace(/%\{/g, () => '%%{');
  if (beforeToken) out = out.replace(/\$+$/, dollars);
  return out;
}

/**
 * A string with cdktf token markers in it, its literal text escaped for Terraform and the markers
 * of registered tokens kept for cdktf to resolve.
 */
export function escapeLiteralText(s: string): string {
  if (!s.includes('{')) return s;
  const markers = [...s.matchAll(STRING_TOKEN)].filter((m) => isRegisteredToken(m[0]));
  if (markers.length === 0) {
    // no tokens: cdktf passes the string through untouched, unless it would see a marker in it
    return s.includes('TfToken[') ? literalBesideTokens(s, false) : terraformLiteral(s);
  }
  let out = '';
  let last = 0;
  for (const m of markers) {
    out += literalBesideTokens(s.slice(last, m.index), true) + m[0];
    last = m.index! + m[0].length;
  }
  return out + literalBesideTokens(s.slice(last), false);
}

/** Every string and map key in a (not yet resolved) Terraform JSON fragment, as data. */
export function asTerraformData(value: unknown): unknown {
  if (typeof value === 'string') return escapeLiteralText(value);
  if (Array.isArray(value)) return value.map(asTerraformData);
  if (value === null || typeof value !== 'object' || Token.isUnresolved(value) || !isPlain(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[escapeLiteralText(k)] = asTerraformData(v);
  return out;
}

/** A plain object of any realm: its prototype is an Object.prototype, or null. */
const isPlain = (v: object) => {
  const proto = Object.getPrototypeOf(v);
  return proto === null || (Object.getPrototypeOf(proto) === null && proto.constructor?.name === 'Object');
};

/**
 * A Terraform expression the library writes itself (e.g. `file("…")`), as a token: the aspect
 * leaves it as written. Any user text inside it must already be escaped by the caller.
 */
export function terraformExpression(expression: string): string {
  const resolvable: IResolvable = {
    creationStack: [],
    resolve: () => `\${${expression}}`,
    toString: () => Token.asString(resolvable),
  };
  return Token.asString(resolvable);
}

/** A string literal inside a Terraform expression: quoted and escaped, template sequences included. */
export function terraformStringLiteral(s: string): string {
  return terraformLiteral(JSON.stringify(s));
}

const wrapped = new WeakSet<TerraformElement>();

/**
 * Escapes the literal text of every element of a stack at synth (see the file comment). Added by
 * {@link StableAddressStack} to itself; add it to your own stacks when you use the constructs
 * elsewhere: `Aspects.of(stack).add(new TerraformDataAspect())`.
 */
export class TerraformDataAspect implements IAspect {
  /** Wraps a Terraform element's `toTerraform()` (once) so its literal text is escaped. */
  visit(node: IConstruct): void {
    if (!TerraformElement.isTerraformElement(node) || node instanceof TerraformBackend || wrapped.has(node)) return;
    wrapped.add(node);
    const element = node as TerraformElement & { toTerraform(): unknown };
    const toTerraform = element.toTerraform.bind(element);
    element.toTerraform = () => asTerraformData(toTerraform()) as ReturnType<typeof toTerraform>;
  }
}
