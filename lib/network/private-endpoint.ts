/**
 * PrivateLink: a private endpoint for one resource, in a subnet made for private endpoints, with
 * the private DNS zone that makes the resource's public name resolve to the endpoint inside the
 * linked VNet. Translation only: names and IDs come from the plan.
 *
 * How names resolve: once a resource has a private endpoint, Azure's public DNS answers its name
 * (`kv-x.vault.azure.net`) with a CNAME to the `privatelink.` zone (`kv-x.privatelink.vaultcore.azure.net`).
 * A VNet linked to a private zone of that name, using Azure's resolver (168.63.129.16, the default),
 * gets the endpoint's private address; everyone else follows the CNAME to the public address,
 * where the resource's own firewall decides. A VNet with custom DNS servers must forward the
 * `privatelink.` zone to Azure's resolver.
 */
import { PrivateDnsZone, PrivateDnsZoneVirtualNetworkLink, PrivateEndpoint } from '../runtime/azurerm';
import { Construct } from 'constructs';

/** Props of {@link PrivateLink}. */
export interface PrivateLinkProps {
  /** The resource group of the endpoint, its DNS zone and the zone's VNet link. */
  readonly resourceGroupName: string;
  /** The VNet's region: a private endpoint lives in its subnet's region. */
  readonly location: string;
  /** The private endpoint's name (also names its connection, DNS zone group and NIC). */
  readonly name: string;
  /** The subnet the endpoint takes its address from (static ID). */
  readonly subnetId: string;
  /** The VNet linked to the DNS zone (static ID). */
  readonly virtualNetworkId: string;
  /** The resource the endpoint connects to. */
  readonly resourceId: string;
  /** The resource's sub-resource, e.g. 'vault' for a Key Vault, 'blob' for a storage account. */
  readonly subresource: string;
  /** The private DNS zone for that sub-resource, e.g. 'privatelink.vaultcore.azure.net'. */
  readonly dnsZoneName: string;
  /** @default - none */
  readonly tags?: Record<string, string>;
}

/** A private endpoint with its private DNS zone, linked to the VNet whose VMs use it. */
export class PrivateLink extends Construct {
  /** The private endpoint. */
  public readonly endpoint: PrivateEndpoint;
  /** The private DNS zone. */
  public readonly dnsZone: PrivateDnsZone;

  constructor(scope: Construct, id: string, props: PrivateLinkProps) {
    super(scope, id);
    const common = { resourceGroupName: props.resourceGroupName, tags: props.tags };
    this.dnsZone = new PrivateDnsZone(this, 'dns-zone', { ...common, name: props.dnsZoneName });
    const zoneName = this.dnsZone.name;
    new PrivateDnsZoneVirtualNetworkLink(this, 'dns-link', {
      ...common,
      name: `${props.name}-vnet`,
      privateDnsZoneName: zoneName,
      virtualNetworkId: props.virtualNetworkId,
      registrationEnabled: false,
    });
    this.endpoint = new PrivateEndpoint(this, 'endpoint', {
      ...common,
      name: props.name,
      location: props.location,
      subnetId: props.subnetId,
      customNetworkInterfaceName: `${props.name}-nic`,
      privateServiceConnection: { name: props.name, isManualConnection: false, privateConnectionResourceId: props.resourceId, subresourceNames: [props.subresource] },
      // the zone group writes the endpoint's A record into the zone, and removes it with the endpoint
      privateDnsZoneGroup: { name: 'default', privateDnsZoneIds: [this.dnsZone.id] },
    });
  }
}
