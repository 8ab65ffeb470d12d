/**
 * Every package every rendered cloud-init document installs (services, pools, the front; its
 * `packages:` list and any apt line) is in the package table for the image its scale set boots
 * (lib/compute/image-packages.ts, docs/vm-image.md). Ubuntu's archive is out of reach here and the
 * tests run Debian's packages, so this table is the only check that the VMs' image has them: an
 * apt line naming one missing package installs nothing, nginx included.
 */
import { parse } from 'yaml';
import { IMAGE_RELEASES, packagesInstalledBy, packagesMissingFrom, releaseOf, UBUNTU_2204, UBUNTU_2404 } from '../../lib/compute/image-packages';
import { DEFAULT_IMAGE, FRONT_IMAGE } from '../../lib/compute/scale-set';
import type { EnvironmentSpec } from '../../lib/spec/schema';
import { exampleSpec, synthStacks, type Json, exampleStacks } from '../helpers';
import { decodeCustomData } from '../../lib/compute/scale-set';

const ART = (svc: string) => ({ url: `https://stretailreleases.blob.core.windows.net/releases/${svc}/1.0.0.tar.gz`, sha256: 'c'.repeat(64) });

function withPoolAndFlexible(): EnvironmentSpec {
  const spec = exampleSpec();
  spec.pools = [{ name: 'highcpu', block: 10, vmSize: 'Standard_F8s_v2', capacity: { min: 3, default: 3, max: 12 } }];
  spec.services.push(
    { name: 'search', block: 4, pool: 'highcpu', slots: { blue: { version: '1.0.0', artifact: ART('search') }, green: { version: '1.0.0', artifact: ART('search') } }, traffic: { live: 'blue' } },
    { name: 'flex', block: 6, orchestration: 'Flexible', vmSize: 'Standard_D2s_v5', capacity: { min: 2, default: 2, max: 4 }, slots: { blue: { version: '1.0.0', artifact: ART('flex') }, green: { version: '1.0.0', artifact: ART('flex') } }, traffic: { live: 'blue' } },
  );
  return spec;
}

/** Every scale set of the synthesized stacks: its address, image and decoded cloud-init document. */
function scaleSets(stacks: Record<string, string>) {
  const out: Array<{ address: string; image: Json | undefined; doc: unknown }> = [];
  for (const [stack, text] of Object.entries(stacks)) {
    const resources = (JSON.parse(text).resource ?? {}) as Record<string, Record<string, Json>>;
    for (const type of ['azurerm_linux_virtual_machine_scale_set', 'azurerm_orchestrated_virtual_machine_scale_set']) {
      for (const [name, r] of Object.entries(resources[type] ?? {})) {
        const data = (r.custom_data ?? r.os_profile?.custom_data) as string;
        const image = Array.isArray(r.source_image_reference) ? r.source_image_reference[0] : r.source_image_reference;
        out.push({ address: `${stack}:${type}.${name}`, image, doc: parse(decodeCustomData(data)) });
      }
    }
  }
  return out;
}

test('every rendered document installs only packages its image has (services, pools, Flexible, the front)', () => {
  const sets = scaleSets(synthStacks(withPoolAndFlexible()));
  expect(sets.length).toBeGreaterThanOrEqual(9);
  expect(sets.some((s) => s.address.includes('orchestrated'))).toBe(true);
  const problems = sets.flatMap((s) => {
    const release = releaseOf(s.image as never);
    if (!release) return [`${s.address}: image ${JSON.stringify(s.image)} is not in the package table`];
    const missing = packagesMissingFrom(release, s.doc);
    return missing.length > 0 ? [`${s.address}: ${release.release} lacks ${missing.join(', ')}`] : [];
  });
  expect(problems).toEqual([]);
  // the front installs nginx with the Lua module on 24.04; the service VMs install nothing
  const front = sets.find((s) => s.address.startsWith('retail-front:'))!;
  expect(front.image).toMatchObject({ publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server' });
  expect(packagesInstalledBy(front.doc)).toEqual(['curl', 'libnginx-mod-http-lua', 'lua-cjson', 'nginx']);
  for (const s of sets.filter((x) => x !== front)) expect(packagesInstalledBy(s.doc)).toEqual([]);
});

test('the front on 22.04 (the old default) is caught: jammy has no Lua module', () => {
  const sets = scaleSets(exampleStacks());
  const front = sets.find((s) => s.address.startsWith('retail-front:'))!;
  expect(packagesMissingFrom(UBUNTU_2204, front.doc)).toEqual(['libnginx-mod-http-lua']);
  expect(packagesMissingFrom(UBUNTU_2404, front.doc)).toEqual([]);
});

test('the default images are in the table, Gen2, and every entry names where it was seen', () => {
  expect(releaseOf(DEFAULT_IMAGE.marketplace)).toBe(UBUNTU_2204);
  expect(releaseOf(FRONT_IMAGE.marketplace)).toBe(UBUNTU_2404);
  for (const r of IMAGE_RELEASES) {
    expect(r.gen2).toBe(true);
    for (const p of r.packages) expect(p.source).toMatch(/\S/);
  }
});

test('apt lines count as installs: packages:, runcmd and bootcmd, options and version pins dropped', () => {
  const doc = {
    packages: ['nginx', ['curl', '8.5.0-2ubuntu10'], 'jq=1.7'],
    runcmd: [['apt-get', 'install', '-y', '--no-install-recommends', 'libnginx-mod-stream'], 'DEBIAN_FRONTEND=noninteractive apt-get -q install -y wrk && echo done'],
    bootcmd: ['apt install -y htop'],
  };
  expect(packagesInstalledBy(doc)).toEqual(['curl', 'htop', 'jq', 'libnginx-mod-stream', 'nginx', 'wrk']);
  expect(packagesMissingFrom(UBUNTU_2404, doc)).toEqual(['htop', 'jq', 'libnginx-mod-stream', 'wrk']);
});
