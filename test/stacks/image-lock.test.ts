/**
 * The lock records each scale set's image (`publisher:offer:sku`): azurerm 4.55 replaces a scale
 * set whose image publisher or offer changes (`source_image_reference.publisher`/`offer` are
 * ForceNew in `sourceImageReferenceSchema` and `sourceImageReferenceSchemaOrchestratedVMSS`), so a
 * library default that changes must not reach recorded scale sets silently. A recorded default
 * image stays unless it cannot run the VMs (the front on 22.04: no Lua module), which is refused
 * until the front allows replacement.
 */
import { exampleSpec, lockProject, readStacks, resourceAt, type Json } from '../helpers';

const VMSS = 'azurerm_linux_virtual_machine_scale_set';

function project() {
  const p = lockProject();
  const imageOf = (stack: string, address: string) => resourceAt(readStacks(p.out)[stack], VMSS, address).source_image_reference;
  return { ...p, imageOf };
}

test('a fresh synth records each scale set\'s image: 22.04 for services, 24.04 for the front', () => {
  const p = project();
  expect(p.run(exampleSpec()).ok).toBe(true);
  const sets = p.lockJson().scaleSets as Record<string, Json>;
  expect(sets['pricing/blue'].image).toBe('Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2');
  expect(sets.front.image).toBe('Canonical:ubuntu-24_04-lts:server');
  expect(p.imageOf('retail-front', 'front_scale-set_vmss')).toMatchObject({ publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' });
});

test('a lock written before images were recorded: the services keep 22.04; the front on 22.04 is refused until it allows replacement', () => {
  const p = project();
  p.run(exampleSpec());
  p.editLock((l) => {
    for (const s of Object.values(l.scaleSets as Record<string, Json>)) delete s.image;
  });
  const r = p.run(exampleSpec());
  expect(r.ok).toBe(false);
  expect(p.problems(r)).toEqual([
    "retail.ts: front: changes the image of the front scale set from Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2 to Canonical:ubuntu-24_04-lts:server; azurerm replaces a scale set whose image publisher or offer changes (source_image_reference.offer is ForceNew), so this replaces it: every VM at once; the recorded image's archive has no libnginx-mod-http-lua, which these VMs install, so apt installs nothing and they never start (docs/vm-image.md) (deploy with front.allowReplacement: true in a maintenance window (its VMs are replaced together), then remove it)",
  ]);
  const spec = exampleSpec();
  spec.front = { ...spec.front, allowReplacement: true };
  expect(p.run(spec).ok).toBe(true);
  const sets = p.lockJson().scaleSets as Record<string, Json>;
  expect(sets.front.image).toBe('Canonical:ubuntu-24_04-lts:server');
  // the services' scale sets were created on 22.04 and stay there: nothing of theirs changes
  expect(sets['pricing/blue'].image).toBe('Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2');
  expect(p.imageOf('retail-svc-pricing', 'blue_scale-set_vmss')).toMatchObject({ offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2' });
});

test('a recorded default image stays when the library default moves on (services install nothing, so any image runs them)', () => {
  const p = project();
  p.run(exampleSpec());
  p.editLock((l) => {
    l.scaleSets['pricing/blue'].image = 'Canonical:0001-com-ubuntu-server-focal:20_04-lts-gen2';
  });
  expect(p.run(exampleSpec()).ok).toBe(true);
  expect(p.lockJson().scaleSets['pricing/blue'].image).toBe('Canonical:0001-com-ubuntu-server-focal:20_04-lts-gen2');
  expect(p.imageOf('retail-svc-pricing', 'blue_scale-set_vmss')).toMatchObject({ offer: '0001-com-ubuntu-server-focal', sku: '20_04-lts-gen2' });
  expect(p.imageOf('retail-svc-pricing', 'green_scale-set_vmss')).toMatchObject({ offer: '0001-com-ubuntu-server-jammy' });
});

test('a spec image whose offer changes is refused at the image field; a SKU change of the same offer updates in place', () => {
  const p = project();
  p.run(exampleSpec());
  const moved = exampleSpec();
  moved.services[0].image = { marketplace: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server' } };
  const r = p.run(moved);
  expect(r.ok).toBe(false);
  expect(p.problems(r)).toEqual([
    `retail.ts: services[0].image: changes the image of the blue and green scale sets from Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2 to Canonical:ubuntu-24_04-lts:server; azurerm replaces a scale set whose image publisher or offer changes (source_image_reference.offer is ForceNew), so this replaces them: every VM at once (if intended, deploy with services[0].allowReplacement: true (replace the idle slot first), then remove it; else keep the image's offer)`,
  ]);
  const sku = exampleSpec();
  sku.services[0].image = { marketplace: { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-arm64' } };
  expect(p.problems(p.run(sku))).toEqual([]);
  expect(p.lockJson().scaleSets[`${sku.services[0].name}/blue`].image).toBe('Canonical:0001-com-ubuntu-server-jammy:22_04-lts-arm64');
});
