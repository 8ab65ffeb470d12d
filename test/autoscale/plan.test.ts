/**
 * Autoscale profiles compiled from intent give the intended minimum at every hour of the week,
 * evaluated as Azure applies recurring profiles (the latest start wins; no end times).
 */
import fc from 'fast-check';
import { intendedMinimumAt, minimumAt, overlappingSchedules, planProfiles, windowsTimeZone, type ScheduleIntent } from '../../lib/autoscale/plan';
import { WEEKDAYS, type Weekday } from '../../lib/spec/schema';

const capacity = { min: 2, default: 3, max: 20 };
const weekdays: Weekday[] = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
const business: ScheduleIntent = { name: 'business-hours', days: weekdays, start: '08:00', end: '20:00', timeZone: 'Europe/Amsterdam', min: 6 };
const at = (day: Weekday, hhmm: string) => WEEKDAYS.indexOf(day) * 1440 + Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

describe('planProfiles', () => {
  test('a weekday window compiles to a start profile and a return to normal, with the Windows time zone', () => {
    expect(planProfiles(capacity, [business])).toEqual([
      { name: 'default', capacity: { minimum: 2, default: 3, maximum: 20 } },
      { name: 'business-hours', capacity: { minimum: 6, default: 6, maximum: 20 }, recurrence: { days: weekdays, hour: 8, minute: 0, timeZone: 'W. Europe Standard Time' } },
      { name: 'business-hours-end', capacity: { minimum: 2, default: 3, maximum: 20 }, recurrence: { days: weekdays, hour: 20, minute: 0, timeZone: 'W. Europe Standard Time' } },
    ]);
  });

  test('a window past midnight returns to normal on the next day', () => {
    const night: ScheduleIntent = { name: 'batch', days: ['Friday', 'Sunday'], start: '22:30', end: '02:00', timeZone: 'UTC', min: 4 };
    const end = planProfiles(capacity, [night])[2];
    expect(end.recurrence).toEqual({ days: ['Monday', 'Saturday'], hour: 2, minute: 0, timeZone: 'UTC' });
    expect(minimumAt(planProfiles(capacity, [night]), at('Sunday', '23:59'))).toBe(4);
    expect(minimumAt(planProfiles(capacity, [night]), at('Monday', '01:59'))).toBe(4);
    expect(minimumAt(planProfiles(capacity, [night]), at('Monday', '02:00'))).toBe(2);
  });

  test('the example window gives min 6 on weekdays 08:00-19:59 and min 2 otherwise, at every hour', () => {
    const profiles = planProfiles(capacity, [business]);
    for (let m = 0; m < 7 * 1440; m += 60) {
      const day = WEEKDAYS[Math.floor(m / 1440)];
      const hour = (m % 1440) / 60;
      expect({ day, hour, min: minimumAt(profiles, m) }).toEqual({ day, hour, min: weekdays.includes(day) && hour >= 8 && hour < 20 ? 6 : 2 });
    }
  });

  test('maps IANA names to Azure time zones and refuses unknown ones', () => {
    expect(windowsTimeZone('America/New_York')).toBe('Eastern Standard Time');
    expect(windowsTimeZone('UTC')).toBe('UTC');
    expect(windowsTimeZone('Nowhere/City')).toBeUndefined();
  });
});

const hhmm = fc.integer({ min: 0, max: 23 * 4 + 3 }).map((q) => `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`);
const schedule = (i: number) =>
  fc
    .record({ days: fc.uniqueArray(fc.constantFrom(...WEEKDAYS), { minLength: 1, maxLength: 7 }), start: hhmm, end: hhmm, min: fc.integer({ min: 3, max: 20 }) })
    .filter((s) => s.start !== s.end)
    .map((s): ScheduleIntent => ({ ...s, name: `w${i}`, timeZone: 'Europe/Amsterdam' }));

describe('profiles from random schedules', () => {
  test('at every quarter hour of the week, the minimum in force is the intended one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => schedule(i)))),
        (schedules) => {
          fc.pre(overlappingSchedules(schedules).length === 0); // validation refuses overlaps
          const profiles = planProfiles(capacity, schedules);
          for (let m = 0; m < 7 * 1440; m += 15) {
            const got = minimumAt(profiles, m);
            const want = intendedMinimumAt(capacity, schedules, m);
            if (got !== want) throw new Error(`minute ${m}: profiles give ${got}, intent is ${want}`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
