#!/usr/bin/env bash
# Installs the real tools the tests run (Debian packages), when any is missing. Part of `npm test`,
# so a new machine or CI gets them from the project itself. Installing needs root; as another user
# it only says what is missing.
#   cloud-init      `cloud-init schema` on every rendered document
#   systemd         `systemd-analyze verify` on every rendered unit
#   python3, curl   the VM health endpoint and the release fetcher, run for real
set -euo pipefail
missing=()
for cmd in cloud-init systemd-analyze python3 curl; do command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "tests need ${missing[*]}: as root, apt-get install -y --no-install-recommends cloud-init systemd python3 curl" >&2
  exit 1
fi
echo "installing test tools (missing: ${missing[*]})" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends cloud-init systemd python3 curl >/dev/null
