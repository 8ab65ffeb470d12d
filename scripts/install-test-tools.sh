#!/usr/bin/env bash
# Installs the real tools the tests run (Debian packages), when any is missing. Part of `npm test`,
# so a new machine or CI gets them from the project itself. Installing needs root; as another user
# it only says what is missing.
#   cloud-init      `cloud-init schema` on every rendered document
#   systemd         `systemd-analyze verify` on every rendered unit
#   python3, curl   the VM health endpoint and the release fetcher, run for real
#   nginx + Lua     the rendered front, run with real HTTP through it (libnginx-mod-http-lua, lua-cjson)
#   openssl         certificates for the front's TLS tests
#   wrk             the front's benchmark (bench/front.js) and the swap-under-load proof
#   terraform       plan-mode review on real plans (install-terraform.sh: the machine's, or built from its Go module)
#   openssh-client  ssh-keygen makes the real keys the SSH key checks are tested on
#   lua-check       luacheck on the front's router (lib/front/lua/)
#   pyflakes3, shellcheck  lint the VM-side Python and sh programs (lib/compute/vm/, lib/front/vm/)
#   iptables        the service VMs' drain fence, run in a network namespace of its own (unshare -n)
#   apt, perl       apt-config and Perl read the front's update settings back (in Debian's base system)
set -euo pipefail
bash "$(dirname "$0")/install-terraform.sh"
missing=()
for cmd in cloud-init systemd-analyze python3 curl nginx openssl wrk ssh-keygen luacheck shellcheck pyflakes3 iptables; do command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd"); done
[ -f /usr/lib/nginx/modules/ngx_http_lua_module.so ] || missing+=(libnginx-mod-http-lua)
[ -f /usr/lib/x86_64-linux-gnu/lua/5.1/cjson.so ] || compgen -G '/usr/lib/*/lua/5.1/cjson.so' >/dev/null || missing+=(lua-cjson)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "tests need ${missing[*]}: as root, apt-get install -y --no-install-recommends cloud-init systemd python3 curl nginx libnginx-mod-http-lua lua-cjson openssl wrk openssh-client lua-check shellcheck pyflakes3 iptables" >&2
  exit 1
fi
echo "installing test tools (missing: ${missing[*]})" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends cloud-init systemd python3 curl nginx libnginx-mod-http-lua lua-cjson openssl wrk openssh-client lua-check shellcheck pyflakes3 iptables >/dev/null
# the package's own service start is not wanted: tests run nginx from their own folders
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
