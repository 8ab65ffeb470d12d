/**
 * One stack per service: its resource group and both slots, each a user-assigned identity, an
 * internal load balancer on the slot's planned frontend IP, a scale set running one unit per
 * planned port, and autoscale. Reads the network only through the static plans (names and
 * addresses), never through cross-stack references.
 */
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { Construct } from 'constructs';
import { Autoscale } from '../lib/autoscale/autoscale';
import { planProfiles } from '../lib/autoscale/plan';
import { cloudInitFor, renderCloudInit } from '../lib/compute/cloud-init';
import { ScaleSet } from '../lib/compute/scale-set';
import { azureIds } from '../lib/core/azure-ids';
import { FRONTEND_NAME, InternalLoadBalancer } from '../lib/lb/internal-load-balancer';
import { peakInstances } from '../lib/spec/capacity';
import { PLATFORM_PARTS, servicePart } from '../lib/spec/names';
import type { EnvironmentPlan } from '../lib/spec/plan';
import { SLOT_NAMES, type Service, type SlotName } from '../lib/spec/schema';
import { EnvironmentStack } from './environment-stack';

export interface SlotResources {
  readonly identity: UserAssignedIdentity;
  readonly loadBalancer: InternalLoadBalancer;
  readonly scaleSet: ScaleSet;
  readonly autoscale: Autoscale;
}

export class ServiceStack extends EnvironmentStack {
  public readonly service: Service;
  public readonly slots: Readonly<Record<SlotName, SlotResources>>;

  constructor(scope: Construct, plan: EnvironmentPlan, service: Service) {
    super(scope, plan, servicePart(service.name));
    this.service = service;
    const { env, names } = plan;
    const svcNames = plan.serviceNames[service.name];
    const tags = { ...plan.tags, ...service.tags, service: service.name };
    const rg = this.resourceGroup(servicePart(service.name), tags);
    const networkRg = names.resourceGroup(PLATFORM_PARTS.network);
    const subnetId = (subnet: string) => azureIds.subnet(env.subscriptionId, networkRg, names.virtualNetwork, subnet);
    const ips = plan.ips.services[service.name];
    const ports = plan.ports.services[service.name].ports;
    const profiles = planProfiles(service.capacity, service.autoscale.schedules);

    const slots = {} as Record<SlotName, SlotResources>;
    for (const slot of SLOT_NAMES) {
      const scope = new Construct(this, slot);
      const slotTags = { ...tags, slot };
      const identity = new UserAssignedIdentity(scope, 'identity', { name: svcNames.identity[slot], resourceGroupName: rg.name, location: env.region, tags: slotTags });
      const loadBalancer = new InternalLoadBalancer(scope, 'lb', {
        name: svcNames.loadBalancer[slot],
        resourceGroupName: rg.name,
        location: env.region,
        frontendSubnetId: subnetId(plan.ips.loadBalancers.name),
        frontends: [
          {
            name: FRONTEND_NAME,
            ip: ips.frontendIps[slot],
            ports,
            healthPath: service.healthPath,
            instanceInput: service.endpoints.instanceInput.map((e) => ({ ...e, frontendPortEnd: e.frontendPortStart + peakInstances(service.capacity, service.upgrade) - 1 })),
          },
        ],
        zones: plan.zones,
        tags: slotTags,
      });
      const identityResourceId = azureIds.userAssignedIdentity(env.subscriptionId, svcNames.resourceGroup, svcNames.identity[slot]);
      const scaleSet = new ScaleSet(scope, 'scale-set', {
        name: svcNames.scaleSet[slot],
        computerNamePrefix: svcNames.computerNamePrefix[slot],
        resourceGroupName: rg.name,
        location: env.region,
        subnetId: subnetId(ips.subnet.name),
        vmSize: service.vmSize,
        initialInstances: service.capacity.default,
        maxInstances: service.capacity.max,
        zones: plan.zones,
        adminUsername: env.admin.username,
        sshPublicKeys: env.admin.sshPublicKeys,
        identityId: identity.id,
        cloudInit: renderCloudInit(cloudInitFor(plan, service, slot, identityResourceId)),
        loadBalancerBackendPoolIds: [loadBalancer.backendPoolId],
        dependsOn: loadBalancer.rules,
        image: service.slots[slot].image ?? service.image,
        upgrade: service.upgrade,
        orchestration: service.orchestration,
        tags: slotTags,
      });
      const autoscale = new Autoscale(scope, 'autoscale', {
        name: svcNames.autoscale[slot],
        resourceGroupName: rg.name,
        location: env.region,
        targetResourceId: scaleSet.scaleSetId,
        profiles,
        cpu: service.autoscale.cpu,
        customMetric: service.autoscale.customMetric,
        predictive: service.autoscale.predictive,
        notifyEmails: service.autoscale.notifyEmails,
        tags: slotTags,
      });
      slots[slot] = { identity, loadBalancer, scaleSet, autoscale };
    }
    this.slots = slots;
  }
}
