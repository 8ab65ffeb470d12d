/**
 * How the front VMs get security updates without restarting nginx on all of them at once (pure).
 *
 * Ubuntu's cloud images run unattended-upgrades from `apt-daily-upgrade.timer`, at the same time
 * of day on every VM (a 60-minute random delay), and 24.04's needrestart restarts the services a
 * library upgrade touched. On the front that is nginx on every VM in one window: the disruption
 * the routing table exists to avoid (a restart drops every connection; a reload closes idle
 * keep-alive ones as clients send on them). So on the front VMs:
 *
 * - unattended-upgrades keeps installing security updates, except nginx, its modules and the Lua
 *   packages the router loads (`Unattended-Upgrade::Package-Blacklist`), and never reboots;
 * - needrestart never restarts nginx (`$nrconf{override_rc}`): a patched library (OpenSSL, say)
 *   reaches nginx with the next image;
 * - each VM runs the daily upgrade at its own fixed random time of day (`RandomizedDelaySec`,
 *   `FixedRandomDelay`), so the VMs do not do the other upgrades' work in the same hour either;
 * - nginx's own patches (and kernel and library ones) reach the VMs by the front scale set's
 *   automatic OS image upgrade: Azure rolls a new marketplace image through the scale set in
 *   batches, gated by the health extension, one batch at a time (`ScaleSetProps.automaticOsUpgrade`).
 *
 * docs/vm-image.md has the reasoning; the tests read the apt file with `apt-config` and the timer
 * drop-in with `systemd-analyze verify`.
 */

import { renderUpgradeTimerDropIn } from '../compute/updates';

/** Package name patterns (Python regular expressions, matched at the start) unattended-upgrades leaves alone on the front. */
export const FRONT_HELD_PACKAGES = ['nginx', 'libnginx-mod-', 'lua-cjson', 'lua-resty-', 'libluajit'] as const;

export const FRONT_UPDATES_PATHS = {
  apt: '/etc/apt/apt.conf.d/52front-unattended-upgrades',
  needrestart: '/etc/needrestart/conf.d/front.conf',
  timer: '/etc/systemd/system/apt-daily-upgrade.timer.d/front.conf',
} as const;

export function renderFrontAptConf(): string {
  return [
    '// front VMs: security updates for all but nginx and the packages it loads; never a reboot.',
    "// nginx's patches arrive with the scale set's automatic OS image upgrade (a rolling reimage).",
    'Unattended-Upgrade::Package-Blacklist {',
    ...FRONT_HELD_PACKAGES.map((p) => `  "${p}";`),
    '};',
    'Unattended-Upgrade::Automatic-Reboot "false";',
    '',
  ].join('\n');
}

export function renderFrontNeedrestartConf(): string {
  return ['# front VMs: never restart nginx after a library upgrade (it moves to the new library with the next image)', '$nrconf{override_rc}{qr(^nginx)} = 0;', ''].join('\n');
}

/** The same drop-in as the service VMs' (`compute/updates.ts`). */
export const renderFrontUpgradeTimerDropIn = renderUpgradeTimerDropIn;

export function renderFrontUpdatesFiles(): Array<{ path: string; content: string }> {
  return [
    { path: FRONT_UPDATES_PATHS.apt, content: renderFrontAptConf() },
    { path: FRONT_UPDATES_PATHS.needrestart, content: renderFrontNeedrestartConf() },
    { path: FRONT_UPDATES_PATHS.timer, content: renderFrontUpgradeTimerDropIn() },
  ];
}
