#!/usr/bin/env bash
# Builds (once) the Debian root file system the boot tests run the VMs' rendered cloud-init in,
# and prints its path: Debian 12 (bookworm) by default, Debian 13 (trixie) with ASE_BOOT_SUITE=trixie
# (the newer end of the bracket around the VM image's Ubuntu packages, docs/boot-tests.md). Cached outside the repository under $ASE_BOOT_CACHE (default
# /var/cache/ase-boot), in a folder named by the hash of everything that shapes it (this script's commands,
# its package list, the suite, the source), so a changed list or step builds a new root beside the old one.
#
#   debootstrap --variant=minbase <suite>, from the machine's configured Debian source (the first
#   deb.debian.org-style URI in /etc/apt/sources.list{,.d}), then apt-get install of PACKAGES inside
#   it; cloud-init's first-boot state is left empty, and the root is never booted itself (each boot
#   runs on a throwaway copy).
#
# Needs root. Installs debootstrap and systemd-container (systemd-nspawn) with apt-get when missing.
# Concurrent callers wait on a lock; a half-built root is never used (built in DIR.tmp, renamed).
set -euo pipefail
suite="${ASE_BOOT_SUITE:-bookworm}"
case "$suite" in bookworm | trixie) ;; *) echo "boot-root: ASE_BOOT_SUITE is bookworm or trixie, not '$suite'" >&2; exit 2 ;; esac
# what the rendered documents need: systemd as PID 1, cloud-init, the service VM's python3 and curl,
# the front's nginx with its Lua module, lua-cjson and openssl; iproute2 and procps for diagnosis
packages=(systemd systemd-sysv dbus python3 curl ca-certificates cloud-init nginx libnginx-mod-http-lua lua-cjson openssl iproute2 procps iptables)
cache="${ASE_BOOT_CACHE:-/var/cache/ase-boot}"

[ "$(id -u)" = 0 ] || { echo "boot-root: run as root (debootstrap, systemd-nspawn)" >&2; exit 2; }
need=()
command -v debootstrap > /dev/null || need+=(debootstrap)
command -v systemd-nspawn > /dev/null || need+=(systemd-container)
if [ ${#need[@]} -gt 0 ]; then
  echo "boot-root: installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
fi

# the machine's configured Debian source (deb822 or one-line format)
mirror=$(
  { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
    grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'; } \
    | grep -v -- '-security' | grep '/debian/*$' | head -n 1 || true
)
[ -n "$mirror" ] || { echo "boot-root: no Debian source configured in /etc/apt/sources.list{,.d}" >&2; exit 2; }

# keyed by the source and this script's commands (its package list and every step; not its comments)
key=$( { echo "$suite $mirror"; grep -v '^ *#' "$0"; } | sha256sum | cut -c1-16)
root="$cache/$key"
mkdir -p "$cache"
exec 9> "$cache/.lock"
flock 9
if [ -x "$root/lib/systemd/systemd" ] && [ -e "$root/.ase-boot-complete" ]; then echo "$root"; exit 0; fi

start=$(date +%s)
tmp="$root.tmp"
rm -rf "$tmp"
echo "boot-root: building $root from $mirror (debootstrap $suite, then ${packages[*]})" >&2
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,python3,curl "$suite" "$tmp" "$mirror" > "$cache/$key.log" 2>&1 \
  || { echo "boot-root: debootstrap failed (log: $cache/$key.log)" >&2; tail -n 20 "$cache/$key.log" >&2; rm -rf "$tmp"; exit 1; }
# the package installs inside: no service may start (policy-rc.d), nothing mounted beyond this step
printf '#!/bin/sh\nexit 101\n' > "$tmp/usr/sbin/policy-rc.d"; chmod 0755 "$tmp/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2> /dev/null || true
chroot "$tmp" /bin/sh -c "DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${packages[*]}" >> "$cache/$key.log" 2>&1 \
  || { echo "boot-root: package install failed (log: $cache/$key.log)" >&2; tail -n 20 "$cache/$key.log" >&2; rm -rf "$tmp"; exit 1; }
rm -f "$tmp/usr/sbin/policy-rc.d"
# as a cloud image has it: the default locale generated (cloud-init's locale module sets
# LANG=en_US.UTF-8 and fails when the locale does not exist)
sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' "$tmp/etc/locale.gen"
chroot "$tmp" locale-gen >> "$cache/$key.log" 2>&1
chroot "$tmp" apt-get clean
# a root with no first-boot leftovers: cloud-init never ran, no machine id (systemd makes one per boot)
rm -rf "$tmp/var/lib/cloud" "$tmp/var/lib/apt/lists/"*
: > "$tmp/etc/machine-id"
# the package's nginx is enabled by its postinst; cloud-init's runcmd decides on a VM, not the root
rm -f "$tmp/etc/systemd/system/multi-user.target.wants/nginx.service"
echo "$suite ${packages[*]}" > "$tmp/.ase-boot-complete"
mv "$tmp" "$root"
echo "boot-root: built in $(( $(date +%s) - start )) s" >&2
echo "$root"
