/**
 * The front's router, in Lua for nginx's Lua module (Debian/Ubuntu `libnginx-mod-http-lua`). It
 * holds the routing table in a shared dict, so a swap, a ramp step or a rule change takes effect
 * on the next request of every connection, kept-alive ones included, with no reload (a graceful
 * reload closes idle keep-alive connections as clients send on them: measured in FIELD-NOTES).
 *
 * - `init_by_lua` loads the last good table from disk (written by the table agent after nginx
 *   accepted it), so a restarted or new VM serves the current table.
 * - `apply` validates a table against the services this config declares (every service present,
 *   slots blue/green, weights 0-100 ...). A table that fails is refused whole: the last good one
 *   keeps serving, the reason is logged as `front: routing table refused: ...` and shown on the
 *   status endpoint.
 * - `route` runs per request: pin rules first, then the ramp weight by the client's affinity
 *   bucket (0-9999, fixed per client, so a client moved to the new slot stays there as the weight
 *   grows), then sets the slot's upstream; with failover on, a slot marked down goes to the other.
 * - `failover` runs when nginx got no response from the slot (its own 502/504): only when no
 *   attempt could connect is the slot down; it is marked so for a window (`slotDownSeconds`, a
 *   key with a TTL in the shared dict, so every worker sees it) and the request goes to the other
 *   slot. A backend's own 5xx, a reset or a read timeout after connecting never moves traffic.
 * - `mirror` sends the copy chosen by `route` (GET and HEAD only) or nothing.
 *
 * The router is code and ships with the VM (the front's custom data writes these files under
 * `/usr/local/lib/front/`); the nginx config blob the front stack delivers only names the files
 * (`*_by_lua_file`) and passes the router its data in `env FRONT_ROUTER='<json>'`. So whoever can
 * write the blob cannot make the root master run code: the agent refuses a blob with any other
 * Lua or module directive (`conf-guard.py`). The files live in `lib/front/lua/`, real Lua, read
 * once here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The folder of the router's files in this package (tests and `front preview` run them from here). */
export const ROUTER_DIR = join(__dirname, 'lua');

/** Each phase's file (in the router's folder). */
export const ROUTER_FILE = {
  init: 'router.lua',
  initWorker: 'init-worker.lua',
  route: 'route.lua',
  addCookie: 'add-cookie.lua',
  mirror: 'mirror.lua',
  failover: 'failover.lua',
  status: 'status.lua',
  lbProbe: 'lb-probe.lua',
  health: 'health.lua',
  adminTable: 'admin-table.lua',
  adminConfigState: 'admin-config-state.lua',
  adminDrain: 'admin-drain.lua',
  count: 'count.lua',
  guard: 'guard.lua',
} as const;

/** The router's files: name and content (what the front's custom data writes). */
export const ROUTER_FILES: ReadonlyArray<{ readonly name: string; readonly content: string }> = Object.values(ROUTER_FILE).map((name) => ({
  name,
  content: readFileSync(join(ROUTER_DIR, name), 'utf8'),
}));

/** The environment variable that carries the router's data (the only `env` a config may set). */
export const ROUTER_ENV = 'FRONT_ROUTER';

export interface RouterInput {
  readonly environment: string;
  readonly services: readonly string[];
  readonly tablePath: string;
  /** Name of the lua_shared_dict that holds the table, the trips and the swaps. */
  readonly dict: string;
  /** Name of the lua_shared_dict of the outcome counters (nginx evicts old ones when it fills, never the table). */
  readonly countersDict: string;
  /** The guard's state file (its trips and swaps): written by the nginx worker, read at a cold start. */
  readonly guardStatePath: string;
  /** How long a slot that could not be connected to is skipped. */
  readonly slotDownSeconds: number;
  /** Methods copied to the other slot when a service mirrors. */
  readonly mirrorMethods: readonly string[];
  /** This front's region, with regions. @default - one region */
  readonly region?: string;
  /** The other regions' fronts: each name with the networks its requests come from. */
  readonly peers?: ReadonlyArray<{ readonly name: string; readonly cidrs: readonly string[] }>;
}

/** The router's data as an nginx `env` directive (JSON in a single-quoted nginx string). */
export function routerEnvDirective(input: RouterInput): string {
  const json = JSON.stringify({
    environment: input.environment,
    services: input.services,
    tablePath: input.tablePath,
    dict: input.dict,
    countersDict: input.countersDict,
    guardStatePath: input.guardStatePath,
    slotDownSeconds: input.slotDownSeconds,
    mirrorMethods: input.mirrorMethods,
    ...(input.region !== undefined ? { region: input.region, peers: input.peers ?? [] } : {}),
  });
  return `env '${ROUTER_ENV}=${json.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}';`;
}
