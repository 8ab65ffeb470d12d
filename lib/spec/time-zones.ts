/**
 * IANA time zones (what a spec names) to the Windows names Azure autoscale takes, limited to the
 * names azurerm accepts (`AUTOSCALE_TIME_ZONES`, extracted from the provider). The CLDR mapping
 * (`windows-iana`) knows Windows zones that the provider refuses at plan, e.g. America/Cancun →
 * 'Eastern Standard Time (Mexico)': those zones are a validation error, with zones that keep the
 * same clock suggested. The autoscale plan and validation both use `azureTimeZone`, so what
 * validates is what the synth writes.
 */
import { findWindows, WINDOWS_TO_IANA_MAP } from 'windows-iana';
import { AUTOSCALE_TIME_ZONES } from './autoscale-time-zones';

const ALLOWED = new Set(AUTOSCALE_TIME_ZONES);

/** The Windows name Azure autoscale takes for an IANA zone, or why there is none. */
export type TimeZoneMapping =
  | { readonly ok: true; readonly windows: string }
  | {
      readonly ok: false;
      /** The CLDR Windows names of the zone (empty when the zone is unknown). */
      readonly windows: readonly string[];
    };

/**
 * The name ICU gives a zone, when CLDR's Windows mapping does not know the one written: the
 * mapping lists renamed zones under their old names only (Europe/Kyiv as Europe/Kiev,
 * America/Nuuk as America/Godthab), and ICU canonicalizes to those.
 */
function icuName(iana: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: iana }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export function mapTimeZone(iana: string): TimeZoneMapping {
  if (iana === 'UTC') return { ok: true, windows: 'UTC' };
  let windows = findWindows(iana);
  const alias = windows.length === 0 ? icuName(iana) : undefined;
  if (alias !== undefined && alias !== iana) windows = findWindows(alias);
  const allowed = windows.find((w) => ALLOWED.has(w));
  return allowed ? { ok: true, windows: allowed } : { ok: false, windows };
}

/** Azure's (Windows) name of an IANA time zone that azurerm accepts, or undefined. */
export function azureTimeZone(iana: string): string | undefined {
  const m = mapTimeZone(iana);
  return m.ok ? m.windows : undefined;
}

/** UTC offsets (minutes) through 2026 at noon UTC each `step` days, or undefined when ICU does not know the zone. */
function offsets(zone: string, step: number): string | undefined {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
  } catch {
    return undefined;
  }
  const out: string[] = [];
  for (let day = 0; day < 365; day += step) {
    const part = fmt.formatToParts(Date.UTC(2026, 0, 1 + day, 12)).find((p) => p.type === 'timeZoneName');
    out.push(part?.value ?? '?');
  }
  return out.join(',');
}

/**
 * IANA zones Azure accepts whose clock matches `iana`'s on every day of 2026 (same offsets, same
 * daylight-saving days), at most `limit`, for a hint. The representative zone of each allowed
 * Windows name (CLDR territory 001) is tried.
 */
export function sameClockZones(iana: string, limit = 3): string[] {
  const coarse = offsets(iana, 91);
  if (coarse === undefined) return [];
  const fine = offsets(iana, 1);
  const found: string[] = [];
  for (const m of WINDOWS_TO_IANA_MAP) {
    if (m.territory !== '001' || !ALLOWED.has(m.windowsName)) continue;
    const candidate = m.iana[0];
    if (candidate === iana || offsets(candidate, 91) !== coarse || offsets(candidate, 1) !== fine) continue;
    found.push(candidate);
    if (found.length >= limit) break;
  }
  return found;
}
