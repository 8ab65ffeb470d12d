/**
 * Private DNS per region (front.privateDnsZone, docs/regions.md#private-dns-per-region): each
 * region's front stack has a zone of the front's domain linked to its own VNet, with a record per
 * host name pointing at its own front where it serves the service, else at the first region's
 * front that does; a traffic move between regions changes no record.
 */
import { validateEnvironment } from '../../lib/spec/validate';
import { formatIssue } from '../../lib/spec/issues';
import { FRONT_DNS_TTL_SECONDS } from '../../lib/front/private-dns';
import { exampleSpec, synthStacks, type Json } from '../helpers';

const withDns = (more?: (s: Json) => void): Json => {
  const s = exampleSpec() as Json;
  s.front.privateDnsZone = true;
  more?.(s);
  return s;
};
const twoRegions = (s: Json) => {
  s.otherRegions = [{ name: 'northeurope', code: 'ne', addressSpace: '10.30.0.0/16' }];
  s.services[0].regions = ['westeurope', 'northeurope'];
};
const resources = (stacks: Record<string, string>, stack: string, type: string): Json[] => Object.values(JSON.parse(stacks[stack]).resource[type] ?? {}) as Json[];
const records = (stacks: Record<string, string>, stack: string) => Object.fromEntries(resources(stacks, stack, 'azurerm_private_dns_a_record').map((r) => [r.name, r.records]));
const frontIp = (stacks: Record<string, string>, stack: string) => resources(stacks, stack, 'azurerm_lb')[0].frontend_ip_configuration[0].private_ip_address;

const one = synthStacks(withDns());
const two = synthStacks(withDns(twoRegions));

test('one region: a zone of the front domain in the front stack, linked to the VNet without registration, a record per service the front routes', () => {
  const [zone] = resources(one, 'retail-front', 'azurerm_private_dns_zone');
  expect(zone).toMatchObject({ name: 'retail.internal', resource_group_name: '${azurerm_resource_group.resource-group.name}' });
  const [link] = resources(one, 'retail-front', 'azurerm_private_dns_zone_virtual_network_link');
  expect(link).toMatchObject({
    name: 'link-vnet-retail',
    registration_enabled: false,
    virtual_network_id: '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-network/providers/Microsoft.Network/virtualNetworks/vnet-retail',
  });
  // the link and records refer to the zone, so Terraform destroys them first (Azure refuses to delete a zone with a link)
  expect(link.private_dns_zone_name).toMatch(/^\$\{azurerm_private_dns_zone\.[^.]+\.name\}$/);
  const ip = frontIp(one, 'retail-front');
  expect(records(one, 'retail-front')).toEqual({ catalog: [ip], 'order-processing': [ip], pricing: [ip] });
  for (const r of resources(one, 'retail-front', 'azurerm_private_dns_a_record')) expect(r).toMatchObject({ ttl: FRONT_DNS_TTL_SECONDS, zone_name: link.private_dns_zone_name });
  // off by default: the example has no zone
  const plain = synthStacks(exampleSpec());
  expect(resources(plain, 'retail-front', 'azurerm_private_dns_zone')).toEqual([]);
});

test("two regions: each region's zone names its own front for pricing; north's names west's front for the services only west serves", () => {
  const west = frontIp(two, 'retail-front');
  const north = frontIp(two, 'retail-ne-front');
  expect(west).not.toBe(north);
  expect(records(two, 'retail-front')).toEqual({ catalog: [west], 'order-processing': [west], pricing: [west] });
  expect(records(two, 'retail-ne-front')).toEqual({ catalog: [west], 'order-processing': [west], pricing: [north] });
  // the same zone name, each in its region's front group, linked to its region's VNet only
  expect(resources(two, 'retail-ne-front', 'azurerm_private_dns_zone')[0].name).toBe('retail.internal');
  expect(resources(two, 'retail-ne-front', 'azurerm_private_dns_zone_virtual_network_link')[0].virtual_network_id).toMatch(/\/resourceGroups\/rg-retail-ne-network\/providers\/Microsoft\.Network\/virtualNetworks\/vnet-retail-ne$/);
  // adding the region changed no record of the first region's zone
  expect(records(two, 'retail-front')).toEqual(records(one, 'retail-front'));
});

test('a traffic move between regions changes no record, and a service gaining a region moves its record there only', () => {
  const shifted = synthStacks(withDns((s) => {
    twoRegions(s);
    s.services[0].traffic.regions = { shares: { westeurope: 10, northeurope: 90 } };
  }));
  for (const stack of ['retail-front', 'retail-ne-front']) expect(resources(shifted, stack, 'azurerm_private_dns_a_record')).toEqual(resources(two, stack, 'azurerm_private_dns_a_record'));
  const catalogToo = synthStacks(withDns((s) => {
    twoRegions(s);
    s.services[2].regions = ['westeurope', 'northeurope'];
  }));
  expect(records(catalogToo, 'retail-ne-front').catalog).toEqual([frontIp(two, 'retail-ne-front')]);
  expect(records(catalogToo, 'retail-front')).toEqual(records(two, 'retail-front'));
});

test('a retired region: its zone names the other regions\' fronts, so its callers still reach every service', () => {
  const retired = synthStacks(withDns((s) => {
    twoRegions(s);
    s.otherRegions[0].retired = true;
  }));
  const west = frontIp(two, 'retail-front');
  expect(records(retired, 'retail-ne-front')).toEqual({ catalog: [west], 'order-processing': [west], pricing: [west] });
});

test('the domain must be a zone Azure accepts; a host outside it is a warning naming the host', () => {
  const check = (more: (s: Json) => void) => {
    const r = validateEnvironment(withDns(more));
    return r.ok ? { warnings: r.warnings.map(formatIssue) } : { problems: r.issues.map(formatIssue) };
  };
  expect(check((s) => (s.front.domain = 'retail'))).toEqual({ problems: ["front.domain: 'retail' has 1 label; a private DNS zone needs 2 to 34 (use a name such as 'retail.internal')"] });
  expect(check((s) => (s.front.domain = 'retail.core.windows.net'))).toEqual({ problems: ["front.domain: 'retail.core.windows.net' is under 'core.windows.net', a name Azure reserves: it refuses a private DNS zone there (use a domain of your own, e.g. the default <env>.internal)"] });
  expect(check((s) => (s.services[0].route = { hosts: ['pricing.retail.internal', 'prices.example.com'] }))).toEqual({
    warnings: [expect.stringContaining("services[0].route.hosts[1]: 'prices.example.com' is outside the front's domain 'retail.internal': the private DNS zone has no record for it")],
  });
  // without the zone, nothing is said
  const off = validateEnvironment({ ...withDns((s) => (s.front.domain = 'retail')), front: { ...withDns().front, domain: 'retail', privateDnsZone: false } });
  expect(off.ok).toBe(true);
});

test('a service by path prefix is reached at the domain itself (an apex record); addresses are keyed by record name, not list order', () => {
  const byPath = synthStacks(withDns((s) => (s.services[2].route = { pathPrefix: '/catalog/' })));
  const ip = frontIp(byPath, 'retail-front');
  expect(records(byPath, 'retail-front')).toEqual({ '@': [ip], 'order-processing': [ip], pricing: [ip] });
  const keys = (stacks: Record<string, string>) => Object.keys(JSON.parse(stacks['retail-front']).resource.azurerm_private_dns_a_record).sort();
  const reversed = synthStacks(withDns((s) => s.services.reverse()));
  expect(keys(reversed)).toEqual(keys(one));
  expect(JSON.parse(reversed['retail-front']).resource.azurerm_private_dns_a_record).toEqual(JSON.parse(one['retail-front']).resource.azurerm_private_dns_a_record);
});
