/**
 * The front's nginx.conf (pure, deterministic): one self-contained file, the same text on the VMs
 * and in the tests that run it with real nginx (only the listen addresses and file paths differ).
 *
 * Structure is static, traffic is not: the config declares, per service, an upstream per slot
 * (the slot's internal LB frontend on every planned port) and a named location that fails over to
 * the other slot; a server per host name or a location per path prefix. Which upstream a request
 * takes is read at run time from the routing table (`lua.ts`), so a swap never reloads nginx.
 * The config holds no code: the router's Lua ships with the VM, and the config names its files
 * (`*_by_lua_file`) and passes it data (`env FRONT_ROUTER=`); the agent refuses a config that does more.
 *
 * Choices, each for the seeds' and the runtime review's failures:
 * - An upstream server is a slot's internal LB address and port: it stands for the whole slot, so
 *   it is never marked down on a failed request (`max_fails=0`: with `max_fails=1` one 503 or one
 *   reset moved the whole service to the other slot for `fail_timeout`). A failed attempt (error,
 *   timeout, 502/503/504) is retried once on the same slot (a new connection through the LB, so
 *   most likely another VM; a one-port slot lists its port twice), never for a non-idempotent
 *   request once sent (nginx's default; `non_idempotent` is not set). A backend's own 5xx that the
 *   retry does not cure is passed through (`proxy_intercept_errors` off).
 * - Failover means "the slot is down": only when no attempt could connect (the LB refuses or drops
 *   connections when no VM passes its probe; `$upstream_connect_time` is `-` for every attempt) does
 *   the request go to the other slot (nothing was sent, so a POST too), and the slot is then
 *   skipped for `slotDownSeconds` (the router's per-slot window in the shared dict).
 * - proxy_connect_timeout 1s (the default is 60 s): a dead slot's LB drops SYNs, so failover waits
 *   one connect timeout per attempt (two), once per window.
 * - Mirroring copies only GET and HEAD, with short timeouts: nginx holds the next request on a
 *   kept-alive client connection until the mirror subrequest ends, so a slow idle slot delays the
 *   live client by at most the mirror's timeouts (`mirror*Ms`).
 * - keep-alive to upstreams (HTTP/1.1, cleared Connection header) with an idle timeout of 4 s,
 *   below the 5 s common backend default (Node.js), so nginx never reuses a connection the
 *   backend is closing.
 * - File limits: `worker_rlimit_nofile` from {@link frontConnectionBudget} (a systemd service gets
 *   1,024 open files unless told otherwise).
 * - TLS certificate path through a variable: nginx reads it per handshake, so a renewed file
 *   from Key Vault is served without a reload.
 */
import { ROUTER_DIR, ROUTER_FILE, routerEnvDirective } from './lua';
import { FRONT_ADMIN_PORT, VM_HEALTH_PORT } from '../spec/constants';
import type { SlotName } from '../spec/schema';
import { renderFrontLogFormat } from '../monitor/front-access-log';

export const FRONT_DEFAULTS = {
  /** Probe and status port: the front LB's probe and the VM health extension (which probes VM_HEALTH_PORT). */
  statusPort: VM_HEALTH_PORT,
  /** Loopback-only: the table agent PUTs tables here. */
  adminPort: FRONT_ADMIN_PORT,
  connectTimeoutSeconds: 1,
  /**
   * Request bodies up to this size stay in memory on their way to the slot (nginx's default is
   * 16 KB on x86-64; a larger body is written to a temp file first). An outside load test measured
   * 24 KB POSTs at a median of about 48 ms through the front against 5.5 ms for 1 KB ones, and a
   * minimal nginx 44 ms with a 16k buffer, 0.4 ms with 64k. nginx allocates the buffer only for a
   * request with a body, at most its length: 64 KB × the requests with bodies in flight (at most
   * `activeConnections`, 256 MB; in practice a small share of them). Bodies above it still go to a
   * temp file (a warning in the error log each); request buffering stays on, so a request that
   * failed to connect can be sent again to its retry and to the other slot.
   */
  clientBodyBufferKb: 64,
  /**
   * Idle upstream connections each worker keeps per upstream. Below a worker's concurrency nginx
   * closes the extras and opens new ones: measured here, 32 gave 1,400-1,900 new connections a
   * second under load (TIME_WAIT toward one ILB address:port caps a VM at a few hundred a second);
   * 256 gave 15-40.
   */
  upstreamKeepalive: 256,
  /** Requests per upstream connection before nginx closes it (nginx's default is 1,000). */
  upstreamKeepaliveRequests: 10_000,
  upstreamKeepaliveTimeoutSeconds: 4,
  /**
   * The longest an upstream connection is reused (`keepalive_time`, nginx 1.19.10 and later). The
   * internal LB keeps an established flow on its VM even once that VM's probes fail, so without a
   * bound a busy pooled connection would keep a draining service VM busy until it is deleted;
   * with it, every connection opened before the drain is closed by nginx, after a complete
   * response, within this time, and its successor goes to a VM still in rotation.
   */
  upstreamKeepaliveTimeSeconds: 30,
  /**
   * A slot none of whose attempts could connect is skipped (failover to the other slot) for this
   * long; then the next request tries it again.
   */
  slotDownSeconds: 5,
  /** Attempts per request on its slot: the first and one retry (`proxy_next_upstream_tries`). */
  attemptsPerSlot: 2,
  /** Mirror subrequest timeouts: the most a slow idle slot adds before the next request on a kept-alive connection. */
  mirrorConnectTimeoutMs: 100,
  mirrorSendTimeoutMs: 100,
  mirrorReadTimeoutMs: 200,
  /** Client and upstream connections a worker serves at once (besides the idle upstream pools). */
  activeConnections: 4096,
  /** Open files a worker needs besides its connections: logs, listening sockets, temp files, the certificate and table files. */
  fileHeadroom: 1024,
} as const;

/**
 * The unit's `LimitNOFILE` (the systemd drop-in on the front VMs): constant, so the custom data
 * never changes with the services; systemd's own default hard limit. The workers raise their
 * limit to {@link frontConnectionBudget}'s `rlimitNofile` (the master runs as root).
 */
export const FRONT_UNIT_NOFILE = 524_288;

/** Methods the front mirrors: safe ones only (a mirrored POST would run on both slots). */
export const MIRROR_METHODS = ['GET', 'HEAD'] as const;

/**
 * Connections and open files per nginx worker: every connection is a file and counts toward
 * `worker_connections`, idle upstream ones too (each upstream block keeps up to `keepalive` per
 * worker). `worker_rlimit_nofile` adds the files that are not connections.
 */
export function frontConnectionBudget(services: number, peers = 0): { upstreams: number; workerConnections: number; rlimitNofile: number } {
  const upstreams = services * 2 + peers;
  const workerConnections = FRONT_DEFAULTS.activeConnections + FRONT_DEFAULTS.upstreamKeepalive * upstreams;
  return { upstreams, workerConnections, rlimitNofile: workerConnections + FRONT_DEFAULTS.fileHeadroom };
}

/**
 * The status port's two health paths: the front LB's HTTP probe reads the status code (200 is up),
 * the Application Health extension (type handler 2.0) reads the JSON body.
 */
export const FRONT_HEALTH_PATHS = { loadBalancer: '/healthz', extension: '/health' } as const;

/** Where one slot of a service answers. */
export interface FrontSlotBackend {
  /** The slot's internal LB frontend address. */
  readonly address: string;
  /** The service's planned ports, one LB rule each. */
  readonly ports: readonly number[];
}

/** One service behind the front. */
export interface FrontServiceConfig {
  /** The service's name (the routing table's key). */
  readonly name: string;
  /** Host names it is served on; ignored when pathPrefix is set. */
  readonly hosts: readonly string[];
  /** Serve it under this path on the default server instead of by host name. @default - by host name */
  readonly pathPrefix?: string;
  /** Seconds nginx waits for a response (`proxy_read_timeout`). */
  readonly readTimeoutSeconds: number;
  /** Each slot's backend. */
  readonly slots: Readonly<Record<SlotName, FrontSlotBackend>>;
}

/** Another region's front, which this front may forward a share of a service's requests to. */
export interface FrontPeer {
  /** The region's name (the routing table's `regions.shares` key). */
  readonly name: string;
  /** Its front's internal LB address, reached over global VNet peering. */
  readonly address: string;
  /** Its front's plain HTTP port (the hop between fronts stays inside the peered networks). */
  readonly port: number;
  /** The networks its requests come from (its front subnet): only these are trusted to say which region forwarded a request. */
  readonly cidrs: readonly string[];
}

/** This front's region and the other regions' fronts (issue 15, docs/regions.md). */
export interface FrontRegionConfig {
  /** This front's region. */
  readonly name: string;
  /** The other regions' fronts. */
  readonly peers: readonly FrontPeer[];
}

/** The upstream of another region's front. */
export const peerUpstreamName = (region: string) => `region__${region}`;

/** Where nginx keeps its files. */
export interface FrontPaths {
  /** The pid file. */
  readonly pid: string;
  /** The error log. */
  readonly errorLog: string;
  /** The access log. */
  readonly accessLog: string;
  /** Folder for nginx's temp files. */
  readonly temp: string;
  /** The last good routing table (written by the agent). */
  readonly table: string;
  /** The guard's trips and swaps (written by the nginx worker, read at a cold start). */
  readonly guardState: string;
  /** Where the Debian/Ubuntu packages put the dynamic modules. */
  readonly modules: string;
  /** The folder of the router's Lua files (shipped with the VM, never in the config). */
  readonly lua: string;
}

/** Input of {@link renderNginxConf}. */
export interface FrontConfigInput {
  /** The environment's name (in logs and the status page). */
  readonly environment: string;
  /** The services behind the front. */
  readonly services: readonly FrontServiceConfig[];
  /** Address nginx listens on for callers. @default '0.0.0.0' */
  readonly listenAddress?: string;
  /** The ports callers use. */
  readonly ports: {
    /** Plain HTTP. */
    readonly http: number;
    /** HTTPS, with `tlsFile`. @default - none */
    readonly https?: number;
  };
  /** @default FRONT_DEFAULTS.statusPort */
  readonly statusPort?: number;
  /** @default FRONT_DEFAULTS.adminPort */
  readonly adminPort?: number;
  /** PEM holding certificate and key (as the front agent publishes it from the vault). @default - no TLS */
  readonly tlsFile?: string;
  /** @default VM_FRONT_PATHS */
  readonly paths?: FrontPaths;
  /** Worker user when started as root. @default - nginx's default */
  readonly user?: string;
  /** @default 'auto' */
  readonly workerProcesses?: number | 'auto';
  /** @default 'info' */
  readonly errorLogLevel?: 'debug' | 'info' | 'notice' | 'warn' | 'error';
  /** Regions: this front forwards a service's planned share to other regions' fronts. @default - one region */
  readonly region?: FrontRegionConfig;
}

/** Paths on a front VM (Ubuntu, nginx from the distribution). */
export const VM_FRONT_PATHS: FrontPaths = {
  pid: '/run/nginx.pid',
  errorLog: '/var/log/nginx/error.log',
  accessLog: '/var/log/nginx/access.log',
  temp: '/var/lib/nginx',
  table: '/var/lib/front/table.json',
  // a folder the nginx worker (www-data) owns: the front agent makes it (front-agent.sh)
  guardState: '/var/lib/front/guard/state.json',
  modules: '/usr/lib/nginx/modules',
  lua: '/usr/local/lib/front',
};

/** Paths for running the config from one folder (tests, `front preview`). */
export const localFrontPaths = (dir: string): FrontPaths => ({
  pid: `${dir}/nginx.pid`,
  errorLog: `${dir}/error.log`,
  accessLog: `${dir}/access.log`,
  temp: `${dir}/temp`,
  table: `${dir}/table.json`,
  guardState: `${dir}/guard/state.json`,
  modules: '/usr/lib/nginx/modules',
  // the router's files as this package has them
  lua: ROUTER_DIR,
});

export const upstreamName = (service: string, slot: SlotName) => `${service}__${slot}`;

const SHARED_DICT = 'front_table';
const COUNTERS_DICT = 'front_counters';
const byName = <T extends { name: string }>(xs: readonly T[]) => [...xs].sort((a, b) => a.name.localeCompare(b.name, 'en'));

/** A slot's upstream: its LB address on every planned port, never marked down; at least two entries, so a failed attempt has a retry. */
function upstreams(svc: FrontServiceConfig): string[] {
  const servers = (b: FrontSlotBackend) => {
    const ports = b.ports.length === 1 ? [b.ports[0], b.ports[0]] : b.ports;
    return ports.map((p) => `    server ${b.address}:${p} max_fails=0;`);
  };
  return (['blue', 'green'] as const).flatMap((slot) => [
    `  upstream ${upstreamName(svc.name, slot)} {`,
    `    zone ${upstreamName(svc.name, slot)} 64k;`,
    ...servers(svc.slots[slot]),
    `    keepalive ${FRONT_DEFAULTS.upstreamKeepalive};`,
    `    keepalive_requests ${FRONT_DEFAULTS.upstreamKeepaliveRequests};`,
    `    keepalive_timeout ${FRONT_DEFAULTS.upstreamKeepaliveTimeoutSeconds}s;`,
    `    keepalive_time ${FRONT_DEFAULTS.upstreamKeepaliveTimeSeconds}s;`,
    '  }',
  ]);
}

/** Another region's front: two entries, so a failed attempt has a retry, never marked down. */
function peerUpstream(peer: FrontPeer): string[] {
  return [
    `  upstream ${peerUpstreamName(peer.name)} {`,
    `    zone ${peerUpstreamName(peer.name)} 64k;`,
    `    server ${peer.address}:${peer.port} max_fails=0;`,
    `    server ${peer.address}:${peer.port} max_fails=0;`,
    `    keepalive ${FRONT_DEFAULTS.upstreamKeepalive};`,
    `    keepalive_requests ${FRONT_DEFAULTS.upstreamKeepaliveRequests};`,
    `    keepalive_timeout ${FRONT_DEFAULTS.upstreamKeepaliveTimeoutSeconds}s;`,
    `    keepalive_time ${FRONT_DEFAULTS.upstreamKeepaliveTimeSeconds}s;`,
    '  }',
  ];
}

/** The variables a front with regions sets per request (front_router.route). */
const REGION_VARIABLES = ['      set $front_from "";', '      set $front_forward "";', '      set $front_proto $scheme;'];

/** The location that routes one service (inside its server, or under its path prefix). */
function serviceLocation(svc: FrontServiceConfig, path: string, lua: string, regions = false): string[] {
  // routed, mirrored and proxied alike in the service's location and in its draining twin
  const routed = [
    `      rewrite_by_lua_file ${lua}/${ROUTER_FILE.route};`,
    `      header_filter_by_lua_file ${lua}/${ROUTER_FILE.addCookie};`,
    `      mirror /_mirror/${svc.name};`,
    // only GET and HEAD are mirrored: no body to keep for the copy
    '      mirror_request_body off;',
    `      proxy_read_timeout ${svc.readTimeoutSeconds}s;`,
    `      proxy_pass http://$front_upstream;`,
    // nginx's own 502/504 (no response from the slot); a backend's own 5xx is passed through
    `      error_page 502 504 = @failover_${svc.name};`,
    // each slot's outcome counters (front_router.count), on /status
    `      log_by_lua_file ${lua}/${ROUTER_FILE.count};`,
  ];
  return [
    `    location ${path} {`,
    `      set $front_service ${svc.name};`,
    '      # set per request by front_router.route(); the mirror subrequest reads them too',
    '      set $front_slot "";',
    '      set $front_reason "";',
    '      set $front_upstream "";',
    '      set $front_mirror_upstream "";',
    '      set $front_drained "";',
    ...(regions ? REGION_VARIABLES : []),
    ...routed,
    '    }',
    '    # while the VM drains (the drain agent): the same, and the response closes the connection',
    `    location @drain_${svc.name} {`,
    '      keepalive_timeout 0;',
    `      set $front_service ${svc.name};`,
    '      set $front_drained 1;',
    ...(regions ? REGION_VARIABLES : []),
    ...routed,
    '    }',
    `    location @failover_${svc.name} {`,
    '      # the other slot only when no attempt could connect (the slot is down); else the error stands',
    `      rewrite_by_lua_file ${lua}/${ROUTER_FILE.failover};`,
    // a request sent back to the region it came from says so in its answer (front_router.region_signal)
    ...(regions ? [`      header_filter_by_lua_file ${lua}/${ROUTER_FILE.addCookie};`] : []),
    `      proxy_read_timeout ${svc.readTimeoutSeconds}s;`,
    '      proxy_pass http://$front_upstream;',
    // the request ends here after a failover: counted here (the log phase runs where it ends)
    `      log_by_lua_file ${lua}/${ROUTER_FILE.count};`,
    '    }',
  ];
}

function mirrorLocation(svc: FrontServiceConfig, lua: string): string[] {
  return [
    `    location = /_mirror/${svc.name} {`,
    '      internal;',
    `      rewrite_by_lua_file ${lua}/${ROUTER_FILE.mirror};`,
    '      proxy_next_upstream off;',
    `      proxy_connect_timeout ${FRONT_DEFAULTS.mirrorConnectTimeoutMs}ms;`,
    `      proxy_send_timeout ${FRONT_DEFAULTS.mirrorSendTimeoutMs}ms;`,
    `      proxy_read_timeout ${FRONT_DEFAULTS.mirrorReadTimeoutMs}ms;`,
    '      proxy_pass http://$front_mirror_upstream$request_uri;',
    '    }',
  ];
}

/**
 * The front's nginx.conf (pure): per service an upstream per slot and a failover location, the
 * Lua router that reads the routing table at run time, the status and admin endpoints.
 */
export function renderNginxConf(input: FrontConfigInput): string {
  const paths = input.paths ?? VM_FRONT_PATHS;
  const addr = input.listenAddress ?? '0.0.0.0';
  const statusPort = input.statusPort ?? FRONT_DEFAULTS.statusPort;
  const adminPort = input.adminPort ?? FRONT_DEFAULTS.adminPort;
  const services = byName(input.services);
  const peers = input.region ? [...input.region.peers].sort((a, b) => a.name.localeCompare(b.name, 'en')) : [];
  for (const name of input.region ? [input.region.name, ...peers.map((p) => p.name)] : []) {
    if (!/^[a-z][a-z0-9]*$/.test(name)) throw new Error(`front: region name '${name}' is not an Azure region name (lower-case letters and digits)`);
  }
  // the region variables are declared in the service locations: a front that serves no service
  // (a retired region's) proxies nothing and declares none
  const regions = input.region !== undefined && services.length > 0;
  const budget = frontConnectionBudget(services.length, peers.length);
  const listen = (extra = '') => {
    const lines = [`    listen ${addr}:${input.ports.http}${extra};`];
    if (input.tlsFile && input.ports.https !== undefined) lines.push(`    listen ${addr}:${input.ports.https} ssl${extra};`);
    return lines;
  };
  const hosted = services.filter((s) => s.pathPrefix === undefined);
  const prefixed = services.filter((s) => s.pathPrefix !== undefined).sort((a, b) => a.pathPrefix!.localeCompare(b.pathPrefix!, 'en'));
  const lines = [
    `# nginx front of environment ${input.environment}: rendered by the library; do not edit.`,
    '# Routing (live slot, weights, pin rules) is read at run time from the routing table.',
    `load_module ${paths.modules}/ndk_http_module.so;`,
    `load_module ${paths.modules}/ngx_http_lua_module.so;`,
    '# the router (shipped with the VM) reads its data from here: this config holds no code',
    routerEnvDirective({
      environment: input.environment,
      services: services.map((s) => s.name),
      tablePath: paths.table,
      dict: SHARED_DICT,
      countersDict: COUNTERS_DICT,
      guardStatePath: paths.guardState,
      slotDownSeconds: FRONT_DEFAULTS.slotDownSeconds,
      mirrorMethods: MIRROR_METHODS,
      ...(input.region ? { region: input.region.name, peers: peers.map((p) => ({ name: p.name, cidrs: [...p.cidrs] })) } : {}),
    }),
    ...(input.user ? [`user ${input.user};`] : []),
    `worker_processes ${input.workerProcesses ?? 'auto'};`,
    `# open files per worker: ${budget.workerConnections} connections (${FRONT_DEFAULTS.activeConnections} active, ${FRONT_DEFAULTS.upstreamKeepalive} idle × ${budget.upstreams} upstreams) + ${FRONT_DEFAULTS.fileHeadroom} other files`,
    `worker_rlimit_nofile ${budget.rlimitNofile};`,
    `pid ${paths.pid};`,
    `error_log ${paths.errorLog} ${input.errorLogLevel ?? 'info'};`,
    '',
    'events {',
    `  worker_connections ${budget.workerConnections};`,
    '}',
    '',
    'http {',
    '  server_tokens off;',
    '  default_type application/octet-stream;',
    `  client_body_temp_path ${paths.temp}/body;`,
    `  proxy_temp_path ${paths.temp}/proxy;`,
    `  fastcgi_temp_path ${paths.temp}/fastcgi;`,
    `  uwsgi_temp_path ${paths.temp}/uwsgi;`,
    `  scgi_temp_path ${paths.temp}/scgi;`,
    '  keepalive_timeout 75s;',
    '  keepalive_requests 10000;',
    `  client_body_buffer_size ${FRONT_DEFAULTS.clientBodyBufferKb}k;`,
    // one JSON object per line: the Azure Monitor Agent's JSON log source (lib/monitor/front-access-log.ts)
    ...renderFrontLogFormat(),
    // buffered: one write per 64 KB or per second instead of one per request
    `  access_log ${paths.accessLog} front buffer=64k flush=1s;`,
    '',
    ...(input.tlsFile
      ? [
          '  # a variable path: nginx reads the file per handshake, so a renewed certificate needs no reload',
          `  map $host $front_tls_file { default "${input.tlsFile}"; }`,
          '  ssl_protocols TLSv1.2 TLSv1.3;',
          '  ssl_session_cache shared:front_tls:10m;',
        ]
      : []),
    '',
    '  proxy_http_version 1.1;',
    '  proxy_set_header Connection "";',
    '  proxy_set_header Host $host;',
    '  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    // with regions, a request another region's front forwarded keeps its client's scheme, and a forwarded one says which region sent it
    ...(regions ? ['  proxy_set_header X-Forwarded-Proto $front_proto;', '  proxy_set_header X-Ase-Region $front_forward;'] : ['  proxy_set_header X-Forwarded-Proto $scheme;']),
    '  proxy_set_header X-Request-Id $request_id;',
    `  proxy_connect_timeout ${FRONT_DEFAULTS.connectTimeoutSeconds}s;`,
    '  proxy_next_upstream error timeout http_502 http_503 http_504;',
    `  proxy_next_upstream_tries ${FRONT_DEFAULTS.attemptsPerSlot};`,
    '  proxy_next_upstream_timeout 10s;',
    '',
    // larger than the admin endpoint's body limit (4m), so any accepted table fits beside the last one
    `  lua_shared_dict ${SHARED_DICT} 16m;`,
    // the outcome counters and the guard's windows: per service about 170 counters, and 744 for
    // the windows (three per slot per 5 s bucket over 620 s), some 100 bytes each: about 90 KB
    // per service, so 16m holds some 170 services (nginx evicts the oldest first)
    `  lua_shared_dict ${COUNTERS_DICT} 16m;`,
    `  init_by_lua_file ${paths.lua}/${ROUTER_FILE.init};`,
    `  init_worker_by_lua_file ${paths.lua}/${ROUTER_FILE.initWorker};`,
    '',
    ...services.flatMap(upstreams),
    ...peers.flatMap(peerUpstream),
    '',
    '  # status: /healthz for the front LB probe (200, or 503 with no table), /health for the',
    '  # Application Health extension (type handler 2.0: always 200 with ApplicationHealthState)',
    '  server {',
    `    listen ${addr}:${statusPort};`,
    '    access_log off;',
    `    location = ${FRONT_HEALTH_PATHS.loadBalancer} { content_by_lua_file ${paths.lua}/${ROUTER_FILE.lbProbe}; }`,
    `    location = ${FRONT_HEALTH_PATHS.extension} { content_by_lua_file ${paths.lua}/${ROUTER_FILE.health}; }`,
    `    location = /status { content_by_lua_file ${paths.lua}/${ROUTER_FILE.status}; }`,
    '    location / { return 404; }',
    '  }',
    '',
    '  # the table agent delivers tables here; loopback only',
    '  server {',
    `    listen 127.0.0.1:${adminPort};`,
    '    access_log off;',
    '    client_max_body_size 4m;',
    '    client_body_buffer_size 4m;',
    `    location = /table { content_by_lua_file ${paths.lua}/${ROUTER_FILE.adminTable}; }`,
    `    location = /config-state { content_by_lua_file ${paths.lua}/${ROUTER_FILE.adminConfigState}; }`,
    `    location = /drain { content_by_lua_file ${paths.lua}/${ROUTER_FILE.adminDrain}; }`,
    `    location = /guard { content_by_lua_file ${paths.lua}/${ROUTER_FILE.guard}; }`,
    '    location / { return 404; }',
    '  }',
    '',
    '  # requests for no known host (and path-prefixed services)',
    '  server {',
    ...listen(' default_server'),
    ...(input.tlsFile ? ['    ssl_certificate $front_tls_file;', '    ssl_certificate_key $front_tls_file;'] : []),
    ...prefixed.flatMap((s) => [...serviceLocation(s, s.pathPrefix!, paths.lua, regions), ...mirrorLocation(s, paths.lua)]),
    '    location / {',
    '      set $front_service "";',
    '      set $front_slot "";',
    '      set $front_reason "no-service";',
    "      return 404 'no service here\\n';",
    '    }',
    '  }',
    ...hosted.flatMap((s) => [
      '',
      '  server {',
      ...listen(),
      `    server_name ${s.hosts.join(' ')};`,
      ...(input.tlsFile ? ['    ssl_certificate $front_tls_file;', '    ssl_certificate_key $front_tls_file;'] : []),
      ...serviceLocation(s, '/', paths.lua, regions),
      ...mirrorLocation(s, paths.lua),
      '  }',
    ]),
    '}',
    '',
  ];
  return lines.join('\n');
}
