/**
 * An environment across regions (issue 15, docs/regions.md), as one environment per region. The
 * first region is the spec itself: its stacks, names and addresses are what a single-region spec
 * has. Each of `otherRegions` becomes an environment of its own named `<env>-<code>`, in its
 * region, on its own address space, with the services that run there; every stack builder then
 * works on it unchanged, so a region has its own network, vault, identities, monitoring, front
 * and scale sets. The synth adds what ties the regions together: the peerings, the NSG rule that
 * admits the other fronts, and each front's peers and shares.
 */
import { defaultDomain } from './names';
import type { Environment, Service } from './schema';

/** One region of an environment. */
export interface RegionalEnvironment {
  /** The region's code (`otherRegions[].code`); undefined for the first region. */
  readonly code?: string;
  /** The environment this region's stacks are built from (the spec itself for the first). */
  readonly env: Environment;
}

/** The regions a service runs in: its `regions`, else the environment's first region. */
export const serviceRegions = (env: Pick<Environment, 'region'>, svc: Pick<Service, 'regions'>): readonly string[] => svc.regions ?? [env.region];

/** Every region's name, the first region first, then `otherRegions` in their order. */
export const regionNames = (env: Pick<Environment, 'region' | 'otherRegions'>): string[] => [env.region, ...env.otherRegions.map((r) => r.name)];

/** The name a region's environment takes: the spec's for the first region, `<env>-<code>` for another. */
export const regionalName = (env: string, code: string | undefined): string => (code === undefined ? env : `${env}-${code}`);

/** The file a region's environment is read from, for its lock file: `<file>.<code>.<ext>` for another region. */
const regionalFile = (file: string | undefined, code: string): string | undefined => (file === undefined ? undefined : /\.[^./]+$/.test(file) ? file.replace(/(\.[^./]+)$/, `.${code}$1`) : `${file}.${code}`);

/**
 * The environment of each region, the first region first. The first is the spec unchanged. Another
 * region keeps everything that is not regional (subscription, deployer, admin, front settings,
 * state backend, the artifact store) and takes: its name `<env>-<code>`, its region, its address
 * space, the services that run there at their capacity there (`regionCapacity`), no pools (a pool's services run in the first region), no
 * state bootstrap (the first region's state stack made the account every stack uses), a
 * workspace of its own (a data collection rule sends only to a workspace in its region), and
 * tags naming the environment and the region.
 */
export function regionalEnvironments(env: Environment): RegionalEnvironment[] {
  // the first region: the spec itself, less the services that run only elsewhere, a service
  // retired there retired (the spec object unchanged when neither applies)
  const here = (s: Service) => serviceRegions(env, s).includes(env.region);
  const retiredHere = (s: Service, region: string) => (s.retiredIn ?? []).includes(region);
  const first: RegionalEnvironment = {
    env: env.services.every((s) => here(s) && !retiredHere(s, env.region)) ? env : { ...env, services: env.services.filter(here).map((s) => (retiredHere(s, env.region) ? { ...s, retired: true } : s)) },
  };
  return [
    first,
    ...env.otherRegions.map((r) => {
      // a retired region: each of its services retired there (stacks emptied, not routed)
      // each at its capacity there (`regionCapacity`), and in a retired region retired (stacks emptied, not routed)
      const services = env.services
        .filter((s) => serviceRegions(env, s).includes(r.name))
        .map((s) => ({ ...s, capacity: capacityIn(env, s, r.name), ...(r.retired || retiredHere(s, r.name) ? { retired: true } : {}) }));
      const file = regionalFile((env as Environment & { file?: string }).file, r.code);
      const regional: Environment & { file?: string; regionOf?: string } = {
        ...env,
        name: regionalName(env.name, r.code),
        region: r.name,
        otherRegions: [],
        network: { ...env.network, addressSpace: r.addressSpace },
        // the same host names in every region: a request another front forwards keeps its Host
        front: { ...env.front, domain: defaultDomain(env.name, env.front) },
        services,
        pools: [],
        tags: { ...env.tags, environment: env.name, 'ase-region': r.name },
        monitoring: { ...env.monitoring, workspaceId: undefined },
        // a suppression names a stack: the same finding in this region's stack of that part is suppressed too
        policy: { ...env.policy, suppressions: env.policy.suppressions.map((x) => ({ ...x, resource: x.resource.startsWith(`${env.name}-`) ? `${regionalName(env.name, r.code)}-${x.resource.slice(env.name.length + 1)}` : x.resource })) },
        ...(file !== undefined ? { file } : {}),
        // read by the plan: no state bootstrap here (the first region's made the account)
        regionOf: env.name,
        ...(r.retired ? { regionRetired: true } : {}),
      };
      return { code: r.code, env: regional };
    }),
  ];
}

/** Whether this environment is a retired region (`otherRegions[].retired`). */
export const isRetiredRegion = (env: Environment): boolean => (env as Environment & { regionRetired?: boolean }).regionRetired === true;

/** The regions a service is served in: its regions but the retired ones and those it is retired in. */
export const servedRegions = (env: Pick<Environment, 'region' | 'otherRegions'>, svc: Pick<Service, 'regions'> & { readonly retiredIn?: readonly string[] }): readonly string[] => {
  const retired = new Set([...env.otherRegions.filter((r) => r.retired).map((r) => r.name), ...(svc.retiredIn ?? [])]);
  return serviceRegions(env, svc).filter((r) => !retired.has(r));
};

/** Whether this environment is another region of `regionOf` (set by {@link regionalEnvironments}). */
export const regionOf = (env: Environment): string | undefined => (env as Environment & { regionOf?: string }).regionOf;

/**
 * A service's instance counts per slot in a region: `capacity` in the first region, and in another
 * its `regionCapacity` entry, else `capacity`.
 */
export const capacityIn = <C>(env: Pick<Environment, 'region'>, svc: { readonly capacity?: C; readonly regionCapacity?: Readonly<Record<string, C>> }, region: string): C | undefined =>
  region === env.region ? svc.capacity : Object.prototype.hasOwnProperty.call(svc.regionCapacity ?? {}, region) ? svc.regionCapacity![region] : svc.capacity;

/**
 * The percent of a service's requests each region it is served in serves (docs/regions.md):
 * `traffic.regions.shares`, a region it leaves out at 0; without it, the first of its served
 * regions serves everything.
 */
export function regionShares(env: Pick<Environment, 'region' | 'otherRegions'>, svc: Pick<Service, 'regions'> & { readonly retiredIn?: readonly string[] } & { readonly traffic?: { readonly regions?: { readonly shares: Readonly<Record<string, number>> } } }): Record<string, number> {
  const served = servedRegions(env, svc);
  const planned = svc.traffic?.regions?.shares;
  return Object.fromEntries(served.map((r, i) => [r, planned ? (planned[r] ?? 0) : i === 0 ? 100 : 0]));
}

/**
 * Instances' worth of a service's peak (`upgrade.peakLoadInstances`, the whole service's across
 * its regions, else its first region's `capacity.min − 1`) that a region's share brings it,
 * rounded up.
 */
export const regionalPeak = (peak: number, sharePercent: number): number => Math.ceil((peak * Math.round(sharePercent * 100)) / 10_000);
