/**
 * A release is a user data change, never a custom data change: two synths that differ only in a
 * slot's version and artifact give the same custom data and a different user data, on Uniform and
 * Flexible scale sets alike. (Azure applies changed custom data only on reimage; user data reaches
 * an instance when it is updated to the latest model. docs/vm-side.md, "How a release reaches the VMs".)
 */
import { exampleSpec, resourceAt, synthStacks, type Json } from '../helpers';

type Spec = ReturnType<typeof exampleSpec>;
const withRelease = (spec: Spec, version: string, sha256: string) => {
  const s = structuredClone(spec);
  s.services[0].slots.green = { ...s.services[0].slots.green, version, artifact: { url: `https://stretailreleases.blob.core.windows.net/releases/pricing/${version}.tar.gz`, sha256 } };
  return s;
};
const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

describe.each([
  ['Uniform', 'azurerm_linux_virtual_machine_scale_set', (v: Json) => v.custom_data as string, (v: Json) => v.user_data as string],
  ['Flexible', 'azurerm_orchestrated_virtual_machine_scale_set', (v: Json) => v.os_profile.custom_data as string, (v: Json) => v.user_data_base64 as string],
] as const)('%s: a new release of pricing green', (orchestration, type, customData, userData) => {
  const spec = exampleSpec();
  spec.services[0].orchestration = orchestration;
  const before = synthStacks(withRelease(spec, '2024.11.4', 'a'.repeat(64)));
  const after = synthStacks(withRelease(spec, '2024.12.0', 'b'.repeat(64)));
  const vmss = (stacks: Record<string, string>, slot: string) => resourceAt(stacks['retail-svc-pricing'], type, `${slot}_scale-set_vmss`);

  test('custom data is byte for byte the same', () => {
    expect(customData(vmss(after, 'green'))).toBe(customData(vmss(before, 'green')));
    expect(decode(customData(vmss(after, 'green')))).not.toContain('2024.12.0');
  });

  test('user data carries the release: version, artifact URL and SHA-256', () => {
    expect(JSON.parse(decode(userData(vmss(before, 'green'))))).toEqual({
      slot: 'green',
      services: { pricing: { version: '2024.11.4', artifact: { url: 'https://stretailreleases.blob.core.windows.net/releases/pricing/2024.11.4.tar.gz', sha256: 'a'.repeat(64) } } },
    });
    expect(JSON.parse(decode(userData(vmss(after, 'green'))))).toEqual({
      slot: 'green',
      services: { pricing: { version: '2024.12.0', artifact: { url: 'https://stretailreleases.blob.core.windows.net/releases/pricing/2024.12.0.tar.gz', sha256: 'b'.repeat(64) } } },
    });
  });

  test('the other slot does not change at all', () => {
    expect(vmss(after, 'blue')).toEqual(vmss(before, 'blue'));
  });
});
