/**
 * The nginx front (`<env>-front`): its scale set and internal load balancer with the static
 * frontend every caller keeps, and the blobs its VMs pull: the nginx config (structure) and the
 * routing table (traffic). A swap, a ramp step or a rule change changes only the routing-table
 * blob, so a swap PR deploys only this stack, and within it only that blob.
 */
import type { Construct } from 'constructs';
import { NginxFront } from '../front/nginx-front';
import { FrontPrivateDns, frontDnsPlan } from '../front/private-dns';
import { frontRoutingTable, renderFrontConf } from '../front/model';
import { azureIds } from '../core/azure-ids';
import { routingTableJson } from '../slots/traffic';
import { PLATFORM_PARTS } from '../spec/names';
import { dataCollectionRuleAssociation, monitorAgentExtension, monitoringOf } from '../monitor/monitoring';
import { scaleSetAlerts } from '../monitor/metric-alerts';
import type { EnvironmentPlan } from '../spec/plan';
import { AutoscaleSchema } from '../spec/schema';
import { EnvironmentStack } from './environment-stack';
import { frontIdentity } from './identities-stack';
import { DataAzurermUserAssignedIdentity } from '../runtime/azurerm';

/** `<env>-front`: the NginxFront, its config and routing table rendered from the plan. */
export class FrontStack extends EnvironmentStack {
  /** The front. */
  public readonly front: NginxFront;

  constructor(scope: Construct, plan: EnvironmentPlan) {
    // the blobs are written with Entra ID: the store has no shared keys
    super(scope, plan, PLATFORM_PARTS.front, { storageUseAzuread: true });
    const { env, names, ips } = plan;
    const resourceGroupName = this.resourceGroup(PLATFORM_PARTS.front).name;
    const networkRg = names.resourceGroup(PLATFORM_PARTS.network);
    const subnetId = (subnet: string) => azureIds.subnet(env.subscriptionId, networkRg, names.virtualNetwork, subnet);
    const name = `${env.name}-front`;
    const f = env.front;
    // the identity and its Key Vault grant come from the identities stack, applied before this one
    const id = frontIdentity(plan);
    const monitoring = monitoringOf(plan);
    const identity = new DataAzurermUserAssignedIdentity(this, 'identity', { name: id.name, resourceGroupName: id.resourceGroupName });
    this.front = new NginxFront(this, 'front', {
      name,
      resourceGroupName,
      location: env.region,
      subnetId: subnetId(ips.front.name),
      frontendSubnetId: subnetId(ips.loadBalancers.name),
      frontendIp: ips.frontFrontendIp,
      ports: f.tlsCertificate ? f.ports : { http: f.ports.http },
      vmSize: f.vmSize,
      capacity: f.capacity,
      upgrade: f.upgrade,
      cpu: AutoscaleSchema.parse({}).cpu,
      zones: plan.zones,
      adminUsername: env.admin.username,
      sshPublicKeys: env.admin.sshPublicKeys,
      nginxConf: renderFrontConf(plan),
      routingTable: routingTableJson(frontRoutingTable(plan)),
      storeName: names.frontStore,
      deployer: env.deployer,
      pollSeconds: f.tablePollSeconds,
      identity: { id: id.id, principalId: identity.principalId, clientId: identity.clientId },
      tls: f.tlsCertificate ? { vaultName: names.keyVault, certificate: f.tlsCertificate } : undefined,
      fixedSettings: plan.fixedSettings?.front,
      // the Azure Monitor Agent, signed in as the front's identity (docs/monitoring.md)
      extensions: monitoring ? [monitorAgentExtension(id.id)] : undefined,
      tags: plan.tags,
    });
    // each region's zone for the front's domain, linked to its VNet only (docs/regions.md)
    if (f.privateDnsZone) {
      new FrontPrivateDns(this, 'dns', {
        resourceGroupName,
        virtualNetworkId: azureIds.virtualNetwork(env.subscriptionId, networkRg, names.virtualNetwork),
        linkName: `link-${names.virtualNetwork}`,
        dns: frontDnsPlan(plan),
        tags: plan.tags,
      });
    }
    if (monitoring) {
      dataCollectionRuleAssociation(this, 'monitoring', { scaleSetId: this.front.scaleSet.scaleSetId, ruleId: monitoring.dataCollectionRuleIds.front, name: 'dcra-front' });
      scaleSetAlerts(this, 'front', { plan, monitoring, resourceGroupName, watched: { label: 'front', loadBalancerId: this.front.loadBalancer.loadBalancerId, autoscaleSettingId: this.front.autoscale.autoscaleSettingId, capacityMax: f.capacity.max } });
      this.sendDiagnostics();
    }
  }
}
