/**
 * `network.natGateway.sku` (docs/runtimes.md, docs/network.md): 'StandardV2' only where the
 * bindings' azurerm accepts it. On cdktf (azurerm 4.55) it is refused at its field with the way
 * out, and nothing is written; on CDK Terrain (azurerm 4.73, `npm run test:cdktn`) the network
 * stack gets a zone-redundant gateway and a StandardV2 public IP whose reported zones are ignored,
 * and the review of moving an existing environment to it blocks on the egress IP's replacement.
 * Each suite runs the tests of its own runtime (the other runtime's are not registered).
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROVIDER_FEATURES } from '../../lib/runtime/provider';
import { reviewOutputs } from '../../lib/review/compare';
import { readSynthOutput } from '../../lib/review/config-diff';
import { formatIssue } from '../../lib/spec/issues';
import { validateEnvironment } from '../../lib/spec/validate';
import { changedResources, exampleSpec, exampleStacks, resourceAt, synthStacks, tempDir, type Json } from '../helpers';
import { synthesize } from '../../stacks/synthesize';

const V2 = PROVIDER_FEATURES.natGatewaySkus.includes('StandardV2');
const withSku = (sku: string, change: (s: Json) => void = () => undefined): Json => {
  const s = exampleSpec() as Json;
  s.network.natGateway = { sku };
  change(s);
  return s;
};
const problems = (spec: Json) => {
  const r = validateEnvironment(spec);
  return r.ok ? [] : r.issues.map(formatIssue);
};

test("'Standard' given explicitly synthesizes exactly what the default does (a zonal gateway in the first zone)", () => {
  const explicit = synthStacks(withSku('Standard'));
  expect(explicit).toEqual(exampleStacks());
  const net = JSON.parse(explicit['retail-network']);
  expect(resourceAt(net, 'azurerm_nat_gateway', 'network_nat')).toMatchObject({ sku_name: 'Standard', zones: ['1'] });
});

if (!V2) {
  test("on cdktf (azurerm 4.55) 'StandardV2' is refused at network.natGateway.sku, naming the provider version and the CDK Terrain entry point; nothing is written", () => {
    expect(problems(withSku('StandardV2'))).toEqual([
      "network.natGateway.sku: 'StandardV2' needs azurerm 4.67 or later, and these bindings are azurerm 4.55.0 (cdktf): the provider would refuse it at plan (use the CDK Terrain entry point (azure-slot-environments/cdktn, azurerm 4.73; docs/runtimes.md), or keep 'Standard')",
    ]);
    const dir = tempDir('ase-nat-v2-');
    try {
      const r = synthesize([{ file: 'retail.ts', spec: withSku('StandardV2'), issues: [] }], join(dir, 'cdktf.out'));
      expect(r.ok).toBe(false);
      expect(existsSync(join(dir, 'cdktf.out'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

if (V2) {
  test("on CDK Terrain (azurerm 4.73) 'StandardV2': a gateway without zones, a StandardV2 IP whose reported zones are ignored; nothing else changes", () => {
    const stacks = synthStacks(withSku('StandardV2'));
    const before = exampleStacks();
    expect(Object.keys(stacks)).toEqual(Object.keys(before));
    for (const name of Object.keys(stacks)) if (name !== 'retail-network') expect(stacks[name]).toBe(before[name]);
    expect(changedResources(before['retail-network'], stacks['retail-network'])).toEqual(['azurerm_nat_gateway.network_nat', 'azurerm_public_ip.network_nat-ip']);
    const net = JSON.parse(stacks['retail-network']);
    const nat = resourceAt(net, 'azurerm_nat_gateway', 'network_nat');
    expect(nat.sku_name).toBe('StandardV2');
    // 4.73 refuses `zones` on a StandardV2 gateway at plan, even []
    expect('zones' in nat).toBe(false);
    const ip = resourceAt(net, 'azurerm_public_ip', 'network_nat-ip');
    expect(ip).toMatchObject({ sku: 'StandardV2', allocation_method: 'Static', lifecycle: { ignore_changes: ['zones'] } });
    expect('zones' in ip).toBe(false);
  });

  test('a region Azure offers no StandardV2 NAT in is refused, first region or another, at network.natGateway.sku', () => {
    expect(problems(withSku('StandardV2', (s) => (s.region = 'qatarcentral')))).toEqual([
      expect.stringMatching(/^network\.natGateway\.sku: Azure offers no StandardV2 NAT gateway in qatarcentral \(region\) \(keep 'Standard'/),
    ]);
    expect(problems(withSku('StandardV2', (s) => (s.otherRegions = [{ name: 'canadaeast', code: 'ce', addressSpace: '10.30.0.0/16' }])))).toEqual([
      expect.stringMatching(/^network\.natGateway\.sku: Azure offers no StandardV2 NAT gateway in canadaeast \(otherRegions\[0\]\.name\)/),
    ]);
    // a retired region keeps its network stack (with the SKU) until it is removed: checked too
    expect(problems(withSku('StandardV2', (s) => (s.otherRegions = [{ name: 'canadaeast', code: 'ce', addressSpace: '10.30.0.0/16', retired: true }])))).toEqual([
      expect.stringMatching(/^network\.natGateway\.sku: Azure offers no StandardV2 NAT gateway in canadaeast \(otherRegions\[0\]\.name\)/),
    ]);
  });

  test('moving an existing environment to StandardV2: the review blocks on the egress IP it replaces (partners allow-list it)', () => {
    const root = tempDir('ase-nat-v2-review-');
    try {
      for (const [name, s] of [['before', exampleSpec()], ['after', withSku('StandardV2')]] as const) expect(synthesize([{ file: 'retail.ts', spec: s, issues: [] }], join(root, name)).ok).toBe(true);
      const r = reviewOutputs(readSynthOutput(join(root, 'before')), readSynthOutput(join(root, 'after')));
      expect(r.exitCode).toBe(1);
      expect(r.blockers.map((b) => b.resource)).toContain('retail-network:azurerm_public_ip.network_nat-ip');
      expect(r.markdown).toMatch(/azurerm_nat_gateway\.network_nat[^\n]*replace/i);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}
