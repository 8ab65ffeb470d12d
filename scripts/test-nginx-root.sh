#!/usr/bin/env bash
# The front's real-nginx tests again, on Debian 13's nginx, Lua module and lua-cjson instead of the
# host's Debian 12 ones: with Debian 12 they bracket the front VM image's Ubuntu 24.04 packages
# (docs/boot-tests.md has the versions). The root is scripts/boot-root.sh's (ASE_BOOT_SUITE=trixie,
# cached); test/support/nginx-root/nginx runs its nginx on this machine's files. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
ASE_NGINX_ROOT=$(ASE_BOOT_SUITE=trixie bash scripts/boot-root.sh)
# the front's runtime tests are a step of their own, outside the suite (test/runtime-tests.json)
export ASE_NGINX_ROOT PATH="$PWD/test/support/nginx-root:$PATH" ASE_RUNTIME_TESTS=1
echo "test-nginx-root: $(nginx -v 2>&1), $(chroot "$ASE_NGINX_ROOT" dpkg-query -W -f '${Package} ${Version}, ' libnginx-mod-http-lua lua-cjson)from $ASE_NGINX_ROOT" >&2
exec npx jest -w 1 test/front/nginx-front.test.ts test/front/runtime.test.ts test/front/health.test.ts test/front/drain.test.ts test/front/read-timeout.test.ts test/front/conf-guard.test.ts test/front/agent.test.ts test/front/guard.test.ts "$@"
