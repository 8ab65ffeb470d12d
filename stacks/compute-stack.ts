/**
 * One stack per placement: a service on its own scale sets (`<env>-svc-<service>`) or a node pool
 * with its services (`<env>-pool-<pool>`). Each has its resource group and both slots, each slot a
 * user-assigned identity, an internal load balancer (a frontend per service, on the service's
 * planned frontend IP for that slot), a scale set running one unit per planned port of every
 * service on it, and autoscale. Reads the network only through the static plans, never through
 * cross-stack references.
 */
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { Construct } from 'constructs';
import { Autoscale } from '../lib/autoscale/autoscale';
import { planProfiles } from '../lib/autoscale/plan';
import { renderCloudInit, serviceBoot } from '../lib/compute/cloud-init';
import { ScaleSet } from '../lib/compute/scale-set';
import { azureIds } from '../lib/core/azure-ids';
import { FRONTEND_NAME, InternalLoadBalancer } from '../lib/lb/internal-load-balancer';
import { peakInstances } from '../lib/spec/capacity';
import { PLATFORM_PARTS } from '../lib/spec/names';
import type { Placement } from '../lib/spec/placement';
import type { EnvironmentPlan } from '../lib/spec/plan';
import { SLOT_NAMES, type SlotName } from '../lib/spec/schema';
import { EnvironmentStack } from './environment-stack';

export interface SlotResources {
  readonly identity: UserAssignedIdentity;
  readonly loadBalancer: InternalLoadBalancer;
  readonly scaleSet: ScaleSet;
  readonly autoscale: Autoscale;
}

export class ComputeStack extends EnvironmentStack {
  public readonly placement: Placement;
  public readonly slots: Readonly<Record<SlotName, SlotResources>>;

  constructor(scope: Construct, plan: EnvironmentPlan, placement: Placement) {
    super(scope, plan, placement.part);
    this.placement = placement;
    const { env, names } = plan;
    const n = plan.placementNames[placement.part];
    const tags = { ...plan.tags, ...placement.tags };
    const resourceGroupName = this.resourceGroup(placement.part, tags).name; // read once: one token
    const networkRg = names.resourceGroup(PLATFORM_PARTS.network);
    const subnetId = (subnet: string) => azureIds.subnet(env.subscriptionId, networkRg, names.virtualNetwork, subnet);
    const subnet = placement.kind === 'pool' ? plan.ips.pools[placement.name].subnet : plan.ips.services[placement.name].subnet;
    const profiles = planProfiles(placement.capacity, placement.autoscale.schedules);
    const instances = peakInstances(placement.capacity, placement.upgrade);

    const slots = {} as Record<SlotName, SlotResources>;
    for (const slot of SLOT_NAMES) {
      const scope = new Construct(this, slot);
      const slotTags = { ...tags, slot };
      const identity = new UserAssignedIdentity(scope, 'identity', { name: n.identity[slot], resourceGroupName, location: env.region, tags: slotTags });
      if (env.artifactStore && placement.services.some((svc) => svc.slots[slot].artifact)) {
        // the release unit retries until the grant reaches storage (role assignments take minutes)
        new RoleAssignment(scope, 'artifact-reader', {
          scope: env.artifactStore.storageAccountId,
          roleDefinitionName: 'Storage Blob Data Reader',
          principalId: identity.principalId,
          principalType: 'ServicePrincipal',
          description: `${placement.label} ${slot}: read release artifacts`,
        });
      }
      const loadBalancer = new InternalLoadBalancer(scope, 'lb', {
        name: n.loadBalancer[slot],
        resourceGroupName,
        location: env.region,
        frontendSubnetId: subnetId(plan.ips.loadBalancers.name),
        frontends: placement.services.map((svc) => ({
          name: placement.kind === 'pool' ? svc.name : FRONTEND_NAME,
          ip: plan.ips.services[svc.name].frontendIps[slot],
          ports: plan.ports.services[svc.name].ports,
          healthPath: svc.healthPath,
          instanceInput: svc.endpoints.instanceInput.map((e) => ({ ...e, frontendPortEnd: e.frontendPortStart + instances - 1 })),
        })),
        zones: plan.zones,
        tags: slotTags,
      });
      const identityResourceId = azureIds.userAssignedIdentity(env.subscriptionId, n.resourceGroup, n.identity[slot]);
      const scaleSet = new ScaleSet(scope, 'scale-set', {
        name: n.scaleSet[slot],
        computerNamePrefix: n.computerNamePrefix[slot],
        resourceGroupName,
        location: env.region,
        subnetId: subnetId(subnet.name),
        vmSize: placement.vmSize,
        initialInstances: placement.capacity.default,
        maxInstances: placement.capacity.max,
        zones: plan.zones,
        adminUsername: env.admin.username,
        sshPublicKeys: env.admin.sshPublicKeys,
        identityId: identity.id,
        cloudInit: renderCloudInit({ slot, identityResourceId, services: placement.services.map((svc) => serviceBoot(plan, svc, slot)) }),
        loadBalancerBackendPoolIds: [loadBalancer.backendPoolId],
        // a service's slot may bring its own image; a pool's VMs share the pool's
        image: (placement.kind === 'service' ? placement.services[0].slots[slot].image : undefined) ?? placement.image,
        upgrade: placement.upgrade,
        orchestration: placement.orchestration,
        entraIdLogin: env.admin.entraIdLogin !== undefined,
        tags: slotTags,
      });
      const entra = env.admin.entraIdLogin;
      if (entra) {
        const logins: Array<[string, string | undefined, string]> = [
          ['admin-login', entra.adminGroupObjectId, 'Virtual Machine Administrator Login'],
          ['user-login', entra.userGroupObjectId, 'Virtual Machine User Login'],
        ];
        for (const [id, group, role] of logins) {
          if (group) new RoleAssignment(scope, id, { scope: scaleSet.scaleSetId, roleDefinitionName: role, principalId: group, principalType: 'Group' });
        }
      }
      // a parked slot (an idle one between releases) holds a fixed count; the synth has proved it
      // can carry whatever the traffic plan sends it
      const parked = placement.kind === 'service' ? placement.services[0].slots[slot].parked : undefined;
      const autoscale = new Autoscale(scope, 'autoscale', {
        name: n.autoscale[slot],
        resourceGroupName,
        location: env.region,
        targetResourceId: scaleSet.scaleSetId,
        profiles: parked ? [{ name: 'parked', capacity: { minimum: parked.instances, default: parked.instances, maximum: parked.instances } }] : profiles,
        cpu: placement.autoscale.cpu,
        customMetric: placement.autoscale.customMetric,
        predictive: placement.autoscale.predictive,
        notifyEmails: placement.autoscale.notifyEmails,
        tags: slotTags,
      });
      slots[slot] = { identity, loadBalancer, scaleSet, autoscale };
    }
    this.slots = slots;
  }
}
