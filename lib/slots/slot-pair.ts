/**
 * SlotPair: a service's (or a node pool's) two deployment slots, `blue` and `green`. Each slot is
 * a user-assigned identity, an internal load balancer on the slot's static frontend IPs, a scale
 * set running the slot's release and autoscale; each slot has its own version or image. An idle
 * slot may be parked at a fixed count (0 stops it) instead of autoscaling: the traffic plan's
 * checks (`lib/slots/traffic.ts`, run at synth) prove a parked slot can carry what it is sent.
 *
 * Which slot serves is not decided here: the front's routing table decides, so a swap never
 * touches a slot pair.
 */
import { RoleAssignment, UserAssignedIdentity } from '../runtime/azurerm';
import { Construct } from 'constructs';
import { Autoscale, type CpuRules, type MetricRules, type PredictiveAutoscale } from '../autoscale/autoscale';
import type { PlannedProfile } from '../autoscale/plan';
import { ScaleSet, type ImageReference, type ScaleSetProps } from '../compute/scale-set';
import { InternalLoadBalancer, type LoadBalancerFrontend } from '../lb/internal-load-balancer';
import { SLOT_NAMES, type SlotName } from '../spec/schema';

/** One slot of a {@link SlotPair}: what it runs and how its resources are named. */
export interface SlotProps {
  /** Names of the slot's resources. */
  readonly names: {
    /** The user-assigned identity (unused when `identityId` is given). */
    readonly identity: string;
    /** The internal load balancer. */
    readonly loadBalancer: string;
    /** The scale set. */
    readonly scaleSet: string;
    /** Host-name prefix of the VMs. @default - the scale set's name */
    readonly computerNamePrefix?: string;
    /** The autoscale setting. */
    readonly autoscale: string;
  };
  /** The slot's load-balancer frontends: one for a service, one per service on a pool. */
  readonly frontends: readonly LoadBalancerFrontend[];
  /** The slot's #cloud-config (what it runs, on which ports): custom data, the same across releases. */
  readonly cloudInit: string;
  /**
   * What the slot's release is (versions, artifacts): user data, which reaches running VMs. With a
   * `cloudInit` from `renderCloudInit`, give `releaseUserData` of the same input: the VMs' release
   * step waits for it. @default - none
   */
  readonly userData?: string;
  /** @default - the pair's image */
  readonly image?: ImageReference;
  /** The slot's OS patch label: a change resolves a marketplace image at 'latest' again (`ScaleSetProps.osPatch`). @default - none */
  readonly osPatch?: string;
  /** Hold this many instances instead of autoscaling (0 stops the slot). @default - warm: autoscaled */
  readonly parked?: {
    /** The fixed instance count. */
    readonly instances: number;
  };
  /** Grant the slot's identity read access to release artifacts in this storage account. @default - none */
  readonly artifactStoreId?: string;
  /**
   * An existing user-assigned identity for the slot's VMs (created and granted its roles in a
   * stack applied earlier, so a new grant has reached Key Vault or Storage before the first boot).
   * @default - the pair creates one (and the artifact grant) beside the scale set
   */
  readonly identityId?: string;
  /** More VM extensions for the slot's scale set (e.g. the Key Vault extension). @default - none */
  readonly extensions?: ScaleSetProps['extensions'];
  /** The scale set's recorded creation-time settings (the lock file). @default - today's defaults */
  readonly fixedSettings?: ScaleSetProps['fixedSettings'];
}

/** Props of {@link SlotPair}. */
export interface SlotPairProps {
  /** The resource group both slots are created in. */
  readonly resourceGroupName: string;
  /** The Azure region, e.g. 'westeurope'. */
  readonly location: string;
  /** Shown in role-assignment descriptions, e.g. 'pricing'. */
  readonly label: string;
  /** The VMs' subnet (both slots share it). */
  readonly subnetId: string;
  /** The subnet of the load balancers' static frontend IPs. */
  readonly frontendSubnetId: string;
  /** @default - none (fault domains) */
  readonly zones?: readonly string[];
  /** The VM size of both slots, e.g. 'Standard_D4s_v5'. */
  readonly vmSize: string;
  /** Instance counts of each slot: `default` at creation, `max` sizes placement groups. */
  readonly capacity: {
    /** Fewest instances (autoscale). */
    readonly min: number;
    /** Instances at creation. */
    readonly default: number;
    /** Most instances (autoscale). */
    readonly max: number;
  };
  /** Autoscale profiles of a warm slot (default and schedules; see {@link planProfiles}). */
  readonly profiles: readonly PlannedProfile[];
  /** The CPU rules of every profile. */
  readonly cpu: CpuRules;
  /** @default - none */
  readonly customMetric?: MetricRules;
  /** @default - off */
  readonly predictive?: PredictiveAutoscale;
  /** Addresses e-mailed on every scale action. @default - no one */
  readonly notifyEmails?: readonly string[];
  /** Rolling upgrades of both scale sets. */
  readonly upgrade: {
    /** Percent of the instances upgraded per batch. */
    readonly maxBatchPercent: number;
    /** New instances of a batch start before old ones stop. */
    readonly maxSurge: boolean;
  };
  /** @default 'Uniform' */
  readonly orchestration?: 'Uniform' | 'Flexible';
  /** @default - Ubuntu 22.04 LTS */
  readonly image?: ImageReference;
  /** The VMs' admin user (SSH keys only). */
  readonly adminUsername: string;
  /** OpenSSH public keys of the admin user. */
  readonly sshPublicKeys: readonly string[];
  /** Entra ID SSH login, with login roles for these groups on each scale set. @default - off */
  readonly entraIdLogin?: {
    /** Granted Virtual Machine Administrator Login. @default - no group */
    readonly adminGroupObjectId?: string;
    /** Granted Virtual Machine User Login. @default - no group */
    readonly userGroupObjectId?: string;
  };
  /** The two slots. */
  readonly slots: Readonly<Record<SlotName, SlotProps>>;
  /** @default - none; each slot's resources also get `slot: <name>` */
  readonly tags?: Record<string, string>;
}

/** What a {@link SlotPair} made for one slot. */
export interface SlotResources {
  /** The identity the pair created; undefined when the slot was given one. */
  readonly identity?: UserAssignedIdentity;
  /** The slot's internal load balancer. */
  readonly loadBalancer: InternalLoadBalancer;
  /** The slot's scale set. */
  readonly scaleSet: ScaleSet;
  /** The slot's autoscale setting (a fixed count when parked). */
  readonly autoscale: Autoscale;
}

/**
 * A service's (or node pool's) two deployment slots, `blue` and `green`, each an identity, an
 * internal load balancer, a scale set and autoscale. Which slot serves is the front's routing
 * table's decision, so a swap never touches a slot pair.
 */
export class SlotPair extends Construct {
  /** Each slot's resources. */
  public readonly slots: Readonly<Record<SlotName, SlotResources>>;

  constructor(scope: Construct, id: string, props: SlotPairProps) {
    super(scope, id);
    const { resourceGroupName, location } = props;
    const slots = {} as Record<SlotName, SlotResources>;
    for (const slot of SLOT_NAMES) {
      const s = props.slots[slot];
      const scope = new Construct(this, slot);
      const tags = { ...props.tags, slot };
      const identity = s.identityId ? undefined : new UserAssignedIdentity(scope, 'identity', { name: s.names.identity, resourceGroupName, location, tags });
      if (identity && s.artifactStoreId) {
        // the release unit retries until the grant reaches storage (role assignments take minutes)
        new RoleAssignment(scope, 'artifact-reader', {
          scope: s.artifactStoreId,
          roleDefinitionName: 'Storage Blob Data Reader',
          principalId: identity.principalId,
          principalType: 'ServicePrincipal',
          description: `${props.label} ${slot}: read release artifacts`,
        });
      }
      const loadBalancer = new InternalLoadBalancer(scope, 'lb', {
        name: s.names.loadBalancer,
        resourceGroupName,
        location,
        frontendSubnetId: props.frontendSubnetId,
        frontends: s.frontends,
        zones: props.zones,
        tags,
      });
      const scaleSet = new ScaleSet(scope, 'scale-set', {
        name: s.names.scaleSet,
        computerNamePrefix: s.names.computerNamePrefix,
        resourceGroupName,
        location,
        subnetId: props.subnetId,
        vmSize: props.vmSize,
        // a parked slot starts at its parked count (autoscale owns the count afterwards)
        initialInstances: s.parked ? s.parked.instances : props.capacity.default,
        maxInstances: props.capacity.max,
        zones: props.zones,
        adminUsername: props.adminUsername,
        sshPublicKeys: props.sshPublicKeys,
        identityId: s.identityId ?? identity!.id,
        cloudInit: s.cloudInit,
        userData: s.userData,
        loadBalancerBackendPoolIds: [loadBalancer.backendPoolId],
        image: s.image ?? props.image,
        upgrade: props.upgrade,
        orchestration: props.orchestration,
        entraIdLogin: props.entraIdLogin !== undefined,
        extensions: s.extensions,
        fixedSettings: s.fixedSettings,
        osPatch: s.osPatch,
        tags,
      });
      const entra = props.entraIdLogin;
      if (entra) {
        const logins: Array<[string, string | undefined, string]> = [
          ['admin-login', entra.adminGroupObjectId, 'Virtual Machine Administrator Login'],
          ['user-login', entra.userGroupObjectId, 'Virtual Machine User Login'],
        ];
        for (const [lid, group, role] of logins) {
          if (group) new RoleAssignment(scope, lid, { scope: scaleSet.scaleSetId, roleDefinitionName: role, principalId: group, principalType: 'Group' });
        }
      }
      const parked = s.parked;
      const autoscale = new Autoscale(scope, 'autoscale', {
        name: s.names.autoscale,
        resourceGroupName,
        location,
        targetResourceId: scaleSet.scaleSetId,
        profiles: parked ? [{ name: 'parked', capacity: { minimum: parked.instances, default: parked.instances, maximum: parked.instances } }] : props.profiles,
        cpu: props.cpu,
        customMetric: props.customMetric,
        predictive: props.predictive,
        notifyEmails: props.notifyEmails,
        tags,
      });
      slots[slot] = { identity, loadBalancer, scaleSet, autoscale };
    }
    this.slots = slots;
  }
}
