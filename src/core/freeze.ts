import { TZDate } from '@date-fns/tz';
import * as z from 'zod/mini';
import { memoized } from './memo';

/**
 * Freeze windows: times a target does not deploy. Weekly windows ("Fri 16:00 – Mon 08:00") and one-off
 * windows with a reason, all read in the target's time zone. A push that arrives during a freeze waits
 * until it ends, or is skipped, as the target says; Deploy now and Redeploy need an explicit override.
 * Wall-clock times become instants through @date-fns/tz (the zone's rules from Intl), so a window across
 * a daylight-saving change ends at its local time, not an hour early or late.
 */
export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
const MAX_WINDOWS = 20;
const WEEKLY_TIME = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([01]\d|2[0-3]):([0-5]\d)$/;
const LOCAL_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * Whether Intl knows the zone. Building a DateTimeFormat costs a fraction of a millisecond, and every
 * stored target's schedule is checked on every read, so answers are kept; Intl also accepts offsets and
 * any casing of a name, so a form could offer endless new spellings: only the latest thousand are kept.
 */
export const isTimeZone = memoized(
  1000,
  (zone: string) => zone,
  (zone) => {
    if (zone.length === 0) return false;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
);

const weeklyTime = z.string().check(z.regex(WEEKLY_TIME, 'must be a weekday and a time, such as Fri 16:00'));
const localDateTime = z.string().check(z.regex(LOCAL_DATETIME, 'must be a date and a time, such as 2026-12-24T00:00'));
const weeklyWindowSchema = z
  .object({ from: weeklyTime, to: weeklyTime })
  .check(z.refine((w) => w.from !== w.to, 'a window must end at another time than it starts'));
const onceWindowSchema = z
  .object({ from: localDateTime, to: localDateTime, reason: z.string().check(z.trim(), z.minLength(1, 'say why'), z.maxLength(200)) })
  .check(z.refine((w) => w.from < w.to, 'a window must end after it starts'));

export const freezeSchema = z.object({
  timeZone: z.string().check(z.refine(isTimeZone, 'is not a time zone (use a name such as Europe/Berlin)')),
  weekly: z.array(weeklyWindowSchema).check(z.maxLength(MAX_WINDOWS, `at most ${MAX_WINDOWS} weekly windows`)),
  once: z.array(onceWindowSchema).check(z.maxLength(MAX_WINDOWS, `at most ${MAX_WINDOWS} one-off windows`)),
  /** What a push that arrives during a freeze does: wait until the freeze ends, or skip. */
  during: z.enum(['wait', 'skip']),
});
export type Freeze = z.infer<typeof freezeSchema>;
export const NO_FREEZE: Freeze = { timeZone: 'UTC', weekly: [], once: [], during: 'wait' };

export interface ActiveFreeze {
  /** When the freeze ends (the latest end of the windows in force now), as epoch milliseconds. */
  endsAt: number;
  /** What the admin reads: the window, and the reason of a one-off one. */
  why: string;
}

const MINUTES_A_WEEK = 7 * 24 * 60;

/** Minutes since Monday 00:00 of a weekly time ("Fri 16:00"). */
function minuteOfWeek(time: string): number {
  const [, day, hours, minutes] = WEEKLY_TIME.exec(time) as RegExpExecArray;
  return WEEKDAYS.indexOf(day as (typeof WEEKDAYS)[number]) * 1440 + Number(hours) * 60 + Number(minutes);
}

/** The instant of a wall-clock time in the zone (a time the clocks skip is read as the hour after). */
function instantOf(zone: string, year: number, month: number, day: number, hours: number, minutes: number): number {
  return new TZDate(year, month, day, hours, minutes, zone).getTime();
}

function onceInstant(zone: string, local: string): number {
  const [, year, month, day, hours, minutes] = (LOCAL_DATETIME.exec(local) as RegExpExecArray).map(Number) as number[];
  return instantOf(zone, year as number, (month as number) - 1, day as number, hours as number, minutes as number);
}

/** The freeze in force at `now`, or null when the target may deploy. */
export function activeFreeze(freeze: Freeze, now: number): ActiveFreeze | null {
  // Most targets have no freeze: reading the zone's clock is most of the work, and every deploy asks.
  if (freeze.weekly.length === 0 && freeze.once.length === 0) return null;
  const zone = freeze.timeZone;
  const local = new TZDate(now, zone);
  // Monday is 0 here; Date's getDay() has Sunday as 0.
  const nowMinute = ((local.getDay() + 6) % 7) * 1440 + local.getHours() * 60 + local.getMinutes();
  const found: ActiveFreeze[] = [];
  for (const window of freeze.weekly) {
    const from = minuteOfWeek(window.from);
    const to = minuteOfWeek(window.to);
    const inside = from < to ? nowMinute >= from && nowMinute < to : nowMinute >= from || nowMinute < to;
    if (!inside) continue;
    const untilEnd = (to - nowMinute + MINUTES_A_WEEK) % MINUTES_A_WEEK;
    // The end's local date, counted in the zone's calendar days: Date's constructor carries the overflow.
    const endDay = local.getDate() + Math.floor((local.getHours() * 60 + local.getMinutes() + untilEnd) / 1440);
    const endMinute = to % 1440;
    found.push({
      endsAt: instantOf(zone, local.getFullYear(), local.getMonth(), endDay, Math.floor(endMinute / 60), endMinute % 60),
      why: `weekly freeze ${window.from} – ${window.to} (${zone})`,
    });
  }
  for (const window of freeze.once) {
    const from = onceInstant(zone, window.from);
    const to = onceInstant(zone, window.to);
    if (now >= from && now < to)
      found.push({ endsAt: to, why: `${window.reason} (${window.from.replace('T', ' ')} – ${window.to.replace('T', ' ')}, ${zone})` });
  }
  if (found.length === 0) return null;
  return found.reduce((latest, next) => (next.endsAt > latest.endsAt ? next : latest));
}

/** "Mon 8 Dec, 08:00 Europe/Berlin": when a freeze ends, as the admin's clock in that zone shows it. */
export function localTimeOf(instant: number, zone: string): string {
  const local = new TZDate(instant, zone);
  const day = WEEKDAYS[(local.getDay() + 6) % 7];
  const month = local.toLocaleString('en-GB', { month: 'short', timeZone: zone });
  const time = `${String(local.getHours()).padStart(2, '0')}:${String(local.getMinutes()).padStart(2, '0')}`;
  return `${day} ${local.getDate()} ${month}, ${time} ${zone}`;
}

/**
 * The form's lines, one window each: "Fri 16:00 - Mon 08:00" for weekly ones, "2026-12-24 00:00 -
 * 2026-12-27 00:00 Christmas" for one-off ones. Blank lines are ignored; the first line that does not
 * read is named in the error.
 */
export function parseWeeklyLines(text: string): { ok: true; windows: Freeze['weekly'] } | { ok: false; error: string } {
  const windows: Freeze['weekly'] = [];
  for (const [index, line] of linesOf(text)) {
    const match = /^(\w{3} \d{2}:\d{2})\s*[-–]\s*(\w{3} \d{2}:\d{2})$/.exec(line);
    const parsed = match ? weeklyWindowSchema.safeParse({ from: match[1], to: match[2] }) : null;
    if (!parsed?.success) return { ok: false, error: `line ${index}: write a window as Fri 16:00 - Mon 08:00` };
    windows.push(parsed.data);
  }
  return { ok: true, windows };
}

export function parseOnceLines(text: string): { ok: true; windows: Freeze['once'] } | { ok: false; error: string } {
  const windows: Freeze['once'] = [];
  for (const [index, line] of linesOf(text)) {
    const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})\s*[-–]\s*(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})\s+(.+)$/.exec(line);
    const parsed = match
      ? onceWindowSchema.safeParse({ from: `${match[1]}T${match[2]}`, to: `${match[3]}T${match[4]}`, reason: match[5] })
      : null;
    if (!parsed?.success) {
      return {
        ok: false,
        error: `line ${index}: write a window as 2026-12-24 00:00 - 2026-12-27 08:00 and its reason, ending after it starts`,
      };
    }
    windows.push(parsed.data);
  }
  return { ok: true, windows };
}

export const weeklyLines = (windows: Freeze['weekly']): string => windows.map((w) => `${w.from} - ${w.to}`).join('\n');
export const onceLines = (windows: Freeze['once']): string =>
  windows.map((w) => `${w.from.replace('T', ' ')} - ${w.to.replace('T', ' ')} ${w.reason}`).join('\n');

function* linesOf(text: string): Generator<[number, string]> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = (lines[i] as string).trim();
    if (line !== '') yield [i + 1, line];
  }
}
