/**
 * Blocks in the lock file: each service's and pool's block is recorded by the synth, and a changed
 * block, a removed name added back with another block, or a removed name's block reused is refused
 * with the recorded value, writing nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { checkBlocks } from '../../lib/spec/block-lock';
import { formatIssue } from '../../lib/spec/issues';
import { exampleSpec, lockProject, readStacks } from '../helpers';

const project = lockProject;

describe('blocks in the lock file', () => {
  test('the synth records every service and pool block, in name order', () => {
    const p = project();
    const spec = exampleSpec();
    spec.pools = [{ name: 'shared', block: 9, vmSize: 'Standard_D2s_v5', capacity: { min: 2, default: 2, max: 4 } }];
    spec.services.push({ ...structuredClone(spec.services[1]), name: 'search', block: 7, pool: 'shared', vmSize: undefined, capacity: undefined });
    expect(p.problems(p.run(spec))).toEqual([]);
    expect(p.lockJson().blocks).toEqual({ services: { catalog: 3, 'order-processing': 2, pricing: 1, search: 7 }, pools: { shared: 9 } });
  });

  test('refuses a changed block at the field, naming the old value and the way out; writes neither output nor lock', () => {
    const p = project();
    p.run(exampleSpec());
    const lockBefore = readFileSync(p.lock, 'utf8');
    const outBefore = readStacks(p.out);
    const spec = exampleSpec();
    spec.services[2].block = 5;
    const r = p.run(spec);
    expect(r.ok).toBe(false);
    expect(p.problems(r)).toEqual([
      "retail.ts: services[2].block: changes service catalog's block from 3 to 5; the block fixes its subnet, load-balancer frontend IPs and ports, so every one of its resources would move (retail.lock.json records 3) (keep block 3. To move it, add it under a new name with block 5, move traffic, then remove the old one; its entry stays in retail.lock.json until you delete that line once its resources are destroyed)",
    ]);
    expect(readFileSync(p.lock, 'utf8')).toBe(lockBefore);
    expect(readStacks(p.out)).toEqual(outBefore);
  });

  test('a removed service stays recorded: added back with another block it is refused; with its old block it is accepted', () => {
    const p = project();
    p.run(exampleSpec());
    // removal takes two changes (docs/lifecycle.md): retired, then gone
    const retired = exampleSpec();
    retired.services[2].retired = true;
    expect(p.problems(p.run(retired))).toEqual([]);
    const without = exampleSpec();
    without.services = without.services.filter((s) => s.name !== 'catalog');
    expect(p.problems(p.run(without))).toEqual([]);
    expect(p.lockJson().blocks.services).toEqual({ catalog: 3, 'order-processing': 2, pricing: 1 });
    const back = exampleSpec();
    back.services[2].block = 6;
    expect(p.problems(p.run(back))).toEqual([expect.stringMatching(/^retail\.ts: services\[2\]\.block: changes service catalog's block from 3 to 6/)]);
    expect(p.run(exampleSpec()).ok).toBe(true);
  });

  test("refuses a new name on a removed service's block while the lock records it; deleting the line lets it through", () => {
    const p = project();
    p.run(exampleSpec());
    const retired = exampleSpec();
    retired.services[2].retired = true;
    expect(p.problems(p.run(retired))).toEqual([]);
    const renamed = exampleSpec();
    renamed.services[2].name = 'products';
    expect(p.problems(p.run(renamed))).toEqual([
      "retail.ts: services[2].block: block 3 is recorded for service catalog in retail.lock.json, which the spec no longer has: its subnet and frontend IPs may still exist (take a block no service or pool has used; or, once catalog's resources are destroyed, delete its line from retail.lock.json in this change)",
    ]);
    const lock = p.lockJson();
    delete lock.blocks.services.catalog;
    writeFileSync(p.lock, JSON.stringify(lock, null, 2));
    expect(p.problems(p.run(renamed))).toEqual([]);
    expect(p.lockJson().blocks.services).toEqual({ 'order-processing': 2, pricing: 1, products: 3 });
  });

  test('a renamed service that was never retired is refused twice: its block is taken, and its old name leaves running', () => {
    const p = project();
    p.run(exampleSpec());
    const renamed = exampleSpec();
    renamed.services[2].name = 'products';
    expect(p.problems(p.run(renamed))).toEqual([
      expect.stringMatching(/^retail\.ts: services\[2\]\.block: block 3 is recorded for service catalog/),
      expect.stringMatching(/^retail\.ts: services: service 'catalog' is gone, but the lock file records it as running and never as retired/),
    ]);
  });

  test('a lock file written before blocks were recorded is read, and gets them', () => {
    const p = project();
    p.run(exampleSpec());
    const old = p.lockJson();
    delete old.blocks;
    writeFileSync(p.lock, JSON.stringify(old, null, 2));
    expect(p.run(exampleSpec()).ok).toBe(true);
    expect(p.lockJson().blocks.services.pricing).toBe(1);
  });

  test('a malformed blocks entry is reported at the file, not thrown', () => {
    const p = project();
    p.run(exampleSpec());
    const bad = p.lockJson();
    bad.blocks = { services: { pricing: 'one' } };
    writeFileSync(p.lock, JSON.stringify(bad));
    expect(p.problems(p.run(exampleSpec()))).toEqual([expect.stringMatching(/^retail\.lock\.json: \(file\): cannot be read: its blocks are not/)]);
  });

  test('pools are checked the same way, at pools[i].block', () => {
    const r = checkBlocks([{ kind: 'pools', index: 0, name: 'shared', block: 12 }], { services: {}, pools: { shared: 9 } }, 'x.lock.json');
    expect(r.issues.map(formatIssue)).toEqual([expect.stringMatching(/^pools\[0\]\.block: changes pool shared's block from 9 to 12/)]);
  });
});
