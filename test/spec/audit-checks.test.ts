/**
 * Checks added after the audit against azurerm v4.55.0 (docs/azure-resources.md): admin user names
 * Azure refuses (N7), generation-1 images under trusted launch (N14), a renewal window longer than
 * Key Vault allows for the validity (N15), and a parked slot's surge batch in the quota proof (N17).
 */
import { formatIssue } from '../../lib/spec/issues';
import { isGen1Image, isUbuntuMinimalImage, validateEnvironment } from '../../lib/spec/validate';
import { exampleSpec, type Json } from '../helpers';

function problems(change: (s: Json) => void): string[] {
  const s = exampleSpec() as Json;
  change(s);
  const r = validateEnvironment(s);
  return r.ok ? [] : r.issues.map(formatIssue);
}

describe('admin user names (N7)', () => {
  test("refuses the names Azure's Compute API disallows, at admin.username", () => {
    for (const name of ['root', 'admin', 'administrator', 'test', 'user', 'guest', 'a', 'support_388945a0']) {
      expect(problems((s) => (s.admin.username = name))).toEqual([
        `admin.username: '${name}' is a name Azure refuses for a VM's admin user (the Compute API's disallowed adminUsername values); the synth would pass and the apply fail (choose another name, e.g. 'azureadmin' (the default); it is fixed once the VMs exist)`,
      ]);
    }
  });

  test('refuses built-in Linux system accounts (azurerm refuses them on Flexible scale sets)', () => {
    expect(problems((s) => (s.admin.username = 'sshd'))).toEqual([
      "admin.username: 'sshd' is a built-in system account on Linux images: azurerm refuses it for Flexible scale sets, and on Uniform ones provisioning cannot create the admin user (choose another name, e.g. 'azureadmin' (the default); it is fixed once the VMs exist)",
    ]);
  });

  test('accepts ordinary names, and reports a bad name beside other problems', () => {
    expect(problems((s) => (s.admin.username = 'opsadmin'))).toEqual([]);
    expect(problems((s) => (s.admin.username = 'azureuser'))).toEqual([]);
    const both = problems((s) => {
      s.admin.username = 'root';
      s.services[0].capacity.min = 1;
    });
    expect(both.map((l) => l.split(':')[0])).toEqual(['admin.username', 'services[0].capacity.min']);
  });
});

describe('generation-1 images on Uniform scale sets (N14)', () => {
  const gen1 = { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts', version: 'latest' };

  test('refuses a Gen1 marketplace SKU at the image of a service, a slot and a pool, with the Gen2 SKU', () => {
    const lines = problems((s) => {
      s.services[0].image = { marketplace: gen1 };
      s.services[1].slots.green.image = { marketplace: { ...gen1, sku: '20_04-lts', offer: '0001-com-ubuntu-server-focal' } };
    });
    expect(lines).toEqual([
      "services[0].image.marketplace.sku: '22_04-lts' is a generation-1 image, and Uniform scale sets run with trusted launch (secure boot and vTPM), which Azure allows only on generation-2 images: the apply would fail (use the generation-2 SKU '22_04-lts-gen2')",
      "services[1].slots.green.image.marketplace.sku: '20_04-lts' is a generation-1 image, and Uniform scale sets run with trusted launch (secure boot and vTPM), which Azure allows only on generation-2 images: the apply would fail (use the generation-2 SKU '20_04-lts-gen2')",
    ]);
    expect(
      problems((s) => {
        s.pools = [{ name: 'shared', block: 9, vmSize: 'Standard_D4s_v5', capacity: { min: 2, default: 2, max: 4 }, image: { marketplace: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server-gen1' } } }];
        s.services[2] = { ...s.services[2], pool: 'shared', vmSize: undefined, capacity: undefined };
      }),
    ).toEqual([
      "pools[0].image.marketplace.sku: 'server-gen1' is a generation-1 image, and Uniform scale sets run with trusted launch (secure boot and vTPM), which Azure allows only on generation-2 images: the apply would fail (use the offer's generation-2 SKU 'server')",
    ]);
  });

  test('accepts Gen2 SKUs, Gen1 on Flexible (no trusted launch there), and images it cannot tell by name', () => {
    expect(problems((s) => (s.services[0].image = { marketplace: { ...gen1, sku: '22_04-lts-gen2' } }))).toEqual([]);
    expect(
      problems((s) => {
        s.services[0].image = { marketplace: gen1 };
        s.services[0].orchestration = 'Flexible';
      }),
    ).toEqual([]);
    expect(isGen1Image({ publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server' })).toBe(false);
    expect(isGen1Image({ publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-arm64' })).toBe(false);
    expect(isGen1Image({ publisher: 'Canonical', offer: 'UbuntuServer', sku: '18.04-LTS' })).toBe(true);
    expect(isGen1Image({ publisher: 'Debian', offer: 'debian-12', sku: '12' })).toBe(true);
    expect(isGen1Image({ publisher: 'Debian', offer: 'debian-12', sku: '12-gen2' })).toBe(false);
    expect(isGen1Image({ publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm' })).toBe(false); // not known by name
  });
});

describe("Canonical's minimal images: no iptables, so the drain cannot fence the load balancer's probes", () => {
  const minimal22 = { publisher: 'Canonical', offer: '0001-com-ubuntu-minimal-jammy', sku: 'minimal-22_04-lts-gen2' };
  const minimal24 = { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'minimal' };
  const warnings = (change: (s: Json) => void) => {
    const s = exampleSpec() as Json;
    change(s);
    const r = validateEnvironment(s);
    if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
    return r.warnings.map(formatIssue);
  };

  test("a warning at the image's marketplace field, for a service's image and a slot's; the spec still passes", () => {
    expect(warnings((s) => (s.services[0].image = { marketplace: minimal22 }))).toEqual([
      "services[0].image.marketplace: Canonical's minimal Ubuntu images have no iptables: before Azure deletes one of these VMs (scale-in, repair, an upgrade) its drain cannot fail the load balancer's probes, so new connections keep arriving until the VM is gone (use the server image (offer '0001-com-ubuntu-server-jammy', its '-gen2' SKU), or a gallery image that has iptables)",
    ]);
    expect(warnings((s) => (s.services[1].slots.green.image = { marketplace: minimal24 }))).toEqual([
      expect.stringMatching(/^services\[1\]\.slots\.green\.image\.marketplace: Canonical's minimal Ubuntu images have no iptables: .* \(use the server SKU of 'ubuntu-24_04-lts' \('server'\), or a gallery image that has iptables\)$/),
    ]);
  });

  test('the server images, the default and other publishers get none', () => {
    expect(warnings(() => undefined)).toEqual([]);
    expect(warnings((s) => (s.services[0].image = { marketplace: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server' } }))).toEqual([]);
    expect(isUbuntuMinimalImage(minimal22)).toBe(true);
    expect(isUbuntuMinimalImage(minimal24)).toBe(true);
    expect(isUbuntuMinimalImage({ publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2' })).toBe(false);
    expect(isUbuntuMinimalImage({ publisher: 'SomeVendor', offer: 'x', sku: 'minimal' })).toBe(false);
  });
});

describe('certificate renewal against validity (N15)', () => {
  test('refuses renewBeforeDays above validityMonths × 27, naming both fields', () => {
    expect(problems((s) => (s.keyVault.certificates[0].validityMonths = 1))).toEqual([
      'keyVault.certificates[0].renewBeforeDays: 30 days before expiry is more than keyVault.certificates[0].validityMonths (1) × 27 = 27 days; Key Vault refuses the certificate policy at apply (its renewal would start before the certificate is issued) (renew at most 27 days before expiry (e.g. 9), or raise validityMonths to 2 or more)',
    ]);
    expect(
      problems((s) => {
        s.keyVault.certificates[0].validityMonths = 3;
        s.keyVault.certificates[0].renewBeforeDays = 82;
      }),
    ).toEqual([expect.stringMatching(/^keyVault\.certificates\[0\]\.renewBeforeDays: 82 days .*validityMonths \(3\) × 27 = 81 days/)]);
  });

  test('accepts the bound itself, and imported certificates (their file decides the validity)', () => {
    expect(
      problems((s) => {
        s.keyVault.certificates[0].validityMonths = 3;
        s.keyVault.certificates[0].renewBeforeDays = 81;
      }),
    ).toEqual([]);
    expect(
      problems((s) => {
        s.keyVault.contacts = ['ops@example.com'];
        s.keyVault.certificates[0] = { ...s.keyVault.certificates[0], issuer: 'imported', importFrom: { path: '/secrets/front.pem' }, validityMonths: 1, renewBeforeDays: 60 };
      }),
    ).toEqual([]);
  });
});

describe('quota proof with a parked slot (N17)', () => {
  test("counts a parked slot's rolling-upgrade surge batch, not only its parked count", () => {
    // catalog: Standard_E4s_v5 (4 vCPUs), max 8: a warm slot reaches 8 + 2 surge = 10; parked at 4, 4 + 1 surge = 5
    const parked = (quota: number) => (s: Json) => {
      s.quotas = { ...s.quotas, standardESv5Family: quota };
      s.services[2].slots.green.parked = { instances: 4 };
      s.services[2].traffic = { live: 'blue', failover: false };
    };
    expect(problems(parked(56))).toEqual([
      'quotas.standardESv5Family: 60 vCPUs at peak (catalog 15 × 4) exceed the quota of 56 (request more quota, or lower capacity.max; the peak counts both slots at max plus one upgrade surge)',
    ]);
    expect(problems(parked(60))).toEqual([]);
    // without surge a parked slot holds exactly its count
    expect(
      problems((s) => {
        parked(48)(s);
        s.services[2].upgrade = { maxSurge: false, maxBatchPercent: 20 };
      }),
    ).toEqual([]);
  });
});
