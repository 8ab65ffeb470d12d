/**
 * Random VALID environments from the schema (fast-check): valid meaning `validateEnvironment`
 * accepts them with no problem, so the synth and `terraform validate` with the real provider can
 * be run on specs nobody wrote by hand. The generator varies what the schema lets a user choose:
 * region (with and without zones), address space and subnet size, front (HTTP only or HTTPS,
 * ports, capacity, upgrade, domain), Key Vault (issued, integrated-CA, external and imported
 * certificates, diagnostics), state backend, Entra ID login, pools, and per service the
 * orchestration, counts, instances per VM, ports, images, endpoints (input sources, internal,
 * management, instance input), upgrade, autoscale (CPU, schedules in time zones from the
 * provider's list, custom metric, predictive, notifications), traffic (weight, affinity, pin
 * rules, failover, mirror), parked slots, routes (hosts, path prefix), settings and secrets,
 * certificates, tags and retirement.
 *
 * Rules that compare fields are respected by construction (distinct names, blocks and hosts, one
 * time zone per service and windows that never touch, parked slots that carry what they are
 * sent, batches without surge that keep headroom, Flexible never beside Entra ID login), so a
 * sample that fails validation is a defect of the generator or of the library, never expected.
 */
import fc from 'fast-check';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WINDOWS_TO_IANA_MAP } from 'windows-iana';
import { AUTOSCALE_TIME_ZONES } from '../../lib/spec/autoscale-time-zones';
import { mapTimeZone } from '../../lib/spec/time-zones';
import type { EnvironmentSpec, ServiceSpec, WEEKDAYS } from '../../lib/spec/schema';
import { synthesize } from '../../lib/environment/synthesize';
import { formatProblems } from '../../lib/spec/environments';
import { FIXTURE_CERT_DIR, SSH_KEYS, writeFixtureCertificates } from '../fixtures/environments/_shared';

type Weekday = (typeof WEEKDAYS)[number];

/**
 * IANA zones whose Windows name azurerm's autoscale accepts (`AUTOSCALE_TIME_ZONES`, extracted
 * from the provider): each allowed Windows name's representative zone (CLDR territory 001) that
 * maps back to an allowed name, and 'UTC'.
 */
export const PROVIDER_TIME_ZONES: readonly string[] = (() => {
  const allowed = new Set(AUTOSCALE_TIME_ZONES);
  const zones = new Set<string>(['UTC']);
  for (const m of WINDOWS_TO_IANA_MAP) {
    if (m.territory !== '001' || !allowed.has(m.windowsName)) continue;
    const iana = m.iana[0];
    if (mapTimeZone(iana).ok) zones.add(iana);
  }
  return [...zones].sort();
})();

const ZONAL_REGIONS = ['westeurope', 'northeurope', 'eastus2', 'uksouth', 'japaneast', 'australiaeast'] as const;
const NON_ZONAL_REGIONS = ['northcentralus', 'westus', 'ukwest', 'westcentralus'] as const;
const SIZES = ['Standard_D2s_v5', 'Standard_D4s_v5', 'Standard_E4s_v5', 'Standard_F4s_v2', 'Standard_D2as_v5'] as const;
const SERVICE_NAMES = ['pricing', 'orders', 'search', 'cart', 'tax', 'media', 'geo', 'auth', 'ledger', 'notify'] as const;
const POOL_NAMES = ['shared', 'highmem'] as const;
const SUBSCRIPTIONS = ['7d2e4f60-1a3b-4c5d-8e9f-0a1b2c3d4e5f', '00000000-0000-0000-0000-000000000000', '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d'] as const;
const TENANT = '0b5d4a3e-2c1f-4e8d-9b7a-6f5e4d3c2b1a';
const GUIDS = ['3c9e1f0a-7b2d-4e6f-8a1c-5d4b3a2f1e0d', '11111111-2222-4333-8444-555555555555', '66666666-7777-4888-8999-aaaaaaaaaaaa'] as const;
const STORE = 'strandomreleases';
const art = (service: string, version: string) => ({ url: `https://${STORE}.blob.core.windows.net/releases/${service}/${version}.tar.gz`, sha256: 'd'.repeat(64) });
const gallery = (sub: string, image: string, version: string) => `/subscriptions/${sub}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galrandom/images/${image}/versions/${version}`;

/** Schedule windows on disjoint day groups (Mon-Wed, Fri-Sat), so two never overlap or touch. */
const DAY_GROUPS: ReadonlyArray<readonly Weekday[]> = [
  ['Monday', 'Tuesday', 'Wednesday'],
  ['Friday', 'Saturday'],
];
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Capacity of one slot, and an upgrade that keeps headroom (without surge: one instance a batch). */
const capacityAndUpgrade = fc
  .record({ min: fc.integer({ min: 2, max: 5 }), extraDefault: fc.integer({ min: 0, max: 3 }), extraMax: fc.integer({ min: 0, max: 30 }), surge: fc.boolean(), pct: fc.integer({ min: 5, max: 100 }) })
  .map(({ min, extraDefault, extraMax, surge, pct }) => {
    const def = min + extraDefault;
    const capacity = { min, default: def, max: def + extraMax };
    // without surge a batch of one instance leaves min − 1, the default peak; the policy pack allows at most 34 %
    const maxBatchPercent = surge ? pct : Math.max(5, Math.min(34, pct, Math.floor(199 / min)));
    return { capacity, upgrade: { maxBatchPercent, maxSurge: surge } };
  });

const autoscaleOf = (capMin: number, capMax: number, sub: string) =>
  fc
    .record({
      cpu: fc.option(
        fc.record({ out: fc.integer({ min: 50, max: 95 }), inn: fc.integer({ min: 5, max: 45 }), by: fc.integer({ min: 1, max: 5 }), window: fc.integer({ min: 5, max: 60 }), outCool: fc.integer({ min: 1, max: 30 }), inCool: fc.integer({ min: 5, max: 60 }) }),
        { nil: undefined },
      ),
      timeZone: fc.option(fc.constantFrom(...PROVIDER_TIME_ZONES), { nil: undefined }),
      windows: fc.array(fc.record({ start: fc.integer({ min: 0, max: 23 * 60 + 59 }), length: fc.integer({ min: 15, max: 14 * 60 }), days: fc.integer({ min: 1, max: 3 }), extraMin: fc.integer({ min: 0, max: 4 }), withMax: fc.boolean() }), { maxLength: 2 }),
      custom: fc.option(fc.record({ aggregation: fc.constantFrom('Average', 'Total', 'Maximum', 'Minimum' as const), low: fc.integer({ min: 0, max: 100 }), gap: fc.integer({ min: 1, max: 1000 }), perInstance: fc.boolean() }), { nil: undefined }),
      predictive: fc.option(fc.record({ mode: fc.constantFrom('ForecastOnly', 'Enabled' as const), lookAheadMinutes: fc.integer({ min: 1, max: 60 }) }), { nil: undefined }),
      notify: fc.boolean(),
    })
    .map(({ cpu, timeZone, windows, custom, predictive, notify }) => ({
      ...(cpu ? { cpu: { scaleOutAbovePercent: cpu.out, scaleInBelowPercent: cpu.inn, scaleOutBy: cpu.by, windowMinutes: cpu.window, scaleOutCooldownMinutes: cpu.outCool, scaleInCooldownMinutes: cpu.inCool } } : {}),
      schedules: windows.map((w, i) => {
        const min = Math.min(capMax, capMin + w.extraMin);
        return {
          name: `window-${i}`,
          days: [...DAY_GROUPS[i].slice(0, w.days)],
          start: hhmm(w.start),
          end: hhmm((w.start + w.length) % (24 * 60)),
          ...(timeZone ? { timeZone } : {}),
          min,
          ...(w.withMax ? { max: capMax } : {}),
        };
      }),
      ...(custom
        ? {
            customMetric: {
              resourceId: `/subscriptions/${sub}/resourceGroups/rg-messaging/providers/Microsoft.ServiceBus/namespaces/sb-random`,
              namespace: 'microsoft.servicebus/namespaces',
              name: 'ActiveMessages',
              aggregation: custom.aggregation,
              scaleOutAbove: custom.low + custom.gap,
              scaleInBelow: custom.low,
              perInstance: custom.perInstance,
            },
          }
        : {}),
      ...(predictive ? { predictive } : {}),
      ...(notify ? { notifyEmails: ['oncall@random.invalid'] } : {}),
    }));

/** What decides one service's own choices, before the environment's context is known. */
const serviceChoices = fc.record({
  pooled: fc.boolean(),
  flexible: fc.boolean(),
  perVm: fc.integer({ min: 1, max: 16 }),
  explicitPort: fc.boolean(),
  imageKind: fc.constantFrom('default', 'marketplace', 'gallery', 'slot-gallery' as const),
  input: fc.subarray(['front', 'vnet', 'peers'] as const, { minLength: 1 }),
  internal: fc.boolean(),
  management: fc.boolean(),
  instanceInputs: fc.integer({ min: 0, max: 2 }),
  live: fc.constantFrom('blue', 'green' as const),
  weightBasis: fc.integer({ min: 0, max: 10000 }),
  weightKind: fc.constantFrom('zero', 'some', 'all' as const),
  affinity: fc.constantFrom('default', 'cookie', 'header', 'address', 'none' as const),
  rules: fc.integer({ min: 0, max: 2 }),
  failover: fc.boolean(),
  mirror: fc.constantFrom(0, 0, 5, 100),
  park: fc.constantFrom('no', 'no', 'idle-zero', 'idle-some', 'live' as const),
  route: fc.constantFrom('default', 'hosts', 'path' as const),
  readTimeout: fc.option(fc.integer({ min: 1, max: 230 }), { nil: undefined }),
  settings: fc.boolean(),
  secret: fc.boolean(),
  certificate: fc.boolean(),
  tags: fc.boolean(),
  retired: fc.constantFrom(false, false, false, false, true),
  healthPath: fc.constantFrom(undefined, '/healthz', '/status/ready'),
  compute: capacityAndUpgrade,
  autoscaleSeed: fc.integer({ min: 0, max: 1 << 30 }),
});

/** The environment-level choices. */
const environmentChoices = fc.record({
  zonal: fc.boolean(),
  regionIndex: fc.nat(),
  sub: fc.constantFrom(...SUBSCRIPTIONS),
  space: fc.constantFrom('10.20.0.0/16', '10.128.0.0/14', '172.16.0.0/16', '192.168.0.0/16'),
  prefix: fc.constantFrom(undefined, 22, 23, 24),
  peers: fc.boolean(),
  admins: fc.boolean(),
  keys: fc.subarray([0, 1], { minLength: 1 }),
  username: fc.constantFrom(undefined, 'opsadmin', 'deploy_user'),
  entra: fc.boolean(),
  principalType: fc.constantFrom(undefined, 'ServicePrincipal', 'User', 'Group' as const),
  vault: fc.boolean(),
  https: fc.boolean(),
  frontIssuer: fc.constantFrom('self', 'DigiCert', 'imported-pem', 'external' as const),
  extraCerts: fc.subarray(['issued-ec', 'ca', 'imported-pfx', 'external'] as const),
  logAnalytics: fc.boolean(),
  softDelete: fc.option(fc.integer({ min: 7, max: 90 }), { nil: undefined }),
  stateBackend: fc.boolean(),
  frontPorts: fc.option(fc.record({ http: fc.integer({ min: 1, max: 8999 }).map((p) => (p === 22 ? 2222 : p)), https: fc.integer({ min: 9002, max: 65535 }) }), { nil: undefined }),
  frontSize: fc.constantFrom(...SIZES),
  frontCompute: fc.option(capacityAndUpgrade, { nil: undefined }),
  frontAllow: fc.subarray(['vnet', 'peers'] as const, { minLength: 1 }),
  domain: fc.option(fc.constantFrom('apps.example.internal', 'svc.corp'), { nil: undefined }),
  poll: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
  pools: fc.subarray([...POOL_NAMES]),
  poolFlexible: fc.tuple(fc.boolean(), fc.boolean()),
  poolSizes: fc.tuple(fc.constantFrom(...SIZES), fc.constantFrom(...SIZES)),
  poolCompute: fc.tuple(capacityAndUpgrade, capacityAndUpgrade),
  tags: fc.boolean(),
  rgTemplate: fc.constantFrom(undefined, 'rg-{part}-{env}', '{env}-{part}-rg'),
  names: fc.uniqueArray(fc.constantFrom(...SERVICE_NAMES), { minLength: 1, maxLength: 6 }),
  blocks: fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 8, maxLength: 8 }),
});

/** One random valid environment named `name` (2-12 lower-case characters). */
export function validEnvironment(name = 'rnd'): fc.Arbitrary<EnvironmentSpec> {
  return environmentChoices.chain((e) => fc.tuple(fc.constant(e), fc.tuple(...e.names.map(() => serviceChoices)))).chain(([e, choices]) => {
    const sub = e.sub;
    const pools = e.pools.map((p, i) => ({ name: p, flexible: e.poolFlexible[i] && !e.entra, size: e.poolSizes[i], compute: e.poolCompute[i], block: e.blocks[6 + i] }));
    const autoscales = [
      ...pools.map((p) => autoscaleOf(p.compute.capacity.min, p.compute.capacity.max, sub)),
      ...choices.map((c) => autoscaleOf(c.compute.capacity.min, c.compute.capacity.max, sub)),
    ];
    return fc.tuple(...autoscales.map((a) => a as fc.Arbitrary<unknown>)).map((as): EnvironmentSpec => build(name, e, pools, choices, as as Array<Record<string, unknown>>));
  });
}

type EnvChoices = typeof environmentChoices extends fc.Arbitrary<infer T> ? T : never;
type SvcChoices = typeof serviceChoices extends fc.Arbitrary<infer T> ? T : never;
type PoolChoice = { name: string; flexible: boolean; size: string; compute: { capacity: { min: number; default: number; max: number }; upgrade: { maxBatchPercent: number; maxSurge: boolean } }; block: number };

function build(name: string, e: EnvChoices, poolChoices: PoolChoice[], choices: SvcChoices[], autoscales: Array<Record<string, unknown>>): EnvironmentSpec {
  const sub = e.sub;
  const regions = e.zonal ? ZONAL_REGIONS : NON_ZONAL_REGIONS;
  const region = regions[e.regionIndex % regions.length];
  const vault = e.vault || e.https;
  const imported = vault && (e.frontIssuer === 'imported-pem' || e.extraCerts.includes('imported-pfx'));
  const certificates: NonNullable<EnvironmentSpec['keyVault']>['certificates'] = [];
  if (vault) {
    const front = e.frontIssuer;
    certificates.push(
      front === 'imported-pem'
        ? { name: 'front-tls', issuer: 'imported', subject: `CN=${name}.internal`, importFrom: { path: join(FIXTURE_CERT_DIR, 'legacy-partner.pem') } }
        : front === 'external'
          ? { name: 'front-tls', issuer: 'external', subject: `CN=${name}.internal` }
          : { name: 'front-tls', issuer: front, subject: `CN=${name}.internal`, dnsNames: [`${name}.internal`, `*.${name}.internal`] },
    );
    if (e.extraCerts.includes('issued-ec')) certificates.push({ name: 'svc-mtls', subject: `CN=svc.${name}.internal`, keyType: 'EC', validityMonths: 3, renewBeforeDays: 30 });
    if (e.extraCerts.includes('ca')) certificates.push({ name: 'partner', issuer: 'DigiCert', subject: 'CN=partner.example', keySize: 4096, validityMonths: 24, renewBeforeDays: 90 });
    if (e.extraCerts.includes('imported-pfx')) certificates.push({ name: 'legacy', issuer: 'imported', subject: 'CN=legacy.internal', importFrom: { path: join(FIXTURE_CERT_DIR, 'legacy-billing.pfx'), passwordEnv: 'TF_VAR_legacy_pfx_password' } });
    if (e.extraCerts.includes('external')) certificates.push({ name: 'outside', issuer: 'external', subject: 'CN=outside.internal' });
  }
  const serviceCerts = certificates.filter((c) => c.name !== 'front-tls').map((c) => c.name);
  const flexibleAllowed = !e.entra;

  const services: ServiceSpec[] = [];
  const poolsUsed = new Set<string>();
  choices.forEach((c, i) => {
    const svc = e.names[i];
    const block = e.blocks[i];
    const pool = c.pooled && poolChoices.length > 0 ? poolChoices[i % poolChoices.length] : undefined;
    if (pool) poolsUsed.add(pool.name);
    const compute = pool ? pool.compute : c.compute;
    const cap = compute.capacity;
    const flexible = !pool && c.flexible && flexibleAllowed;
    // one slot is the other's idle twin: parking it is allowed only when it receives nothing or can carry it
    const idle = c.live === 'blue' ? 'green' : 'blue';
    const park = pool ? 'no' : c.park;
    const weight = park === 'idle-zero' ? 0 : c.weightKind === 'zero' ? 0 : c.weightKind === 'all' ? 100 : c.weightBasis / 100;
    const mirror = park === 'idle-zero' ? 0 : c.mirror;
    const rules = [...Array(c.rules).keys()].map((k) => ({
      name: `rule-${k}`,
      ...(k % 2 === 0 ? { header: { name: 'X-Slot', value: `v${k}` } } : { cookie: { name: 'slot_pin', value: `v${k}` } }),
      slot: park === 'idle-zero' ? c.live : k % 2 === 0 ? idle : c.live,
    }));
    const as = autoscales[poolChoices.length + i];
    const busiest = Math.max(cap.min, ...((pool ? autoscales[poolChoices.indexOf(pool)] : as).schedules as Array<{ min: number }>).map((s) => s.min));
    const slots: Record<'blue' | 'green', Record<string, unknown>> = { blue: { version: '1.0.0' }, green: { version: '1.0.1' } };
    if (park === 'idle-zero') slots[idle].parked = { instances: 0 };
    // a parked slot carrying everything it may be sent (its full share of the busiest minimum)
    if (park === 'idle-some') slots[idle].parked = { instances: Math.max(1, busiest) };
    if (park === 'live') slots[c.live].parked = { instances: Math.max(2, busiest) };
    const image = !pool && c.imageKind === 'marketplace' ? { marketplace: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server' } } : !pool && c.imageKind === 'gallery' ? { galleryImageVersionId: gallery(sub, svc, '1.0.0') } : undefined;
    for (const slot of ['blue', 'green'] as const) {
      if (!pool && c.imageKind === 'slot-gallery') slots[slot].image = { galleryImageVersionId: gallery(sub, svc, slot === 'blue' ? '1.0.0' : '1.0.1') };
      else if (c.imageKind !== 'gallery' || pool) slots[slot].artifact = art(svc, slots[slot].version as string);
    }
    const perVm = c.perVm;
    // explicit ports above every block's default range (blocks 1-40 end below 10640)
    const port = c.explicitPort ? 20000 + block * 16 : undefined;
    const input = c.input.filter((s) => s !== 'peers' || e.peers);
    const peak = cap.max + Math.ceil((cap.max * compute.upgrade.maxBatchPercent) / 100) + 2;
    const affinity =
      c.affinity === 'cookie' ? { by: 'cookie' as const, name: 'bucket', maxAgeSeconds: 600 } : c.affinity === 'header' ? { by: 'header' as const, name: 'X-User' } : c.affinity === 'address' ? { by: 'address' as const } : c.affinity === 'none' ? { by: 'none' as const } : undefined;
    const settings: Record<string, string | { secret: string }> = {};
    if (c.settings) settings.MODE = 'production';
    if (c.secret && vault) settings.DB_PASSWORD = { secret: `${svc}-db-password` };
    services.push({
      name: svc,
      block,
      ...(port !== undefined ? { port } : {}),
      ...(c.healthPath ? { healthPath: c.healthPath } : {}),
      ...(pool ? { pool: pool.name } : { vmSize: SIZES[(block + i) % SIZES.length], capacity: cap, upgrade: compute.upgrade, autoscale: as, orchestration: flexible ? 'Flexible' : 'Uniform', ...(image ? { image } : {}) }),
      instancesPerVm: perVm,
      slots: slots as ServiceSpec['slots'],
      traffic: { live: c.live, weight, ...(affinity ? { affinity } : {}), rules, failover: park === 'idle-zero' ? false : c.failover, mirror },
      ...(c.route === 'hosts' ? { route: { hosts: [`${svc}.${name}.example`], ...(c.readTimeout ? { readTimeoutSeconds: c.readTimeout } : {}) } } : c.route === 'path' ? { route: { pathPrefix: `/${svc}/` } } : c.readTimeout ? { route: { readTimeoutSeconds: c.readTimeout } } : {}),
      endpoints: {
        input: { from: input.length > 0 ? input : ['front'] },
        internal: c.internal ? [{ name: 'gossip', port: 7946 }, { name: 'gossip-udp', port: 7946, protocol: 'Udp' }] : [],
        management: c.management && e.admins ? [{ name: 'ssh', port: 22 }] : [],
        // frontend ranges above the planned ports and the explicit ones, one per endpoint, each as wide as the slot's peak
        instanceInput: [...Array(c.instanceInputs).keys()].map((k) => ({ name: `${svc}-dbg${k}`, port: 5005 + k, frontendPortStart: 30000 + (i * 2 + k) * 1100 })).filter(() => peak <= 1100),
      },
      settings,
      certificates: c.certificate && serviceCerts.length > 0 ? [serviceCerts[i % serviceCerts.length]] : [],
      ...(c.tags ? { tags: { team: svc } } : {}),
      // a retired service on a pool leaves it; a pool's last service stays, or the pool serves nothing
      retired: c.retired && !pool,
    });
  });
  const pools = poolChoices
    .filter((p) => poolsUsed.has(p.name))
    .map((p) => ({
      name: p.name,
      block: p.block,
      vmSize: p.size,
      capacity: p.compute.capacity,
      upgrade: p.compute.upgrade,
      autoscale: autoscales[poolChoices.indexOf(p)],
      orchestration: p.flexible ? ('Flexible' as const) : ('Uniform' as const),
      tags: { pool: p.name },
    }));
  const suppressions = imported
    ? certificates
        .filter((c) => c.issuer === 'imported')
        .map((c) => ({ rule: 'ASE-KV-002', resource: `${name}-vault:azurerm_key_vault_certificate.certificate-${c.name}_certificate`, reason: 'generated fixture: an imported certificate, renewed by whoever imports it' }))
    : [];
  return {
    name,
    subscriptionId: sub,
    tenantId: TENANT,
    region,
    ...(e.rgTemplate ? { resourceGroupName: e.rgTemplate } : {}),
    ...(e.tags ? { tags: { owner: 'random-team' }, requiredTags: ['owner'] } : {}),
    network: {
      addressSpace: e.space,
      ...(e.prefix ? { subnetPrefixLength: e.prefix } : {}),
      peerRanges: e.peers ? ['10.250.0.0/16'] : [],
      adminRanges: e.admins ? ['10.251.0.0/24'] : [],
    },
    admin: {
      ...(e.username ? { username: e.username } : {}),
      sshPublicKeys: e.keys.map((k) => SSH_KEYS[k]),
      ...(e.entra ? { entraIdLogin: { adminGroupObjectId: GUIDS[1], userGroupObjectId: GUIDS[2] } } : {}),
    },
    deployer: { principalId: GUIDS[0], ...(e.principalType ? { principalType: e.principalType } : {}), ipRanges: ['203.0.113.0/28'] },
    artifactStore: { storageAccountId: `/subscriptions/${sub}/resourceGroups/rg-releases/providers/Microsoft.Storage/storageAccounts/${STORE}` },
    ...(vault
      ? {
          keyVault: {
            ...(e.softDelete ? { softDeleteRetentionDays: e.softDelete } : {}),
            certificates,
            contacts: ['platform@random.invalid'],
            ...(e.logAnalytics ? { logAnalyticsWorkspaceId: `/subscriptions/${sub}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-random` } : {}),
          },
        }
      : {}),
    policy: { suppressions },
    ...(e.stateBackend ? { stateBackend: { resourceGroupName: `rg-${name}-tfstate`, storageAccountName: `st${name}tfstate`.slice(0, 24) } } : {}),
    front: {
      vmSize: e.frontSize,
      ...(e.frontCompute ? { capacity: e.frontCompute.capacity, upgrade: e.frontCompute.upgrade } : {}),
      ...(e.frontPorts ? { ports: e.frontPorts } : {}),
      allowFrom: e.frontAllow.filter((s) => s !== 'peers' || e.peers).length > 0 ? e.frontAllow.filter((s) => s !== 'peers' || e.peers) : ['vnet'],
      ...(e.domain ? { domain: e.domain } : {}),
      ...(e.https ? { tlsCertificate: 'front-tls' } : {}),
      ...(e.poll ? { tablePollSeconds: e.poll } : {}),
    },
    pools,
    services,
  };
}

/** Environments named 'rnd<index>', deterministic for a seed. */
export function sampleValidEnvironments(n: number, seed: number): EnvironmentSpec[] {
  return fc.sample(fc.nat(), { numRuns: n, seed }).map((_, i) => fc.sample(validEnvironment(`rnd${i}`), { numRuns: 1, seed: seed + i })[0]);
}

/** One random environment synthesized into its own folder. */
export interface WrittenEnvironment {
  /** The environment's name. */
  readonly name: string;
  /** Its cdktf output folder (`stacks/<stack>/cdk.tf.json` under it). */
  readonly outdir: string;
  /** Whether it validated and synthesized. */
  readonly ok: boolean;
  /** Its stacks, in deploy order. */
  readonly stacks: readonly string[];
  /** What failed, when not ok. */
  readonly error?: string;
  /** The spec, for a report. */
  readonly spec: EnvironmentSpec;
}

/**
 * Synthesizes `n` random valid environments (deterministic for `seed`) into `<dir>/random-NN/`,
 * one folder each, after writing the imported certificates' files Terraform reads: what the
 * `terraform validate` runner walks. Never throws for a spec that fails; it says so in the result.
 */
export function writeRandomEnvironments(dir: string, n = 24, seed = 20261202): WrittenEnvironment[] {
  writeFixtureCertificates();
  mkdirSync(resolve(dir), { recursive: true });
  return sampleValidEnvironments(n, seed).map((spec, i) => {
    const outdir = join(resolve(dir), `random-${String(i).padStart(2, '0')}`);
    rmSync(outdir, { recursive: true, force: true });
    try {
      const r = synthesize([{ file: `${spec.name}.ts`, spec, issues: [] }], outdir, { projectRoot: resolve(__dirname, '..', '..') });
      return r.ok ? { name: spec.name, outdir, ok: true, stacks: r.stacks, spec } : { name: spec.name, outdir, ok: false, stacks: [], error: formatProblems(r.problems, dir), spec };
    } catch (e) {
      return { name: spec.name, outdir, ok: false, stacks: [], error: e instanceof Error ? (e.stack ?? e.message) : String(e), spec };
    }
  });
}
