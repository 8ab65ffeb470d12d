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
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ROUTER_FILES } from './lua';
import { FRONT_TLS_FILE } from './model';
import { FRONT_DEFAULTS, FRONT_UNIT_NOFILE, VM_FRONT_PATHS } from './nginx-conf';
import { renderFrontUpdatesFiles } from './updates';

/** The config guard (Python 3, which cloud-init itself runs on): refuses a config blob that could run code. */
export const GUARD_SCRIPT = readFileSync(join(__dirname, 'conf-guard.py'), 'utf8');

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
 * IMDS_URL, NGINX, GUARD and RELOAD may be overridden (tests).
 */
export const AGENT_SCRIPT = `#!/bin/sh
# front-agent: keeps nginx's config and routing table equal to the blobs the front stack writes.
# The pointer blob's metadata names the current config and table; both are content-addressed.
set -u
: "\${IMDS_URL:=http://169.254.169.254}"
: "\${NGINX:=nginx}"
: "\${RELOAD:=systemctl reload nginx}"
: "\${GUARD:=/usr/local/bin/front-conf-guard}"
mkdir -p "$STATE_DIR"
log() { echo "front: $*"; }
reloaded=0

# an IMDS token of the VM's user-assigned identity; $1: the resource, URL-encoded (storage by default)
token() {
  curl -fsS --max-time 5 -H Metadata:true \\
    "$IMDS_URL/metadata/identity/oauth2/token?api-version=2018-02-01&resource=\${1:-https%3A%2F%2Fstorage.azure.com%2F}&msi_res_id=$IDENTITY_RESOURCE_ID" |
    sed -n 's/.*"access_token" *: *"\\([^"]*\\)".*/\\1/p'
}

# the pointer's metadata (Get Blob Properties): sets conf_name and table_name
read_pointer() {
  t=$(token) && [ -n "$t" ] || { log "cannot get a token for the store; keeping the current config and table"; return 1; }
  headers=$(curl -fsS --max-time 10 -I -H "Authorization: Bearer $t" -H 'x-ms-version: 2021-08-06' "$CONTAINER_URL/$POINTER" | tr -d '\\r') ||
    { log "cannot read the pointer $POINTER; keeping the current config and table"; return 1; }
  conf_name=$(printf '%s\\n' "$headers" | sed -n 's/^[Xx]-[Mm][Ss]-[Mm][Ee][Tt][Aa]-[Cc][Oo][Nn][Ff][Ii][Gg]: *//p')
  table_name=$(printf '%s\\n' "$headers" | sed -n 's/^[Xx]-[Mm][Ss]-[Mm][Ee][Tt][Aa]-[Tt][Aa][Bb][Ll][Ee]: *//p')
  if ! printf '%s' "$conf_name" | grep -Eqx 'config/[0-9a-f]{${BLOB_HASH_LENGTH}}\\.conf' || ! printf '%s' "$table_name" | grep -Eqx 'routing/[0-9a-f]{${BLOB_HASH_LENGTH}}\\.json'; then
    log "the pointer $POINTER names no config and table (config='$conf_name' table='$table_name'); keeping the current ones"
    return 1
  fi
}

# fetch NAME FILE: a content-addressed blob, fetched only when NAME is new, used only when its
# SHA-256 matches its name
fetch() {
  [ -f "$2" ] && [ "$(cat "$2.name" 2>/dev/null)" = "$1" ] && return 0
  t=$(token) && [ -n "$t" ] || return 1
  curl -fsS --max-time 10 -H "Authorization: Bearer $t" -H 'x-ms-version: 2021-08-06' -o "$2.part" "$CONTAINER_URL/$1" || return 1
  want=\${1#*/}; want=\${want%.*}
  got=$(sha256sum "$2.part" | cut -c1-${BLOB_HASH_LENGTH})
  if [ "$got" != "$want" ]; then log "blob $1 does not match its name (its SHA-256 starts $got): not used"; rm -f "$2.part"; return 1; fi
  mv "$2.part" "$2" && echo "$1" > "$2.name"
}

# tell nginx (for the health endpoint's warning) whether the newest config was refused
config_state() {
  if [ -n "\${1:-}" ]; then curl -sS --max-time 5 -o /dev/null -X PUT --data-binary "$1" "\${ADMIN_URL%/table}/config-state" 2>/dev/null
  else curl -sS --max-time 5 -o /dev/null -X DELETE "\${ADMIN_URL%/table}/config-state" 2>/dev/null; fi
  return 0
}

# a refused config: logged once by name, reported to nginx (the health endpoint's warning)
refuse_conf() {
  if ! cmp -s "$STATE_DIR/nginx.conf.new" "$STATE_DIR/nginx.conf.refused"; then
    reason="config $conf_name refused ($1): $(echo "$2" | tr '\\n' ' ')"
    log "$reason"
    cp "$STATE_DIR/nginx.conf.new" "$STATE_DIR/nginx.conf.refused"
    [ "\${3:-}" = boot ] || config_state "$reason"
  fi
}

# a config is installed only when the guard accepts it (no code: the blob is data) and nginx -t does
sync_conf() {
  fetch "$conf_name" "$STATE_DIR/nginx.conf.new" || { log "cannot fetch the config $conf_name; keeping the current one"; return 1; }
  if cmp -s "$STATE_DIR/nginx.conf.new" "$CONF_PATH"; then
    [ "\${1:-}" = boot ] || [ ! -f "$STATE_DIR/nginx.conf.refused" ] || { rm -f "$STATE_DIR/nginx.conf.refused"; config_state; }
    return 0
  fi
  # the master runs as root and runs the Lua a config names at start and reload: the guard first
  if ! out=$($GUARD "$STATE_DIR/nginx.conf.new" 2>&1); then refuse_conf guard "$out" "\${1:-}"; return 1; fi
  if [ "\${1:-}" = boot ]; then mkdir -p "$(dirname "$CONF_PATH")"; install_file "$STATE_DIR/nginx.conf.new" "$CONF_PATH"; return 0; fi
  if out=$($NGINX -t -q -c "$STATE_DIR/nginx.conf.new" 2>&1); then
    cp "$CONF_PATH" "$STATE_DIR/nginx.conf.last-good" 2>/dev/null
    install_file "$STATE_DIR/nginx.conf.new" "$CONF_PATH"
    if $RELOAD; then
      log "config $conf_name applied and nginx reloaded"; reloaded=1
      rm -f "$STATE_DIR/nginx.conf.refused"; config_state
    else
      # put the running config back, so the next poll tries again
      install_file "$STATE_DIR/nginx.conf.last-good" "$CONF_PATH"
      log "config refused: the reload failed; nginx keeps the running config"
      return 1
    fi
  else
    refuse_conf 'nginx -t' "$out"
    return 1
  fi
}

# copy, then rename: a reader never sees half a file
install_file() { cp "$1" "$2.tmp" && mv "$2.tmp" "$2"; }

# a table counts as applied once nginx accepted it (table.applied); at boot it is only put on
# disk for nginx to load, so the first loop offers it again and learns whether nginx took it
sync_table() {
  fetch "$table_name" "$STATE_DIR/table.new" || { log "cannot fetch the routing table $table_name; keeping the current one"; return 1; }
  if [ "\${1:-}" = boot ]; then install_file "$STATE_DIR/table.new" "$TABLE_PATH"; rm -f "$STATE_DIR/table.applied"; return 0; fi
  cmp -s "$STATE_DIR/table.new" "$STATE_DIR/table.applied" && return 0
  # right after a reload the old workers may still answer (and refuse a table naming a new
  # service): try a few times before calling it refused; a refused table is offered again every
  # poll (a config may catch up) and logged once
  tries=1; [ "$reloaded" = 1 ] && tries=10; reloaded=0
  while :; do
    reply=$(curl -sS --max-time 5 -X PUT --data-binary @"$STATE_DIR/table.new" -w ' %{http_code}' "$ADMIN_URL") || { log "nginx did not answer on $ADMIN_URL"; return 1; }
    case "$reply" in *' 200') break ;; esac
    tries=$((tries - 1)); [ "$tries" -gt 0 ] || break
    sleep 0.5
  done
  case "$reply" in
    *' 200') install_file "$STATE_DIR/table.new" "$TABLE_PATH"; cp "$STATE_DIR/table.new" "$STATE_DIR/table.applied"; log "routing table $(echo "$reply" | sed 's/ 200$//') ($table_name)"; rm -f "$STATE_DIR/table.refused" ;;
    *)
      if ! cmp -s "$STATE_DIR/table.new" "$STATE_DIR/table.refused"; then log "routing table $table_name refused: $(echo "$reply" | tr '\\n' ' ')"; fi
      cp "$STATE_DIR/table.new" "$STATE_DIR/table.refused"
      return 1 ;;
  esac
}

# the front's certificate, read from Key Vault with the VM's identity (Get Secret: the current
# version of the certificate's secret, the PEM of its key and chain; a PKCS#12 secret, possible
# for an 'external' certificate, is converted with openssl), checked with openssl, and published
# whole (a rename) to the file nginx's workers read, root:$TLS_GROUP 0640. nginx reads it per
# handshake, so a renewal (a new version) needs no reload. The key passes through root's state
# folder only (0600, removed after). A problem is logged when it changes; the caller retries.
tls_said=''
tls_log() { [ "$1" = "$tls_said" ] || log "$1"; tls_said=$1; }
tls_next=0
tls_clean() { rm -f "$STATE_DIR/tls.json" "$STATE_DIR/tls.pem" "$STATE_DIR/tls.p12" "$STATE_DIR/tls.err"; }
sync_tls() {
  [ -n "\${TLS_SECRET:-}" ] || return 0
  # in the loop ('due'), the vault is read every TLS_POLL_SECONDS once a certificate is on disk
  [ "\${1:-}" = due ] && [ -s "$TLS_PATH" ] && [ "$(date +%s)" -lt "$tls_next" ] && return 0
  t=$(token https%3A%2F%2Fvault.azure.net) && [ -n "$t" ] || { tls_log "cannot get a token for the vault from IMDS; retrying"; return 1; }
  code=$(umask 077; curl -sS --max-time 10 -H "Authorization: Bearer $t" -o "$STATE_DIR/tls.json" -w '%{http_code}' \\
    "$VAULT_URL/secrets/$TLS_SECRET?api-version=${KEY_VAULT_API_VERSION}" 2>"$STATE_DIR/tls.err") ||
    { tls_log "cannot reach the vault at $VAULT_URL: $(tr '\\n' ' ' < "$STATE_DIR/tls.err"); retrying"; tls_clean; return 1; }
  case "$code" in
    200) ;;
    401|403) tls_log "the vault refused the token for the certificate $TLS_SECRET (HTTP $code): the identity's Key Vault Secrets User grant on it may not have reached the vault yet; retrying"; tls_clean; return 1 ;;
    404) tls_log "the vault has no certificate $TLS_SECRET (HTTP 404); retrying"; tls_clean; return 1 ;;
    *) tls_log "the vault answered HTTP $code for the certificate $TLS_SECRET; retrying"; tls_clean; return 1 ;;
  esac
  # the reply's value (and contentType, and the version, the last part of its id)
  if ! got=$(umask 077; python3 -c '
import base64, json, sys
d = json.load(open(sys.argv[1]))
value, kind = d["value"], d.get("contentType") or ""
version = (d.get("id") or "").rstrip("/").rsplit("/", 1)[-1]
if kind == "application/x-pkcs12":
    open(sys.argv[2] + ".p12", "wb").write(base64.b64decode(value))
    print("pkcs12 " + version)
else:
    open(sys.argv[2] + ".pem", "w").write(value if value.endswith("\\n") else value + "\\n")
    print("pem " + version)
' "$STATE_DIR/tls.json" "$STATE_DIR/tls" 2>&1); then
    tls_log "the vault's reply for the certificate $TLS_SECRET has no secret value: $(echo "$got" | tail -n 1)"; tls_clean; return 1
  fi
  version=\${got#* }
  if [ "\${got%% *}" = pkcs12 ]; then
    (umask 077; openssl pkcs12 -in "$STATE_DIR/tls.p12" -nodes -passin pass: -out "$STATE_DIR/tls.pem" 2>/dev/null ||
      openssl pkcs12 -legacy -in "$STATE_DIR/tls.p12" -nodes -passin pass: -out "$STATE_DIR/tls.pem" 2>/dev/null) ||
      { tls_log "the certificate $TLS_SECRET (version $version) is PKCS#12 that openssl cannot read without a password; import it as PEM"; tls_clean; return 1; }
  fi
  # nginx reads the key and the first certificate from this one file: both must be there
  if ! openssl x509 -noout -in "$STATE_DIR/tls.pem" 2>/dev/null || ! openssl pkey -noout -in "$STATE_DIR/tls.pem" 2>/dev/null; then
    tls_log "the certificate $TLS_SECRET (version $version) is not a PEM of a private key and a certificate: not published"; tls_clean; return 1
  fi
  if ! cmp -s "$STATE_DIR/tls.pem" "$TLS_PATH"; then
    install -d -m 0755 "$(dirname "$TLS_PATH")" &&
      install -m 0640 -o root -g "$TLS_GROUP" "$STATE_DIR/tls.pem" "$TLS_PATH.new" &&
      mv "$TLS_PATH.new" "$TLS_PATH" || { tls_log "cannot write $TLS_PATH"; tls_clean; return 1; }
    log "certificate $TLS_SECRET (version $version) published to $TLS_PATH"
  fi
  tls_said=''; tls_clean
  tls_next=$(( $(date +%s) + \${TLS_POLL_SECONDS:-3600} ))
}

case "\${1:-loop}" in
  once)
    # boot: the pointer and both blobs before nginx starts, retried until the identity can read
    # them; a VM that has served before starts from its last good ones when the store stays unreadable
    tries=0
    until read_pointer && sync_conf boot && sync_table boot; do
      tries=$((tries + 1))
      if [ "$tries" -ge "\${BOOT_FALLBACK_TRIES:-6}" ] && [ -s "$CONF_PATH" ] && [ -s "$TABLE_PATH" ]; then
        log "boot: cannot read the current config and table; starting with the last good ones on disk"
        break
      fi
      sleep "\${RETRY_SECONDS:-5}"
    done
    # the certificate before nginx starts, retried for as long as it takes (a grant can take
    # minutes to reach the vault); a VM that has served before starts with the one on disk
    tries=0
    until sync_tls; do
      tries=$((tries + 1))
      if [ "$tries" -ge "\${BOOT_FALLBACK_TRIES:-6}" ] && [ -s "$TLS_PATH" ]; then
        log "boot: cannot read the certificate from the vault; starting with the one on disk"
        break
      fi
      sleep "\${RETRY_SECONDS:-5}"
    done
    log "boot: config and routing table in place" ;;
  loop)
    while :; do
      if read_pointer; then sync_conf; sync_table; fi
      sync_tls due
      sleep "$POLL_SECONDS"
    done ;;
  *) echo "usage: front-agent once|loop" >&2; exit 2 ;;
esac
`;

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
  return [
    '[Unit]',
    'Description=Keep the front config and routing table equal to the blobs the front stack writes',
    `After=nginx.service ${FRONT_UNITS.sync}`,
    `Requires=${FRONT_UNITS.sync}`,
    '',
    '[Service]',
    `EnvironmentFile=${FRONT_VM_PATHS.env}`,
    `ExecStart=${FRONT_VM_PATHS.agent} loop`,
    'Restart=always',
    'RestartSec=5',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
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

/** The front VMs' #cloud-config: packages, the agent, its units. Constant across swaps. */
export function frontCloudInitDocument(input: FrontAgentSettings) {
  const file = (path: string, content: string, permissions = '0644') => ({ path, owner: 'root:root', permissions, content });
  // gzip is deterministic here (no name, no time in the header): the same bytes every synth
  const packed = (path: string, content: string, permissions = '0644') => ({ ...file(path, gzipSync(Buffer.from(content, 'utf8'), { level: 9 }).toString('base64'), permissions), encoding: 'gz+b64' });
  return {
    package_update: true,
    // Ubuntu's nginx and its Lua module (universe); lua-cjson for the table's JSON. The agent's
    // certificate checks use openssl and python3, both on Ubuntu's cloud images (cloud-init runs on python3)
    packages: ['nginx', 'libnginx-mod-http-lua', 'lua-cjson', 'curl'],
    write_files: [
      file(FRONT_VM_PATHS.env, renderAgentEnv(input), '0600'),
      packed(FRONT_VM_PATHS.agent, AGENT_SCRIPT, '0755'),
      // compressed: custom data is limited to 64 KB (base64), and these are most of it
      packed(FRONT_VM_PATHS.guard, GUARD_SCRIPT, '0755'),
      // the router ships with the VM: the config blob only names these files
      ...ROUTER_FILES.map((f) => packed(`${FRONT_VM_PATHS.lua}/${f.name}`, f.content)),
      // security updates that never restart nginx on every front VM at once (updates.ts)
      ...renderFrontUpdatesFiles().map((f) => file(f.path, f.content)),
      file(`/etc/systemd/system/${FRONT_UNITS.sync}`, renderSyncUnit()),
      file(`/etc/systemd/system/${FRONT_UNITS.agent}`, renderAgentUnit()),
      // after the packages: with it in place, the nginx package's own start would wait for the first sync
      { ...file('/etc/systemd/system/nginx.service.d/front.conf', renderNginxDropIn()), defer: true },
    ],
    runcmd: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', FRONT_UNITS.sync, FRONT_UNITS.agent, 'nginx'],
      ['systemctl', 'start', FRONT_UNITS.sync],
      ['systemctl', 'restart', 'nginx'],
      ['systemctl', 'start', FRONT_UNITS.agent],
    ],
  };
}
