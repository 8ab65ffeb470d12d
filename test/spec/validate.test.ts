import { formatIssue, type SpecIssue } from '../../lib/spec/issues';
import { validateEnvironment } from '../../lib/spec/validate';
import { exampleSpec, type Json } from '../helpers';

/** The issues of a spec, as printed lines; fails if the spec passes. */
function problems(spec: unknown): string[] {
  const r = validateEnvironment(spec);
  if (r.ok) throw new Error('expected the spec to be refused');
  return r.issues.map(formatIssue);
}

function issuesOf(spec: unknown): readonly SpecIssue[] {
  const r = validateEnvironment(spec);
  return r.ok ? [] : r.issues;
}

/** The example with `change` applied to a mutable copy. */
function withChange(change: (s: Json) => void): Json {
  const s = exampleSpec() as Json;
  change(s);
  return s;
}

describe('validateEnvironment', () => {
  test('accepts the example environment and fills in defaults', () => {
    const r = validateEnvironment(exampleSpec());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const catalog = r.environment.services.find((s) => s.name === 'catalog')!;
    expect(catalog.instancesPerVm).toBe(1);
    expect(catalog.healthPath).toBe('/health');
    expect(catalog.upgrade.maxBatchPercent).toBe(20);
    expect(r.environment.front.capacity).toEqual({ min: 2, default: 2, max: 6 });
    expect(r.environment.network.subnetPrefixLength).toBe(24);
    expect(r.environment.resourceGroupName).toBe('rg-{env}-{part}');
  });

  test('reports ten different mistakes at once, each with its path', () => {
    const spec = withChange((s) => {
      s.name = 'Retail'; // 1 name rule
      s.region = 'west europe'; // 2 unknown region
      s.network.addressSpace = '10.20.1.0/16'; // 3 host bits
      s.services[0].capacity.min = 1; // 4 too small
      s.services[0].capacity.default = 30; // 5 above max
      s.services[1].prot = 8080; // 6 unknown field
      s.services[2].name = 'pricing'; // 7 duplicate name
      s.services[2].block = 2; // 8 duplicate block
      s.services[1].port = 10002; // 9 port collision with pricing
      s.services[0].traffic.live = 'blu'; // 10 enum
    });
    const lines = problems(spec);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^name: 'Retail' is not an environment name/),
        expect.stringMatching(/^region: unknown Azure region 'west europe' \(did you mean 'westeurope'\?\)/),
        expect.stringMatching(/^network\.addressSpace: '10\.20\.1\.0\/16' has host bits set \(did you mean '10\.20\.0\.0\/16'\?\)/),
        'services[0].capacity.min: got 1, expected >= 2',
        expect.stringMatching(/^services\[0\]\.capacity\.default: 30 is above max 20/),
        "services[1].prot: unknown field (did you mean 'port'?)",
        "services[2].name: 'pricing' is already the name of services[0]",
        expect.stringMatching(/^services\[2\]\.block: block 2 is already services\[1\]'s/),
        expect.stringMatching(/^services\[1\]\.port: planned ports 10002-10003 overlap pricing's 10000-10003 \(services\[0\]\)/),
        "services[0].traffic.live: got 'blu', expected one of 'blue', 'green' (did you mean 'blue'?)",
      ]),
    );
    expect(lines).toHaveLength(10);
  });

  test('lists issues in reading order, services[2] before services[10]', () => {
    const spec = withChange((s) => {
      for (let i = 3; i <= 10; i++) s.services.push({ ...s.services[2], name: `svc${i}`, block: 10 + i });
      s.services[10].vmSize = 'x';
      s.services[2].vmSize = 'y';
    });
    const paths = issuesOf(spec).map((i) => i.path);
    expect(paths).toEqual(['services[2].vmSize', 'services[10].vmSize']);
  });

  test.each([
    ['a string', 'prod', /^\(environment\): got string 'prod', expected object/],
    ['null', null, /^\(environment\): got null null, expected object/],
    ['an array', [], /^\(environment\): got array an array of 0, expected object/],
  ])('refuses %s as an environment with one clear error', (_, input, message) => {
    const lines = problems(input);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  test('names every missing required field', () => {
    const lines = problems({});
    for (const field of ['name', 'subscriptionId', 'tenantId', 'region', 'network', 'services']) {
      expect(lines).toContain(`${field}: required field is missing (expected ${field === 'network' ? 'object' : field === 'services' ? 'array' : 'string'})`);
    }
  });

  test('suggests the closest field for a misspelt one, and lists allowed fields when none is close', () => {
    const lines = problems(withChange((s) => {
      s.network.adressSpace = s.network.addressSpace;
      delete s.network.addressSpace;
      s.services[0].capacity.zzz = 1;
    }));
    expect(lines).toContain("network.adressSpace: unknown field (did you mean 'addressSpace'?)");
    expect(lines).toContain('services[0].capacity.zzz: unknown field (allowed here: min, default, max)');
  });

  describe('names', () => {
    test('refuses a service name whose scale set name Azure would refuse', () => {
      const long = 'a'.repeat(50);
      const lines = problems(withChange((s) => (s.services[0].name = long)));
      expect(lines).toContain(`services[0].name: makes the scale set name 'vmss-retail-${long}-blue' 67 characters long; Azure allows 1-64`);
      expect(lines).toContain(`services[0].name: makes the scale set name 'vmss-retail-${long}-green' 68 characters long; Azure allows 1-64`);
    });

    test('refuses a double hyphen, an upper-case letter and a trailing hyphen in a service name', () => {
      for (const bad of ['pri--cing', 'Pricing', 'pricing-']) {
        expect(problems(withChange((s) => (s.services[0].name = bad)))[0]).toMatch(new RegExp(`^services\\[0\\]\\.name: '${bad}' is not a service name`));
      }
    });

    test('refuses a resource group template without {part} or with an unknown placeholder', () => {
      expect(problems(withChange((s) => (s.resourceGroupName = 'rg-{env}')))).toContain(
        "resourceGroupName: 'rg-{env}' has no {part}, so every stack would share one resource group (keep '{part}' in it, e.g. 'rg-{env}-{part}')",
      );
      expect(problems(withChange((s) => (s.resourceGroupName = 'rg-{env}-{part}-{region}')))).toContain(
        "resourceGroupName: unknown placeholder '{region}' (allowed: {env}, {part})",
      );
    });

    test('refuses a resource group name Azure would refuse, at the field that made it', () => {
      const lines = problems(withChange((s) => (s.resourceGroupName = 'rg-{env}-{part}.')));
      expect(lines.some((l) => l.startsWith("resourceGroupName: makes the resource group name 'rg-retail-network.'"))).toBe(true);
    });
  });

  describe('network', () => {
    test('refuses a public address space', () => {
      expect(problems(withChange((s) => (s.network.addressSpace = '20.0.0.0/16')))).toContain(
        "network.addressSpace: '20.0.0.0/16' is not a private range (use a range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10)",
      );
    });

    test('refuses a malformed CIDR', () => {
      expect(problems(withChange((s) => (s.network.addressSpace = '10.20.0.0/33')))).toContain(
        "network.addressSpace: '10.20.0.0/33' is not an IPv4 CIDR such as 10.20.0.0/16",
      );
    });

    test('refuses a peer range that overlaps the address space', () => {
      const lines = problems(withChange((s) => (s.network.peerRanges = ['10.50.0.0/16', '10.20.128.0/17'])));
      expect(lines).toContain(
        "network.peerRanges[1]: '10.20.128.0/17' overlaps the address space 10.20.0.0/16 (Azure refuses to peer networks whose ranges overlap)",
      );
    });

    test('refuses subnets too large for the address space', () => {
      const lines = problems(withChange((s) => {
        s.network.addressSpace = '10.20.0.0/24';
        s.network.subnetPrefixLength = 25;
      }));
      expect(lines).toContain(
        'network.subnetPrefixLength: /25 subnets give 2 blocks in 10.20.0.0/24; the platform needs 3 and each service 1 (use /26 or longer, or a larger address space)',
      );
    });

    test('refuses a service block beyond the address space', () => {
      const lines = problems(withChange((s) => {
        s.network.addressSpace = '10.20.0.0/22';
        s.services[2].block = 2;
        s.services[1].block = 1;
        s.services[0].block = 3;
      }));
      expect(lines).toContain(
        'services[0].block: block 3 is outside the plan: 10.20.0.0/22 in /24 subnets holds service blocks 1-1 (use a free lower block, or a larger address space)',
      );
    });

    test('refuses a service whose two slots at max capacity plus surge do not fit its subnet, with the numbers', () => {
      const lines = problems(withChange((s) => (s.services[0].capacity.max = 110)));
      expect(lines).toContain(
        'services[0].capacity.max: 2 slots × (110 instances + 22 upgrade surge) need 264 addresses; a /24 subnet holds 251 (lower capacity.max, or choose a shorter network.subnetPrefixLength (which moves every subnet))',
      );
    });

    test('accepts a service that exactly fills its subnet', () => {
      // 2 × (104 + ceil(20.8)=21) = 250 <= 251
      expect(issuesOf(withChange((s) => (s.services[0].capacity.max = 104)))).toEqual([]);
    });
  });

  describe('ports', () => {
    test('fails when two services claim port 10000', () => {
      const lines = problems(withChange((s) => (s.services[2].port = 10000)));
      expect(lines).toContain(
        "services[2].port: planned ports 10000-10000 overlap pricing's 10000-10003 (services[0]) (each service needs its own ports; remove port to use the block default, or pick a free range)",
      );
    });

    test('refuses a port range running past 65535', () => {
      expect(problems(withChange((s) => (s.services[0].port = 65534)))).toContain(
        'services[0].port: 4 instances from port 65534 end at 65537, above 65535 (lower port)',
      );
    });

    test('refuses planned ports that include the VM health port', () => {
      expect(problems(withChange((s) => (s.services[0].port = 8998)))).toContain(
        'services[0].port: ports 8998-9001 include 9000, reserved for the VM health endpoint',
      );
    });

    test('refuses an internal endpoint on one of the planned ports, and two endpoints on one port', () => {
      const lines = problems(withChange((s) => {
        s.services[1].endpoints.internal = [
          { name: 'a', port: 10017 },
          { name: 'b', port: 7000 },
          { name: 'c', port: 7000 },
        ];
      }));
      expect(lines).toContain('services[1].endpoints.internal[0].port: port 10017 is one of the service\'s planned ports 10016-10017');
      expect(lines).toContain('services[1].endpoints.internal[2].port: Tcp port 7000 is also endpoints.internal[1]');
    });

    test('allows the same port number for Tcp and Udp endpoints', () => {
      expect(issuesOf(withChange((s) => {
        s.services[1].endpoints.internal = [
          { name: 'a', port: 7946 },
          { name: 'b', port: 7946, protocol: 'Udp' },
        ];
      }))).toEqual([]);
    });

    test('plans a service below port 1024 only as an error', () => {
      expect(problems(withChange((s) => (s.services[0].port = 80)))).toContain('services[0].port: got 80, expected >= 1024');
    });
  });

  describe('endpoints, slots and tags', () => {
    test('refuses management endpoints without admin ranges, and peers without peer ranges', () => {
      const lines = problems(withChange((s) => {
        s.network.adminRanges = [];
        s.network.peerRanges = [];
      }));
      expect(lines).toContain('services[0].endpoints.management: management endpoints need network.adminRanges, which is empty (declare the admin ranges (a bastion or admin VPN))');
      expect(lines).toContain("services[2].endpoints.input.from: admits 'peers', but network.peerRanges is empty (declare the peer ranges, or drop peers)");
    });

    test('refuses a slot with neither a version nor an image', () => {
      expect(problems(withChange((s) => (s.services[0].slots.green = {})))).toContain(
        "services[0].slots.green: names neither a version nor an image (give version: '1.2.3' (or an image with the version baked in))",
      );
    });

    test('refuses an image naming both a marketplace image and a gallery version', () => {
      const lines = problems(withChange((s) => {
        s.services[0].image = {
          marketplace: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server' },
          galleryImageVersionId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0',
        };
      }));
      expect(lines).toContain('services[0].image: names both a marketplace image and a gallery image version (give exactly one of marketplace or galleryImageVersionId)');
    });

    test('refuses a required tag with no value', () => {
      expect(problems(withChange((s) => delete s.tags.owner))).toContain(
        `tags: required tag 'owner' has no value (requiredTags lists it; add tags: { "owner": '…' })`,
      );
    });
  });

  test('the rule pass still runs on fields next to a broken one', () => {
    // vmSize is broken in the same service whose port collides: both are reported
    const lines = problems(withChange((s) => {
      s.services[2].vmSize = 42;
      s.services[2].port = 10000;
    }));
    expect(lines).toContain('services[2].vmSize: got number 42, expected string');
    expect(lines.some((l) => l.startsWith('services[2].port: planned ports 10000-10000 overlap'))).toBe(true);
  });
});
