/**
 * `npm run test:checkov` run for real (checkov 3.3.30 from scripts/install-checkov.sh) on the
 * example's synth and on copies of it: the example passes with its reviewed skips; a weakened
 * resource fails the run and is named with its check; a skip that matches nothing fails it; and a
 * checkov that loads no resource cannot pass.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { everyOptionSpec } from '../../scripts/checkov';
import { exampleSpec, synthStacks, tempDir, type Json } from '../helpers';

const root = resolve(__dirname, '..', '..');
const SKIPS = join(root, 'lib', 'policy', 'checkov-skips.yaml');
let checkov: string;
let example: Record<string, string>;
/** The every-option example, as the runner synthesizes it (its state stack's skips are in the file too). */
let options: string;

beforeAll(() => {
  const r = spawnSync('bash', [join(root, 'scripts', 'install-checkov.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`install-checkov.sh failed:\n${r.stderr}`);
  checkov = r.stdout.trim();
  example = synthStacks(exampleSpec());
  options = outDir(synthStacks(everyOptionSpec()));
}, 600_000);

/** Writes stacks as a synth output folder (cdktf's layout: 2-space JSON). */
function outDir(stacks: Record<string, string | Json>): string {
  const out = join(tempDir('ase-checkov-'), 'cdktf.out');
  for (const [name, json] of Object.entries(stacks)) {
    mkdirSync(join(out, 'stacks', name), { recursive: true });
    writeFileSync(join(out, 'stacks', name, 'cdk.tf.json'), typeof json === 'string' ? json : JSON.stringify(json, null, 2));
  }
  return out;
}

/** The runner on `out` and the every-option example beside it, as `npm run test:checkov` scans both. */
function run(out: string, skips = SKIPS, env: NodeJS.ProcessEnv = {}, alone = false) {
  const outs = alone ? ['--out', out] : ['--out', out, '--out', options];
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'app.js'), 'scripts/checkov.ts', '--no-synth', ...outs, '--skips', skips], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CHECKOV: checkov, ...env },
    timeout: 300_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const parsed = () => Object.fromEntries(Object.entries(example).map(([k, v]) => [k, JSON.parse(v) as Json]));

test("the example and the every-option example pass: every stack scanned, resources checked, the storage accounts' findings skipped with their reasons", () => {
  const r = run(outDir(example));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  // the example's 8 stacks, and the every-option example's 15 (its second region adds six)
  expect(r.stdout).toMatch(/^checkov 3\.3\.30 \(framework terraform_json\), 23 stacks/);
  expect(r.stdout).toContain('retail-network: 34 of 56 azurerm resources checked: 116 passed, 0 failed, 0 skipped');
  expect(r.stdout).toContain('retail-svc-pricing: 2 of 35 azurerm resources checked: 10 passed, 0 failed, 0 skipped');
  expect(r.stdout).toContain('retail-front: 3 of 22 azurerm resources checked: 17 passed, 0 failed, 7 skipped');
  expect(r.stdout).toContain('  skipped CKV_AZURE_59 azurerm_storage_account.front_store: The deployer writes the blobs over the public endpoint');
  expect(r.stdout).toMatch(/retail-state \(.*\): 2 of 6 azurerm resources checked: 12 passed, 0 failed, 7 skipped/);
  // the monitor stack: no checkov check covers its resource types (docs/checkov.md)
  expect(r.stdout).toContain('retail-monitor: 0 of 15 azurerm resources checked: 0 passed, 0 failed, 0 skipped');
  // the second region's front store is skipped with the same reasons as the first's
  expect(r.stdout).toMatch(/retail-ne-front \(.*\): 3 of 27 azurerm resources checked: 17 passed, 0 failed, 7 skipped/);
  expect(r.stdout).toMatch(/checkov total: 120 resources, 463 checks passed, 0 failed, 28 skipped with a reason/);
}, 300_000);

test('a weakened scale set and an NSG rule open to the internet fail the run, each named with its check', () => {
  const all = parsed();
  all['retail-svc-pricing'].resource.azurerm_linux_virtual_machine_scale_set['blue_scale-set_vmss'].encryption_at_host_enabled = false;
  Object.assign(all['retail-network'].resource.azurerm_network_security_rule['network_front-allow-callers-from-vnet'], { source_address_prefix: 'Internet', destination_port_range: '22' });
  delete all['retail-network'].resource.azurerm_network_security_rule['network_front-allow-callers-from-vnet'].source_address_prefixes;
  delete all['retail-network'].resource.azurerm_network_security_rule['network_front-allow-callers-from-vnet'].destination_port_ranges;
  const r = run(outDir(all));
  expect(r.status).toBe(1);
  expect(r.stdout).toContain('  FAILED CKV_AZURE_97 azurerm_linux_virtual_machine_scale_set.blue_scale-set_vmss: Ensure that Virtual machine scale sets have encryption at host enabled');
  expect(r.stderr.split('\n').filter((l) => l.startsWith('error: '))).toEqual([
    'error: retail-network:azurerm_network_security_rule.network_front-allow-callers-from-vnet: CKV_AZURE_10 failed (Ensure that SSH access is restricted from the internet); fix the construct, or add a skip with the reason',
    'error: retail-svc-pricing:azurerm_linux_virtual_machine_scale_set.blue_scale-set_vmss: CKV_AZURE_97 failed (Ensure that Virtual machine scale sets have encryption at host enabled); fix the construct, or add a skip with the reason',
  ]);
}, 300_000);

test('a skip covers its failure, and fails the run once nothing fails it (stale)', () => {
  const skips = join(tempDir('ase-skips-'), 'skips.yaml');
  writeFileSync(
    skips,
    `${readFileSync(SKIPS, 'utf8')}  - check: CKV_AZURE_97\n    resource: '*-svc-pricing:azurerm_linux_virtual_machine_scale_set.blue_scale-set_vmss'\n    reason: 'a test of the skips file: this scale set runs on hosts without the feature'\n`,
  );
  const all = parsed();
  all['retail-svc-pricing'].resource.azurerm_linux_virtual_machine_scale_set['blue_scale-set_vmss'].encryption_at_host_enabled = false;
  const covered = run(outDir(all), skips);
  expect(covered.status).toBe(0);
  expect(covered.stdout).toContain('  skipped CKV_AZURE_97 azurerm_linux_virtual_machine_scale_set.blue_scale-set_vmss: a test of the skips file');
  const stale = run(outDir(example), skips);
  expect(stale.status).toBe(1);
  expect(stale.stderr).toContain('error: stale skip CKV_AZURE_97 *-svc-pricing:azurerm_linux_virtual_machine_scale_set.blue_scale-set_vmss: it matches no failed check');
}, 300_000);

test('a checkov that loads no resource cannot pass', () => {
  // a stand-in that reports what checkov reports for a file it did not understand: an empty summary
  const dir = tempDir('ase-fake-checkov-');
  const fake = join(dir, 'checkov');
  writeFileSync(fake, '#!/bin/sh\necho \'{"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0, "checkov_version": "3.3.30"}\'\n');
  chmodSync(fake, 0o755);
  // the real registry: the runner reads it with the python beside checkov
  writeFileSync(join(dir, 'python'), `#!/bin/sh\nexec '${join(dirname(checkov), 'python')}' "$@"\n`);
  chmodSync(join(dir, 'python'), 0o755);
  const r = run(outDir(example), SKIPS, { CHECKOV: fake });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('error: retail-svc-pricing: checkov has checks for azurerm_linux_virtual_machine_scale_set.blue_scale-set_vmss, azurerm_linux_virtual_machine_scale_set.green_scale-set_vmss but reported none: it did not load them');
  expect(r.stderr).toContain('error: checkov checked no resource at all');
}, 300_000);

test('stacks scanned in one checkov run stay apart: a private endpoint in one stack does not count for a same-named account in another', () => {
  const account = (name: string) => ({ name, resource_group_name: 'rg', location: 'westeurope', account_tier: 'Standard', account_replication_type: 'ZRS' });
  const withEndpoint = {
    resource: {
      azurerm_storage_account: { store: account('stwithendpoint') },
      azurerm_private_endpoint: { pe: { name: 'pe', resource_group_name: 'rg', location: 'westeurope', subnet_id: 'x', private_service_connection: { name: 'c', is_manual_connection: false, private_connection_resource_id: '${azurerm_storage_account.store.id}', subresource_names: ['blob'] } } },
    },
  };
  const without = { resource: { azurerm_storage_account: { store: account('stwithout') } } };
  const skips = join(tempDir('ase-skips-'), 'skips.yaml');
  writeFileSync(skips, 'skips: []\n');
  const r = run(outDir({ 'a-with': withEndpoint, 'b-without': without }), skips, {}, true);
  expect(r.status).toBe(1);
  const failed = r.stderr.split('\n').filter((l) => l.includes('CKV2_AZURE_33'));
  expect(failed).toEqual(['error: b-without:azurerm_storage_account.store: CKV2_AZURE_33 failed (Ensure storage account is configured with private endpoint); fix the construct, or add a skip with the reason']);
}, 300_000);
