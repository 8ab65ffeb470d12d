/**
 * The environment spec: the one source for run-time validation (zod), the TypeScript types
 * (`EnvironmentSpec` for what a user writes, `Environment` for the spec with defaults applied)
 * and the JSON Schema for editors (`npm run schema`, see `json-schema.ts`).
 *
 * This file holds shapes, ranges and defaults only. Rules that compare fields (overlaps,
 * collisions, fits, derived names) live in `validate.ts`, which sees every problem at once.
 * No cdktf import here: the spec loads in a millisecond and is testable alone.
 */
import { z } from 'zod';
import {
  DEFAULT_FRONT_PORTS,
  DEFAULT_SUBNET_PREFIX_LENGTH,
  MAX_INSTANCES_PER_VM,
  NAME_PATTERN,
  PORT_MAX,
  PORT_MIN,
} from './constants';

/** A lower-case name: letters, digits, single hyphens; starts with a letter, ends with a letter or digit. */
const name = (what: string) =>
  z.string().regex(NAME_PATTERN, { message: `${what}: lower-case letters, digits and single hyphens; starts with a letter, ends with a letter or digit` });

const cidr = z.cidrv4();

const port = z.number().int().min(PORT_MIN).max(PORT_MAX);

/** The two deployment slots of every service. */
/**
 * The idle timeout of the internal load balancers a request crosses (the front's, then its slot's):
 * `InternalLoadBalancer`'s default, 4 minutes, which neither the front nor the slots override.
 */
export const LB_IDLE_TIMEOUT_SECONDS = 240;
/** The longest `route.readTimeoutSeconds` that works: below the LBs' idle timeout, with 10 s to spare. */
export const READ_TIMEOUT_MAX_SECONDS = LB_IDLE_TIMEOUT_SECONDS - 10;

/** The two deployment slots of every service. */
export const SLOT_NAMES = ['blue', 'green'] as const;
/** 'blue' or 'green'. */
export type SlotName = (typeof SLOT_NAMES)[number];

export const ENDPOINT_SOURCES = ['front', 'vnet', 'peers'] as const;
export type EndpointSource = (typeof ENDPOINT_SOURCES)[number];

export const CapacitySchema = z
  .strictObject({
    /** Fewest instances autoscale may leave running. At least 2: one zone or fault domain can fail. */
    min: z.number().int().min(2).describe('Fewest instances autoscale may leave running (>= 2).'),
    /** Instances when autoscale has no data, and at creation. */
    default: z.number().int().min(2).describe('Instances when autoscale has no data, and at creation.'),
    /** Most instances autoscale may run; sizes the subnet. */
    max: z.number().int().min(2).max(1000).describe('Most instances autoscale may run; sizes the subnet.'),
  })
  .describe('Instance counts for one slot: min <= default <= max.');

export const MarketplaceImageSchema = z.strictObject({
  /** e.g. 'Canonical'. */
  publisher: z.string().min(1),
  /** e.g. '0001-com-ubuntu-server-jammy'. */
  offer: z.string().min(1),
  /**
   * e.g. '22_04-lts-gen2'. Uniform scale sets run with trusted launch, which needs a generation-2
   * image: Canonical's '-gen2' SKUs (for 24.04, 'server'); the synth refuses known Gen1 SKUs.
   */
  sku: z.string().min(1),
  /** @default 'latest' */
  version: z.string().min(1).default('latest'),
});

export const ImageSchema = z
  .strictObject({
    /** A marketplace image. */
    marketplace: MarketplaceImageSchema.optional(),
    /**
     * A shared image gallery version, by resource ID. On a Uniform scale set (trusted launch) its
     * image definition must be generation 2 (`hyper_v_generation` V2) with a security type that
     * allows trusted launch: the synth cannot read the gallery, Azure refuses it at apply.
     */
    galleryImageVersionId: z
      .string()
      .regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/galleries\/[^/]+\/images\/[^/]+\/versions\/[^/]+$/i, {
        message: 'a shared image gallery version ID (/subscriptions/…/galleries/G/images/I/versions/V)',
      })
      .optional(),
  })
  .describe('The VM image: exactly one of marketplace or galleryImageVersionId.');

export const ArtifactSchema = z
  .strictObject({
    /** HTTPS URL of a .tar.gz holding bin/start; fetched by the VM with its managed identity (Azure Blob Storage). */
    url: z.string().regex(/^https:\/\/[^\s]+$/, { message: 'an https:// URL' }),
    /** SHA-256 of the file, lower-case hex; the VM refuses a file that does not match. */
    sha256: z.string().regex(/^[a-f0-9]{64}$/, { message: 'a SHA-256 digest: 64 lower-case hex characters' }),
  })
  .describe('An application release the VM downloads and verifies at boot.');

/** An OS patch label: any change of it re-resolves a slot's image version (docs/patching.md). */
export const OsPatchSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: "a patch label: letters, digits, . _ -; at most 64 characters, e.g. '2026-12'" });

export const SlotSchema = z
  .strictObject({
    /** The application version this slot runs (a release tag). */
    version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, { message: 'a release tag: letters, digits, . _ + -; at most 64 characters' }),
    /** The release to download, when the version is not baked into the image. @default - the image holds /opt/<service>/bin/start */
    artifact: ArtifactSchema.optional(),
    /** The slot's own image, when the version is baked into one. @default - the service's image */
    image: ImageSchema.optional(),
    /**
     * The slot's OS patch label (docs/patching.md). A marketplace image at 'latest' is resolved
     * to a version when the slot's scale set is created and kept, so a scale-out boots what its
     * siblings run; changing this label (e.g. '2026-12') resolves the SKU's newest version again
     * at the next apply, and the slot's rolling upgrade moves its VMs onto it, health-gated. Bump
     * it on the idle slot, then swap: a zero-downtime OS upgrade the review shows as such.
     * Services on a pool set the pool's `osPatch`. @default - none: the version resolved at creation
     */
    osPatch: OsPatchSchema.optional(),
    /**
     * Park this slot at a fixed instance count instead of autoscaling it (an idle slot between
     * releases; 0 stops it). Traffic the slot would receive (live, a ramp weight, a pin rule,
     * mirroring, failover) must fit: the synth refuses a step its parked count cannot carry.
     * Services on a pool cannot park (the pool's VMs are shared). @default - warm: autoscaled like a live slot
     */
    parked: z
      .strictObject({
        /** The fixed instance count (0 stops the slot). */
        instances: z.number().int().min(0).max(1000),
      })
      .optional(),
  })
  .describe('One deployment slot: the version it runs, its artifact or image, and whether it is parked.');

/** An HTTP header name (RFC 9110 token). */
const headerName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, { message: 'an HTTP header name: letters, digits and hyphens, e.g. X-Slot' });
/** A cookie name nginx can read as $cookie_<name>: letters, digits, underscores. */
const cookieName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, { message: 'a cookie name: letters, digits and underscores, starting with a letter' });
const matchValue = z.string().regex(/^[\x21-\x7e]{1,256}$/, { message: 'a value of 1-256 visible ASCII characters, no spaces' });

export const PinRuleSchema = z
  .strictObject({
    /** Lower-case rule name, shown in the access log and the review. */
    name: name('a rule name').max(32),
    /** Match requests carrying this header with exactly this value. */
    header: z
      .strictObject({
        /** The header's name (matched case-insensitively). */
        name: headerName,
        /** The exact value. */
        value: matchValue,
      })
      .optional(),
    /** Match requests carrying this cookie with exactly this value. */
    cookie: z
      .strictObject({
        /** The cookie's name. */
        name: cookieName,
        /** The exact value. */
        value: matchValue,
      })
      .optional(),
    /** The slot matching requests go to, whatever the weights say. */
    slot: z.enum(SLOT_NAMES),
  })
  .describe('Pins requests to a slot by header or cookie (testers, A/B); exactly one of header or cookie. The first matching rule wins.');

export const AffinitySchema = z
  .discriminatedUnion('by', [
    z.strictObject({
      /** A random ID the front gives each new client in a cookie. */
      by: z.literal('cookie'),
      /** The cookie's name. @default 'slot_affinity' */
      name: cookieName.default('slot_affinity'),
      /** How long the client keeps its assignment. @default 86400 */
      maxAgeSeconds: z.number().int().min(60).max(31_536_000).default(86_400),
    }),
    z.strictObject({
      /** An ID the client sends in a header (e.g. a user ID). */
      by: z.literal('header'),
      /** The header's name. */
      name: headerName,
    }),
    z.strictObject({
      /** The client's IP address. */
      by: z.literal('address'),
    }),
    z.strictObject({
      /** Each request is drawn afresh. */
      by: z.literal('none'),
    }),
  ])
  .describe(
    "How a client keeps its slot during a ramp. 'cookie': the front gives each new client a random ID in a cookie; 'header': an ID the client sends (e.g. a user ID); 'address': the client's IP; 'none': each request is drawn afresh. An ID's bucket is fixed, so a client moved to the new slot stays there as the weight grows.",
  );

/**
 * The front's guard of a ramp and a swap (docs/guard.md): every front VM compares the new slot
 * with the good one over a window and, when the new one is worse by a margin, moves its share back
 * (or holds it). It never sends more traffic to a slot than the table declares.
 */
export const GuardSchema = z
  .strictObject({
    /**
     * The judged slot trips when its error rate (5xx answers, and requests it could not take)
     * passes the good slot's by more than this many percentage points. @default 5
     */
    errorRateMargin: z.number().min(0.1).max(100).default(5),
    /**
     * The judged slot trips when its mean request time is more than this many times the good
     * slot's, and at least `latencyMarginMs` more. @default 2
     */
    latencyRatio: z.number().min(1.1).max(100).default(2),
    /** The least difference of mean request times that trips, so fast services never trip on a millisecond. @default 20 */
    latencyMarginMs: z.number().int().min(0).max(60_000).default(20),
    /** Requests the judged slot must serve in the window (on each front VM) before it is judged: a quiet service never trips on noise. @default 100 */
    minRequests: z.number().int().min(10).max(1_000_000).default(100),
    /** The window both slots are measured over (a multiple of 5). @default 60 */
    windowSeconds: z.number().int().min(10).max(600).multipleOf(5, { message: 'a multiple of 5 (the front counts in 5 s buckets)' }).default(60),
    /**
     * 'rollback': the judged slot's unpinned requests go to the good slot at once. 'hold': the
     * judged slot keeps the weight it had when it tripped, and a later, higher weight waits (after
     * a swap nothing moves: the trip is an alert). @default 'rollback'
     */
    action: z.enum(['rollback', 'hold']).default('rollback'),
    /** After a swap, the new live slot is judged against the one live before for this long (0: not at all). @default 10 */
    bakeMinutes: z.number().int().min(0).max(1440).default(10),
    /**
     * A trip holds until either slot runs another version, `live` moves away from the good slot,
     * or this block changes: raise `attempt` to judge the same version again. @default 1
     */
    attempt: z.number().int().min(1).max(1_000_000).default(1),
  })
  .describe("The front's guard: it judges the new slot against the good one during a ramp and after a swap, and moves traffic back when it is worse.");

export const TrafficSchema = z
  .strictObject({
    /** The slot that receives all traffic not pinned elsewhere. */
    live: z.enum(SLOT_NAMES).describe('The slot that serves traffic.'),
    /**
     * Percent of unpinned requests sent to the other slot: a staged ramp is a PR per step
     * (0 → 10 → 50 → 100), then the swap (`live` flips, weight back to 0). Two decimals at most.
     * @default 0
     */
    weight: z
      .number()
      .min(0)
      .max(100)
      // w * 100 is not exact in binary floating point (0.07 * 100 = 7.000000000000001)
      .refine((w) => Math.abs(Math.round(w * 100) - w * 100) < 1e-6, { message: 'at most two decimals (the front draws from 10,000 buckets)' })
      .default(0),
    /** @default { by: 'cookie', name: 'slot_affinity', maxAgeSeconds: 86400 } */
    affinity: AffinitySchema.default({ by: 'cookie', name: 'slot_affinity', maxAgeSeconds: 86_400 }),
    /** Requests pinned to a slot by header or cookie; they win over the weight. @default - none */
    rules: z.array(PinRuleSchema).default([]),
    /**
     * When every backend of the chosen slot fails (connect error or timeout, about a second), the
     * front sends the request to the other slot: the automatic way back. @default true
     */
    failover: z.boolean().default(true),
    /**
     * Percent of requests served by the live slot also copied to the other slot, responses
     * discarded, to warm its caches before a ramp (seed 001). @default 0
     */
    mirror: z.number().int().min(0).max(100).default(0),
    /**
     * A service in several regions (`regions`): which region serves the requests that reach any
     * region's front. Each front serves its own region's share from its slots and sends the rest
     * to the other regions' fronts over VNet peering, with the same run-time table as the slots
     * (no DNS change, no reload): a region shift is a PR per step, like a ramp.
     * @default - every request served by the first of the service's regions
     */
    regions: z
      .strictObject({
        /** Percent (two decimals) per region name, adding up to 100. */
        shares: z.record(
          z.string(),
          z
            .number()
            .min(0)
            .max(100)
            .refine((w) => Math.abs(Math.round(w * 100) - w * 100) < 1e-6, { message: 'at most two decimals (the front draws from 10,000 buckets)' }),
        ),
        /** When a region has no healthy slot for the service, another region serves it. @default true */
        failover: z.boolean().default(true),
      })
      .optional(),
    /**
     * The front judges a ramp's new slot (and, after a swap, the new live slot) against the good
     * one and moves traffic back when it fails (docs/guard.md); `{}` takes every default.
     * @default - none: the front routes as the table says
     */
    guard: GuardSchema.optional(),
  })
  .describe('Where requests go: the live slot, a ramp weight, pin rules, affinity, failover, mirroring.');

export const RouteSchema = z
  .strictObject({
    /** Host names (the Host header) the front serves this service on. @default - ['<service>.<front.domain>'] */
    hosts: z.array(z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, { message: 'a lower-case DNS name' })).min(1).optional(),
    /** Serve under this path prefix on the front's default server (any host no service claims by name) instead; the path is passed on unchanged. @default - by host name */
    pathPrefix: z.string().regex(/^\/[a-z0-9][a-z0-9._-]*\/$/, { message: "a path prefix such as '/pricing/' (lower-case, one segment, leading and trailing /)" }).optional(),
    /**
     * Longest time the front waits for a response, at most 230 s (`READ_TIMEOUT_MAX_SECONDS`): both
     * load balancers on the way (the front's and the slot's) reset a flow idle for 4 minutes.
     * @default 60
     */
    readTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(READ_TIMEOUT_MAX_SECONDS, {
        message: `the front's and the slot's load balancers reset a connection idle for ${LB_IDLE_TIMEOUT_SECONDS / 60} minutes (their idle timeout), so a longer wait ends in a reset (502, and an idempotent request sent twice); answer sooner, or stream or poll for long jobs`,
      })
      .default(60),
  })
  .describe('How the front recognises requests for this service: host names, or a path prefix.');

export const EndpointPortSchema = z.strictObject({
  /** A short name for the rule (lower-case). */
  name: name('an endpoint name').max(24),
  /** Any port: endpoints are not planned, so SSH's 22 is fine here. */
  port: z.number().int().min(1).max(PORT_MAX),
  /** @default 'Tcp' */
  protocol: z.enum(['Tcp', 'Udp']).default('Tcp'),
});

export const EndpointsSchema = z
  .strictObject({
    /**
     * Who may reach the service's planned ports. 'front': the nginx front only (callers use the
     * front's address, so traffic plans apply); 'vnet': any subnet of this VNet; 'peers': the
     * declared peer ranges.
     * @default ['front']
     */
    input: z
      .strictObject({
        /** The allowed callers. @default ['front'] */
        from: z.array(z.enum(ENDPOINT_SOURCES)).min(1).default(['front']),
      })
      .prefault({}),
    /** Ports only this service's own instances reach each other on (same subnet). @default - none */
    internal: z.array(EndpointPortSchema).default([]),
    /** Ports reachable only from `network.adminRanges` (e.g. SSH). @default - none */
    management: z.array(EndpointPortSchema).default([]),
    /**
     * Instance input endpoints (seed 000): the slot's load balancer forwards frontend port
     * `frontendPortStart + k` to `port` on the k-th VM, so one instance can be reached (debugging,
     * per-instance admin). Reachable from the VNet only. @default - none
     */
    instanceInput: z
      .array(
        z.strictObject({
          /** Lower-case endpoint name, unique in the service. */
          name: name('an endpoint name').max(24),
          /** The port on each VM. */
          port: z.number().int().min(1).max(PORT_MAX),
          /** First frontend port; the range holds one port per instance (max plus surge). */
          frontendPortStart: z.number().int().min(1).max(PORT_MAX),
        }),
      )
      .default([]),
  })
  .describe('Endpoint declarations; the NSG rules are derived from them.');

export const UpgradeSchema = z
  .strictObject({
    /** Largest share of instances upgraded at once, in percent (at least one instance). @default 20 */
    maxBatchPercent: z.number().int().min(5).max(100).default(20),
    /**
     * Create each batch's new instances before taking old ones down, so a batch never lowers
     * capacity (needs overprovisioning off, which the library sets). @default true
     */
    maxSurge: z.boolean().default(true),
    /**
     * Instances' worth of load at the declared peak. Without surge, the instances left while one
     * batch is down must carry it. A service in several regions: the whole service's peak, of
     * which each region's minimum carries its share (docs/regions.md).
     * @default - capacity.min − 1 (one instance may be down)
     */
    peakLoadInstances: z.number().int().min(1).optional(),
  })
  .describe('Rolling upgrade settings.');

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "a time of day as HH:MM (24-hour), e.g. '08:00'" });

export const ScheduleSchema = z
  .strictObject({
    /** Lower-case name; names the autoscale profile. */
    name: name('a schedule name').max(30),
    /** Days the window opens on. */
    days: z.array(z.enum(WEEKDAYS)).min(1),
    /** Start of the window, local time. */
    start: clock,
    /** End of the window, local time; before `start` means the next day. */
    end: clock,
    /** IANA time zone, e.g. 'Europe/Amsterdam' (mapped to Azure's Windows names). @default 'UTC' */
    timeZone: z.string().default('UTC'),
    /** Minimum instances during the window. */
    min: z.number().int().min(2),
    /** @default - capacity.max */
    max: z.number().int().min(2).optional(),
  })
  .describe("A time window with a higher floor, e.g. weekdays 08:00-20:00 Europe/Amsterdam: min 6.");

export const AutoscaleSchema = z
  .strictObject({
    /** The CPU rules every profile carries. @default - out above 70 % by 2, in below 30 % by 1 */
    cpu: z
      .strictObject({
        /** @default 70 */
        scaleOutAbovePercent: z.number().int().min(1).max(100).default(70),
        /** @default 30 */
        scaleInBelowPercent: z.number().int().min(0).max(99).default(30),
        /** Instances added per scale-out step. @default 2 */
        scaleOutBy: z.number().int().min(1).max(100).default(2),
        /** Average over this window, in minutes (Azure: 5-720). @default 5 */
        windowMinutes: z.number().int().min(5).max(720).default(5),
        /** Wait after a scale-out (Azure: 1-10080). @default 5 */
        scaleOutCooldownMinutes: z.number().int().min(1).max(10080).default(5),
        /** Wait after a scale-in; longer than out, so a dip does not undo a scale-out. @default 10 */
        scaleInCooldownMinutes: z.number().int().min(1).max(10080).default(10),
      })
      .prefault({}),
    /** Windows with a higher minimum. @default - none */
    schedules: z.array(ScheduleSchema).default([]),
    /** A workload metric that also scales out and in (queue depth, requests per instance). @default - none */
    customMetric: z
      .strictObject({
        /** The Azure resource that emits the metric (e.g. a Service Bus namespace, or one of its queues). */
        resourceId: z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/.+/i, { message: 'an Azure resource ID (/subscriptions/…/resourceGroups/…/providers/…)' }),
        /**
         * Metric namespace, e.g. 'microsoft.servicebus/namespaces'. Leave it out for autoscale's
         * own per-entity metrics, e.g. 'ActiveMessageCount' on a Service Bus queue's resource ID
         * (docs/workers.md). @default - none
         */
        namespace: z.string().min(1).optional(),
        /** Metric name, e.g. 'ActiveMessages'. */
        name: z.string().min(1),
        /**
         * Only the metric's series whose dimension has one of these values, by dimension name: e.g.
         * `{ EntityName: ['gifts'] }` for one queue of a Service Bus namespace (without it,
         * `ActiveMessages` counts every queue and topic of the namespace). @default - none
         */
        dimensions: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)).optional(),
        /** @default 'Average' */
        aggregation: z.enum(['Average', 'Total', 'Maximum', 'Minimum']).default('Average'),
        /** Scale out above this value. */
        scaleOutAbove: z.number(),
        /** Scale in below this value (below scaleOutAbove). */
        scaleInBelow: z.number(),
        /** Divide by the instance count (per-instance load). @default false */
        perInstance: z.boolean().default(false),
      })
      .optional(),
    /** Predictive autoscale (CPU only; needs 7 days of history). @default - off */
    predictive: z
      .strictObject({
        /** 'ForecastOnly' records forecasts without scaling. @default 'ForecastOnly' */
        mode: z.enum(['ForecastOnly', 'Enabled']).default('ForecastOnly'),
        /** @default 10 */
        lookAheadMinutes: z.number().int().min(1).max(60).default(10),
      })
      .optional(),
    /** Who hears of each scale action. @default - no one */
    notifyEmails: z.array(z.email()).default([]),
  })
  .describe('Autoscale: CPU rules out and in, scheduled minimums, predictive mode, notifications.');

export const ServiceSchema = z
  .strictObject({
    /** The service's name: lower-case; flows into resource, stack and subnet names. */
    name: name('a service name').min(2).max(63).describe('Lower-case service name; flows into resource names.'),
    /**
     * The service's permanent place in the environment's address and port plans: its subnet is
     * block N of the address space, its load-balancer frontend IPs and its default ports follow
     * from N. Never reuse a removed service's block while its resources exist; never change it.
     */
    block: z.number().int().min(1).max(4093).describe('Permanent plan index: fixes subnet, frontend IPs and default ports. Never change it.'),
    /**
     * First port of the service on each VM; instance i listens on port + i.
     * @default - planned from the block: 10000 + 16 × (block − 1)
     */
    port: port.optional(),
    /** Path the load balancer and health extension probe, on every planned port. @default '/health' */
    healthPath: z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, { message: "an absolute URL path such as '/health'" }).default('/health'),
    /**
     * The node pool this service runs on (environment `pools`), sharing its VMs with the pool's
     * other services, each on its own planned ports. Without it, each slot has its own scale set.
     * @default - its own scale sets
     */
    pool: z.string().optional(),
    /** VM size for both slots (Azure's name, e.g. Standard_D2s_v5); required without a pool. */
    vmSize: z.string().regex(/^Standard_[A-Za-z0-9_]+$/, { message: "an Azure VM size name such as 'Standard_D2s_v5'" }).optional(),
    /** Instance counts of each slot; required without a pool. */
    capacity: CapacitySchema.optional(),
    /**
     * Key Vault certificates (`keyVault.certificates[].name`) the service's VMs receive through the
     * Key Vault VM extension, polled so renewals arrive by themselves, and published to
     * `/etc/<service>/certs/<name>.pem` (`CERTS_DIR`) before an instance starts. @default - none
     */
    certificates: z.array(z.string().regex(/^[A-Za-z0-9-]{1,127}$/, { message: 'a Key Vault certificate name' })).default([]),
    /** Instances of the service on each VM, each on its own planned port. @default 1 */
    instancesPerVm: z.number().int().min(1).max(MAX_INSTANCES_PER_VM).default(1),
    /** The image both slots use unless a slot names its own. @default - Ubuntu 22.04 LTS (marketplace) */
    image: ImageSchema.optional(),
    /** The two deployment slots. */
    slots: z
      .strictObject({
        /** The blue slot. */
        blue: SlotSchema,
        /** The green slot. */
        green: SlotSchema,
      })
      .describe('The two deployment slots.'),
    /** Where the front sends the service's requests: the live slot, a ramp weight, pin rules. */
    traffic: TrafficSchema,
    /**
     * The regions the service runs in, by name: any of the environment's `region` and
     * `otherRegions`, each with both slots at `capacity` unless `regionCapacity` names it.
     * @default - the environment's `region` only
     */
    regions: z.array(z.string().min(1)).min(1).optional(),
    /**
     * Regions of `regions` the service is retired in: the first of two changes that take it out of
     * a region (docs/regions.md), as `retired` is for the whole service. Its stacks there stay
     * with no resources, so `cdktf deploy` destroys its scale sets there, and no front routes to
     * it there. Once deployed, remove the region from both lists. @default - none
     */
    retiredIn: z.array(z.string().min(1)).optional(),
    /**
     * Instance counts of each slot in another of the service's regions, by region name, where they
     * differ from `capacity` (which is the first region's, and every other region's by default).
     * Each region's minimum must carry its share (`traffic.regions`) of `upgrade.peakLoadInstances`,
     * the whole service's peak (docs/regions.md). @default - `capacity` in every region
     */
    regionCapacity: z.record(z.string(), CapacitySchema).optional(),
    /** @default - by host name '<service>.<front.domain>' */
    route: RouteSchema.prefault({}),
    /** Who may reach the service's ports. @default - the front only */
    endpoints: EndpointsSchema.prefault({}),
    /** Rolling upgrades. @default - batches of 20 %, with surge */
    upgrade: UpgradeSchema.prefault({}),
    /** Autoscale. @default - the CPU rules, no schedules */
    autoscale: AutoscaleSchema.prefault({}),
    /**
     * Scale set orchestration. 'Uniform': identical instances from one model, placement groups
     * past 100 instances, trusted launch. 'Flexible': each VM a standalone resource, Azure's
     * direction for new scale sets. Both are gated by the VM health extension. Fixed at creation:
     * changing it replaces the scale sets.
     * @default 'Uniform'
     */
    orchestration: z.enum(['Uniform', 'Flexible']).default('Uniform'),
    /**
     * Accept a change that replaces this service's scale sets (orchestration, rolling upgrade
     * policy, or the region's zones): the synth otherwise refuses it, comparing with the
     * environment's lock file. Set it for that one change, then remove it.
     * @default false
     */
    allowReplacement: z.boolean().default(false),
    /**
     * Environment variables for every instance: a value, or `{ secret: '<name>' }` for a secret in
     * the environment's Key Vault (fetched when an instance starts). @default - none
     */
    settings: z
      .record(
        z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: 'an environment variable name: upper-case letters, digits, _' }),
        z.union([
          z.string(),
          /** A Key Vault secret of the environment's vault: fetched by the VM with its identity when an instance starts, never in the repository or custom data. */
          z.strictObject({
            /** The secret's name in the environment's vault. */
            secret: z.string().regex(/^[A-Za-z0-9-]{1,127}$/, { message: 'a Key Vault secret name: 1-127 letters, digits, hyphens' }),
          }),
        ]),
      )
      .default({}),
    /** Tags added to this service's resources. @default - none */
    tags: z.record(z.string(), z.string()).default({}),
    /**
     * Retire the service, the first of two steps (docs/lifecycle.md). The front stops routing to it
     * and its stack stays in the synth with no resources, so `cdktf deploy` destroys its scale sets,
     * load balancers and autoscale (a service on a pool leaves the pool's VMs). Its subnet, NSG and
     * identities stay until the entry is removed, in a later change, once this one is deployed.
     * Removing an entry that is not retired is refused. @default false
     */
    retired: z.boolean().default(false),
  })
  .describe('A service: two slots of scale sets behind the front.');

/** Fields a service on a pool takes from the pool, and may not set itself. */
export const POOL_OWNED_FIELDS = ['vmSize', 'capacity', 'upgrade', 'autoscale', 'orchestration', 'allowReplacement', 'image'] as const;

export const PoolSchema = z
  .strictObject({
    /** Lower-case pool name; flows into resource and stack names. */
    name: name('a pool name').min(2).max(40),
    /** The pool's permanent place in the address plan (its subnet); shares numbering with service blocks. */
    block: z.number().int().min(1).max(4093),
    /** e.g. a high-CPU (F) or high-memory (E) size (seed 002). */
    vmSize: z.string().regex(/^Standard_[A-Za-z0-9_]+$/, { message: "an Azure VM size name such as 'Standard_D2s_v5'" }),
    /** Instance counts of each slot. */
    capacity: CapacitySchema,
    /** Rolling upgrades. @default - batches of 20 %, with surge */
    upgrade: UpgradeSchema.prefault({}),
    /** Autoscale. @default - the CPU rules, no schedules */
    autoscale: AutoscaleSchema.prefault({}),
    /** @default 'Uniform' */
    orchestration: z.enum(['Uniform', 'Flexible']).default('Uniform'),
    /** @default false */
    allowReplacement: z.boolean().default(false),
    /** @default - Ubuntu 22.04 LTS */
    image: ImageSchema.optional(),
    /**
     * Each slot's OS patch label, as a service's `slots.<slot>.osPatch` (docs/patching.md): a change
     * re-resolves that slot's image version at the next apply. @default - none: the versions resolved at creation
     */
    osPatch: z
      .strictObject({
        /** The blue slot's label. */
        blue: OsPatchSchema.optional(),
        /** The green slot's label. */
        green: OsPatchSchema.optional(),
      })
      .optional(),
    /** @default - none */
    tags: z.record(z.string(), z.string()).default({}),
    /**
     * Retire the pool, the first of two steps (docs/lifecycle.md): its stack stays in the synth with
     * no resources, so `cdktf deploy` destroys its scale sets; its subnet, NSG and identities stay
     * until the entry is removed in a later change. Every service on it must be retired too (or
     * moved off it). @default false
     */
    retired: z.boolean().default(false),
  })
  .describe('A node pool (seed 002): VMs of one size that several services share, each slot a scale set.');

export const CertificateSchema = z
  .strictObject({
    /** The certificate's name in the vault (letters, digits, hyphens). */
    name: z.string().regex(/^[A-Za-z0-9-]{1,127}$/, { message: 'a Key Vault object name: 1-127 letters, digits, hyphens' }),
    /**
     * Who issues it. 'self': self-signed (Key Vault renews it). An integrated CA issuer's name as
     * configured in the vault (e.g. 'DigiCert'; Key Vault renews it). 'imported': brought from a
     * file outside the repository; Key Vault cannot renew it (contacts get expiry notices); its
     * private key lands in the vault stack's Terraform state. 'external': imported outside
     * Terraform (`az keyvault certificate import`), only read by the synth (the plan fails while
     * it is missing), so no key reaches the state (docs/state.md); renewal is the importer's.
     * @default 'self'
     */
    issuer: z.string().regex(/^[A-Za-z0-9-]{1,127}$/, { message: "'self', 'imported', 'external' or an issuer name configured in the vault" }).default('self'),
    /** For 'imported': a PKCS#12 (.pfx, .p12) or PEM (.pem) file outside the repository, read by Terraform at plan time. */
    importFrom: z
      .strictObject({
        /**
         * Absolute path of the file. Its extension gives the format: `.pfx` or `.p12` (PKCS#12,
         * content type `application/x-pkcs12`) or `.pem` (certificate and PKCS#8 private key,
         * `application/x-pem-file`).
         */
        path: z.string().regex(/^\/[^\s"'\\$%{}]*$/, { message: 'an absolute path outside the repository, without spaces, quotes, backslashes, $, % or braces' }),
        /**
         * For a password-protected PKCS#12 file: the environment variable Terraform reads the
         * password from, `TF_VAR_<name>`. The synth declares the sensitive Terraform variable
         * `<name>`; the password is never in the spec or the synthesized output, but the provider
         * stores it in the vault stack's Terraform state. @default - no password
         */
        passwordEnv: z.string().regex(/^TF_VAR_[A-Za-z_][A-Za-z0-9_]{0,63}$/, { message: "an environment variable Terraform reads, 'TF_VAR_<name>' (letters, digits, _)" }).optional(),
      })
      .optional(),
    /** e.g. 'CN=pricing.retail.internal'. */
    subject: z.string().regex(/^CN=.+/, { message: "an X.500 subject starting with 'CN=', e.g. 'CN=pricing.retail.internal'" }),
    /** Subject alternative names. @default - none */
    dnsNames: z.array(z.string().regex(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, { message: 'a DNS name' })).default([]),
    /**
     * Extended key usages of the certificates the vault issues: 'serverAuth' (TLS servers),
     * 'clientAuth' (TLS clients, mTLS). Ignored for 'imported' (the file decides).
     * @default - ['serverAuth', 'clientAuth'] when the name ends in '-mtls', else ['serverAuth']
     */
    extendedKeyUsage: z.array(z.enum(['serverAuth', 'clientAuth'])).min(1).optional(),
    /** @default 'RSA' */
    keyType: z.enum(['RSA', 'EC']).default('RSA'),
    /** RSA key size; EC uses P-256. @default 2048 */
    keySize: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]).default(2048),
    /** @default 12 */
    validityMonths: z.number().int().min(1).max(120).default(12),
    /**
     * Renew (or warn, for imported ones) this many days before expiry; Key Vault allows at most
     * validityMonths × 27 for the certificates it issues. @default 30
     */
    renewBeforeDays: z.number().int().min(1).max(365).default(30),
  })
  .describe('A Key Vault certificate: issuer, key, subject and SANs, validity, renewal.');

export const FrontSchema = z
  .strictObject({
    /** @default 'Standard_D2s_v5' */
    vmSize: z.string().regex(/^Standard_[A-Za-z0-9_]+$/, { message: "an Azure VM size name such as 'Standard_D2s_v5'" }).default('Standard_D2s_v5'),
    /** @default { min: 2, default: 2, max: 6 } */
    capacity: CapacitySchema.default({ min: 2, default: 2, max: 6 }),
    /** Ports nginx listens on for callers. @default { http: 80, https: 443 } */
    ports: z
      .strictObject({
        /** Plain HTTP. */
        http: z.number().int().min(1).max(PORT_MAX),
        /** HTTPS (with `tlsCertificate`). */
        https: z.number().int().min(1).max(PORT_MAX),
      })
      .default(DEFAULT_FRONT_PORTS),
    /** Who may call the front. @default ['vnet', 'peers'] */
    allowFrom: z.array(z.enum(['vnet', 'peers'])).min(1).default(['vnet', 'peers']),
    /** Rolling upgrades of the front's scale set. @default - batches of 20 %, with surge */
    upgrade: UpgradeSchema.prefault({}),
    /** Domain of the default host names, '<service>.<domain>'. @default '<env>.internal' */
    domain: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, { message: 'a lower-case DNS name' }).optional(),
    /**
     * Serve HTTPS on `ports.https` with this Key Vault certificate (`keyVault.certificates[].name`),
     * delivered by the Key Vault VM extension and picked up on renewal without a reload.
     * @default - HTTP only
     */
    tlsCertificate: z.string().optional(),
    /** Seconds between two checks of the routing table by each front VM. @default 5 */
    tablePollSeconds: z.number().int().min(1).max(300).default(5),
    /**
     * A private DNS zone named `domain` in each region (docs/regions.md#private-dns-per-region),
     * linked to that region's VNet, with an A record per host name of the environment's services
     * in the domain: this region's front when it serves the service, else the front of the first
     * region that does. Callers in each region then reach their own front by name, and a traffic
     * move between regions changes no record. Leave it off when your DNS already serves the
     * domain: a VNet can be linked to one zone of a name only. @default false
     */
    privateDnsZone: z.boolean().default(false),
    /**
     * Accept a change that replaces the front's scale set (its rolling upgrade policy, or the
     * region's zones): refused otherwise, comparing with the lock file. Set it for that one
     * change, then remove it. @default false
     */
    allowReplacement: z.boolean().default(false),
  })
  .describe('The nginx front every caller uses.');

export const RegionSchema = z
  .strictObject({
    /** The Azure region, e.g. northeurope. */
    name: z.string().min(1),
    /**
     * Short code in the region's stack and resource names (`<env>-<code>-network`,
     * `vnet-<env>-<code>`): 2-4 lower-case letters and digits, starting with a letter. Never change it.
     */
    code: z.string().regex(/^[a-z][a-z0-9]{1,3}$/, { message: "a region code: 2-4 lower-case letters and digits, starting with a letter, e.g. 'ne'" }),
    /** The region's VNet address space: private, overlapping neither the first region's nor another's. */
    addressSpace: cidr,
    /**
     * vCPU quota per VM family in this region (as `az vm list-usage --location <region>` names it),
     * checked at synth against what this region runs: its services' slots and its front. Quotas
     * are per subscription and region, so the first region's `quotas` say nothing about this one.
     * @default - not checked
     */
    quotas: z.record(z.string(), z.number().int().min(0)).default({}),
    /**
     * Retire the region (docs/regions.md), the first of two changes: every service there is
     * retired (its stacks emptied, its front serves nothing) and the other regions' fronts stop
     * forwarding to it; its network, vault, identities, monitor and front stacks stay until the
     * operator's teardown. Its `traffic.regions` shares must be 0. @default false
     */
    retired: z.boolean().default(false),
  })
  .describe('Another region of the environment.');

export const NetworkSchema = z
  .strictObject({
    /** The VNet's address space (private range). */
    addressSpace: cidr.describe('The VNet address space, e.g. 10.20.0.0/16.'),
    /**
     * Prefix length of every subnet (front, load-balancer frontends, private endpoints, each
     * service). Changing it moves every subnet: choose it once.
     * @default 24
     */
    subnetPrefixLength: z.number().int().min(16).max(28).default(DEFAULT_SUBNET_PREFIX_LENGTH),
    /** Ranges of peered networks (and VPN clients) that may call endpoints open to 'peers'. @default - none */
    peerRanges: z.array(cidr).default([]),
    /** Ranges that may reach management endpoints (e.g. a bastion or admin VPN). @default - none */
    adminRanges: z.array(cidr).default([]),
    /** The NAT gateway that is each region's egress (docs/network.md). @default - a Standard gateway in the region's first zone */
    natGateway: z
      .strictObject({
        /**
         * 'Standard': zonal, in the region's first zone (an outage of that zone stops egress).
         * 'StandardV2': zone-redundant, with a StandardV2 public IP; azurerm 4.67 or later, so
         * on the CDK Terrain entry point only (docs/runtimes.md). Changing it replaces the gateway
         * and its public IP, so the egress address changes.
         * @default 'Standard'
         */
        sku: z.enum(['Standard', 'StandardV2']).default('Standard'),
      })
      .optional(),
  })
  .describe('Addressing of the environment.');

export const StateBackendSchema = z
  .strictObject({
    /** The resource group of the state storage account. */
    resourceGroupName: z.string().regex(/^[-\w.()]{1,89}[-\w()]$/, { message: 'a resource group name: 1-90 letters, digits, - _ . ( ); not ending in .' }),
    /** Globally unique: 3-24 lower-case letters and digits. */
    storageAccountName: z.string().regex(/^[a-z0-9]{3,24}$/, { message: 'a storage account name: 3-24 lower-case letters and digits' }),
    /** @default 'tfstate' */
    containerName: z.string().regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, { message: 'a container name: 3-63 lower-case letters, digits, single hyphens' }).default('tfstate'),
  })
  .describe('Azure Storage backend for Terraform state (blob lease locking).');

export const EnvironmentSchema = z
  .strictObject({
    /** The environment's name: lower-case; flows into every resource name. */
    name: name('an environment name').min(2).max(12).describe('Lower-case environment name (2-12 characters).'),
    /** The subscription the environment deploys to (the provider needs it at plan time). */
    subscriptionId: z.guid(),
    /** The Entra ID tenant of that subscription. */
    tenantId: z.guid(),
    /** Azure region name, e.g. westeurope. */
    region: z.string().min(1).describe('Azure region, e.g. westeurope.'),
    /**
     * More regions (docs/regions.md): each gets its own network, vault, identities, monitoring,
     * front and the scale sets of the services that run there (`services[].regions`), in stacks
     * named `<env>-<code>-…`; the first region's stacks keep their names and addresses. The VNets
     * are peered, and each region's front routes a service's planned share to the others'
     * fronts. @default - none
     */
    otherRegions: z.array(RegionSchema).default([]),
    /**
     * Resource group name; `{env}` and `{part}` (network, front, state or a service name) are
     * replaced. @default 'rg-{env}-{part}'
     */
    resourceGroupName: z.string().default('rg-{env}-{part}'),
    /** Tags on every resource. */
    tags: z.record(z.string(), z.string()).default({}),
    /** Tag keys every resource must carry (the policy pack enforces them). @default - none */
    requiredTags: z.array(z.string().min(1)).default([]),
    /** Addressing: the VNet's address space, peers and admin ranges. */
    network: NetworkSchema,
    /** The VMs' admin account: SSH keys only, never a password. */
    admin: z
      .strictObject({
        /** @default 'azureadmin' */
        username: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: 'a Linux user name: lower-case letters, digits, _ -; at most 32' }).default('azureadmin'),
        /**
         * OpenSSH public keys: ssh-ed25519, or ssh-rsa of 2048 bits or more (what azurerm's
         * `admin_ssh_key` and Azure accept; ECDSA keys are refused). Each key's data is parsed at synth.
         */
        sshPublicKeys: z
          .array(z.string().regex(/^(ssh-rsa|ssh-ed25519) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/, { message: "an OpenSSH ssh-ed25519 or ssh-rsa public key ('ssh-ed25519 AAAA… comment'); azurerm refuses other key types" }))
          .min(1),
        /**
         * Entra ID SSH login (seed 002): the AADSSHLoginForLinux extension, a system-assigned
         * identity beside the user-assigned one, and login roles for these groups on each service
         * and pool scale set (not the front's: its VMs run no service code and are reached with
         * the SSH keys only).
         * The SSH keys stay as the break-glass path. @default - off
         */
        entraIdLogin: z
          .strictObject({
            /** Group granted Virtual Machine Administrator Login. */
            adminGroupObjectId: z.guid(),
            /** Group granted Virtual Machine User Login. @default - none */
            userGroupObjectId: z.guid().optional(),
          })
          .optional(),
      })
      .describe('Admin account of every VM.'),
    /**
     * The storage account that holds release artifacts; each slot's identity is granted
     * Storage Blob Data Reader on it. Required when a slot names an artifact.
     * @default - none
     */
    artifactStore: z
      .strictObject({
        /** The storage account's resource ID. */
        storageAccountId: z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/[a-z0-9]{3,24}$/i, {
          message: 'a storage account resource ID (/subscriptions/…/providers/Microsoft.Storage/storageAccounts/NAME)',
        }),
      })
      .optional(),
    /**
     * The identity that runs Terraform. It writes to data planes behind firewalls (the front's
     * routing table blob, Key Vault certificates), so it is granted the data-plane roles it needs
     * and admitted from its ranges.
     */
    deployer: z.strictObject({
      /** Its object (principal) ID. */
      principalId: z.guid(),
      /** @default 'ServicePrincipal' */
      principalType: z.enum(['ServicePrincipal', 'User', 'Group']).default('ServicePrincipal'),
      /**
       * Public IP ranges it connects from (CI runners, an admin VPN's egress), admitted by the
       * firewalls. Private, shared (100.64.0.0/10), loopback and link-local ranges are refused:
       * Key Vault and Storage firewalls take public addresses only. A /31 or /32 becomes one rule
       * per address (Storage refuses those prefixes).
       */
      ipRanges: z.array(cidr).min(1),
    }),
    /**
     * The environment's Key Vault (`<env>-vault` stack): RBAC, purge protection, a firewall that
     * denies by default and admits the VM subnets (service endpoints) and the deployer.
     * @default - no vault
     */
    keyVault: z
      .strictObject({
        /** Days a deleted vault or item stays recoverable (Azure: 7-90). Cannot change after creation. @default 90 */
        softDeleteRetentionDays: z.number().int().min(7).max(90).default(90),
        /** Certificates the vault issues, renews or holds. @default - none */
        certificates: z.array(CertificateSchema).default([]),
        /** Who hears of expiring certificates (required when any certificate is imported); addresses of at most 254 characters (RFC 5321). @default - no one */
        contacts: z.array(z.email().max(254)).default([]),
        /** Send audit logs to this Log Analytics workspace (resource ID). @default - no diagnostics */
        logAnalyticsWorkspaceId: z
          .string()
          .regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+$/i, { message: 'a Log Analytics workspace resource ID' })
          .optional(),
      })
      .optional(),
    /**
     * Exceptions to the policy pack, each with its reason (listed in every synth and review).
     * @default - none
     */
    policy: z
      .strictObject({
        /** Each exception: rule, resource, reason. @default - none */
        suppressions: z
          .array(
            z.strictObject({
              /** The rule, e.g. 'ASE-NET-001'. */
              rule: z.string().regex(/^ASE-[A-Z]+-\d{3}$/, { message: "a rule ID such as 'ASE-NET-001'" }),
              /** `<stack>:<type>.<address>` as the synth's findings name it. */
              resource: z.string().regex(/^[a-z0-9-]+:azurerm_[a-z_]+\.[A-Za-z0-9_-]+$/, { message: "'<stack>:<type>.<address>', as a finding names it" }),
              /** Why this exception is acceptable: required. */
              reason: z.string().trim().min(10, { message: 'a reason of at least 10 characters: say why the exception is acceptable' }),
            }),
          )
          .default([]),
      })
      .prefault({}),
    /**
     * Logs, metrics and alerts (docs/monitoring.md): a Log Analytics workspace (created in the
     * `<env>-monitor` stack, or an existing one), the Azure Monitor Agent on every Uniform scale set
     * with data collection rules (the services' journal through syslog, performance counters, the
     * front's access log), diagnostic settings on every resource type that has them, and alerts to
     * an action group. @default - on, with a workspace of its own
     */
    monitoring: z
      .strictObject({
        /** Off: no workspace, agent, rule, diagnostic setting or alert (the policy pack's ASE-MON-001 then warns for each resource). @default true */
        enabled: z.boolean().default(true),
        /**
         * An existing Log Analytics workspace (resource ID) to send everything to; it must be in the
         * environment's region (a data collection rule sends only to workspaces of its own region).
         * @default - one created in `<env>-monitor`
         */
        workspaceId: z
          .string()
          .regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/i, { message: 'a Log Analytics workspace resource ID' })
          .optional(),
        /** Days the created workspace keeps data (Azure: 30-730). @default 30 */
        retentionDays: z.number().int().min(30).max(730).default(30),
        /** GB the created workspace ingests a day at most; ingestion stops for the day beyond it. @default - no cap */
        dailyQuotaGb: z.number().positive().optional(),
        /** Who the alerts reach (email); at least one is needed for alerts. @default - keyVault.contacts */
        contacts: z.array(z.email().max(254)).optional(),
        /** Alert thresholds. */
        alerts: z
          .strictObject({
            /** A slot's share of 5xx answers over 5 minutes that alerts, in percent. @default 5 */
            errorRatePercent: z.number().gt(0).max(100).default(5),
            /** A slot's 95th percentile request time over 5 minutes that alerts, in milliseconds. @default 2000 */
            latencyP95Ms: z.number().int().min(10).default(2000),
            /** Requests a slot needs in those 5 minutes before either alerts (a quiet slot never trips on noise). @default 100 */
            minRequests: z.number().int().min(1).default(100),
            /** Minutes a slot's autoscale stays at its maximum before it alerts (Azure: 5, 15, 30 or 60). @default 30 */
            autoscaleAtMaxMinutes: z.union([z.literal(5), z.literal(15), z.literal(30), z.literal(60)]).default(30),
            /** Minutes a slot's load balancer sees an instance fail its health probe before it alerts (5, 15, 30 or 60). @default 15 */
            unhealthyMinutes: z.union([z.literal(5), z.literal(15), z.literal(30), z.literal(60)]).default(15),
            /**
             * Days before a certificate on a VM expires that alert (the front's TLS certificate,
             * the services' Key Vault certificates, as the VMs report them). @default - 14, or one
             * day before the soonest `renewBeforeDays` of those certificates when that is sooner
             * (so Key Vault's renewal never alerts)
             */
            certificateExpiryDays: z.number().int().min(1).max(365).optional(),
            /**
             * Percent of a vCPU quota in the region that alerts: the regional total and each VM
             * family the environment runs (services, pools, the front), read every 15 minutes from
             * Azure Resource Graph. The rule runs as an identity the monitor stack creates and
             * grants Reader on the subscription (the deployer needs role-assignment rights there),
             * or as `vcpuQuotaReaderId`. `false`: no quota alert. @default 80
             */
            vcpuQuotaPercent: z.union([z.number().int().min(1).max(100), z.literal(false)]).default(80),
            /**
             * A user-assigned identity (resource ID) that already holds Reader on the subscription
             * (and can read the workspace, when it is in another subscription), for a deployer that
             * may not grant at subscription scope: the quota alert runs as it,
             * and the monitor stack creates no identity and no grant. @default - one created
             */
            vcpuQuotaReaderId: z
              .string()
              .regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/i, { message: 'a user-assigned identity resource ID' })
              .optional(),
          })
          .prefault({}),
      })
      .prefault({}),
    /** vCPU quota per VM family in the region (as `az vm list-usage` names it), checked at synth. @default - not checked */
    quotas: z.record(z.string(), z.number().int().min(0)).default({}),
    /** @default - local state files at the project root */
    stateBackend: StateBackendSchema.optional(),
    /** The nginx front. @default - 2 to 6 Standard_D2s_v5 VMs on ports 80 and 443 */
    front: FrontSchema.prefault({}),
    /** Node pools services may share. @default - none */
    pools: z.array(PoolSchema).default([]),
    /** The services, each in two slots. */
    services: z.array(ServiceSchema).describe('The services, each in two slots.'),
  })
  .describe('A service environment.');

/** What a user writes (defaults optional). */
export type EnvironmentSpec = z.input<typeof EnvironmentSchema>;
/** One service as a user writes it. */
export type ServiceSpec = z.input<typeof ServiceSchema>;
/** The spec after validation, with every default filled in. */
export type Environment = z.output<typeof EnvironmentSchema>;
/** One service after validation, with every default filled in. */
export type Service = z.output<typeof ServiceSchema>;
/** The environment's addressing after validation. */
export type Network = z.output<typeof NetworkSchema>;
/** The front's settings after validation. */
export type Front = z.output<typeof FrontSchema>;
/** Instance counts of one slot: min <= default <= max. */
export type Capacity = z.output<typeof CapacitySchema>;
/** A node pool after validation. */
export type Pool = z.output<typeof PoolSchema>;

/** Identity function that gives an environment file its types and editor help. */
export function defineEnvironment(spec: EnvironmentSpec): EnvironmentSpec {
  return spec;
}
