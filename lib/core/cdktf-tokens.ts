/**
 * What cdktf reads as one of its tokens, asked of cdktf itself (not a copy of its encoding), for
 * the spec's raw-input walk: a spec value cdktf would take for a token would become another
 * resource's value, or crash the synth.
 *
 * Deep imports of cdktf's token modules only (`cdktf/lib/tokens/…`): about ten modules, none of
 * the app, stack or resource machinery, so validation stays fast where cdktf is not otherwise
 * loaded (the `ase` scaffold commands).
 */
import { Token, TokenString } from '../runtime/cdk-tokens';

/**
 * Whether cdktf reads a number as one of its tokens when it resolves a resource's attributes:
 * a number token (`Token.isUnresolved`), an element of a number-list token (a one-element list
 * of it is unresolved), or the number-map marker `Token.NUMBER_MAP_TOKEN_VALUE` (-123456789), on
 * which cdktf's resolve throws "encoded map token in a scalar number context".
 */
export function cdktfReadsNumberAsToken(x: number): boolean {
  return Token.isUnresolved(x) || Token.isUnresolved([x]) || x === Token.NUMBER_MAP_TOKEN_VALUE;
}

/**
 * The first run of characters in a string that cdktf's resolve scans as a number (its
 * `TokenString.forNumbers` pattern, for concatenated number tokens) and that is a number cdktf
 * reads as a token, or undefined. cdktf resolves only number tokens there; an element of a
 * number-list token is refused too, as no spec string has a use for one.
 */
export function numberTokenInString(s: string): string | undefined {
  // every match of cdktf's number pattern holds an 'e' (an exponent): most strings have none
  if (!s.includes('e')) return undefined;
  const scan = TokenString.forNumbers(s);
  if (!scan.test()) return undefined;
  let found: string | undefined;
  scan.split((id) => {
    if (found === undefined && cdktfReadsNumberAsToken(parseFloat(id))) found = id;
    return undefined; // read only: every match stays literal here
  });
  return found;
}
