/**
 * Lays out what a service VM's cloud-init would write, for scripts/boot-vm-units.sh to boot under
 * a real systemd: the rendered document of one service (release, one secret, two instances) with
 * its release and vault on a loopback stub, the files of `write_files` under DIR/root, the
 * document's runcmd in DIR/runcmd.sh, and drop-ins that point the fetchers at the stub and make
 * the backoff start at 1 s (the units and scripts themselves are the rendered ones). The scale
 * set's user data (the release document, base64) goes to DIR/user-data for the stub's IMDS, and a
 * second release (2.0.0, same archive) to DIR/user-data-v2; the release agent polls every 2 s here.
 *
 * Usage: node scripts/app.js scripts/vm-boot-scenario.ts DIR STUB_PORT SHA256 [control]
 * `control` swaps the release unit for the previous design (the fetcher run directly, retried by
 * `Restart=on-failure`), to show what systemd 252 does with it.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { RELEASE_AGENT_UNIT, releaseUserData, renderCloudInit, unitNames, VM_PATHS, type CloudInitInput } from '../lib/compute/cloud-init';

const [dir, stubPort, sha256, variant] = process.argv.slice(2);
if (!dir || !stubPort || !sha256) {
  console.error('usage: vm-boot-scenario.ts DIR STUB_PORT SHA256 [control]');
  process.exit(2);
}
const stub = `http://127.0.0.1:${stubPort}`;
const identity = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-demo';
const input: CloudInitInput = {
  slot: 'blue',
  identityResourceId: identity,
  services: [
    {
      service: 'demo',
      version: '1.0.0',
      ports: [10000, 10001],
      healthPath: '/health',
      settings: { GREETING: 'hello' },
      secrets: { DB_PASSWORD: 'demo-db-password' },
      vaultName: 'kv-demo',
      artifact: { url: `${stub}/releases/demo-1.0.0.tar.gz`, sha256 },
    },
  ],
};
const doc = parse(renderCloudInit(input)) as { users: unknown[]; write_files: Array<{ path: string; content: string; permissions: string; encoding?: 'b64' }>; runcmd: string[][] };
const root = join(dir, 'root');
const write = (path: string, content: string, mode = 0o644) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  chmodSync(join(root, path), mode);
};
const u = unitNames('demo');
for (const f of doc.write_files) {
  // as cloud-init does: a file whose text YAML 1.1 would not carry is base64 (cloud-init.ts asYamlSafe)
  let content = f.encoding === 'b64' ? Buffer.from(f.content, 'base64').toString('utf8') : f.content;
  if (variant === 'control' && f.path === `/etc/systemd/system/${u.release}`) {
    // the previous release unit: the fetcher itself as ExecStart, retried by systemd
    content = content
      .replace(`ExecStart=${VM_PATHS.retry} ${VM_PATHS.state(u.release)} `, 'ExecStart=')
      .replace('TimeoutStartSec=infinity', 'Restart=on-failure\nRestartSec=1');
  }
  // the agent polls every 2 s instead of 30, so the release scenario's switch happens within the boot
  if (f.path === VM_PATHS.agentConfig) content = JSON.stringify({ ...JSON.parse(content), pollSeconds: 2 }) + '\n';
  write(f.path, content, parseInt(f.permissions, 8));
}
const userData = (i: CloudInitInput) => Buffer.from(releaseUserData(i), 'utf8').toString('base64') + '\n';
writeFileSync(join(dir, 'user-data'), userData(input));
const v2 = { ...input.services[0], version: '2.0.0', artifact: { url: `${stub}/releases/demo-2.0.0.tar.gz`, sha256 } };
writeFileSync(join(dir, 'user-data-v2'), userData({ ...input, services: [v2] }));
const env = `[Service]\nEnvironment=IMDS_ENDPOINT=${stub} VAULT_URL=${stub} RETRY_FIRST_SECONDS=1\n`;
for (const unit of [u.release, u.secrets, RELEASE_AGENT_UNIT]) write(`/etc/systemd/system/${unit}.d/stub.conf`, env);
const users = (doc.users.filter((x) => typeof x === 'object') as Array<{ name: string }>).map((x) => x.name);
const runcmd = doc.runcmd.map((argv) => argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')).join('\n');
writeFileSync(join(dir, 'runcmd.sh'), `#!/bin/sh\nset -e\n${users.map((n) => `useradd --system --no-create-home --shell /usr/sbin/nologin ${n}`).join('\n')}\n${runcmd}\n`);
chmodSync(join(dir, 'runcmd.sh'), 0o755);
// what runcmd enables, for a scenario whose first boot happened offline
writeFileSync(join(dir, 'enable'), doc.runcmd.flatMap((argv) => (argv[1] === 'enable' ? argv.filter((a) => !a.startsWith('-')).slice(2) : [])).join(' ') + '\n');
writeFileSync(join(dir, 'users'), users.join(' ') + '\n');
writeFileSync(join(dir, 'units'), [u.release, u.secrets, ...[10000, 10001].map((p) => u.instanceOf(p)), 'vm-health.service'].join(' ') + '\n');
console.log(`scenario in ${dir}${variant === 'control' ? ' (control: Restart=on-failure release unit)' : ''}`);
