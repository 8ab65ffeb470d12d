/**
 * The outside fuzzer's findings, one named test each: spec strings reach Terraform as data (read
 * back by the real terraform), cdktf token markers and vanishing keys are refused, crashes are
 * problems with paths, every problem shows beside others, and what Azure refuses is refused.
 */
import { Token } from 'cdktf';
import { validateEnvironment } from '../../lib/spec/validate';
import { synthesize } from '../../lib/environment/synthesize';
import { exampleSpec, readStacks, tempDir } from '../helpers';
import { readTemplate, stringsOf, terraformReads } from '../support/terraform-strings';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../helpers';

const issuesOf = (spec: unknown) => {
  const r = validateEnvironment(spec);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
};
const pathsOf = (spec: unknown) => {
  const r = validateEnvironment(spec);
  return r.ok ? [] : r.issues.map((i) => i.path);
};

/** Synthesizes one spec: the stacks' JSON, or the problems (never a throw). */
function synth(spec: unknown): { ok: true; stacks: Record<string, Json> } | { ok: false; problems: unknown } {
  const dir = tempDir();
  try {
    const r = synthesize([{ file: 'env.ts', spec, issues: [] }], join(dir, 'cdktf.out'));
    if (!r.ok) return { ok: false, problems: r.problems };
    return { ok: true, stacks: Object.fromEntries(Object.entries(readStacks(join(dir, 'cdktf.out'))).map(([k, v]) => [k, JSON.parse(v)])) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Spec strings with template sequences and a marker each, placed where the issue found them. */
function hostileSpec() {
  const s: Json = exampleSpec();
  s.tags.owner = 'platform-team%{if x}MARK1';
  s.keyVault.certificates[0].subject = 'CN=retail.internal${x}MARK2';
  s.services[0].traffic.rules = [{ name: 'testers', cookie: { name: 'slot', value: 'a${MARK3}%{if-y}' }, slot: 'green' }];
  s.admin.sshPublicKeys = [s.admin.sshPublicKeys[0].replace('platform-team', 'platform-team${MARK4}%{x}')];
  s.services[0].autoscale.customMetric = {
    resourceId: '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-bus/providers/Microsoft.ServiceBus/namespaces/bus${MARK5}',
    namespace: 'microsoft.servicebus/namespaces',
    name: 'ActiveMessages',
    // a dimension's name and values are spec text too
    dimensions: { 'Entity${MARK7}Name': ['q%{if a}MARK8'] },
    scaleOutAbove: 100,
    scaleInBelow: 10,
  };
  s.services[0].settings.GREETING = 'hello ${MARK6} %{if z}';
  return s;
}

describe('Terraform template injection: spec strings are data', () => {
  const spec = hostileSpec();
  const payloads = ['platform-team%{if x}MARK1', 'CN=retail.internal${x}MARK2', 'a${MARK3}%{if-y}', 'platform-team${MARK4}%{x}', 'bus${MARK5}', 'Entity${MARK7}Name', 'q%{if a}MARK8'];

  it('validates: these are legal values', () => {
    expect(issuesOf(spec)).toEqual([]);
  });

  it('no spec text is evaluated by Terraform, and the real terraform reads each value back exactly', () => {
    const r = synth(spec);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const all = Object.values(r.stacks).flatMap((j) => stringsOf(j));
    const evaluated = all.flatMap(({ path, s }) => {
      const t = readTemplate(s);
      return [...t.expressions, ...t.directives].filter((e) => /MARK\d/.test(e)).map((e) => `${path}: ${e}`);
    });
    expect(evaluated).toEqual([]);
    // every payload reaches some attribute whole, and terraform agrees with the scanner on each
    const carriers = all.filter(({ s }) => payloads.some((p) => readTemplate(s).literal.includes(p)));
    const read = terraformReads(carriers.map((c) => c.s));
    carriers.forEach((c, i) => expect({ at: c.path, read: read[i] }).toEqual({ at: c.path, read: readTemplate(c.s).literal }));
    for (const p of payloads) expect({ p, found: read.some((x) => x.includes(p)) }).toEqual({ p, found: true });
  }, 120_000);
});

describe('cdktf token injection', () => {
  it.each([
    ['tags.owner', (s: Json) => (s.tags.owner = '${TfToken[TOKEN.3]}')],
    ['services[0].settings.PRICE_CACHE_SECONDS', (s: Json) => (s.services[0].settings.PRICE_CACHE_SECONDS = 'x${TfToken[TOKEN.12]}')],
    ['keyVault.certificates[0].subject', (s: Json) => (s.keyVault.certificates[0].subject = 'CN=#{TfToken[TOKEN.1]}')],
    ['tags.team', (s: Json) => (s.tags.team = 'String Map Token Value')],
    ['tags.n', (s: Json) => (s.tags.n = String(-1.8881545897087626e289))],
    [
      'services[0].autoscale.customMetric.dimensions.EntityName[0]',
      (s: Json) => (s.services[0].autoscale.customMetric = { resourceId: '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-bus/providers/Microsoft.ServiceBus/namespaces/bus', name: 'ActiveMessageCount', dimensions: { EntityName: ['${TfToken[TOKEN.7]}'] }, scaleOutAbove: 2, scaleInBelow: 1 }),
    ],
  ])('a token marker at %s is refused there', (path, mutate) => {
    const s = exampleSpec() as Json;
    mutate(s);
    expect(pathsOf(s)).toContain(path);
  });
});

describe('cdktf number tokens: a spec number cdktf would read as a token', () => {
  // autoscale.customMetric.scaleInBelow is any number (a metric may be negative): no range check
  // stands between it and the autoscale setting's threshold
  const withThreshold = (x: number) => {
    const s = exampleSpec() as Json;
    s.services[0].autoscale.customMetric = { resourceId: '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-bus/providers/Microsoft.ServiceBus/namespaces/bus', namespace: 'microsoft.servicebus/namespaces', name: 'ActiveMessages', scaleOutAbove: 100, scaleInBelow: x };
    return s;
  };
  const at = 'services[0].autoscale.customMetric.scaleInBelow';
  // numbers cdktf itself makes: a number token, an element of a number-list token, and its number-map marker
  const resolvable = { creationStack: [], resolve: () => 1 };
  const numberToken = Token.asNumber(resolvable);
  const listElement = Token.asNumberList(resolvable)[0];

  it('the field takes any other number below scaleOutAbove, however large or negative (its range check would not refuse these)', () => {
    for (const x of [-1e300, -8e298, -2e289, -1e289, -123456788, -123456790, 99.5]) expect({ x, issues: issuesOf(withThreshold(x)) }).toEqual({ x, issues: [] });
  });

  it.each([
    ['a number token', numberToken, 'it would put another value there'],
    ['an element of a number-list token (about -1.888e289)', listElement, 'it would put another value there'],
    ['the number-map marker -123456789, which crashed the synth before', Token.NUMBER_MAP_TOKEN_VALUE, 'its number-map marker: the synth would fail'],
  ])('%s is refused at its path', (_, x, why) => {
    expect(Token.isUnresolved(x) || Token.isUnresolved([x]) || x === Token.NUMBER_MAP_TOKEN_VALUE).toBe(true);
    expect(issuesOf(withThreshold(x))).toEqual([`${at}: ${x} is a number cdktf reads as one of its tokens (${why})`]);
    const r = synth(withThreshold(x));
    expect(r.ok).toBe(false);
  });

  it('a number token written inside a string is refused too (cdktf resolves number tokens in strings)', () => {
    const s = exampleSpec() as Json;
    s.tags.n = `x${numberToken}y`;
    expect(issuesOf(s)).toEqual([`tags.n: ${JSON.stringify(`x${numberToken}y`).replace(/^"|"$/g, "'")} holds '${numberToken}', a number cdktf reads as one of its tokens`]);
  });
});

describe('keys are never dropped', () => {
  it.each([
    ['tags', (s: Json) => (s.tags = JSON.parse('{"owner":"a","cost-center":"b","__proto__":"x"}')), 'tags.__proto__'],
    ['settings', (s: Json) => (s.services[0].settings = JSON.parse('{"A":"1","__proto__":"x"}')), 'services[0].settings.__proto__'],
    ['settings (constructor)', (s: Json) => (s.services[0].settings = JSON.parse('{"constructor":"x"}')), 'services[0].settings.constructor'],
  ])('__proto__ as a %s key is refused with its path', (_, mutate, path) => {
    const s = exampleSpec() as Json;
    mutate(s);
    expect(pathsOf(s)).toContain(path);
  });

  it('other odd keys are kept', () => {
    const s = exampleSpec() as Json;
    s.tags.toString = 'kept';
    s.tags.hasOwnProperty = 'kept';
    const r = validateEnvironment(s);
    expect(r.ok && Object.keys(r.environment.tags)).toEqual(['owner', 'cost-center', 'toString', 'hasOwnProperty']);
  });
});

describe('crashes are problems with paths', () => {
  it('two instanceInput endpoints of one name: refused before any construct exists', () => {
    const s = exampleSpec() as Json;
    s.services[0].endpoints.instanceInput = [
      { name: 'debug', port: 9000, frontendPortStart: 50000 },
      { name: 'debug', port: 9001, frontendPortStart: 51000 },
    ];
    expect(issuesOf(s)).toEqual(["services[0].endpoints.instanceInput[1].name: 'debug' is already endpoints.instanceInput[0]'s name"]);
    const r = synth(s);
    expect(r.ok).toBe(false);
  });

  it('1,000 copies of one service: no stack overflow, a bounded number of issues', () => {
    const s = exampleSpec() as Json;
    s.services = Array.from({ length: 1000 }, () => structuredClone(s.services[0]));
    const r = validateEnvironment(s);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    // each copy is told its name, block and ports are taken: a few issues per copy, never per pair
    expect(r.issues.length).toBeLessThan(10 * 1000);
    expect(r.issues.map((i) => i.path)).toContain('services[999].name');
  });

  it('sparse arrays ([a, , b]) are refused at the hole', () => {
    const s = exampleSpec() as Json;
    // eslint-disable-next-line no-sparse-arrays
    s.services = [s.services[0], , s.services[1]];
    // eslint-disable-next-line no-sparse-arrays
    s.network.peerRanges = ['10.50.0.0/16', , '10.60.0.0/16'];
    expect(pathsOf(s)).toEqual(expect.arrayContaining(['services[1]', 'network.peerRanges[1]']));
    expect(issuesOf(s).find((i) => i.startsWith('services[1]:'))).toMatch(/hole/);
  });

  it('a value past the size limit is refused with the limit named', () => {
    const s = exampleSpec() as Json;
    s.tags.big = Array.from({ length: 250_000 }, () => 'x');
    expect(issuesOf(s)).toEqual(['(environment): holds more than 200000 values; the rest was not read']);
  });
});

describe('every problem at once', () => {
  it('a bad timeZone beside a type error elsewhere', () => {
    const s = exampleSpec() as Json;
    s.services[0].autoscale.schedules[0].timeZone = 'Mars/Base';
    s.services[1].capacity.min = 'x';
    expect(pathsOf(s)).toEqual(['services[0].autoscale.schedules[0].timeZone', 'services[1].capacity.min']);
  });

  it('a duplicate schedule name beside a type error elsewhere', () => {
    const s = exampleSpec() as Json;
    s.services[0].autoscale.schedules.push({ ...s.services[0].autoscale.schedules[0], start: '21:00', end: '22:00' });
    s.region = 5;
    expect(pathsOf(s)).toEqual(['region', 'services[0].autoscale.schedules[1].name']);
  });

  it('a peer range that contains the address space, beside a bad peer range', () => {
    const s = exampleSpec() as Json;
    s.network.peerRanges = ['10.0.0.0/8', 'bad'];
    expect(pathsOf(s)).toEqual(['network.peerRanges[0]', 'network.peerRanges[1]']);
  });
});

describe('wrongly refused', () => {
  it('Europe/Kyiv (and other zones CLDR lists under their old names) is accepted', () => {
    for (const tz of ['Europe/Kyiv', 'America/Nuuk', 'Asia/Yangon']) {
      const s = exampleSpec() as Json;
      s.services[0].autoscale.schedules[0].timeZone = tz;
      expect({ tz, issues: issuesOf(s) }).toEqual({ tz, issues: [] });
    }
  });
});

describe('accepted before, refused by Azure or common sense', () => {
  it('tag names that differ only in case', () => {
    const s = exampleSpec() as Json;
    s.tags.Owner = 'someone';
    expect(pathsOf(s)).toEqual(['tags.Owner']);
  });

  it('overlapping peer ranges', () => {
    const s = exampleSpec() as Json;
    s.network.peerRanges = ['10.50.0.0/16', '10.50.1.0/24'];
    expect(pathsOf(s)).toEqual(['network.peerRanges[1]']);
  });

  it.each([
    ['a CR/LF after a certificate subject', (s: Json) => (s.keyVault.certificates[0].subject = 'CN=retail.internal\r\n'), 'keyVault.certificates[0].subject'],
    ['an NBSP after a tag value', (s: Json) => (s.tags.owner = 'platform-team\u00a0'), 'tags.owner'],
    ['a LF after a service name', (s: Json) => (s.services[0].name = 'pricing\n'), 'services[0].name'],
    ['a 10,000-character contact', (s: Json) => (s.keyVault.contacts = [`${'a'.repeat(10_000)}@retail.invalid`]), 'keyVault.contacts[0]'],
    ['a decomposed (non-NFC) tag value, which Terraform would change', (s: Json) => (s.tags.owner = 'Cafe\u0301'), 'tags.owner'],
  ])('%s', (_, mutate, path) => {
    const s = exampleSpec() as Json;
    mutate(s);
    expect(pathsOf(s)).toContain(path);
  });

  it('reserved admin names and private deployer ranges (fixed before: still refused)', () => {
    const s = exampleSpec() as Json;
    s.admin.username = 'root';
    s.deployer.ipRanges = ['10.0.0.0/8'];
    expect(pathsOf(s)).toEqual(['admin.username', 'deployer.ipRanges[0]']);
  });
});

describe('tags as azurerm counts them (go-azure-helpers tags.Validate)', () => {
  it('a tag value of 200 characters but 400 bytes (UTF-8) is refused', () => {
    const s = exampleSpec() as Json;
    s.tags.owner = '\u00e9'.repeat(200);
    expect(issuesOf(s)).toEqual(['tags.owner: tag value is 400 bytes (UTF-8), expected at most 256']);
  });

  it('more than 50 tags on a resource, counting the ones the library adds, is refused', () => {
    // the example has 2 tags; with environment, managed-by and slot, 45 more make 50
    const fits = exampleSpec() as Json;
    for (let i = 0; i < 45; i++) fits.tags[`t${i}`] = 'x';
    expect(pathsOf(fits)).toEqual([]);
    const over = exampleSpec() as Json;
    for (let i = 0; i < 46; i++) over.tags[`t${i}`] = 'x';
    expect(issuesOf(over)).toEqual(['tags: gives a resource 51 tags (with environment, managed-by and slot); Azure allows 50']);
  });
});
