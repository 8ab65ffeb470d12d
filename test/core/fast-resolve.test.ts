/**
 * StableAddressStack.toTerraform resolves with resolveTerraform and skips cdktf's second pass: the
 * synth must write what cdktf's own TerraformStack.toTerraform writes, byte for byte, for every
 * fixture environment (every option of the spec, two regions); and resolveTerraform must
 * equal cdktf's resolve on the values its fast path treats differently.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { App, Fn, Lazy, TerraformStack, TerraformVariable, Token, Tokenization, DefaultTokenResolver, StringConcat } from 'cdktf';
import { StableAddressStack } from '../../lib/core/stable-address-stack';
import { resolveTerraform } from '../../lib/core/fast-resolve';
import { loadFixtureSpecs, synthesizeFixtures } from '../support/fixture-environments';

const files = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
};

/** Runs `synth` once as the library does and once with cdktf's own toTerraform; returns both outputs. */
function bothWays(synth: (out: string) => { ok: boolean }): { ours: Record<string, string>; cdktfs: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'ase-fast-resolve-'));
  const proto = StableAddressStack.prototype as unknown as { terraformJson(): unknown };
  const fast = proto.terraformJson;
  try {
    expect(synth(join(dir, 'ours')).ok).toBe(true);
    proto.terraformJson = function (this: TerraformStack) {
      return TerraformStack.prototype.toTerraform.call(this);
    };
    expect(synth(join(dir, 'cdktf')).ok).toBe(true);
    return { ours: files(join(dir, 'ours')), cdktfs: files(join(dir, 'cdktf')) };
  } finally {
    proto.terraformJson = fast;
    rmSync(dir, { recursive: true, force: true });
  }
}

test("every fixture environment's synth is byte-identical to cdktf's own resolution", () => {
  const specs = loadFixtureSpecs();
  const { ours, cdktfs } = bothWays((out) => synthesizeFixtures(out, specs));
  expect(Object.keys(ours).filter((f) => f.endsWith('cdk.tf.json')).length).toBeGreaterThan(30);
  expect(ours).toEqual(cdktfs);
});

describe('resolveTerraform equals cdktf resolve', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'ase-fast-resolve-app-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 's');
  const v = new TerraformVariable(stack, 'v', { type: 'string' });
  const n = new TerraformVariable(stack, 'n', { type: 'number' });
  const l = new TerraformVariable(stack, 'l', { type: 'list(string)' });
  const m = new TerraformVariable(stack, 'm', { type: 'map(string)' });
  const cdktf = (x: unknown) => Tokenization.resolve(x, { scope: stack, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) });
  const cases: Record<string, () => unknown> = {
    'plain values, undefined dropped': () => ({ a: 'x', b: undefined, c: [{ d: undefined, e: true }, null], f: { g: {} }, h: [] }),
    'a string token, and inside text': () => ({ a: v.stringValue, b: `pre-${v.stringValue}-post`, c: [{ d: `${v.stringValue}` }] }),
    'a number token, alone, in text and in a list': () => ({ a: n.numberValue, b: `port ${n.numberValue}`, c: [1, n.numberValue], d: 1e21 }),
    'text that looks like an encoded number': () => ({ a: '1e5', b: 'x-e-1', c: ['2.5e+10', 'plain'] }),
    'list and map tokens': () => ({ a: l.listValue, b: m.value, c: [{ d: l.listValue }], e: Token.asStringMap(m.value) }),
    'a token as a map key': () => ({ [v.stringValue]: 'value', plain: { [`k-${v.stringValue}`]: 1 } }),
    'functions and lazy values': () => ({ a: Fn.join(',', l.listValue), b: Lazy.stringValue({ produce: () => 'lazy' }), c: Lazy.anyValue({ produce: () => ({ nested: v.stringValue }) }), d: Fn.rawString('${x}') }),
    'escapes around tokens': () => ({ a: `\${upper(${v.stringValue})}`, b: '$${not}', c: '%{ if x }' }),
  };
  for (const [name, make] of Object.entries(cases)) {
    test(name, () => {
      expect(JSON.stringify(resolveTerraform(stack, make()))).toBe(JSON.stringify(cdktf(make())));
    });
  }

  test('refuses what cdktf refuses (a list token used as a string)', () => {
    const bad = () => ({ a: `x${l.listValue[0]}` });
    expect(() => cdktf(bad())).toThrow();
    expect(() => resolveTerraform(stack, bad())).toThrow();
  });
});
