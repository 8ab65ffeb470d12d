/**
 * One stack per placement: a service on its own scale sets (`<env>-svc-<service>`) or a node pool
 * with its services (`<env>-pool-<pool>`). Each has its resource group and a SlotPair: per slot
 * (using its identity from the identities stack) an internal load balancer (a frontend per service, on the service's
 * planned frontend IP for that slot), a scale set running one unit per planned port of every
 * service on it, and autoscale. Reads the network only through the static plans, never through
 * cross-stack references.
 */
import type { Construct } from 'constructs';
import { planProfiles } from '../autoscale/plan';
import { releaseUserData, renderCloudInit, serviceBoot } from '../compute/cloud-init';
import { azureIds } from '../core/azure-ids';
import { FRONTEND_NAME } from '../lb/internal-load-balancer';
import { SlotPair, type SlotProps, type SlotResources } from '../slots/slot-pair';
import { peakInstances } from '../spec/capacity';
import { PLATFORM_PARTS } from '../spec/names';
import { runningServices, type Placement } from '../spec/placement';
import type { EnvironmentPlan } from '../spec/plan';
import { SLOT_NAMES, type SlotName } from '../spec/schema';
import { dataCollectionRuleAssociation, monitorAgentExtension, monitoringOf } from '../monitor/monitoring';
import { scaleSetAlerts } from '../monitor/metric-alerts';
import { VmAssociationPolicy } from '../monitor/vm-association-policy';
import { DataAzurermUserAssignedIdentity } from '../runtime/azurerm';
import { keyVaultExtension } from '../vault/vm-extension';
import { EnvironmentStack } from './environment-stack';
import { slotIdentity } from './identities-stack';

/**
 * `<env>-svc-<service>` or `<env>-pool-<pool>`: the placement's resource group and its SlotPair,
 * each slot using its identity from the identities stack.
 */
export class ComputeStack extends EnvironmentStack {
  /** The set of VMs this stack holds. */
  public readonly placement: Placement;
  /** Each slot's resources; absent when the placement is retired (the stack then holds none). */
  public readonly slots?: Readonly<Record<SlotName, SlotResources>>;

  constructor(scope: Construct, plan: EnvironmentPlan, placement: Placement) {
    super(scope, plan, placement.part);
    this.placement = placement;
    // retired: the stack stays in the synth with no resources, so `cdktf deploy` destroys them
    // (a stack that left the synth could no longer be destroyed); see docs/lifecycle.md
    if (placement.retired) return;
    // a retired service on a pool leaves the pool's VMs, load balancers and cloud-init
    const services = runningServices(placement);
    const { env, names } = plan;
    const n = plan.placementNames[placement.part];
    const tags = { ...plan.tags, ...placement.tags };
    const group = this.resourceGroup(placement.part, tags);
    const resourceGroupName = group.name; // read once: one token
    const networkRg = names.resourceGroup(PLATFORM_PARTS.network);
    const subnetId = (subnet: string) => azureIds.subnet(env.subscriptionId, networkRg, names.virtualNetwork, subnet);
    const subnet = placement.kind === 'pool' ? plan.ips.pools[placement.name].subnet : plan.ips.services[placement.name].subnet;
    const instances = peakInstances(placement.capacity, placement.upgrade);

    // Key Vault certificates the services on these VMs read: the extension needs the identity's client ID
    const certificates = [...new Set(services.flatMap((svc) => svc.certificates))].sort();
    const clientId = (s: SlotName) =>
      new DataAzurermUserAssignedIdentity(this, `${s}-identity`, { name: slotIdentity(plan, placement.part, s).name, resourceGroupName: names.resourceGroup(PLATFORM_PARTS.identities) }).clientId;

    const slot = (s: SlotName): SlotProps => ({
      names: { identity: n.identity[s], loadBalancer: n.loadBalancer[s], scaleSet: n.scaleSet[s], computerNamePrefix: n.computerNamePrefix[s], autoscale: n.autoscale[s] },
      frontends: services.map((svc) => ({
        name: placement.kind === 'pool' ? svc.name : FRONTEND_NAME,
        ip: plan.ips.services[svc.name].frontendIps[s],
        ports: plan.ports.services[svc.name].ports,
        healthPath: svc.healthPath,
        instanceInput: svc.endpoints.instanceInput.map((e) => ({ ...e, frontendPortEnd: e.frontendPortStart + instances - 1 })),
      })),
      // the identity and its grants live in the identities stack, applied before this one
      identityId: slotIdentity(plan, placement.part, s).id,
      cloudInit: renderCloudInit({
        slot: s,
        identityResourceId: slotIdentity(plan, placement.part, s).id,
        services: services.map((svc) => serviceBoot(plan, svc, s)),
      }),
      // the release travels in user data: a rolling upgrade brings it to running VMs without a reimage
      userData: releaseUserData({ slot: s, services: services.map((svc) => serviceBoot(plan, svc, s)) }),
      // a service's slot may bring its own image, and be parked; a pool's VMs share the pool's
      image: placement.kind === 'service' ? placement.services[0].slots[s].image : undefined,
      parked: placement.kind === 'service' ? placement.services[0].slots[s].parked : undefined,
      // the slot's OS patch label: a change resolves its image's newest version again (docs/patching.md)
      osPatch: placement.osPatch[s],
      extensions: [
        ...(certificates.length > 0 ? [keyVaultExtension({ vaultName: names.keyVault, certificates, identityClientId: clientId(s) })] : []),
        // the Azure Monitor Agent, signed in as the slot's identity
        ...(monitoring ? [monitorAgentExtension(slotIdentity(plan, placement.part, s).id)] : []),
      ],
      // what the lock file records for this scale set (the same key the synth's lock check uses)
      fixedSettings: plan.fixedSettings?.[`${placement.label}/${s}`],
    });

    const monitoring = monitoringOf(plan);
    const pair = new SlotPair(this, 'Default', {
      resourceGroupName,
      location: env.region,
      label: placement.label,
      subnetId: subnetId(subnet.name),
      frontendSubnetId: subnetId(plan.ips.loadBalancers.name),
      zones: plan.zones,
      vmSize: placement.vmSize,
      capacity: placement.capacity,
      profiles: planProfiles(placement.capacity, placement.autoscale.schedules),
      cpu: placement.autoscale.cpu,
      customMetric: placement.autoscale.customMetric,
      predictive: placement.autoscale.predictive,
      notifyEmails: placement.autoscale.notifyEmails,
      upgrade: placement.upgrade,
      orchestration: placement.orchestration,
      image: placement.image,
      adminUsername: env.admin.username,
      sshPublicKeys: env.admin.sshPublicKeys,
      entraIdLogin: env.admin.entraIdLogin,
      slots: { blue: slot('blue'), green: slot('green') },
      tags,
    });
    this.slots = pair.slots;
    if (monitoring) {
      // Azure associates a rule with each VM of a Flexible scale set, never the set: a policy does it
      // for every VM that appears in the group (lib/monitor/vm-association-policy.ts)
      if (placement.orchestration === 'Flexible') {
        new VmAssociationPolicy(this, 'vm-monitoring', { environment: env.name, resourceGroupId: group.id, location: env.region, ruleId: monitoring.dataCollectionRuleIds.vms, scaleSets: SLOT_NAMES.map((s) => pair.slots[s].scaleSet.resource) });
      }
      for (const s of SLOT_NAMES) {
        if (placement.orchestration !== 'Flexible') dataCollectionRuleAssociation(this, `${s}-monitoring`, { scaleSetId: pair.slots[s].scaleSet.scaleSetId, ruleId: monitoring.dataCollectionRuleIds.vms, name: 'dcra-vms' });
        const r = pair.slots[s];
        const parked = placement.kind === 'service' && placement.services[0].slots[s].parked !== undefined;
        scaleSetAlerts(this, s, { plan, monitoring, resourceGroupName, watched: { label: `${placement.label}-${s}`, loadBalancerId: r.loadBalancer.loadBalancerId, autoscaleSettingId: r.autoscale.autoscaleSettingId, capacityMax: placement.capacity.max, parked } });
      }
      this.sendDiagnostics();
    }
  }
}
