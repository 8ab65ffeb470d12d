/**
 * The scaffold's refusals. Every refusal names the flag or field the user can change, and says
 * which kind it is, so the command line maps it to an exit code:
 * - `usage` (exit 2): the request itself is refused before any spec is built: a missing or bad
 *   flag, a name that breaks the spec's rules or is taken, an unknown environment, an
 *   environment file that cannot be read or edited;
 * - `invalid` (exit 1): the edited environment would not synthesize (validation or an error of
 *   the policy pack), as `npm run synth` exits 1 for the same problems.
 * In both cases nothing is written.
 */
export type RefusalKind = 'usage' | 'invalid';

export class ScaffoldError extends Error {
  constructor(
    /** The flag (`--env`), argument (`<name>`) or spec field the user should look at. */
    readonly field: string,
    message: string,
    readonly kind: RefusalKind = 'usage',
    /** Further lines (every problem of a validation, one per line). */
    readonly details: readonly string[] = [],
    /** The usage block, printed after a usage mistake. @default - none */
    readonly usage?: string,
  ) {
    super(message);
  }
}

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;
