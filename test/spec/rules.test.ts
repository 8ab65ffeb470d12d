/**
 * Validation by concern (lib/spec/rules/<concern>.ts): every rule is a pure function of the
 * leniently parsed spec, and no rule depends on another having passed. One mutation per rule of
 * the example spec; each is reported alone, by the rule named, and again with the same path and
 * message when every other mutation (and a type error elsewhere, so the rules read the lenient
 * parse) is in the same spec.
 */
import { checkRawInput } from '../../lib/spec/raw-input';
import { EnvironmentSchema } from '../../lib/spec/schema';
import { RULES, validateEnvironment } from '../../lib/spec/validate';
import { specView } from '../../lib/spec/rules/view';
import { exampleSpec, type Json } from '../helpers';
import { PROVIDER_FEATURES } from '../../lib/runtime/provider';

interface Mutation {
  /** The rules (by function name) that report it. */
  readonly rules: readonly string[];
  readonly mutate: (s: Json) => void;
  /** The paths reported alone. */
  readonly paths: readonly string[];
  /** Mutations that change a value this one's rules read (the address plan's basis): left out of its combined spec. */
  readonly conflicts?: readonly string[];
}

const artifact = (service: string, v: string) => ({ url: `https://stretailreleases.blob.core.windows.net/releases/${service}/${v}.tar.gz`, sha256: 'a'.repeat(64) });
const pool = (name: string, block: number) => ({ name, block, vmSize: 'Standard_F8s_v2', capacity: { min: 2, default: 2, max: 4 } });

const MUTATIONS: Record<string, Mutation> = {
  'inline secret': { rules: ['validateNoInlineSecrets'], mutate: (s) => (s.services[2].settings = { CA: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' }), paths: ['services[2].settings.CA'] },
  'import file on a self-signed certificate': { rules: ['validateCertificates'], mutate: (s) => (s.keyVault.certificates[0].importFrom = { path: '/secure/front.pem' }), paths: ['keyVault.certificates[0].importFrom'] },
  'unknown region': { rules: ['validateRegion'], mutate: (s) => (s.region = 'westeurop'), paths: ['region'] },
  // refused by the bindings' provider version on cdktf; on CDK Terrain (which accepts it) by a second region that lacks it
  'a StandardV2 NAT gateway': {
    rules: ['validateNatGateway'],
    mutate: (s) => {
      s.network.natGateway = { sku: 'StandardV2' };
      if (PROVIDER_FEATURES.natGatewaySkus.includes('StandardV2')) s.otherRegions = [{ name: 'canadaeast', code: 'ce', addressSpace: '10.30.0.0/16' }];
    },
    paths: ['network.natGateway.sku'],
    // on CDK Terrain its second region would replace theirs
    conflicts: PROVIDER_FEATURES.natGatewaySkus.includes('StandardV2') ? ['another region of another size than the first', 'a region left that cannot carry a lost one'] : undefined,
  },
  'a suppression of a rule the pack does not have': { rules: ['validatePolicySuppressions'], mutate: (s) => (s.policy = { suppressions: [{ rule: 'ASE-NET-901', resource: 'retail-network:azurerm_subnet.x', reason: 'a reason long enough to pass' }] }), paths: ['policy.suppressions[0].rule'] },
  'short RSA key': { rules: ['validateSshKeys'], mutate: (s) => s.admin.sshPublicKeys.push(SHORT_RSA_KEY), paths: ['admin.sshPublicKeys[1]'] },
  'reserved admin name': { rules: ['validateAdminUsername'], mutate: (s) => (s.admin.username = 'root'), paths: ['admin.username'] },
  'private deployer range': { rules: ['validateDeployerRanges'], mutate: (s) => (s.deployer.ipRanges = ['10.1.0.0/16']), paths: ['deployer.ipRanges[0]'] },
  'Entra ID login on a Flexible scale set': {
    rules: ['validateEntraIdLogin'],
    mutate: (s) => {
      s.admin.entraIdLogin = { adminGroupObjectId: '2a4c6e8f-1b3d-4f5a-8c7e-9d0b1a2c3e4f' };
      s.services[1].orchestration = 'Flexible';
    },
    paths: ['services[1].orchestration'],
  },
  'tag names that differ in case': { rules: ['validateTags'], mutate: (s) => (s.tags.Owner = 'someone'), paths: ['tags.Owner'] },
  'a resource group template without {part}': { rules: ['validateEnvironmentNames'], mutate: (s) => (s.resourceGroupName = 'rg-{env}'), paths: ['resourceGroupName'] },
  'two pools of one name, unused, and a retired service alone on a third': {
    rules: ['validatePoolNames', 'validatePools', 'validateRetirement'],
    mutate: (s) => {
      s.pools = [pool('batch', 20), pool('batch', 21), pool('spare', 22)];
      s.services.push({ name: 'reports', block: 23, pool: 'spare', retired: true, slots: { blue: { version: '1.0.0', artifact: artifact('reports', '1.0.0') }, green: { version: '1.0.0', artifact: artifact('reports', '1.0.0') } }, traffic: { live: 'blue' } });
    },
    paths: ['pools[0].name', 'pools[1].name', 'pools[1].name', 'pools[2].retired'],
  },
  'two endpoints of one name': { rules: ['validateServiceNames'], mutate: (s) => s.services[1].endpoints.internal.push({ name: 'gossip', port: 7947 }), paths: ['services[1].endpoints.internal[1].name'] },
  'host bits in the address space': { rules: ['validateAddressSpace'], mutate: (s) => (s.network.addressSpace = '10.20.0.1/16'), paths: ['network.addressSpace'], conflicts: ['a service too large for its subnet'] },
  'overlapping peer ranges': { rules: ['validateRanges'], mutate: (s) => (s.network.peerRanges = ['10.50.0.0/16', '10.50.1.0/24']), paths: ['network.peerRanges[1]'] },
  'a block taken twice': { rules: ['validateBlocks', 'validatePorts'], mutate: (s) => (s.services[2].block = 2), paths: ['services[2].block', 'services[2].block'] },
  'a service too large for its subnet': {
    rules: ['validateSubnetFits'],
    mutate: (s) => {
      s.services[1].capacity.max = 200;
      s.quotas.standardDSv5Family = 100_000;
    },
    paths: ['services[1].capacity.max'],
  },
  'management endpoints without admin ranges': { rules: ['validateEndpointSources'], mutate: (s) => (s.network.adminRanges = []), paths: ['services[0].endpoints.management'] },
  'one port for http and https': { rules: ['validateFrontPorts'], mutate: (s) => (s.front.ports = { http: 8443, https: 8443 }), paths: ['front.ports.https'] },
  'an undeclared front certificate': { rules: ['validateFrontCertificate'], mutate: (s) => (s.front.tlsCertificate = 'front-tsl'), paths: ['front.tlsCertificate'] },
  'a generation-1 image': { rules: ['validateImages'], mutate: (s) => (s.services[2].image = { marketplace: { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts' } }), paths: ['services[2].image.marketplace.sku'] },
  'an artifact outside the store': { rules: ['validateArtifacts'], mutate: (s) => (s.services[2].slots.green.artifact.url = 'https://stother.blob.core.windows.net/releases/catalog/1.13.0-rc1.tar.gz'), paths: ['services[2].slots.green.artifact.url'] },
  'an unknown VM size': { rules: ['validateVmSizes'], mutate: (s) => (s.front.vmSize = 'Standard_D2s_v9'), paths: ['front.vmSize'] },
  'custom data over 64 KB': { rules: ['validateCustomDataSize'], mutate: (s) => (s.services[0].settings.BIG = 'x'.repeat(70_000)), paths: ['services[0].settings'] },
  'default above max': { rules: ['validateCapacityOrder'], mutate: (s) => (s.services[2].capacity.default = 9), paths: ['services[2].capacity.default'] },
  'peak load above the minimum': { rules: ['validateUpgradeHeadroom'], mutate: (s) => (s.services[1].upgrade = { peakLoadInstances: 5 }), paths: ['services[1].upgrade.peakLoadInstances'] },
  'an unknown time zone': { rules: ['validateAutoscale'], mutate: (s) => (s.services[0].autoscale.schedules[0].timeZone = 'Mars/Base'), paths: ['services[0].autoscale.schedules[0].timeZone'] },
  'a quota too small': { rules: ['validateQuotas'], mutate: (s) => (s.quotas.standardESv5Family = 4), paths: ['quotas.standardESv5Family'] },
  'an internal endpoint on the health port': { rules: ['validatePorts'], mutate: (s) => (s.services[1].endpoints.internal[0].port = 9000), paths: ['services[1].endpoints.internal[0].port'] },
  'a pin rule with header and cookie': {
    rules: ['validateTraffic'],
    mutate: (s) => (s.services[0].traffic.rules = [{ name: 'testers', header: { name: 'X-Slot', value: 'green' }, cookie: { name: 'slot', value: 'green' }, slot: 'green' }]),
    paths: ['services[0].traffic.rules[0]'],
  },
  'a route by host and path': { rules: ['validateRoutes'], mutate: (s) => (s.services[1].route = { hosts: ['orders.retail.internal'], pathPrefix: '/orders/' }), paths: ['services[1].route'] },
  'another region of another size than the first': { rules: ['validateOtherRegions'], mutate: (s) => (s.otherRegions = [{ name: 'northeurope', code: 'ne', addressSpace: '10.20.128.0/17' }]), paths: ['otherRegions[0].addressSpace'] },
  'a regional traffic plan for a service in one region': { rules: ['validateServiceRegions'], mutate: (s) => (s.services[1].traffic.regions = { shares: { westeurope: 100 } }), paths: ['services[1].traffic.regions'] },
  'a region left that cannot carry a lost one': {
    rules: ['validateRegionLoss'],
    mutate: (s) => {
      s.otherRegions = [{ name: 'northeurope', code: 'ne', addressSpace: '10.30.0.0/16' }];
      // catalog's peak of 7: west's 20 % is 2 at its minimum of 2, north's 80 % is 6 at its 6; losing west, north's max of 6 cannot carry 7
      s.services[2].regions = ['westeurope', 'northeurope'];
      s.services[2].upgrade = { ...s.services[2].upgrade, peakLoadInstances: 7 };
      s.services[2].traffic.regions = { shares: { westeurope: 20, northeurope: 80 } };
      s.services[2].regionCapacity = { northeurope: { min: 6, default: 6, max: 6 } };
    },
    paths: ['services[2].regionCapacity.northeurope.max'],
    // with 'unknown region' beside it, catalog's regions no longer name the first region, so the first region's quota no longer counts it
    conflicts: ['another region of another size than the first', 'a quota too small'],
  },
  'a private DNS zone under a name Azure reserves': {
    rules: ['validateFrontDns'],
    mutate: (s) => {
      s.front.privateDnsZone = true;
      s.front.domain = 'retail.azure.com';
    },
    paths: ['front.domain'],
  },
  'an undeclared service certificate': { rules: ['validateServiceVaultReferences'], mutate: (s) => (s.services[1].certificates = ['front-tsl']), paths: ['services[1].certificates[0]'] },
};

/** An RSA key of 1,024 bits (azurerm and Azure want 2,048 or more). */
const SHORT_RSA_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDKUouAycqB8DZyn7+jIePU17/yaAs/ynssrCjTBuIlvMg8wz+37BddYRAADa3N0FnanFSWduorN1tKlDlWst2bpWr/a1WUz+f4NtLoffSP4Z5BbRiY8A96qBRP/FZ7jNBSZwcd4lfBtU2lVrqcBYWu5E9ldjJIOuCQmsibdoQU0w== short';

/** A type error no rule reads, so the combined spec fails the schema and the rules read the lenient parse. */
const typeError = (s: Json) => (s.keyVault.softDeleteRetentionDays = 'ninety');

const lines = (spec: unknown) => {
  const r = validateEnvironment(spec);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
};
const build = (names: readonly string[], extra?: (s: Json) => void) => {
  const s = exampleSpec() as Json;
  for (const n of names) MUTATIONS[n].mutate(s);
  extra?.(s);
  return s;
};

describe('every rule alone, and beside every other', () => {
  const alone = Object.fromEntries(Object.keys(MUTATIONS).map((n) => [n, lines(build([n]))]));

  it('the example spec is valid, and each mutation alone is refused at its paths', () => {
    expect(lines(exampleSpec())).toEqual([]);
    for (const [n, m] of Object.entries(MUTATIONS)) expect({ n, paths: alone[n].map((l) => l.split(': ')[0]) }).toEqual({ n, paths: m.paths });
  });

  it('each mutation is reported by the rules it names, reading the view alone', () => {
    const byName = new Map(RULES.map(({ rule }) => [rule.name, rule]));
    for (const [n, m] of Object.entries(MUTATIONS)) {
      const raw = checkRawInput(build([n]));
      const whole = EnvironmentSchema.safeParse(raw.input);
      const view = specView(raw.input, whole.success ? whole.data : undefined);
      const found = m.rules.flatMap((r) => byName.get(r)!(view).issues.map((i) => `${i.path}: ${i.message}`));
      expect({ n, found: [...found].sort() }).toEqual({ n, found: [...alone[n]].sort() });
    }
  });

  it('every rule in RULES is exercised by a mutation here', () => {
    const covered = new Set(Object.values(MUTATIONS).flatMap((m) => m.rules));
    expect(RULES.map(({ rule }) => rule.name).filter((r) => !covered.has(r))).toEqual([]);
  });

  it('all of them at once, with a type error elsewhere: each is reported with the same path and message as alone', () => {
    for (const [n, m] of Object.entries(MUTATIONS)) {
      const others = Object.keys(MUTATIONS).filter((o) => !(m.conflicts ?? []).includes(o) && !(MUTATIONS[o].conflicts ?? []).includes(n));
      const combined = lines(build(others, typeError));
      expect(combined).toContain("keyVault.softDeleteRetentionDays: got string 'ninety', expected number");
      expect({ n, missing: alone[n].filter((l) => !combined.includes(l)) }).toEqual({ n, missing: [] });
    }
  });

  it('one spec with a problem for every concern reports them all', () => {
    const all = Object.keys(MUTATIONS).filter((n) => !MUTATIONS[n].conflicts);
    const combined = lines(build(all, typeError));
    const concerns = new Map(RULES.map(({ concern, rule }) => [rule.name, concern]));
    const seen = new Set(all.flatMap((n) => MUTATIONS[n].rules.map((r) => concerns.get(r))));
    expect([...seen].sort()).toEqual(['access', 'capacity', 'compute', 'front', 'names', 'network', 'policy', 'ports', 'regions', 'traffic', 'vault']);
    for (const n of all) for (const l of alone[n]) expect(combined).toContain(l);
  });
});

describe('a rule that throws hides no other rule', () => {
  it('the other rules still report, and the failure is one internal issue', () => {
    const original = RULES[0].rule;
    const spec = build(['unknown region', 'reserved admin name']);
    (RULES as unknown as Array<{ rule: unknown }>)[0].rule = () => {
      throw new Error('boom');
    };
    try {
      expect(lines(spec)).toEqual(['(environment): a validation rule failed (boom); the other problems are listed', expect.stringMatching(/^admin\.username: /), expect.stringMatching(/^region: /)]);
    } finally {
      (RULES as unknown as Array<{ rule: unknown }>)[0].rule = original;
    }
  });
});
