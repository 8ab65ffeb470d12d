/**
 * A private DNS zone per region for the front's domain (docs/regions.md#private-dns-per-region):
 * callers in a region resolve each service's host name to their own region's front, which moves
 * traffic between regions at run time, so a shift between regions changes no record. A service
 * the region's front does not serve resolves to the front of the first region that does (its
 * callers reach it over the peering, admitted by that front's NSG).
 *
 * Checked in azurerm v4.55.0 (internal/services/privatedns): the zone's `name` and
 * `resource_group_name`, the link's `name`, `private_dns_zone_name`, `resource_group_name` and
 * `virtual_network_id`, and the record's `name`, `zone_name` and `resource_group_name` force a new
 * resource; a record's `ttl` and `records` (at most 20) change in place. Azure refuses to delete a
 * zone that still has a VNet link, and the provider deletes none first: the link and records
 * refer to the zone by reference, so Terraform destroys them before it. A VNet can be linked to
 * one zone of a name only ("A virtual network cannot be linked to multiple zones with overlapping
 * namespaces"), so the zone is opt-in (`front.privateDnsZone`); each region's zone has the same
 * name in its own resource group, which Azure allows, and peering shares no zone link, so each
 * VNet resolves its own region's zone.
 */
import { PrivateDnsARecord, PrivateDnsZone, PrivateDnsZoneVirtualNetworkLink } from '../runtime/azurerm';
import { Construct } from 'constructs';
import type { EnvironmentPlan, RegionLink } from '../spec/plan';
import { servedHosts } from '../spec/plan';
import { frontDomain } from './model';

/**
 * Seconds a resolver may keep a record. A record changes only when a service starts or stops
 * being served in a region (never for a traffic move, which the fronts make), and then both
 * addresses serve it while caches expire: a minute keeps the cross-region detour short.
 */
export const FRONT_DNS_TTL_SECONDS = 60;

/** One A record of the zone: its name relative to the zone ('@' for the domain itself) and the front it names. */
export interface FrontDnsRecord {
  readonly name: string;
  readonly address: string;
  /** The region whose front it names. */
  readonly region: string;
}

/** The zone a region's front stack makes: its records, and the host names outside the domain (no record). */
export interface FrontDnsPlan {
  readonly zone: string;
  readonly records: readonly FrontDnsRecord[];
  readonly outside: readonly string[];
}

/**
 * The records of a region's zone (pure): every host name any region's front serves, pointing at
 * this region's front when it serves it, else at the first region's (in `otherRegions` order)
 * that does. Sorted by name, so the records never depend on the order of the spec's lists.
 */
export function frontDnsPlan(plan: EnvironmentPlan): FrontDnsPlan {
  const zone = frontDomain(plan);
  const self: Pick<RegionLink, 'name' | 'frontAddress' | 'hosts'> = plan.regions?.self ?? { name: plan.env.region, frontAddress: plan.ips.frontFrontendIp, hosts: servedHosts(plan) };
  const others = [...(plan.regions?.others ?? [])].sort((a, b) => a.index - b.index);
  const regions = [self, ...others];
  const hosts = [...new Set(regions.flatMap((r) => r.hosts))].sort();
  const records: FrontDnsRecord[] = [];
  const outside: string[] = [];
  for (const host of hosts) {
    if (host !== zone && !host.endsWith(`.${zone}`)) {
      outside.push(host);
      continue;
    }
    const by = regions.find((r) => r.hosts.includes(host))!;
    records.push({ name: host === zone ? '@' : host.slice(0, -(zone.length + 1)), address: by.frontAddress, region: by.name });
  }
  return { zone, records: records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), outside };
}

/** Props of {@link FrontPrivateDns}. */
export interface FrontPrivateDnsProps {
  /** The front's resource group, which holds the zone, its link and records. */
  readonly resourceGroupName: string;
  /** This region's VNet (static ID), the one VNet the zone is linked to. */
  readonly virtualNetworkId: string;
  /** The link's name. */
  readonly linkName: string;
  readonly dns: FrontDnsPlan;
  /** @default - none */
  readonly tags?: Record<string, string>;
}

/** The zone, its link to this region's VNet (no auto-registration), and an A record per host. */
export class FrontPrivateDns extends Construct {
  /** The zone. */
  public readonly zone: PrivateDnsZone;

  constructor(scope: Construct, id: string, props: FrontPrivateDnsProps) {
    super(scope, id);
    const { resourceGroupName, tags } = props;
    this.zone = new PrivateDnsZone(this, 'zone', { name: props.dns.zone, resourceGroupName, tags });
    new PrivateDnsZoneVirtualNetworkLink(this, 'link', { name: props.linkName, resourceGroupName, privateDnsZoneName: this.zone.name, virtualNetworkId: props.virtualNetworkId, registrationEnabled: false, tags });
    for (const r of props.dns.records) {
      // keyed by the record's name ('.' cannot be in a host label's characters, so '_' keeps them apart)
      new PrivateDnsARecord(this, r.name === '@' ? 'apex' : `a-${r.name.replace(/\./g, '_')}`, { name: r.name, zoneName: this.zone.name, resourceGroupName, ttl: FRONT_DNS_TTL_SECONDS, records: [r.address], tags });
    }
  }
}
