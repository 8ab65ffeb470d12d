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
      s.quotas = {};
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
    ['an array', [], /^\(environment\): got an array of 0, expected object/],
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
      expect(issuesOf(withChange((s) => {
        s.services[0].capacity.max = 104;
        s.quotas = {};
      }))).toEqual([]);
    });
  });

  describe('ports', () => {
    test("refuses front ports the front VM already uses: its status and admin servers, and sshd", () => {
      // measured with nginx 1.22: a second server on the status port passes `nginx -t` with a
      // warning, and the load balancer's /healthz probe then reaches the routing server
      expect(problems(withChange((s) => (s.front = { ...s.front, ports: { http: 9000, https: 9001 } })))).toEqual([
        "front.ports.http: 9000 is reserved for the front's status server (its load balancer's probe and the VM health extension) (choose another port for callers)",
        "front.ports.https: 9001 is reserved for the front's loopback admin server (the table agent) (choose another port for callers)",
      ]);
      expect(problems(withChange((s) => (s.front = { ...s.front, ports: { http: 22, https: 443 } })))).toEqual([
        "front.ports.http: 22 is reserved for sshd, which the images run for the admin's SSH keys (nginx could not bind it) (choose another port for callers)",
      ]);
      expect(issuesOf(withChange((s) => (s.front = { ...s.front, ports: { http: 8080, https: 8443 } })))).toEqual([]);
    });

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

    test('refuses a slot whose release has no artifact and no image to come from', () => {
      const lines = problems(withChange((s) => (s.services[0].slots.green = { version: '2.0.0' })));
      expect(lines).toEqual([
        "services[0].slots.green: runs version '2.0.0' but names no artifact, and no image holds it (add artifact: { url: 'https://…/release.tar.gz', sha256: '…' }, or an image with /opt/<service>/bin/start baked in)",
      ]);
    });

    test('accepts a slot without an artifact when the service image holds the release', () => {
      expect(issuesOf(withChange((s) => {
        s.services[0].slots.green = { version: '2.0.0' };
        s.services[0].image = { marketplace: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server' } };
      }))).toEqual([]);
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

  describe('capacity proofs', () => {
    test('refuses a batch that leaves too little capacity without surge, and says what fixes it', () => {
      const lines = problems(withChange((s) => {
        s.services[1].capacity = { min: 2, default: 2, max: 10 };
        s.services[1].upgrade = { maxSurge: false, maxBatchPercent: 50, peakLoadInstances: 2 };
      }));
      expect(lines).toEqual([
        'services[1].upgrade.maxBatchPercent: at 2 instances a batch of 1 leaves 1, below the peak load of 2 instances (set upgrade.maxSurge: true, or raise capacity.min to 3)',
      ]);
    });

    test('a batch of one at ten instances without surge leaves the default peak covered; a batch of two does not', () => {
      const spec = (pct: number) => withChange((s) => {
        s.services[1].capacity = { min: 10, default: 10, max: 10 };
        s.services[1].upgrade = { maxSurge: false, maxBatchPercent: pct };
      });
      expect(issuesOf(spec(10))).toEqual([]);
      expect(problems(spec(20))).toEqual([
        'services[1].upgrade.maxBatchPercent: at 10 instances a batch of 2 leaves 8, below the peak load of 9 instances (set upgrade.maxSurge: true, or raise capacity.min to 11)',
      ]);
    });

    test('refuses batches over a third without surge at the field, which the policy pack would refuse in the scale set', () => {
      // 50 % of 2 is one instance: the headroom proof passes, ASE-VM-004 (at most 34 % without surge) does not
      expect(problems(withChange((s) => (s.front = { ...s.front, upgrade: { maxSurge: false, maxBatchPercent: 50 } })))).toEqual([
        'front.upgrade.maxBatchPercent: 50% batches without surge take more than a third of the instances down at once; the policy pack (ASE-VM-004) allows at most 34% without surge (set upgrade.maxSurge: true, or maxBatchPercent: 34 or less)',
      ]);
      expect(issuesOf(withChange((s) => (s.front = { ...s.front, upgrade: { maxSurge: false, maxBatchPercent: 34 } })))).toEqual([]);
      expect(issuesOf(withChange((s) => (s.front = { ...s.front, upgrade: { maxSurge: true, maxBatchPercent: 50 } })))).toEqual([]);
    });

    test('refuses a declared peak the minimum itself cannot carry', () => {
      expect(problems(withChange((s) => (s.services[1].upgrade = { peakLoadInstances: 3 })))).toEqual([
        'services[1].upgrade.peakLoadInstances: 3 instances of peak load exceed capacity.min 2 (the minimum must carry the peak; raise capacity.min)',
      ]);
    });

    test('with surge, any batch size keeps capacity', () => {
      expect(issuesOf(withChange((s) => (s.services[1].upgrade = { maxSurge: true, maxBatchPercent: 100 })))).toEqual([]);
    });

    test('refuses a vCPU total over the declared quota, with the sum', () => {
      expect(problems(withChange((s) => (s.quotas = { standardDSv5Family: 100 })))).toEqual([
        'quotas.standardDSv5Family: 256 vCPUs at peak (pricing 48 × 4 + order-processing 24 × 2 + front 8 × 2) exceed the quota of 100 (request more quota, or lower capacity.max; the peak counts both slots at max plus one upgrade surge)',
      ]);
    });

    test('refuses a scale set whose max plus surge passes the scale-set limit', () => {
      const lines = problems(withChange((s) => {
        s.network = { ...s.network, addressSpace: '10.0.0.0/12', subnetPrefixLength: 20 };
        s.quotas = {};
        s.services[2].capacity = { min: 2, default: 2, max: 900 };
      }));
      expect(lines).toEqual(['services[2].capacity.max: 900 instances plus surge reach 1080; a scale set holds 1000']);
    });
  });

  test('refuses settings that would make custom data larger than Azure takes', () => {
    const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`KEY_${i}`, 'x'.repeat(1200)]));
    expect(problems(withChange((s) => (s.services[1].settings = big)))).toEqual([
      expect.stringMatching(/^services\[1\]\.settings: make the blue slot's custom data \d+ bytes \(base64\); Azure allows 65535 \(move large values to Key Vault secrets or the release artifact\)$/),
    ]);
    // a setting that fits is accepted (about 23 KB of settings fit beside the library's files, whose
    // security-update files took 0.7 KB of base64, and the queue workers' unit checks, stop and release check 2.3 KB)
    expect(issuesOf(withChange((s) => (s.services[1].settings = { A: 'x'.repeat(16500) })))).toEqual([]);
  });

  describe('autoscale', () => {
    const window = { name: 'day', days: ['Monday'], start: '08:00', end: '20:00', timeZone: 'Europe/Amsterdam', min: 6 };

    test('refuses an unknown time zone, mixed time zones and overlapping windows', () => {
      const lines = problems(withChange((s) => {
        s.services[0].autoscale = {
          schedules: [window, { ...window, name: 'late', start: '19:00', end: '23:00' }, { ...window, name: 'x', days: ['Sunday'], timeZone: 'Mars/Olympus' }],
        };
      }));
      expect(lines).toEqual([
        "services[0].autoscale.schedules[1]: 'late' overlaps or touches 'day' (schedules[0]) (merge them, or leave a gap: two windows starting and ending at one minute leave Azure to pick one)",
        "services[0].autoscale.schedules[2].timeZone: 'Mars/Olympus' is not an IANA time zone Azure can map (use a name like 'Europe/Amsterdam' or 'UTC')",
        "services[0].autoscale.schedules[2].timeZone: 'Mars/Olympus' differs from schedules[0]'s 'Europe/Amsterdam' (one service's windows share one time zone)",
      ]);
    });

    test('refuses windows that only touch', () => {
      const lines = problems(withChange((s) => (s.services[0].autoscale = { schedules: [window, { ...window, name: 'evening', start: '20:00', end: '23:00' }] })));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^services\[0\]\.autoscale\.schedules\[1\]: 'evening' overlaps or touches 'day'/);
    });

    test('refuses a window minimum above max, a scale-in threshold above scale-out, and too many profiles', () => {
      const ten = Array.from({ length: 10 }, (_, i) => ({ ...window, name: `w${i}`, days: [(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const)[i % 7]], start: `0${i % 7}:00`.slice(-5), end: `0${(i % 7) + 1}:00`.slice(-5) }));
      const lines = problems(withChange((s) => {
        s.services[0].autoscale = { cpu: { scaleOutAbovePercent: 60, scaleInBelowPercent: 60 }, schedules: ten };
        s.services[1].autoscale = { schedules: [{ ...window, min: 12 }] };
      }));
      expect(lines).toContain('services[0].autoscale.cpu.scaleInBelowPercent: 60 is not below scaleOutAbovePercent 60 (leave a gap, or autoscale flaps between out and in)');
      expect(lines).toContain('services[0].autoscale.schedules: 10 schedules need 21 autoscale profiles; Azure allows 20 (9 schedules) (each window needs a start profile and a return to normal)');
      expect(lines).toContain("services[1].autoscale.schedules[0].min: 12 is above the window's max 10");
    });
  });
});

test('refuses a custom metric whose scale-in threshold is not below scale-out', () => {
  const spec = exampleSpec() as Json;
  spec.services[1].autoscale = { customMetric: { resourceId: '/subscriptions/s/resourceGroups/r/providers/Microsoft.ServiceBus/namespaces/n', namespace: 'microsoft.servicebus/namespaces', name: 'ActiveMessages', scaleOutAbove: 100, scaleInBelow: 100 } };
  const r = validateEnvironment(spec);
  expect(r.ok ? [] : r.issues.map(formatIssue)).toEqual(['services[1].autoscale.customMetric.scaleInBelow: 100 is not below scaleOutAbove 100 (leave a gap, or autoscale flaps between out and in)']);
});
