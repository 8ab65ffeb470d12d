/**
 * Random valid specs from the schema (test/support/valid-environments.ts): 200 samples, fixed
 * seed, each accepted by validateEnvironment with no problem; the first 4 synthesized with no
 * error (policy pack included; the slow step synthesizes all 200, and `npm run test:terraform`
 * validates 24 with the real provider). The samples are checked to vary over the options, so a generator
 * that stopped producing one (Flexible, pools, HTTPS, parked slots, ...) fails here rather than
 * leaving the `terraform validate` run over its output covering less.
 */
import fc from 'fast-check';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { validateEnvironment } from '../../lib/spec/validate';
import { formatIssue } from '../../lib/spec/issues';
import type { EnvironmentSpec } from '../../lib/spec/schema';
import { PROVIDER_TIME_ZONES, sampleValidEnvironments, validEnvironment, writeRandomEnvironments } from '../support/valid-environments';
import { AUTOSCALE_TIME_ZONES } from '../../lib/spec/autoscale-time-zones';
import { azureTimeZone } from '../../lib/spec/time-zones';
import { tempDir, type Json } from '../helpers';

const SEED = 20261202;
const samples = sampleValidEnvironments(200, SEED);

describe('random valid environments', () => {
  test('are deterministic for a seed', () => {
    expect(JSON.stringify(sampleValidEnvironments(5, SEED))).toBe(JSON.stringify(samples.slice(0, 5)));
    expect(JSON.stringify(sampleValidEnvironments(5, SEED + 1))).not.toBe(JSON.stringify(samples.slice(0, 5)));
  });

  test('200 samples all validate with no problem', () => {
    const refused = samples.flatMap((spec) => {
      const r = validateEnvironment(spec);
      return r.ok ? [] : [`${spec.name}: ${r.issues.map(formatIssue).join('; ')}`];
    });
    expect(refused).toEqual([]);
  });

  test('a property run over the arbitrary itself (fast-check shrinks a failure to a small spec)', () => {
    fc.assert(
      fc.property(validEnvironment('prop'), (spec) => {
        const r = validateEnvironment(spec);
        if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
      }),
      { seed: SEED, numRuns: 50 },
    );
  });

  test('vary over the options the schema has', () => {
    const svcs = samples.flatMap((s) => s.services as Json[]);
    const count = (p: (s: Json) => boolean) => samples.filter((s) => p(s as Json)).length;
    const share = {
      flexible: count((s) => s.services.some((v: Json) => v.orchestration === 'Flexible') || s.pools.some((p: Json) => p.orchestration === 'Flexible')),
      uniform: count((s) => s.services.some((v: Json) => v.orchestration === 'Uniform')),
      pools: count((s) => s.pools.length > 0),
      https: count((s) => s.front.tlsCertificate !== undefined),
      httpOnly: count((s) => s.front.tlsCertificate === undefined),
      customFrontPorts: count((s) => s.front.ports !== undefined),
      entraIdLogin: count((s) => s.admin.entraIdLogin !== undefined),
      stateBackend: count((s) => s.stateBackend !== undefined),
      logAnalytics: count((s) => s.keyVault?.logAnalyticsWorkspaceId !== undefined),
      imported: count((s) => (s.keyVault?.certificates ?? []).some((c: Json) => c.issuer === 'imported')),
      nonZonal: count((s) => ['northcentralus', 'westus', 'ukwest', 'westcentralus'].includes(s.region)),
    };
    const perService = {
      parked: svcs.filter((v) => v.slots.blue.parked || v.slots.green.parked).length,
      parkedAtZero: svcs.filter((v) => v.slots.blue.parked?.instances === 0 || v.slots.green.parked?.instances === 0).length,
      predictive: svcs.filter((v) => v.autoscale?.predictive).length,
      customMetric: svcs.filter((v) => v.autoscale?.customMetric).length,
      schedules: svcs.filter((v) => v.autoscale?.schedules?.length > 0).length,
      instanceInput: svcs.filter((v) => v.endpoints.instanceInput.length > 0).length,
      pathPrefix: svcs.filter((v) => v.route?.pathPrefix).length,
      hosts: svcs.filter((v) => v.route?.hosts).length,
      secrets: svcs.filter((v) => Object.values(v.settings).some((x) => typeof x === 'object')).length,
      weighted: svcs.filter((v) => v.traffic.weight > 0 && v.traffic.weight < 100).length,
      pinRules: svcs.filter((v) => v.traffic.rules.length > 0).length,
      retired: svcs.filter((v) => v.retired).length,
      explicitPort: svcs.filter((v) => v.port !== undefined).length,
    };
    for (const [what, n] of Object.entries({ ...share, ...perService })) expect({ what, some: n > 0 }).toEqual({ what, some: true });
    // each affinity kind, each predictive mode, and many time zones
    expect(new Set(svcs.map((v) => v.traffic.affinity?.by ?? 'cookie'))).toEqual(new Set(['cookie', 'header', 'address', 'none']));
    expect(new Set(svcs.flatMap((v) => (v.autoscale?.predictive ? [v.autoscale.predictive.mode] : [])))).toEqual(new Set(['ForecastOnly', 'Enabled']));
    const zones = new Set(samples.flatMap((s) => [...(s.services as Json[]), ...(s.pools as Json[])].flatMap((v) => (v.autoscale?.schedules ?? []).map((w: Json) => w.timeZone ?? 'UTC'))));
    expect(zones.size).toBeGreaterThan(40);
  });

  test("time zones come from the provider's list", () => {
    expect(PROVIDER_TIME_ZONES.length).toBeGreaterThan(100);
    for (const z of PROVIDER_TIME_ZONES) expect(AUTOSCALE_TIME_ZONES).toContain(azureTimeZone(z));
  });

  test('the first 4 synthesize, each into its own folder (what the terraform validate runner walks)', () => {
    const dir = tempDir('ase-random-');
    try {
      const written = writeRandomEnvironments(dir, 4, SEED);
      expect(written.filter((w) => !w.ok).map((w) => `${w.name}: ${w.error}`)).toEqual([]);
      // the same specs the validation test saw
      expect(written.map((w) => w.spec as EnvironmentSpec)).toEqual(samples.slice(0, 4));
      for (const w of written) {
        expect(w.stacks.length).toBeGreaterThanOrEqual(4);
        for (const s of w.stacks) expect(existsSync(join(w.outdir, 'stacks', s, 'cdk.tf.json'))).toBe(true);
      }
      expect(readdirSync(dir).sort()).toEqual(written.map((w) => w.outdir.split('/').pop()).sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
