/**
 * Patching that rides the slots (docs/patching.md): a marketplace image at 'latest' is resolved to
 * one version per slot when the slot's scale set is created, kept by a `terraform_data` resource,
 * and resolved again only when the slot's `osPatch` label changes. Checked on the synthesized
 * stacks, the lock (a scale set recorded at 'latest' before is left alone), the spec rules, the
 * review, and real Terraform running the synthesized `terraform_data` and reference (the azurerm
 * data source stands in as a variable: the provider cannot reach Azure here).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleSpec, lockProject, readStacks, synthStacks, tempDir, type Json } from '../helpers';
import { reviewOutputs } from '../../lib/review/compare';
import { readSynthOutput } from '../../lib/review/config-diff';
import { synthesize } from '../../lib/environment/synthesize';
import { formatIssue } from '../../lib/spec/issues';

type Spec = ReturnType<typeof exampleSpec>;
const pricing = (s: Spec) => s.services.find((x) => x.name === 'pricing')!;
const json = (text: string) => JSON.parse(text) as Json;
const scaleSet = (stack: Json, slot: string) => stack.resource.azurerm_linux_virtual_machine_scale_set[`${slot}_scale-set_vmss`] as Json;
const pin = (stack: Json, slot: string) => stack.resource.terraform_data?.[`${slot}_scale-set_image-version`] as Json | undefined;

function problemsOf(mutate: (s: Spec) => void): string[] {
  const spec = exampleSpec();
  mutate(spec);
  const dir = tempDir();
  const r = synthesize([{ file: 'retail.ts', spec, issues: [] }], join(dir, 'cdktf.out'));
  return r.problems.flatMap((p) => p.issues.map(formatIssue));
}

describe('each slot runs the version resolved at its creation', () => {
  let stacks: Record<string, string>;
  beforeAll(() => {
    stacks = synthStacks(exampleSpec());
  });

  test('a service slot: the scale set reads the version terraform_data holds, which took azurerm_platform_image`s and ignores later ones', () => {
    const stack = json(stacks['retail-svc-pricing']);
    for (const slot of ['blue', 'green']) {
      const image = scaleSet(stack, slot).source_image_reference;
      expect(image).toEqual({ publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: `\${terraform_data.${slot}_scale-set_image-version.input.version}` });
      const { '//': _m, ...data } = stack.data.azurerm_platform_image[`${slot}_scale-set_image`];
      expect(data).toEqual({ location: 'westeurope', publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2' });
      const { '//': _n, ...held } = pin(stack, slot)!;
      expect(held).toEqual({ input: { version: `\${data.azurerm_platform_image.${slot}_scale-set_image.version}` }, triggers_replace: { osPatch: '' }, lifecycle: { ignore_changes: ['input'] } });
    }
  });

  test("the front keeps 'latest' with automatic OS image upgrades (Azure needs 'latest' for them): no pinned version", () => {
    const front = json(stacks['retail-front']);
    const vmss = Object.values(front.resource.azurerm_linux_virtual_machine_scale_set)[0] as Json;
    expect(vmss.source_image_reference.version).toBe('latest');
    expect(vmss.automatic_os_upgrade_policy).toEqual({ enable_automatic_os_upgrade: true, disable_automatic_rollback: false });
    expect(front.resource.terraform_data).toBeUndefined();
    expect(front.data?.azurerm_platform_image).toBeUndefined();
  });

  test('osPatch on the idle slot changes only that slot`s trigger: nothing of the live slot moves', () => {
    const spec = exampleSpec();
    pricing(spec).slots.green.osPatch = '2026-12';
    const after = json(synthStacks(spec)['retail-svc-pricing']);
    const before = json(stacks['retail-svc-pricing']);
    expect(pin(after, 'green')!.triggers_replace).toEqual({ osPatch: '2026-12' });
    expect(pin(after, 'blue')).toEqual(pin(before, 'blue'));
    expect(scaleSet(after, 'blue')).toEqual(scaleSet(before, 'blue'));
    // the green scale set's configuration is the same reference: the value moves in the plan
    expect(scaleSet(after, 'green')).toEqual(scaleSet(before, 'green'));
  });

  test('a pinned version is used as written, with no data source', () => {
    const spec = exampleSpec();
    pricing(spec).image = { marketplace: { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: '22.04.202410020' } };
    const stack = json(synthStacks(spec)['retail-svc-pricing']);
    expect(scaleSet(stack, 'blue').source_image_reference.version).toBe('22.04.202410020');
    expect(stack.resource.terraform_data).toBeUndefined();
    expect(stack.data?.azurerm_platform_image).toBeUndefined();
  });

  test("a pool's slots are pinned the same way, each with the pool's label", () => {
    const spec = exampleSpec();
    spec.pools = [{ name: 'shared', block: 40, vmSize: 'Standard_D2s_v5', capacity: { min: 2, default: 2, max: 4 }, osPatch: { blue: '2026-11' } }];
    for (const s of spec.services.filter((x) => x.name !== 'pricing')) {
      delete s.vmSize;
      delete s.capacity;
      s.pool = 'shared';
    }
    const stack = json(synthStacks(spec)['retail-pool-shared']);
    expect(pin(stack, 'blue')!.triggers_replace).toEqual({ osPatch: '2026-11' });
    expect(pin(stack, 'green')!.triggers_replace).toEqual({ osPatch: '' });
  });
});

describe('the spec rules', () => {
  test('osPatch on a pinned image, latest of another publisher, and osPatch on a pool`s service: each refused at its field, all at once', () => {
    const problems = problemsOf((s) => {
      const p = pricing(s);
      p.image = { marketplace: { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: '22.04.202410020' } };
      p.slots.green.osPatch = '2026-12';
      const other = s.services.find((x) => x.name === 'catalog')!;
      other.image = { marketplace: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2' } };
      s.pools = [{ name: 'shared', block: 40, vmSize: 'Standard_D2s_v5', capacity: { min: 2, default: 2, max: 4 } }];
      const op = s.services.find((x) => x.name === 'order-processing')!;
      delete op.vmSize;
      delete op.capacity;
      op.pool = 'shared';
      op.slots.blue.osPatch = '2026-12';
    });
    const i = (name: string) => exampleSpec().services.findIndex((x) => x.name === name);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^services\\[${i('pricing')}\\]\\.slots\\.green\\.osPatch: re-resolves a marketplace image at 'latest', and this slot's image is pinned \\(version '22\\.04\\.202410020' at services\\.${i('pricing')}\\.image\\)`)),
        expect.stringMatching(new RegExp(`^services\\[${i('catalog')}\\]\\.image\\.marketplace\\.version: 'latest' is resolved to one version .*those of 'RedHat' may not`)),
        expect.stringMatching(new RegExp(`^services\\[${i('order-processing')}\\]\\.slots\\.blue\\.osPatch: a service on a pool runs on the pool's VMs.*set pools\\[0\\]\\.osPatch\\.blue`)),
      ]),
    );
    expect(problems.filter((p) => /osPatch|marketplace\.version/.test(p))).toHaveLength(3);
  });

  test('a label is data: one that is not a plain label is refused', () => {
    const problems = problemsOf((s) => (pricing(s).slots.green.osPatch = '${var.x}'));
    expect(problems).toEqual([expect.stringMatching(/^services\[\d\]\.slots\.green\.osPatch: /)]);
  });
});

describe('the lock: a scale set recorded at latest before versions were resolved', () => {
  test("keeps 'latest' (no rollout of a live slot on a library upgrade) until its slot's osPatch is set; then only that slot is pinned", () => {
    const p = lockProject();
    expect(p.problems(p.run(exampleSpec()))).toEqual([]);
    // a lock written before versions were resolved: no imageVersion
    p.editLock((l) => {
      for (const k of Object.keys(l.scaleSets)) delete l.scaleSets[k].imageVersion;
    });
    expect(p.problems(p.run(exampleSpec()))).toEqual([]);
    let stack = json(readStacks(p.out)['retail-svc-pricing']);
    expect(scaleSet(stack, 'blue').source_image_reference.version).toBe('latest');
    expect(scaleSet(stack, 'green').source_image_reference.version).toBe('latest');
    expect(p.lockJson().scaleSets['pricing/green'].imageVersion).toBeUndefined();

    const spec = exampleSpec();
    pricing(spec).slots.green.osPatch = '2026-12';
    expect(p.problems(p.run(spec))).toEqual([]);
    stack = json(readStacks(p.out)['retail-svc-pricing']);
    expect(scaleSet(stack, 'blue').source_image_reference.version).toBe('latest');
    expect(scaleSet(stack, 'green').source_image_reference.version).toBe('${terraform_data.green_scale-set_image-version.input.version}');
    expect(p.lockJson().scaleSets['pricing/green'].imageVersion).toBe('resolved');
    expect(p.lockJson().scaleSets['pricing/blue'].imageVersion).toBeUndefined();
    // once recorded, removing the label keeps the pin
    expect(p.problems(p.run(exampleSpec()))).toEqual([]);
    expect(p.lockJson().scaleSets['pricing/green'].imageVersion).toBe('resolved');
  });

  test('a new scale set is recorded as resolved', () => {
    const p = lockProject();
    expect(p.problems(p.run(exampleSpec()))).toEqual([]);
    expect(p.lockJson().scaleSets['pricing/blue'].imageVersion).toBe('resolved');
    expect(p.lockJson().scaleSets.front.imageVersion).toBeUndefined();
  });
});

describe('the review', () => {
  const outputOf = (mutate: (s: Spec) => void) => {
    const spec = exampleSpec();
    mutate(spec);
    const dir = tempDir();
    const out = join(dir, 'cdktf.out');
    const r = synthesize([{ file: 'retail.ts', spec, issues: [] }], out);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return readSynthOutput(out);
  };

  test('a patch on the idle slot is shown as the zero-downtime OS upgrade, a patch on the live slot as a rollout under traffic', () => {
    const before = outputOf(() => undefined);
    const idle = reviewOutputs(before, outputOf((s) => (pricing(s).slots.green.osPatch = '2026-12'))).markdown;
    expect(idle).toContain('### OS patches');
    expect(idle).toMatch(/\| retail\/svc-pricing · green \| – → \*\*2026-12\*\* \| 0 % of pricing \(idle\) \| no live instance is touched: it reimages the idle slot's VMs, which serve no requests; swap once their rollout completed/);
    expect(idle).toMatch(/blue 2024\.11\.3; green 2024\.11\.4 → blue 2024\.11\.3; \*\*green 2024\.11\.4 \(OS patch 2026-12\)\*\*|green 2024\.11\.4 \(OS patch 2026-12\)/);
    expect(idle).toMatch(/`-\/\+` replace \| `terraform_data\.green_scale-set_image-version`/);

    const live = reviewOutputs(before, outputOf((s) => (pricing(s).slots.blue.osPatch = '2026-12'))).markdown;
    expect(live).toMatch(/\| retail\/svc-pricing · blue \| – → \*\*2026-12\*\* \| 100 % of pricing \| reimages VMs that serve requests, in batches of 20 % with surge/);

    const none = reviewOutputs(before, outputOf(() => undefined)).markdown;
    expect(none).not.toContain('### OS patches');
  });

  test('then the swap, reviewed on its own: traffic moves to the patched slot, and no OS patch is in it; patch and swap in one change is blocked', () => {
    const patched = outputOf((s) => (pricing(s).slots.green.osPatch = '2026-12'));
    const swapped = outputOf((s) => ((pricing(s).slots.green.osPatch = '2026-12'), (pricing(s).traffic = { live: 'green' })));
    const swap = reviewOutputs(patched, swapped);
    expect(swap.exitCode).toBe(0);
    expect(swap.markdown).not.toContain('### OS patches');
    expect(swap.markdown).toMatch(/\| retail\/pricing \| blue → \*\*green\*\* \|.*\| blue 2024\.11\.3; green 2024\.11\.4 \(OS patch 2026-12\) \|/);
    expect(swap.markdown).not.toMatch(/terraform_data\.green_scale-set_image-version/);

    const both = reviewOutputs(outputOf(() => undefined), swapped);
    expect(both.exitCode).toBe(1);
    expect(both.markdown).toMatch(/\*\*blocking\*\*: `retail-svc-pricing:azurerm_linux_virtual_machine_scale_set\.green_scale-set_vmss` patches the green slot's OS \(osPatch 2026-12: its scale set moves to a new image version\) and raises its share of pricing's requests from 0 % to 100 % in the same change/);
  });
});

describe('real Terraform runs the pin as synthesized', () => {
  const TF_ENV = { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
  const tf = (dir: string, args: string[]) => spawnSync('terraform', args, { cwd: dir, env: TF_ENV, encoding: 'utf8' });

  /**
   * The synthesized pins as they are; the data source as a variable (what Azure lists as newest);
   * each scale set as a terraform_data holding what the real one would read for its version.
   */
  function config(stackText: string): Json {
    const stack = json(stackText);
    const data: Record<string, Json> = {};
    for (const slot of ['blue', 'green']) {
      const { '//': _m, ...held } = pin(stack, slot)!;
      data[`${slot}_scale-set_image-version`] = { ...held, input: { version: '${var.newest}' } };
      data[`${slot}_scale-set_vmss`] = { input: { version: scaleSet(stack, slot).source_image_reference.version } };
    }
    return { variable: { newest: { type: 'string' } }, resource: { terraform_data: data } };
  }
  type Change = { actions: string; version?: string; unknown?: Json };
  const plan = (dir: string, newest: string): Record<string, Change> => {
    const r = tf(dir, ['plan', '-out=p', '-input=false', `-var=newest=${newest}`]);
    expect(r.stderr).toBe('');
    const shown = json(tf(dir, ['show', '-json', 'p']).stdout);
    return Object.fromEntries((shown.resource_changes as Json[]).map((c) => [c.address, { actions: c.change.actions.join(','), version: c.change.after?.input?.version, unknown: c.change.after_unknown?.input }]));
  };

  test('a newer image changes nothing; the label on green resolves it again for green only, and the plan shows the version', () => {
    const dir = tempDir('os-patch-tf-');
    const spec = exampleSpec();
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(config(synthStacks(spec)['retail-svc-pricing'])));
    expect(tf(dir, ['init', '-input=false']).status).toBe(0);
    expect(tf(dir, ['apply', '-auto-approve', '-input=false', '-var=newest=22.04.202610010']).status).toBe(0);

    // Canonical publishes a newer image: the next plans leave every slot where it is
    const quiet = plan(dir, '22.04.202611200');
    expect(Object.values(quiet).map((c) => c.actions)).toEqual(['no-op', 'no-op', 'no-op', 'no-op']);
    expect(quiet['terraform_data.blue_scale-set_vmss'].version).toBe('22.04.202610010');

    // the label on the idle slot: its pin is replaced and its scale set gets the newest version, known at plan
    pricing(spec).slots.green.osPatch = '2026-12';
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(config(synthStacks(spec)['retail-svc-pricing'])));
    const bumped = plan(dir, '22.04.202611200');
    expect(bumped['terraform_data.green_scale-set_image-version'].actions).toBe('delete,create');
    expect(bumped['terraform_data.green_scale-set_vmss']).toEqual({ actions: 'update', version: '22.04.202611200', unknown: {} });
    expect(bumped['terraform_data.blue_scale-set_image-version'].actions).toBe('no-op');
    expect(bumped['terraform_data.blue_scale-set_vmss'].actions).toBe('no-op');
    expect(tf(dir, ['apply', '-auto-approve', '-input=false', 'p']).status).toBe(0);
    const state = json(tf(dir, ['state', 'pull']).stdout);
    const held = Object.fromEntries((state.resources as Json[]).map((r) => [r.name, r.instances[0].attributes.input.value.version]));
    expect(held).toEqual({ 'blue_scale-set_image-version': '22.04.202610010', 'blue_scale-set_vmss': '22.04.202610010', 'green_scale-set_image-version': '22.04.202611200', 'green_scale-set_vmss': '22.04.202611200' });
  });
});
