#!/usr/bin/env bash
# Makes sure `terraform` is on PATH for the tests (plan-mode review runs init, plan, show -json on
# built-in terraform_data resources). Part of `npm test` through install-test-tools.sh.
#
# The machine image may ship terraform (this kind had 1.11.4 in /usr/local/bin); when it does not,
# terraform is built from its Go module through the Go module proxy: no release download. Only
# releases up to 1.8.x build that way: from 1.9.0 terraform's go.mod has `replace` directives for
# its nested backend modules, which `go install module@version` refuses (measured: 1.11.4 refused,
# 1.8.5 built in 2 min 32 s on 2 cores). So the fallback is 1.8.5; the review reads plan format 1.2,
# which 1.8 writes too.
set -euo pipefail
VERSION=1.8.5
if command -v terraform >/dev/null 2>&1; then exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  echo "tests need terraform: none on PATH, and no Go toolchain to build terraform $VERSION from its module" >&2
  exit 1
fi
if [ -n "${TERRAFORM_BIN_DIR:-}" ]; then bin="$TERRAFORM_BIN_DIR"; mkdir -p "$bin"; elif [ "$(id -u)" -eq 0 ]; then bin=/usr/local/bin; else bin="$HOME/.local/bin"; mkdir -p "$bin"; fi
echo "building terraform $VERSION from its Go module into $bin (about 3 min on 2 cores)" >&2
GOBIN="$bin" GOFLAGS= go install "github.com/hashicorp/terraform@v$VERSION"
if ! command -v terraform >/dev/null 2>&1; then
  echo "terraform $VERSION was built into $bin, which is not on PATH: add it" >&2
  exit 1
fi
terraform version -json | head -n 2 >&2
