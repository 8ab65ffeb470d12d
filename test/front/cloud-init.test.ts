/**
 * The front VMs' custom data, taken from the synthesized example: `cloud-init schema`, the units
 * (and nginx's drop-in) through `systemd-analyze verify`, the agent through `sh -n`, and its size.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { DRAIN_UNIT, VM_PATHS } from '../../lib/compute/cloud-init';
import { FRONT_DEFAULTS } from '../../lib/front/nginx-conf';
import { FRONT_UNITS, FRONT_VM_PATHS } from '../../lib/front/agent';
import { ROUTER_DIR, ROUTER_FILES } from '../../lib/front/lua';
import { FRONT_HELD_PACKAGES, FRONT_UPDATES_PATHS } from '../../lib/front/updates';
import { layOutVm, resourceAt, systemdVerify, tempDir, exampleStacks } from '../helpers';
import { vmProgram } from '../support/vm-programs';
import { decodeCustomData } from '../../lib/compute/scale-set';

const front = exampleStacks()['retail-front'];
const vmss = resourceAt(front, 'azurerm_linux_virtual_machine_scale_set', 'front_scale-set_vmss');
const text = decodeCustomData(vmss.custom_data as string);
const doc = parse(text) as { write_files: Array<{ path: string; content: string; permissions: string; encoding?: string }>; packages: string[]; runcmd: string[][] };
/** The files as cloud-init writes them (gz+b64 entries decoded). */
const files = doc.write_files.map((f) => (f.encoding === 'gz+b64' ? { ...f, content: gunzipSync(Buffer.from(f.content, 'base64')).toString('utf8') } : f));
const fileAt = (path: string) => files.find((f) => f.path === path)!;

test('passes cloud-init schema, and installs nginx with its Lua module and cjson', () => {
  const file = join(tempDir(), 'user-data.yaml');
  writeFileSync(file, text);
  const r = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(doc.packages).toEqual(expect.arrayContaining(['nginx', 'libnginx-mod-http-lua', 'lua-cjson']));
});

test('holds the agent and its settings only: no config, no table, a few KB', () => {
  // the router's code names slots ("live"), but no file holds a config or a routing table
  for (const f of files.filter((x) => !x.path.startsWith(`${FRONT_VM_PATHS.lua}/`))) {
    expect(f.content).not.toMatch(/^\s*upstream \S+ \{/m);
    expect(f.content).not.toContain('"live"');
  }
  // Azure's limit: 65,535 bytes once the base64 is decoded. The document is gzipped whole (about
  // 20.7 KB of 74.5 KB on 2026-12-02, where gzip per file inside base64 made 48.6 KB of base64);
  // the budget keeps a quarter of the limit free
  const bytes = Buffer.from(vmss.custom_data as string, 'base64');
  expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
  expect(bytes.length).toBeLessThan(48 * 1024);
  const env = doc.write_files.find((f) => f.path === FRONT_VM_PATHS.env)!.content;
  // the container and the pointer's name only: the blobs it names change, these never do
  expect(env).toMatch(/^CONTAINER_URL='https:\/\/stretailfr[0-9a-f]{6}\.blob\.core\.windows\.net\/front'$/m);
  expect(env).toMatch(/^POINTER='current'$/m);
  expect(env).toMatch(/^IDENTITY_RESOURCE_ID='\/subscriptions\/.+\/userAssignedIdentities\/id-retail-front'$/m);
});

test('the agent is valid POSIX sh', () => {
  const agent = fileAt(FRONT_VM_PATHS.agent);
  const r = spawnSync('sh', ['-n'], { input: agent.content, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(agent.permissions).toBe('0755');
});

test('the boot sync waits for as long as the agent retries (config, table, certificate): no start timeout that would leave nginx unstarted', () => {
  const unit = fileAt(`/etc/systemd/system/${FRONT_UNITS.sync}`).content;
  expect(unit).toMatch(/^TimeoutStartSec=infinity$/m);
  expect(unit).toMatch(/^Before=nginx\.service$/m);
  expect(fileAt('/etc/systemd/system/nginx.service.d/front.conf').content).toMatch(new RegExp(`^Requires=${FRONT_UNITS.sync.replace('.', '\\.')}$`, 'm'));
});

test('its units and nginx with its drop-in pass systemd-analyze verify, laid out as on the VM', () => {
  const root = layOutVm(files, { binaries: ['/usr/sbin/nginx', '/usr/bin/python3'] });
  const r = systemdVerify(root, [FRONT_UNITS.sync, FRONT_UNITS.agent, 'nginx.service', DRAIN_UNIT]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

test('ships the router (the config only names its files), the agent and the config guard, byte for byte as they are in the repository', () => {
  expect(ROUTER_FILES.length).toBe(14);
  for (const f of ROUTER_FILES) {
    const shipped = fileAt(`${FRONT_VM_PATHS.lua}/${f.name}`);
    expect(shipped.content).toBe(readFileSync(join(ROUTER_DIR, f.name), 'utf8'));
    expect(shipped.permissions).toBe('0644');
  }
  const guard = fileAt(FRONT_VM_PATHS.guard);
  expect(guard.content).toBe(readFileSync(vmProgram('front', 'conf-guard.py'), 'utf8'));
  expect(fileAt(FRONT_VM_PATHS.agent).content).toBe(readFileSync(vmProgram('front', 'front-agent.sh'), 'utf8'));
  expect(guard.permissions).toBe('0755');
  expect(guard.content.startsWith('#!/usr/bin/env python3\n')).toBe(true);
  const dir = tempDir();
  writeFileSync(join(dir, 'guard.py'), guard.content);
  const r = spawnSync('python3', ['-m', 'py_compile', join(dir, 'guard.py')], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

describe('security updates that never restart nginx on every front VM at once', () => {
  test('apt reads the rendered file: nginx and what it loads held back from unattended-upgrades, never a reboot', () => {
    const dir = tempDir();
    const conf = join(dir, 'apt.conf');
    writeFileSync(conf, fileAt(FRONT_UPDATES_PATHS.apt).content);
    const r = spawnSync('apt-config', ['-c', conf, 'dump', 'Unattended-Upgrade'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const held = [...r.stdout.matchAll(/^Unattended-Upgrade::Package-Blacklist:: "([^"]+)";$/gm)].map((m) => m[1]);
    expect(held).toEqual([...FRONT_HELD_PACKAGES]);
    expect(r.stdout).toMatch(/^Unattended-Upgrade::Automatic-Reboot "false";$/m);
    // unattended-upgrades matches each entry as a regular expression at the start of a package name
    for (const p of ['nginx', 'nginx-common', 'libnginx-mod-http-lua', 'libnginx-mod-http-ndk', 'lua-cjson', 'lua-resty-core', 'libluajit-5.1-2']) expect(held.some((h) => new RegExp(`^${h}`).test(p))).toBe(true);
    for (const p of ['openssl', 'libssl3t64', 'curl', 'systemd']) expect(held.some((h) => new RegExp(`^${h}`).test(p))).toBe(false);
  });

  test('needrestart (Perl) never restarts nginx.service', () => {
    const dir = tempDir();
    const conf = join(dir, 'front.conf');
    writeFileSync(conf, fileAt(FRONT_UPDATES_PATHS.needrestart).content);
    const probe = 'our %nrconf; do $ARGV[0]; die $@ if $@; die "$ARGV[0] not read: $!" unless exists $nrconf{override_rc}; for my $u (@ARGV[1..$#ARGV]) { my @m = grep { $u =~ $_ } keys %{$nrconf{override_rc}}; print "$u ", (@m ? $nrconf{override_rc}{$m[0]} : "default"), "\\n" }';
    const r = spawnSync('perl', ['-e', probe, conf, 'nginx.service', 'front-agent.service', 'ssh.service'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('nginx.service 0\nfront-agent.service default\nssh.service default\n');
  });

  test('each VM runs the daily upgrade at its own time: the timer drop-in passes systemd-analyze verify', () => {
    const root = layOutVm(files, { binaries: ['/usr/sbin/nginx', '/usr/lib/apt/apt.systemd.daily'] });
    const r = systemdVerify(root, ['apt-daily-upgrade.timer']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fileAt(FRONT_UPDATES_PATHS.timer).content).toMatch(/^RandomizedDelaySec=6h$/m);
    expect(fileAt(FRONT_UPDATES_PATHS.timer).content).toMatch(/^FixedRandomDelay=true$/m);
    // the drop-in is read: a bad value in it fails the same check
    const path = join(root, FRONT_UPDATES_PATHS.timer);
    writeFileSync(path, `${readFileSync(path, 'utf8')}FixedRandomDelay=maybe\n`);
    const bad = systemdVerify(root, ['apt-daily-upgrade.timer']);
    expect(bad.stderr).toMatch(/front\.conf:\d+: Failed to parse boolean value/);
    expect(bad.status).not.toBe(0);
  });

  test('nginx patches arrive with new images: the front scale set upgrades its OS image automatically, rolled back on failure', () => {
    expect(vmss.automatic_os_upgrade_policy).toEqual({ enable_automatic_os_upgrade: true, disable_automatic_rollback: false });
    expect(vmss.source_image_reference).toMatchObject({ offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' });
  });
});

test('ships the drain agent (the service VMs\' program, byte for byte) in the front\'s mode: the router\'s switch, the caller ports, nginx quit', () => {
  expect(fileAt(VM_PATHS.drain).content).toBe(readFileSync(vmProgram('service', 'drain.py'), 'utf8'));
  expect(fileAt(VM_PATHS.drain).permissions).toBe('0755');
  expect(JSON.parse(fileAt(VM_PATHS.drainConfig).content)).toEqual({
    mode: 'front', ports: [80, 443], pollSeconds: 1, lbSeconds: 15, approveMarginSeconds: 10, stateFile: '/run/slotenv/drain.json',
    adminUrl: `http://127.0.0.1:${FRONT_DEFAULTS.adminPort}/drain`,
    stop: [['systemctl', 'stop', 'front-agent.service'], ['/usr/sbin/nginx', '-c', '/etc/front/nginx.conf', '-s', 'quit']],
    stopPidFile: '/run/nginx.pid',
  });
  expect(doc.runcmd).toContainEqual(['systemctl', 'start', DRAIN_UNIT]);
});
