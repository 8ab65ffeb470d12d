/**
 * An environment in two regions (issue 15, docs/regions.md): the second region's stacks, built
 * from the same spec; the first region's stacks unchanged but for what must change (its front's
 * NSG rule, config and table); the peering; each front's peers and shares; and the spec errors.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCustomData } from '../../lib/compute/scale-set';
import { synthesize } from '../../lib/environment/synthesize';
import { validateEnvironment } from '../../lib/spec/validate';
import { formatIssue } from '../../lib/spec/issues';
import { exampleSpec, exampleStacks, synthStacks, tempDir, type Json } from '../helpers';

const twoRegions = (): Json => {
  const s = exampleSpec() as Json;
  s.otherRegions = [{ name: 'northeurope', code: 'ne', addressSpace: '10.30.0.0/16' }];
  s.services[0].regions = ['westeurope', 'northeurope'];
  s.services[0].traffic.regions = { shares: { westeurope: 90, northeurope: 10 } };
  return s;
};

const single = exampleStacks();
const stacks = synthStacks(twoRegions());
const json = (name: string): Json => JSON.parse(stacks[name]);
const blob = (stack: string, key: string): string => json(stack).resource.azurerm_storage_blob[key].source_content;
const table = (stack: string): Json => JSON.parse(blob(stack, 'front_routing-table'));

test("the second region's stacks: its network, vault, identities, monitoring, front and the services that run there; no state bootstrap", () => {
  const added = Object.keys(stacks).filter((s) => !(s in single)).sort();
  expect(added).toEqual(['retail-ne-front', 'retail-ne-identities', 'retail-ne-monitor', 'retail-ne-network', 'retail-ne-svc-pricing', 'retail-ne-vault']);
  const vnet = Object.values(json('retail-ne-network').resource.azurerm_virtual_network)[0] as Json;
  expect(vnet).toMatchObject({ name: 'vnet-retail-ne', location: 'northeurope', address_space: ['10.30.0.0/16'] });
  // the same block plan on the region's own space: pricing keeps block 1
  const subnets = Object.values(json('retail-ne-network').resource.azurerm_subnet) as Json[];
  expect(subnets.find((x) => x.name === 'snet-svc-pricing')!.address_prefixes[0].startsWith('10.30.')).toBe(true);
  const vmss = Object.values(json('retail-ne-svc-pricing').resource.azurerm_linux_virtual_machine_scale_set) as Json[];
  expect(vmss.map((v) => [v.name, v.location]).sort()).toEqual([['vmss-retail-ne-pricing-blue', 'northeurope'], ['vmss-retail-ne-pricing-green', 'northeurope']]);
  // tagged with the environment's name and the region
  expect(vmss[0].tags).toMatchObject({ environment: 'retail', 'ase-region': 'northeurope' });
});

test("the first region's stacks are unchanged but for its network (the other region's callers and front in its NSG) and its front (peers and shares)", () => {
  const changed = Object.keys(single).filter((s) => stacks[s] !== single[s]).sort();
  expect(changed).toEqual(['retail-front', 'retail-network']);
  const rules = (s: Record<string, string>) => Object.values(JSON.parse(s['retail-network']).resource.azurerm_network_security_rule) as Json[];
  const added = rules(stacks).filter((r) => !rules(single).some((o) => o.name === r.name && o.network_security_group_name === r.network_security_group_name));
  expect(added).toEqual([
    // callers in north's VNet, for a service only west's front serves (allowFrom 'vnet': the environment's VNets)
    expect.objectContaining({ name: 'allow-callers-from-other-regions', priority: 115, access: 'Allow', direction: 'Inbound', source_address_prefix: '10.30.0.0/16', destination_port_ranges: ['80', '443'] }),
    expect.objectContaining({ name: 'allow-fronts-of-other-regions', priority: 125, access: 'Allow', direction: 'Inbound', source_address_prefix: '10.30.0.0/24', destination_port_range: '80' }),
  ]);
});

test("the VNets are peered both ways, both sides in the second region's network stack", () => {
  const peerings = Object.values(json('retail-ne-network').resource.azurerm_virtual_network_peering) as Json[];
  const local = peerings.find((p) => p.name === 'peer-retail-ne-to-retail');
  const remote = peerings.find((p) => p.name === 'peer-retail-to-retail-ne');
  expect(peerings).toHaveLength(2);
  // this region's side on its own VNet (a reference: created after it), the first region's side by name
  expect(local).toMatchObject({ resource_group_name: '${azurerm_resource_group.resource-group.name}', remote_virtual_network_id: '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-retail-network/providers/Microsoft.Network/virtualNetworks/vnet-retail' });
  expect(local!.virtual_network_name).toMatch(/^\$\{azurerm_virtual_network\.[^.]+\.name\}$/);
  expect(remote).toMatchObject({ resource_group_name: 'rg-retail-network', virtual_network_name: 'vnet-retail' });
  expect(remote!.remote_virtual_network_id).toMatch(/^\$\{azurerm_virtual_network\.[^.]+\.id\}$/);
  for (const p of peerings) expect(p).toMatchObject({ allow_virtual_network_access: true, allow_forwarded_traffic: false, use_remote_gateways: false });
});

test("each front knows the other region's front, and serves its share of pricing: 90 % west, 10 % north", () => {
  const west = table('retail-front').services;
  const north = table('retail-ne-front').services;
  expect(west.pricing.regions).toEqual({ shares: { northeurope: 10 }, failover: true });
  expect(north.pricing.regions).toEqual({ shares: { westeurope: 90 }, failover: true });
  // a service in one region: no regions entry, and the other region's front does not serve it
  expect(west.catalog.regions).toBeUndefined();
  expect(Object.keys(north)).toEqual(['pricing']);
  const config = (stack: string) => blob(stack, 'front_config');
  expect(config('retail-front')).toContain('region__northeurope');
  expect(config('retail-ne-front')).toContain('region__westeurope');
  const northFrontIp = (Object.values(json('retail-ne-front').resource.azurerm_lb)[0] as Json).frontend_ip_configuration[0].private_ip_address;
  expect(config('retail-front')).toContain(`${northFrontIp}:80`);
  // the front VMs' custom data is the same agent in both regions, only its settings differ
  const custom = (stack: string) => decodeCustomData((Object.values(json(stack).resource.azurerm_linux_virtual_machine_scale_set)[0] as Json).custom_data);
  expect(custom('retail-ne-front')).toContain("CONTAINER_URL='https://stretailnefr");
});

test('without traffic.regions a service in two regions is served by its first region; the second is its warm standby', () => {
  const s = twoRegions();
  delete s.services[0].traffic.regions;
  const t = synthStacks(s);
  const tableOf = (stack: string) => JSON.parse(JSON.parse(t[stack]).resource.azurerm_storage_blob['front_routing-table'].source_content);
  expect(tableOf('retail-front').services.pricing.regions).toEqual({ shares: { northeurope: 0 }, failover: true });
  expect(tableOf('retail-ne-front').services.pricing.regions).toEqual({ shares: { westeurope: 100 }, failover: true });
});

test('spec errors name the field, all at once', () => {
  const s = twoRegions();
  s.otherRegions.push({ name: 'westeurope', code: 'ne', addressSpace: '10.20.128.0/17' }, { name: 'northeurop', code: 'n2', addressSpace: '10.30.0.0/16' });
  s.services[0].traffic.regions = { shares: { westeurope: 60, eastus: 30 } };
  s.services[1].retiredIn = ['eastus'];
  s.services[2].regions = ['northeurope'];
  s.services[2].retiredIn = ['northeurope'];
  const r = validateEnvironment(s);
  expect(r.ok).toBe(false);
  const issues = r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
  expect(issues).toEqual(
    expect.arrayContaining([
      "otherRegions[1].name: 'westeurope' is the environment's region already",
      "otherRegions[1].code: the code 'ne' is taken by otherRegions[0]",
      "otherRegions[1].addressSpace: '10.20.128.0/17' is a /17, network.addressSpace a /16",
      "otherRegions[2].name: unknown Azure region 'northeurop'",
      "otherRegions[2].addressSpace: '10.30.0.0/16' overlaps otherRegions[0].addressSpace '10.30.0.0/16'",
      "services[0].traffic.regions.shares.eastus: the service does not run in 'eastus' (its regions: 'westeurope', 'northeurope')",
      'services[0].traffic.regions.shares: the shares add up to 90, not 100',
      "services[1].retiredIn[0]: the service does not run in 'eastus' (its regions: 'westeurope')",
      'services[2].retiredIn: retires the service in every region it runs in',
    ]),
  );
  // a code whose names no longer fit: a 12-character environment and a 4-character code
  const long = twoRegions();
  long.name = 'retailstores';
  long.otherRegions[0].code = 'neu2';
  const l = validateEnvironment(long);
  expect(l.ok ? [] : l.issues.map((i) => i.path)).toContain('otherRegions[0].code');
});

test("each region keeps its own lock file (<file>.<code>.lock.json); dropping a region whose lock exists is refused, nothing written", () => {
  const dir = tempDir();
  try {
    const out = join(dir, 'cdktf.out');
    const first = synthesize([{ file: 'retail.ts', spec: twoRegions(), issues: [] }], out, { lockDir: dir });
    expect(first.ok).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.lock.json')).sort()).toEqual(['retail.lock.json', 'retail.ne.lock.json']);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'retail.ne.lock.json'), 'utf8')).scaleSets).sort()).toEqual(['front', 'pricing/blue', 'pricing/green']);
    // cdktf deploy runs the second region's network after the first's (its peering names that VNet)
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.stacks['retail-ne-network'].dependencies).toContain('retail-network');
    const before = readdirSync(join(out, 'stacks')).sort();
    const dropped = synthesize([{ file: 'retail.ts', spec: exampleSpec(), issues: [] }], out, { lockDir: dir });
    expect(dropped.ok).toBe(false);
    expect(dropped.problems).toEqual([expect.objectContaining({ file: 'retail.ne.lock.json' })]);
    expect(readdirSync(join(out, 'stacks')).sort()).toEqual(before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("each region's vCPU quotas", () => {
  const check = (regionQuotas: Record<string, number>) => {
    const s = twoRegions();
    s.otherRegions[0].quotas = regionQuotas;
    const r = validateEnvironment(s);
    return { problems: r.ok ? [] : r.issues.map(formatIssue), warnings: (r.ok ? r.warnings : []).map(formatIssue) };
  };

  test("a region's quotas are checked against what runs there: the services whose regions name it and its own front, not the first region's pools or services", () => {
    // west runs pricing, order-processing and catalog; north runs pricing (both slots at 12 max + 12 surge, 4 vCPUs each) and its front (6 + 2, 2 vCPUs)
    expect(check({ standardDSv5Family: 20 }).problems).toEqual([
      'otherRegions[0].quotas.standardDSv5Family: 208 vCPUs at peak in northeurope (pricing 48 × 4 + front 8 × 2) exceed the quota of 20 (request more quota, or lower capacity.max; the peak counts both slots at max plus one upgrade surge)',
    ]);
    // enough for north; the first region's quotas still hold the first region alone
    expect(check({ standardDSv5Family: 208 })).toEqual({ problems: [], warnings: [] });
  });

  test("a family a region's quotas do not list is a warning naming that region's field; no quotas for a region: not checked", () => {
    expect(check({ standardESv5Family: 10 }).warnings.sort()).toEqual([
      'front.vmSize: otherRegions (northeurope) quotas lists no standardDSv5Family: 208 vCPUs at peak in northeurope (pricing 48 × 4 + front 8 × 2) are not checked against a quota (add otherRegions[0].quotas.standardDSv5Family (az vm list-usage --location northeurope))',
      'services[0].vmSize: otherRegions (northeurope) quotas lists no standardDSv5Family: 208 vCPUs at peak in northeurope (pricing 48 × 4 + front 8 × 2) are not checked against a quota (add otherRegions[0].quotas.standardDSv5Family (az vm list-usage --location northeurope))',
    ]);
    expect(check({})).toEqual({ problems: [], warnings: [] });
  });
});

describe('retiring a region (otherRegions[].retired), the first of two changes', () => {
  const retiring = (): Json => {
    const s = twoRegions();
    s.otherRegions[0].retired = true;
    s.services[0].traffic.regions = { shares: { westeurope: 100, northeurope: 0 } };
    return s;
  };
  const after = synthStacks(retiring());
  const of = (name: string): Json => JSON.parse(after[name]);

  test("its services' stacks stay in the synth with no resources, so cdktf deploy destroys their scale sets; its other stacks stay", () => {
    expect(Object.keys(after).sort()).toEqual(Object.keys(stacks).sort());
    expect(of('retail-ne-svc-pricing').resource ?? {}).toEqual({});
    expect(Object.keys(of('retail-ne-network').resource.azurerm_virtual_network_peering)).toHaveLength(2);
    expect(Object.keys(JSON.parse(of('retail-ne-front').resource.azurerm_storage_blob['front_routing-table'].source_content).services)).toEqual([]);
  });

  test("no front forwards to it: the first region's table has no regions entry, its config no peer, its NSG no rule for the other front", () => {
    const west = JSON.parse(of('retail-front').resource.azurerm_storage_blob['front_routing-table'].source_content).services;
    expect(west.pricing.regions).toBeUndefined();
    expect(of('retail-front').resource.azurerm_storage_blob.front_config.source_content).not.toContain('region__northeurope');
    // the first region's network and table are a single region's again
    expect(after['retail-network']).toBe(single['retail-network']);
    expect(west).toEqual(JSON.parse(JSON.parse(single['retail-front']).resource.azurerm_storage_blob['front_routing-table'].source_content).services);
  });

  test('a share planned for a retired region is refused at its path', () => {
    const s = retiring();
    s.services[0].traffic.regions = { shares: { westeurope: 90, northeurope: 10 } };
    const r = validateEnvironment(s);
    expect(r.ok ? [] : r.issues.map(formatIssue)).toEqual([
      "services[0].traffic.regions.shares.northeurope: 'northeurope' is retired: it serves nothing, so no share can go there (move its share to the regions that stay (shift it first, in its own change, then retire the region))",
    ]);
  });
});

describe('capacity per region (services[].regionCapacity)', () => {
  const sized = (north: Json, more?: (s: Json) => void): Json => {
    const s = twoRegions();
    s.services[0].regionCapacity = { northeurope: north };
    more?.(s);
    return s;
  };
  const problems = (s: Json) => {
    const r = validateEnvironment(s);
    return r.ok ? [] : r.issues.map(formatIssue);
  };

  test("north runs pricing at its own counts: its scale sets and autoscale take them, its quota counts them; no other stack changes", () => {
    const out = synthStacks(sized({ min: 6, default: 6, max: 8 }));
    expect(Object.keys(out).filter((k) => out[k] !== stacks[k])).toEqual(['retail-ne-svc-pricing']);
    const settings = Object.values(JSON.parse(out['retail-ne-svc-pricing']).resource.azurerm_monitor_autoscale_setting) as Json[];
    expect(settings).toHaveLength(2);
    for (const a of settings) expect(a.profile.find((p: Json) => p.name === 'default').capacity).toEqual({ minimum: 6, default: 6, maximum: 8 });
    const vmss = Object.values(JSON.parse(out['retail-ne-svc-pricing']).resource.azurerm_linux_virtual_machine_scale_set) as Json[];
    for (const v of vmss) expect(v.instances).toBe(6);
    // both slots at 8 + 2 surge, 4 vCPUs each, and north's front (6 + 2, 2 vCPUs): 96
    const s = sized({ min: 6, default: 6, max: 8 });
    s.otherRegions[0].quotas = { standardDSv5Family: 95 };
    expect(problems(s)).toEqual([expect.stringContaining('otherRegions[0].quotas.standardDSv5Family: 96 vCPUs at peak in northeurope (pricing 20 × 4 + front 8 × 2) exceed the quota of 95')]);
  });

  test('the split: a region whose minimum cannot carry its share of the peak is refused at its share, naming the region and its counts', () => {
    const split = (west: number, north: number) =>
      sized({ min: 2, default: 2, max: 8 }, (s) => {
        s.services[0].upgrade = { peakLoadInstances: 3 };
        s.services[0].traffic.regions.shares = { westeurope: west, northeurope: north };
      });
    // 50 % of 3 is 1.5 instances: north's minimum of 2 carries it
    expect(problems(split(50, 50))).toEqual([]);
    expect(problems(split(10, 90))).toEqual([
      'services[0].traffic.regions.shares.northeurope: northeurope serves 90 % of the peak of 3 instances: 3 at its minimum, above its regionCapacity.northeurope.min 2 (raise regionCapacity.northeurope.min to 3, or move share to a region whose minimum carries it)',
    ]);
  });

  test("losing a region: with failover on, the regions left must carry the whole peak at their max; refused at that max, and allowed with failover off", () => {
    const lean = (failover: boolean) =>
      sized({ min: 5, default: 5, max: 6 }, (s) => {
        s.services[0].upgrade = { peakLoadInstances: 7 };
        s.services[0].traffic.regions = { shares: { westeurope: 40, northeurope: 60 }, failover };
      });
    expect(problems(lean(true))).toEqual([
      "services[0].regionCapacity.northeurope.max: losing westeurope fails its 40 % over to northeurope: the whole peak of 7 instances, above regionCapacity.northeurope.max 6 (raise regionCapacity.northeurope.max to carry 7, or set traffic.regions.failover: false (a lost region's share then fails))",
    ]);
    expect(problems(lean(false))).toEqual([]);
  });

  test('regionCapacity mistakes name the field, all at once', () => {
    const s = sized({ min: 5, default: 4, max: 4 });
    s.services[0].regionCapacity.westeurope = { min: 2, default: 2, max: 4 };
    s.services[0].regionCapacity.southcentralus = { min: 2, default: 2, max: 4 };
    s.services[1].regionCapacity = { northeurope: { min: 2, default: 2, max: 4 } };
    s.services[0].regionCapacity.northeurope.extra = 1;
    // a field the schema refuses: the other regions' entries are still checked
    expect(problems(s)).toEqual(expect.arrayContaining([
      'services[0].regionCapacity.northeurope.extra: unknown field (allowed here: min, default, max)',
      "services[0].regionCapacity.westeurope: 'westeurope' is the environment's region, whose counts are capacity (set capacity for the first region; regionCapacity is for the others)",
      "services[0].regionCapacity.southcentralus: the service does not run in 'southcentralus' (its regions: 'westeurope', 'northeurope') (name one of its other regions, or add this one to its regions)",
    ]));
    delete s.services[0].regionCapacity.northeurope.extra;
    expect(problems(s).sort()).toEqual([
      "services[0].regionCapacity.northeurope.default: 4 is below min 5 (min <= default <= max)",
      "services[0].regionCapacity.northeurope.max: 4 is below autoscale.schedules[0] (business-hours)'s min 6, which applies in every region (raise it to 6, or lower the window's min)",
      "services[0].regionCapacity.northeurope.min: 5 is above max 4 (min <= default <= max)",
      "services[0].regionCapacity.southcentralus: the service does not run in 'southcentralus' (its regions: 'westeurope', 'northeurope') (name one of its other regions, or add this one to its regions)",
      "services[0].regionCapacity.westeurope: 'westeurope' is the environment's region, whose counts are capacity (set capacity for the first region; regionCapacity is for the others)",
      "services[1].regionCapacity.northeurope: the service does not run in 'northeurope' (its regions: 'westeurope') (name one of its other regions, or add this one to its regions)",
    ]);
  });

  test("a region's max must fit the service's block, whose size is the same in every region", () => {
    expect(problems(sized({ min: 6, default: 6, max: 400 }))).toEqual([expect.stringMatching(/^services\[0\]\.regionCapacity\.northeurope\.max: 2 slots × \(400 instances \+ 80 upgrade surge\) need \d+ addresses; a \/\d+ subnet holds \d+ \(lower regionCapacity\.northeurope\.max, /)]);
  });
});

describe('a service only outside the first region, and leaving a region (services[].retiredIn)', () => {
  const northOnly = (): Json => {
    const s = twoRegions();
    s.services[2].regions = ['northeurope'];
    return s;
  };
  const out = synthStacks(northOnly());
  const of = (name: string): Json => JSON.parse(out[name]);
  const tableOf = (o: Record<string, string>, stack: string) => JSON.parse(JSON.parse(o[stack]).resource.azurerm_storage_blob['front_routing-table'].source_content).services;

  test("catalog in north only: its scale sets and subnet in north's stacks, none in the first region's; north's front serves it, west's does not", () => {
    expect(Object.keys(out)).toContain('retail-ne-svc-catalog');
    expect(Object.keys(out)).not.toContain('retail-svc-catalog');
    const subnets = (stack: string) => (Object.values(of(stack).resource.azurerm_subnet) as Json[]).map((x) => x.name);
    expect(subnets('retail-ne-network')).toContain('snet-svc-catalog');
    expect(subnets('retail-network')).not.toContain('snet-svc-catalog');
    expect(Object.keys(tableOf(out, 'retail-ne-front'))).toEqual(expect.arrayContaining(['catalog', 'pricing']));
    expect(tableOf(out, 'retail-front').catalog).toBeUndefined();
    // its block is still the environment's: the first region's services keep theirs, and its subnet in north has its block's range
    const north = (Object.values(of('retail-ne-network').resource.azurerm_subnet) as Json[]).find((x) => x.name === 'snet-svc-catalog')!;
    const single = (Object.values(JSON.parse(stacks['retail-network']).resource.azurerm_subnet) as Json[]).find((x) => x.name === 'snet-svc-catalog')!;
    expect(north.address_prefixes[0].replace(/^10\.30\./, '10.20.')).toBe(single.address_prefixes[0]);
  });

  test('with the private DNS zones, west resolves catalog to north\'s front, and west\'s front NSG admits callers from north', () => {
    const s = northOnly();
    s.front.privateDnsZone = true;
    const dns = synthStacks(s);
    const ip = (stack: string) => (Object.values(JSON.parse(dns[stack]).resource.azurerm_lb) as Json[])[0].frontend_ip_configuration[0].private_ip_address;
    const records = (stack: string) => Object.fromEntries((Object.values(JSON.parse(dns[stack]).resource.azurerm_private_dns_a_record) as Json[]).map((r) => [r.name, r.records[0]]));
    expect(records('retail-front').catalog).toBe(ip('retail-ne-front'));
    expect(records('retail-ne-front').catalog).toBe(ip('retail-ne-front'));
    const rules = (Object.values(JSON.parse(dns['retail-network']).resource.azurerm_network_security_rule) as Json[]).map((r) => r.name);
    expect(rules).toContain('allow-callers-from-other-regions');
  });

  test("leaving a region: retiredIn empties the service's stacks there and its table entries stop sending there; a share there is refused", () => {
    const s = twoRegions();
    s.services[0].retiredIn = ['northeurope'];
    s.services[0].traffic.regions = { shares: { westeurope: 100, northeurope: 0 } };
    const leaving = synthStacks(s);
    expect(JSON.parse(leaving['retail-ne-svc-pricing']).resource ?? {}).toEqual({});
    expect(tableOf(leaving, 'retail-front').pricing.regions).toBeUndefined();
    expect(tableOf(leaving, 'retail-ne-front').pricing).toBeUndefined();
    // the first region's stacks are a single region's again but for the region's peering rules
    expect(leaving['retail-svc-pricing']).toBe(single['retail-svc-pricing']);
    s.services[0].traffic.regions = { shares: { westeurope: 90, northeurope: 10 } };
    const r = validateEnvironment(s);
    expect(r.ok ? [] : r.issues.map(formatIssue)).toEqual([
      "services[0].traffic.regions.shares.northeurope: the service is retired in 'northeurope' (retiredIn): it serves nothing there, so no share can go there (move its share to its other regions (shift it first, in its own change, then retire it there))",
    ]);
  });

  test('leaving the first region: the service is retired in its first region\'s stacks, which stay empty, and north serves it alone', () => {
    const s = twoRegions();
    s.services[0].retiredIn = ['westeurope'];
    s.services[0].traffic.regions = { shares: { westeurope: 0, northeurope: 100 } };
    const moved = synthStacks(s);
    expect(JSON.parse(moved['retail-svc-pricing']).resource ?? {}).toEqual({});
    expect(tableOf(moved, 'retail-front').pricing).toBeUndefined();
    expect(tableOf(moved, 'retail-ne-front').pricing.regions).toBeUndefined();
  });
});

test("taking a service out of a region is two changes, as retiring one is: dropped from regions at once is refused by that region's lock; retiredIn first, then drop it", () => {
  const dir = tempDir();
  try {
    const out = join(dir, 'cdktf.out');
    const synth = (spec: Json) => synthesize([{ file: 'retail.ts', spec, issues: [] }], out, { lockDir: dir });
    expect(synth(twoRegions()).ok).toBe(true);
    const without = twoRegions();
    without.services[0].regions = ['westeurope'];
    delete without.services[0].traffic.regions;
    const atOnce = synth(without);
    expect(atOnce.ok).toBe(false);
    expect(atOnce.ok ? [] : atOnce.problems.map((p) => [p.file, p.issues.map(formatIssue)])).toEqual([
      [
        'retail.ts',
        [
          "services[0].regions: service 'pricing' no longer runs in northeurope, but that region's lock file records it as running there and never as retired: its stack there would leave the synth with its scale sets in it (take it out of the region in two steps: 1. keep 'northeurope' in regions, add it to services[0].retiredIn and deploy (its stack there is emptied, no front routes to it there); 2. remove it from both lists in a later change)",
        ],
      ],
    ]);
    // step one: retired there (its scale sets destroyed by the deploy), recorded as retired in north's lock
    const step1 = twoRegions();
    step1.services[0].retiredIn = ['northeurope'];
    step1.services[0].traffic.regions = { shares: { westeurope: 100, northeurope: 0 } };
    expect(synth(step1).ok).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'retail.ne.lock.json'), 'utf8')).retired).toEqual(['pricing']);
    // step two: out of both lists
    expect(synth(without).ok).toBe(true);
    // the first region too: pricing moves to north alone
    expect(synth(twoRegions()).ok).toBe(true);
    const northOnly = twoRegions();
    northOnly.services[0].regions = ['northeurope'];
    delete northOnly.services[0].traffic.regions;
    const moved = synth(northOnly);
    expect(moved.ok ? [] : moved.problems.flatMap((p) => p.issues.map((i) => `${p.file}: ${i.path}`))).toEqual(['retail.ts: services[0].regions']);
    const leave = twoRegions();
    leave.services[0].retiredIn = ['westeurope'];
    leave.services[0].traffic.regions = { shares: { westeurope: 0, northeurope: 100 } };
    expect(synth(leave).ok).toBe(true);
    expect(synth(northOnly).ok).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
