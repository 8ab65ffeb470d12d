/**
 * Creation-time settings of scale sets are recorded in a lock file beside the environment; a
 * change that would replace a recorded scale set is refused unless the service allows it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssue } from '../../lib/spec/issues';
import type { EnvironmentSpec } from '../../lib/spec/schema';
import { synthesize } from '../../stacks/synthesize';
import { exampleSpec, readStacks, tempDir, type Json } from '../helpers';

function project() {
  const dir = tempDir();
  const out = join(dir, 'cdktf.out');
  const lock = join(dir, 'retail.lock.json');
  const run = (spec: EnvironmentSpec, frozenLock = false) => synthesize([{ file: 'retail.ts', spec, issues: [] }], out, { lockDir: dir, frozenLock });
  const problems = (r: ReturnType<typeof run>) => r.problems.flatMap((p) => p.issues.map((i) => `${p.file}: ${formatIssue(i)}`));
  return { dir, out, lock, run, problems, lockJson: () => JSON.parse(readFileSync(lock, 'utf8')) as Json };
}

describe('scale-set lock', () => {
  test('the first synth records every scale set; a second, or a reordered one, leaves the file byte-identical', () => {
    const p = project();
    expect(p.run(exampleSpec()).ok).toBe(true);
    const text = readFileSync(p.lock, 'utf8');
    expect(Object.keys(p.lockJson().scaleSets)).toEqual(['catalog/blue', 'catalog/green', 'front', 'order-processing/blue', 'order-processing/green', 'pricing/blue', 'pricing/green']);
    expect(p.lockJson().scaleSets['pricing/blue']).toMatchObject({ orchestration: 'Uniform', zoneBalance: true, rollingUpgradePolicy: { maxBatchInstancePercent: 20, maximumSurgeInstancesEnabled: true } });
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
      'retail.ts: services[0].upgrade: changes rollingUpgradePolicy.maxBatchInstancePercent 20 → 25 of the blue and green scale sets, which replaces them: every VM at once (if intended, deploy with services[0].allowReplacement: true (replace the idle slot first), then remove it; else undo the change)',
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
      'retail.ts: front.upgrade: changes rollingUpgradePolicy.maxBatchInstancePercent 20 → 50 of the front scale set, which replaces it: every VM at once (if intended, deploy with front.allowReplacement: true in a maintenance window (its VMs are replaced together), then remove it; else undo the change)',
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
    expect(lines).toContain('retail.ts: region: changes zoneBalance true → false of the blue and green scale sets, which replaces them: every VM at once (if intended, deploy with services[0].allowReplacement: true (replace the idle slot first), then remove it; else undo the change)');
    expect(lines.filter((l) => l.includes('zoneBalance'))).toHaveLength(4); // one per service, and the front
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

describe('Key Vault lock', () => {
  test('records the soft-delete retention and refuses a change of it', () => {
    const p = project();
    expect(p.run(exampleSpec()).ok).toBe(true);
    expect(p.lockJson().keyVault).toEqual({ softDeleteRetentionDays: 90 });
    const spec = exampleSpec();
    spec.keyVault!.softDeleteRetentionDays = 30;
    expect(p.problems(p.run(spec))).toEqual([
      "retail.ts: keyVault.softDeleteRetentionDays: changes from 90 to 30 days; Azure cannot change a vault's soft-delete retention after creation (keep 90; a new retention needs a new vault (see the README teardown recipe))",
    ]);
    expect(p.lockJson().keyVault).toEqual({ softDeleteRetentionDays: 90 });
  });
});
