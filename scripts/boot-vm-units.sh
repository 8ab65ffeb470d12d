#!/bin/bash
# Boots the rendered service-VM units under a real systemd (Debian 12: systemd 252, PID 1 in
# systemd-nspawn) against loopback stubs for IMDS, storage and Key Vault, and checks each start
# path ends as docs/vm-side.md says:
#   retry     storage and the vault refuse the first two requests (403), then answer:
#             every instance runs, the health endpoint answers 200 Healthy
#   refused   the release's SHA-256 differs: the release unit fails for good, the instances do not
#             start, the health endpoint answers 200 Unhealthy naming the reason
#   reboot    as retry, but the units were enabled on an earlier boot: they start with the boot
#             itself (cloud-init's runcmd does not run again), multi-user.target waits for them
#   control   the previous design (Restart=on-failure on the release oneshot), same stubs as retry:
#             the release succeeds on a restart but the instances stay dead (the pre-254 trap)
#   release   as retry, then the stub's IMDS serves user data naming 2.0.0: the release agent
#             switches both instances, and the health endpoint reports 2.0.0 (no reimage, no reboot)
# Opt-in, not part of jest: needs root, systemd-nspawn (systemd-container) and a Debian root file
# system (ROOTFS; made once, about 70 s, by
#   debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,python3,curl bookworm DIR).
# Usage: sudo scripts/boot-vm-units.sh [retry|refused|control ...]   (default: all three)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rootfs="${ROOTFS:-/var/cache/slotenv-nspawn/bookworm}"
[ "$(id -u)" = 0 ] || { echo "boot-vm-units: run as root (systemd-nspawn)" >&2; exit 2; }
command -v systemd-nspawn > /dev/null || { echo "boot-vm-units: systemd-nspawn missing (apt-get install systemd-container)" >&2; exit 2; }
[ -x "$rootfs/lib/systemd/systemd" ] || { echo "boot-vm-units: no Debian root at $rootfs (see the header for debootstrap)" >&2; exit 2; }
scenarios=("$@"); [ ${#scenarios[@]} -gt 0 ] || scenarios=(retry refused reboot control release)

work=$(mktemp -d /tmp/boot-vm-units.XXXXXX)
stub_pid=
# shellcheck disable=SC2317 # run by the trap
cleanup() { if [ -n "$stub_pid" ]; then kill "$stub_pid" 2> /dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

# the release: bin/start serves 200 on /health at $PORT
mkdir -p "$work/release/bin"
cat > "$work/release/bin/start" << 'EOF'
#!/bin/sh
exec python3 -c '
import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" and os.environ.get("DB_PASSWORD") == "s3cret" else 500)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
'
EOF
chmod 0755 "$work/release/bin/start"
tar -czf "$work/release.tar.gz" -C "$work/release" bin
sha=$(sha256sum "$work/release.tar.gz" | cut -d' ' -f1)

# one stub for IMDS, storage and the vault (the container shares the host's network namespace)
cat > "$work/stub.py" << 'EOF'
import http.server, json, sys
release, refuse_first, mode, scenario_dir = open(sys.argv[1], "rb").read(), int(sys.argv[2]), sys.argv[3], sys.argv[4]
seen = {}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        n = seen[path] = seen.get(path, 0) + 1
        if path == "/metadata/identity/oauth2/token":
            status, body = 200, b'{"access_token": "t"}'
        elif path.startswith("/releases/"):
            status, body = (403, b"AuthorizationPermissionMismatch") if n <= refuse_first else (200, release if mode != "refused" else b"tampered")
        elif path == "/metadata/instance/compute/userData":
            # the release scenario: the model's user data changes after the first few reads
            name = "user-data-v2" if mode == "release" and n > 3 else "user-data"
            status, body = 200, open("%s/%s" % (scenario_dir, name), "rb").read()
        elif path == "/secrets/demo-db-password":
            status, body = (403, b"{}") if n <= refuse_first else (200, json.dumps({"value": "s3cret"}).encode())
        else:
            status, body = 404, b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        sys.stderr.write("stub: %s %s\n" % (self.path.split("?")[0], a[2]))
server = http.server.HTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], flush=True)
server.serve_forever()
EOF

# inside the container: cloud-init's runcmd, then wait for the units to settle, then report
cat > "$work/proof.sh" << 'EOF'
#!/bin/sh
[ -e /scenario/enabled-before-boot ] || /scenario/runcmd.sh
units=$(cat /scenario/units)
for _ in $(seq 1 90); do
  sleep 1
  release=$(systemctl show -p ActiveState --value demo-release.service)
  running=$(systemctl show -p SubState --value demo@10000.service demo@10001.service | grep -c '^running$' || true)
  want=$(cat /scenario/expect-release 2> /dev/null || true)
  [ "$running" = 2 ] && curl -sf localhost:9000/health | grep -q "$want" && break
  [ "$release" = failed ] && sleep 3 && break
  [ -z "$want" ] && [ "$release" = active ] && [ "$running" != 2 ] && [ "$(systemctl show -p ActiveState --value demo@10000.service)" != activating ] && sleep 5 && break
done
{
  for unit in $units; do echo "$unit $(systemctl show -p ActiveState,SubState,Result,NRestarts "$unit" | tr '\n' ' ')"; done
  for f in /run/slotenv/*.state /run/slotenv/*.release.json; do [ -e "$f" ] && echo "state $(basename "$f"): $(cat "$f")"; done
  # what each running instance was started with (the release agent restarts them on a new release)
  for unit in demo@10000.service demo@10001.service; do
    pid=$(systemctl show -p MainPID --value "$unit")
    [ "$pid" != 0 ] && echo "$unit started with $(tr '\0' '\n' < "/proc/$pid/environ" | grep '^VERSION=')"
  done
  echo "health: $(curl -s -w ' HTTP %{http_code}' localhost:9000/health)"
  echo "systemd: $(systemctl --version | head -n 1)"
} > /scenario/result 2>&1
systemctl poweroff
EOF
chmod 0755 "$work/proof.sh"

status=0
for scenario in "${scenarios[@]}"; do
  dir="$work/$scenario"; mkdir -p "$dir"
  mode=$scenario; refuse_first=2; [ "$scenario" = refused ] && refuse_first=0
  python3 "$work/stub.py" "$work/release.tar.gz" "$refuse_first" "$mode" "$dir" > "$dir/stub.port" 2> "$dir/stub.log" &
  stub_pid=$!
  for _ in $(seq 1 50); do [ -s "$dir/stub.port" ] && break; sleep 0.1; done
  port=$(cat "$dir/stub.port")
  variant=(); [ "$scenario" = control ] && variant=(control)
  (cd "$here" && node scripts/app.js scripts/vm-boot-scenario.ts "$dir" "$port" "$sha" "${variant[@]}") > /dev/null
  machine="$dir/machine"
  cp -a "$rootfs" "$machine"
  cp -a "$dir/root/." "$machine/"
  mkdir -p "$machine/scenario" "$machine/etc/systemd/system/multi-user.target.wants"
  cp "$work/proof.sh" "$dir/runcmd.sh" "$dir/units" "$machine/scenario/"
  if [ "$scenario" = release ]; then echo '"release": {"demo": "2.0.0"}' > "$machine/scenario/expect-release"; fi
  printf '[Unit]\nDefaultDependencies=no\nAfter=multi-user.target\n[Service]\nType=oneshot\nExecStart=/scenario/proof.sh\n[Install]\nWantedBy=multi-user.target\n' > "$machine/etc/systemd/system/proof.service"
  ln -sf /etc/systemd/system/proof.service "$machine/etc/systemd/system/multi-user.target.wants/proof.service"
  if [ "$scenario" = reboot ]; then
    # the first boot, offline: the users made and the units enabled as runcmd does, nothing started
    read -ra users < "$dir/users"
    for user in "${users[@]}"; do chroot "$machine" useradd --system --no-create-home --shell /usr/sbin/nologin "$user"; done
    # shellcheck disable=SC2046 # unit names, one word each
    systemctl --root="$machine" enable $(cat "$dir/enable") > "$dir/first-boot.log" 2>&1 || { echo "first boot failed:"; cat "$dir/first-boot.log"; exit 1; }
    touch "$machine/scenario/enabled-before-boot"
  fi
  start=$(date +%s)
  timeout 180 systemd-nspawn -q -D "$machine" -b --register=no --keep-unit --console=read-only > "$dir/console.log" 2>&1 || true
  echo "== $scenario ($(( $(date +%s) - start )) s) =="
  cat "$machine/scenario/result" 2> /dev/null || { echo "no result; console:"; tail -n 30 "$dir/console.log"; status=1; }
  echo "stub: $(grep -c ' 403$' "$dir/stub.log" || true) requests refused, $(grep -c ' 200$' "$dir/stub.log" || true) answered"
  result=$(cat "$machine/scenario/result" 2> /dev/null || true)
  case $scenario in
    retry | reboot) expected=('^demo@10000.service .*ActiveState=active SubState=running' '^demo@10001.service .*ActiveState=active SubState=running' '^health: \{"ApplicationHealthState": "Healthy", "release": \{"demo": "1.0.0"\}\} HTTP 200$') ;;
    release) expected=('^demo@10000.service .*ActiveState=active SubState=running' '^demo@10001.service .*ActiveState=active SubState=running' '^state demo.release.json: \{"release": \["2.0.0", "[0-9a-f]+"\], "running": "2.0.0"\}$' '^demo@10000.service started with VERSION=2.0.0$' '^demo@10001.service started with VERSION=2.0.0$' '^health: \{"ApplicationHealthState": "Healthy", "release": \{"demo": "2.0.0"\}\} HTTP 200$') ;;
    refused) expected=('^demo-release.service .*Result=exit-code.*ActiveState=failed' '^demo@10000.service .*ActiveState=inactive' '^health: \{"ApplicationHealthState": "Unhealthy", "reason": "demo-release failed: fetch-release: .* has sha256 [0-9a-f]+, expected [0-9a-f]+; refusing it"\} HTTP 200$') ;;
    control) expected=('^demo-release.service .*NRestarts=[1-9].*ActiveState=active' '^demo@10000.service .*ActiveState=inactive SubState=dead' '^demo@10001.service .*ActiveState=inactive SubState=dead') ;;
  esac
  ok=1
  for pattern in "${expected[@]}"; do grep -qE "$pattern" <<< "$result" || { echo "-> missing: $pattern"; ok=0; }; done
  if [ $ok = 1 ]; then echo "-> $scenario: as expected"; else echo "-> $scenario: NOT as expected"; status=1; fi
  kill "$stub_pid" 2> /dev/null || true; wait "$stub_pid" 2> /dev/null || true; stub_pid=
  rm -rf "$machine"
done
exit $status
