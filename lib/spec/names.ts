/**
 * Azure resource names: the one place that builds them, and the rules Azure applies to each.
 * Validation renders every name a spec produces and checks it here, so a name that Azure would
 * refuse at apply time is refused at synth, at the field that produced it.
 */
import { createHash } from 'node:crypto';
import type { SlotName } from './schema';

export interface NameRule {
  /** What Azure calls the resource, for messages. */
  readonly resource: string;
  readonly min: number;
  readonly max: number;
  readonly pattern: RegExp;
  /** The character rule in words, for messages. */
  readonly rule: string;
}

const alnumEdges = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const alnumEdgesRule = 'letters, digits, _ . -; starts with a letter or digit, ends with a letter, digit or _';

/** Azure's naming rules for the resources this library emits (Azure's "naming rules and restrictions"). */
export const NAME_RULES = {
  resourceGroup: { resource: 'resource group', min: 1, max: 90, pattern: /^[-\w.()]*[-\w()]$/, rule: 'letters, digits, - _ . ( ); not ending in .' },
  virtualNetwork: { resource: 'virtual network', min: 2, max: 64, pattern: alnumEdges, rule: alnumEdgesRule },
  subnet: { resource: 'subnet', min: 1, max: 80, pattern: alnumEdges, rule: alnumEdgesRule },
  networkSecurityGroup: { resource: 'network security group', min: 1, max: 80, pattern: alnumEdges, rule: alnumEdgesRule },
  natGateway: { resource: 'NAT gateway', min: 1, max: 80, pattern: alnumEdges, rule: alnumEdgesRule },
  publicIp: { resource: 'public IP address', min: 1, max: 80, pattern: alnumEdges, rule: alnumEdgesRule },
  scaleSet: { resource: 'scale set', min: 1, max: 64, pattern: alnumEdges, rule: alnumEdgesRule },
  loadBalancer: { resource: 'load balancer', min: 1, max: 80, pattern: alnumEdges, rule: alnumEdgesRule },
  userAssignedIdentity: { resource: 'managed identity', min: 3, max: 128, pattern: /^[A-Za-z0-9][A-Za-z0-9_-]*$/, rule: 'letters, digits, - _; starts with a letter or digit' },
  keyVault: {
    resource: 'Key Vault',
    min: 3,
    max: 24,
    pattern: /^(?!.*--)[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$/,
    rule: 'letters, digits, single hyphens; starts with a letter, ends with a letter or digit',
  },
  stack: { resource: 'cdktf stack', min: 1, max: 100, pattern: /^[A-Za-z0-9_-]+$/, rule: 'letters, digits, - _' },
} as const satisfies Record<string, NameRule>;

export type NameKind = keyof typeof NAME_RULES;

/** Why `name` breaks `kind`'s rule, or undefined when Azure accepts it. */
export function nameProblem(kind: NameKind, name: string): string | undefined {
  const r: NameRule = NAME_RULES[kind];
  if (name.length < r.min || name.length > r.max) {
    return `makes the ${r.resource} name '${name}' ${name.length} character${name.length === 1 ? '' : 's'} long; Azure allows ${r.min}-${r.max}`;
  }
  if (!r.pattern.test(name)) return `makes the ${r.resource} name '${name}', which breaks Azure's rule (${r.rule})`;
  return undefined;
}

/** The parts a resource group name template may name. */
export const RESOURCE_GROUP_TOKENS = ['{env}', '{part}'] as const;

export function resourceGroupName(template: string, env: string, part: string): string {
  return template.replaceAll('{env}', env).replaceAll('{part}', part);
}

/** Parts of the environment that get their own resource group and stack. */
/** The domain of the front's default host names, '<service>.<domain>'. */
export const defaultDomain = (env: string, front: { readonly domain?: string }): string => front.domain ?? `${env}.internal`;

/** The host names the front serves a service on: its `route.hosts`, else `<service>.<domain>`; none when it is served by path prefix. */
export const serviceHosts = (svc: { readonly name: string; readonly route: { readonly hosts?: readonly string[]; readonly pathPrefix?: string } }, domain: string): readonly string[] =>
  svc.route.pathPrefix ? [] : (svc.route.hosts ?? [`${svc.name}.${domain}`]);

export const PLATFORM_PARTS = { network: 'network', front: 'front', state: 'state', vault: 'vault', identities: 'identities', monitor: 'monitor' } as const;

/** Stable six-hex suffix for globally unique names, from the subscription and environment. */
export function globalSuffix(subscriptionId: string, env: string): string {
  return createHash('sha256').update(`${subscriptionId.toLowerCase()}/${env}`).digest('hex').slice(0, 6);
}

/** Names of an environment's shared resources. */
export interface EnvironmentNames {
  /** A part's resource group, from the spec's template ('rg-{env}-{part}'). */
  readonly resourceGroup: (part: string) => string;
  /** The VNet: `vnet-<env>`. */
  readonly virtualNetwork: string;
  /** The NAT gateway: `ng-<env>`. */
  readonly natGateway: string;
  /** The NAT gateway's public IP: `pip-<env>-nat`. */
  readonly natPublicIp: string;
  /** The Key Vault: `kv-<env>-<suffix>`, the suffix from the subscription (globally unique). */
  readonly keyVault: string;
  /** Storage account of the front's config and routing table (3-24 lower-case letters and digits, globally unique). */
  readonly frontStore: string;
  /** A part's stack: `<env>-<part>`. */
  readonly stack: (part: string) => string;
  /** The front VMs' subnet. */
  readonly frontSubnet: string;
  /** The load-balancer frontends' subnet. */
  readonly loadBalancerSubnet: string;
  /** The private endpoints' subnet. */
  readonly endpointSubnet: string;
  /** A part's NSG: `nsg-<env>-<part>`. */
  readonly nsg: (part: string) => string;
  /** The Log Analytics workspace the monitor stack creates: `log-<env>`. */
  readonly workspace: string;
  /** The data collection rules: `dcr-<env>-<kind>` (kind `vms` or `front`). */
  readonly dataCollectionRule: (kind: 'vms' | 'front') => string;
  /** The alerts' action group: `ag-<env>`. */
  readonly actionGroup: string;
  /** The identity the vCPU quota alert reads Azure Resource Graph as: `id-<env>-quota-reader`. */
  readonly quotaReaderIdentity: string;
}

export function environmentNames(env: { name: string; subscriptionId: string; resourceGroupName: string }): EnvironmentNames {
  const e = env.name;
  return {
    resourceGroup: (part) => resourceGroupName(env.resourceGroupName, e, part),
    virtualNetwork: `vnet-${e}`,
    natGateway: `ng-${e}`,
    natPublicIp: `pip-${e}-nat`,
    keyVault: `kv-${e}-${globalSuffix(env.subscriptionId, e)}`,
    frontStore: `st${e.replace(/-/g, '')}fr${globalSuffix(env.subscriptionId, e)}`,
    stack: (part) => `${e}-${part}`,
    frontSubnet: 'snet-front',
    loadBalancerSubnet: 'snet-lb-frontends',
    endpointSubnet: 'snet-endpoints',
    nsg: (part) => `nsg-${e}-${part}`,
    workspace: `log-${e}`,
    dataCollectionRule: (kind) => `dcr-${e}-${kind}`,
    actionGroup: `ag-${e}`,
    quotaReaderIdentity: `id-${e}-quota-reader`,
  };
}

/** Names of the resources of a set of VMs (a service's own, or a pool's). */
export interface ComputeNames {
  /** Its resource group. */
  readonly resourceGroup: string;
  /** Its stack. */
  readonly stack: string;
  /** Its subnet. */
  readonly subnet: string;
  /** Its subnet's NSG. */
  readonly nsg: string;
  /** Each slot's scale set. */
  readonly scaleSet: Readonly<Record<SlotName, string>>;
  /** Each slot's internal load balancer. */
  readonly loadBalancer: Readonly<Record<SlotName, string>>;
  /** Each slot's user-assigned identity. */
  readonly identity: Readonly<Record<SlotName, string>>;
  /** Each slot's autoscale setting. */
  readonly autoscale: Readonly<Record<SlotName, string>>;
  /** Host name prefix of a slot's VMs. */
  readonly computerNamePrefix: Readonly<Record<SlotName, string>>;
}

const perSlot = (f: (slot: SlotName) => string): Record<SlotName, string> => ({ blue: f('blue'), green: f('green') });

/** Service parts of stack and group names are prefixed so a service can never take a platform part's name. */
export const servicePart = (service: string) => `svc-${service}`;

export function serviceNames(env: { name: string; resourceGroupName: string }, service: string): ComputeNames {
  return computeNames(env, servicePart(service), service);
}

/** Names of a set of VMs: `part` is 'svc-<service>' or 'pool-<pool>', `label` what hosts are called. */
export function computeNames(env: { name: string; resourceGroupName: string }, part: string, label: string): ComputeNames {
  const e = env.name;
  return {
    resourceGroup: resourceGroupName(env.resourceGroupName, e, part),
    stack: `${e}-${part}`,
    subnet: `snet-${part}`,
    nsg: `nsg-${e}-${part}`,
    scaleSet: perSlot((slot) => `vmss-${e}-${label}-${slot}`),
    loadBalancer: perSlot((slot) => `lbi-${e}-${label}-${slot}`),
    identity: perSlot((slot) => `id-${e}-${label}-${slot}`),
    autoscale: perSlot((slot) => `as-${e}-${label}-${slot}`),
    computerNamePrefix: perSlot((slot) => `${label}-${slot}`),
  };
}
