/**
 * Every change a platform team makes, proved change by change: a before and an after synth of the
 * example environment (each step with the lock file of the one before, as CI keeps it), checked
 * against Azure's apply-time rules (lib/review/azure-rules.ts): nothing deleted under a lock, no
 * subnet deleted while NICs use it, no stack leaving the synth with resources in it, no stateful
 * resource replaced or destroyed, no data-plane write racing its grant. Routine changes have no
 * finding; the traps that remain are asserted exactly, with their reasons. docs/lifecycle.md has
 * the table.
 */
import { EMPTY, History, CATALOG_CERT, changed, checksOf, findingsOf, hasWaits, withPool } from './harness';
import { exampleSpec, type Json } from '../helpers';
import type { SynthOutput } from '../../lib/review/config-diff';

let history: History;
let base: SynthOutput;

beforeEach(() => {
  history = new History();
  base = history.baseline();
});
afterEach(() => history.cleanUp());

describe('first deploy', () => {
  test('no finding: every data-plane write waits for its grant through a time_sleep (provider issue #23927)', () => {
    expect(hasWaits(base)).toBe(true);
    expect(findingsOf(EMPTY, base)).toEqual([]);
  });
});

describe('routine changes have no finding', () => {
  const cases: Record<string, (s: Json) => void> = {
    'add a service': (s) => s.services.push({ ...structuredClone(s.services[2]), name: 'search', block: 4, vmSize: 'Standard_D2as_v5' }),
    'release to the idle slot': (s) => (s.services[0].slots.green.version = '2024.11.5'),
    'ramp the idle slot to 10 %': (s) => (s.services[0].traffic = { live: 'blue', weight: 10 }),
    'swap': (s) => (s.services[0].traffic = { live: 'green' }),
    'park the idle slot': (s) => (s.services[2].slots.green.parked = { instances: 2 }),
    'resize': (s) => (s.services[1].vmSize = 'Standard_D2as_v5'),
    'add a certificate': (s) => (s.keyVault.certificates.push(CATALOG_CERT), (s.services[2].certificates = ['catalog-mtls'])),
    'rotate a certificate (a new key size: Key Vault issues a new version in place)': (s) => (s.keyVault.certificates[0].keySize = 3072),
    'add a secret a service reads': (s) => (s.services[1].settings = { QUEUE_PASSWORD: { secret: 'orders-queue-password' } }),
  };
  for (const [name, edit] of Object.entries(cases)) {
    test(name, () => {
      expect(findingsOf(base, history.ok(changed(edit)))).toEqual([]);
    });
  }

  test('unpark the idle slot', () => {
    const parked = history.ok(changed((s) => (s.services[2].slots.green.parked = { instances: 2 })));
    expect(findingsOf(parked, history.ok(exampleSpec()))).toEqual([]);
  });

  test('rotating a secret is a new version in the vault: the synth does not change', () => {
    expect(JSON.stringify(history.ok(exampleSpec()).stacks)).toBe(JSON.stringify(base.stacks));
  });
});

describe('removing a certificate or a secret, and changing the deployer: no lock stands above the grants they delete', () => {
  test('removing a certificate destroys it (blocked: its key is lost); the grants on it are deleted freely', () => {
    const withCert = history.ok(changed((s) => (s.keyVault.certificates.push(CATALOG_CERT), (s.services[2].certificates = ['catalog-mtls']))));
    expect(findingsOf(withCert, history.ok(exampleSpec()))).toEqual([
      'block stateful retail-vault:azurerm_key_vault_certificate.certificate-catalog-mtls_certificate',
    ]);
  });

  test('removing a secret a service reads deletes its grants: no finding', () => {
    const after = history.ok(changed((s) => delete s.services[0].settings.DB_PASSWORD));
    expect(findingsOf(base, after)).toEqual([]);
    expect(checksOf(base, after).map((c) => c.rule)).toEqual(['lock']);
  });

  test('changing the deployer replaces its role assignments, each with its wait: no finding', () => {
    const after = history.ok(changed((s) => (s.deployer.principalId = '7d1f0c2e-5b3a-4c8d-9e6f-1a2b3c4d5e6f')));
    expect(findingsOf(base, after)).toEqual([]);
    expect(checksOf(base, after).map((c) => c.rule)).toEqual(['lock', 'grant', 'grant', 'grant']);
  });
});

describe('retiring a service: two changes', () => {
  test('1. retired: true keeps the stack, emptied, and the subnet; the front stops routing to it; no finding', () => {
    const retired = history.ok(changed((s) => (s.services[2].retired = true)));
    expect(findingsOf(base, retired)).toEqual([]);
    const stack = retired.stacks['retail-svc-catalog'] as Json;
    expect(stack.resource).toBeUndefined();
    expect(stack.terraform.backend.local.path).toBe('../../../terraform.retail-svc-catalog.tfstate');
    const network = retired.stacks['retail-network'] as Json;
    expect(network.resource.azurerm_subnet['network_svc-catalog-subnet']).toBeDefined();
    expect(network).toEqual(base.stacks['retail-network']);
    expect(retired.stacks['retail-identities']).toEqual(base.stacks['retail-identities']);
    const routing = JSON.parse((retired.stacks['retail-front'] as Json).resource.azurerm_storage_blob['front_routing-table'].source_content);
    expect(Object.keys(routing.services)).toEqual(['order-processing', 'pricing']);
    expect((retired.stacks['retail-front'] as Json).resource.azurerm_storage_blob.front_config.source_content).not.toContain('catalog');
    expect(checksOf(base, retired).map((c) => c.rule)).toEqual(['vanished', 'lock', 'stateful']);
    // cdktf deploy applies the front (which stops routing to it) before emptying the stack
    expect(history.dependencies()['retail-svc-catalog']).toEqual(['retail-front', 'retail-identities', 'retail-network']);
    expect(history.dependencies()['retail-svc-pricing']).toEqual(['retail-identities', 'retail-network']);
  });

  test('2. then removing the entry: no finding (its subnet has no NIC left, its stack nothing in it)', () => {
    const retired = history.ok(changed((s) => (s.services[2].retired = true)));
    const removed = history.ok(changed((s) => s.services.splice(2, 1)));
    expect(findingsOf(retired, removed)).toEqual([]);
    expect(removed.stacks['retail-svc-catalog']).toBeUndefined();
    expect((removed.stacks['retail-network'] as Json).resource.azurerm_subnet['network_svc-catalog-subnet']).toBeUndefined();
  });

  test('removing the entry without retiring it is refused at synth, naming the field and the two steps', () => {
    const r = history.step(changed((s) => s.services.splice(2, 1)));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      {
        file: 'retail.ts',
        issues: [
          expect.objectContaining({
            path: 'services',
            message: expect.stringMatching(/^service 'catalog' is gone, but the lock file records it as running and never as retired/),
            hint: 'retire it in two steps: 1. put the entry back with retired: true and deploy it (its stack is emptied, the front stops routing to it); 2. remove the entry in a later change',
          }),
        ],
      },
    ]);
  });

  test('and the review blocks it (as in an app without a lock file): the stack leaves the synth with its scale sets, the subnet is still used', () => {
    const noLock = new History('none');
    try {
      const before = noLock.ok(exampleSpec());
      const removed = noLock.ok(changed((s) => s.services.splice(2, 1)));
      expect(findingsOf(before, removed)).toEqual([
        'block subnet retail-network:azurerm_subnet.network_svc-catalog-subnet',
        'block vanished retail-svc-catalog',
        'block stateful retail-svc-catalog:azurerm_resource_group.resource-group',
      ]);
    } finally {
      noLock.cleanUp();
    }
  });

  test('un-retiring (retired removed before the entry) brings the stack back with new scale sets', () => {
    history.ok(changed((s) => (s.services[2].retired = true)));
    const back = history.ok(exampleSpec());
    // every other stack as before; the catalog's scale sets are new ones, so they take today's
    // creation-time defaults (best-effort zone balance, the image version resolved at creation)
    // instead of the settings recorded for the old ones
    for (const stack of Object.keys(base.stacks).filter((x) => x !== 'retail-svc-catalog')) expect(back.stacks[stack]).toEqual(base.stacks[stack]);
    const vmss = (o: typeof base) => (o.stacks['retail-svc-catalog'] as Json).resource.azurerm_linux_virtual_machine_scale_set;
    for (const slot of ['blue', 'green']) {
      const was = vmss(base)[`${slot}_scale-set_vmss`];
      const now = vmss(back)[`${slot}_scale-set_vmss`];
      expect(was.zone_balance).toBe(true);
      expect(now.zone_balance).toBe(false);
      expect(was.source_image_reference.version).toBe('latest');
      expect(now.source_image_reference.version).toBe(`\${terraform_data.${slot}_scale-set_image-version.input.version}`);
      expect({ ...now, zone_balance: true, source_image_reference: was.source_image_reference }).toEqual(was);
    }
  });
});

describe('retiring a pool and the services on it: two changes', () => {
  test('retire, then remove: no finding at either step', () => {
    const pooled = history.ok(withPool());
    const retired = history.ok(withPool((s) => ((s.pools[0].retired = true), (s.services[3].retired = true))));
    expect(findingsOf(pooled, retired)).toEqual([]);
    expect((retired.stacks['retail-pool-batch'] as Json).resource).toBeUndefined();
    expect((retired.stacks['retail-network'] as Json).resource.azurerm_subnet['network_pool-batch-subnet']).toBeDefined();
    const removed = history.ok(exampleSpec());
    expect(findingsOf(retired, removed)).toEqual([]);
    expect(removed.stacks['retail-pool-batch']).toBeUndefined();
  });

  test('a retired pool needs its services retired too, and a pool whose services are all retired is retired itself', () => {
    history.ok(withPool());
    const r = history.step(withPool((s) => (s.pools[0].retired = true)));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0].issues.map((i) => `${i.path}: ${i.message}`)).toEqual(["services[3].retired: reports runs on pool 'batch', which is retired: its VMs go"]);
    const all = history.step(withPool((s) => (s.services[3].retired = true)));
    expect(all.ok).toBe(false);
    if (all.ok) return;
    expect(all.problems[0].issues.map((i) => `${i.path}: ${i.message}`)).toEqual(["pools[0].retired: every service on pool 'batch' is retired, so its VMs would run nothing"]);
  });

  test('removing a pool without retiring it is refused', () => {
    history.ok(withPool());
    const r = history.step(exampleSpec());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0].issues.map((i) => i.path)).toEqual(['pools', 'services']);
  });

  test('retiring one service on a pool keeps the pool: its VMs drop the service; no finding', () => {
    const pooled = history.ok(withPool((s) => s.services.push({ ...structuredClone(s.services[3]), name: 'exports', block: 7 })));
    const retired = history.ok(withPool((s) => s.services.push({ ...structuredClone(s.services[3]), name: 'exports', block: 7, retired: true })));
    expect(findingsOf(pooled, retired)).toEqual([]);
    const lbs = (retired.stacks['retail-pool-batch'] as Json).resource.azurerm_lb;
    expect(lbs['blue_lb_lb'].frontend_ip_configuration.map((f: Json) => f.name)).toEqual(['reports']);
  });
});

describe('retiring a whole environment', () => {
  test('every service retired: every compute stack emptied, the rest kept; no finding', () => {
    const retired = history.ok(changed((s) => s.services.forEach((svc: Json) => (svc.retired = true))));
    expect(findingsOf(base, retired)).toEqual([]);
    for (const stack of ['retail-svc-catalog', 'retail-svc-order-processing', 'retail-svc-pricing']) expect((retired.stacks[stack] as Json).resource).toBeUndefined();
    expect(JSON.parse((retired.stacks['retail-front'] as Json).resource.azurerm_storage_blob['front_routing-table'].source_content).services).toEqual({});
  });

  test("removing the environment's file while its lock file stays is refused: its stacks would leave the synth", () => {
    const r = history.step({ ...(exampleSpec() as Json), name: 'other' }, 'other.ts');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([{ file: 'retail.lock.json', issues: [expect.objectContaining({ path: '(file)', message: expect.stringMatching(/^belongs to an environment whose file is gone/) })] }]);
  });
});
