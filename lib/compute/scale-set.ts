/**
 * ScaleSet: a Linux VM scale set, Uniform or Flexible orchestration, with every default chosen for
 * safety:
 * zones with best-effort zone balance where the region has them (else two platform fault domains), rolling
 * upgrades gated by the ApplicationHealthLinux extension written inside the scale set (it probes
 * the VM health endpoint, which covers every planned port), maximum surge with overprovisioning
 * off, automatic instance repair, encryption at host, trusted launch, SSH keys only, a
 * user-assigned identity, managed boot diagnostics, no public IP, and the instance count left to
 * autoscale after creation (`ignore_changes = [instances]`).
 *
 * `rolling_upgrade_policy`, `upgrade_mode`, `zone_balance` and `platform_fault_domain_count`
 * force replacement in azurerm 4.x: they are fixed here, not spec fields.
 *
 * Orchestration: 'Uniform' (default) runs identical instances from one model; mature rolling
 * upgrades, placement groups past 100 instances, trusted launch settable here. 'Flexible' makes
 * each VM a standalone resource (mix sizes later, attach and detach VMs, Azure's direction for new
 * scale sets); it has no LB health probe option, so the health extension (used for both here) is
 * what gates upgrades and repair, and its fault-domain count is required: 1 when zonal.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { DataAzurermPlatformImage, LinuxVirtualMachineScaleSet, OrchestratedVirtualMachineScaleSet } from '../runtime/azurerm';
import type { ITerraformDependable } from '../runtime/cdk';
import { BuiltinData } from '../core/builtin-data';
import { Construct } from 'constructs';
import { VM_HEALTH_PORT } from '../spec/constants';
import { fixedSettings, osDiskType, type FixedSettings } from './fixed-settings';
import { instancesWithSurge } from '../spec/ip-plan';
import { imageKeyOf, UBUNTU_2204, UBUNTU_2404 } from './image-packages';

/** The VMs' image: a marketplace image or a gallery image version (give one). */
export interface ImageReference {
  /** A marketplace image. @default - none: `galleryImageVersionId` */
  readonly marketplace?: {
    /** e.g. 'Canonical' */
    readonly publisher: string;
    /** e.g. '0001-com-ubuntu-server-jammy' */
    readonly offer: string;
    /** e.g. '22_04-lts-gen2' */
    readonly sku: string;
    /** A version, or 'latest'. */
    readonly version: string;
  };
  /** A shared image gallery image version, by resource ID. @default - none: `marketplace` */
  readonly galleryImageVersionId?: string;
}

/** A VM extension inside a scale set (Azure runs it on every instance). */
export interface ScaleSetExtension {
  /** The extension's name in the scale set, unique there. */
  readonly name: string;
  /** e.g. 'Microsoft.Azure.KeyVault' */
  readonly publisher: string;
  /** e.g. 'KeyVaultForLinux' */
  readonly type: string;
  /** e.g. '2.0'; minor versions upgrade automatically. */
  readonly typeHandlerVersion: string;
  /** The public settings, as JSON text. @default - none */
  readonly settings?: string;
  /**
   * Azure upgrades the extension itself when its publisher releases a version (automatic extension
   * upgrade; Uniform scale sets: azurerm's orchestrated extension block has no such field). @default false
   */
  readonly automaticUpgradeEnabled?: boolean;
}

/**
 * The service VMs' image: Ubuntu 22.04 LTS, generation 2 (trusted launch). Their custom data
 * installs no packages, and the Key Vault VM extension (service certificates) lists 22.04 among
 * its supported distributions but not 24.04 (docs/vm-image.md).
 */
export const DEFAULT_IMAGE: ImageReference = {
  marketplace: { ...UBUNTU_2204.image, version: 'latest' },
};

/**
 * The front VMs' image: Ubuntu 24.04 LTS, generation 2 ('server' is the Gen2 SKU; 'server-gen1'
 * the Gen1 one). 22.04's archive has no `libnginx-mod-http-lua` (Launchpad bug 2035387), and an
 * apt line naming a missing package installs nothing, nginx included; 24.04's has every package
 * the front's custom data installs (`image-packages.ts`, docs/vm-image.md).
 */
export const FRONT_IMAGE: ImageReference = {
  marketplace: { ...UBUNTU_2404.image, version: 'latest' },
};

/** How the lock names an image: what azurerm cannot change in place (publisher and offer), and the SKU. */
export const imageLockKey = (image: ImageReference): string => (image.marketplace ? imageKeyOf(image.marketplace) : 'gallery');

/** The image a lock key names (a marketplace key; a gallery key names no image by itself). */
export function imageFromLockKey(key: string): ImageReference | undefined {
  const [publisher, offer, sku, ...rest] = key.split(':');
  return publisher && offer && sku && rest.length === 0 ? { marketplace: { publisher, offer, sku, version: 'latest' } } : undefined;
}

/**
 * Whether an image is resolved to one version when its scale set is created (a marketplace image
 * at 'latest'): Azure resolves 'latest' anew for every VM it creates, so a scale-out or a repair
 * would boot a newer OS than its siblings (docs/patching.md).
 */
export const isResolvedAtCreation = (image: ImageReference): boolean => image.marketplace !== undefined && image.marketplace.version.toLowerCase() === 'latest';

/** Props of {@link ScaleSet}. */
export interface ScaleSetProps {
  /** The scale set's name. */
  readonly name: string;
  /** Host names are this plus a suffix (Linux: at most 58 characters). @default - the name */
  readonly computerNamePrefix?: string;
  /** The resource group it is created in. */
  readonly resourceGroupName: string;
  /** The Azure region, e.g. 'westeurope'. */
  readonly location: string;
  /** The subnet the VMs' NICs join (the service's planned subnet). */
  readonly subnetId: string;
  /** The VM size, e.g. 'Standard_D4s_v5'. The OS disk is Premium SSD where the size supports it. */
  readonly vmSize: string;
  /** Instances at creation; autoscale owns the count afterwards (`ignore_changes = [instances]`). */
  readonly initialInstances: number;
  /** Zones to spread over (best-effort balance: strict balance would refuse scale-out while a zone is down). @default - none: two platform fault domains */
  readonly zones?: readonly string[];
  /** The VMs' admin user (SSH keys only: password login is disabled). */
  readonly adminUsername: string;
  /** OpenSSH public keys of the admin user. */
  readonly sshPublicKeys: readonly string[];
  /** The resource ID of the user-assigned identity the VMs use (Key Vault, artifacts). */
  readonly identityId: string;
  /**
   * The cloud-init document, as text (it is base64-encoded here), as custom data: Azure applies a
   * change to it only when an instance is reimaged, so keep in it only what no release changes.
   */
  readonly cloudInit: string;
  /**
   * Gzip the document before base64. Azure caps custom data at 65,535 bytes once decoded, and
   * cloud-init decompresses gzip user data from any source before reading it (`convert_string` in
   * cloudinit/user_data.py, unchanged since 22.4 at least), so one gzip over the whole document
   * replaces gzip per file and compresses across files. The review decodes it (review/values.ts).
   * @default false
   */
  readonly gzipCloudInit?: boolean;
  /**
   * The user data, as text (base64-encoded here): what changes per release. Unlike custom data it
   * reaches a running instance when the instance is updated to the latest model (a rolling
   * upgrade does that, without a reimage), and the VM reads it from IMDS. Not secret: any process
   * on the VM can read it. A `cloudInit` from `renderCloudInit` needs `releaseUserData(...)` of the
   * same input here: its release step waits (retrying) until the user data names each service's
   * release. @default - none
   */
  readonly userData?: string;
  /** Backend pools of the (one) internal load balancer the VMs join. @default - none */
  readonly loadBalancerBackendPoolIds?: readonly string[];
  /** Resources that must exist before the scale set. @default - nothing */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** @default - the image the lock records for this scale set (`fixedSettings.image`), else DEFAULT_IMAGE (Ubuntu 22.04 LTS, generation 2) */
  readonly image?: ImageReference;
  /** Rolling upgrades: how many instances change at once. @default - batches of 20 %, with surge */
  readonly upgrade?: {
    /** Percent of the instances upgraded per batch. @default 20 */
    readonly maxBatchPercent?: number;
    /** New instances of a batch start before old ones stop. @default true */
    readonly maxSurge?: boolean;
  };
  /** Path of the VM health endpoint the health extension probes. @default '/health' */
  readonly healthPath?: string;
  /**
   * The most instances autoscale may run. With maximum surge a rolling upgrade adds a batch on top
   * (see `peakInstances`); more than 100 at that peak need several placement groups (Uniform).
   * @default - initialInstances
   */
  readonly maxInstances?: number;
  /**
   * Entra ID SSH login: the AADSSHLoginForLinux extension and a system-assigned identity (which
   * it needs) beside the user-assigned one. Login roles are granted by the caller. @default false
   */
  readonly entraIdLogin?: boolean;
  /**
   * More VM extensions, inside the scale set (e.g. the Key Vault extension). A change to them
   * updates every instance. @default - none
   */
  readonly extensions?: readonly ScaleSetExtension[];
  /** Fixed at creation: changing it replaces the scale set. @default 'Uniform' */
  readonly orchestration?: 'Uniform' | 'Flexible';
  /**
   * Automatic OS image upgrade (Uniform, marketplace image at 'latest'): Azure rolls each new
   * image through the scale set under its rolling upgrade policy, gated by the health extension,
   * and rolls back a failed one. How patches reach software the VMs must not restart all at once
   * (the front's nginx, `front/updates.ts`). azurerm updates it in place. @default false
   */
  readonly automaticOsUpgrade?: boolean;
  /**
   * The OS patch label (docs/patching.md). A marketplace image at 'latest' (unless
   * `automaticOsUpgrade`, which needs 'latest' in the model, or a lock that recorded the scale set
   * at 'latest' before versions were resolved) runs one version: `azurerm_platform_image`'s newest
   * at the scale set's creation, kept in a `terraform_data` resource (`ignore_changes = [input]`)
   * whose `triggers_replace` is this label. Changing the label resolves the newest version again
   * at the next apply; the model's version changes in place and the rolling upgrade moves the VMs
   * onto it, health-gated. @default - none: the version resolved at creation stays
   */
  readonly osPatch?: string;
  /**
   * The creation-time settings recorded for this scale set (the synth's lock file): they win over
   * today's defaults, so a library default that changes (zone balance, the unhealthy limit) never
   * replaces a running scale set. @default - `fixedSettings()` of these props
   */
  readonly fixedSettings?: FixedSettings;
  /** @default - none */
  readonly tags?: Record<string, string>;
}

/**
 * The ApplicationHealthLinux extension every scale set runs: type handler 2.0, rich health states.
 * It reads the body of a 2xx reply: only `{"ApplicationHealthState": "Healthy"}` is healthy,
 * `"Unhealthy"` unhealthy, anything else (a non-2xx, a timeout, another body) Unknown, and
 * automatic repair replaces Unhealthy and Unknown instances alike. 2.0 over 1.0 (status code
 * only) because it tells a broken instance (Unhealthy) from one still starting (Unknown, shown as
 * Initializing during the grace period), and a boot that retries a download does not end the
 * grace period early. Settings as main/handlersettings.go reads them; see docs/vm-side.md.
 */
export const HEALTH_EXTENSION = { publisher: 'Microsoft.ManagedServices', type: 'ApplicationHealthLinux', typeHandlerVersion: '2.0' } as const;

/**
 * The extension's public settings: probe `http://localhost:<port><path>` every 5 s; a state
 * counts once seen twice in a row (10 s: one slow probe or an instance's restart does not flip the
 * VM); a new VM shows Initializing for up to 10 minutes while it has not been Healthy or Unhealthy
 * twice in a row (the schema allows 5–14400 s; interval × probes at most 240 s).
 */
export const healthExtensionSettings = (port: number, requestPath: string) => ({ protocol: 'http', port, requestPath, intervalInSeconds: 5, numberOfProbes: 2, gracePeriod: 600 });

/**
 * The most instances a scale set can hold at once: autoscale's maximum, plus, during a rolling
 * upgrade with maximum surge, a whole batch of new instances started before the old ones go
 * (a batch is maxBatchPercent of the instances, at least one; rounded up to stay on the safe side).
 */
export function peakInstances(maxInstances: number, upgrade?: { readonly maxBatchPercent?: number; readonly maxSurge?: boolean }): number {
  if (upgrade?.maxSurge === false) return maxInstances;
  // the same count the address plan reserves for a slot (lib/spec/ip-plan.ts)
  return instancesWithSurge({ min: maxInstances, default: maxInstances, max: maxInstances }, upgrade?.maxBatchPercent ?? 20);
}

/** Azure's limit for a scale set in a single placement group (Uniform). */
export const SINGLE_PLACEMENT_GROUP_MAX = 100;
export { osDiskType };

/**
 * Custom data as Azure takes it: base64 of the document, gzipped first when `gzip` (deterministic:
 * Node's gzip writes no name and no time, so the same document gives the same bytes every synth).
 */
export function encodeCustomData(document: string, gzip: boolean): string {
  const bytes = Buffer.from(document, 'utf8');
  return (gzip ? gzipSync(bytes, { level: 9 }) : bytes).toString('base64');
}

/** The document custom data carries: base64 decoded, and gunzipped when it is gzip (as cloud-init reads it). */
export function decodeCustomData(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
}

/**
 * A Linux VM scale set with safe defaults: zones with best-effort balance (else two fault domains),
 * rolling upgrades gated by the ApplicationHealthLinux extension (it probes port 9000, the VM
 * health endpoint), automatic repair, encryption at host, trusted launch (Uniform), SSH keys only,
 * a user-assigned identity, no public IP, and the instance count left to autoscale after creation.
 */
export class ScaleSet extends Construct {
  /** The scale set's resource ID (a Terraform reference). */
  public readonly scaleSetId: string;
  /** The scale set's name (a Terraform reference). */
  public readonly scaleSetName: string;
  /** The scale set resource itself, for what must come after it (`depends_on`). */
  public readonly resource: LinuxVirtualMachineScaleSet | OrchestratedVirtualMachineScaleSet;

  constructor(scope: Construct, id: string, props: ScaleSetProps) {
    super(scope, id);
    const zones = props.zones ?? [];
    const fixedImage = props.fixedSettings?.image ? imageFromLockKey(props.fixedSettings.image) : undefined;
    const image = props.image ?? fixedImage ?? DEFAULT_IMAGE;
    const healthSettings = healthExtensionSettings(VM_HEALTH_PORT, props.healthPath ?? '/health');
    const zonal = zones.length > 0;
    const fixed =
      props.fixedSettings ??
      fixedSettings({
        orchestration: props.orchestration,
        zones,
        maxBatchPercent: props.upgrade?.maxBatchPercent,
        maxSurge: props.upgrade?.maxSurge,
        vmSize: props.vmSize,
        imageVersion: isResolvedAtCreation(image) ? 'resolved' : undefined,
      });
    const sourceImageReference = image.marketplace && !props.automaticOsUpgrade && fixed.imageVersion === 'resolved' && isResolvedAtCreation(image) ? this.resolvedVersion(image.marketplace, props) : image.marketplace;
    const nullable = <T>(v: T | null) => (v === null ? undefined : v);
    const ipConfiguration = [
      { name: 'ipconfig', primary: true, subnetId: props.subnetId, loadBalancerBackendAddressPoolIds: props.loadBalancerBackendPoolIds ? [...props.loadBalancerBackendPoolIds] : undefined },
    ];
    const common = {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      instances: props.initialInstances,
      identity: { type: props.entraIdLogin ? 'SystemAssigned, UserAssigned' : 'UserAssigned', identityIds: [props.identityId] },
      encryptionAtHostEnabled: true,
      bootDiagnostics: {},
      sourceImageReference,
      sourceImageId: image.galleryImageVersionId,
      osDisk: { caching: 'ReadWrite', storageAccountType: fixed.osDiskStorageAccountType ?? osDiskType(props.vmSize) },
      networkInterface: [{ name: 'nic', primary: true, ipConfiguration }],
      zones: zonal ? [...zones] : undefined,
      zoneBalance: zonal ? fixed.zoneBalance : undefined,
      upgradeMode: fixed.upgradeMode,
      rollingUpgradePolicy: { ...fixed.rollingUpgradePolicy, crossZoneUpgradesEnabled: nullable(fixed.rollingUpgradePolicy.crossZoneUpgradesEnabled) },
      automaticInstanceRepair: { enabled: true, gracePeriod: 'PT10M', action: 'Replace' },
      terminationNotification: { enabled: true, timeout: 'PT5M' },
      tags: props.tags,
      lifecycle: { ignoreChanges: ['instances'] },
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    };
    const health: ScaleSetExtension = { name: 'health', ...HEALTH_EXTENSION, settings: JSON.stringify(healthSettings) };
    const entra: ScaleSetExtension[] = props.entraIdLogin ? [{ name: 'entra-id-login', publisher: 'Microsoft.Azure.ActiveDirectory', type: 'AADSSHLoginForLinux', typeHandlerVersion: '1.0' }] : [];
    const more = (props.extensions ?? []).map((e) => ({ ...e }));
    const customData = encodeCustomData(props.cloudInit, props.gzipCloudInit ?? false);
    const userData = props.userData === undefined ? undefined : Buffer.from(props.userData, 'utf8').toString('base64');
    const adminSshKey = props.sshPublicKeys.map((publicKey) => ({ username: props.adminUsername, publicKey }));
    const computerNamePrefix = (props.computerNamePrefix ?? props.name).slice(0, 58);
    const vmss =
      props.orchestration === 'Flexible'
        ? new OrchestratedVirtualMachineScaleSet(this, 'vmss', {
            ...common,
            skuName: props.vmSize,
            platformFaultDomainCount: fixed.platformFaultDomainCount ?? 1,
            userDataBase64: userData,
            osProfile: {
              customData,
              linuxConfiguration: { adminUsername: props.adminUsername, adminSshKey, disablePasswordAuthentication: true, computerNamePrefix, provisionVmAgent: true },
            },
            extension: [health, ...entra, ...more].map(({ automaticUpgradeEnabled: _, ...e }) => ({ ...e, autoUpgradeMinorVersionEnabled: true })),
          })
        : new LinuxVirtualMachineScaleSet(this, 'vmss', {
            ...common,
            sku: props.vmSize,
            computerNamePrefix,
            adminUsername: props.adminUsername,
            disablePasswordAuthentication: true,
            adminSshKey,
            secureBootEnabled: true,
            vtpmEnabled: true,
            automaticOsUpgradePolicy: props.automaticOsUpgrade ? { enableAutomaticOsUpgrade: true, disableAutomaticRollback: false } : undefined,
            customData,
            userData,
            platformFaultDomainCount: nullable(fixed.platformFaultDomainCount),
            // surge instances count: a single placement group refuses the 101st, mid-upgrade
            singlePlacementGroup: peakInstances(props.maxInstances ?? props.initialInstances, props.upgrade) <= SINGLE_PLACEMENT_GROUP_MAX,
            overprovision: false,
            extension: [health, ...entra, ...more].map((e) => ({ ...e, autoUpgradeMinorVersion: true })),
            scaleIn: { rule: 'Default', forceDeletionEnabled: false },
          });
    this.scaleSetId = vmss.id;
    this.scaleSetName = vmss.name;
    this.resource = vmss;
  }

  /**
   * The image at the version resolved once: `azurerm_platform_image` lists the SKU's versions at
   * plan and takes the last (Canonical's list in release order), and `terraform_data` keeps the
   * first value it saw (`ignore_changes = [input]`) until `triggers_replace` (the OS patch label)
   * changes. The scale set reads `input`, not `output`: a replaced `terraform_data` plans its
   * `output` as unknown, its `input` as the data source's value, so the plan shows the version.
   */
  private resolvedVersion(m: NonNullable<ImageReference['marketplace']>, props: ScaleSetProps): NonNullable<ImageReference['marketplace']> {
    const newest = new DataAzurermPlatformImage(this, 'image', { location: props.location, publisher: m.publisher, offer: m.offer, sku: m.sku });
    const pinned = new BuiltinData(this, 'image-version', {
      input: { version: newest.version },
      triggersReplace: { osPatch: props.osPatch ?? '' },
      lifecycle: { ignoreChanges: ['input'] },
    });
    return { ...m, version: pinned.getStringAttribute('input.version') };
  }
}
