/**
 * What every rule reads: the spec parsed leniently, and the way a rule reports.
 *
 * When the whole spec has a valid shape, the rules read the parsed spec (defaults applied).
 * Otherwise each field is parsed on its own (`lenient`): a valid field is there with its
 * defaults, an invalid one is absent. A rule reads only this view (and the input as written, for
 * checks that must see a value the schema refuses), never what another rule found: each rule is
 * correct alone, and one bad field or one failing rule hides nothing elsewhere.
 */
import { z } from 'zod';
import { contains, parseCidr, type Range } from '../cidr';
import { PRIVATE_RANGES } from '../constants';
import { maxBlockForFrontends, maxBlockForSpace } from '../ip-plan';
import { canonicalIfHostBitsSet } from '../cidr';
import { formatPath, type Path, type SpecIssue } from '../issues';
import { EnvironmentSchema, FrontSchema, NetworkSchema, PoolSchema, ServiceSchema, type Environment } from '../schema';

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Each field of an object schema parsed alone: valid fields with defaults applied, invalid ones
 * absent. `only` limits it to the fields the rules read.
 */
export function lenient<S extends z.ZodRawShape>(schema: z.ZodObject<S>, raw: unknown, only?: readonly (keyof S)[]): Partial<z.output<z.ZodObject<S>>> {
  const out: Record<string, unknown> = {};
  const obj = isRecord(raw) ? raw : {};
  for (const [key, field] of Object.entries(schema.shape)) {
    if (only && !only.includes(key)) continue;
    const r = (field as z.ZodType).safeParse(obj[key]);
    if (r.success) out[key] = r.data;
  }
  return out as Partial<z.output<z.ZodObject<S>>>;
}

export type ServiceParts = Partial<z.output<typeof ServiceSchema>>;
export type PoolParts = Partial<z.output<typeof PoolSchema>>;
export type FrontParts = Partial<z.output<typeof FrontSchema>>;
export type NetworkParts = Partial<z.output<typeof NetworkSchema>>;

export interface ParsedService {
  readonly index: number;
  readonly s: ServiceParts;
}
export interface ParsedPool {
  readonly index: number;
  readonly p: PoolParts;
}

/** The spec as the rules read it. */
export interface SpecView {
  /** The input as written (holes already made `undefined` by the raw-input walk). */
  readonly raw: Record<string, unknown>;
  /** The whole spec parsed, when its shape is valid. */
  readonly parsed: Environment | undefined;
  /** Top-level fields the rules read, each parsed alone. */
  readonly env: Partial<Environment>;
  readonly net: NetworkParts;
  readonly front: FrontParts;
  readonly pools: readonly ParsedPool[];
  readonly poolByName: ReadonlyMap<string, PoolParts>;
  readonly services: readonly ParsedService[];
}

/** The view of an input: the parsed spec when there is one, otherwise field by field. */
export function specView(input: unknown, parsed: Environment | undefined): SpecView {
  const raw = isRecord(input) ? input : {};
  const pools: ParsedPool[] = parsed
    ? parsed.pools.map((p, index) => ({ index, p }))
    : Array.isArray(raw.pools)
      ? raw.pools.map((p, index) => ({ index, p: lenient(PoolSchema, p) }))
      : [];
  return {
    raw,
    parsed,
    env: parsed ?? lenient(EnvironmentSchema, raw, ['name', 'subscriptionId', 'resourceGroupName', 'tags', 'requiredTags', 'quotas', 'artifactStore', 'region', 'otherRegions']),
    net: parsed?.network ?? lenient(NetworkSchema, raw.network),
    front: parsed?.front ?? lenient(FrontSchema, raw.front),
    pools,
    poolByName: new Map(pools.filter(({ p }) => p.name !== undefined).map(({ p }) => [p.name!, p])),
    services: parsed
      ? parsed.services.map((s, index) => ({ index, s }))
      : Array.isArray(raw.services)
        ? raw.services.map((s, index) => ({ index, s: lenient(ServiceSchema, s) }))
        : [],
  };
}

/** The input as written of `services[index]` or `pools[index]` (undefined when not an object). */
export function rawItem(view: SpecView, list: 'services' | 'pools', index: number): Record<string, unknown> | undefined {
  const items = view.raw[list];
  const item = Array.isArray(items) ? items[index] : undefined;
  return isRecord(item) ? item : undefined;
}

const PRIVATE = PRIVATE_RANGES.map((r) => parseCidr(r)!);

/**
 * The address plan's inputs as far as they are usable: the address space (a private range with no
 * host bits set), the subnet prefix, whether the blocks fit, and the highest block the plan holds.
 * Derived from the view alone; the network rules report why a part is missing.
 */
export interface AddressBasis {
  readonly space?: Range;
  readonly prefix?: number;
  /** The space holds the platform's blocks in subnets of this prefix. */
  readonly blocksUsable: boolean;
  readonly maxBlock?: number;
}

export function addressBasis(view: SpecView): AddressBasis {
  const { addressSpace, subnetPrefixLength: prefix } = view.net;
  const parsed = addressSpace === undefined || canonicalIfHostBitsSet(addressSpace) ? undefined : parseCidr(addressSpace);
  const space = parsed && PRIVATE.some((p) => contains(p, parsed)) ? parsed : undefined;
  const blocksUsable = space !== undefined && prefix !== undefined && prefix >= space.prefix + 2;
  return { space, prefix, blocksUsable, maxBlock: blocksUsable ? Math.min(maxBlockForSpace(space, prefix), maxBlockForFrontends(prefix)) : undefined };
}

/** How a rule reports: `add` for a problem, `warn` for what the synth prints though nothing is wrong. */
export type Add = (path: Path, i: Omit<SpecIssue, 'path'>) => void;

/** What one rule found. */
export interface Findings {
  readonly issues: SpecIssue[];
  readonly warnings: SpecIssue[];
}

/** Runs a rule body with fresh `add` and `warn`, and returns what it found. */
export function collect(body: (add: Add, warn: Add) => void): Findings {
  const issues: SpecIssue[] = [];
  const warnings: SpecIssue[] = [];
  body(
    (path, i) => issues.push({ path: formatPath(path), ...i }),
    (path, i) => warnings.push({ path: formatPath(path), ...i }),
  );
  return { issues, warnings };
}

/** A path builder under one list item: `at('capacity', 'max')` → ['services', 2, 'capacity', 'max']. */
export type At = (...rest: PropertyKey[]) => Path;
export const under = (...base: PropertyKey[]): At => (...rest) => [...base, ...rest];
