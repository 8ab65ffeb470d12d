/**
 * What the library knows of the azurerm provider version its bindings are for (docs/runtimes.md):
 * the review's table of arguments whose change replaces a resource, generated from that version's
 * docs. cdktf's bindings (@cdktf/provider-azurerm
 * 14.23.1) are azurerm 4.55.0; CDK Terrain's (@cdktn/provider-azurerm 16.1.0) are 4.73.0, and the
 * cdktn build (scripts/build-cdktn.js) rewrites this file to that version's table; and what that
 * version accepts where the spec offers a choice (`features-4.55.ts`, `features-4.73.ts`).
 */
export { CANNOT_UPDATE, FORCE_NEW, FORCE_NEW_CONDITIONS } from '../review/force-new';
export { PROVIDER_FEATURES, type ProviderFeatures } from './features-4.55';
