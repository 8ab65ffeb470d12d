#!/usr/bin/env bash
# Installs the real tools the tests run (Debian packages), when missing. Part of `npm test`, so a
# new machine or CI gets them from the project itself. Needs root to install; only checks otherwise.
set -euo pipefail
# command → package
declare -A TOOLS=(
  [cloud-init]=cloud-init
  [systemd-analyze]=systemd
  [python3]=python3
  [curl]=curl
)
missing=()
for cmd in "${!TOOLS[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${TOOLS[$cmd]}"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "tests need: ${missing[*]} (apt-get install -y --no-install-recommends ${missing[*]}, as root)" >&2
  exit 1
fi
echo "installing test tools: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
