#!/usr/bin/env bash
# Installs checkov (the policy scanner, from PyPI) pinned, with its whole resolution and hashes
# (scripts/checkov-requirements.txt), into a virtualenv outside the repository:
#   ${ASE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ase-tools}/checkov-<version>
# Idempotent: a present venv of the same requirements (hash recorded after a complete install) is
# reused in milliseconds. Prints the checkov executable's path on stdout; progress goes to stderr.
# Needs CPython >= 3.11.5 and < 3.12 (the pinned wheels are cp311 manylinux x86_64): `python3`, or PYTHON=...
set -euo pipefail
VERSION=3.3.30
here="$(cd "$(dirname "$0")" && pwd)"
req="$here/checkov-requirements.txt"
cache="${ASE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ase-tools}"
dir="$cache/checkov-$VERSION"
want="$(sha256sum "$req" | cut -d' ' -f1)"

installed() { [ -x "$dir/bin/checkov" ] && [ -f "$dir/.ase-installed" ] && [ "$(cat "$dir/.ase-installed")" = "$want" ]; }
if installed; then echo "$dir/bin/checkov"; exit 0; fi

# CPython 3.11.5 or later 3.11: the wheels are cp311, and soupsieve 4.1.3 (beautifulsoup4's) needs
# >= 3.11.5, so Debian 12's python3 (3.11.2) cannot install this resolution: measured, pip finds
# no soupsieve==4.1.3 for it. This machine kind has pyenv's 3.11.7 first on PATH.
fits() { command -v "$1" >/dev/null 2>&1 && "$1" -c 'import sys, venv, ensurepip; sys.exit(not ((3, 11, 5) <= sys.version_info[:3] < (3, 12)))' 2>/dev/null; }
py="${PYTHON:-}"
if [ -z "$py" ]; then
  for c in python3.11 python3 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.11.*/bin/python3; do
    if fits "$c"; then py="$c"; break; fi
  done
fi
if [ -z "$py" ] || ! fits "$py"; then
  echo "install-checkov: needs CPython 3.11.5 or a later 3.11 with venv (the pinned checkov $VERSION resolution is cp311 and needs >= 3.11.5); none found, set PYTHON=" >&2
  exit 1
fi

mkdir -p "$cache"
exec 9>"$cache/checkov-$VERSION.lock"
flock 9 # another run may be installing the same version
if installed; then echo "$dir/bin/checkov"; exit 0; fi
echo "installing checkov $VERSION into $dir (about 30 s and 290 MB)" >&2
start=$(date +%s)
rm -rf "$dir"
"$py" -m venv "$dir"
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --require-hashes --no-deps --only-binary=:all: -r "$req" >&2
"$dir/bin/python" -m pip check >&2
got="$("$dir/bin/checkov" --version)"
if [ "$got" != "$VERSION" ]; then echo "install-checkov: installed checkov says $got, expected $VERSION" >&2; exit 1; fi
echo "$want" >"$dir/.ase-installed"
echo "checkov $VERSION installed in $(( $(date +%s) - start )) s, $(du -sh "$dir" | cut -f1)" >&2
echo "$dir/bin/checkov"
