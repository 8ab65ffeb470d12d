/**
 * Creation-time settings of scale sets are recorded in a lock file beside the environment; a
 * change that would replace a recorded scale set is refused unless the service allows it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleService, exampleSpec, lockProject, readStacks, resourceAt, type Json } from '../helpers';

/** The example's committed lock: its scale sets were recorded with strict zone balance. */
const COMMITTED_LOCK = join(__dirname, '../../stacks/environments/retail.lock.json');
const VMSS = 'azurerm_linux_virtual_machine_scale_set';

const project = lockProject;

describe('scale-set lock', () => {
  test('the first synth records every scale set; a second, or a reordered one, leaves the file byte-identical', () => {
    const p = project();
    expect(p.run(exampleSpec()).ok).toBe(true);
    const text = readFileSync(p.lock, 'utf8');
    expect(Object.keys(p.lockJson().scaleSets)).toEqual(['catalog/blue', 'catalog/green', 'front', 'order-processing/blue', 'order-processing/green', 'pricing/blue', 'pricing/green']);
    expect(p.lockJson().scaleSets['pricing/blue']).toMatchObject({ orchestration: 'Uniform', zoneBalance: false, rollingUpgradePolicy: { maxBatchInstancePercent: 20, maxUnhealthyInstancePercent: 20, maximumSurgeInstancesEnabled: true }, osDiskStorageAccountType: 'Premium_LRS' });
    expect(p.lockJson().admin).toEqual({ username: 'azureadmin' });
    const reordered = exampleSpec();
    reordered.services.reverse();
    expect(p.run(reordered).ok).toBe(true);
    expect(readFileSync(p.lock, 'utf8')).toBe(text);
  });

  test('refuses a change of the rolling upgrade policy, naming the setting; writes neither output nor lock', () => {
    const p = project();
    p.run(exampleSpec());
    const lockBefore = readFileSync(p.lock, 'utf8');
    const outBefore = readStacks(p.out);
    const spec = exampleSpec();
    spec.services[0].upgrade = { maxBatchPercent: 25 };
    const r = p.run(spec);
    expect(r.ok).toBe(false);
    expect(p.problems(r)).toEqual([
      'retail.ts: services[0].upgrade: changes rollingUpgradePolicy.maxBatchInstancePercent 20 → 25, rollingUpgradePolicy.maxUnhealthyInstancePercent 20 → 25 of the blue and green scale sets, which replaces them: every VM at once (if intended, deploy with services[0].allowReplacement: true (replace the idle slot first), then remove it; else undo the change)',
    ]);
    expect(readFileSync(p.lock, 'utf8')).toBe(lockBefore);
    expect(readStacks(p.out)).toEqual(outBefore);
  });

  test('accepts the change when the service allows replacement, and records it', () => {
    const p = project();
    p.run(exampleSpec());
    const spec = exampleSpec();
    spec.services[0].upgrade = { maxBatchPercent: 25 };
    spec.services[0].allowReplacement = true;
    expect(p.run(spec).ok).toBe(true);
    expect(p.lockJson().scaleSets['pricing/green'].rollingUpgradePolicy.maxBatchInstancePercent).toBe(25);
    expect(p.lockJson().scaleSets['catalog/green'].rollingUpgradePolicy.maxBatchInstancePercent).toBe(20);
  });

  test("the front's scale set is recorded too: a change of its upgrade policy is refused unless front.allowReplacement", () => {
    const p = project();
    p.run(exampleSpec());
    const spec = exampleSpec();
    spec.front = { upgrade: { maxBatchPercent: 50 } };
    expect(p.problems(p.run(spec))).toEqual([
      'retail.ts: front.upgrade: changes rollingUpgradePolicy.maxBatchInstancePercent 20 → 50, rollingUpgradePolicy.maxUnhealthyInstancePercent 20 → 50 of the front scale set, which replaces it: every VM at once (if intended, deploy with front.allowReplacement: true in a maintenance window (its VMs are replaced together), then remove it; else undo the change)',
    ]);
    spec.front.allowReplacement = true;
    expect(p.run(spec).ok).toBe(true);
    expect(p.lockJson().scaleSets.front.rollingUpgradePolicy.maxBatchInstancePercent).toBe(50);
  });

  test('refuses a change of orchestration at its field, and a region without zones at the region', () => {
    const p = project();
    p.run(exampleSpec());
    const flexible = exampleSpec();
    flexible.services[2].orchestration = 'Flexible';
    expect(p.problems(p.run(flexible))).toEqual([
      'retail.ts: services[2].orchestration: changes orchestration "Uniform" → "Flexible" of the blue and green scale sets, which replaces them: every VM at once (if intended, deploy with services[2].allowReplacement: true (replace the idle slot first), then remove it; else undo the change)',
    ]);
    const moved = exampleSpec();
    moved.region = 'northcentralus';
    const lines = p.problems(p.run(moved));
    expect(lines).toContain('retail.ts: region: changes platformFaultDomainCount null → 2 of the blue and green scale sets, which replaces them: every VM at once (if intended, deploy with services[0].allowReplacement: true (replace the idle slot first), then remove it; else undo the change)');
    expect(lines.filter((l) => l.includes('platformFaultDomainCount'))).toHaveLength(4); // one per service, and the front
    // a scale set recorded with strict zone balance loses it with its zones: that is reported too
    const q = project();
    writeFileSync(q.lock, readFileSync(COMMITTED_LOCK, 'utf8'));
    expect(q.problems(q.run(moved))).toContain('retail.ts: region: changes zoneBalance true → false of the blue and green scale sets, which replaces them: every VM at once (if intended, deploy with services[0].allowReplacement: true (replace the idle slot first), then remove it; else undo the change)');
  });

  test('a new service is appended and a retired one dropped (then forgotten once removed), leaving the others as they were', () => {
    const p = project();
    p.run(exampleSpec());
    const before = p.lockJson().scaleSets;
    // removing a service is two steps (docs/lifecycle.md): retired first, recorded as such
    const retired = exampleSpec();
    retired.services.find((s) => s.name === 'catalog')!.retired = true;
    expect(p.run(retired).ok).toBe(true);
    const after = p.lockJson().scaleSets;
    expect(Object.keys(after)).toEqual(['front', 'order-processing/blue', 'order-processing/green', 'pricing/blue', 'pricing/green']);
    for (const k of Object.keys(after)) expect(after[k]).toEqual(before[k]);
    expect(p.lockJson().retired).toEqual(['catalog']);
    const fewer = exampleSpec();
    fewer.services = fewer.services.filter((s) => s.name !== 'catalog');
    expect(p.run(fewer).ok).toBe(true);
    expect(Object.keys(p.lockJson().scaleSets)).toEqual(Object.keys(after));
    expect(p.lockJson().retired).toBeUndefined();
  });

  test('removing a service the lock records as running, without retiring it first, is refused and writes nothing', () => {
    const p = project();
    p.run(exampleSpec());
    const lock = readFileSync(p.lock, 'utf8');
    const fewer = exampleSpec();
    fewer.services = fewer.services.filter((s) => s.name !== 'catalog');
    const r = p.run(fewer);
    expect(p.problems(r)).toEqual([
      "retail.ts: services: service 'catalog' is gone, but the lock file records it as running and never as retired: its stack would leave the synth with its scale sets in it (cdktf could no longer destroy them), and the network would try to delete a subnet their NICs still use (retire it in two steps: 1. put the entry back with retired: true and deploy it (its stack is emptied, the front stops routing to it); 2. remove the entry in a later change)",
    ]);
    expect(readFileSync(p.lock, 'utf8')).toBe(lock);
    expect(existsSync(p.out)).toBe(true);
  });

  test('--frozen-lock refuses a missing or stale lock and accepts a current one', () => {
    const p = project();
    expect(p.problems(p.run(exampleSpec(), true))).toEqual(['retail.lock.json: (file): is out of date (--frozen-lock) (run npm run synth and commit the lock file)']);
    expect(existsSync(p.lock)).toBe(false);
    expect(existsSync(p.out)).toBe(false);
    p.run(exampleSpec());
    expect(p.run(exampleSpec(), true).ok).toBe(true);
  });

  test('a lock that is not JSON is reported, not thrown', () => {
    const p = project();
    writeFileSync(p.lock, '{ half');
    const r = p.run(exampleSpec());
    expect(r.ok).toBe(false);
    expect(p.problems(r)[0]).toMatch(/^retail\.lock\.json: \(file\): cannot be read: .*\(restore it from git\)$/);
  });
});

describe('settings the library derives (zone balance, disk type, unhealthy limit) and the admin user', () => {
  /** A project whose lock is the committed one, as a lock written before these fields were recorded. */
  function committed(strip = true) {
    const p = project();
    const lock = JSON.parse(readFileSync(COMMITTED_LOCK, 'utf8')) as Json;
    if (strip) {
      for (const s of Object.values(lock.scaleSets) as Json[]) delete s.osDiskStorageAccountType;
      delete lock.admin;
    }
    writeFileSync(p.lock, `${JSON.stringify(lock, null, 2)}\n`);
    return p;
  }
  const withSearch = () => {
    const spec = exampleSpec();
    spec.services.push(exampleService({ name: 'search', block: 4, vmSize: 'Standard_D2s_v5', capacity: { min: 2, default: 2, max: 6 }, autoscale: undefined }));
    return spec;
  };

  test('recorded scale sets keep strict zone balance; a new service gets best effort (zone_balance = false)', () => {
    const p = committed();
    const r = p.run(withSearch());
    expect(p.problems(r)).toEqual([]);
    const stacks = readStacks(p.out);
    expect(resourceAt(stacks['retail-svc-pricing'], VMSS, 'blue_scale-set_vmss').zone_balance).toBe(true);
    // the example's front was replaced once since (22.04 → 24.04, docs/vm-image.md): it took today's best effort
    expect(resourceAt(stacks['retail-front'], VMSS, 'front_scale-set_vmss').zone_balance).toBe(false);
    expect(resourceAt(stacks['retail-svc-search'], VMSS, 'blue_scale-set_vmss')).toMatchObject({ zones: ['1', '2', '3'], zone_balance: false });
    expect(resourceAt(stacks['retail-svc-search'], VMSS, 'green_scale-set_vmss').zone_balance).toBe(false);
    const lock = p.lockJson();
    expect(lock.scaleSets['pricing/blue'].zoneBalance).toBe(true);
    expect(lock.scaleSets['search/green'].zoneBalance).toBe(false);
    // an older lock gets the fields it lacks recorded, with the values the scale sets have
    expect(lock.scaleSets['pricing/blue'].osDiskStorageAccountType).toBe('Premium_LRS');
    expect(lock.admin).toEqual({ username: 'azureadmin' });
  });

  test('a resize that changes the OS disk type is refused at services[i].vmSize; one within the storage class is not', () => {
    const p = committed();
    expect(p.run(exampleSpec()).ok).toBe(true);
    const lockBefore = readFileSync(p.lock, 'utf8');
    const spec = exampleSpec();
    expect(spec.services[2].vmSize).toBe('Standard_E4s_v5');
    spec.services[2].vmSize = 'Standard_E4_v5';
    expect(p.problems(p.run(spec))).toEqual([
      "retail.ts: services[2].vmSize: Standard_E4_v5 changes the OS disk type Premium_LRS → StandardSSD_LRS of the blue and green scale sets (a size without an s cannot use Premium SSD); Azure cannot change a scale set's OS disk type, so this replaces them: both slots, every VM of the service, in one apply (keep a size with premium storage (an s size, e.g. 'Standard_E4s_v5' or 'Standard_E4as_v5'); or add a new service with the new size beside this one and move traffic to it; services[2].allowReplacement: true replaces both slots together)",
    ]);
    expect(readFileSync(p.lock, 'utf8')).toBe(lockBefore);
    spec.services[2].vmSize = 'Standard_E4as_v5';
    expect(p.problems(p.run(spec))).toEqual([]);
    expect(resourceAt(readStacks(p.out)['retail-svc-catalog'], VMSS, 'blue_scale-set_vmss').os_disk).toMatchObject({ storage_account_type: 'Premium_LRS' });
  });

  test("the front's size is checked the same way, at front.vmSize", () => {
    const p = committed();
    expect(p.run(exampleSpec()).ok).toBe(true);
    const spec = exampleSpec();
    spec.front = { ...spec.front, vmSize: 'Standard_D2_v5' };
    expect(p.problems(p.run(spec))).toEqual([
      "retail.ts: front.vmSize: Standard_D2_v5 changes the OS disk type Premium_LRS → StandardSSD_LRS of the front scale set (a size without an s cannot use Premium SSD); Azure cannot change a scale set's OS disk type, so this replaces it: every VM at once (keep a size with premium storage (an s size, e.g. 'Standard_D2s_v5' or 'Standard_D2as_v5'); if intended, deploy with front.allowReplacement: true in a maintenance window (its VMs are replaced together), then remove it)",
    ]);
  });

  test('a batch above 20 % raises the unhealthy limit with it for new scale sets; a recorded one keeps its limit', () => {
    const p = committed();
    const spec = withSearch();
    spec.services[3].upgrade = { maxBatchPercent: 50 };
    expect(p.problems(p.run(spec))).toEqual([]);
    const stacks = readStacks(p.out);
    expect(resourceAt(stacks['retail-svc-search'], VMSS, 'blue_scale-set_vmss').rolling_upgrade_policy).toMatchObject({ max_batch_instance_percent: 50, max_unhealthy_instance_percent: 50 });
    expect(resourceAt(stacks['retail-svc-pricing'], VMSS, 'blue_scale-set_vmss').rolling_upgrade_policy).toMatchObject({ max_batch_instance_percent: 20, max_unhealthy_instance_percent: 20 });
    // recorded before the fix with batch 50 and limit 20: kept, since the policy is ForceNew
    const lock = p.lockJson();
    lock.scaleSets['search/blue'].rollingUpgradePolicy.maxUnhealthyInstancePercent = 20;
    lock.scaleSets['search/green'].rollingUpgradePolicy.maxUnhealthyInstancePercent = 20;
    writeFileSync(p.lock, JSON.stringify(lock));
    const recordedLock = readFileSync(p.lock, 'utf8');
    // kept as recorded (not silently replaced), and the policy pack names the inconsistency
    expect(p.problems(p.run(spec))).toEqual(
      ['blue', 'green'].map((slot) => expect.stringMatching(new RegExp(`^retail\\.ts: retail-svc-search:azurerm_linux_virtual_machine_scale_set\\.${slot}_scale-set_vmss: ASE-VM-004 batches of 50% above the unhealthy limit of 20%`))),
    );
    expect(readFileSync(p.lock, 'utf8')).toBe(recordedLock);
    // replacing them (allowReplacement) gives the consistent limit
    spec.services[3].allowReplacement = true;
    expect(p.problems(p.run(spec))).toEqual([]);
    expect(resourceAt(readStacks(p.out)['retail-svc-search'], VMSS, 'blue_scale-set_vmss').rolling_upgrade_policy).toMatchObject({ max_batch_instance_percent: 50, max_unhealthy_instance_percent: 50 });
    expect(p.lockJson().scaleSets['search/blue'].rollingUpgradePolicy.maxUnhealthyInstancePercent).toBe(50);
  });

  test('a recorded scale set being replaced (allowReplacement and a changed batch) takes the new defaults', () => {
    const p = committed();
    const spec = exampleSpec();
    spec.services[0].upgrade = { maxBatchPercent: 25 };
    spec.services[0].allowReplacement = true;
    expect(p.problems(p.run(spec))).toEqual([]);
    expect(p.lockJson().scaleSets['pricing/blue']).toMatchObject({ zoneBalance: false, rollingUpgradePolicy: { maxBatchInstancePercent: 25, maxUnhealthyInstancePercent: 25 } });
    expect(p.lockJson().scaleSets['catalog/blue'].zoneBalance).toBe(true);
  });

  test('the admin user is recorded; a change is refused at admin.username unless every scale set may be replaced', () => {
    const p = committed(false);
    expect(p.run(exampleSpec()).ok).toBe(true);
    const lockBefore = readFileSync(p.lock, 'utf8');
    const spec = exampleSpec();
    spec.admin.username = 'opsadmin';
    expect(p.problems(p.run(spec))).toEqual([
      'retail.ts: admin.username: changes the VMs\' admin user from "azureadmin" to "opsadmin"; Azure cannot change it after creation and azurerm forces a new scale set for it, so every scale set of the environment (both slots of every service and pool, and the front) would be replaced in one apply (keep "azureadmin" (the lock file records it); if intended, set allowReplacement: true on every service, pool and the front for this change, in a maintenance window)',
    ]);
    expect(readFileSync(p.lock, 'utf8')).toBe(lockBefore);
    spec.services.forEach((s) => (s.allowReplacement = true));
    expect(p.problems(p.run(spec))[0]).toMatch(/^retail\.ts: admin\.username: /); // the front still not
    spec.front = { ...spec.front, allowReplacement: true };
    expect(p.problems(p.run(spec))).toEqual([]);
    expect(p.lockJson().admin).toEqual({ username: 'opsadmin' });
  });
});

describe('Key Vault lock', () => {
  test('records the soft-delete retention and refuses a change of it', () => {
    const p = project();
    expect(p.run(exampleSpec()).ok).toBe(true);
    expect(p.lockJson().keyVault).toEqual({ softDeleteRetentionDays: 90 });
    const spec = exampleSpec();
    spec.keyVault!.softDeleteRetentionDays = 30;
    expect(p.problems(p.run(spec))).toEqual([
      "retail.ts: keyVault.softDeleteRetentionDays: changes from 90 to 30 days; Azure cannot change a vault's soft-delete retention after creation (keep 90; a new retention needs a new vault (docs/operating.md: tear down an environment))",
    ]);
    expect(p.lockJson().keyVault).toEqual({ softDeleteRetentionDays: 90 });
  });
});
