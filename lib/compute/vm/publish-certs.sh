#!/bin/sh
# Usage: publish-certs SERVICE DIR SOURCE NAME [SOURCE NAME ...]
set -eu
service="$1"; shift
prefix="${SLOTENV_PREFIX:-}"
dir="$prefix$1"; shift
wait="${WAIT_SECONDS:-600}"
mkdir -p "$dir"; chmod 0750 "$dir"; chgrp "$service" "$dir"
while [ $# -ge 2 ]; do
  source="$prefix$1"; name="$2"; shift 2
  waited=0
  until [ -s "$source" ]; do
    [ "$waited" -ge "$wait" ] && { echo "publish-certs: $service: no certificate at $source after ${wait}s (Key Vault extension)" >&2; exit 1; }
    sleep 2; waited=$((waited + 2))
  done
  cmp -s "$source" "$dir/$name.pem" && continue
  install -m 0640 -o root -g "$service" "$source" "$dir/.$name.pem.new"
  mv "$dir/.$name.pem.new" "$dir/$name.pem"
  echo "publish-certs: $service: $name published"
done
