// Words and dates as the desk shows them (en-GB, the desk's local time zone).
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

const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const day = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long' });
const shortDay = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric' });
const date = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric' });

/** Drops the commas some ICU versions add ("Sunday 22 November", GOV.UK style). */
function parts(format: Intl.DateTimeFormat, value: Date): string {
  return format
    .formatToParts(value)
    .filter((part) => part.type !== 'literal')
    .map((part) => part.value)
    .join(' ');
}

export function formatTime(iso: string): string {
  return time.format(new Date(iso));
}

export function formatDay(value: Date): string {
  return parts(day, value);
}

export function formatShortDay(value: Date): string {
  return parts(shortDay, value);
}

/** "22 November 2026" for a calendar date ("2026-11-22") or a timestamp. */
export function formatDate(value: string): string {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(value) ? calendarDate(value) : new Date(value);
  return Number.isNaN(d.getTime()) ? value : parts(date, d);
}

/** "22 November 2026 at 09:05". */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${parts(date, d)} at ${time.format(d)}`;
}

function calendarDate(value: string): Date {
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y ?? 0, (m ?? 1) - 1, d ?? 1);
}

/** Whole years between a date of birth ("1931-04-02") and `now`. */
export function ageOn(dateOfBirth: string, now: Date): number | null {
  const born = /^\d{4}-\d{2}-\d{2}/.test(dateOfBirth) ? calendarDate(dateOfBirth.slice(0, 10)) : null;
  if (!born || Number.isNaN(born.getTime())) return null;
  let age = now.getFullYear() - born.getFullYear();
  const birthday = new Date(now.getFullYear(), born.getMonth(), born.getDate());
  if (now < birthday) age -= 1;
  return age;
}

/** "just now", "4 minutes ago", "2 hours ago", "3 days ago". */
export function ago(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return plural(minutes, 'minute') + ' ago';
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return plural(hours, 'hour') + ' ago';
  return plural(Math.floor(hours / 24), 'day') + ' ago';
}

/** "1 change", "3 changes". */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count.toLocaleString('en-GB')} ${count === 1 ? word : many}`;
}

/** Midnight at the start of `value`'s day, plus `days`. */
export function startOfDay(value: Date, days = 0): Date {
  return new Date(value.getFullYear(), value.getMonth(), value.getDate() + days);
}

/** A datetime-local input's value ("2026-11-22T09:30") as RFC 3339; '' stays ''. */
export function localInputToIso(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}

/** A Date as a datetime-local input's value in local time. */
export function toLocalInput(value: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}T${pad(value.getHours())}:${pad(value.getMinutes())}`;
}
