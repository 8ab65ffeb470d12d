/**
 * azure-slot-environments: CDK for Terraform constructs for Azure service environments, each
 * usable alone in any cdktf app, and the spec, plans and stacks that compose them from one typed
 * environment description.
 *
 * @packageDocumentation
 */

// constructs
export { ScaleSet, DEFAULT_IMAGE, type ScaleSetProps, type ImageReference, type ScaleSetExtension } from './compute/scale-set';
export { fixedSettings, type FixedSettings } from './compute/fixed-settings';
export { InternalLoadBalancer, FRONTEND_NAME, type InternalLoadBalancerProps, type LoadBalancerFrontend, type InstanceInputEndpoint } from './lb/internal-load-balancer';
export { Autoscale, type AutoscaleProps, type CpuRules, type MetricRules, type PredictiveAutoscale } from './autoscale/autoscale';
export { planProfiles, type PlannedProfile, type ScheduleIntent } from './autoscale/plan';
export { SlotPair, type SlotPairProps, type SlotProps, type SlotResources } from './slots/slot-pair';
export { NginxFront, FRONT_BLOBS, FRONT_CONTAINER, frontBlobName, type NginxFrontProps } from './front/nginx-front';
export { KeyVault, type KeyVaultProps } from './vault/key-vault';
export { KeyVaultCertificate, type KeyVaultCertificateProps } from './vault/certificate';
export { keyVaultExtension, type KeyVaultExtensionInput } from './vault/vm-extension';
export { ServiceNetwork, type ServiceNetworkProps } from './network/service-network';
export { PrivateLink, type PrivateLinkProps } from './network/private-endpoint';
export { planNetworkSecurity, type NsgRule, type SubnetSecurity } from './network/security-plan';
export { StableAddressStack, addressOf } from './core/stable-address-stack';
export { TerraformDataAspect, terraformLiteral, terraformExpression, terraformStringLiteral } from './core/terraform-data';
export { waitForGrant, timeProviderOf, GRANT_WAIT } from './core/grant-wait';
export { Sleep, TimeProvider, TIME_PROVIDER_VERSION, type SleepConfig, type TimeProviderConfig } from './runtime/time';

// what constructs take, rendered by pure functions
export { releaseUserData, renderCloudInit, type CloudInitInput, type ServiceBoot } from './compute/cloud-init';
export { renderNginxConf, type FrontConfigInput, type FrontServiceConfig, type FrontSlotBackend, type FrontPaths, type FrontRegionConfig, type FrontPeer } from './front/nginx-conf';
export { renderFrontConf } from './front/model';
export { guardEntry, regionEntry, routingTable, routingTableJson, type RoutingTable, type RouteEntry, type RouteGuard, type RouteRule, type RegionShares, type TableRegion } from './slots/traffic';

// the environment spec: types, validation, plans
export { defineEnvironment, SLOT_NAMES, type EnvironmentSpec, type ServiceSpec, type Environment, type Service, type SlotName } from './spec/schema';
export { validateEnvironment, type ValidationResult } from './spec/validate';
export { formatIssue, type SpecIssue, type IssueCode } from './spec/issues';
export { validateAll, formatProblems, type FileProblems, type EnvironmentFromFile } from './spec/environments';
export { environmentFiles, loadSpecFile, type LoadedSpec } from './spec/load';
export { linkRegions, planEnvironment, type EnvironmentPlan, type RegionLink, type RegionLinks } from './spec/plan';
export { planIps, type IpPlan, type PlannedSubnet, type ServiceIps } from './spec/ip-plan';
export { planPorts, type PortPlan, type ServicePorts } from './spec/port-plan';
export { type EnvironmentNames, type ComputeNames } from './spec/names';
export { type Placement } from './spec/placement';
export { environmentJsonSchema } from './spec/json-schema';

// one environment's stacks, composed from the above
export { buildEnvironment, type EnvironmentStacks } from './environment/build';
export { synthesize, type SynthOptions, type SynthResult } from './environment/synthesize';
export { EnvironmentStack, type EnvironmentStackOptions } from './environment/environment-stack';
export { NetworkStack } from './environment/network-stack';
export { VaultStack } from './environment/vault-stack';
export { IdentitiesStack } from './environment/identities-stack';
export { ComputeStack } from './environment/compute-stack';
export { FrontStack } from './environment/front-stack';
export { StateStack } from './environment/state-stack';
export { MonitorStack } from './environment/monitor-stack';
export { monitoringOf, type MonitoringPlan } from './monitor/monitoring';

// the policy pack over synthesized stacks
export { checkStacks, formatFinding, type Finding, type Suppression } from './policy/policy';
export { RULES, type PolicyRule, type RuleContext, type Json } from './policy/rules';
export { constructSuppressions, MIN_REASON_LENGTH, PolicyAspect, resourceKey, suppressPolicy, type PolicyAspectProps } from './policy/construct';
