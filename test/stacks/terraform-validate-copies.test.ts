/**
 * The two rewrites `npm run test:terraform` validates (scripts/terraform-validate-copies.js): the
 * 5.0 renames keep each value's meaning, and resolving references leaves none in the example, each
 * replaced by a value of the shape Azure returns. The real provider runs in npm run test:terraform;
 * this checks the rewrites themselves, so a wrong rewrite cannot hide a finding.
 */
import { exampleSpec, exampleStacks, synthStacks } from '../helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { to52, concretize } = require('../../scripts/terraform-validate-copies.js') as {
  to52: (json: unknown) => [Record<string, any>, string[]];
  concretize: (json: unknown) => [Record<string, any>, number, string[]];
};

const stacks: Record<string, Record<string, any>> = {};
beforeAll(() => {
  for (const [name, text] of Object.entries(exampleStacks())) stacks[name] = JSON.parse(text);
});

// a subscription (the quota reader's grant), a resource group, or a resource under one
const ARM_ID = /^\/subscriptions\/[0-9a-f-]{36}(\/resourceGroups\/[A-Za-z0-9._()-]+(\/providers\/[A-Za-z.]+\/[A-Za-z]+\/[^/]+(\/[A-Za-z/]+\/[^/]+)*)?)?$/;

test('to52: each 4.55 name 5.0 removed becomes its 5.x form with the same meaning, nothing else changes', () => {
  const [front, done] = to52(stacks['retail-front']);
  const vmss = Object.values(front.resource.azurerm_linux_virtual_machine_scale_set)[0] as any;
  const before = Object.values(stacks['retail-front'].resource.azurerm_linux_virtual_machine_scale_set)[0] as any;
  expect(before.automatic_os_upgrade_policy).toEqual({ enable_automatic_os_upgrade: true, disable_automatic_rollback: false });
  // disable=false is enabled=true: the 5.x name says the opposite
  expect(vmss.automatic_os_upgrade_policy).toEqual({ automatic_os_upgrade_enabled: true, automatic_rollback_enabled: true });
  for (const blob of Object.values(front.resource.azurerm_storage_blob) as any[]) {
    expect(blob.storage_account_name).toBeUndefined();
    expect(blob.storage_container_id).toMatch(/\/providers\/Microsoft\.Storage\/storageAccounts\/st[a-z0-9]+\/blobServices\/default\/containers\/front$/);
  }
  expect(done.length).toBe(2 + Object.keys(front.resource.azurerm_storage_blob).length);
  const [network] = to52(stacks['retail-network']);
  for (const [name, subnet] of Object.entries(network.resource.azurerm_subnet) as [string, any][]) {
    const was = stacks['retail-network'].resource.azurerm_subnet[name];
    expect(subnet.service_endpoint ?? []).toEqual((was.service_endpoints ?? []).map((service: string) => ({ service })));
  }
  // everything else is the synthesized JSON
  const [pricing, none] = to52(stacks['retail-svc-pricing']);
  expect(none).toEqual([]);
  expect(pricing).toEqual(stacks['retail-svc-pricing']);
});

test("to52: a private DNS record's zone name and group become the zone's ID (5.2's private_dns_zone_id), and concretize resolves it", () => {
  const spec = exampleSpec() as any;
  spec.front.privateDnsZone = true;
  const front = JSON.parse(synthStacks(spec)['retail-front']);
  const [copy, done] = to52(front);
  const records = Object.entries(copy.resource.azurerm_private_dns_a_record) as [string, any][];
  expect(records.length).toBe(3);
  for (const [name, r] of records) {
    const was = front.resource.azurerm_private_dns_a_record[name];
    expect(r.zone_name).toBeUndefined();
    expect(r.resource_group_name).toBeUndefined();
    expect(r.private_dns_zone_id).toBe(`/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/${was.resource_group_name}/providers/Microsoft.Network/privateDnsZones/${was.zone_name}`);
    expect(done).toContain(`azurerm_private_dns_a_record.${name}: zone_name + resource_group_name -> private_dns_zone_id`);
  }
  const [concrete, , unresolved] = concretize(copy);
  expect(unresolved).toEqual([]);
  for (const r of Object.values(concrete.resource.azurerm_private_dns_a_record) as any[]) expect(r.private_dns_zone_id).toBe('/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-front/providers/Microsoft.Network/privateDnsZones/retail.internal');
});

test('concretize: no reference is left in the example, each became a value of its shape', () => {
  for (const [name, json] of Object.entries(stacks)) {
    const [concrete, resolved, unresolved] = concretize(to52(json)[0]);
    expect({ name, unresolved }).toEqual({ name, unresolved: [] });
    expect(resolved).toBeGreaterThan(0);
    const text = JSON.stringify({ resource: concrete.resource, data: concrete.data });
    expect(text).not.toContain('${');
    // every *_id that was a reference is now an Azure resource ID (or a GUID for principals)
    const walk = (node: unknown, key = ''): void => {
      if (Array.isArray(node)) node.forEach((n) => walk(n, key));
      else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, k);
      else if (typeof node === 'string' && /(_id|_ids|scope)$/.test(key) && node.startsWith('/')) expect({ key, node, ok: ARM_ID.test(node) }).toEqual({ key, node, ok: true });
    };
    walk(concrete.resource);
  }
});

test('concretize: a subnet ID names its network and resource group; a probe ID sits under its load balancer', () => {
  const [pricing] = concretize(stacks['retail-svc-pricing']);
  const rule = Object.values(pricing.resource.azurerm_lb_rule)[0] as any;
  expect(rule.probe_id).toMatch(/^\/subscriptions\/[^/]+\/resourceGroups\/rg-retail-svc-pricing\/providers\/Microsoft\.Network\/loadBalancers\/lbi-retail-pricing-(blue|green)\/probes\/health-\d+$/);
  const [network] = concretize(stacks['retail-network']);
  const assoc = Object.values(network.resource.azurerm_subnet_network_security_group_association)[0] as any;
  expect(assoc.subnet_id).toMatch(/^\/subscriptions\/[^/]+\/resourceGroups\/rg-retail-network\/providers\/Microsoft\.Network\/virtualNetworks\/vnet-retail\/subnets\/snet-/);
  // literal strings are not touched
  expect(concretize({ resource: { x: { y: { name: 'literal', tags: { a: '$${not-a-ref}' } } } } })[0].resource.x.y).toEqual({ name: 'literal', tags: { a: '$${not-a-ref}' } });
});

test("concretize: a Flexible service's VM association policy: the assignment's ID under its group, its identity's principal a GUID", () => {
  const spec = exampleSpec();
  spec.services[2].orchestration = 'Flexible';
  const name = `retail-svc-${spec.services[2].name}`;
  const [flex, , unresolved] = concretize(JSON.parse(synthStacks(spec)[name]));
  expect(unresolved).toEqual([]);
  const remediation = Object.values(flex.resource.azurerm_resource_group_policy_remediation)[0] as any;
  expect(remediation.policy_assignment_id).toBe(`/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-${name}/providers/Microsoft.Authorization/policyAssignments/ase-dcr-vms`);
  const grants = Object.values(flex.resource.azurerm_role_assignment) as any[];
  expect(grants.filter((g) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(g.principal_id)).length).toBe(grants.length);
});
