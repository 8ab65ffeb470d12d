/**
 * The same sources on both runtimes (docs/runtimes.md): the example in two regions with private
 * DNS (every stack of the example, and a second region's), synthesized on cdktf 0.21 + azurerm 4.55 (in this process) and on CDK Terrain
 * 0.24 + azurerm 4.73 (the seam's modules resolved to cdktn in a fresh module registry, as the
 * cdktn build compiles them; bench/runtimes.js checks the compiled dist/cdktn build's output the
 * same way). Every Terraform address is the same, so moving an environment
 * from one to the other replaces nothing, and the only differences are the two listed here.
 */
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

// under `npm run test:cdktn` cdktf is cdktn already: nothing to compare
// eslint-disable-next-line @typescript-eslint/no-require-imports
const suite = (require('cdktf/package.json') as { name: string }).name === 'cdktn' ? describe.skip : describe;

suite('the example in two regions on cdktf and on CDK Terrain', () => {
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
    // on CDK Terrain: the seam's modules (lib/runtime/) resolved to cdktn and its bindings, as the
    // cdktn build rewrites them (scripts/build-cdktn.js); a fresh module registry, so every library
    // module is loaded again on top of them
    const seam = readFileSync(join(ROOT, 'lib', 'runtime', 'azurerm.ts'), 'utf8');
    const bindings = [...seam.matchAll(/from '(@cdktf\/provider-azurerm\/lib\/[a-z0-9-]+)'/g)].map((m) => m[1]);
    tn = specs.map((file, i) => {
      const out = join(dir, `tn${i}`, 'cdktf.out');
      let result: ReturnType<typeof synthesize> | undefined;
      jest.isolateModules(() => {
        jest.doMock('cdktf', () => jest.requireActual('cdktn'));
        jest.doMock('cdktf/lib/tokens/token', () => jest.requireActual('cdktn/lib/tokens/token'));
        jest.doMock('cdktf/lib/tokens/private/encoding', () => jest.requireActual('cdktn/lib/tokens/private/encoding'));
        for (const b of bindings) jest.doMock(b, () => jest.requireActual(b.replace('@cdktf/', '@cdktn/')));
        jest.doMock('../../lib/review/force-new', () => jest.requireActual('../../lib/review/force-new-4.73'));
        jest.doMock('../../lib/runtime/features-4.55', () => jest.requireActual('../../lib/runtime/features-4.73'));
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const onCdktn = require('../../lib/environment/synthesize') as typeof import('../../lib/environment/synthesize');
        result = onCdktn.synthesize([{ file: 'retail.json', spec: JSON.parse(readFileSync(file, 'utf8')), issues: [] }], out);
      });
      if (!result?.ok) throw new Error(JSON.stringify(result));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      versions = { cdktn: (require('cdktn/package.json') as { version: string }).version, azurerm: (require('@cdktn/provider-azurerm/package.json') as { version: string }).version };
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
});
