/**
 * The review of two real synth outputs of the example: a swap, a ramp step, an added service, a
 * changed VM size and a new release. Each comment must say exactly what changed and nothing else.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { reviewOutputs } from '../../lib/review/compare';
import { readSynthOutput, type SynthOutput } from '../../lib/review/config-diff';
import { synthesize } from '../../stacks/synthesize';
import { exampleSpec, tempDir, type Json } from '../helpers';

function synthOutput(spec: unknown): SynthOutput {
  const dir = tempDir('ase-review-');
  try {
    const out = join(dir, 'cdktf.out');
    const r = synthesize([{ file: 'retail.ts', spec, issues: [] }], out);
    if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 2));
    return readSynthOutput(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The resource rows of the comment: `action address`, in order. */
const rows = (md: string) => [...md.matchAll(/^\| `([^`]+)` [a-z]+ \| `([^`]+)` \|/gm)].map((m) => `${m[1]} ${m[2]}`);
/** The same, each with its stack: `stack: action address`. */
function stackRows(md: string): string[] {
  let stack = '';
  const out: string[] = [];
  for (const line of md.split('\n')) {
    const h = /^#### ([a-z0-9-]+)/.exec(line);
    if (h) stack = h[1];
    const m = /^\| `([^`]+)` [a-z]+ \| `([^`]+)` \|/.exec(line);
    if (m) out.push(`${stack}: ${m[1]} ${m[2]}`);
  }
  return out;
}
const stackHeadings = (md: string) => [...md.matchAll(/^#### ([a-z0-9-]+)/gm)].map((m) => m[1]);
const sections = (md: string) => [...md.matchAll(/^### (.+)$/gm)].map((m) => m[1]);

let base: SynthOutput;
const changed: Record<string, SynthOutput> = {};

beforeAll(() => {
  base = synthOutput(exampleSpec());
  const variants: Record<string, (s: Json) => void> = {
    swap: (s) => (s.services[0].traffic = { ...s.services[0].traffic, live: 'green' }),
    ramp: (s) => (s.services[0].traffic = { ...s.services[0].traffic, live: 'blue', weight: 10 }),
    unguardedRamp: (s) => (s.services[0].traffic = { live: 'blue', weight: 10 }),
    size: (s) => (s.services[1].vmSize = 'Standard_D2as_v5'),
    release: (s) => (s.services[2].slots.green.version = '1.13.0'),
    setting: (s) => (s.services[0].settings.PRICE_CACHE_SECONDS = '60'),
    added: (s) => s.services.push({ ...structuredClone(s.services[2]), name: 'search', block: 4, vmSize: 'Standard_D2as_v5' }),
  };
  for (const [name, change] of Object.entries(variants)) {
    const spec = exampleSpec() as Json;
    change(spec);
    changed[name] = synthOutput(spec);
  }
});

test('no change: the comment says so and lists nothing', () => {
  const r = reviewOutputs(base, base);
  expect(r.markdown).toContain('No changes');
  expect(rows(r.markdown)).toEqual([]);
  expect(sections(r.markdown)).toEqual([]);
  expect(r.exitCode).toBe(0);
});

test('a swap: a new version of the routing table (routine: no replacement warning), the traffic row and a chart of the new route; nothing else', () => {
  const r = reviewOutputs(base, changed.swap);
  expect(r.markdown).toContain('**0 to add, 0 to change, 0 to replace, 0 to destroy; 1 new blob version (created before the previous one is removed)** in 1 of 8 stacks');
  expect(stackHeadings(r.markdown)).toEqual(['retail-front']);
  expect(r.markdown).toContain('#### retail-front: 1 new version\n');
  // source_content and name force a new blob (the docs say so); created before the old one is deleted, it is a new version
  expect(rows(r.markdown)).toEqual(['+/- azurerm_storage_blob.front_routing-table']);
  const hash = (s: SynthOutput) => /^routing\/([0-9a-f]{16})\.json$/.exec((s.stacks['retail-front'] as Json).resource.azurerm_storage_blob['front_routing-table'].name)![1];
  expect(r.markdown).toContain(`| \`+/-\` version | \`azurerm_storage_blob.front_routing-table\` | routing table: new version \`${hash(changed.swap)}\`, named by the pointer \`current\` (updated in place); the previous \`${hash(base)}\` is removed after |`);
  expect(r.markdown).not.toContain('forces replacement');
  expect(r.markdown).toContain('`source_content` (new version), line diff:');
  expect(sections(r.markdown)).toEqual(['Traffic', 'Guard', 'Changes by stack']);
  // the swap starts pricing's bake: green, live now, judged against blue for 10 minutes
  expect(r.markdown).toContain("| retail/pricing | swap: for 10 min on each front VM, green (2024.11.4) judged against blue, live before | over 60 s, once green served 100 requests on a front VM: its error rate passes blue's by 5 points, or its mean time passes 2 × blue's and by 20 ms | rollback: green's unpinned requests go to blue on that front VM |");
  const traffic = r.markdown.split('\n').filter((l) => l.startsWith('| retail/') && !l.includes('judged against'));
  expect(traffic).toEqual(['| retail/pricing | blue → **green** | 0 | – | cookie slot_affinity | on | 0 | blue 2024.11.3; green 2024.11.4 |']);
  expect(r.markdown).toContain('```mermaid');
  expect(r.markdown).toContain('front -->|"100 %"| pricing_green');
  expect(r.markdown).toContain('pricing_green -.->|failover| pricing_blue');
  expect(r.markdown).not.toMatch(/front -->.*pricing_blue/); // requests no longer go to the old slot
  // the routing table's diff, decoded: the live slot line
  expect(r.markdown).toMatch(/^- {6}"live": "blue",$/m);
  expect(r.markdown).toMatch(/^\+ {6}"live": "green",$/m);
  expect(r.exitCode).toBe(0);
  expect(r.blockers).toEqual([]);
});

test('a ramp step: the weight and a two-way chart', () => {
  const r = reviewOutputs(base, changed.ramp);
  expect(rows(r.markdown)).toEqual(['+/- azurerm_storage_blob.front_routing-table']);
  expect(r.markdown).toContain('| retail/pricing | blue | 0 → **10 % to green** |');
  expect(r.markdown).toContain('front -->|"90 %"| pricing_blue');
  expect(r.markdown).toContain('front -->|"10 % ramp"| pricing_green');
  expect(sections(r.markdown)).toEqual(['Traffic', 'Guard', 'Changes by stack']);
  expect(r.markdown).toContain("| retail/pricing | ramp: green (2024.11.4) at 10 % judged against blue (2024.11.3) | over 60 s, once green served 100 requests on a front VM: its error rate passes blue's by 5 points, or its mean time passes 2 × blue's and by 20 ms | rollback: green's unpinned requests go to blue on that front VM |");
});

test('a ramp step that also drops the guard: the guard section says so', () => {
  const r = reviewOutputs(base, changed.unguardedRamp);
  expect(r.markdown).toContain('| retail/pricing | guard removed: the front routes as the table says | – | – |');
});

test('a changed VM size: two scale sets update in place, the capacity row and both quota families', () => {
  const r = reviewOutputs(base, changed.size);
  // and the quota alert watches the new family too (an in-place update of its query)
  expect(rows(r.markdown)).toEqual(['~ azurerm_monitor_scheduled_query_rules_alert_v2.alert-vcpu-quota', '~ azurerm_linux_virtual_machine_scale_set.blue_scale-set_vmss', '~ azurerm_linux_virtual_machine_scale_set.green_scale-set_vmss']);
  expect(r.markdown).toContain('| `sku` | `Standard_D2s_v5` | `Standard_D2as_v5` |  |');
  expect(sections(r.markdown)).toEqual(['Capacity', 'Changes by stack']);
  expect(r.markdown).toContain('| retail/svc-order-processing | Standard_D2s_v5 → **Standard_D2as_v5** | 2 / 3 / 10 | 2 | 12 / 12 | 1 / 2 (surge) / 1 | capacity changed; its scale sets roll |');
  // 24 instances × 2 vCPUs leave the DSv5 family for the DASv5 family
  expect(r.markdown).toContain('| standardDASv5Family | 0 → **48** | – | – |');
  expect(r.markdown).toContain('| standardDSv5Family | 256 → **208** | 300 | 44 → **92** |');
  expect(r.markdown).not.toContain('| retail/svc-pricing');
});

test('a new release: a user data change only, decoded (never the base64), and the rollout headroom', () => {
  const r = reviewOutputs(base, changed.release);
  expect(rows(r.markdown)).toEqual(['~ azurerm_linux_virtual_machine_scale_set.green_scale-set_vmss']);
  // the release travels in user data (it reaches running VMs); custom data does not change
  expect(r.markdown).toContain('| `~` update | `azurerm_linux_virtual_machine_scale_set.green_scale-set_vmss` | `user_data` |');
  expect(r.markdown).toMatch(/^- +"version": "1.13.0-rc1",$/m);
  expect(r.markdown).toMatch(/^\+ +"version": "1.13.0",$/m);
  expect(r.markdown).not.toContain('`custom_data`');
  expect(r.markdown).toContain('`user_data` (the release: reaches running VMs as the rolling upgrade updates each to the latest model; their release agent switches within 30 s), line diff:');
  const userData = (base.stacks['retail-svc-catalog'] as Json).resource.azurerm_linux_virtual_machine_scale_set['green_scale-set_vmss'].user_data as string;
  expect(r.markdown).not.toContain(userData.slice(0, 40));
  expect(r.markdown).toContain('| retail/svc-catalog | Standard_E4s_v5 | 2 / 2 / 8 | 2 | 10 / 10 | 1 / 2 (surge) / 1 | its scale sets roll |');
  // the versions show in the traffic table; routing is unchanged
  expect(r.markdown).toContain('blue 1.12.0; green 1.13.0-rc1 → **blue 1.12.0; green 1.13.0**');
  expect(r.markdown).not.toContain('```mermaid\nflowchart LR\n  front(["nginx front"])\n  subgraph svc_pricing');
});

test('a changed setting: a custom data change, with the warning that running VMs keep the old one until reimaged', () => {
  const r = reviewOutputs(base, changed.setting);
  expect(rows(r.markdown)).toEqual(['~ azurerm_linux_virtual_machine_scale_set.blue_scale-set_vmss', '~ azurerm_linux_virtual_machine_scale_set.green_scale-set_vmss']);
  expect(r.markdown).toMatch(/^- +PRICE_CACHE_SECONDS="30"$/m);
  expect(r.markdown).toMatch(/^\+ +PRICE_CACHE_SECONDS="60"$/m);
  expect(r.markdown).toContain('`custom_data` (running VMs keep the old document until reimaged: an update to the latest model does not apply custom data), line diff:');
  expect(r.markdown).not.toContain('`user_data`');
});

test('an added service: only its own resources and the front blobs; the vault not at all', () => {
  const r = reviewOutputs(base, changed.added);
  const all = stackRows(r.markdown);
  const others = all.filter((x) => !/search/.test(x));
  // search runs D2as_v5, a family no other VM runs: the quota alert watches it too
  expect(others).toEqual(['retail-front: +/- azurerm_storage_blob.front_config', 'retail-front: +/- azurerm_storage_blob.front_routing-table', 'retail-monitor: ~ azurerm_monitor_scheduled_query_rules_alert_v2.alert-vcpu-quota']);
  expect(r.markdown).toMatch(/\| nginx config: new version `[0-9a-f]{16}`, named by the pointer `current` \(updated in place\); the previous `[0-9a-f]{16}` is removed after \|/);
  const own = all.filter((x) => /search/.test(x));
  // with the two waits for its grants (time_sleep), and monitoring: the NSG's diagnostic setting; per slot the agent's rule association, two metric alerts, the load balancer's and autoscale's diagnostic settings, and the pinned image version (terraform_data)
  expect(own).toHaveLength(40);
  expect(own.every((x) => /^[a-z-]+: \+ /.test(x))).toBe(true);
  expect(stackHeadings(r.markdown)).toEqual(['retail-front', 'retail-identities', 'retail-monitor', 'retail-network', 'retail-svc-search']);
  expect(r.markdown).toContain('#### retail-svc-search (new stack): 25 to add');
  expect(r.markdown).toContain('| retail/search (new) |');
  expect(r.markdown).toContain('| retail/svc-search | Standard_D2as_v5 |');
  expect(r.exitCode).toBe(0);
});

test('policy: findings that came or went, suppressions with their reasons', () => {
  const withPolicy = (policy: Json[]): SynthOutput => ({ ...base, summaries: { retail: { ...base.summaries.retail, policy } as never } });
  const suppressed = { rule: 'ASE-KV-002', severity: 'warning', resource: 'retail-vault:azurerm_key_vault_certificate.certificate-legacy_certificate', message: 'imported: Key Vault cannot renew it', suppressed: 'the partner issues it; ticket OPS-1234' };
  const warning = { rule: 'ASE-KV-002', severity: 'warning', resource: 'retail-vault:azurerm_key_vault_certificate.certificate-other_certificate', message: 'imported: Key Vault cannot renew it' };
  const r = reviewOutputs(withPolicy([warning]), withPolicy([suppressed]));
  expect(sections(r.markdown)).toEqual(['Policy']);
  expect(r.markdown).toContain('| new | ASE-KV-002 | suppressed warning: the partner issues it; ticket OPS-1234 | `retail-vault:azurerm_key_vault_certificate.certificate-legacy_certificate` |');
  expect(r.markdown).toContain('| gone | ASE-KV-002 | warning | `retail-vault:azurerm_key_vault_certificate.certificate-other_certificate` |');
  expect(r.markdown).toContain('<details><summary>1 policy suppression in force</summary>');
  expect(r.markdown).toContain('1 new policy finding');
});

test('the chart draws pin rules, mirroring and two-way failover during a ramp', () => {
  const spec = exampleSpec() as Json;
  spec.services[0].traffic = { live: 'blue', weight: 25, mirror: 10, rules: [{ name: 'testers', header: { name: 'X-Slot', value: 'green' }, slot: 'green' }] };
  const r = reviewOutputs(base, synthOutput(spec));
  expect(r.markdown).toContain('front -->|"75 %"| pricing_blue');
  expect(r.markdown).toContain('front -->|"25 % ramp"| pricing_green');
  expect(r.markdown).toContain('front -->|"rule testers"| pricing_green');
  expect(r.markdown).toContain('front -.->|"mirror 10 %"| pricing_green');
  expect(r.markdown).toContain('pricing_blue -.->|failover| pricing_green');
  expect(r.markdown).toContain('pricing_green -.->|failover| pricing_blue');
  expect(r.markdown).toContain('testers: header x-slot=green → green');
});

describe('an environment in two regions', () => {
  const twoRegions = (shares?: Record<string, number>): Json => {
    const s = exampleSpec() as Json;
    s.otherRegions = [{ name: 'northeurope', code: 'ne', addressSpace: '10.30.0.0/16' }];
    s.services[0].regions = ['westeurope', 'northeurope'];
    if (shares) s.services[0].traffic.regions = { shares };
    return s;
  };
  const before = synthOutput(twoRegions());
  const shift = synthOutput(twoRegions({ westeurope: 90, northeurope: 10 }));

  test('adding a region: the regions table says which region serves what, and what losing one means', () => {
    const r = reviewOutputs(base, before);
    expect(sections(r.markdown)).toContain('Regions');
    expect(r.markdown).toContain('| retail/pricing | one region → **westeurope 100 %, northeurope 0 %** | – → **on** | – → **losing westeurope: northeurope carries the whole peak at its minimum (min 3 ≥ peak 2 per slot)** |');
    // the new region's stacks are listed as any new stacks
    expect(stackHeadings(r.markdown)).toEqual(expect.arrayContaining(['retail-ne-network', 'retail-ne-front', 'retail-ne-svc-pricing']));
  });

  test('a regional shift step: only the two fronts\' tables change, and the regions row says 100/0 → 90/10', () => {
    const r = reviewOutputs(before, shift);
    expect(stackRows(r.markdown)).toEqual(['retail-front: +/- azurerm_storage_blob.front_routing-table', 'retail-ne-front: +/- azurerm_storage_blob.front_routing-table']);
    expect(r.markdown).toContain('| retail/pricing | westeurope 100 %, northeurope 0 % → **westeurope 90 %, northeurope 10 %** | on | losing westeurope: northeurope carries the whole peak at its minimum (min 3 ≥ peak 2 per slot) → **losing westeurope: northeurope carries the whole peak at its minimum (min 3 ≥ peak 2 per slot); losing northeurope: westeurope carries the whole peak at its minimum (min 3 ≥ peak 2 per slot)** |');
    expect(r.markdown).toContain('slot or traffic changes for 1 service ·');
    expect(r.markdown).not.toContain('### Traffic');
  });

  test("north at its own counts: what losing each region means, with each region's figures; without failover a lost share fails", () => {
    const sized = (failover: boolean): Json => {
      const s = twoRegions({ westeurope: 40, northeurope: 60 });
      s.services[0].traffic.regions.failover = failover;
      s.services[0].upgrade = { peakLoadInstances: 5 };
      s.services[0].regionCapacity = { northeurope: { min: 4, default: 4, max: 6 } };
      return s;
    };
    const r = reviewOutputs(shift, synthOutput(sized(true)));
    // losing west: north carries 4 of 5 at its minimum, 6 at max; losing north: west's min 3 of 5, max 20
    expect(r.markdown).toContain(
      '→ **losing westeurope: northeurope carries 4 of the peak\'s 5 instances at its minimum; autoscale must add 1 (max 6); losing northeurope: westeurope carries 3 of the peak\'s 5 instances at its minimum; autoscale must add 2 (max 20)** |',
    );
    const off = reviewOutputs(synthOutput(sized(true)), synthOutput(sized(false)));
    expect(off.markdown).toContain('| on → **off** |');
    expect(off.markdown).toContain('→ **losing westeurope: its 40 % fails (no failover); losing northeurope: its 60 % fails (no failover)** |');
  });
});
