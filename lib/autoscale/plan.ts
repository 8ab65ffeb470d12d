/**
 * Autoscale profiles from intent (pure; no cdktf).
 *
 * Azure's recurring profiles have a start and no end: once one starts it stays in force until
 * another recurring profile starts, and the default profile never returns. So a window
 * "weekdays 08:00-20:00, min 6" compiles to two profiles: one at 08:00 with min 6, one at 20:00
 * back to the normal minimum. Every profile repeats the metric rules (rules belong to a profile).
 * Azure wants Windows time-zone names: IANA names are mapped with `windows-iana`.
 * `minimumAt()` evaluates the profiles as Azure does, to prove the intended floor at every hour.
 */
import { azureTimeZone } from '../spec/time-zones';
import { WEEKDAYS, type Capacity, type Weekday } from '../spec/schema';

/** Azure's limits on one autoscale setting. */
export const AUTOSCALE_LIMITS = { profiles: 20, rulesPerProfile: 10 } as const;

/** A recurring window with its own capacity, e.g. weekdays 08:00-20:00 Europe/Amsterdam, min 6. */
export interface ScheduleIntent {
  /** The window's profile name; its return to normal is `<name>-end`. */
  readonly name: string;
  /** The days the window starts on. */
  readonly days: readonly Weekday[];
  /** Local start time, 'HH:MM'. */
  readonly start: string;
  /** Local end time, 'HH:MM'; at or before `start` means the next day. */
  readonly end: string;
  /** An IANA time zone, e.g. 'Europe/Amsterdam' (mapped to Azure's Windows name). */
  readonly timeZone: string;
  /** The minimum during the window. */
  readonly min: number;
  /** The maximum during the window. @default - the capacity's max */
  readonly max?: number;
}

/** One autoscale profile as Azure takes it. */
export interface PlannedProfile {
  /** 'default', a schedule's name, or `<schedule>-end`. */
  readonly name: string;
  /** Instance counts while the profile is in force. */
  readonly capacity: {
    /** Fewest instances. */
    readonly minimum: number;
    /** Instances when metrics are missing. */
    readonly default: number;
    /** Most instances. */
    readonly maximum: number;
  };
  /** When the profile starts, every week. Absent on the default profile. */
  readonly recurrence?: {
    /** Days it starts on. */
    readonly days: readonly Weekday[];
    /** Local hour, 0-23. */
    readonly hour: number;
    /** Local minute, 0-59. */
    readonly minute: number;
    /** Azure's (Windows) time-zone name, e.g. 'W. Europe Standard Time'. */
    readonly timeZone: string;
  };
}

const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Azure's (Windows) name of an IANA time zone that azurerm accepts, or undefined when there is none (lib/spec/time-zones.ts). */
export function windowsTimeZone(iana: string): string | undefined {
  return azureTimeZone(iana);
}

/** The week-minute intervals [from, to) a schedule covers, in its local time. */
export function windowIntervals(s: ScheduleIntent): Array<[number, number]> {
  const start = minutesOf(s.start);
  let end = minutesOf(s.end);
  if (end <= start) end += MINUTES_PER_DAY; // ends the next day
  return s.days.map((d) => {
    const from = WEEKDAYS.indexOf(d) * MINUTES_PER_DAY + start;
    return [from, from + (end - start)];
  });
}

/** Whether a week minute lies in an interval, with the week wrapping (Sunday night into Monday). */
const inInterval = (t: number, [from, to]: [number, number]) => (t >= from && t < to) || (to > MINUTES_PER_WEEK && t < to - MINUTES_PER_WEEK);

/**
 * Pairs of schedules whose windows overlap or touch: their floors would fight, and two profiles
 * starting at one minute leave Azure to pick one.
 */
export function overlappingSchedules(schedules: readonly ScheduleIntent[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < schedules.length; i++) {
    for (let j = i + 1; j < schedules.length; j++) {
      const a = windowIntervals(schedules[i]);
      const b = windowIntervals(schedules[j]);
      const touches = (t: number, [from, to]: [number, number]) => inInterval(t, [from, to + 1]);
      const hit = a.some(([af, at]) => b.some(([bf, bt]) => touches(bf, [af, at]) || touches(af, [bf, bt])));
      if (hit) out.push([i, j]);
    }
  }
  return out;
}

const nextDay = (d: Weekday): Weekday => WEEKDAYS[(WEEKDAYS.indexOf(d) + 1) % 7];

/**
 * The profiles for a slot: the default, then per schedule a start profile and a return to normal.
 * Expects validated schedules (one time zone, no overlaps; see validateEnvironment).
 */
export function planProfiles(capacity: Capacity, schedules: readonly ScheduleIntent[]): PlannedProfile[] {
  const normal = { minimum: capacity.min, default: capacity.default, maximum: capacity.max };
  const profiles: PlannedProfile[] = [{ name: 'default', capacity: normal }];
  for (const s of schedules) {
    const timeZone = windowsTimeZone(s.timeZone)!;
    const start = minutesOf(s.start);
    const end = minutesOf(s.end);
    const maximum = s.max ?? capacity.max;
    profiles.push({
      name: s.name,
      capacity: { minimum: s.min, default: Math.min(maximum, Math.max(s.min, capacity.default)), maximum },
      recurrence: { days: s.days, hour: Math.floor(start / 60), minute: start % 60, timeZone },
    });
    const endDays = end <= start ? s.days.map(nextDay) : s.days;
    profiles.push({
      name: `${s.name}-end`,
      capacity: normal,
      recurrence: { days: [...endDays].sort((a, b) => WEEKDAYS.indexOf(a) - WEEKDAYS.indexOf(b)), hour: Math.floor(end / 60), minute: end % 60, timeZone },
    });
  }
  return profiles;
}

/**
 * The minimum in force at a week minute (local time of the profiles), as Azure applies them: the
 * recurring profile that started most recently (the week wraps), else the default.
 */
export function minimumAt(profiles: readonly PlannedProfile[], weekMinute: number): number {
  let best: { ago: number; minimum: number } | undefined;
  for (const p of profiles) {
    if (!p.recurrence) continue;
    for (const d of p.recurrence.days) {
      const startsAt = WEEKDAYS.indexOf(d) * MINUTES_PER_DAY + p.recurrence.hour * 60 + p.recurrence.minute;
      const ago = (weekMinute - startsAt + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
      if (!best || ago < best.ago) best = { ago, minimum: p.capacity.minimum };
    }
  }
  return best?.minimum ?? profiles.find((p) => !p.recurrence)!.capacity.minimum;
}

/** The minimum the intent asks for at a week minute: the window's, else the normal one. */
export function intendedMinimumAt(capacity: Capacity, schedules: readonly ScheduleIntent[], weekMinute: number): number {
  for (const s of schedules) if (windowIntervals(s).some((iv) => inInterval(weekMinute, iv))) return s.min;
  return capacity.min;
}
