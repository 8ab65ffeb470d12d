/**
 * Rules of the regions concern (docs/regions.md): each of `otherRegions` a known Azure region other
 * than the first and the others, a unique code whose names fit Azure's rules, an address space of
 * the first region's size that overlaps no other region's; each service's `regions` known and
 * without repeats (any of them, the first region or not), and not on a pool; `retiredIn` and
 * `regionCapacity` naming its regions; `traffic.regions` only for a service in several regions,
 * naming only its regions, adding up to 100, nothing to a region it is not served in.
 */
import { canonicalIfHostBitsSet, contains, overlaps, parseCidr } from '../cidr';
import { PRIVATE_RANGES } from '../constants';
import { show, suggest } from '../issues';
import { environmentNames, nameProblem } from '../names';
import { regionalName } from '../regional';
import { AZURE_REGIONS, REGION_NAMES } from '../regions';
import { RegionSchema } from '../schema';
import { collect, isRecord, rawItem, under, type Findings, type SpecView } from './view';

const PRIVATE = PRIVATE_RANGES.map((r) => parseCidr(r)!);

/** The `otherRegions` entries whose shape is valid, with their index. */
function otherRegionsOf(view: SpecView): Array<{ index: number; name?: string; code?: string; addressSpace?: string; retired?: boolean }> {
  const raw = view.raw.otherRegions;
  if (!Array.isArray(raw)) return [];
  return raw.map((r, index) => {
    const parsed = isRecord(r) ? RegionSchema.partial().safeParse(r) : undefined;
    return { index, ...(parsed?.success ? parsed.data : {}) };
  });
}

export function validateOtherRegions(view: SpecView): Findings {
  return collect((add) => {
    const first = typeof view.raw.region === 'string' ? view.raw.region : undefined;
    const regions = otherRegionsOf(view);
    const names = new Map<string, number>();
    const codes = new Map<string, number>();
    const spaces: Array<{ index: number; text: string }> = [];
    const firstSpace = view.net.addressSpace;
    for (const r of regions) {
      const at = (...rest: PropertyKey[]) => ['otherRegions', r.index, ...rest];
      if (r.name !== undefined) {
        if (!(r.name in AZURE_REGIONS)) {
          const normalized = r.name.toLowerCase().replace(/[\s_-]/g, '');
          add(at('name'), { code: 'invalid_value', message: `unknown Azure region ${show(r.name)}`, value: r.name, hint: normalized in AZURE_REGIONS ? `did you mean '${normalized}'?` : suggest(normalized, REGION_NAMES) ?? 'use the region name as Azure CLI prints it, e.g. northeurope' });
        } else if (r.name === first) {
          add(at('name'), { code: 'invalid_value', message: `${show(r.name)} is the environment's region already`, value: r.name, hint: 'name another region; the first one is `region`' });
        } else if (names.has(r.name)) {
          add(at('name'), { code: 'duplicate', message: `${show(r.name)} is listed twice (also otherRegions[${names.get(r.name)}])`, value: r.name, hint: 'list each region once' });
        } else names.set(r.name, r.index);
      }
      if (r.code !== undefined) {
        if (codes.has(r.code)) add(at('code'), { code: 'duplicate', message: `the code ${show(r.code)} is taken by otherRegions[${codes.get(r.code)}]`, value: r.code, hint: "give each region its own code, e.g. 'ne', 'we2'" });
        else codes.set(r.code, r.index);
        // the region's environment is named <env>-<code>: its globally unique names must still fit
        const env = typeof view.env.name === 'string' ? view.env.name : undefined;
        if (env !== undefined && view.env.subscriptionId !== undefined) {
          const n = environmentNames({ name: regionalName(env, r.code), subscriptionId: view.env.subscriptionId, resourceGroupName: view.env.resourceGroupName ?? 'rg-{env}-{part}' });
          const vault = nameProblem('keyVault', n.keyVault);
          if (vault) add(at('code'), { code: 'name_rule', message: `${vault} (the region's vault)`, value: r.code, hint: 'use a shorter code, or a shorter environment name' });
          if (n.frontStore.length > 24) add(at('code'), { code: 'name_rule', message: `makes the storage account name '${n.frontStore}' ${n.frontStore.length} characters long; Azure allows 3-24 (the region's front store)`, value: r.code, hint: 'use a shorter code, or a shorter environment name' });
        }
      }
      if (r.addressSpace !== undefined) {
        const fixed = canonicalIfHostBitsSet(r.addressSpace);
        const space = parseCidr(r.addressSpace);
        const firstRange = firstSpace !== undefined ? parseCidr(firstSpace) : undefined;
        if (fixed) add(at('addressSpace'), { code: 'invalid_value', message: `${show(r.addressSpace)} has host bits set`, value: r.addressSpace, hint: `did you mean '${fixed}'?` });
        else if (space && !PRIVATE.some((p) => contains(p, space))) add(at('addressSpace'), { code: 'invalid_value', message: `${show(r.addressSpace)} is not a private range`, value: r.addressSpace, hint: `use a range inside ${PRIVATE_RANGES.join(', ')}` });
        else if (space && firstRange && space.prefix !== firstRange.prefix) {
          // every service keeps its block in every region: the same size holds the same plan
          add(at('addressSpace'), { code: 'invalid_value', message: `${show(r.addressSpace)} is a /${space.prefix}, network.addressSpace a /${firstRange.prefix}`, value: r.addressSpace, hint: `use a /${firstRange.prefix}: each service keeps its block (subnet, frontend IPs) in every region` });
        } else if (space && firstRange && overlaps(space, firstRange)) {
          add(at('addressSpace'), { code: 'overlap', message: `${show(r.addressSpace)} overlaps network.addressSpace ${show(firstSpace)}`, value: r.addressSpace, hint: 'peered VNets need address spaces that do not overlap' });
        } else if (space) {
          const other = spaces.find((o) => overlaps(parseCidr(o.text)!, space));
          if (other) add(at('addressSpace'), { code: 'overlap', message: `${show(r.addressSpace)} overlaps otherRegions[${other.index}].addressSpace ${show(other.text)}`, value: r.addressSpace, hint: 'peered VNets need address spaces that do not overlap' });
          else spaces.push({ index: r.index, text: r.addressSpace });
        }
      }
    }
  });
}

export function validateServiceRegions(view: SpecView): Findings {
  return collect((add) => {
    const first = typeof view.raw.region === 'string' ? view.raw.region : undefined;
    const known = [first, ...otherRegionsOf(view).map((r) => r.name)].filter((n): n is string => n !== undefined);
    for (const { index, s } of view.services) {
      const at = under('services', index);
      const raw = rawItem(view, 'services', index);
      const regions = s.regions;
      if (regions !== undefined) {
        const seen = new Set<string>();
        regions.forEach((r, i) => {
          if (!known.includes(r)) add(at('regions', i), { code: 'invalid_value', message: `${show(r)} is not one of the environment's regions (${known.map((k) => `'${k}'`).join(', ')})`, value: r, hint: suggest(r, known) ?? 'add it to otherRegions first' });
          else if (seen.has(r)) add(at('regions', i), { code: 'duplicate', message: `${show(r)} is listed twice`, value: r, hint: 'list each region once' });
          seen.add(r);
        });
        if (s.pool !== undefined && regions.some((r) => r !== first)) {
          add(at('regions'), { code: 'invalid_value', message: `a service on a pool (${show(s.pool)}) runs in the first region only`, value: regions, hint: 'give the service its own scale sets to run it in other regions' });
        }
      }
      const runsIn = regions ?? (first !== undefined ? [first] : []);
      // retiredIn: regions of its own list, once each, not all of them (that is `retired`)
      const retiredIn = s.retiredIn ?? [];
      const once = new Set<string>();
      retiredIn.forEach((r, i) => {
        if (!runsIn.includes(r)) add(at('retiredIn', i), { code: 'invalid_value', message: `the service does not run in ${show(r)} (its regions: ${runsIn.map((x) => `'${x}'`).join(', ')})`, value: r, hint: suggest(r, runsIn) ?? 'name one of its regions' });
        else if (once.has(r)) add(at('retiredIn', i), { code: 'duplicate', message: `${show(r)} is listed twice`, value: r, hint: 'list each region once' });
        once.add(r);
      });
      if (runsIn.length > 0 && runsIn.every((r) => once.has(r))) add(at('retiredIn'), { code: 'invalid_value', message: 'retires the service in every region it runs in', value: retiredIn, hint: 'retire the whole service with retired: true instead' });
      // the regions as written: one entry the schema refuses leaves the others checked
      const written = raw && isRecord(raw.regionCapacity) ? raw.regionCapacity : {};
      const own = s.regionCapacity ?? {};
      for (const region of Object.keys(written)) {
        const p = at('regionCapacity', region);
        if (region === first) add(p, { code: 'invalid_value', message: `${show(region)} is the environment's region, whose counts are capacity`, value: written[region], hint: 'set capacity for the first region; regionCapacity is for the others' });
        else if (runsIn.length === 1 && runsIn[0] === region) add(p, { code: 'invalid_value', message: `the service runs in ${show(region)} only: its counts there are capacity`, value: written[region], hint: 'set capacity; regionCapacity is for a service in several regions' });
        else if (!runsIn.includes(region)) add(p, { code: 'invalid_value', message: `the service does not run in ${show(region)} (its regions: ${runsIn.map((r) => `'${r}'`).join(', ')})`, value: written[region], hint: suggest(region, runsIn.filter((r) => r !== first)) ?? 'name one of its other regions, or add this one to its regions' });
        else if (own[region] !== undefined) {
          // a schedule's counts apply in every region: each must fit this region's counts too
          (s.autoscale?.schedules ?? []).forEach((sch, i) => {
            if (sch.min > own[region].max) add([...p, 'max'], { code: 'out_of_order', message: `${own[region].max} is below autoscale.schedules[${i}] (${sch.name})'s min ${sch.min}, which applies in every region`, value: own[region].max, hint: `raise it to ${sch.min}, or lower the window's min` });
            else if (sch.max !== undefined && sch.max > own[region].max) add([...p, 'max'], { code: 'out_of_order', message: `${own[region].max} is below autoscale.schedules[${i}] (${sch.name})'s max ${sch.max}, which applies in every region`, value: own[region].max, hint: `raise it to ${sch.max}, or lower the window's max` });
          });
        }
      }
      const plan = s.traffic?.regions;
      if (plan !== undefined) {
        if (runsIn.length < 2) {
          add(at('traffic', 'regions'), { code: 'invalid_value', message: 'the service runs in one region, so there is nothing to share', value: raw && isRecord(raw.traffic) ? raw.traffic.regions : undefined, hint: "list its regions in 'regions' first, or remove traffic.regions" });
          continue;
        }
        let sum = 0;
        const retired = new Set(otherRegionsOf(view).filter((r) => r.retired === true).map((r) => r.name));
        for (const [region, share] of Object.entries(plan.shares)) {
          if (runsIn.includes(region) && retired.has(region) && share > 0) {
            add(at('traffic', 'regions', 'shares', region), { code: 'invalid_value', message: `${show(region)} is retired: it serves nothing, so no share can go there`, value: share, hint: 'move its share to the regions that stay (shift it first, in its own change, then retire the region)' });
          } else if (runsIn.includes(region) && once.has(region) && share > 0) {
            add(at('traffic', 'regions', 'shares', region), { code: 'invalid_value', message: `the service is retired in ${show(region)} (retiredIn): it serves nothing there, so no share can go there`, value: share, hint: 'move its share to its other regions (shift it first, in its own change, then retire it there)' });
          }
          if (!runsIn.includes(region)) add(at('traffic', 'regions', 'shares', region), { code: 'invalid_value', message: `the service does not run in ${show(region)} (its regions: ${runsIn.map((r) => `'${r}'`).join(', ')})`, value: share, hint: suggest(region, runsIn) ?? 'name one of its regions, or add this one to its regions' });
          sum += Math.round(share * 100);
        }
        if (sum !== 10_000) add(at('traffic', 'regions', 'shares'), { code: 'invalid_value', message: `the shares add up to ${sum / 100}, not 100`, value: plan.shares, hint: 'every request is served by some region: make them add up to 100' });
      }
    }
  });
}
