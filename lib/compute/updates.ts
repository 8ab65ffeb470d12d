/**
 * How the service VMs take security updates between OS patches (pure; docs/patching.md).
 *
 * Two paths reach a service VM. The slot's OS patch (`slots.<slot>.osPatch`) replaces its OS
 * disk with a newer image, slot by slot, health-gated: the kernel, the libraries and every
 * running process move at once, and the review shows it. Between patches, unattended-upgrades
 * installs the archive's security updates daily, chosen here explicitly rather than left to the
 * image's defaults:
 *
 * - `APT::Periodic` turns the daily list update and unattended upgrade on, whatever the image
 *   ships in `20auto-upgrades`;
 * - never a reboot (`Unattended-Upgrade::Automatic-Reboot "false"`): a reboot of every VM in the
 *   same few hours drops their in-flight requests with no drain; a kernel fix arrives with the
 *   next OS patch, which reimages the idle slot's VMs before any request reaches them;
 * - needrestart never restarts the service's instances (`$nrconf{override_rc}` per service's
 *   `<service>@` units): it would restart every instance of a VM at once, outside the release
 *   agent's port-by-port switch. A patched library reaches them with the next release (the
 *   agent restarts them one port at a time) or OS patch;
 * - each VM runs the daily upgrade at its own fixed random time (`RandomizedDelaySec=6h`,
 *   `FixedRandomDelay=true`), so the slot's VMs do not all do it in the same hour.
 *
 * The front's equivalent, which also holds nginx back, is `front/updates.ts`.
 */

export const SERVICE_UPDATES_PATHS = {
  apt: '/etc/apt/apt.conf.d/52ase-unattended-upgrades',
  needrestart: '/etc/needrestart/conf.d/ase-services.conf',
  timer: '/etc/systemd/system/apt-daily-upgrade.timer.d/ase.conf',
} as const;

export function renderServiceAptConf(): string {
  return [
    '// ase: daily security updates, never a reboot (docs/patching.md)',
    'APT::Periodic::Update-Package-Lists "1";',
    'APT::Periodic::Unattended-Upgrade "1";',
    'Unattended-Upgrade::Automatic-Reboot "false";',
    '',
  ].join('\n');
}

/** One override per service (names are `[a-z][a-z0-9-]*`, safe inside a Perl regular expression). */
export function renderServiceNeedrestartConf(services: readonly string[]): string {
  return [
    "# ase: never restart a service's instances (docs/patching.md)",
    ...[...services].sort().map((s) => `$nrconf{override_rc}{qr(^${s}\\@)} = 0;`),
    '',
  ].join('\n');
}

/** Each VM's daily upgrade at its own time of day, the same every day (service and front VMs). */
export function renderUpgradeTimerDropIn(): string {
  return ['[Timer]', '# each VM at its own time of day, the same every day', 'RandomizedDelaySec=6h', 'FixedRandomDelay=true', ''].join('\n');
}

export function renderServiceUpdatesFiles(services: readonly string[]): Array<{ path: string; owner: string; permissions: string; content: string }> {
  return [
    { path: SERVICE_UPDATES_PATHS.apt, owner: 'root:root', permissions: '0644', content: renderServiceAptConf() },
    { path: SERVICE_UPDATES_PATHS.needrestart, owner: 'root:root', permissions: '0644', content: renderServiceNeedrestartConf(services) },
    { path: SERVICE_UPDATES_PATHS.timer, owner: 'root:root', permissions: '0644', content: renderUpgradeTimerDropIn() },
  ];
}
