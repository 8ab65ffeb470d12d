/**
 * Security updates on the service VMs between OS patches (lib/compute/updates.ts), taken from the
 * synthesized example's custom data: apt reads the rendered file, needrestart's Perl evaluates
 * its override, and the timer drop-in passes systemd-analyze verify.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { SERVICE_UPDATES_PATHS } from '../../lib/compute/updates';
import { FRONT_UPDATES_PATHS } from '../../lib/front/updates';
import { exampleStacks, layOutVm, resourceAt, systemdVerify, tempDir } from '../helpers';
import { decodeCustomData } from '../../lib/compute/scale-set';

type File = { path: string; content: string; permissions: string; encoding?: string };
const filesOf = (stack: string, address: string): File[] => {
  const vmss = resourceAt(exampleStacks()[stack], 'azurerm_linux_virtual_machine_scale_set', address);
  const doc = parse(decodeCustomData(vmss.custom_data as string)) as { write_files: File[] };
  return doc.write_files.map((f) => (f.encoding === 'gz+b64' ? { ...f, content: gunzipSync(Buffer.from(f.content, 'base64')).toString('utf8') } : f));
};
const files = filesOf('retail-svc-pricing', 'blue_scale-set_vmss');
const fileAt = (path: string) => {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} in the pricing VM's custom data`);
  return f;
};

test('apt reads the rendered file: the daily list update and unattended upgrade on, never a reboot, no package held', () => {
  const conf = join(tempDir(), 'apt.conf');
  writeFileSync(conf, fileAt(SERVICE_UPDATES_PATHS.apt).content);
  const r = spawnSync('apt-config', ['-c', conf, 'dump'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^APT::Periodic::Update-Package-Lists "1";$/m);
  expect(r.stdout).toMatch(/^APT::Periodic::Unattended-Upgrade "1";$/m);
  expect(r.stdout).toMatch(/^Unattended-Upgrade::Automatic-Reboot "false";$/m);
  expect(r.stdout).not.toMatch(/Package-Blacklist/);
  // read after the image's 20auto-upgrades and 50unattended-upgrades (apt reads the folder in name order)
  expect(SERVICE_UPDATES_PATHS.apt.split('/').pop()! > '50unattended-upgrades').toBe(true);
});

test("needrestart (Perl) never restarts the service's instances, and restarts everything else as before", () => {
  const conf = join(tempDir(), 'ase-services.conf');
  writeFileSync(conf, fileAt(SERVICE_UPDATES_PATHS.needrestart).content);
  const probe =
    'our %nrconf; do $ARGV[0]; die $@ if $@; die "$ARGV[0] not read: $!" unless exists $nrconf{override_rc}; for my $u (@ARGV[1..$#ARGV]) { my @m = grep { $u =~ $_ } keys %{$nrconf{override_rc}}; print "$u ", (@m ? $nrconf{override_rc}{$m[0]} : "default"), "\\n" }';
  const units = ['pricing@10000.service', 'pricing@10003.service', 'pricing-release-agent.service', 'xpricing@1.service', 'ssh.service', 'catalog@10000.service'];
  const r = spawnSync('perl', ['-e', probe, conf, ...units], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  // only the pricing VM's own service: catalog runs on other VMs
  expect(r.stdout).toBe('pricing@10000.service 0\npricing@10003.service 0\npricing-release-agent.service default\nxpricing@1.service default\nssh.service default\ncatalog@10000.service default\n');
});

test('each VM runs the daily upgrade at its own time: the drop-in passes systemd-analyze verify, and is the front`s', () => {
  const root = layOutVm(files, { services: ['pricing'], binaries: ['/usr/lib/apt/apt.systemd.daily'] });
  const r = systemdVerify(root, ['apt-daily-upgrade.timer']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const path = join(root, SERVICE_UPDATES_PATHS.timer);
  writeFileSync(path, `${readFileSync(path, 'utf8')}RandomizedDelaySec=soon\n`);
  const bad = systemdVerify(root, ['apt-daily-upgrade.timer']);
  expect(bad.stderr).toMatch(/ase\.conf:\d+: Failed to parse/);
  const front = filesOf('retail-front', 'front_scale-set_vmss').find((f) => f.path === FRONT_UPDATES_PATHS.timer)!;
  expect(fileAt(SERVICE_UPDATES_PATHS.timer).content).toBe(front.content);
});
