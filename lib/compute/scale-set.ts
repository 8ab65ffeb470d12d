/**
 * ScaleSet: a Linux VM scale set (Uniform orchestration; Flexible is not built yet) with every
 * default chosen for safety:
 * zones with zone balance where the region has them (else two platform fault domains), rolling
 * upgrades gated by the ApplicationHealthLinux extension written inside the scale set (it probes
 * the VM health endpoint, which covers every planned port), maximum surge with overprovisioning
 * off, automatic instance repair, encryption at host, trusted launch, SSH keys only, a
 * user-assigned identity, managed boot diagnostics, no public IP, and the instance count left to
 * autoscale after creation (`ignore_changes = [instances]`).
 *
 * `rolling_upgrade_policy`, `upgrade_mode`, `zone_balance` and `platform_fault_domain_count`
 * force replacement in azurerm 4.x: they are fixed here, not spec fields.
 */
import { LinuxVirtualMachineScaleSet } from '@cdktf/provider-azurerm/lib/linux-virtual-machine-scale-set';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { VM_HEALTH_PORT } from '../spec/constants';

export interface ImageReference {
  readonly marketplace?: { readonly publisher: string; readonly offer: string; readonly sku: string; readonly version: string };
  readonly galleryImageVersionId?: string;
}

/** Ubuntu 22.04 LTS, generation 2: trusted launch, and the Key Vault VM extension supports it. */
export const DEFAULT_IMAGE: ImageReference = {
  marketplace: { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: 'latest' },
};

export interface ScaleSetProps {
  readonly name: string;
  /** Host names are this plus a suffix (Linux: at most 58 characters). @default - the name */
  readonly computerNamePrefix?: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** The subnet the VMs' NICs join (the service's planned subnet). */
  readonly subnetId: string;
  readonly vmSize: string;
  /** Instances at creation; autoscale owns the count afterwards. */
  readonly initialInstances: number;
  /** Zones to spread over, with zone balance. @default - none: two platform fault domains */
  readonly zones?: readonly string[];
  readonly adminUsername: string;
  readonly sshPublicKeys: readonly string[];
  /** The user-assigned identity the VMs use (Key Vault, artifacts). */
  readonly identityId: string;
  /** The cloud-init document, as text (it is base64-encoded here). */
  readonly cloudInit: string;
  /** Backend pools of the (one) internal load balancer the VMs join. @default - none */
  readonly loadBalancerBackendPoolIds?: readonly string[];
  /** What must exist first: the load balancer's rules. @default - nothing */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** @default DEFAULT_IMAGE */
  readonly image?: ImageReference;
  readonly upgrade: {
    /** @default 20 */
    readonly maxBatchPercent?: number;
    /** New instances of a batch start before old ones stop. @default true */
    readonly maxSurge?: boolean;
  };
  /** Path of the VM health endpoint the health extension probes. @default '/health' */
  readonly healthPath?: string;
  /** More than 100 instances need several placement groups. @default - single when max <= 100 */
  readonly maxInstances?: number;
  /** @default - none */
  readonly tags?: Record<string, string>;
}

/** Premium SSD where the size supports it (an 's' in its features), else Standard SSD. */
export const osDiskType = (vmSize: string) => (/^Standard_[A-Z]+\d+[a-z]*s[a-z]*(_|$)/.test(vmSize) ? 'Premium_LRS' : 'StandardSSD_LRS');

export class ScaleSet extends Construct {
  public readonly scaleSetId: string;
  public readonly scaleSetName: string;

  constructor(scope: Construct, id: string, props: ScaleSetProps) {
    super(scope, id);
    const zones = props.zones ?? [];
    const image = props.image ?? DEFAULT_IMAGE;
    const healthSettings = { protocol: 'http', port: VM_HEALTH_PORT, requestPath: props.healthPath ?? '/health', intervalInSeconds: 5, numberOfProbes: 1, gracePeriod: 600 };
    const vmss = new LinuxVirtualMachineScaleSet(this, 'vmss', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      sku: props.vmSize,
      instances: props.initialInstances,
      computerNamePrefix: (props.computerNamePrefix ?? props.name).slice(0, 58),
      adminUsername: props.adminUsername,
      disablePasswordAuthentication: true,
      adminSshKey: props.sshPublicKeys.map((publicKey) => ({ username: props.adminUsername, publicKey })),
      identity: { type: 'UserAssigned', identityIds: [props.identityId] },
      encryptionAtHostEnabled: true,
      secureBootEnabled: true,
      vtpmEnabled: true,
      bootDiagnostics: {},
      customData: Buffer.from(props.cloudInit, 'utf8').toString('base64'),
      sourceImageReference: image.marketplace,
      sourceImageId: image.galleryImageVersionId,
      osDisk: { caching: 'ReadWrite', storageAccountType: osDiskType(props.vmSize) },
      networkInterface: [
        {
          name: 'nic',
          primary: true,
          ipConfiguration: [
            { name: 'ipconfig', primary: true, subnetId: props.subnetId, loadBalancerBackendAddressPoolIds: props.loadBalancerBackendPoolIds ? [...props.loadBalancerBackendPoolIds] : undefined },
          ],
        },
      ],
      zones: zones.length > 0 ? [...zones] : undefined,
      zoneBalance: zones.length > 0 ? true : undefined,
      platformFaultDomainCount: zones.length > 0 ? undefined : 2,
      singlePlacementGroup: (props.maxInstances ?? props.initialInstances) <= 100,
      overprovision: false,
      upgradeMode: 'Rolling',
      rollingUpgradePolicy: {
        maxBatchInstancePercent: props.upgrade.maxBatchPercent ?? 20,
        maxUnhealthyInstancePercent: 20,
        maxUnhealthyUpgradedInstancePercent: 5,
        pauseTimeBetweenBatches: 'PT30S',
        maximumSurgeInstancesEnabled: props.upgrade.maxSurge ?? true,
        prioritizeUnhealthyInstancesEnabled: true,
        crossZoneUpgradesEnabled: zones.length > 0 ? true : undefined,
      },
      automaticInstanceRepair: { enabled: true, gracePeriod: 'PT10M', action: 'Replace' },
      extension: [
        {
          name: 'health',
          publisher: 'Microsoft.ManagedServices',
          type: 'ApplicationHealthLinux',
          typeHandlerVersion: '2.0',
          autoUpgradeMinorVersion: true,
          settings: JSON.stringify(healthSettings),
        },
      ],
      terminationNotification: { enabled: true, timeout: 'PT5M' },
      scaleIn: { rule: 'Default', forceDeletionEnabled: false },
      tags: props.tags,
      lifecycle: { ignoreChanges: ['instances'] },
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    });
    this.scaleSetId = vmss.id;
    this.scaleSetName = vmss.name;
  }
}
