/**
 * The import seam (lib/runtime/, docs/runtimes.md): the library reaches the CDK runtime and the
 * provider bindings only through it, so the CDK Terrain build can rewrite four files; and the
 * library's own time binding synthesizes what @cdktf/provider-time does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { App, TerraformStack } from 'cdktf';
import { TimeProvider as PrebuiltProvider } from '@cdktf/provider-time/lib/provider';
import { Sleep as PrebuiltSleep } from '@cdktf/provider-time/lib/sleep';
import { Sleep, TimeProvider } from '../../lib/runtime/time';

const LIB = join(__dirname, '..', '..', 'lib');
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

/** Every module a file imports or re-exports, and every require() of a string. */
function modulesOf(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    if (ts.isCallExpression(n) && n.arguments.length === 1 && ts.isStringLiteral(n.arguments[0]) && (n.expression.getText() === 'require' || n.expression.kind === ts.SyntaxKind.ImportKeyword)) out.push(n.arguments[0].text);
    if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) out.push(n.argument.literal.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const RUNTIME = /^(cdktf|cdktn)($|\/)|^@(cdktf|cdktn)\//;

test('no file outside lib/runtime imports the CDK runtime or a provider binding', () => {
  const offenders = files(LIB)
    .filter((f) => !relative(LIB, f).startsWith('runtime/'))
    .flatMap((f) => modulesOf(f).filter((m) => RUNTIME.test(m)).map((m) => `${relative(LIB, f)}: ${m}`));
  expect(offenders).toEqual([]);
});

test('each seam file imports only its own runtime modules (what the CDK Terrain build rewrites)', () => {
  const of = (name: string) => modulesOf(join(LIB, 'runtime', name));
  expect(of('cdk.ts')).toEqual(['cdktf', 'cdktf']);
  expect(new Set(of('cdk-tokens.ts').map((m) => m.replace(/\/[^/]+$/, '/*')))).toEqual(new Set(['cdktf/lib/tokens/private/*', 'cdktf/lib/tokens/*']));
  // deep modules only: the package barrel would load every one of the provider's 1,500 bindings
  for (const m of of('azurerm.ts')) expect(m).toMatch(/^@cdktf\/provider-azurerm\/lib\/[a-z0-9-]+$/);
  expect(of('time.ts').filter((m) => m !== 'constructs')).toEqual(['./cdk']);
  expect(of('provider.ts')).toEqual(['../review/force-new', './features-4.55']);
});

test("the CDK Terrain build's rewrite: each seam file's runtime names, nothing else, and a file with nothing to rewrite refused", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { rewrite, SEAM } = require('../../scripts/build-cdktn.js') as { rewrite: (text: string, file: string) => string; SEAM: string[] };
  expect(SEAM).toEqual(['cdk.ts', 'cdk-tokens.ts', 'azurerm.ts', 'provider.ts']);
  for (const f of SEAM) {
    const before = readFileSync(join(LIB, 'runtime', f), 'utf8');
    const after = rewrite(before, f);
    const changed = before.split('\n').filter((l, i) => l !== after.split('\n')[i]);
    // only import lines change, and every one of them does
    expect(changed.length).toBeGreaterThan(0);
    for (const l of changed) expect(l).toMatch(/^export (type )?\{[^}]+\} from '(cdktf|@cdktf\/provider-azurerm\/lib\/[a-z0-9-]+|cdktf\/lib\/tokens\/[a-z/-]+|\.\.\/review\/force-new|\.\/features-4\.55)';$/);
    expect(after).not.toMatch(/from '(cdktf|@cdktf\/)/);
  }
  expect(() => rewrite("export { x } from './y';\n", 'other.ts')).toThrow('nothing to rewrite');
});

test("the two provider versions' features: the same keys, 4.73 adds StandardV2 NAT; each names its own runtime", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const f455 = require('../../lib/runtime/features-4.55').PROVIDER_FEATURES;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const f473 = require('../../lib/runtime/features-4.73').PROVIDER_FEATURES;
  expect(Object.keys(f473).sort()).toEqual(Object.keys(f455).sort());
  expect(f455).toMatchObject({ azurerm: '4.55.0', runtime: 'cdktf', natGatewaySkus: ['Standard'] });
  expect(f473).toMatchObject({ azurerm: '4.73.0', runtime: 'cdktn', natGatewaySkus: ['Standard', 'StandardV2'] });
  // the bindings in use are the ones the features name (under test:cdktn, cdktn's)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PROVIDER_FEATURES } = require('../../lib/runtime/provider');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  expect(PROVIDER_FEATURES.runtime).toBe(require('cdktf/package.json').name);
});

test("azurerm 4.73's force-new table (the cdktn variant's review) covers the same resource types as 4.55's", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const t455 = require('../../lib/review/force-new') as { FORCE_NEW: Record<string, string[]> };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const t473 = require('../../lib/review/force-new-4.73') as { FORCE_NEW: Record<string, string[]> };
  expect(Object.keys(t473.FORCE_NEW).sort()).toEqual(Object.keys(t455.FORCE_NEW).sort());
  // the one difference the docs show: 4.73 replaces a NAT gateway when its SKU changes (StandardV2 is new there)
  const differ = Object.keys(t455.FORCE_NEW).filter((k) => JSON.stringify(t455.FORCE_NEW[k]) !== JSON.stringify(t473.FORCE_NEW[k]));
  expect(differ).toEqual(['azurerm_nat_gateway']);
  expect(t473.FORCE_NEW.azurerm_nat_gateway).toContain('sku_name');
});

test("the library's time binding synthesizes what @cdktf/provider-time 11.0.1 does: provider, required version, every attribute", () => {
  const synth = (build: (stack: TerraformStack) => void) => {
    const app = new App({ outdir: '/tmp/ase-unused', skipValidation: true });
    const stack = new TerraformStack(app, 'waits');
    build(stack);
    return JSON.parse(JSON.stringify((stack as unknown as { toTerraform(): unknown }).toTerraform()));
  };
  const ours = synth((s) => {
    new TimeProvider(s, 'time');
    new TimeProvider(s, 'time-b', { alias: 'b' });
    const first = new Sleep(s, 'first', { createDuration: '10m', destroyDuration: '30s', triggers: { role_assignment_id: 'x', other: 'y' } });
    new Sleep(s, 'second', { createDuration: '5m', dependsOn: [first] });
    new Sleep(s, 'bare');
  });
  const theirs = synth((s) => {
    new PrebuiltProvider(s, 'time');
    new PrebuiltProvider(s, 'time-b', { alias: 'b' });
    const first = new PrebuiltSleep(s, 'first', { createDuration: '10m', destroyDuration: '30s', triggers: { role_assignment_id: 'x', other: 'y' } });
    new PrebuiltSleep(s, 'second', { createDuration: '5m', dependsOn: [first] });
    new PrebuiltSleep(s, 'bare');
  });
  expect(ours).toEqual(theirs);
  expect(JSON.stringify(ours)).toBe(JSON.stringify(theirs));
  expect(ours.terraform.required_providers.time).toEqual({ source: 'hashicorp/time', version: '0.13.1' });
  expect(Object.keys(ours.resource.time_sleep)).toEqual(['first', 'second', 'bare']);
});
