/**
 * The app as users run it (`npm run synth` is `node scripts/app.js`): a bad spec exits non-zero
 * with every problem and writes nothing; two checkouts in different folders write the same bytes.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exampleSpec, readStacks, tempDir, type Json } from '../helpers';

const root = resolve(__dirname, '..', '..');

/** A copy of the project's sources in a new folder, sharing node_modules. */
function checkout(): string {
  const dir = join(tempDir('ase-checkout-'), 'project');
  mkdirSync(dir);
  for (const f of ['lib', 'stacks', 'scripts', 'package.json', 'cdktf.json']) cpSync(join(root, f), join(dir, f), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function run(cwd: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1' };
  delete env.CDKTF_OUTDIR;
  return spawnSync(process.execPath, ['scripts/app.js', 'stacks/main.ts', ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
}

describe('npm run synth', () => {
  test('two checkouts in different folders write byte-identical stacks', () => {
    const a = checkout();
    const b = checkout();
    const ra = run(a);
    const rb = run(b);
    expect(ra.stderr).toBe('');
    expect(ra.status).toBe(0);
    expect(rb.status).toBe(0);
    expect(ra.stdout).toBe("Synthesized 8 stacks into cdktf.out/: retail-monitor, retail-network, retail-vault, retail-identities, retail-svc-catalog, retail-svc-order-processing, retail-svc-pricing, retail-front\n");
    const one = readStacks(join(a, 'cdktf.out'));
    expect(Object.keys(one)).toHaveLength(8);
    expect(readStacks(join(b, 'cdktf.out'))).toEqual(one);
    for (const text of Object.values(one)) expect(text).not.toContain(a);
  });

  test('synthesizing needs no terraform binary, with every slot pinning its image version (terraform_data)', () => {
    const dir = checkout();
    const envs = join(dir, 'fresh-envs');
    mkdirSync(envs);
    // no lock beside it: every scale set is new, so each slot pins its image version
    writeFileSync(join(envs, 'retail.json'), JSON.stringify(exampleSpec()));
    const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', PATH: '/usr/bin:/bin' };
    delete env.CDKTF_OUTDIR;
    expect(spawnSync('sh', ['-c', 'command -v terraform'], { env, encoding: 'utf8' }).stdout).toBe('');
    const r = spawnSync(process.execPath, ['scripts/app.js', 'stacks/main.ts', '--environments', 'fresh-envs'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readStacks(join(dir, 'cdktf.out'))['retail-svc-pricing']).toContain('"terraform_data"');
  });

  test('a spec with mistakes exits 1, lists every one with its path and file, and writes nothing', () => {
    const dir = checkout();
    const envs = join(dir, 'bad-envs');
    mkdirSync(envs);
    const spec = exampleSpec() as Json;
    spec.services[0].capacity.min = 1;
    spec.services[1].prot = 1;
    spec.network.addressSpace = '10.20.0.0/33';
    writeFileSync(join(envs, 'retail.json'), JSON.stringify(spec));
    writeFileSync(join(envs, 'broken.yaml'), 'name: [unclosed\n');
    const r = run(dir, '--environments', 'bad-envs');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      'bad-envs/broken.yaml: 1 problem',
      '  (file): cannot be read: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1',
      'bad-envs/retail.json: 3 problems',
      "  bad-envs/retail.json:1:268: network.addressSpace: '10.20.0.0/33' is not an IPv4 CIDR such as 10.20.0.0/16",
      '  bad-envs/retail.json:1:1136: services[0] (pricing).capacity.min: got 1, expected >= 2',
      "  bad-envs/retail.json:1:2643: services[1] (order-processing).prot: unknown field (did you mean 'port'?)",
      'Nothing was written.',
      '',
    ]);
    expect(existsSync(join(dir, 'cdktf.out'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('cdktf.out'))).toEqual([]);
  });

  test('what crashed the synth before (duplicate instance inputs, a hole in a .ts list, __proto__ in JSON) exits 1 with paths and writes nothing', () => {
    const dir = checkout();
    const envs = join(dir, 'bad-envs');
    mkdirSync(envs);
    const spec = exampleSpec() as Json;
    spec.services[0].endpoints.instanceInput = [
      { name: 'debug', port: 9000, frontendPortStart: 50000 },
      { name: 'debug', port: 9001, frontendPortStart: 51000 },
    ];
    // a .ts environment, as users write them: the hole is in the source text
    const text = JSON.stringify(spec, null, 2).replace('"10.50.0.0/16"', '"10.50.0.0/16", , "10.60.0.0/16"');
    writeFileSync(join(envs, 'retail.ts'), `export default ${text};\n`);
    const other = exampleSpec() as Json;
    other.name = 'shop';
    writeFileSync(join(envs, 'shop.json'), JSON.stringify(other).replace('"owner":', '"__proto__":"x","owner":'));
    const r = run(dir, '--environments', 'bad-envs');
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stderr.split('\n')).toEqual([
      'bad-envs/retail.ts: 2 problems',
      '  bad-envs/retail.ts:16:19: network.peerRanges[1]: is a hole in the array (two commas with nothing between: [a, , b]) (remove the extra comma)',
      "  bad-envs/retail.ts:110:21: services[0] (pricing).endpoints.instanceInput[1].name: 'debug' is already endpoints.instanceInput[0]'s name (give each endpoint its own name)",
      'bad-envs/shop.json: 1 problem',
      "  bad-envs/shop.json:1:164: tags.__proto__: '__proto__' cannot be a key: JavaScript objects do not keep it as data, so it would vanish from the spec (rename the key)",
      'Nothing was written.',
      '',
    ]);
    expect(readdirSync(dir).filter((f) => f.startsWith('cdktf.out'))).toEqual([]);
  });
});
