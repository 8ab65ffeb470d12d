/**
 * Scale-set settings that azurerm 4.x can only set at creation: `upgrade_mode`,
 * `rolling_upgrade_policy`, `zone_balance`, `platform_fault_domain_count`,
 * `os_disk.storage_account_type` (and the orchestration mode, a different resource). Changing one
 * replaces the scale set: every VM of the slot at once. The ScaleSet construct takes these values
 * from here (or from the lock, `ScaleSetProps.fixedSettings`), and the synth records them per
 * scale set in a lock file beside the environment (see `checkFixedSettings`), refusing a change
 * the spec does not allow. A recorded scale set keeps the recorded value of what the library
 * derives without a spec field (zone balance, the unhealthy-instance limit), so a library default
 * that changes reaches new scale sets only. Pure: no cdktf.
 */
/** One scale set's settings Azure or azurerm fix at creation (what the lock file records per scale set). */
export interface FixedSettings {
  /** The orchestration mode (a different azurerm resource each). */
  readonly orchestration: 'Uniform' | 'Flexible';
  /** `upgrade_mode`. */
  readonly upgradeMode: 'Rolling';
  /** `zone_balance`: true is strict balance, false best effort (today's default). */
  readonly zoneBalance: boolean;
  /** null: Azure's default (Uniform, zonal). */
  readonly platformFaultDomainCount: number | null;
  /** `rolling_upgrade_policy` (ForceNew as a block). */
  readonly rollingUpgradePolicy: {
    /** `max_batch_instance_percent`. */
    readonly maxBatchInstancePercent: number;
    /** `max_unhealthy_instance_percent`: at least the batch. */
    readonly maxUnhealthyInstancePercent: number;
    /** `max_unhealthy_upgraded_instance_percent`. */
    readonly maxUnhealthyUpgradedInstancePercent: number;
    /** `pause_time_between_batches` (ISO 8601). */
    readonly pauseTimeBetweenBatches: string;
    /** `maximum_surge_instances_enabled`. */
    readonly maximumSurgeInstancesEnabled: boolean;
    /** `prioritize_unhealthy_instances_enabled`. */
    readonly prioritizeUnhealthyInstancesEnabled: boolean;
    /** `cross_zone_upgrades_enabled`; null where there are no zones. */
    readonly crossZoneUpgradesEnabled: boolean | null;
  };
  /**
   * The OS disk's storage type, from the VM size (Premium SSD for sizes with an 's'). Absent in
   * lock files written before it was recorded: the synth records it then.
   */
  readonly osDiskStorageAccountType?: string;
  /**
   * The image, as `publisher:offer:sku` ('gallery' for a gallery image version). azurerm 4.55
   * replaces a scale set whose image publisher or offer changes (`source_image_reference`'s
   * `publisher` and `offer` are ForceNew; `sku` and `version` update the model in place). Absent
   * in lock files written before it was recorded: such a scale set was created with the then
   * default, `LEGACY_DEFAULT_IMAGE` (Ubuntu 22.04 Gen2), unless the spec named an image.
   */
  readonly image?: string;
  /**
   * 'resolved': a marketplace image at 'latest' runs the version resolved when the scale set was
   * created (or at its slot's last `osPatch` change), held in a `terraform_data` resource, so a
   * scale-out boots what its siblings run (docs/patching.md). Absent: the image's own version; for
   * a scale set recorded at 'latest' before versions were resolved, the model keeps 'latest' (no
   * change, no rollout) until its slot's `osPatch` is set. Not a creation-time setting: it changes
   * in place, and is recorded so a library upgrade never rolls a live slot.
   */
  readonly imageVersion?: 'resolved';
}

/** The library's default image for every scale set before the image was recorded (Ubuntu 22.04 LTS, Gen2). */
export const LEGACY_DEFAULT_IMAGE = 'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2';

/** The part of an image key azurerm cannot change in place (publisher and offer). */
const replacedBy = (key: string) => key.split(':').slice(0, 2).join(':').toLowerCase();

/** Premium SSD where the size supports it (an 's' in its features), else Standard SSD. */
export const osDiskType = (vmSize: string): 'Premium_LRS' | 'StandardSSD_LRS' => (/^Standard_[A-Z]+\d+[a-z]*s[a-z]*(_|$)/.test(vmSize) ? 'Premium_LRS' : 'StandardSSD_LRS');

/**
 * Azure counts instances being upgraded as unhealthy and checks the limit before every batch
 * (RollingUpgradePolicy: "the value of maxBatchInstancePercent should not be more than
 * maxUnhealthyInstancePercent"): at least 20, and never below the batch.
 */
export const maxUnhealthyPercentFor = (maxBatchPercent: number): number => Math.max(20, maxBatchPercent);

/** Today's creation-time settings of a scale set (a recorded one keeps the lock's: `checkFixedSettings`). */
export function fixedSettings(input: {
  /** @default 'Uniform' */
  orchestration?: 'Uniform' | 'Flexible';
  /** The region's zones ([] where it has none). */
  zones: readonly string[];
  /** @default 20 */
  maxBatchPercent?: number;
  /** @default true */
  maxSurge?: boolean;
  /** The VM size, which decides the OS disk type. */
  vmSize: string;
  /** The image's lock key (`publisher:offer:sku`, or 'gallery'). @default - not recorded */
  image?: string;
  /** A marketplace image at 'latest', resolved to a version at creation. @default - the image's own version */
  imageVersion?: 'resolved';
}): FixedSettings {
  const zonal = input.zones.length > 0;
  const orchestration = input.orchestration ?? 'Uniform';
  const batch = input.maxBatchPercent ?? 20;
  return {
    orchestration,
    upgradeMode: 'Rolling',
    // best-effort balance: strict balance (true) refuses any scale-out that unbalances the zones,
    // so while one zone is down autoscale and surge cannot add VMs in the healthy ones
    zoneBalance: false,
    platformFaultDomainCount: orchestration === 'Flexible' ? (zonal ? 1 : 2) : zonal ? null : 2,
    rollingUpgradePolicy: {
      maxBatchInstancePercent: batch,
      maxUnhealthyInstancePercent: maxUnhealthyPercentFor(batch),
      maxUnhealthyUpgradedInstancePercent: 5,
      pauseTimeBetweenBatches: 'PT30S',
      maximumSurgeInstancesEnabled: input.maxSurge ?? true,
      prioritizeUnhealthyInstancesEnabled: true,
      crossZoneUpgradesEnabled: zonal ? true : null,
    },
    osDiskStorageAccountType: osDiskType(input.vmSize),
    ...(input.image !== undefined ? { image: input.image } : {}),
    ...(input.imageVersion !== undefined ? { imageVersion: input.imageVersion } : {}),
  };
}

/** What the lock file beside an environment holds: each scale set's creation-time settings. */
export interface SettingsLock {
  readonly version: 1;
  readonly scaleSets: Readonly<Record<string, FixedSettings>>;
  /** The Key Vault's settings Azure fixes at creation. */
  readonly keyVault?: { readonly softDeleteRetentionDays: number };
  /** The VMs' admin user: `admin_username` forces a new scale set (every one of the environment). */
  readonly admin?: { readonly username: string };
}

export const LOCK_NOTE = 'Written by the synth: creation-time settings of each scale set. Commit it; a change here replaces scale sets.';

interface ServiceLike {
  /** Lock key prefix: the service's name, or 'pool-<pool>'. */
  readonly name: string;
  /** Where it is in the spec, for messages: 'services[2]' or 'pools[0]'. */
  readonly specPath: string;
  readonly orchestration: 'Uniform' | 'Flexible';
  readonly upgrade: { readonly maxBatchPercent: number; readonly maxSurge: boolean };
  /** The VM size (decides the OS disk type). */
  readonly vmSize: string;
  readonly allowReplacement: boolean;
  /** One scale set, keyed by the name alone (the front); else one per slot. @default false */
  readonly single?: boolean;
  /**
   * The image each scale set boots (`slot` undefined for the front): its lock key, whether the spec
   * named it, and the packages its custom data installs that this image's archive lacks (an
   * image that lacks some cannot run the VMs: it is never kept for them). @default - not recorded
   */
  readonly imageOf?: (slot: 'blue' | 'green' | undefined) => {
    readonly key: string;
    readonly fromSpec: boolean;
    readonly missingOn: (key: string) => readonly string[];
    /** A marketplace image at 'latest': resolved to a version at creation (`FixedSettings.imageVersion`). @default false */
    readonly resolved?: boolean;
    /** The slot's OS patch label: set, it pins a scale set recorded at 'latest' too. @default - none */
    readonly osPatch?: string;
  };
}

const slotsOf = (svc: ServiceLike) => (svc.single ? [undefined] : ['blue', 'green']);
const keyOf = (svc: ServiceLike, slot: string | undefined) => (slot ? `${svc.name}/${slot}` : svc.name);

/** Each scale set's fixed settings, keyed 'service/slot' (or 'front'), in key order. */
export function plannedFixedSettings(services: readonly ServiceLike[], zones: readonly string[]): Record<string, FixedSettings> {
  const out: Record<string, FixedSettings> = {};
  for (const svc of [...services].sort((a, b) => a.name.localeCompare(b.name))) {
    for (const slot of slotsOf(svc)) {
      const img = svc.imageOf?.(slot as 'blue' | 'green' | undefined);
      out[keyOf(svc, slot)] = fixedSettings({
        orchestration: svc.orchestration,
        zones,
        maxBatchPercent: svc.upgrade.maxBatchPercent,
        maxSurge: svc.upgrade.maxSurge,
        vmSize: svc.vmSize,
        image: img?.key,
        imageVersion: img?.resolved ? 'resolved' : undefined,
      });
    }
  }
  return out;
}

/** 'rollingUpgradePolicy.maxBatchInstancePercent 20 → 25', naming only the leaves that differ. */
function describeChange(field: string, before: unknown, after: unknown): string {
  if (typeof before === 'object' && before !== null && typeof after === 'object' && after !== null) {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    return [...new Set([...Object.keys(b), ...Object.keys(a)])]
      .filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]))
      .map((k) => `${field}.${k} ${JSON.stringify(b[k])} → ${JSON.stringify(a[k])}`)
      .join(', ');
  }
  return `${field} ${JSON.stringify(before)} → ${JSON.stringify(after)}`;
}
/**
 * A recorded scale set's settings as the library would plan them now, keeping the recorded value
 * of what no spec field decides: zone balance (while the scale set stays zonal) and the
 * unhealthy-instance limit (while the batch is unchanged). What a spec field decides (the disk
 * type, from the VM size) is as planned: a change of it is a change.
 */
export function keepRecorded(before: FixedSettings, planned: FixedSettings, zonal: boolean): FixedSettings {
  const bp = before.rollingUpgradePolicy;
  const pp = planned.rollingUpgradePolicy;
  return {
    ...planned,
    zoneBalance: zonal && typeof before.zoneBalance === 'boolean' ? before.zoneBalance : planned.zoneBalance,
    rollingUpgradePolicy:
      bp && bp.maxBatchInstancePercent === pp.maxBatchInstancePercent && typeof bp.maxUnhealthyInstancePercent === 'number'
        ? { ...pp, maxUnhealthyInstancePercent: bp.maxUnhealthyInstancePercent }
        : pp,
  };
}

/** Sizes Azure has with the same vCPUs and the recorded OS disk type, nearest first (for a hint). */
function sameDiskSizes(size: string, diskType: string, known: readonly string[]): string[] {
  const vcpus = /^Standard_[A-Z]+(\d+)/.exec(size)?.[1];
  const series = /_(v\d+)$/.exec(size)?.[1];
  const letter = /^Standard_([A-Z]+)/.exec(size)?.[1];
  return known
    .filter((k) => osDiskType(k) === diskType && /^Standard_([A-Z]+)(\d+)/.exec(k)?.[2] === vcpus && /^Standard_([A-Z]+)/.exec(k)?.[1] === letter && (series === undefined || k.endsWith(`_${series}`)))
    .sort((a, b) => a.length - b.length || a.localeCompare(b))
    .slice(0, 2);
}

export interface LockIssue {
  readonly path: string;
  readonly message: string;
  readonly hint: string;
}

/** What the environment fixes beside its scale sets. */
export interface EnvironmentFixed {
  /** The Key Vault's retention, when the spec has a vault. */
  readonly keyVault?: { readonly softDeleteRetentionDays: number };
  /** The VMs' admin user. */
  readonly adminUsername?: string;
  /** Known VM sizes, for hints. @default - none suggested */
  readonly knownSizes?: readonly string[];
}

/**
 * Compares planned settings with the lock: a recorded scale set whose settings would change is an
 * issue unless its service allows replacement. Returns the lock to write: every current scale set
 * (new ones appended, removed ones dropped), recorded ones with what the lock holds.
 */
export function checkFixedSettings(
  services: readonly ServiceLike[],
  zones: readonly string[],
  lock: SettingsLock | undefined,
  envFixed: EnvironmentFixed = {},
): { issues: LockIssue[]; next: SettingsLock } {
  const keyVault = envFixed.keyVault;
  const planned = plannedFixedSettings(services, zones);
  const issues: LockIssue[] = [];
  const recorded = lock?.keyVault?.softDeleteRetentionDays;
  if (keyVault && recorded !== undefined && recorded !== keyVault.softDeleteRetentionDays) {
    issues.push({
      path: 'keyVault.softDeleteRetentionDays',
      message: `changes from ${recorded} to ${keyVault.softDeleteRetentionDays} days; Azure cannot change a vault's soft-delete retention after creation`,
      hint: `keep ${recorded}; a new retention needs a new vault (docs/operating.md: tear down an environment)`,
    });
  }
  // the admin user is in every scale set (admin_username forces a new one): one field, all of them
  const recordedAdmin = lock?.admin?.username;
  const adminUsername = envFixed.adminUsername;
  const everyReplaceable = services.every((s) => s.allowReplacement);
  if (adminUsername !== undefined && recordedAdmin !== undefined && recordedAdmin !== adminUsername && !everyReplaceable) {
    issues.push({
      path: 'admin.username',
      message: `changes the VMs' admin user from ${JSON.stringify(recordedAdmin)} to ${JSON.stringify(adminUsername)}; Azure cannot change it after creation and azurerm forces a new scale set for it, so every scale set of the environment (both slots of every service and pool, and the front) would be replaced in one apply`,
      hint: `keep ${JSON.stringify(recordedAdmin)} (the lock file records it); if intended, set allowReplacement: true on every service, pool and the front for this change, in a maintenance window`,
    });
  }
  const next: Record<string, FixedSettings> = {};
  services.forEach((svc) => {
    const changed = new Map<string, { what: string; slots: string[] }>();
    const kept: Record<string, FixedSettings> = {};
    const imageIssues: { slot: string; from: string; to: string; missing: readonly string[]; fromSpec: boolean }[] = [];
    for (const slot of slotsOf(svc)) {
      const key = keyOf(svc, slot);
      let before = lock?.scaleSets[key];
      const after = planned[key];
      if (!before) {
        next[key] = after;
        continue;
      }
      let merged = keepRecorded(before, after, zones.length > 0);
      const img = svc.imageOf?.(slot as 'blue' | 'green' | undefined);
      if (img && after.image !== undefined) {
        // a scale set recorded before images were: it runs the then default, unless the spec named one
        const recordedImage = before.image ?? (img.fromSpec ? after.image : LEGACY_DEFAULT_IMAGE);
        const sameScaleSet = replacedBy(recordedImage) === replacedBy(after.image);
        // a library default that changed reaches new scale sets only, unless the recorded image cannot run these VMs
        const missing = img.fromSpec || sameScaleSet ? [] : img.missingOn(recordedImage);
        const image = sameScaleSet ? after.image : img.fromSpec || missing.length > 0 ? after.image : recordedImage;
        merged = { ...merged, image };
        if (!sameScaleSet && (img.fromSpec || missing.length > 0)) {
          imageIssues.push({ slot: slot ?? svc.name, from: recordedImage, to: after.image, missing, fromSpec: img.fromSpec });
        }
        // compared below as a recorded field
        before = { ...before, image: sameScaleSet ? after.image : recordedImage };
      }
      // recorded at 'latest' before versions were resolved: the model stays at 'latest' (a change
      // of it would roll every VM of the slot, the live one too) until the slot's osPatch is set
      if (img?.resolved && before.imageVersion === undefined && img.osPatch === undefined) {
        const { imageVersion: _, ...rest } = merged;
        merged = rest;
      }
      kept[key] = merged;
      for (const field of Object.keys(merged) as (keyof FixedSettings)[]) {
        if (field === 'image' || field === 'imageVersion') continue;
        // a field older lock files lack is recorded now, not compared
        if (before[field] === undefined || JSON.stringify(before[field]) === JSON.stringify(merged[field])) continue;
        const c = changed.get(field) ?? { what: describeChange(field, before[field], merged[field]), slots: [] };
        c.slots.push(slot ?? svc.name);
        changed.set(field, c);
      }
    }
    // replacement allowed: the new scale sets take today's defaults (zone balance, unhealthy limit
    // too); else the recorded values stay
    for (const [key, merged] of Object.entries(kept)) next[key] = svc.allowReplacement ? planned[key] : merged;
    if (svc.allowReplacement) return;
    if (imageIssues.length > 0) {
      const slots = imageIssues.map((i) => i.slot);
      const sets = `the ${slots.join(' and ')} scale set${slots.length > 1 ? 's' : ''}`;
      const i = imageIssues[0];
      const why = i.missing.length > 0 ? `; the recorded image's archive has no ${i.missing.join(', ')}, which these VMs install, so apt installs nothing and they never start (docs/vm-image.md)` : '';
      issues.push({
        path: i.fromSpec ? `${svc.specPath}.image` : `${svc.specPath}`,
        message: `changes the image of ${sets} from ${i.from} to ${i.to}; azurerm replaces a scale set whose image publisher or offer changes (source_image_reference.offer is ForceNew), so this replaces ${slots.length > 1 ? 'them' : 'it'}: every VM at once${why}`,
        hint: svc.single
          ? `deploy with ${svc.specPath}.allowReplacement: true in a maintenance window (its VMs are replaced together), then remove it`
          : `if intended, deploy with ${svc.specPath}.allowReplacement: true (replace the idle slot first), then remove it; else keep the image's offer`,
      });
    }
    // a new orchestration mode changes fault domains too: one issue, at the field the user changed
    if (changed.has('orchestration')) for (const f of [...changed.keys()]) if (f !== 'orchestration') changed.delete(f);
    for (const [field, c] of changed) {
      const them = c.slots.length > 1 ? 'them' : 'it';
      const sets = `the ${c.slots.join(' and ')} scale set${c.slots.length > 1 ? 's' : ''}`;
      if (field === 'osDiskStorageAccountType') {
        const diskType = lock!.scaleSets[keyOf(svc, slotsOf(svc)[0])].osDiskStorageAccountType!;
        const near = sameDiskSizes(svc.vmSize, diskType, envFixed.knownSizes ?? []);
        issues.push({
          path: `${svc.specPath}.vmSize`,
          message: `${svc.vmSize} changes the OS disk type ${diskType} → ${osDiskType(svc.vmSize)} of ${sets} (${diskType === 'Premium_LRS' ? 'a size without an s cannot use Premium SSD' : 'an s size takes Premium SSD'}); Azure cannot change a scale set's OS disk type, so this replaces ${them}: ${svc.single ? 'every VM at once' : 'both slots, every VM of the service, in one apply'}`,
          hint: `keep a size with ${diskType === 'Premium_LRS' ? 'premium storage (an s size' : 'standard storage (a size without s'}${near.length > 0 ? `, e.g. ${near.map((n) => `'${n}'`).join(' or ')}` : ''})${svc.single ? `; if intended, deploy with ${svc.specPath}.allowReplacement: true in a maintenance window (its VMs are replaced together), then remove it` : `; or add a new service with the new size beside this one and move traffic to it; ${svc.specPath}.allowReplacement: true replaces both slots together`}`,
        });
        continue;
      }
      const where = field === 'orchestration' ? `${svc.specPath}.orchestration` : field === 'rollingUpgradePolicy' ? `${svc.specPath}.upgrade` : 'region';
      issues.push({
        path: where,
        message: `changes ${c.what} of ${sets}, which replaces ${them}: every VM at once`,
        hint: svc.single
          ? `if intended, deploy with ${svc.specPath}.allowReplacement: true in a maintenance window (its VMs are replaced together), then remove it; else undo the change`
          : `if intended, deploy with ${svc.specPath}.allowReplacement: true (replace the idle slot first), then remove it; else undo the change`,
      });
    }
  });
  // the vault's retention stays recorded while the spec names a vault
  const vault = keyVault ? { softDeleteRetentionDays: recorded ?? keyVault.softDeleteRetentionDays } : undefined;
  // the admin user stays recorded; a change is written only when every scale set is being replaced
  const admin = adminUsername === undefined ? undefined : { username: recordedAdmin !== undefined && !everyReplaceable ? recordedAdmin : adminUsername };
  const scaleSets = Object.fromEntries(Object.keys(planned).map((k) => [k, next[k]]));
  return { issues, next: { version: 1, scaleSets, ...(vault ? { keyVault: vault } : {}), ...(admin ? { admin } : {}) } };
}
