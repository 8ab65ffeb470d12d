#!/bin/sh
# Usage: fetch-release SERVICE VERSION URL SHA256 IDENTITY_RESOURCE_ID
set -eu
service="$1"; version="$2"; url="$3"; sha256="$4"; identity="$5"
prefix="${SLOTENV_PREFIX:-}"
imds="${IMDS_ENDPOINT:-http://169.254.169.254}"
releases="$prefix/opt/$service/releases"
target="$releases/$version"
refuse() { echo "fetch-release: $1" >&2; rm -rf "$target.new"; exit 65; }
if [ -x "$target/bin/start" ] && [ "$(cat "$target/.sha256" 2>/dev/null)" = "$sha256" ]; then
  ln -sfn "$target" "$prefix/opt/$service/current"; exit 0
fi
token=$(curl -sSf --connect-timeout 5 --max-time 30 --retry 3 --retry-delay 2 -H Metadata:true \
  "$imds/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F&msi_res_id=$identity" \
  | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p') || true
[ -n "$token" ] || { echo "fetch-release: no token from the managed identity" >&2; exit 1; }
mkdir -p "$releases"
tmp=$(mktemp "$releases/.download.XXXXXX")
trap 'rm -f "$tmp"' EXIT
code=$(curl -sSf --connect-timeout 5 --max-time 600 --retry 3 --retry-delay 2 -w '%{http_code}' -H "Authorization: Bearer $token" -H "x-ms-version: 2020-04-08" -o "$tmp" "$url") \
  || { status=$?; echo "fetch-release: download of $url failed: HTTP ${code:-000} (curl exit $status)" >&2; exit 1; }
actual=$(sha256sum "$tmp" | cut -d' ' -f1)
[ "$actual" = "$sha256" ] || refuse "$url has sha256 $actual, expected $sha256; refusing it"
rm -rf "$target.new"; mkdir -p "$target.new"
tar -xzf "$tmp" -C "$target.new" || refuse "$url is not a gzip tar archive"
[ -x "$target.new/bin/start" ] || refuse "$url has no executable bin/start"
echo "$sha256" > "$target.new/.sha256"
rm -rf "$target"; mv "$target.new" "$target"
ln -sfn "$target" "$prefix/opt/$service/current"
echo "fetch-release: $service $version installed"
