/**
 * The import seam (docs/runtimes.md): the one place the library imports the CDK runtime from.
 * Every other file imports `../runtime/cdk` (this), `../runtime/cdk-tokens`, `../runtime/azurerm`
 * or `../runtime/time`, never `cdktf` or a provider package itself (test/core/runtime-seam.test.ts
 * holds it to that). The CDK Terrain build (scripts/build-runtimes.js) compiles the same sources
 * with these four files' module names rewritten to `cdktn` and `@cdktn/provider-azurerm`.
 */
export { Annotations, App, Aspects, AzurermBackend, DefaultTokenResolver, LocalBackend, StringConcat, hashMapper, stringToTerraform, TerraformBackend, TerraformElement, TerraformOutput, TerraformProvider, TerraformResource, TerraformStack, TerraformVariable, Token, Tokenization } from 'cdktf';
export type { IAspect, IResolvable, ITerraformDependable, TerraformResourceLifecycle } from 'cdktf';
