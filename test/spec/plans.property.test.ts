/**
 * Plan properties over random valid environments: no two subnets, frontend IPs or port ranges
 * collide; and a service's plan depends only on the service itself, so adding, removing or
 * reordering other services never moves it.
 */
import fc from 'fast-check';
import { parseCidr, overlaps, contains } from '../../lib/spec/cidr';
import { planEnvironment, type EnvironmentPlan } from '../../lib/spec/plan';
import type { EnvironmentSpec, ServiceSpec } from '../../lib/spec/schema';
import { validateEnvironment } from '../../lib/spec/validate';
import { exampleSpec } from '../helpers';

/** Runs of the collision property: 100 in the suite, 2,000 in the slow step (test/slow/plans.property.test.ts). */
const COLLISION_RUNS = Number(process.env.ASE_PLAN_COLLISION_RUNS ?? 100);

const NAMES = ['pricing', 'catalog', 'orders', 'search', 'cart', 'checkout', 'users', 'reviews', 'stock', 'ship', 'tax', 'promo', 'email', 'auth', 'media', 'feeds', 'ads', 'geo', 'fx', 'audit'];

const ART = { url: 'https://stretailreleases.blob.core.windows.net/releases/app.tar.gz', sha256: 'a'.repeat(64) };

const service = (name: string, block: number) =>
  fc.record({
    max: fc.integer({ min: 2, max: 40 }),
    perVm: fc.integer({ min: 1, max: 16 }),
    batch: fc.integer({ min: 5, max: 100 }),
  }).map(({ max, perVm, batch }): ServiceSpec => ({
    name,
    block,
    vmSize: 'Standard_D2s_v5',
    capacity: { min: 2, default: 2, max },
    instancesPerVm: perVm,
    upgrade: { maxBatchPercent: batch },
    slots: { blue: { version: '1.0.0', artifact: ART }, green: { version: '1.0.1', artifact: ART } },
    traffic: { live: 'blue' },
  }));

/** 1-20 services with distinct names and distinct blocks in 1..60, in random order. */
const services = fc
  .uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 20 })
  .chain((names) => fc.tuple(fc.constant(names), fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: names.length, maxLength: names.length })))
  .chain(([names, blocks]) => fc.tuple(...names.map((n, i) => service(n, blocks[i]))));

function envWith(svcs: readonly ServiceSpec[]): EnvironmentSpec {
  return { ...exampleSpec(), quotas: {}, services: [...svcs] };
}

function plan(svcs: readonly ServiceSpec[]): EnvironmentPlan {
  const r = validateEnvironment(envWith(svcs));
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return planEnvironment(r.environment);
}

/** What the plans say about one service: its subnet, frontends and ports. */
const slice = (p: EnvironmentPlan, name: string) => ({ ips: p.ips.services[name], ports: p.ports.services[name], names: p.serviceNames[name] });

describe('IP and port plans', () => {
  test('random valid environments never overlap subnets, frontend IPs or ports', () => {
    fc.assert(
      fc.property(services, (svcs) => {
        const p = plan(svcs);
        const space = parseCidr(p.ips.addressSpace)!;
        const subnets = [p.ips.front, p.ips.loadBalancers, p.ips.endpoints, ...Object.values(p.ips.services).map((s) => s.subnet)].map((s) => parseCidr(s.cidr)!);
        subnets.forEach((a, i) => {
          expect(contains(space, a)).toBe(true);
          subnets.slice(i + 1).forEach((b) => expect(overlaps(a, b)).toBe(false));
        });
        const lb = parseCidr(p.ips.loadBalancers.cidr)!;
        const frontends = [p.ips.frontFrontendIp, ...Object.values(p.ips.services).flatMap((s) => [s.frontendIps.blue, s.frontendIps.green])];
        expect(new Set(frontends).size).toBe(frontends.length);
        for (const ip of frontends) {
          const r = parseCidr(`${ip}/32`)!;
          // inside the LB subnet and past Azure's reserved addresses (first four, broadcast)
          expect(contains(lb, r)).toBe(true);
          expect(r.first - lb.first).toBeGreaterThanOrEqual(4n);
          expect(lb.last - r.first).toBeGreaterThanOrEqual(1n);
        }
        const ranges = Object.values(p.ports.services).sort((a, b) => a.first - b.first);
        ranges.slice(1).forEach((r, i) => expect(r.first).toBeGreaterThan(ranges[i].last));
        for (const r of ranges) expect(r.ports).not.toContain(p.ports.vmHealth);
      }),
      { numRuns: COLLISION_RUNS },
    );
  });

  test('reordering services changes no plan', () => {
    fc.assert(
      fc.property(services.chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length }))), ([svcs, shuffled]) => {
        const a = plan(svcs);
        const b = plan(shuffled);
        expect(b.ips).toEqual(a.ips);
        expect(b.ports).toEqual(a.ports);
        expect(b.serviceNames).toEqual(a.serviceNames);
      }),
      { numRuns: 100 },
    );
  });

  test('removing services moves no remaining service', () => {
    fc.assert(
      fc.property(services.chain((s) => fc.tuple(fc.constant(s), fc.subarray(s, { minLength: 1 }))), ([svcs, kept]) => {
        const before = plan(svcs);
        const after = plan(kept);
        for (const s of kept) expect(slice(after, s.name)).toEqual(slice(before, s.name));
        expect(after.ips.front).toEqual(before.ips.front);
        expect(after.ips.frontFrontendIp).toEqual(before.ips.frontFrontendIp);
      }),
      { numRuns: 100 },
    );
  });

  test('adding a service moves no existing one', () => {
    const extra = service('newcomer', 61);
    fc.assert(
      fc.property(services, extra, fc.nat(), (svcs, added, at) => {
        const before = plan(svcs);
        const list = [...svcs];
        list.splice(at % (list.length + 1), 0, added);
        const after = plan(list);
        for (const s of svcs) expect(slice(after, s.name)).toEqual(slice(before, s.name));
        expect(after.ips.services.newcomer).toBeDefined();
      }),
      { numRuns: 100 },
    );
  });

  test('the example plans the documented addresses', () => {
    const p = plan(exampleSpec().services);
    expect(p.ips.front.cidr).toBe('10.20.0.0/24');
    expect(p.ips.loadBalancers.cidr).toBe('10.20.1.0/24');
    expect(p.ips.endpoints.cidr).toBe('10.20.2.0/24');
    expect(p.ips.frontFrontendIp).toBe('10.20.1.4');
    expect(p.ips.services.pricing).toEqual({
      subnet: { name: 'snet-svc-pricing', cidr: '10.20.3.0/24', firstUsable: '10.20.3.4', lastUsable: '10.20.3.254', usableAddresses: 251 },
      frontendIps: { blue: '10.20.1.5', green: '10.20.1.6' },
    });
    expect(p.ips.services.catalog.subnet.cidr).toBe('10.20.5.0/24');
    expect(p.ips.services.catalog.frontendIps).toEqual({ blue: '10.20.1.9', green: '10.20.1.10' });
    expect(p.ports.services.pricing.ports).toEqual([10000, 10001, 10002, 10003]);
    expect(p.ports.services['order-processing'].ports).toEqual([10016, 10017]);
    expect(p.ports.services.catalog.ports).toEqual([10032]);
  });

  test('the last block whose frontends fit the load-balancer subnet is accepted, the next refused', () => {
    // a /26 subnet (64 addresses): frontends at offsets 5.. up to 62 → blocks 1..29
    const spec = { ...exampleSpec(), network: { addressSpace: '10.20.0.0/16', subnetPrefixLength: 26 } };
    const one = (block: number) => ({ ...spec, services: [{ ...spec.services[2], block, endpoints: {} }] });
    expect(validateEnvironment(one(29)).ok).toBe(true);
    const r = validateEnvironment(one(30));
    expect(r.ok ? [] : r.issues.map((i) => i.message)).toEqual(['block 30 is outside the plan: 10.20.0.0/16 in /26 subnets holds service blocks 1-29']);
  });
});
