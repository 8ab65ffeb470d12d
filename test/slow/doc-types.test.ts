/**
 * test/package/readme-examples.test.ts with its type-check of every TypeScript block in the docs
 * (about 8 s of CPU: it type-checks the whole library), in CI's slow step.
 */
process.env.ASE_DOCS_TYPECHECK = '1';
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../package/readme-examples.test');
