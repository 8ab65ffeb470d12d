/**
 * Random bad specs always give a clear error, never a crash. Each run breaks the example in 1-4
 * places with mutations that always invalidate (a value of a type the field never takes, an
 * unknown field on a strict object, a missing required field), and also feeds arbitrary values.
 */
import fc from 'fast-check';
import { formatIssue } from '../../lib/spec/issues';
import { validateEnvironment } from '../../lib/spec/validate';
import { exampleSpec, type Json } from '../helpers';

type Path = (string | number)[];

/** Runs of the broken-examples property: 200 in the suite, 10,000 in the slow step (test/slow/broken-examples.test.ts). */
const RUNS = Number(process.env.ASE_BROKEN_EXAMPLE_RUNS ?? 200);
/** Runs of each arbitrary-value property: 200 in the suite, 2,000 in the slow step. */
const ARBITRARY_RUNS = Number(process.env.ASE_ARBITRARY_VALUE_RUNS ?? 200);

/** Paths of every value in the example, with its JSON kind; records (tags, quotas, settings) take any key. */
function paths(value: unknown, path: Path = [], out: Array<{ path: Path; kind: string; record: boolean }> = []) {
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  const record = ['tags', 'quotas', 'settings'].includes(String(path[path.length - 1]));
  if (path.length > 0) out.push({ path, kind, record });
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...path, i], out));
  else if (kind === 'object') for (const [k, v] of Object.entries(value as object)) paths(v, [...path, k], out);
  return out;
}

const base = exampleSpec();
const all = paths(base);
// every value: a tag's value replaced with a non-string is invalid too
const leaves = all;
const strictObjects = all.filter((p) => p.kind === 'object' && !p.record);
const REQUIRED = [['name'], ['subscriptionId'], ['tenantId'], ['region'], ['network'], ['services'], ['network', 'addressSpace'], ...base.services.flatMap((_, i) => ['name', 'block', 'vmSize', 'capacity', 'slots', 'traffic'].map((k) => ['services', i, k]))];

const wrongValue = (kinds: readonly string[]) =>
  fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 })).filter((v) => {
    const k = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
    return !kinds.includes(k);
  });
/** A setting takes a string or a `{ secret }` reference: a string is never a wrong value there. */
const kindsAt = (p: { path: Path; kind: string }) => (p.path[p.path.length - 2] === 'settings' ? [p.kind, 'string'] : [p.kind]);

const mutation = fc.oneof(
  fc.constantFrom(...leaves).chain((p) => wrongValue(kindsAt(p)).map((v) => ({ op: 'replace' as const, path: p.path, value: v as unknown }))),
  fc.tuple(fc.constantFrom(...strictObjects), fc.string({ minLength: 1, maxLength: 12 })).map(([p, key]) => ({ op: 'add' as const, path: p.path, key: `x_${key}` })),
  fc.constantFrom(...REQUIRED).map((path) => ({ op: 'delete' as const, path: path as Path })),
);

function apply(spec: Json, m: { op: string; path: Path; value?: unknown; key?: string }) {
  let parent: any = spec; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const seg of m.path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return;
    parent = parent[seg];
  }
  if (typeof parent !== 'object' || parent === null) return;
  const last = m.path[m.path.length - 1];
  if (m.op === 'replace') parent[last] = m.value;
  else if (m.op === 'delete') delete parent[last];
  else if (typeof parent[last] === 'object' && parent[last] !== null && !Array.isArray(parent[last])) parent[last][m.key!] = 1;
}

/** Plain checks (no expect() per run: the loop runs 10,000 times); fast-check reports the input. */
function expectClearError(input: unknown): void {
  const r = validateEnvironment(input); // an exception fails the property with the input shrunk
  if (r.ok) throw new Error('accepted a broken spec');
  if (r.issues.length === 0) throw new Error('refused with no issue');
  for (const i of r.issues) {
    const line = formatIssue(i);
    if (i.path.length === 0 || i.message.length === 0) throw new Error(`issue without path or message: ${line}`);
    if (/\[object Object\]|undefined undefined|NaN is/.test(line)) throw new Error(`unreadable message: ${line}`);
  }
}

describe('validation never crashes', () => {
  // 200 in the suite; CI's slow step runs this same property 10,000 times (test/slow/broken-examples.test.ts)
  test(`${RUNS.toLocaleString('en')} randomly broken examples each give at least one issue with a path`, () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        const spec = exampleSpec() as Json;
        // apply the first mutation last, on the whole result, so it is never undone by another
        for (const m of ms.slice(1)) apply(spec, m);
        apply(spec, ms[0]);
        expectClearError(spec);
      }),
      { numRuns: RUNS },
    );
  });

  test(`${ARBITRARY_RUNS.toLocaleString('en')} arbitrary values as a spec give issues, never an exception`, () => {
    fc.assert(fc.property(fc.anything(), (v) => expectClearError(v)), { numRuns: ARBITRARY_RUNS });
  });

  test(`${ARBITRARY_RUNS.toLocaleString('en')} arbitrary values as a service give issues, never an exception`, () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        const spec = exampleSpec() as Json;
        spec.services[1] = v;
        expectClearError(spec);
      }),
      { numRuns: ARBITRARY_RUNS },
    );
  });
});
