/**
 * The traffic plan in the spec: ranges, pin rules, routes, and the proof that a parked slot can
 * carry what a swap, a ramp step, mirroring, a pin or failover would send it.
 */
import { formatIssue } from '../../lib/spec/issues';
import { validateEnvironment } from '../../lib/spec/validate';
import { busiestMinimum, instancesFor, routingTable, slotLoads } from '../../lib/slots/traffic';
import { exampleSpec, type Json } from '../helpers';

const problems = (change: (s: Json) => void): string[] => {
  const s = exampleSpec() as Json;
  change(s);
  const r = validateEnvironment(s);
  return r.ok ? [] : r.issues.map(formatIssue);
};

describe('traffic plan validation', () => {
  test('weights, mirror shares and slots out of range are refused with their paths, all at once', () => {
    expect(
      problems((s) => {
        s.services[0].traffic = { live: 'red', weight: 120, mirror: -1 };
        s.services[1].traffic = { live: 'blue', weight: 10.005 };
        s.services[2].traffic = { live: 'blue', rules: [{ name: 'testers', header: { name: 'X-Slot', value: 'g' }, slot: 'purple' }] };
      }),
    ).toEqual([
      "services[0].traffic.live: got 'red', expected one of 'blue', 'green'",
      'services[0].traffic.mirror: got -1, expected >= 0',
      'services[0].traffic.weight: got 120, expected <= 100',
      'services[1].traffic.weight: at most two decimals (the front draws from 10,000 buckets) (got 10.005)',
      "services[2].traffic.rules[0].slot: got 'purple', expected one of 'blue', 'green'",
    ]);
  });

  test('a guard: its fields out of range are refused with their paths, all at once; a guard on a service the front never sees is refused', () => {
    expect(
      problems((s) => {
        s.services[0].traffic = { live: 'blue', guard: { errorRateMargin: 0, latencyRatio: 1, windowSeconds: 42, minRequests: 5, action: 'abort', bakeMinutes: -1 } };
      }),
    ).toEqual([
      "services[0].traffic.guard.action: got 'abort', expected one of 'rollback', 'hold'",
      'services[0].traffic.guard.bakeMinutes: got -1, expected >= 0',
      'services[0].traffic.guard.errorRateMargin: got 0, expected >= 0.1',
      'services[0].traffic.guard.latencyRatio: got 1, expected >= 1.1',
      'services[0].traffic.guard.minRequests: got 5, expected >= 10',
      'services[0].traffic.guard.windowSeconds: got 42, expected a multiple of 5',
    ]);
    expect(
      problems((s) => {
        s.services[1].traffic = { live: 'green', guard: {} };
        s.services[1].endpoints = { ...s.services[1].endpoints, input: { from: ['peers'] } };
      }),
    ).toEqual([
      "services[1].traffic.guard: guards traffic the front never sees: order-processing is not reached through the front (endpoints.input.from) (remove guard, or add 'front' to endpoints.input.from)",
    ]);
  });

  test("a guard in the table: the spec's settings, minutes as seconds, and each slot's version", () => {
    const s = exampleSpec() as Json;
    s.services[0].traffic = { live: 'blue', weight: 10, guard: { action: 'hold', bakeMinutes: 5 } };
    const r = validateEnvironment(s);
    if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
    const env = r.environment;
    const entry = routingTable(env).services[env.services[0].name];
    expect(entry.guard).toEqual({
      errorRateMargin: 5, latencyRatio: 2, latencyMarginMs: 20, minRequests: 100, windowSeconds: 60, action: 'hold', bakeSeconds: 300, attempt: 1,
      releases: { blue: env.services[0].slots.blue.version, green: env.services[0].slots.green.version },
    });
    // a service without a guard has no guard entry
    expect(routingTable(env).services[env.services[2].name].guard).toBeUndefined();
  });

  test('weights with two decimals pass however binary floating point stores them (0.07 * 100 is 7.000000000000001)', () => {
    for (const weight of [0.07, 0.29, 37.73, 99.99, 0.01]) expect(problems((s) => (s.services[0].traffic = { live: 'blue', weight }))).toEqual([]);
  });

  test('a pin rule matches exactly one header or cookie, and rule names are unique', () => {
    expect(
      problems((s) => {
        s.services[0].traffic = {
          live: 'blue',
          rules: [
            { name: 'a', slot: 'green' },
            { name: 'b', header: { name: 'X-A', value: '1' }, cookie: { name: 'b', value: '1' }, slot: 'green' },
            { name: 'b', cookie: { name: 'bad-name', value: '1' }, slot: 'green' },
          ],
        };
      }),
    ).toEqual([
      'services[0].traffic.rules[0]: matches nothing: give it a header or a cookie',
      'services[0].traffic.rules[1]: has both header and cookie; a rule matches one (split it into two rules)',
      "services[0].traffic.rules[2].cookie.name: 'bad-name' is not a cookie name: letters, digits and underscores, starting with a letter",
      "services[0].traffic.rules[2].name: 'b' is already rules[1]'s name",
    ]);
  });

  test("a ramp step to a parked slot that cannot carry its share is refused, naming what it would need", () => {
    // pricing: min 3, business-hours schedule min 6: the busiest minimum is 6
    expect(
      problems((s) => {
        s.services[0].slots.green.parked = { instances: 2 };
        s.services[0].traffic = { live: 'blue', weight: 50 };
      }),
    ).toEqual([
      "services[0].traffic.weight: pricing's green slot serves 50% of the requests but is parked at 2 instance(s); 50% of the busiest minimum (6) needs 3 (warm it first (remove slots.green.parked, a change to the service's stack), or park it at 3 or more)",
    ]);
    // 30 % of 6 is 1.8: two instances carry it
    expect(problems((s) => ((s.services[0].slots.green.parked = { instances: 2 }), (s.services[0].traffic = { live: 'blue', weight: 30 })))).toEqual([]);
  });

  test('a swap to a parked slot, mirroring, pins and failover to a slot parked at 0 are refused', () => {
    expect(
      problems((s) => {
        s.services[0].slots.green.parked = { instances: 2 };
        s.services[0].traffic = { live: 'green' };
        s.services[2].slots.green.parked = { instances: 0 };
        s.services[2].traffic = { live: 'blue', mirror: 10, rules: [{ name: 'qa', header: { name: 'X-QA', value: '1' }, slot: 'green' }] };
      }),
    ).toEqual([
      "services[0].traffic.live: pricing's green slot serves 100% of the requests but is parked at 2 instance(s); 100% of the busiest minimum (6) needs 6 (warm it first (remove slots.green.parked, a change to the service's stack), or park it at 6 or more)",
      'services[2].traffic.failover: fails over to green, which is parked at 0 instances: there would be no way back (park green at 1 or more, or set failover: false)',
      "services[2].traffic.mirror: catalog's green slot receives 10% as mirrored copies of the requests but is parked at 0 instance(s); 10% of the busiest minimum (2) needs 1 (warm it first (remove slots.green.parked, a change to the service's stack), or park it at 1 or more)",
      "services[2].traffic.rules[0].slot: pins requests to green, which is parked at 0 instances (warm it first (remove slots.green.parked, a change to the service's stack), or park it at 1 or more)",
    ]);
  });

  test('a live slot parked below 2 is refused even when its share fits', () => {
    expect(
      problems((s) => {
        s.services[0].slots.blue.parked = { instances: 1 };
        s.services[0].traffic = { live: 'blue', weight: 90 }; // 10 % of 6 needs 1
      }),
    ).toEqual(["services[0].slots.blue.parked.instances: blue is pricing's live slot: parked at 1, one zone or fault domain failing would leave it nothing (a live slot keeps at least 2 instances: park it at 2 or more, or warm it)"]);
  });

  test('an idle slot parked at 0 with failover off and nothing sent to it is fine, and frees its quota', () => {
    // catalog: Standard_E4s_v5, max 8 plus a surge of 2: each warm slot may reach 40 vCPUs
    const tight = (s: Json) => (s.quotas = { standardESv5Family: 40 });
    expect(problems(tight)).toEqual([expect.stringMatching(/^quotas\.standardESv5Family: 80 vCPUs at peak \(catalog 20 × 4\) exceed the quota of 40/)]);
    expect(
      problems((s) => {
        tight(s);
        s.services[2].slots.green.parked = { instances: 0 };
        s.services[2].traffic = { live: 'blue', failover: false };
      }),
    ).toEqual([]);
  });

  test('a service on a pool cannot park a slot', () => {
    expect(
      problems((s) => {
        s.pools = [{ name: 'shared', block: 9, vmSize: 'Standard_D4s_v5', capacity: { min: 2, default: 2, max: 4 } }];
        s.services[2] = { ...s.services[2], pool: 'shared', vmSize: undefined, capacity: undefined };
        s.services[2].slots.green.parked = { instances: 1 };
      }),
    ).toEqual(["services[2].slots.green.parked: a service on a pool cannot park a slot: the pool's VMs are shared (remove parked; the pool keeps both slots warm)"]);
  });

  test('host names and path prefixes name one service each; the TLS certificate must exist', () => {
    expect(
      problems((s) => {
        s.services[1].route = { hosts: ['pricing.retail.internal'] };
        s.services[2].route = { pathPrefix: '/shop/', hosts: ['x.internal'] };
        s.front = { tlsCertificate: 'front-tsl' };
      }),
    ).toEqual([
      "front.tlsCertificate: names no certificate in keyVault.certificates: 'front-tsl' (did you mean 'front-tls'?)",
      "services[1].route.hosts[0]: host 'pricing.retail.internal' is already pricing's",
      'services[2].route: has both hosts and pathPrefix; a service is found by one (keep one of them)',
    ]);
  });
});

describe('traffic arithmetic', () => {
  test('slot loads: live share, ramp weight, mirrored copies of the live share, failover targets', () => {
    const loads = slotLoads({ live: 'blue', weight: 10, mirror: 20, failover: true, rules: [], affinity: { by: 'none' } });
    expect(loads.blue).toEqual({ served: 90, mirrored: 0, pinned: false, failoverTarget: true });
    expect(loads.green).toEqual({ served: 10, mirrored: 18, pinned: false, failoverTarget: true });
  });

  test('instances for a share round up, and the busiest minimum includes schedules', () => {
    expect(instancesFor(0, 6)).toBe(0);
    expect(instancesFor(10, 6)).toBe(1);
    expect(instancesFor(50, 6)).toBe(3);
    expect(instancesFor(50.01, 6)).toBe(4);
    expect(busiestMinimum({ min: 3 }, [{ min: 6 }, { min: 4 }])).toBe(6);
  });

  test("the routing table is sorted by service, lower-cases header names, and its version is its content's digest", () => {
    const r = validateEnvironment(exampleSpec());
    if (!r.ok) throw new Error('example invalid');
    const t = routingTable(r.environment);
    expect(Object.keys(t.services)).toEqual(['catalog', 'order-processing', 'pricing']);
    const reversed = routingTable({ ...r.environment, services: [...r.environment.services].reverse() });
    expect(reversed).toEqual(t);
    const swapped = routingTable({ ...r.environment, services: r.environment.services.map((s) => (s.name === 'pricing' ? { ...s, traffic: { ...s.traffic, live: 'green' as const } } : s)) });
    expect(swapped.version).not.toBe(t.version);
    expect(t.version).toMatch(/^[0-9a-f]{16}$/);
  });
});
