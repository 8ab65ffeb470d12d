/**
 * Our own fuzzer, after the outside one: 10,000 random mutations of the example spec, in the
 * classes it found problems with (template and token payloads, edge white space, Unicode forms,
 * long strings, odd keys in records, duplicated elements, holes, extreme numbers, bulk copies),
 * one to three per spec. Every run of the suite, with a fixed seed (deterministic).
 *
 * Properties: validation never throws and never reports its own failure; a refused spec has an
 * issue at or around every mutated field that is refused alone (all problems at once); an
 * accepted spec keeps every key it was given. A sample of the accepted specs (every 25th) is also
 * synthesized: no crash, and no marker from a payload inside anything Terraform evaluates.
 * Printable strings in free-text fields are read back by the real terraform; a setting's value is
 * read back from the custom data by cloud-init's loader, a shell and a booted systemd.
 */
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { formatPath } from '../../lib/spec/issues';
import { validateEnvironment } from '../../lib/spec/validate';
import { synthesize } from '../../lib/environment/synthesize';
import { exampleSpec, readStacks, tempDir, type Json } from '../helpers';
import { readTemplate, stringsOf, terraformReads } from '../support/terraform-strings';
import { envByShell, envBySystemd, loadCloudConfigs, systemdUnavailable, vmDocuments } from '../support/custom-data';

type Path = (string | number)[];
interface Leaf {
  readonly path: Path;
  readonly kind: string;
}

const base = exampleSpec() as Json;
function leavesOf(value: unknown, path: Path = [], out: Leaf[] = []): Leaf[] {
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (path.length > 0) out.push({ path, kind });
  if (Array.isArray(value)) value.forEach((v, i) => leavesOf(v, [...path, i], out));
  else if (kind === 'object') for (const [k, v] of Object.entries(value as object)) leavesOf(v, [...path, k], out);
  return out;
}
const all = leavesOf(base);
const strings = all.filter((l) => l.kind === 'string');
const numbers = all.filter((l) => l.kind === 'number');
const arrays = all.filter((l) => l.kind === 'array' && (get(base, l.path) as unknown[]).length > 0);
/** Records (any key): the environment's tags and quotas, each service's settings and tags (created when absent). */
const records: Array<{ path: Path; value: unknown }> = [
  { path: ['tags'], value: 'v' },
  { path: ['quotas'], value: 10 },
  ...base.services.flatMap((_: Json, i: number) => [{ path: ['services', i, 'settings'], value: 'v' }, { path: ['services', i, 'tags'], value: 'v' }]),
];

function get(root: unknown, path: Path): unknown {
  let cur: any = root; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const seg of path) cur = cur?.[seg];
  return cur;
}
function set(root: unknown, path: Path, value: unknown) {
  const parent = get(root, path.slice(0, -1)) as Record<PropertyKey, unknown> | undefined;
  if (parent && typeof parent === 'object') parent[path[path.length - 1]] = value;
}
const isSettingValue = (p: Path) => p[p.length - 2] === 'settings';

/** A mutation: where, which class, and whether a spec with it alone is always refused. */
interface Mutation {
  readonly kind: string;
  readonly path: Path;
  /** Refused whatever else the spec holds. */
  readonly alwaysRefused: boolean;
  /** For a key mutation: the key that must survive if accepted. */
  readonly key?: string;
  apply(spec: Json): void;
}

let marker = 0;
const TEMPLATE = ['${M}', '%{if M}', '%{M}', '$${M}', '${"M"}', '%{ endif }M', '$M{', '%%{M}'];
/** Markers cdktf resolves; a token double is one only where cdktf's number pattern reads it alone (after a space here). */
const TOKEN = ['${TfToken[TOKEN.1]}', '${TfToken[TOKEN.4242]}', '#{TfToken[TOKEN.2]}', '&{TfToken[TOKEN.3]}', ` ${String(-1.8881545897087626e289)}`];
const SPACE = ['\r', '\n', '\r\n', '\u00a0', ' ', '\t', '\u2028'];
const UNICODE = ['e\u0301', '\ud800', 'A\u030a'];
const NUMBERS = [NaN, Infinity, -Infinity, -0, 1e308, 2 ** 53, -1, 0.5, -1.8881545897087626e289, 1e21];
const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'Owner', 'COST-CENTER', 'x${y}', '%{z}'];

const w = <T>(arbitrary: fc.Arbitrary<T>) => ({ weight: 10, arbitrary });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  w(fc.tuple(fc.constantFrom(...strings), fc.constantFrom(...TEMPLATE), fc.boolean()).map(([l, p, append]) => {
    const payload = p.replace('M', `INJ${marker++}X`);
    return { kind: 'template', path: l.path, alwaysRefused: false, apply: (s: Json) => set(s, l.path, append ? `${get(s, l.path)}${payload}` : payload) };
  })),
  w(fc.tuple(fc.constantFrom(...strings), fc.constantFrom(...TOKEN)).map(([l, t]) => ({ kind: 'token', path: l.path, alwaysRefused: true, apply: (s: Json) => set(s, l.path, `${get(s, l.path)}${t}`) }))),
  w(fc.tuple(fc.constantFrom(...strings), fc.constantFrom(...SPACE), fc.boolean()).map(([l, sp, end]) => ({
    kind: 'space',
    path: l.path,
    alwaysRefused: !isSettingValue(l.path),
    apply: (s: Json) => set(s, l.path, end ? `${get(s, l.path)}${sp}` : `${sp}${get(s, l.path)}`),
  }))),
  w(fc.tuple(fc.constantFrom(...strings), fc.constantFrom(...UNICODE)).map(([l, u]) => ({ kind: 'unicode', path: l.path, alwaysRefused: true, apply: (s: Json) => set(s, l.path, `${get(s, l.path)}${u}`) }))),
  w(fc.constantFrom(...strings).map((l) => ({ kind: 'long', path: l.path, alwaysRefused: !isSettingValue(l.path), apply: (s: Json) => set(s, l.path, 'x'.repeat(5000)) }))),
  w(fc.tuple(fc.constantFrom(...numbers), fc.constantFrom(...NUMBERS)).map(([l, n]) => ({ kind: 'number', path: l.path, alwaysRefused: false, apply: (s: Json) => set(s, l.path, n) }))),
  w(fc.tuple(fc.constantFrom(...records), fc.constantFrom(...KEYS)).map(([r, key]) => ({
    kind: 'key',
    path: [...r.path, key],
    key,
    alwaysRefused: ['__proto__', 'constructor', 'prototype'].includes(key),
    // as JSON.parse makes it: an own property, even for __proto__
    apply: (s: Json) => {
      if (get(s, r.path) === undefined) set(s, r.path, {});
      const rec = get(s, r.path);
      if (rec && typeof rec === 'object') Object.defineProperty(rec, key, { value: r.value, enumerable: true, writable: true, configurable: true });
    },
  }))),
  w(fc.constantFrom(...arrays).map((a) => ({
    kind: 'duplicate',
    path: [...a.path, (get(base, a.path) as unknown[]).length],
    alwaysRefused: false,
    apply: (s: Json) => {
      const arr = get(s, a.path);
      if (Array.isArray(arr) && arr.length > 0) arr.push(structuredClone(arr[0]));
    },
  }))),
  w(fc.constantFrom(...arrays).map((a) => ({
    kind: 'hole',
    path: [...a.path, (get(base, a.path) as unknown[]).length],
    alwaysRefused: true,
    apply: (s: Json) => {
      const arr = get(s, a.path);
      if (Array.isArray(arr) && arr.length > 0) arr[arr.length + 1] = structuredClone(arr[0]); // a hole at the old length
    },
  }))),
  {
    weight: 1,
    arbitrary: fc.integer({ min: 5, max: 40 }).map((n) => ({
      kind: 'bulk',
      path: ['services', 3],
      alwaysRefused: true, // copies share names and blocks
      apply: (s: Json) => {
        for (let i = 0; i < n; i++) s.services.push(structuredClone(s.services[0]));
      },
    })),
  },
);

/** Fields whose problems are reported where the fix goes: a required tag without a value, at tags. */
const REPORTED_AT: Record<string, string> = { requiredTags: 'tags' };

/** An issue path at or around a mutated path: within the mutated field's grandparent (or where its fix goes). */
function near(issuePath: string, path: Path): boolean {
  const within = (scope: string) => issuePath === scope || issuePath.startsWith(`${scope}.`) || issuePath.startsWith(`${scope}[`);
  return within(formatPath(path.slice(0, Math.max(1, path.length - 2)))) || (REPORTED_AT[String(path[0])] !== undefined && within(REPORTED_AT[String(path[0])]));
}

function mutated(ms: readonly Mutation[]): Json {
  const spec = exampleSpec() as Json;
  for (const m of [...ms].sort((a, b) => Number(b.kind === 'bulk') - Number(a.kind === 'bulk'))) m.apply(spec);
  return spec;
}

interface Tally {
  runs: number;
  refused: number;
  accepted: number;
  synthesized: number;
  crashes: string[];
  notNear: string[];
  dropped: string[];
  injections: string[];
}

describe('any printable string in a free-text field', () => {
  /** Fields whose text reaches Terraform as written (as a whole attribute or inside one). */
  const FIELDS: Array<{ path: Path; wrap: (x: string) => string }> = [
    { path: ['tags', 'owner'], wrap: (x) => x },
    { path: ['tags', 'cost-center'], wrap: (x) => `cc-${x}` },
    { path: ['keyVault', 'certificates', 0, 'subject'], wrap: (x) => `CN=${x}` },
    { path: ['admin', 'sshPublicKeys', 0], wrap: (x) => `${(base.admin.sshPublicKeys[0] as string).split(' ').slice(0, 2).join(' ')} ${x}` },
    { path: ['services', 0, 'tags'], wrap: (x) => x },
  ];
  const printable = fc
    .array(fc.oneof(fc.constantFrom('${', '%{', '}', '$', '%', '$${', '%%{', '"', '\\', 'e+289'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 6 })
    .map((xs) => xs.join(''));

  it('is refused with a path at the field, or the real terraform reads it back exactly', () => {
    const cases = fc.sample(fc.tuple(fc.constantFrom(...FIELDS), printable), { numRuns: 30, seed: 7 });
    const carriers: Array<{ value: string; s: string }> = [];
    let refused = 0;
    const misplaced: string[] = [];
    for (const [field, x] of cases) {
      const spec = exampleSpec() as Json;
      const value = field.wrap(x);
      if (field.path[field.path.length - 1] === 'tags') set(spec, field.path, { team: value });
      else set(spec, field.path, value);
      const r = validateEnvironment(spec);
      if (!r.ok) {
        refused++;
        if (!r.issues.some((i) => near(i.path, [...field.path, 'x']))) misplaced.push(`${formatPath(field.path)} = ${JSON.stringify(value)}: ${r.issues.map((i) => i.path).join(', ')}`);
        continue;
      }
      const dir = tempDir();
      try {
        const s = synthesize([{ file: 'env.ts', spec, issues: [] }], join(dir, 'cdktf.out'));
        if (!s.ok) throw new Error(JSON.stringify(s.problems));
        const found = Object.values(readStacks(join(dir, 'cdktf.out'))).flatMap((t) => stringsOf(JSON.parse(t)).filter(({ s: js }) => readTemplate(js).literal.includes(value)));
        expect({ value, found: found.length > 0 }).toEqual({ value, found: true });
        carriers.push(...found.slice(0, 3).map(({ s: js }) => ({ value, s: js })));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(misplaced).toEqual([]);
    expect(carriers.length).toBeGreaterThan(0);
    const read = terraformReads(carriers.map((c) => c.s));
    const wrong = carriers.filter((c, i) => !read[i].includes(c.value) || read[i] !== readTemplate(c.s).literal).map((c) => c.value);
    expect(wrong).toEqual([]);
    process.stdout.write(`printable: ${cases.length} strings, ${refused} refused, ${carriers.length} carriers read back by terraform\n`);
  }, 120_000);

  /**
   * A setting's value travels inside the custom data (base64): decoded, loaded by cloud-init's
   * own YAML loader, written as the service's environment file, and read by a shell and by a real
   * systemd (when this machine can boot one), it must be the string written in the spec.
   */
  const settingText = fc
    .array(fc.oneof(fc.constantFrom('"', "'", '`', '$', '$(id)', '${HOME}', '\\', '\\n', '\n', '\r\n', '\t', '#', '%i', '=', ';', ' ', '\u0085', '\u2028', '\u007f', '\u009b', '\u00a0', '\ufeff', '\u001b', '- ', ': ', '|', '>'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 8 })
    .map((xs) => xs.join(''));

  it("a setting's value is refused with a path, or reaches the service's environment exactly (custom data, cloud-init, shell, systemd)", () => {
    const cases = fc.sample(settingText, { numRuns: 40, seed: 11 });
    const expected: string[] = [];
    const files: string[] = [];
    const misplaced: string[] = [];
    let refused = 0;
    for (const value of cases) {
      const spec = exampleSpec() as Json;
      spec.services[1].settings = { FUZZ: value };
      const r = validateEnvironment(spec);
      if (!r.ok) {
        refused++;
        if (!r.issues.some((i) => i.path === 'services[1].settings.FUZZ')) misplaced.push(`${JSON.stringify(value)}: ${r.issues.map((i) => i.path).join(', ')}`);
        continue;
      }
      const dir = tempDir();
      try {
        const s = synthesize([{ file: 'env.ts', spec, issues: [] }], join(dir, 'cdktf.out'));
        if (!s.ok) throw new Error(JSON.stringify(s.problems));
        const stacks = Object.fromEntries(Object.entries(readStacks(join(dir, 'cdktf.out'))).map(([k, v]) => [k, JSON.parse(v)]));
        // one slot's document is enough here: both are rendered by the same code (test/spec/custom-data.test.ts reads both)
        const doc = vmDocuments(stacks).find((d) => d.at.includes('order-processing') && d.at.endsWith('custom_data'));
        if (!doc) throw new Error('no custom data for order-processing');
        const [loaded] = loadCloudConfigs([doc.text]);
        const env = loaded.files['/etc/order-processing/release.env'];
        if (env === undefined) throw new Error('cloud-init writes no /etc/order-processing/release.env');
        expected.push(value);
        files.push(env);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(misplaced).toEqual([]);
    expect(files.length).toBeGreaterThan(cases.length / 2);
    const byShell = envByShell(files).map((e) => e.FUZZ);
    expect(byShell.map((v, i) => ({ v, ok: v === expected[i] })).filter((x) => !x.ok)).toEqual([]);
    const noSystemd = systemdUnavailable();
    if (!noSystemd) {
      const bySystemd = envBySystemd(files).map((e) => e.FUZZ);
      expect(bySystemd.map((v, i) => ({ v, ok: v === expected[i] })).filter((x) => !x.ok)).toEqual([]);
    }
    process.stdout.write(`settings: ${cases.length} values, ${refused} refused, ${files.length} read back by a shell${noSystemd ? ` (no systemd: ${noSystemd})` : ' and a booted systemd'}\n`);
  }, 300_000);
});

describe('duplicates of every kind, exhaustively', () => {
  it('a copy of the first element of any list is refused, or synthesizes without a construct collision', () => {
    const outcomes: string[] = [];
    const crashes: string[] = [];
    for (const a of arrays) {
      const spec = exampleSpec() as Json;
      const arr = get(spec, a.path) as unknown[];
      arr.push(structuredClone(arr[0]));
      const r = validateEnvironment(spec);
      if (!r.ok) {
        outcomes.push(`${formatPath(a.path)}: refused`);
        continue;
      }
      const dir = tempDir();
      try {
        const s = synthesize([{ file: 'env.ts', spec, issues: [] }], join(dir, 'cdktf.out'));
        outcomes.push(`${formatPath(a.path)}: ${s.ok ? 'synthesized' : 'refused at synth'}`);
      } catch (e) {
        crashes.push(`${formatPath(a.path)}: ${(e as Error).message.split('\n')[0]}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(crashes).toEqual([]);
    expect(outcomes.length).toBe(arrays.length);
  }, 120_000);
});

describe('fuzzer: 10,000 mutations of the example', () => {
  const tally: Tally = { runs: 0, refused: 0, accepted: 0, synthesized: 0, crashes: [], notNear: [], dropped: [], injections: [] };
  const aloneRefused = new Map<string, boolean>();
  const refusedAlone = (m: Mutation, key: string) => {
    if (!aloneRefused.has(key)) aloneRefused.set(key, !validateEnvironment(mutated([m])).ok);
    return aloneRefused.get(key)!;
  };
  const samples: Json[] = [];

  beforeAll(() => {
    const runs = fc.sample(fc.uniqueArray(mutation, { minLength: 1, maxLength: 3, selector: (m) => formatPath(m.path) }), { numRuns: 10_000, seed: 424242 });
    runs.forEach((ms, run) => {
      tally.runs++;
      const spec = mutated(ms);
      const what = `run ${run}: ${ms.map((m) => `${m.kind} at ${formatPath(m.path)}`).join(', ')}`;
      let r: ReturnType<typeof validateEnvironment>;
      try {
        r = validateEnvironment(spec);
      } catch (e) {
        tally.crashes.push(`${what}: ${(e as Error).message}`);
        return;
      }
      if (!r.ok) {
        tally.refused++;
        const internal = r.issues.find((i) => i.code === 'internal');
        if (internal) tally.crashes.push(`${what}: ${internal.message}`);
        for (const [i, m] of ms.entries()) {
          // each mutation that is refused alone must still be reported beside the others
          const mustShow = m.alwaysRefused || (ms.length > 1 && run % 10 === 0 && refusedAlone(m, `${run}/${i}`));
          if (mustShow && !r.issues.some((iss) => near(iss.path, m.path))) tally.notNear.push(`${what}: nothing at or around ${formatPath(m.path)} (got ${r.issues.map((x) => x.path).join(', ')})`);
        }
        return;
      }
      tally.accepted++;
      for (const m of ms) {
        if (m.alwaysRefused) tally.notNear.push(`${what}: accepted`);
        if (m.key !== undefined) {
          const rec = get(r.environment, m.path.slice(0, -1)) as Record<string, unknown> | undefined;
          if (!rec || !Object.prototype.hasOwnProperty.call(rec, m.key)) tally.dropped.push(`${what}: key ${m.key} missing from the parsed spec`);
        }
      }
      if (tally.accepted % 25 === 1) samples.push(spec);
    });
  }, 120_000);

  it('never crashes', () => {
    expect(tally.crashes).toEqual([]);
  });

  it('reports every refused mutation at or around its field, beside the others', () => {
    expect(tally.notNear).toEqual([]);
    expect(tally.refused).toBeGreaterThan(5000);
    expect(tally.accepted).toBeGreaterThan(100);
  });

  it('never drops a key', () => {
    expect(tally.dropped).toEqual([]);
  });

  it('synthesizes a sample of the accepted specs: no crash, no payload evaluated by Terraform', () => {
    for (const spec of samples) {
      const dir = tempDir();
      try {
        const r = synthesize([{ file: 'env.ts', spec, issues: [] }], join(dir, 'cdktf.out'));
        if (!r.ok) continue; // a synth-time check (e.g. an imported file) may still refuse it
        tally.synthesized++;
        for (const [stack, text] of Object.entries(readStacks(join(dir, 'cdktf.out')))) {
          for (const { path, s } of stringsOf(JSON.parse(text))) {
            const t = readTemplate(s);
            for (const e of [...t.expressions, ...t.directives]) if (/INJ\d+X|TfToken/.test(e)) tally.injections.push(`${stack} ${path}: ${e}`);
          }
        }
      } catch (e) {
        tally.crashes.push(`synth: ${(e as Error).message.split('\n')[0]}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(tally.crashes).toEqual([]);
    expect(tally.injections).toEqual([]);
    expect(tally.synthesized).toBeGreaterThan(10);
  }, 120_000);

  afterAll(() => {
    // the numbers the report quotes
    process.stdout.write(`fuzz: ${tally.runs} runs, ${tally.refused} refused, ${tally.accepted} accepted, ${tally.synthesized} synthesized; ${tally.crashes.length} crashes, ${tally.notNear.length} not near, ${tally.dropped.length} dropped keys, ${tally.injections.length} injections\n`);
  });
});
