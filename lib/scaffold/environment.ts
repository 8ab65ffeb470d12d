/**
 * A new environment file (pure): the fields the spec requires, from flags, with safe defaults
 * where a value is not the user's to know in advance, every line commented, and no services
 * (a service needs a release only its owner can name; `new service` adds one).
 */
import { defaultDomain } from '../spec/names';
import { DEFAULT_TS_STYLE, inline } from './render';

/** Used when --region is not given: a large region with availability zones. */
export const DEFAULT_REGION = 'westeurope';
/** Used when --address-space is not given: 256 /24 blocks, private (RFC 1918). */
export const DEFAULT_ADDRESS_SPACE = '10.0.0.0/16';
/** The front's certificate in the vault, when the environment serves HTTPS. */
export const FRONT_CERTIFICATE = 'front-tls';

export interface EnvironmentOptions {
  readonly name: string;
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly region: string;
  readonly addressSpace: string;
  readonly sshPublicKeys: readonly string[];
  readonly deployerPrincipalId: string;
  readonly deployerIpRanges: readonly string[];
  /** Tags on every resource; their keys become required tags. @default - none */
  readonly tags: Readonly<Record<string, string>>;
  /** Resource ID of the storage account holding releases. @default - none */
  readonly artifactStore?: string;
  /** A Key Vault with a self-signed certificate, and the front on HTTPS. */
  readonly tls: boolean;
  /** The module `defineEnvironment` is imported from. */
  readonly importFrom: string;
}

/** The spec the file declares (what the scaffold validates before writing the file). */
export function environmentSpec(o: EnvironmentOptions): Record<string, unknown> {
  const domain = defaultDomain(o.name, {});
  return {
    name: o.name,
    subscriptionId: o.subscriptionId,
    tenantId: o.tenantId,
    region: o.region,
    ...(Object.keys(o.tags).length > 0 ? { tags: { ...o.tags }, requiredTags: Object.keys(o.tags) } : {}),
    network: { addressSpace: o.addressSpace },
    admin: { sshPublicKeys: [...o.sshPublicKeys] },
    deployer: { principalId: o.deployerPrincipalId, ipRanges: [...o.deployerIpRanges] },
    ...(o.tls
      ? {
          keyVault: { certificates: [{ name: FRONT_CERTIFICATE, subject: `CN=${domain}`, dnsNames: [domain, `*.${domain}`] }] },
          front: { tlsCertificate: FRONT_CERTIFICATE },
        }
      : {}),
    ...(o.artifactStore ? { artifactStore: { storageAccountId: o.artifactStore } } : {}),
    services: [],
  };
}

/** The file's text: the same values as `environmentSpec`, with comments. */
export function renderEnvironmentFile(o: EnvironmentOptions): string {
  const spec = environmentSpec(o) as Record<string, Record<string, unknown>>;
  const v = (value: unknown) => inline(value, DEFAULT_TS_STYLE);
  const lines = [
    '/**',
    ` * The ${o.name} environment (written by \`ase new environment\`; edit freely). Every field is`,
    ' * documented where it is declared, in lib/spec/schema.ts; `npm run synth` validates the file and',
    ' * reports every problem at once. Add a service, in two slots behind the front:',
    ` *   ase new service <name> --env ${o.name} --version <release> --sha256 <digest of the release>`,
    ' */',
    `import { defineEnvironment } from ${v(o.importFrom)};`,
    '',
    'export default defineEnvironment({',
    `  name: ${v(o.name)},`,
    '  // the subscription and Entra ID tenant the environment deploys to',
    `  subscriptionId: ${v(o.subscriptionId)},`,
    `  tenantId: ${v(o.tenantId)},`,
    `  region: ${v(o.region)},`,
    ...(spec.tags
      ? ['  // tags on every resource; the policy pack fails the synth when a required one is missing', `  tags: ${v(spec.tags)},`, `  requiredTags: ${v(spec.requiredTags)},`]
      : [
          '  // tags on every resource, and the ones the policy pack requires on each',
          "  // tags: { owner: 'platform-team' },",
          "  // requiredTags: ['owner'],",
        ]),
    '  network: {',
    '    // the VNet\'s private range, cut into /24 blocks: blocks 0-2 are the platform\'s (front,',
    '    // load-balancer frontends, private endpoints) and service block N is block N + 2. Choose it',
    '    // once (moving it replaces every subnet), apart from any network you will peer with.',
    `    addressSpace: ${v(o.addressSpace)},`,
    "    // peered networks, for services whose endpoints admit 'peers'",
    "    // peerRanges: ['10.50.0.0/16'],",
    '    // where management endpoints (e.g. SSH) may be reached from: a bastion or an admin VPN',
    "    // adminRanges: ['10.99.0.0/24'],",
    '  },',
    '  // the VMs\' admin account: SSH keys only, never a password',
    `  admin: { sshPublicKeys: ${v(spec.admin.sshPublicKeys)} },`,
    '  // the identity that runs Terraform, and the public ranges its runners connect from (the',
    '  // firewalls of the front\'s store and the Key Vault admit them)',
    `  deployer: ${v(spec.deployer)},`,
    '  // vCPU quota per VM family in the region, as `az vm list-usage` names it: the synth checks that',
    '  // both slots of every service at max, plus an upgrade surge, and the front fit',
    '  // quotas: { standardDSv5Family: 100 },',
    ...(spec.keyVault
      ? [
          '  keyVault: {',
          '    // the front\'s TLS certificate: self-signed, renewed by Key Vault 30 days before expiry',
          `    certificates: ${v(spec.keyVault.certificates)},`,
          '  },',
          '  // callers reach every service through the front\'s one address, over HTTPS',
          `  front: ${v(spec.front)},`,
        ]
      : ['  // the front serves HTTP only: give it a Key Vault certificate (front.tlsCertificate) for HTTPS']),
    ...(spec.artifactStore
      ? ['  // the storage account holding release artifacts; each slot\'s identity may read it, nothing else', `  artifactStore: ${v(spec.artifactStore)},`]
      : [
          '  // the storage account holding release artifacts (each slot\'s identity may read it), needed',
          '  // before a service names an artifact',
          "  // artifactStore: { storageAccountId: '/subscriptions/…/resourceGroups/…/providers/Microsoft.Storage/storageAccounts/…' },",
        ]),
    '  // each service runs in two slots (blue, green) behind the front: add one with `ase new service`',
    '  services: [],',
    '});',
    '',
  ];
  return lines.join('\n');
}
