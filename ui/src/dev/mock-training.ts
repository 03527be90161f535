// Development only: the training matrix on the mock desk (see mock.ts), behaving as Rust's does
// (crates/core/src/training.rs and desk/training.rs): statuses counted in whole days from today,
// a renewal refused per field, saved as pending and synced a moment later.
import type { CellStatus } from '../bindings/CellStatus';
import type { MatrixCell } from '../bindings/MatrixCell';
import type { MatrixFilter } from '../bindings/MatrixFilter';
import type { MayLead } from '../bindings/MayLead';
import type { StaffRole } from '../bindings/StaffRole';
import type { TrainingMatrix } from '../bindings/TrainingMatrix';
import type { TrainingRules } from '../bindings/TrainingRules';
import type { CommandError } from '../bindings/CommandError';
import { locations, staff } from './mock-data';

type Args = Record<string, unknown>;

function refuse(code: CommandError['code'], message: string, fields?: Record<string, string>): never {
  throw (fields ? { code, message, fields } : { code, message }) satisfies CommandError;
}

const courses = [
  { id: 'crs_mh', name: 'Moving and handling', months: 12 },
  { id: 'crs_fs', name: 'Fire safety', months: 12 },
  { id: 'crs_sga', name: 'Safeguarding adults', months: 36 },
  { id: 'crs_med', name: 'Medication', months: 12 },
  { id: 'crs_fh', name: 'Food hygiene', months: 36 },
];
const roles: StaffRole[] = ['carer', 'senior_carer', 'nurse', 'shift_lead', 'manager', 'housekeeping', 'kitchen'];
function required(role: StaffRole): string[] {
  const all = ['crs_mh', 'crs_fs', 'crs_sga'];
  if (role === 'senior_carer' || role === 'nurse' || role === 'shift_lead') all.push('crs_med');
  if (role === 'kitchen') all.push('crs_fh');
  return all;
}

const iso = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const addDays = (day: string, n: number) => {
  const d = new Date(`${day}T12:00:00`);
  d.setDate(d.getDate() + n);
  return iso(d);
};
const daysBetween = (from: string, to: string) =>
  Math.round((new Date(`${to}T12:00:00`).getTime() - new Date(`${from}T12:00:00`).getTime()) / 86_400_000);

function statusOn(expires: string | null, today: string): CellStatus {
  if (!expires) return 'valid';
  const left = daysBetween(today, expires);
  if (left < 0) return 'expired';
  if (left === 0) return 'due_today';
  if (left <= 30) return 'due_30';
  if (left <= 60) return 'due_60';
  if (left <= 90) return 'due_90';
  return 'valid';
}

type Held = { id: string; staff: string; course: string; issued: string; expires: string; number: string | null; pending: boolean };

export function mockTraining() {
  const today = () => iso(new Date());
  const active = staff.filter((s) => s.status === 'active');
  const held: Held[] = [];
  active.forEach((s, i) => {
    courses.forEach((c, j) => {
      if (!required(s.role).includes(c.id) && j !== 1) return;
      if ((i + j) % 11 === 5) return; // never held
      const left = [-12, 0, 9, 44, 75, 200, 300][(i * 3 + j) % 7] ?? 200;
      const expires = addDays(today(), left);
      held.push({ id: `crt_${s.id}_${c.id}`, staff: s.id, course: c.id, issued: addDays(expires, -365), expires, number: null, pending: false });
    });
  });
  const latest = (s: string, c: string) =>
    held.filter((h) => h.staff === s && h.course === c).sort((a, b) => b.issued.localeCompare(a.issued))[0];
  const cell = (s: string, role: StaffRole, c: string): MatrixCell => {
    const h = latest(s, c);
    const req = required(role).includes(c);
    return {
      course_id: c,
      status: !req ? 'not_required' : !h ? 'never_held' : statusOn(h.expires, today()),
      required: req,
      expires_on: h?.expires ?? null,
      issued_on: h?.issued ?? null,
      days_left: h ? daysBetween(today(), h.expires) : null,
      certification_id: h?.id ?? null,
      certificate_number: h?.number ?? null,
      pending: h?.pending ?? false,
    };
  };
  const homeName = (id: string | null) => locations.find((l) => l.id === id)?.name ?? null;

  function matrix(filter: MatrixFilter): TrainingMatrix {
    if (filter.window_days != null && ![30, 60, 90].includes(filter.window_days))
      refuse('invalid_input', 'Check the filters', { window_days: 'Choose 30, 60 or 90 days' });
    const cols = courses.filter((c) => !filter.course_id || c.id === filter.course_id);
    const counts = { staff: 0, required: 0, expired: 0, due_today: 0, due_30: 0, due_60: 0, due_90: 0, valid: 0, never_held: 0, in_date: 0, pending: 0, percent_in_date: 100, summary: '' };
    const homes = new Map<string, { location_id: string | null; location_name: string; required: number; in_date: number; percent_in_date: number }>();
    const rows = [];
    for (const s of active) {
      if (filter.role && s.role !== filter.role) continue;
      const cells = cols.map((c) => cell(s.id, s.role, c.id));
      const home = homes.get(s.location_id ?? '') ?? { location_id: s.location_id, location_name: homeName(s.location_id) ?? 'No home', required: 0, in_date: 0, percent_in_date: 100 };
      homes.set(s.location_id ?? '', home);
      for (const c of cells.filter((c) => c.required)) {
        home.required += 1;
        if (c.status !== 'expired' && c.status !== 'never_held') home.in_date += 1;
      }
      if (filter.location_id && s.location_id !== filter.location_id) continue;
      counts.staff += 1;
      for (const c of cells.filter((c) => c.required)) {
        counts.required += 1;
        if (c.status !== 'not_required') counts[c.status] += 1;
        if (c.status !== 'expired' && c.status !== 'never_held') counts.in_date += 1;
        if (c.pending) counts.pending += 1;
      }
      if (filter.status && !cells.some((c) => c.status === filter.status)) continue;
      const w = filter.window_days;
      if (w != null && !cells.some((c) => c.required && c.days_left != null && c.days_left >= 0 && c.days_left <= w)) continue;
      const soonest = cells.filter((c) => c.required && c.expires_on).map((c) => c.expires_on as string).sort()[0] ?? null;
      rows.push({ staff_id: s.id, name: s.full_name, role: s.role, location_id: s.location_id, location_name: homeName(s.location_id), cells, soonest_expiry: soonest });
    }
    if (filter.sort === 'soonest_expiry') rows.sort((a, b) => (a.soonest_expiry ?? '9').localeCompare(b.soonest_expiry ?? '9'));
    else rows.sort((a, b) => a.name.localeCompare(b.name));
    counts.percent_in_date = counts.required ? Math.floor((counts.in_date * 100) / counts.required) : 100;
    counts.summary = `${counts.expired} expired, ${counts.due_today + counts.due_30} due in 30 days, ${counts.due_60 + counts.due_90} due in 31 to 90 days, ${counts.never_held} never held`;
    return {
      today: today(),
      time_zone: 'Europe/London',
      produced_at: new Date().toISOString(),
      data_as_of: new Date(Date.now() - 5 * 60_000).toISOString(),
      filter,
      courses: cols.map((c) => ({ id: c.id, name: c.name, renewal_months: c.months })),
      rows,
      counts,
      homes: [...homes.values()].map((h) => ({ ...h, percent_in_date: h.required ? Math.floor((h.in_date * 100) / h.required) : 100 })),
    };
  }

  function rules(): TrainingRules {
    return {
      configured: false,
      roles: roles.map((role) => ({ role, course_ids: required(role) })),
      courses: courses.map((c) => ({ course_id: c.id, name: c.name, months: c.months, default_months: c.months })),
      missing_defaults: ['Health and safety', 'Equality and diversity', 'The Oliver McGowan training on learning disability and autism'],
    };
  }

  function mayLead(s: (typeof staff)[number]): MayLead {
    const tomorrow = addDays(today(), 1);
    const reasons: string[] = [];
    for (const c of required('shift_lead')) {
      const h = latest(s.id, c);
      const name = courses.find((x) => x.id === c)?.name ?? c;
      if (!h) reasons.push(`${name}: never held`);
      else if (h.expires < today()) reasons.push(`${name} expired on ${h.expires}`);
      else if (h.expires < tomorrow) reasons.push(`${name} expires today, before the next 24 hours are over`);
    }
    return { staff_id: s.id, name: s.full_name, location_id: s.location_id, location_name: homeName(s.location_id), may_lead: reasons.length === 0, reasons, in_date_until: null };
  }

  function record(form: Args) {
    const f = (form ?? {}) as Record<string, string | undefined>;
    const fields: Record<string, string> = {};
    const who = active.find((s) => s.id === f.staff_id);
    const course = courses.find((c) => c.id === f.course_id);
    if (!f.staff_id) fields.staff_id = 'Choose the member of staff';
    else if (!who) fields.staff_id = 'This member of staff is not on this desk';
    if (!f.course_id) fields.course_id = 'Choose the course';
    else if (!course) fields.course_id = 'This course is not in the catalogue';
    const done = (f.completed_on ?? '').trim();
    if (!done) fields.completed_on = 'Enter the date the course was completed';
    else if (!/^\d{4}-\d{2}-\d{2}$/.test(done)) fields.completed_on = 'Enter the date completed as a real date, for example 2026-03-27';
    else if (done > today()) fields.completed_on = 'The date completed must be today or earlier';
    const typed = (f.expires_on ?? '').trim();
    if (typed && done && typed <= done) fields.expires_on = 'The expiry date must be after the date completed';
    if (Object.keys(fields).length || !who || !course) refuse('invalid_input', 'Check the certification', fields);
    const expires = typed || addDays(done, Math.round(course.months * 30.44));
    const h: Held = { id: `local_${Date.now()}`, staff: who.id, course: course.id, issued: done, expires, number: f.certificate_number?.trim() || null, pending: true };
    held.push(h);
    // "Synced" a moment later.
    setTimeout(() => (h.pending = false), 3000);
    return { certification_id: h.id, expires_on: expires, cell: cell(who.id, who.role, course.id) };
  }

  function answer(cmd: string, args: Args): unknown {
    switch (cmd) {
      case 'training_matrix':
        return matrix((args.filter ?? {}) as MatrixFilter);
      case 'training_rules':
      case 'save_training_rules':
        return rules();
      case 'staff_training': {
        const s = staff.find((x) => x.id === args.staffId);
        if (!s) refuse('not_found', 'This member of staff is not on this desk.');
        return {
          staff_id: s.id,
          name: s.full_name,
          role: s.role,
          location_name: homeName(s.location_id),
          today: today(),
          courses: courses.map((c) => ({ course_id: c.id, course_name: c.name, renewal_months: c.months, cell: cell(s.id, s.role, c.id) })),
          history: held
            .filter((h) => h.staff === s.id)
            .map((h) => ({ certification_id: h.id, course_id: h.course, course_name: courses.find((c) => c.id === h.course)?.name ?? h.course, issued_on: h.issued, expires_on: h.expires, certificate_number: h.number, current: latest(s.id, h.course)?.id === h.id, pending: h.pending })),
          may_lead: s.role === 'shift_lead' ? mayLead(s) : null,
        };
      }
      case 'may_lead_list':
        return active.filter((s) => s.role === 'shift_lead' && (!args.locationId || s.location_id === args.locationId)).map(mayLead);
      case 'record_certification':
        return record(args.form as Args);
      case 'training_notices':
        return [];
      case 'save_training_matrix_csv':
        return { path: '/home/manager/Downloads/training-matrix.csv', file_name: 'training-matrix.csv', bytes: 4_210 };
      case 'save_training_matrix_pdf':
        return { path: '/home/manager/Downloads/training-matrix.pdf', file_name: 'training-matrix.pdf', bytes: 38_112 };
      default:
        return undefined;
    }
  }
  return { answer };
}
