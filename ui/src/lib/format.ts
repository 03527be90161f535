// Words and dates as the desk shows them (en-GB; times in the home's zone, Europe/London).
import type { DnarStatus } from '../bindings/DnarStatus';
import type { NoteCategory } from '../bindings/NoteCategory';
import type { ResidentStatus } from '../bindings/ResidentStatus';
import type { StaffRole } from '../bindings/StaffRole';
import type { VisitStatus } from '../bindings/VisitStatus';
import type { VisitType } from '../bindings/VisitType';

export const visitTypes: Record<VisitType, string> = {
  personal_care: 'Personal care',
  medication: 'Medication',
  meal: 'Meal',
  wellbeing: 'Wellbeing',
  night_check: 'Night check',
  social: 'Social',
};

export const visitStatuses: Record<VisitStatus, string> = {
  scheduled: 'Scheduled',
  confirmed: 'Confirmed',
  completed: 'Completed',
  cancelled: 'Cancelled',
  no_show: 'Missed',
};

export const noteCategories: Record<NoteCategory, string> = {
  general: 'General',
  personal_care: 'Personal care',
  nutrition: 'Food and drink',
  mood: 'Mood',
  health: 'Health',
  family: 'Family',
};

export const staffRoles: Record<StaffRole, string> = {
  carer: 'Carer',
  senior_carer: 'Senior carer',
  nurse: 'Nurse',
  shift_lead: 'Shift lead',
  manager: 'Manager',
  housekeeping: 'Housekeeping',
  kitchen: 'Kitchen',
};

export const residentStatuses: Record<ResidentStatus, string> = {
  current: 'Living here',
  discharged: 'Discharged',
  deceased: 'Deceased',
};

export const dnarWords: Record<DnarStatus, string> = {
  dnar: 'DNAR — do not attempt resuscitation',
  for_resus: 'For resuscitation',
  not_recorded: 'Not recorded',
};

/** A label for a code the server may extend: the known words, else the code in words. */
export function label(map: Record<string, string>, code: string): string {
  return map[code] ?? code.replace(/[_.]/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

// ---- times and dates ---------------------------------------------------------------------
//
// The one rule for a time on screen, as the desk says it in Rust (`clock::when`): "today at
// 10:00", "yesterday at 10:00", "tomorrow at 10:00", else its day ("Fri 4 Dec at 10:00") and,
// when it is not this year, its year ("Wed 1 Jan 2025 at 10:00"). Calendar dates are the home's
// (Europe/London), whatever zone the machine is set to. Names of days and months are spelt here
// (not by the ICU data, which says "Sept" in some versions), so the words match the desk's.

/** The home's time zone: every calendar date and clock time on screen is taken in it. */
export const homeTimeZone = 'Europe/London';

const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const monthNames = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];
const short = (name: string) => name.slice(0, 3);

const zoneParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: homeTimeZone,
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  hourCycle: 'h23',
});

/** A wall-clock reading in the home's zone. `month` is 1–12; `weekday` 0 (Sunday)–6. */
export type HomeTime = {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
};

/** `value` as the home's clock and calendar show it. */
export function homeTime(value: Date): HomeTime {
  const parts: Record<string, number> = {};
  for (const part of zoneParts.formatToParts(value)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const year = parts.year ?? 1970;
  const month = parts.month ?? 1;
  const day = parts.day ?? 1;
  return {
    year,
    month,
    day,
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
    weekday: new Date(utcMs(year, month, day)).getUTCDay(),
  };
}

/** Milliseconds of a wall-clock reading taken as UTC (any year: 0–99 are not the 1900s). */
function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

/** A calendar day as a number, to count days between two dates. */
function dayNumber(t: HomeTime): number {
  return Math.round(utcMs(t.year, t.month, t.day) / 86_400_000);
}

/** How far the home's clock is ahead of UTC at `ms`. */
function zoneOffset(ms: number): number {
  const whole = Math.floor(ms / 1000) * 1000;
  const t = homeTime(new Date(whole));
  return utcMs(t.year, t.month, t.day, t.hour, t.minute, t.second) - whole;
}

/**
 * The instant the home's clock reads this wall-clock time: the earlier one when the clocks go
 * back and it reads it twice; an hour later when the clocks go forward past it.
 */
export function fromHomeWallClock(year: number, month: number, day: number, hour = 0, minute = 0): Date {
  const wall = utcMs(year, month, day, hour, minute);
  const hours3 = 3 * 3_600_000;
  const before = wall - zoneOffset(wall - hours3);
  const after = wall - zoneOffset(wall + hours3);
  const reads = (ms: number) => ms + zoneOffset(ms) === wall;
  const found = [before, after].filter(reads);
  return new Date(found.length > 0 ? Math.min(...found) : before);
}

/** The start (midnight, home time) of `value`'s day in the home, plus `days`. */
export function startOfDay(value: Date, days = 0): Date {
  const t = homeTime(value);
  const d = new Date(utcMs(t.year, t.month, t.day + days));
  return fromHomeWallClock(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** Whether two instants fall on the same day in the home. */
export function sameDay(a: Date, b: Date): boolean {
  return dayNumber(homeTime(a)) === dayNumber(homeTime(b));
}

function parse(value: string | Date): Date | null {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "09:05", home time. */
export function formatTime(value: string | Date): string {
  const d = parse(value);
  if (!d) return String(value);
  const t = homeTime(d);
  return `${pad(t.hour)}:${pad(t.minute)}`;
}

/** "Fri 4 Dec", with the year when it is not `now`'s ("Wed 1 Jan 2025"). */
export function formatShortDay(value: Date, now: Date = new Date()): string {
  const t = homeTime(value);
  const words = `${short(dayNames[t.weekday] ?? '')} ${t.day} ${short(monthNames[t.month - 1] ?? '')}`;
  return t.year === homeTime(now).year ? words : `${words} ${t.year}`;
}

/** "Friday 4 December", with the year when it is not `now`'s ("Friday 1 January 2027"). */
export function formatDay(value: Date, now: Date = new Date()): string {
  const t = homeTime(value);
  const words = `${dayNames[t.weekday] ?? ''} ${t.day} ${monthNames[t.month - 1] ?? ''}`;
  return t.year === homeTime(now).year ? words : `${words} ${t.year}`;
}

/**
 * A time as a person reads it, on `now`'s calendar in the home: "today at 10:00", "yesterday at
 * 10:00", "tomorrow at 10:00", "Fri 4 Dec at 10:00", "Wed 1 Jan 2025 at 10:00".
 */
export function when(value: string | Date, now: Date): string {
  const d = parse(value);
  if (!d) return 'an unknown time';
  const days = dayNumber(homeTime(d)) - dayNumber(homeTime(now));
  const time = formatTime(d);
  if (days === 0) return `today at ${time}`;
  if (days === -1) return `yesterday at ${time}`;
  if (days === 1) return `tomorrow at ${time}`;
  return `${formatShortDay(d, now)} at ${time}`;
}

/** As [`when`], read after a word: "today at 10:00", "on Fri 4 Dec at 10:00". */
export function onWhen(value: string | Date, now: Date): string {
  const words = when(value, now);
  return /^[A-Z]/.test(words) ? `on ${words}` : words;
}

/** "just now" and "4 minutes ago" within the hour, else null. */
export function minutesAgo(value: string | Date, now: Date): string | null {
  const d = parse(value);
  if (!d) return null;
  const seconds = Math.max(0, Math.round((now.getTime() - d.getTime()) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? plural(minutes, 'minute') + ' ago' : null;
}

/** How long ago within the hour ("4 minutes ago"), else when ("yesterday at 22:10"). */
export function since(value: string | Date, now: Date): string {
  return minutesAgo(value, now) ?? when(value, now);
}

/** "22 November 2026" for a calendar date ("2026-11-22"); a timestamp gives its home date. */
export function formatDate(value: string): string {
  const m = /^(\d{4,})-(\d{2})-(\d{2})$/.exec(value);
  if (m) return `${Number(m[3])} ${monthNames[Number(m[2]) - 1] ?? m[2]} ${Number(m[1])}`;
  const d = parse(value);
  if (!d) return value;
  const t = homeTime(d);
  return `${t.day} ${monthNames[t.month - 1] ?? ''} ${t.year}`;
}

export function capitalise(words: string): string {
  return words.replace(/^./, (c) => c.toUpperCase());
}

/** Whole years between a date of birth ("1931-04-02") and `now` (the home's today). */
export function ageOn(dateOfBirth: string, now: Date): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(dateOfBirth);
  if (!m) return null;
  const today = homeTime(now);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let age = today.year - year;
  if (today.month < month || (today.month === month && today.day < day)) age -= 1;
  return age;
}

/** "1 change", "3 changes". */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count.toLocaleString('en-GB')} ${count === 1 ? word : many}`;
}

/** A datetime-local input's value ("2026-11-22T09:30", home time) as RFC 3339; '' stays ''. */
export function localInputToIso(value: string): string {
  const m = /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!m) return value;
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  return fromHomeWallClock(year, month, day, hour, minute).toISOString();
}

/** An instant as a datetime-local input's value, home time ("2026-11-22T09:30"). */
export function toLocalInput(value: Date): string {
  const t = homeTime(value);
  return `${String(t.year).padStart(4, '0')}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}`;
}
