/**
 * What azurerm 4.73.0 (CDK Terrain's bindings, @cdktn/provider-azurerm 16.1.0) can express that
 * the library's spec rules need to know (docs/runtimes.md): `StandardV2` NAT gateways and public
 * IPs, accepted from azurerm 4.67.0 (PR #31197; checked in the provider at tag v4.73.0,
 * nat_gateway_resource.go and public_ip_resource.go).
 */
import type { ProviderFeatures } from './features-4.55';

export type { ProviderFeatures };

export const PROVIDER_FEATURES: ProviderFeatures = {
  azurerm: '4.73.0',
  runtime: 'cdktn',
  natGatewaySkus: ['Standard', 'StandardV2'],
};
