/**
 * The front VMs' custom data, taken from the synthesized example: `cloud-init schema`, the units
 * (and nginx's drop-in) through `systemd-analyze verify`, the agent through `sh -n`, and its size.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FRONT_UNITS, FRONT_VM_PATHS } from '../../lib/front/agent';
import { exampleSpec, layOutVm, resourceAt, synthStacks, systemdVerify, tempDir } from '../helpers';

const front = synthStacks(exampleSpec())['retail-front'];
const vmss = resourceAt(front, 'azurerm_linux_virtual_machine_scale_set', 'front_scale-set_vmss');
const text = Buffer.from(vmss.custom_data as string, 'base64').toString('utf8');
const doc = parse(text) as { write_files: Array<{ path: string; content: string; permissions: string }>; packages: string[] };

test('passes cloud-init schema, and installs nginx with its Lua module and cjson', () => {
  const file = join(tempDir(), 'user-data.yaml');
  writeFileSync(file, text);
  const r = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(doc.packages).toEqual(expect.arrayContaining(['nginx', 'libnginx-mod-http-lua', 'lua-cjson']));
});

test('holds the agent and its settings only: no config, no table, a few KB', () => {
  expect(text).not.toContain('upstream ');
  expect(text).not.toContain('"live"');
  expect(vmss.custom_data.length).toBeLessThan(16 * 1024);
  const env = doc.write_files.find((f) => f.path === FRONT_VM_PATHS.env)!.content;
  // the container and the pointer's name only: the blobs it names change, these never do
  expect(env).toMatch(/^CONTAINER_URL='https:\/\/stretailfr[0-9a-f]{6}\.blob\.core\.windows\.net\/front'$/m);
  expect(env).toMatch(/^POINTER='current'$/m);
  expect(env).toMatch(/^IDENTITY_RESOURCE_ID='\/subscriptions\/.+\/userAssignedIdentities\/id-retail-front'$/m);
});

test('the agent is valid POSIX sh', () => {
  const agent = doc.write_files.find((f) => f.path === FRONT_VM_PATHS.agent)!;
  const r = spawnSync('sh', ['-n'], { input: agent.content, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(agent.permissions).toBe('0755');
});

test('its units and nginx with its drop-in pass systemd-analyze verify, laid out as on the VM', () => {
  const root = layOutVm(doc.write_files, { binaries: ['/usr/sbin/nginx'] });
  const r = systemdVerify(root, [FRONT_UNITS.sync, FRONT_UNITS.agent, 'nginx.service']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
