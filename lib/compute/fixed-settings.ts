/**
 * Scale-set settings that azurerm 4.x can only set at creation: `upgrade_mode`,
 * `rolling_upgrade_policy`, `zone_balance`, `platform_fault_domain_count` (and the orchestration
 * mode, a different resource). Changing one replaces the scale set: every VM of the slot at once.
 * The ScaleSet construct takes these values from here, and the synth records them per scale set
 * in a lock file beside the environment (see `checkFixedSettings`), refusing a change the spec
 * does not allow. Pure: no cdktf.
 */
export interface FixedSettings {
  readonly orchestration: 'Uniform' | 'Flexible';
  readonly upgradeMode: 'Rolling';
  readonly zoneBalance: boolean;
  /** null: Azure's default (Uniform, zonal). */
  readonly platformFaultDomainCount: number | null;
  readonly rollingUpgradePolicy: {
    readonly maxBatchInstancePercent: number;
    readonly maxUnhealthyInstancePercent: number;
    readonly maxUnhealthyUpgradedInstancePercent: number;
    readonly pauseTimeBetweenBatches: string;
    readonly maximumSurgeInstancesEnabled: boolean;
    readonly prioritizeUnhealthyInstancesEnabled: boolean;
    readonly crossZoneUpgradesEnabled: boolean | null;
  };
}

export function fixedSettings(input: {
  orchestration?: 'Uniform' | 'Flexible';
  zones: readonly string[];
  maxBatchPercent?: number;
  maxSurge?: boolean;
}): FixedSettings {
  const zonal = input.zones.length > 0;
  const orchestration = input.orchestration ?? 'Uniform';
  return {
    orchestration,
    upgradeMode: 'Rolling',
    zoneBalance: zonal,
    platformFaultDomainCount: orchestration === 'Flexible' ? (zonal ? 1 : 2) : zonal ? null : 2,
    rollingUpgradePolicy: {
      maxBatchInstancePercent: input.maxBatchPercent ?? 20,
      maxUnhealthyInstancePercent: 20,
      maxUnhealthyUpgradedInstancePercent: 5,
      pauseTimeBetweenBatches: 'PT30S',
      maximumSurgeInstancesEnabled: input.maxSurge ?? true,
      prioritizeUnhealthyInstancesEnabled: true,
      crossZoneUpgradesEnabled: zonal ? true : null,
    },
  };
}

/** What the lock file beside an environment holds: each scale set's creation-time settings. */
export interface SettingsLock {
  readonly version: 1;
  readonly scaleSets: Readonly<Record<string, FixedSettings>>;
  /** The Key Vault's settings Azure fixes at creation. */
  readonly keyVault?: { readonly softDeleteRetentionDays: number };
}

export const LOCK_NOTE = 'Written by the synth: creation-time settings of each scale set. Commit it; a change here replaces scale sets.';

interface ServiceLike {
  /** Lock key prefix: the service's name, or 'pool-<pool>'. */
  readonly name: string;
  /** Where it is in the spec, for messages: 'services[2]' or 'pools[0]'. */
  readonly specPath: string;
  readonly orchestration: 'Uniform' | 'Flexible';
  readonly upgrade: { readonly maxBatchPercent: number; readonly maxSurge: boolean };
  readonly allowReplacement: boolean;
  /** One scale set, keyed by the name alone (the front); else one per slot. @default false */
  readonly single?: boolean;
}

const slotsOf = (svc: ServiceLike) => (svc.single ? [undefined] : ['blue', 'green']);
const keyOf = (svc: ServiceLike, slot: string | undefined) => (slot ? `${svc.name}/${slot}` : svc.name);

/** Each scale set's fixed settings, keyed 'service/slot' (or 'front'), in key order. */
export function plannedFixedSettings(services: readonly ServiceLike[], zones: readonly string[]): Record<string, FixedSettings> {
  const out: Record<string, FixedSettings> = {};
  for (const svc of [...services].sort((a, b) => a.name.localeCompare(b.name))) {
    for (const slot of slotsOf(svc)) {
      out[keyOf(svc, slot)] = fixedSettings({ orchestration: svc.orchestration, zones, maxBatchPercent: svc.upgrade.maxBatchPercent, maxSurge: svc.upgrade.maxSurge });
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

export interface LockIssue {
  readonly path: string;
  readonly message: string;
  readonly hint: string;
}

/**
 * Compares planned settings with the lock: a recorded scale set whose settings would change is an
 * issue unless its service allows replacement. Returns the lock to write: every current scale set
 * (new ones appended, removed ones dropped).
 */
export function checkFixedSettings(
  services: readonly ServiceLike[],
  zones: readonly string[],
  lock: SettingsLock | undefined,
  keyVault?: { readonly softDeleteRetentionDays: number },
): { issues: LockIssue[]; next: SettingsLock } {
  const planned = plannedFixedSettings(services, zones);
  const issues: LockIssue[] = [];
  const recorded = lock?.keyVault?.softDeleteRetentionDays;
  if (keyVault && recorded !== undefined && recorded !== keyVault.softDeleteRetentionDays) {
    issues.push({
      path: 'keyVault.softDeleteRetentionDays',
      message: `changes from ${recorded} to ${keyVault.softDeleteRetentionDays} days; Azure cannot change a vault's soft-delete retention after creation`,
      hint: `keep ${recorded}; a new retention needs a new vault (see the README teardown recipe)`,
    });
  }
  services.forEach((svc) => {
    if (svc.allowReplacement) return;
    const changed = new Map<string, { what: string; slots: string[] }>();
    for (const slot of slotsOf(svc)) {
      const key = keyOf(svc, slot);
      const before = lock?.scaleSets[key];
      if (!before) continue;
      const after = planned[key];
      for (const field of Object.keys(after) as (keyof FixedSettings)[]) {
        if (JSON.stringify(before[field]) === JSON.stringify(after[field])) continue;
        const c = changed.get(field) ?? { what: describeChange(field, before[field], after[field]), slots: [] };
        c.slots.push(slot ?? svc.name);
        changed.set(field, c);
      }
    }
    // a new orchestration mode changes fault domains too: one issue, at the field the user changed
    if (changed.has('orchestration')) for (const f of [...changed.keys()]) if (f !== 'orchestration') changed.delete(f);
    for (const [field, c] of changed) {
      const where = field === 'orchestration' ? `${svc.specPath}.orchestration` : field === 'rollingUpgradePolicy' ? `${svc.specPath}.upgrade` : 'region';
      issues.push({
        path: where,
        message: `changes ${c.what} of the ${c.slots.join(' and ')} scale set${c.slots.length > 1 ? 's' : ''}, which replaces ${c.slots.length > 1 ? 'them' : 'it'}: every VM at once`,
        hint: svc.single
          ? `if intended, deploy with ${svc.specPath}.allowReplacement: true in a maintenance window (its VMs are replaced together), then remove it; else undo the change`
          : `if intended, deploy with ${svc.specPath}.allowReplacement: true (replace the idle slot first), then remove it; else undo the change`,
      });
    }
  });
  // the vault's retention stays recorded while the spec names a vault
  const vault = keyVault ? { softDeleteRetentionDays: recorded ?? keyVault.softDeleteRetentionDays } : undefined;
  return { issues, next: { version: 1, scaleSets: planned, ...(vault ? { keyVault: vault } : {}) } };
}
