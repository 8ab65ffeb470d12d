#!/usr/bin/env bash
# Builds the Terraform providers the synthesized stacks use, from their Go modules through the Go
# module proxy (never a registry or release download), for `npm run test:terraform`.
# Prints the folder that holds them; a second run finds them there and costs nothing.
#
#   hashicorp/time     v0.13.1, exactly the version the stacks pin.
#   hashicorp/azurerm  the stacks pin 4.55.0 (what @cdktf/provider-azurerm 14.23.1 is generated
#                      from), but the Go module proxy does not serve it: it answers
#                      "403 Forbidden: This module version is not available." for v4.55.0, for its
#                      commit's pseudo-version, and for any other version of the module, except its
#                      newest pseudo-version below (the provider's main branch on 2026-08-24, after
#                      the 5.2.0 release). That is what is built and run, through `dev_overrides`
#                      (terraform then ignores the pinned version and says so in a warning);
#                      docs/terraform-validate.md says what the gap between the two means.
#
# Cache: ASE_TOOL_CACHE (default ~/.cache/ase-tools)/providers. Go's own caches (GOMODCACHE,
# GOCACHE) make a rebuild after the binary is removed cheaper too.
set -euo pipefail
AZURERM_MODULE=github.com/hashicorp/terraform-provider-azurerm
AZURERM_VERSION=v1.44.1-0.20260824201233-fae580791926
TIME_MODULE=github.com/hashicorp/terraform-provider-time
TIME_VERSION=v0.13.1

cache="${ASE_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ase-tools}/providers"
mkdir -p "$cache"

build() { # module version folder
  local module=$1 version=$2 dir="$cache/$3" name
  name=$(basename "$module")
  if [ -x "$dir/$name" ] && [ "$(cat "$dir/.version" 2>/dev/null)" = "$version" ]; then return 0; fi
  if ! command -v go >/dev/null 2>&1; then
    echo "no Go toolchain: cannot build $module@$version" >&2
    return 1
  fi
  echo "building $module@$version into $dir (the azurerm provider: about 20 min and 7 GB of memory on 2 cores, cold)" >&2
  mkdir -p "$dir.tmp"
  local started=$SECONDS
  GOBIN="$dir.tmp" GOFLAGS=-buildvcs=false go install "$module@$version"
  echo "$version" >"$dir.tmp/.version"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  echo "built $name in $((SECONDS - started)) s" >&2
}

build "$TIME_MODULE" "$TIME_VERSION" time
build "$AZURERM_MODULE" "$AZURERM_VERSION" azurerm
echo "$cache"
