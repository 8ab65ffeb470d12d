#!/bin/sh
# front-agent: keeps nginx's config and routing table equal to the blobs the front stack writes.
# The pointer blob's metadata names the current config and table; both are content-addressed.
set -u
: "${IMDS_URL:=http://169.254.169.254}"
: "${NGINX:=nginx}"
: "${RELOAD:=systemctl reload nginx}"
: "${GUARD:=/usr/local/bin/front-conf-guard}"
mkdir -p "$STATE_DIR"
log() { echo "front: $*"; }
reloaded=0

# an IMDS token of the VM's user-assigned identity; $1: the resource, URL-encoded (storage by default)
token() {
  curl -fsS --max-time 5 -H Metadata:true \
    "$IMDS_URL/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${1:-https%3A%2F%2Fstorage.azure.com%2F}&msi_res_id=$IDENTITY_RESOURCE_ID" |
    sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p'
}

# the pointer's metadata (Get Blob Properties): sets conf_name and table_name
read_pointer() {
  if ! t=$(token) || [ -z "$t" ]; then log "cannot get a token for the store; keeping the current config and table"; return 1; fi
  # curl's own status, not a pipe's (sh has no pipefail): a refused read (403 while a grant
  # propagates) must say so, not read as a pointer without metadata
  headers=$(curl -fsS --max-time 10 -I -H "Authorization: Bearer $t" -H 'x-ms-version: 2021-08-06' "$CONTAINER_URL/$POINTER") ||
    { log "cannot read the pointer $POINTER; keeping the current config and table"; return 1; }
  headers=$(printf '%s\n' "$headers" | tr -d '\r')
  conf_name=$(printf '%s\n' "$headers" | sed -n 's/^[Xx]-[Mm][Ss]-[Mm][Ee][Tt][Aa]-[Cc][Oo][Nn][Ff][Ii][Gg]: *//p')
  table_name=$(printf '%s\n' "$headers" | sed -n 's/^[Xx]-[Mm][Ss]-[Mm][Ee][Tt][Aa]-[Tt][Aa][Bb][Ll][Ee]: *//p')
  if ! printf '%s' "$conf_name" | grep -Eqx 'config/[0-9a-f]{16}\.conf' || ! printf '%s' "$table_name" | grep -Eqx 'routing/[0-9a-f]{16}\.json'; then
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
  want=${1#*/}; want=${want%.*}
  got=$(sha256sum "$2.part" | cut -c1-16)
  if [ "$got" != "$want" ]; then log "blob $1 does not match its name (its SHA-256 starts $got): not used"; rm -f "$2.part"; return 1; fi
  mv "$2.part" "$2" && echo "$1" > "$2.name"
}

# tell nginx (for the health endpoint's warning) whether the newest config was refused
config_state() {
  if [ -n "${1:-}" ]; then curl -sS --max-time 5 -o /dev/null -X PUT --data-binary "$1" "${ADMIN_URL%/table}/config-state" 2>/dev/null
  else curl -sS --max-time 5 -o /dev/null -X DELETE "${ADMIN_URL%/table}/config-state" 2>/dev/null; fi
  return 0
}

# a refused config: logged once by name, reported to nginx (the health endpoint's warning)
refuse_conf() {
  if ! cmp -s "$STATE_DIR/nginx.conf.new" "$STATE_DIR/nginx.conf.refused"; then
    reason="config $conf_name refused ($1): $(echo "$2" | tr '\n' ' ')"
    log "$reason"
    cp "$STATE_DIR/nginx.conf.new" "$STATE_DIR/nginx.conf.refused"
    [ "${3:-}" = boot ] || config_state "$reason"
  fi
}

# a config is installed only when the guard accepts it (no code: the blob is data) and nginx -t does
sync_conf() {
  fetch "$conf_name" "$STATE_DIR/nginx.conf.new" || { log "cannot fetch the config $conf_name; keeping the current one"; return 1; }
  if cmp -s "$STATE_DIR/nginx.conf.new" "$CONF_PATH"; then
    [ "${1:-}" = boot ] || [ ! -f "$STATE_DIR/nginx.conf.refused" ] || { rm -f "$STATE_DIR/nginx.conf.refused"; config_state; }
    return 0
  fi
  # the master runs as root and runs the Lua a config names at start and reload: the guard first
  if ! out=$($GUARD "$STATE_DIR/nginx.conf.new" 2>&1); then refuse_conf guard "$out" "${1:-}"; return 1; fi
  if [ "${1:-}" = boot ]; then mkdir -p "$(dirname "$CONF_PATH")"; install_file "$STATE_DIR/nginx.conf.new" "$CONF_PATH"; return 0; fi
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
  if [ "${1:-}" = boot ]; then install_file "$STATE_DIR/table.new" "$TABLE_PATH"; rm -f "$STATE_DIR/table.applied"; return 0; fi
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
      if ! cmp -s "$STATE_DIR/table.new" "$STATE_DIR/table.refused"; then log "routing table $table_name refused: $(echo "$reply" | tr '\n' ' ')"; fi
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
  [ -n "${TLS_SECRET:-}" ] || return 0
  # in the loop ('due'), the vault is read every TLS_POLL_SECONDS once a certificate is on disk
  [ "${1:-}" = due ] && [ -s "$TLS_PATH" ] && [ "$(date +%s)" -lt "$tls_next" ] && return 0
  if ! t=$(token https%3A%2F%2Fvault.azure.net) || [ -z "$t" ]; then tls_log "cannot get a token for the vault from IMDS; retrying"; return 1; fi
  code=$(umask 077; curl -sS --max-time 10 -H "Authorization: Bearer $t" -o "$STATE_DIR/tls.json" -w '%{http_code}' \
    "$VAULT_URL/secrets/$TLS_SECRET?api-version=7.4" 2>"$STATE_DIR/tls.err") ||
    { tls_log "cannot reach the vault at $VAULT_URL: $(tr '\n' ' ' < "$STATE_DIR/tls.err"); retrying"; tls_clean; return 1; }
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
    open(sys.argv[2] + ".pem", "w").write(value if value.endswith("\n") else value + "\n")
    print("pem " + version)
' "$STATE_DIR/tls.json" "$STATE_DIR/tls" 2>&1); then
    tls_log "the vault's reply for the certificate $TLS_SECRET has no secret value: $(echo "$got" | tail -n 1)"; tls_clean; return 1
  fi
  version=${got#* }
  if [ "${got%% *}" = pkcs12 ]; then
    (umask 077; openssl pkcs12 -in "$STATE_DIR/tls.p12" -nodes -passin pass: -out "$STATE_DIR/tls.pem" 2>/dev/null ||
      openssl pkcs12 -legacy -in "$STATE_DIR/tls.p12" -nodes -passin pass: -out "$STATE_DIR/tls.pem" 2>/dev/null) ||
      { tls_log "the certificate $TLS_SECRET (version $version) is PKCS#12 that openssl cannot read without a password; import it as PEM"; tls_clean; return 1; }
  fi
  # nginx reads the key and the first certificate from this one file: both must be there
  if ! openssl x509 -noout -in "$STATE_DIR/tls.pem" 2>/dev/null || ! openssl pkey -noout -in "$STATE_DIR/tls.pem" 2>/dev/null; then
    tls_log "the certificate $TLS_SECRET (version $version) is not a PEM of a private key and a certificate: not published"; tls_clean; return 1
  fi
  if ! cmp -s "$STATE_DIR/tls.pem" "$TLS_PATH"; then
    if ! { install -d -m 0755 "$(dirname "$TLS_PATH")" &&
      install -m 0640 -o root -g "$TLS_GROUP" "$STATE_DIR/tls.pem" "$TLS_PATH.new" &&
      mv "$TLS_PATH.new" "$TLS_PATH"; }; then
      tls_log "cannot write $TLS_PATH"; tls_clean; return 1
    fi
    log "certificate $TLS_SECRET (version $version) published to $TLS_PATH"
  fi
  tls_said=''; tls_clean
  tls_next=$(( $(date +%s) + ${TLS_POLL_SECONDS:-3600} ))
}

# a tripped traffic guard (the router's /guard: one line per trip, "service id time description"):
# logged once per trip to the journal, which the front-guard-tripped alert reads in Syslog
report_guard() {
  lines=$(curl -fsS --max-time 5 "${ADMIN_URL%/table}/guard") || return 0
  printf '%s\n' "$lines" | while read -r _service id at rest; do
    [ -n "$rest" ] || continue
    grep -qx "$id $at" "$STATE_DIR/guard.logged" 2>/dev/null && continue
    log "guard tripped: $rest"
    echo "$id $at" >>"$STATE_DIR/guard.logged"
  done
}

case "${1:-loop}" in
  once)
    # the traffic guard's folder: the nginx worker writes its trips there
    guard_dir=$(dirname "${GUARD_TRIP_STATE:-/var/lib/front/guard/state.json}")
    { install -d -m 0750 "$guard_dir" && chown "${NGINX_USER:-www-data}" "$guard_dir"; } ||
      log "cannot make $guard_dir for ${NGINX_USER:-www-data}: a restarted nginx would forget the guard's trips"
    # boot: the pointer and both blobs before nginx starts, retried until the identity can read
    # them; a VM that has served before starts from its last good ones when the store stays unreadable
    tries=0
    until read_pointer && sync_conf boot && sync_table boot; do
      tries=$((tries + 1))
      if [ "$tries" -ge "${BOOT_FALLBACK_TRIES:-6}" ] && [ -s "$CONF_PATH" ] && [ -s "$TABLE_PATH" ]; then
        log "boot: cannot read the current config and table; starting with the last good ones on disk"
        break
      fi
      sleep "${RETRY_SECONDS:-5}"
    done
    # the certificate before nginx starts, retried for as long as it takes (a grant can take
    # minutes to reach the vault); a VM that has served before starts with the one on disk
    tries=0
    until sync_tls; do
      tries=$((tries + 1))
      if [ "$tries" -ge "${BOOT_FALLBACK_TRIES:-6}" ] && [ -s "$TLS_PATH" ]; then
        log "boot: cannot read the certificate from the vault; starting with the one on disk"
        break
      fi
      sleep "${RETRY_SECONDS:-5}"
    done
    log "boot: config and routing table in place" ;;
  loop)
    while :; do
      if read_pointer; then sync_conf; sync_table; fi
      report_guard
      sync_tls due
      sleep "$POLL_SECONDS"
    done ;;
  *) echo "usage: front-agent once|loop" >&2; exit 2 ;;
esac
