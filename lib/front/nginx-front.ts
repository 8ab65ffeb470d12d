/**
 * NginxFront: the one address every caller keeps. Its own scale set of nginx VMs behind its own
 * internal load balancer with a static frontend IP, so no client ever needs a DNS or VIP change;
 * and a private storage account holding the blobs the VMs' agent pulls: the nginx config
 * (structure) and the routing table (traffic), each content-addressed, and the pointer naming them.
 *
 * A swap or a ramp step changes only the routing table: no scale-set model change, so no reimage
 * and no rolling upgrade (in azurerm, a change to custom data or extensions updates every
 * instance). The VMs apply the table at run time without a reload. Each table (and config) is a
 * new content-addressed blob created before the previous one is deleted, and a pointer blob whose
 * metadata (updated in place) names the current pair: at no moment of an apply, nor after any
 * failed step, is there no table to read (`agent.ts`). The front itself (nginx, its image, the
 * agent) upgrades by rolling with surge behind its load balancer, gated by the health extension
 * (type handler 2.0) on `/health`, which is Unhealthy only when a VM has no routing table.
 */
import { firewallIpRules } from '../spec/cidr';
import { RoleAssignment, StorageAccount, StorageBlob, StorageContainer, UserAssignedIdentity } from '../runtime/azurerm';
import { Construct } from 'constructs';
import { GRANT_WAIT, waitForGrant } from '../core/grant-wait';
import { stringify } from 'yaml';
import { Autoscale, type CpuRules } from '../autoscale/autoscale';
import { planProfiles } from '../autoscale/plan';
import { FRONT_IMAGE, ScaleSet, type ImageReference, type ScaleSetExtension } from '../compute/scale-set';
import type { FixedSettings } from '../compute/fixed-settings';
import { InternalLoadBalancer } from '../lb/internal-load-balancer';
import { FRONT_BLOBS, frontBlobName, frontCloudInitDocument } from './agent';
import { keyVaultUrl } from '../vault/vm-extension';
import { FRONT_DEFAULTS, FRONT_HEALTH_PATHS } from './nginx-conf';

/** The storage container holding the front's blobs. */
export const FRONT_CONTAINER = 'front';
export { FRONT_BLOBS, frontBlobName };

/** What the pointer blob holds (its metadata is what counts). */
export const POINTER_CONTENT = 'The front agent reads the metadata of this blob: x-ms-meta-config and x-ms-meta-table name the current config and routing table.\n';

/** Props of {@link NginxFront}. */
export interface NginxFrontProps {
  /** More VM extensions on the front's scale set (the Azure Monitor Agent, say). @default - none */
  readonly extensions?: readonly ScaleSetExtension[];
  /** Base of the resource names: scale set, load balancer, identity, autoscale. */
  readonly name: string;
  /** The resource group it is created in. */
  readonly resourceGroupName: string;
  /** The Azure region, e.g. 'westeurope'. */
  readonly location: string;
  /** The front VMs' subnet (it needs the Microsoft.Storage service endpoint). */
  readonly subnetId: string;
  /** The subnet of load-balancer frontends. */
  readonly frontendSubnetId: string;
  /** The static address callers keep, in `frontendSubnetId`. */
  readonly frontendIp: string;
  /** The ports the front serves on (and its load balancer forwards). */
  readonly ports: {
    /** Plain HTTP. */
    readonly http: number;
    /** HTTPS, with `tls`. @default - none */
    readonly https?: number;
  };
  /** The front VMs' size, e.g. 'Standard_D2s_v5'. */
  readonly vmSize: string;
  /** Instance counts of the front's scale set. */
  readonly capacity: {
    /** Fewest instances (autoscale). */
    readonly min: number;
    /** Instances at creation. */
    readonly default: number;
    /** Most instances (autoscale). */
    readonly max: number;
  };
  /** Rolling upgrades of the front's scale set. */
  readonly upgrade: {
    /** Percent of the instances upgraded per batch. */
    readonly maxBatchPercent: number;
    /** New instances of a batch start before old ones stop. */
    readonly maxSurge: boolean;
  };
  /** The CPU rules of its autoscale. */
  readonly cpu: CpuRules;
  /** @default - none (two fault domains) */
  readonly zones?: readonly string[];
  /** @default FRONT_IMAGE: Ubuntu 24.04 LTS, Gen2 (nginx and its Lua module from the distribution; 22.04's archive has no Lua module) */
  readonly image?: ImageReference;
  /** The front scale set's recorded creation-time settings (the lock file). @default - today's defaults */
  readonly fixedSettings?: FixedSettings;
  /** The VMs' admin user (SSH keys only). */
  readonly adminUsername: string;
  /** OpenSSH public keys of the admin user. */
  readonly sshPublicKeys: readonly string[];
  /** The rendered nginx.conf (`renderNginxConf`). */
  readonly nginxConf: string;
  /** The routing table JSON (`routingTableJson`). */
  readonly routingTable: string;
  /** Globally unique storage account name for the front's blobs. */
  readonly storeName: string;
  /** The identity that runs Terraform: it writes the blobs (Storage Blob Data Contributor). */
  readonly deployer: {
    /** Its object ID. */
    readonly principalId: string;
    /** What kind of principal it is. */
    readonly principalType: 'ServicePrincipal' | 'User' | 'Group';
    /** Public ranges it writes from, admitted by the store's firewall. */
    readonly ipRanges: readonly string[];
  };
  /** Seconds between two checks of the blobs by each VM. @default 5 */
  readonly pollSeconds?: number;
  /**
   * The VMs' user-assigned identity, created and granted (Key Vault Secrets User on the TLS
   * certificate) in a stack applied earlier. @default - one created here, with its resource ID
   * given by `identityResourceId`
   */
  readonly identity?: {
    /** Its resource ID. */
    readonly id: string;
    /** Its principal (object) ID. */
    readonly principalId: string;
    /** Its client ID (kept for callers; the agent names the identity by its resource ID). */
    readonly clientId: string;
  };
  /** The resource ID of the identity created here (the agent's settings name it). Ignored with `identity`. */
  readonly identityResourceId?: string;
  /**
   * Serve HTTPS with this Key Vault certificate: the front agent reads the current version of its
   * secret with the VM's identity (IMDS token for Key Vault, Get Secret through the vault's private
   * endpoint) before nginx starts and every `pollingIntervalSeconds` after, and publishes it to
   * nginx's workers, so a renewal arrives by itself. No Key Vault VM extension: it does not list
   * the front's Ubuntu 24.04 (docs/vm-image.md). The certificate's content type should be PEM
   * (`application/x-pem-file`); a PKCS#12 secret is converted on the VM. The identity needs Key
   * Vault Secrets User on it. @default - HTTP only
   */
  readonly tls?: {
    /** The vault's name. */
    readonly vaultName: string;
    /** The certificate's name in the vault. */
    readonly certificate: string;
    /** Seconds between two checks for a renewal. @default 3600 */
    readonly pollingIntervalSeconds?: number;
  };
  /**
   * How long new or changed grants are waited for (Terraform durations): the deployer's before the
   * blobs are written, the VMs' read grant before the scale set is created.
   * @default - `GRANT_WAIT`: '5m' and '10m'
   */
  readonly grantWait?: {
    /** Before the blobs. @default '5m' */
    readonly deployerWrites?: string;
    /** Before the scale set. @default '10m' */
    readonly vmReads?: string;
  };
  /** @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The nginx front: its scale set behind its own internal load balancer with the static address
 * callers keep, and a private store with the blobs the VMs' agent applies, the nginx config
 * (structure) and the routing table (traffic, applied at run time with no reload).
 */
export class NginxFront extends Construct {
  /** The front VMs' scale set. */
  public readonly scaleSet: ScaleSet;
  /** The front's autoscale setting. */
  public readonly autoscale: Autoscale;
  /** The front's internal load balancer (its frontend is `frontendIp`). */
  public readonly loadBalancer: InternalLoadBalancer;
  /** The identity created here; undefined when one was given. */
  public readonly identity?: UserAssignedIdentity;
  /** The routing table's blob (`routing/<sha256>.json`): a swap makes a new one. */
  public readonly tableBlob: StorageBlob;
  /** The nginx config's blob (`config/<sha256>.conf`): a new one when services are added or removed. */
  public readonly confBlob: StorageBlob;
  /** The pointer blob (`current`): its metadata, updated in place, names the current config and table. */
  public readonly pointerBlob: StorageBlob;

  constructor(scope: Construct, id: string, props: NginxFrontProps) {
    super(scope, id);
    const { resourceGroupName, location, tags } = props;
    const zones = props.zones ?? [];
    this.identity = props.identity ? undefined : new UserAssignedIdentity(this, 'identity', { name: `id-${props.name}`, resourceGroupName, location, tags });
    const identity = props.identity ?? { id: this.identity!.id, principalId: this.identity!.principalId, clientId: this.identity!.clientId };
    const identityResourceId = props.identity?.id ?? props.identityResourceId;
    if (!identityResourceId) throw new Error('NginxFront: give identity, or identityResourceId for the identity it creates');

    // the store: private, Entra ID only (no shared keys), reachable from the front subnet and the deployer
    const store = new StorageAccount(this, 'store', {
      name: props.storeName,
      resourceGroupName,
      location,
      accountTier: 'Standard',
      accountReplicationType: zones.length > 0 ? 'ZRS' : 'LRS',
      accountKind: 'StorageV2',
      minTlsVersion: 'TLS1_2',
      httpsTrafficOnlyEnabled: true,
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      allowNestedItemsToBePublic: false,
      infrastructureEncryptionEnabled: true,
      networkRules: { defaultAction: 'Deny', bypass: ['None'], virtualNetworkSubnetIds: [props.subnetId], ipRules: firewallIpRules(props.deployer.ipRanges) },
      // every table ever served is kept: an audit trail of swaps, and a way back by hand
      blobProperties: { versioningEnabled: true, deleteRetentionPolicy: { days: 30 }, containerDeleteRetentionPolicy: { days: 30 } },
      tags,
      // that history is state no apply can re-create (ASE-STATE-001)
      lifecycle: { preventDestroy: true },
    });
    const storeId = store.id;
    // no management lock: a CanNotDelete lock here would block deleting the two grants below
    // (ScopeLocked), so changing the deployer or the front's identity would fail. The history is
    // kept by blob versioning and soft delete, the account by prevent_destroy.
    const writerGrant = new RoleAssignment(this, 'deployer-writes', {
      scope: storeId,
      roleDefinitionName: 'Storage Blob Data Contributor',
      principalId: props.deployer.principalId,
      principalType: props.deployer.principalType,
      description: 'Terraform writes the front config and routing table',
    });
    const container = new StorageContainer(this, 'container', { name: FRONT_CONTAINER, storageAccountId: storeId, containerAccessType: 'private', dependsOn: [writerGrant] });
    // the blobs are written once the deployer's grant has reached the blob data plane
    const writer = waitForGrant(writerGrant, props.grantWait?.deployerWrites ?? GRANT_WAIT.deployerWrites);
    const containerId = container.id;
    // at the container, which this stack creates: it cannot be granted a stack earlier, so the
    // scale set waits for it here (its scope does not exist before this apply on a first deploy)
    const readerGrant = new RoleAssignment(this, 'front-reads', {
      scope: containerId,
      roleDefinitionName: 'Storage Blob Data Reader',
      principalId: identity.principalId,
      principalType: 'ServicePrincipal',
      description: 'front VMs read their config and routing table',
    });
    const reader = waitForGrant(readerGrant, props.grantWait?.vmReads ?? GRANT_WAIT.vmReads);
    // content-addressed, never rewritten: in azurerm `source_content` (like `name`) forces a new
    // blob, so a new version gets a new name and is created before the old one is deleted
    const blob = (bid: string, name: string, content: string, contentType: string) =>
      new StorageBlob(this, bid, {
        name,
        storageAccountName: props.storeName,
        storageContainerName: FRONT_CONTAINER,
        type: 'Block',
        sourceContent: content,
        contentType,
        dependsOn: [container, writer],
        lifecycle: { createBeforeDestroy: true },
      });
    this.confBlob = blob('config', frontBlobName('config', props.nginxConf), props.nginxConf, 'text/plain');
    this.tableBlob = blob('routing-table', frontBlobName('table', props.routingTable), props.routingTable, 'application/json');
    // the pointer is never replaced: `metadata` is updated in place (Set Blob Metadata). It names
    // the blobs by reference, so Terraform updates it after their create and before the old
    // versions' delete (create_before_destroy deletes after the dependents are updated)
    this.pointerBlob = new StorageBlob(this, 'pointer', {
      name: FRONT_BLOBS.pointer,
      storageAccountName: props.storeName,
      storageContainerName: FRONT_CONTAINER,
      type: 'Block',
      sourceContent: POINTER_CONTENT,
      contentType: 'text/plain',
      metadata: { config: this.confBlob.name, table: this.tableBlob.name },
      dependsOn: [container, writer],
    });

    const lbPorts = [props.ports.http, ...(props.ports.https !== undefined ? [props.ports.https] : [])];
    this.loadBalancer = new InternalLoadBalancer(this, 'lb', {
      name: `lb-${props.name}`,
      resourceGroupName,
      location,
      frontendSubnetId: props.frontendSubnetId,
      frontends: [{ name: 'frontend', ip: props.frontendIp, ports: lbPorts, healthPath: FRONT_HEALTH_PATHS.loadBalancer, probePort: FRONT_DEFAULTS.statusPort }],
      zones,
      tags,
    });
    const cloudInit = `#cloud-config\n${stringify(
      frontCloudInitDocument({
        containerUrl: `https://${props.storeName}.blob.core.windows.net/${FRONT_CONTAINER}`,
        identityResourceId,
        pollSeconds: props.pollSeconds ?? 5,
        ports: lbPorts,
        ...(props.tls ? { tls: { vaultUrl: keyVaultUrl(props.tls.vaultName), secret: props.tls.certificate, pollSeconds: props.tls.pollingIntervalSeconds } } : {}),
      }),
      { lineWidth: 0 },
    )}`;
    this.scaleSet = new ScaleSet(this, 'scale-set', {
      name: `vmss-${props.name}`,
      resourceGroupName,
      location,
      subnetId: props.subnetId,
      vmSize: props.vmSize,
      initialInstances: props.capacity.default,
      maxInstances: props.capacity.max,
      zones,
      adminUsername: props.adminUsername,
      sshPublicKeys: props.sshPublicKeys,
      identityId: identity.id,
      cloudInit,
      // the router, the guard and the agents are most of it: gzipped whole, 20.7 KB where gzip per file made 48.6 KB of base64
      gzipCloudInit: true,
      loadBalancerBackendPoolIds: [this.loadBalancer.backendPoolId],
      // Ubuntu 24.04 (its archive has the Lua module), or what the lock records for this scale set
      image: props.image ?? (props.fixedSettings?.image ? undefined : FRONT_IMAGE),
      upgrade: props.upgrade,
      healthPath: FRONT_HEALTH_PATHS.extension,
      // nginx is held back from unattended upgrades (front/updates.ts): its patches come with new
      // images, rolled through the front in health-gated batches
      automaticOsUpgrade: true,
      // created once the VMs' read grant on the blobs is effective (granted in this apply)
      dependsOn: [reader],
      fixedSettings: props.fixedSettings,
      // no Key Vault extension: the agent reads the certificate itself (it is not supported on 24.04)
      extensions: props.extensions,
      tags,
    });
    this.autoscale = new Autoscale(this, 'autoscale', {
      name: `as-${props.name}`,
      resourceGroupName,
      location,
      targetResourceId: this.scaleSet.scaleSetId,
      profiles: planProfiles(props.capacity, []),
      cpu: props.cpu,
      tags,
    });
  }
}
