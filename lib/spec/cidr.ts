/**
 * IPv4 range arithmetic on top of `ip-address` (parsing, canonical form, BigInt conversion).
 * Only what the plans and checks need: bounds, containment, overlap, the Nth block of a range.
 */
import { Address4 } from 'ip-address';

export interface Range {
  readonly cidr: string;
  readonly prefix: number;
  readonly first: bigint;
  readonly last: bigint;
}

const cache = new Map<string, Range | undefined>();

/** Parses 'a.b.c.d/n'; undefined when it is not an IPv4 CIDR. Results are cached (bounded). */
export function parseCidr(text: string): Range | undefined {
  if (cache.has(text)) return cache.get(text);
  let r: Range | undefined;
  if (/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(text) && Address4.isValid(text)) {
    const a = new Address4(text);
    r = { cidr: text, prefix: a.subnetMask, first: a.startAddress().bigInt(), last: a.endAddress().bigInt() };
  }
  if (cache.size > 1000) cache.clear();
  cache.set(text, r);
  return r;
}

/** The canonical form of a CIDR whose host bits are set ('10.20.1.0/16' → '10.20.0.0/16'), else undefined. */
export function canonicalIfHostBitsSet(text: string): string | undefined {
  const r = parseCidr(text);
  if (!r) return undefined;
  return new Address4(text).bigInt() === r.first ? undefined : `${addressAt(r.first)}/${r.prefix}`;
}

export const addressAt = (n: bigint): string => Address4.fromBigInt(n).address;
export const overlaps = (a: Range, b: Range): boolean => a.first <= b.last && b.first <= a.last;
export const contains = (outer: Range, inner: Range): boolean => outer.first <= inner.first && inner.last <= outer.last;
export const sizeOf = (r: Range): bigint => r.last - r.first + 1n;

/** Block `index` of `prefix` length inside `space` (no bounds check: callers check `blockCount`). */
export function blockOf(space: Range, prefix: number, index: number): Range {
  const size = 1n << BigInt(32 - prefix);
  const first = space.first + size * BigInt(index);
  const cidr = `${addressAt(first)}/${prefix}`;
  return { cidr, prefix, first, last: first + size - 1n };
}

export const blockCount = (space: Range, prefix: number): number => 2 ** (prefix - space.prefix);

/**
 * IPv4 ranges as Key Vault and Storage firewall IP rules take them. Azure Storage refuses /31 and
 * /32 prefixes ("use individual IP address rules without prefix", azurerm's storage_account docs:
 * "/31 CIDRs, /32 CIDRs … are not allowed"), so a /32 becomes its address and a /31 its two
 * addresses; Key Vault takes addresses too (azurerm: IPv4Address or CIDR). Other ranges, and
 * strings that are not CIDRs, pass unchanged. Order kept, duplicates dropped.
 */
export function firewallIpRules(ranges: readonly string[]): string[] {
  const out: string[] = [];
  for (const r of ranges) {
    const range = parseCidr(r);
    const rules = range && range.prefix >= 31 ? [addressAt(range.first), ...(range.prefix === 31 ? [addressAt(range.last)] : [])] : [r];
    for (const rule of rules) if (!out.includes(rule)) out.push(rule);
  }
  return out;
}
