/**
 * How the front's VMs get their config and routing table without a change to the scale set
 * (pure, no cdktf). In azurerm, a change to a scale set's custom data or extensions updates every
 * instance; a swap must not. So custom data holds only this agent, constant across swaps and
 * service additions, and the front stack writes blobs the agent pulls with the VM's identity.
 *
 * The blobs are content-addressed and never rewritten (in azurerm 4.55 `source_content` forces a
 * new blob: a rewrite in place is a delete, then a create, with a moment of no blob between):
 *
 * - `config/<sha256 prefix>.conf`, `routing/<sha256 prefix>.json`: one blob per version, created
 *   before the previous version is deleted (`create_before_destroy`);
 * - `current`, the pointer: a blob that is never replaced; its metadata names the current config
 *   and table (`x-ms-meta-config`, `x-ms-meta-table`), and a new version is only named once it
 *   exists (the metadata references the new blob, so Terraform updates it after the create and
 *   before the old blob's delete). Metadata is updated in place (Set Blob Metadata).
 *
 * So at every moment of an apply, and after any step of it fails, the pointer names a blob that
 * exists. The agent reads the pointer, fetches what it names (only when the name changed), and
 * checks each blob's SHA-256 against its name before use.
 *
 * - the config: checked by the guard (`conf-guard.py`: only the directives the library renders,
 *   no inline Lua, no module or Lua file but the router's, nginx's own log paths: the blob is data,
 *   the router's code ships with the VM), tested with `nginx -t`, installed and nginx reloaded. A
 *   config that fails either is refused (named log line, reported to nginx for the health
 *   endpoint's warning), and the running nginx keeps the last good one.
 * - the table: PUT to nginx's loopback admin endpoint, applied at once with no reload; written to
 *   disk only once nginx accepted it, so a restart boots with the last good table. A refused
 *   table is a named log line.
 *
 * - the TLS certificate (with `tls`): read from Key Vault with the same identity (an IMDS token
 *   for `https://vault.azure.net`, Get Secret), checked with openssl, renamed into the file nginx
 *   reads per handshake (root:www-data 0640); read again every TLS_POLL_SECONDS, so a renewal
 *   arrives without a reload. No Key Vault VM extension: it does not list the front's Ubuntu 24.04.
 *
 * At boot, `front-sync.service` (a oneshot before nginx) waits until the pointer and both blobs
 * (and the certificate) are fetched, so a new instance serves the current table from its first request. A VM that has
 * served before (a reboot) starts from its last good config and table on disk when the store
 * cannot be read after a few tries; the loop catches up once it can.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readVmProgram } from '../core/vm-program';
import { asYamlSafe, daemonUnit, DRAIN_APPROVE_MARGIN_SECONDS, DRAIN_LB_SECONDS, DRAIN_SCRIPT, DRAIN_UNIT, renderDrainUnit, VM_PATHS, type DrainConfig } from '../compute/cloud-init';
import { DEFAULT_FRONT_PORTS } from '../spec/constants';
import { ROUTER_FILES } from './lua';
import { FRONT_TLS_FILE } from './model';
import { FRONT_DEFAULTS, FRONT_UNIT_NOFILE, VM_FRONT_PATHS } from './nginx-conf';
import { renderFrontUpdatesFiles } from './updates';
import { CERT_EXPIRY_UNITS, certExpiryFiles } from '../compute/cert-expiry';

/**
 * The folder of the programs the front VMs run, beside this module (`lib/front/vm/`, copied to
 * `dist/lib/front/vm/` by the build): the agent (sh) and the config guard (Python), linted and run
 * by the tests as they are, and written into custom data byte for byte. The router's Lua is in
 * its own folder (`ROUTER_DIR`, lib/front/lua/).
 */
export const FRONT_VM_DIR = join(__dirname, 'vm');

/**
 * The config guard (Python 3, which cloud-init itself runs on): refuses a config blob that could
 * run code. The program: `lib/front/vm/conf-guard.py`.
 */
export const GUARD_SCRIPT = readVmProgram(FRONT_VM_DIR, 'conf-guard.py');

/** The front's blobs, in its container. */
export const FRONT_BLOBS = {
  /** The pointer: never replaced; its metadata names the current config and table. */
  pointer: 'current',
  /** Folder of the content-addressed configs. */
  configPrefix: 'config/',
  /** Folder of the content-addressed routing tables. */
  tablePrefix: 'routing/',
} as const;

/** Hex digits of the SHA-256 a blob's name carries. */
export const BLOB_HASH_LENGTH = 16;

/** A blob's content-addressed name: `config/<sha256 prefix>.conf`, `routing/<sha256 prefix>.json`. */
export function frontBlobName(kind: 'config' | 'table', content: string): string {
  const hash = createHash('sha256').update(content, 'utf8').digest('hex').slice(0, BLOB_HASH_LENGTH);
  return kind === 'config' ? `${FRONT_BLOBS.configPrefix}${hash}.conf` : `${FRONT_BLOBS.tablePrefix}${hash}.json`;
}

export const FRONT_VM_PATHS = {
  agent: '/usr/local/bin/front-agent',
  guard: '/usr/local/bin/front-conf-guard',
  /** The router's Lua files (the config names them; they are never in the config). */
  lua: VM_FRONT_PATHS.lua,
  env: '/etc/front/agent.env',
  conf: '/etc/front/nginx.conf',
  table: VM_FRONT_PATHS.table,
  state: '/var/lib/front',
} as const;

export const FRONT_UNITS = { sync: 'front-sync.service', agent: 'front-agent.service' } as const;

/** The agent's settings: `/etc/front/agent.env`. */
export interface FrontAgentSettings {
  /** URL of the front's container (the blobs are under it). */
  readonly containerUrl: string;
  /** Resource ID of the user-assigned identity that reads them. */
  readonly identityResourceId: string;
  readonly pollSeconds: number;
  /**
   * The TLS certificate the agent fetches from Key Vault itself (the secret of a Key Vault
   * certificate, read with the VM's identity) and publishes to nginx. @default - no TLS
   */
  readonly tls?: FrontTlsSource;
  /** The ports callers reach nginx on: the drain agent waits for their connections to end. @default 80 and 443 */
  readonly ports?: readonly number[];
}

/** Where the front's certificate is read: a Key Vault certificate's secret. */
export interface FrontTlsSource {
  /** The vault's URL, `https://<vault>.vault.azure.net`. */
  readonly vaultUrl: string;
  /** The certificate's name (its secret has the same name; the agent reads the current version). */
  readonly secret: string;
  /** Seconds between two reads of the secret once one is on disk (a renewal is a new version). @default 3600 */
  readonly pollSeconds?: number;
}

/** The Key Vault data-plane API version the agent calls (Get Secret). */
export const KEY_VAULT_API_VERSION = '7.4';

const envLine = (k: string, v: string | number) => `${k}='${String(v).replace(/'/g, `'\\''`)}'`;

export function renderAgentEnv(s: FrontAgentSettings): string {
  return [
    envLine('CONTAINER_URL', s.containerUrl),
    envLine('POINTER', FRONT_BLOBS.pointer),
    envLine('IDENTITY_RESOURCE_ID', s.identityResourceId),
    envLine('POLL_SECONDS', s.pollSeconds),
    envLine('ADMIN_URL', `http://127.0.0.1:${FRONT_DEFAULTS.adminPort}/table`),
    envLine('CONF_PATH', FRONT_VM_PATHS.conf),
    envLine('TABLE_PATH', FRONT_VM_PATHS.table),
    envLine('STATE_DIR', FRONT_VM_PATHS.state),
    // what the guard lets a config name: the router's files, the modules, nginx's own paths
    envLine('GUARD_LUA_DIR', VM_FRONT_PATHS.lua),
    envLine('GUARD_MODULES_DIR', VM_FRONT_PATHS.modules),
    envLine('GUARD_PID', VM_FRONT_PATHS.pid),
    envLine('GUARD_ERROR_LOG', VM_FRONT_PATHS.errorLog),
    envLine('GUARD_ACCESS_LOG', VM_FRONT_PATHS.accessLog),
    envLine('GUARD_TEMP', VM_FRONT_PATHS.temp),
    envLine('GUARD_TLS_FILE', FRONT_TLS_FILE),
    envLine('GUARD_TABLE', FRONT_VM_PATHS.table),
    envLine('GUARD_TRIP_STATE', VM_FRONT_PATHS.guardState),
    ...(s.tls
      ? [
          envLine('VAULT_URL', s.tls.vaultUrl.replace(/\/+$/, '')),
          envLine('TLS_SECRET', s.tls.secret),
          envLine('TLS_POLL_SECONDS', s.tls.pollSeconds ?? 3600),
          envLine('TLS_PATH', FRONT_TLS_FILE),
          envLine('TLS_GROUP', 'www-data'),
        ]
      : []),
    '',
  ].join('\n');
}

/**
 * The agent (POSIX sh, curl; run for real in the tests against stub IMDS and blob endpoints and
 * a real nginx). `front-agent once` fetches the config and table the pointer names to disk (boot,
 * nginx not running yet); `front-agent loop` keeps nginx equal to them. Settings come from the environment file;
 * IMDS_URL, NGINX, GUARD and RELOAD may be overridden (tests). The program:
 * `lib/front/vm/front-agent.sh`.
 */
export const AGENT_SCRIPT = readVmProgram(FRONT_VM_DIR, 'front-agent.sh', [`[0-9a-f]{${BLOB_HASH_LENGTH}}\\.conf'`, `[0-9a-f]{${BLOB_HASH_LENGTH}}\\.json'`, `cut -c1-${BLOB_HASH_LENGTH})`, `api-version=${KEY_VAULT_API_VERSION}"`]);

export function renderSyncUnit(): string {
  return [
    '[Unit]',
    'Description=Fetch the front config and routing table before nginx starts',
    'Wants=network-online.target',
    'After=network-online.target',
    'Before=nginx.service',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `EnvironmentFile=${FRONT_VM_PATHS.env}`,
    `ExecStart=${FRONT_VM_PATHS.agent} once`,
    // the agent retries for as long as it takes (a grant on its way, the vault refusing): a timeout
    // would fail the unit, and nginx (Requires=) would then never start on this boot
    'TimeoutStartSec=infinity',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

export function renderAgentUnit(): string {
  return daemonUnit({
    description: 'Keep the front config and routing table equal to the blobs the front stack writes',
    unit: [`After=nginx.service ${FRONT_UNITS.sync}`, `Requires=${FRONT_UNITS.sync}`],
    service: [`EnvironmentFile=${FRONT_VM_PATHS.env}`],
    execStart: `${FRONT_VM_PATHS.agent} loop`,
    restartSec: 5,
  });
}

/** nginx from the distribution, started on the front's config once the first sync is done. */
export function renderNginxDropIn(): string {
  const conf = FRONT_VM_PATHS.conf;
  const g = `-g 'daemon on; master_process on;'`;
  return [
    '[Unit]',
    `Requires=${FRONT_UNITS.sync}`,
    `After=${FRONT_UNITS.sync}`,
    '',
    '[Service]',
    'ExecStartPre=',
    `ExecStartPre=/usr/sbin/nginx -t -q -c ${conf} ${g}`,
    'ExecStart=',
    `ExecStart=/usr/sbin/nginx -c ${conf} ${g}`,
    'ExecReload=',
    `ExecReload=/usr/sbin/nginx -c ${conf} ${g} -s reload`,
    `LimitNOFILE=${FRONT_UNIT_NOFILE}`,
    '',
  ].join('\n');
}

/**
 * The front VM's drain config: the switch is the router's (`PUT /drain` on the admin endpoint:
 * `/healthz` answers 503, responses say `Connection: close`); once the caller ports hold no
 * connection, the agent is stopped and nginx quits gracefully, then the event is approved.
 */
export function frontDrainConfig(ports: readonly number[] = [DEFAULT_FRONT_PORTS.http, DEFAULT_FRONT_PORTS.https]): DrainConfig {
  return {
    mode: 'front',
    ports: [...ports].sort((a, b) => a - b),
    pollSeconds: 1,
    lbSeconds: DRAIN_LB_SECONDS,
    approveMarginSeconds: DRAIN_APPROVE_MARGIN_SECONDS,
    stateFile: VM_PATHS.drainState,
    adminUrl: `http://127.0.0.1:${FRONT_DEFAULTS.adminPort}/drain`,
    stop: [['systemctl', 'stop', FRONT_UNITS.agent], ['/usr/sbin/nginx', '-c', FRONT_VM_PATHS.conf, '-s', 'quit']],
    stopPidFile: VM_FRONT_PATHS.pid,
  };
}

/** The front VMs' #cloud-config: packages, the agent, its units. Constant across swaps. */
export function frontCloudInitDocument(input: FrontAgentSettings) {
  // plain text: the whole document is gzipped once as custom data (ScaleSet's gzipCloudInit), which
  // compresses across files where gzip per file could not
  const file = (path: string, content: string, permissions = '0644') => asYamlSafe({ path, owner: 'root:root', permissions, content });
  const tlsReported = input.tls ? [{ name: 'front-tls', path: FRONT_TLS_FILE }] : [];
  return {
    package_update: true,
    // Ubuntu's nginx and its Lua module (universe); lua-cjson for the table's JSON. The agent's
    // certificate checks use openssl and python3, both on Ubuntu's cloud images (cloud-init runs on python3)
    packages: ['nginx', 'libnginx-mod-http-lua', 'lua-cjson', 'curl'],
    write_files: [
      file(FRONT_VM_PATHS.env, renderAgentEnv(input), '0600'),
      file(FRONT_VM_PATHS.agent, AGENT_SCRIPT, '0755'),
      file(FRONT_VM_PATHS.guard, GUARD_SCRIPT, '0755'),
      // the router ships with the VM: the config blob only names these files
      ...ROUTER_FILES.map((f) => file(`${FRONT_VM_PATHS.lua}/${f.name}`, f.content)),
      // security updates that never restart nginx on every front VM at once (updates.ts)
      ...renderFrontUpdatesFiles().map((f) => file(f.path, f.content)),
      file(`/etc/systemd/system/${FRONT_UNITS.sync}`, renderSyncUnit()),
      file(`/etc/systemd/system/${FRONT_UNITS.agent}`, renderAgentUnit()),
      // the drain agent (Scheduled Events): the service VMs' program, in the front's mode
      file(VM_PATHS.drain, DRAIN_SCRIPT, '0755'),
      file(VM_PATHS.drainConfig, `${JSON.stringify(frontDrainConfig(input.ports))}\n`),
      file(`/etc/systemd/system/${DRAIN_UNIT}`, renderDrainUnit()),
      // when the TLS certificate on the VM expires, for the certificate-expiry alert (compute/cert-expiry.ts)
      ...certExpiryFiles(tlsReported),
      // after the packages: with it in place, the nginx package's own start would wait for the first sync
      { ...file('/etc/systemd/system/nginx.service.d/front.conf', renderNginxDropIn()), defer: true },
    ],
    runcmd: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', FRONT_UNITS.sync, FRONT_UNITS.agent, 'nginx', DRAIN_UNIT, ...(tlsReported.length > 0 ? [CERT_EXPIRY_UNITS.timer] : [])],
      ['systemctl', 'start', FRONT_UNITS.sync],
      ['systemctl', 'restart', 'nginx'],
      ['systemctl', 'start', FRONT_UNITS.agent],
      ['systemctl', 'start', DRAIN_UNIT],
      ...(tlsReported.length > 0 ? [['systemctl', 'start', CERT_EXPIRY_UNITS.timer]] : []),
    ],
  };
}
