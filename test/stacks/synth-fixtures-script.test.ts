/**
 * scripts/synth-fixtures.mjs: synthesizes the option-coverage fixtures (or N random valid
 * environments) into the folder it is given, prints each stack with its folder, and never
 * touches the example's cdktf.out or lock file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers';

const root = resolve(__dirname, '..', '..');
const run = (...args: string[]) => spawnSync(process.execPath, [join(root, 'scripts', 'synth-fixtures.mjs'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
const lock = join(root, 'stacks', 'environments', 'retail.lock.json');
const exampleOut = join(root, 'cdktf.out');
const mark = () => ({ lock: readFileSync(lock, 'utf8'), lockTime: statSync(lock).mtimeMs, out: existsSync(exampleOut) ? statSync(exampleOut).mtimeMs : undefined });

describe('scripts/synth-fixtures.mjs', () => {
  test('writes the fixtures into the given folder, one line per stack, leaving the example alone', () => {
    const dir = tempDir('ase-fixtures-script-');
    const before = mark();
    try {
      const out = join(dir, 'a', 'b');
      const r = run(out);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      const lines = r.stdout.trim().split('\n');
      expect(lines.at(-1)).toMatch(new RegExp(`^Synthesized 36 stacks into ${out}/ on cdktf in \\d+\\.\\d s$`));
      const stacks = lines.slice(0, -1).map((l) => l.split(' '));
      expect(stacks).toHaveLength(36);
      for (const [name, folder] of stacks) {
        expect(folder).toBe(join(out, 'stacks', name));
        expect(existsSync(join(folder, 'cdk.tf.json'))).toBe(true);
      }
      expect(stacks.map(([n]) => n)).toEqual(expect.arrayContaining(['everything-state', 'everything-pool-flexpool', 'everyhttp-front', 'everyentra-vault']));
      expect(mark()).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--runtime cdktn: the fixtures on CDK Terrain (its versions in every stack), with the example at a StandardV2 NAT gateway; the example itself left alone', () => {
    const dir = tempDir('ase-fixtures-cdktn-');
    const before = mark();
    try {
      const r = run('--runtime', 'cdktn', dir);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout.trim().split('\n').at(-1)).toMatch(new RegExp(`^Synthesized 44 stacks into ${dir}/ on cdktn in \\d+\\.\\d s$`));
      const stack = (name: string) => JSON.parse(readFileSync(join(dir, 'stacks', name, 'cdk.tf.json'), 'utf8'));
      for (const name of ['everything-state', 'everyhttp-front', 'retail-network']) {
        expect(stack(name)['//'].metadata.version).toBe('0.24.0');
        expect(stack(name).terraform.required_providers.azurerm.version).toBe('4.73.0');
      }
      const net = stack('retail-network').resource;
      expect(net.azurerm_nat_gateway.network_nat.sku_name).toBe('StandardV2');
      expect(net.azurerm_public_ip['network_nat-ip']).toMatchObject({ sku: 'StandardV2', lifecycle: { ignore_changes: ['zones'] } });
      expect(mark()).toEqual(before);
      expect(run('--runtime', 'cdk', dir).status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("refuses the example's cdktf.out", () => {
    const before = mark();
    const r = run('cdktf.out');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("is the example's output; give another folder");
    expect(mark()).toEqual(before);
  });

  test('--random N writes N environments, each into its own folder', () => {
    const dir = tempDir('ase-fixtures-random-');
    try {
      const r = run('--random', '2', '--seed', '7', dir);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout).toMatch(/Synthesized 2 of 2 random environments \(seed 7\) into .* in \d+\.\d s\n$/);
      expect(r.stdout).toContain(`rnd0-network ${join(dir, 'random-00', 'stacks', 'rnd0-network')}\n`);
      expect(r.stdout).toContain(`rnd1-network ${join(dir, 'random-01', 'stacks', 'rnd1-network')}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
