/**
 * The same sources on both runtimes (docs/runtimes.md): the example in two regions with private
 * DNS (every stack of the example, and a second region's), synthesized on cdktf 0.21 + azurerm 4.55 (in this process) and on CDK Terrain
 * 0.24 + azurerm 4.73 (test/support/synth-on-cdktn.js: the seam's modules resolved to cdktn, as
 * the cdktn build compiles them). Every Terraform address is the same, so moving an environment
 * from one to the other replaces nothing, and the only differences are the two listed here.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesize } from '../../lib/environment/synthesize';
import { exampleSpec, tempDir, type Json } from '../helpers';

const ROOT = join(__dirname, '..', '..');
const twoRegions = (): Json => {
  const s = exampleSpec() as Json;
  s.otherRegions = [{ name: 'northeurope', code: 'ne', addressSpace: '10.30.0.0/16' }];
  s.services[0].regions = ['westeurope', 'northeurope'];
  s.services[0].traffic.regions = { shares: { westeurope: 90, northeurope: 10 } };
  s.front.privateDnsZone = true;
  return s;
};

interface Output {
  readonly stacks: Record<string, Json>;
  readonly manifest: Json;
  readonly review: Record<string, string>;
}
const read = (out: string): Output => ({
  stacks: Object.fromEntries(readdirSync(join(out, 'stacks')).map((s) => [s, JSON.parse(readFileSync(join(out, 'stacks', s, 'cdk.tf.json'), 'utf8'))])),
  manifest: JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')),
  review: Object.fromEntries(readdirSync(join(out, 'review')).map((f) => [f, readFileSync(join(out, 'review', f), 'utf8')])),
});
const addresses = (stack: Json) => Object.entries(stack.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName as Json).map((n) => `${type}.${n}`)).sort();

let dir: string;
let tf: Output[];
let tn: Output[];
let versions: { cdktn: string; azurerm: string };
beforeAll(() => {
  dir = tempDir('runtimes-');
  const specs = [twoRegions()].map((spec, i) => {
    const file = join(dir, `retail${i}.json`);
    writeFileSync(file, JSON.stringify(spec));
    return file;
  });
  tf = specs.map((file, i) => {
    const out = join(dir, `tf${i}`, 'cdktf.out');
    const r = synthesize([{ file: 'retail.json', spec: JSON.parse(readFileSync(file, 'utf8')), issues: [] }], out);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return read(out);
  });
  tn = specs.map((file, i) => {
    const out = join(dir, `tn${i}`, 'cdktf.out');
    const r = spawnSync(process.execPath, [join(ROOT, 'test', 'support', 'synth-on-cdktn.js'), out, file], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const said = JSON.parse(r.stdout) as { cdktn: string; azurerm: string };
    versions = { cdktn: said.cdktn, azurerm: said.azurerm };
    return read(out);
  });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the CDK Terrain synth ran on cdktn 0.24.0 with @cdktn/provider-azurerm 16.1.0', () => {
  expect(versions).toEqual({ cdktn: '0.24.0', azurerm: '16.1.0' });
});

test.each([0])('spec %i: the same stacks, the same Terraform addresses in each, the same dependencies', (i) => {
  expect(Object.keys(tn[i].stacks).sort()).toEqual(Object.keys(tf[i].stacks).sort());
  for (const name of Object.keys(tf[i].stacks)) expect({ name, addresses: addresses(tn[i].stacks[name]) }).toEqual({ name, addresses: addresses(tf[i].stacks[name]) });
  const deps = (m: Json) => Object.fromEntries(Object.entries(m.stacks as Json).map(([k, v]) => [k, (v as Json).dependencies]));
  expect(deps(tn[i].manifest)).toEqual(deps(tf[i].manifest));
  expect(tn[i].review).toEqual(tf[i].review);
});

test.each([0])('spec %i: the only differences are the runtime that wrote each stack and the azurerm version it pins', (i) => {
  for (const name of Object.keys(tf[i].stacks)) {
    const a = tf[i].stacks[name];
    const b = structuredClone(tn[i].stacks[name]);
    expect(a['//'].metadata.version).toBe('0.21.0');
    expect(b['//'].metadata.version).toBe('0.24.0');
    expect(a.terraform.required_providers.azurerm).toEqual({ source: 'azurerm', version: '4.55.0' });
    expect(b.terraform.required_providers.azurerm).toEqual({ source: 'azurerm', version: '4.73.0' });
    b['//'].metadata.version = a['//'].metadata.version;
    b.terraform.required_providers.azurerm.version = '4.55.0';
    // byte for byte once those two are the same
    expect({ name, text: JSON.stringify(b) }).toEqual({ name, text: JSON.stringify(a) });
  }
});
