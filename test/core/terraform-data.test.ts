/**
 * Spec strings are data in the synthesized Terraform: the real terraform binary reads back exactly
 * the string a construct was given, as a value, as a map key and beside a library-built reference
 * (a token) in the same string; library expressions stay expressions.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aspects, Fn, TerraformResource, TerraformStack, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import fc from 'fast-check';
import { StableAddressStack } from '../../lib/core/stable-address-stack';
import { escapeLiteralText, TerraformDataAspect, terraformExpression, terraformLiteral, terraformStringLiteral } from '../../lib/core/terraform-data';
import { buildEnvironment } from '../../lib/environment/build';
import { exampleSpec, planOf } from '../helpers';

/** The built-in terraform_data resource: needs no provider download. */
class Data extends TerraformResource {
  constructor(scope: Construct, id: string, private readonly value: unknown) {
    super(scope, id, { terraformResourceType: 'terraform_data' });
  }
  get output(): string {
    return this.getStringAttribute('output');
  }
  protected synthesizeAttributes() {
    return { input: this.value };
  }
}

const env = { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };

/** Applies a synthesized stack with the real terraform and returns each resource's input as Terraform read it. */
function applied(json: string): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'tfdata-'));
  try {
    writeFileSync(join(dir, 'main.tf.json'), json);
    execFileSync('terraform', ['init', '-no-color', '-input=false'], { cwd: dir, env, stdio: 'pipe' });
    execFileSync('terraform', ['apply', '-no-color', '-input=false', '-auto-approve'], { cwd: dir, env, stdio: 'pipe' });
    const state = JSON.parse(execFileSync('terraform', ['show', '-json'], { cwd: dir, env, maxBuffer: 64 << 20 }).toString());
    return Object.fromEntries((state.values.root_module.resources as Array<{ name: string; values: { input: unknown } }>).map((r) => [r.name, r.values.input]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Printable strings, heavy in the characters Terraform and cdktf read specially. */
const hostile = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('$', '%', '{', '}', '${', '%{', '$${', '%%{', '}}', '~', '"', '\\', 'TfToken[', '${TfToken[TOKEN.99999]}', ']}', 'if x', 'endif') },
      { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }) },
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

describe('spec strings as Terraform data (real terraform read-back)', () => {
  it('reads back every string exactly: as a value, a map key, and beside a reference', () => {
    // Terraform reads strings as Unicode NFC (the next test): the spec refuses other forms
    const samples = fc.sample(hostile, { numRuns: 150, seed: 20261201 }).filter((s) => s === s.normalize('NFC'));
    expect(samples.length).toBeGreaterThan(100);
    samples.push('platform-team%{if x}', 'CN=retail.internal${x}', '${TfToken[TOKEN.99999999]}', 'a$', '$', 'x$${y}', '%%{', '$$${"q"}');
    const stack = new StableAddressStack(Testing.app(), 's');
    const ref = new Data(stack, 'ref', 'R');
    samples.forEach((s, i) => new Data(stack, `d${i}`, { plain: s, keyed: { [`k${s}`]: s }, beside: `${s}${ref.output}${s}`, list: [s] }));
    const read = applied(Testing.synth(stack));
    samples.forEach((s, i) => {
      expect({ i, got: read[`d${i}`] }).toEqual({ i, got: { plain: s, keyed: { [`k${s}`]: s }, beside: `${s}R${s}`, list: [s] } });
    });
  });

  it('reads strings back in Unicode NFC: a string in another form is not read back as written', () => {
    const stack = new StableAddressStack(Testing.app(), 's');
    new Data(stack, 'decomposed', 'Cafe\u0301');
    expect(applied(Testing.synth(stack))).toEqual({ decomposed: 'Caf\u00e9' });
  });

  it('cannot tell a marker of a token cdktf issued from the token: the spec validation refuses markers', () => {
    const stack = new StableAddressStack(Testing.app(), 's');
    const ref = new Data(stack, 'ref', 'R');
    new Data(stack, 'forged', ref.output.replace(/^.*(\$\{TfToken\[[^\]]+\]\}).*$/, '$1'));
    expect(applied(Testing.synth(stack)).forged).toBe('R');
  });

  it('keeps library-built expressions as expressions, with user text inside them escaped', () => {
    const stack = new StableAddressStack(Testing.app(), 's');
    const ref = new Data(stack, 'ref', 'r');
    new Data(stack, 'fn', Fn.upper(ref.output));
    new Data(stack, 'raw', terraformExpression(`upper(${terraformStringLiteral('a${b}%{c}"')})`));
    new Data(stack, 'joined', `${ref.output}-${ref.output}`);
    expect(applied(Testing.synth(stack))).toEqual({ ref: 'r', fn: 'R', raw: 'A${B}%{C}"', joined: 'r-r' });
  });

  it('is the one place: every stack the environment builds carries the aspect', () => {
    const app = Testing.app();
    buildEnvironment(app, planOf(exampleSpec()));
    const stacks = app.node.children.filter((c): c is TerraformStack => TerraformStack.isStack(c));
    expect(stacks.length).toBeGreaterThan(4);
    expect(stacks.filter((s) => !Aspects.of(s).all.some((a) => a instanceof TerraformDataAspect)).map((s) => s.node.id)).toEqual([]);
  });

  it('escapes the literal text of a string and nothing else', () => {
    expect(terraformLiteral('a${b}%{c}')).toBe('a$${b}%%{c}');
    expect(escapeLiteralText('plain text')).toBe('plain text');
    // an unregistered marker in a string without tokens cannot be left for cdktf's token regex
    expect(escapeLiteralText('${TfToken[TOKEN.99999]}')).toBe('${"$"}{TfToken[TOKEN.99999]}');
  });
});
