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
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { Construct } from 'constructs';
import { Autoscale, type CpuRules, type MetricRules } from '../autoscale/autoscale';
import type { PlannedProfile } from '../autoscale/plan';
import { ScaleSet, type ImageReference, type ScaleSetProps } from '../compute/scale-set';
import { InternalLoadBalancer, type LoadBalancerFrontend } from '../lb/internal-load-balancer';
import { SLOT_NAMES, type SlotName } from '../spec/schema';

export interface SlotProps {
  readonly names: { readonly identity: string; readonly loadBalancer: string; readonly scaleSet: string; readonly computerNamePrefix?: string; readonly autoscale: string };
  /** The slot's load-balancer frontends: one for a service, one per service on a pool. */
  readonly frontends: readonly LoadBalancerFrontend[];
  /** The slot's #cloud-config (what it runs, on which ports). */
  readonly cloudInit: string;
  /** @default - the pair's image */
  readonly image?: ImageReference;
  /** Hold this many instances instead of autoscaling. @default - warm: autoscaled */
  readonly parked?: { readonly instances: number };
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
}

export interface SlotPairProps {
  readonly resourceGroupName: string;
  readonly location: string;
  /** Shown in role-assignment descriptions, e.g. 'pricing'. */
  readonly label: string;
  /** The VMs' subnet (both slots share it) and the subnet of the LB frontends. */
  readonly subnetId: string;
  readonly frontendSubnetId: string;
  /** @default - none (fault domains) */
  readonly zones?: readonly string[];
  readonly vmSize: string;
  readonly capacity: { readonly min: number; readonly default: number; readonly max: number };
  /** Autoscale profiles of a warm slot (default and schedules). */
  readonly profiles: readonly PlannedProfile[];
  readonly cpu: CpuRules;
  /** @default - none */
  readonly customMetric?: MetricRules;
  /** @default - off */
  readonly predictive?: { readonly mode: 'ForecastOnly' | 'Enabled'; readonly lookAheadMinutes: number };
  /** @default - no one */
  readonly notifyEmails?: readonly string[];
  readonly upgrade: { readonly maxBatchPercent: number; readonly maxSurge: boolean };
  /** @default 'Uniform' */
  readonly orchestration?: 'Uniform' | 'Flexible';
  /** @default - Ubuntu 22.04 LTS */
  readonly image?: ImageReference;
  readonly adminUsername: string;
  readonly sshPublicKeys: readonly string[];
  /** Entra ID SSH login, with login roles for these groups on each scale set. @default - off */
  readonly entraIdLogin?: { readonly adminGroupObjectId?: string; readonly userGroupObjectId?: string };
  readonly slots: Readonly<Record<SlotName, SlotProps>>;
  /** @default - none; each slot's resources also get `slot: <name>` */
  readonly tags?: Record<string, string>;
}

export interface SlotResources {
  /** The identity the pair created; undefined when the slot was given one. */
  readonly identity?: UserAssignedIdentity;
  readonly loadBalancer: InternalLoadBalancer;
  readonly scaleSet: ScaleSet;
  readonly autoscale: Autoscale;
}

export class SlotPair extends Construct {
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
        initialInstances: props.capacity.default,
        maxInstances: props.capacity.max,
        zones: props.zones,
        adminUsername: props.adminUsername,
        sshPublicKeys: props.sshPublicKeys,
        identityId: s.identityId ?? identity!.id,
        cloudInit: s.cloudInit,
        loadBalancerBackendPoolIds: [loadBalancer.backendPoolId],
        image: s.image ?? props.image,
        upgrade: props.upgrade,
        orchestration: props.orchestration,
        entraIdLogin: props.entraIdLogin !== undefined,
        extensions: s.extensions,
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
