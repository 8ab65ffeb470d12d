/**
 * What azurerm 4.55.0 (cdktf's bindings, @cdktf/provider-azurerm 14.23.1) can express that the
 * library's spec rules need to know (docs/runtimes.md). The CDK Terrain build
 * (scripts/build-cdktn.js) reads `features-4.73.ts` instead, through `provider.ts`.
 */
export const PROVIDER_FEATURES: ProviderFeatures = {
  azurerm: '4.55.0',
  runtime: 'cdktf',
  natGatewaySkus: ['Standard'],
};

/** What one azurerm provider version accepts, where the library offers a choice. */
export interface ProviderFeatures {
  /** The azurerm version the bindings are generated for. */
  readonly azurerm: string;
  /** The CDK runtime those bindings are for. */
  readonly runtime: 'cdktf' | 'cdktn';
  /** `azurerm_nat_gateway.sku_name` (and the matching `azurerm_public_ip.sku`) values. */
  readonly natGatewaySkus: readonly string[];
}
