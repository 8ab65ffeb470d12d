/**
 * The import seam's light half (docs/runtimes.md): the runtime's token modules only, about ten
 * modules and none of the app, stack or resource machinery, so validation stays fast where the
 * runtime is not otherwise loaded (the `ase` scaffold commands).
 */
export { TokenString } from 'cdktf/lib/tokens/private/encoding';
export { Token } from 'cdktf/lib/tokens/token';
