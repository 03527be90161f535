// Development only: reception on the mock desk (see mock.ts), behaving as Rust's does
// (crates/core/src/desk/reception.rs and roll_call.rs): the kiosk sees first names and surname
// initials only; bad input is refused per field; a "yes" to a screening question signs no one
// in; a resident whose visits need approval makes the visitor wait; the roll call is made from
// what is on site now, with ticks per person.
//
//   &outbreak=1          health screening is asked (outbreak mode)
//   &policy=1            the home has a visitor policy to accept
//   &visitors=<n>        visitors on site at the start (default 2)
//
// The returning visitor: "Jane Doe", phone ending 123. Resident "Harold Greenwood" (Harry G.)
// needs staff approval.
import type { CommandError } from '../bindings/CommandError';
import type { KioskPerson } from '../bindings/KioskPerson';
import type { OutingView } from '../bindings/OutingView';
import type { ReceptionSettings } from '../bindings/ReceptionSettings';
import type { ResidentReception } from '../bindings/ResidentReception';
import type { Resident } from '../bindings/Resident';
import type { RollCallPerson } from '../bindings/RollCallPerson';
import type { RollCallView } from '../bindings/RollCallView';
import type { SignInOutcome } from '../bindings/SignInOutcome';
import type { Staff } from '../bindings/Staff';
import type { VisitingKind } from '../bindings/VisitingKind';
import type { VisitorRecord } from '../bindings/VisitorRecord';
import type { VisitorSignInForm } from '../bindings/VisitorSignInForm';

type Args = Record<string, unknown>;

type SignIn = {
  id: string;
  first: string;
  surname: string;
  phone: string;
  kind: VisitingKind;
  visitingId: string | null;
  visiting: string;
  company: string | null;
  purpose: string;
  relationship: string | null;
  car: string | null;
  code: string | null;
  at: Date;
  out: Date | null;
  outKind: VisitorRecord['sign_out_kind'];
  outBy: string | null;
  approval: VisitorRecord['approval'];
};

function refuse(code: CommandError['code'], message: string, fields?: Record<string, string>): never {
  throw (fields ? { code, message, fields } : { code, message }) satisfies CommandError;
}

const hhmm = (d: Date) => d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
function words(d: Date, now = new Date()): string {
  const day = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((day(now) - day(d)) / 86_400_000);
  if (days === 0) return `today at ${hhmm(d)}`;
  if (days === 1) return `yesterday at ${hhmm(d)}`;
  const date = d.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short' }).replace(',', '');
  return `${date} at ${hhmm(d)}`;
}

/** "Maggie W." */
function label(first: string, family: string): string {
  const initial = family.trim().charAt(0).toUpperCase();
  return initial ? `${first.trim()} ${initial}.` : first.trim();
}

function personLabel(full: string, preferred: string | null): string {
  const parts = full.split(/\s+/);
  return label(preferred?.trim() || parts[0] || '', parts.length > 1 ? (parts[parts.length - 1] ?? '') : '');
}

export function mockReception(params: URLSearchParams, residents: Resident[], staff: Staff[]) {
  const home = 'loc_rowan';
  const now = () => new Date();
  let seq = 0;
  const nextId = () => `sgn_${++seq}`;
  let settings: ReceptionSettings = {
    outbreak_mode: params.get('outbreak') === '1',
    screening_when: 'outbreak',
    screening_questions: [
      'Do you have a high temperature, a new continuous cough, or a loss or change in your sense of smell or taste?',
      'Have you had diarrhoea or vomiting in the last 48 hours?',
      'Have you tested positive for COVID-19 or flu in the last 5 days?',
    ],
    screening_guidance:
      'Thank you for telling us. To keep our residents safe, please do not visit today. A member of staff knows you came and can talk with you by phone.',
    policy_text:
      params.get('policy') === '1'
        ? 'Please wash your hands when you arrive. Do not visit if you feel unwell. Ask staff before bringing food for a resident.'
        : '',
    policy_version: params.get('policy') === '1' ? 1 : 0,
    auto_sign_out_time: '23:59',
    visitor_retention_days: 90,
    screening_retention_days: 14,
  };
  const ourResidents = residents.filter((r) => r.location_id === home && r.status === 'current');
  const ourStaff = staff.filter((s) => s.location_id === home && s.status === 'active');
  const notes = new Map<string, ResidentReception>();
  const needsApproval = ourResidents.find((r) => r.full_name === 'Harold Greenwood') ?? ourResidents[1];
  if (needsApproval) {
    notes.set(needsApproval.id, {
      resident_id: needsApproval.id,
      visits_need_approval: true,
      evacuation_notes: 'Uses a wheelchair: two staff and the evacuation chair on the stairs.',
      updated_by: 'Femi Hughes',
      updated_at: new Date(Date.now() - 86_400_000).toISOString(),
    });
  }
  const signIns: SignIn[] = [];
  const staffIn = new Map<string, Date>([[ourStaff[0]?.id ?? 'stf_001', new Date(Date.now() - 3 * 3_600_000)]]);
  const outings = new Map<string, OutingView>();
  const rollCalls = new Map<string, { view: RollCallView; ticks: Set<string> }>();
  let openRollCall: string | null = null;
  let confirmFailures = 0;

  const residentName = (id: string | null) => ourResidents.find((r) => r.id === id);
  const visitingWords = (s: SignIn) => s.visiting;
  const onSite = () => signIns.filter((s) => !s.out && s.approval !== 'declined');

  function add(first: string, surname: string, kind: VisitingKind, visitingId: string | null, minutesAgo: number): SignIn {
    const r = residentName(visitingId);
    const s: SignIn = {
      id: nextId(),
      first,
      surname,
      phone: '07700 900' + String(100 + seq * 7).slice(-3),
      kind,
      visitingId,
      visiting: r ? `${r.full_name} (resident)` : kind === 'other' ? 'Acme Lifts Ltd' : 'a member of staff',
      company: kind === 'other' ? 'Acme Lifts Ltd' : null,
      purpose: kind === 'other' ? 'Lift service (Acme Lifts Ltd)' : 'Visiting a resident (daughter)',
      relationship: kind === 'resident' ? 'daughter' : null,
      car: null,
      code: String(4821 + seq * 1111).slice(-4),
      at: new Date(Date.now() - minutesAgo * 60_000),
      out: null,
      outKind: null,
      outBy: null,
      approval: 'not_needed',
    };
    signIns.push(s);
    return s;
  }
  const start = Number(params.get('visitors') ?? 2);
  const names: [string, string][] = [
    ['Sarah', 'Wilson'],
    ['Tom', 'Baker'],
    ['Li', 'Chen'],
    ['Ruth', 'Evans'],
  ];
  for (let i = 0; i < start; i += 1) {
    const [first, surname] = names[i % names.length] ?? ['Sam', 'Green'];
    add(first, surname, i === 1 ? 'other' : 'resident', i === 1 ? null : (ourResidents[i + 2]?.id ?? null), 25 + i * 40);
  }
  // Yesterday's visitor the automatic sign-out saw to.
  const late = add('Peter', 'Morris', 'resident', ourResidents[4]?.id ?? null, 20 * 60);
  late.out = new Date(late.at.getTime() + 6 * 3_600_000);
  late.outKind = 'automatic';
  late.outBy = 'Loopdesk';
  let autoReviewed = false;

  function record(s: SignIn): VisitorRecord {
    const until = s.out ?? now();
    return {
      sign_in_id: s.id,
      visitor_name: `${s.first} ${s.surname}`,
      visiting_kind: s.kind,
      visiting: visitingWords(s),
      visiting_id: s.visitingId,
      purpose: s.purpose,
      company: s.company,
      relationship: s.relationship,
      phone: s.phone,
      car_registration: s.car,
      signed_in_at: s.at.toISOString(),
      signed_in_words: words(s.at),
      signed_out_at: s.out?.toISOString() ?? null,
      signed_out_words: s.out ? words(s.out) : null,
      sign_out_kind: s.outKind,
      signed_out_by: s.outBy,
      minutes_in_building: Math.max(0, Math.floor((until.getTime() - s.at.getTime()) / 60_000)),
      approval: s.approval,
      approval_by: s.approval === 'approved' || s.approval === 'declined' ? 'Aisha Khan' : null,
      pending_sync: !s.out && s.approval !== 'pending',
    };
  }

  function find(text: string, people: { id: string; full_name: string; preferred_name: string | null }[]): KioskPerson[] {
    const typed = text.trim().toLowerCase();
    if (typed.replace(/[^a-z]/g, '').length < 3) return [];
    return people
      .filter((p) => typed.split(/\s+/).every((w) => `${p.full_name} ${p.preferred_name ?? ''}`.toLowerCase().includes(w)))
      .slice(0, 8)
      .map((p) => ({ id: p.id, label: personLabel(p.full_name, p.preferred_name) }));
  }

  function checkName(fields: Record<string, string>, key: string, what: string, value: string): string {
    const v = value.trim().replace(/\s+/g, ' ');
    if (!v) fields[key] = `Please write your ${what}`;
    else if (v.length > 50) fields[key] = 'Please use 50 letters or fewer';
    else if (/[^\p{L} '’.-]/u.test(v)) fields[key] = 'Names can have letters, spaces, hyphens and apostrophes';
    else if (!/\p{L}/u.test(v) || /(.)\1\1\1/i.test(v)) fields[key] = `Please check your ${what}`;
    return v;
  }

  function signIn(form: VisitorSignInForm): SignInOutcome {
    const fields: Record<string, string> = {};
    let first = form.first_name;
    let surname = form.surname;
    let phone = form.phone ?? '';
    if (form.returning) {
      if (form.returning.visitor_id !== 'vis_jane' || form.returning.ticket !== 'ticket_jane') {
        refuse('invalid_input', 'Please type your details', { returning: 'We could not confirm who you are: please type your details' });
      }
      [first, surname, phone] = ['Jane', 'Doe', '07700 900123'];
    } else {
      first = checkName(fields, 'first_name', 'first name', first);
      surname = checkName(fields, 'surname', 'surname', surname);
      const digits = phone.replace(/\D/g, '').length;
      if (!phone.trim()) fields.phone = 'Please give a phone number, so staff can reach you in an emergency';
      else if (/[^0-9 +()-]/.test(phone) || digits < 7 || digits > 15) fields.phone = 'Please check the phone number: 7 to 15 digits';
    }
    const kind = form.visiting_kind as VisitingKind;
    let visiting = '';
    if (!['resident', 'staff', 'other'].includes(kind)) fields.visiting_kind = 'Please choose whom you are visiting';
    if (kind === 'resident') {
      const r = residentName(form.visiting_id ?? null);
      if (!r) fields.visiting_id = 'Please choose the resident from the list';
      else visiting = `${r.full_name} (resident)`;
      if (!form.relationship?.trim()) fields.relationship = 'Please say how you know them (for example daughter, friend)';
    } else if (kind === 'staff') {
      const s = ourStaff.find((m) => m.id === form.visiting_id);
      if (!s) fields.visiting_id = 'Please choose the member of staff from the list';
      else visiting = `${s.full_name} (staff)`;
    } else if (kind === 'other') {
      if (!form.purpose?.trim()) fields.purpose = 'Please say what you are here for';
      visiting = form.company?.trim() || form.purpose?.trim() || 'Other';
    }
    const car = form.car_registration?.trim().toUpperCase() || null;
    if (car && /[^A-Z0-9 ]/.test(car)) fields.car_registration = 'A registration has only letters and numbers';
    const screening = settings.outbreak_mode && settings.screening_when !== 'never';
    if (screening && form.screening_answers.length !== settings.screening_questions.length) {
      fields.screening_answers = 'Please answer each question';
    }
    if (settings.policy_text && form.accepted_policy_version !== settings.policy_version && !form.returning) {
      fields.accepted_policy_version = 'Please read and accept the visitor policy';
    }
    const here = onSite().find((s) => `${s.first} ${s.surname}`.toLowerCase() === `${first} ${surname}`.toLowerCase());
    if (!Object.keys(fields).length && here) {
      fields.first_name = `You are already signed in (since ${hhmm(here.at)}). To sign out, tap your name in the list.`;
    }
    if (Object.keys(fields).length) refuse('invalid_input', 'Please check your details', fields);
    if (screening && form.screening_answers.some(Boolean)) {
      return { outcome: 'not_today', guidance: settings.screening_guidance };
    }
    const wait = kind === 'resident' && notes.get(form.visiting_id ?? '')?.visits_need_approval === true;
    const s: SignIn = {
      id: nextId(),
      first,
      surname,
      phone,
      kind,
      visitingId: form.visiting_id ?? null,
      visiting,
      company: form.company?.trim() || null,
      purpose: form.purpose?.trim() || (kind === 'resident' ? `Visiting a resident (${form.relationship})` : 'Visiting a member of staff'),
      relationship: form.relationship?.trim() || null,
      car,
      code: wait ? null : String(2000 + Math.floor(Math.random() * 7000)),
      at: now(),
      out: null,
      outKind: null,
      outBy: null,
      approval: wait ? 'pending' : 'not_needed',
    };
    signIns.push(s);
    if (wait) {
      return { outcome: 'wait_for_staff', sign_in_id: s.id, first_name: first, message: 'Please wait here: a member of staff will come to you.' };
    }
    return confirmation(s);
  }

  function confirmation(s: SignIn): SignInOutcome {
    const r = residentName(s.visitingId);
    const m = ourStaff.find((x) => x.id === s.visitingId);
    return {
      outcome: 'signed_in',
      confirmation: {
        sign_in_id: s.id,
        first_name: s.first,
        signed_in_words: words(s.at),
        visiting_label: r ? personLabel(r.full_name, r.preferred_name) : m ? personLabel(m.full_name, m.preferred_name) : (s.company ?? s.purpose),
        sign_out_code: s.code ?? '',
      },
    };
  }

  function signOut(s: SignIn | undefined, kind: VisitorRecord['sign_out_kind'], by: string) {
    if (!s) refuse('not_found', 'We could not find that visit. Please ask a member of staff.');
    if (s.out) refuse('invalid_input', 'This visitor has already signed out.');
    s.out = now();
    s.outKind = kind;
    s.outBy = by;
    return s;
  }

  function staffMovement(args: Args, signingIn: boolean, pinOk: (id: string, pin: string) => boolean) {
    const id = String(args.staffId ?? '');
    if (!pinOk(id, String(args.pin ?? ''))) {
      refuse('invalid_input', 'That name and PIN do not match', { pin: 'That name and PIN do not match. 4 tries left before PIN entry pauses.' });
    }
    const member = staff.find((m) => m.id === id);
    const since = staffIn.get(id);
    if (signingIn && since) refuse('invalid_input', `You are already signed in (since ${hhmm(since)}).`);
    if (!signingIn && !since) refuse('invalid_input', 'You are not signed in at the moment.');
    if (signingIn) staffIn.set(id, now());
    else staffIn.delete(id);
    return { staff_id: id, label: personLabel(member?.full_name ?? id, null), signed_in: signingIn, at_words: words(now()) };
  }

  function rollCallView(id: string): RollCallView {
    const held = rollCalls.get(id);
    if (!held) refuse('not_found', 'That roll call is not on this desk.');
    const tick = (p: RollCallPerson) => ({ ...p, accounted: held.ticks.has(p.key) });
    const v = held.view;
    const visitors = v.visitors.map(tick);
    const staffList = v.staff.map(tick);
    const residentsIn = v.residents_in.map(tick);
    const inBuilding = [...visitors, ...staffList, ...residentsIn];
    const accounted = inBuilding.filter((p) => p.accounted).length;
    return {
      ...v,
      visitors,
      staff: staffList,
      residents_in: residentsIn,
      residents_out: v.residents_out,
      in_building: inBuilding.length,
      accounted,
      unaccounted: inBuilding.length - accounted,
    };
  }

  function startRollCall(by: string): RollCallView {
    const at = now();
    if (openRollCall) {
      const open = rollCalls.get(openRollCall);
      if (open) open.view = { ...open.view, ended_at: at.toISOString() };
    }
    const id = `rc_${Date.now()}`;
    const synced = new Date(at.getTime() - 40 * 60_000);
    const view: RollCallView = {
      id,
      home_name: 'Rowan House',
      started_at: at.toISOString(),
      started_words: words(at),
      started_by: by,
      ended_at: null,
      residents_updated_at: synced.toISOString(),
      residents_freshness: `Resident list from ${words(synced)}`,
      visitors: signIns
        .filter((s) => !s.out && s.approval !== 'declined')
        .map((s) => ({
          key: `visitor:${s.id}`,
          name: `${s.first} ${s.surname}`,
          detail: `Visiting ${s.visiting.replace(/ \((resident|staff)\)$/, '')} · ${s.phone}`,
          notes: s.approval === 'pending' ? 'Waiting at reception for approval' : null,
          since: `since ${hhmm(s.at)}`,
          accounted: false,
        })),
      staff: [...staffIn.entries()].map(([sid, since]) => {
        const m = staff.find((x) => x.id === sid);
        return { key: `staff:${sid}`, name: m?.full_name ?? sid, detail: m?.role.replace('_', ' ') ?? null, notes: null, since: `since ${hhmm(since)}`, accounted: false };
      }),
      residents_in: ourResidents
        .filter((r) => !outings.has(r.id))
        .map((r) => ({
          key: `resident:${r.id}`,
          name: r.preferred_name ? `${r.preferred_name} ${r.full_name.split(' ').slice(-1)[0]}` : r.full_name,
          detail: r.room_number ? `Room ${r.room_number}` : null,
          notes: notes.get(r.id)?.evacuation_notes ?? null,
          since: null,
          accounted: false,
        })),
      residents_out: [...outings.values()].map((o) => ({
        key: `resident:${o.resident_id}`,
        name: o.name,
        detail: `Out with ${o.with_whom}`,
        notes: null,
        since: `since ${hhmm(new Date(o.out_at))}`,
        accounted: false,
      })),
      in_building: 0,
      accounted: 0,
      unaccounted: 0,
    };
    rollCalls.set(id, { view, ticks: new Set() });
    openRollCall = id;
    return rollCallView(id);
  }

  /** Reception's commands; `undefined` for any other. */
  function answer(cmd: string, args: Args, who: () => string, pinOk: (id: string, pin: string) => boolean): unknown {
    switch (cmd) {
      case 'kiosk_reception': {
        const screening = settings.screening_when === 'always' || (settings.screening_when === 'outbreak' && settings.outbreak_mode);
        return {
          home_name: 'Rowan House',
          screening_questions: screening ? settings.screening_questions : [],
          policy: settings.policy_text ? { text: settings.policy_text, version: settings.policy_version } : null,
        };
      }
      case 'find_returning_visitors': {
        const typed = String(args.text ?? '').trim().toLowerCase();
        return typed.replace(/[^a-z]/g, '').length >= 3 && 'jane doe'.startsWith(typed) ? [{ visitor_id: 'vis_jane', label: 'Jane D.' }] : [];
      }
      case 'confirm_returning_visitor': {
        const closed = confirmFailures >= 3;
        if (closed || args.visitorId !== 'vis_jane' || args.lastDigits !== '123') {
          confirmFailures += 1;
          const message =
            confirmFailures >= 3
              ? 'That does not match our records. Please type your details instead.'
              : 'That does not match our records. Please try again.';
          refuse('invalid_input', message, { phone_digits: message });
        }
        const r = ourResidents[2];
        return {
          visitor_id: 'vis_jane',
          ticket: 'ticket_jane',
          first_name: 'Jane',
          label: 'Jane D.',
          relationship: 'daughter',
          car_registration: 'AB12 CDE',
          company: null,
          visiting_kind: 'resident',
          last_visited: r ? { id: r.id, label: personLabel(r.full_name, r.preferred_name) } : null,
          last_purpose: null,
          policy_accepted: true,
        };
      }
      case 'kiosk_find_residents':
        return find(String(args.text ?? ''), ourResidents);
      case 'kiosk_find_staff':
        return find(String(args.text ?? ''), ourStaff);
      case 'sign_in_visitor':
        return signIn((args.form ?? {}) as VisitorSignInForm);
      case 'visitor_sign_in_status': {
        const s = signIns.find((x) => x.id === args.signInId);
        if (!s) refuse('not_found', 'We could not find that visit. Please ask a member of staff.');
        if (s.approval === 'pending') return { outcome: 'wait_for_staff', sign_in_id: s.id, first_name: s.first, message: 'Please wait here: a member of staff will come to you.' };
        if (s.approval === 'declined') return { outcome: 'declined', message: 'Please speak to the member of staff with you.' };
        return confirmation(s);
      }
      case 'kiosk_on_site':
        return onSite()
          .filter((s) => s.approval !== 'pending')
          .map((s) => ({ sign_in_id: s.id, label: label(s.first, s.surname), since: hhmm(s.at) }));
      case 'sign_out_visitor': {
        const s = signOut(signIns.find((x) => x.id === args.signInId), 'visitor', 'the visitor');
        return { sign_in_id: s.id, label: label(s.first, s.surname), signed_out_words: words(now()) };
      }
      case 'sign_out_with_code': {
        const code = String(args.code ?? '').replace(/\s/g, '');
        const s = onSite().find((x) => x.code === code && x.approval !== 'pending');
        if (!s) {
          refuse('invalid_input', 'That code does not match anyone signed in', {
            code: 'That code does not match anyone signed in. Check it, or tap your name in the list.',
          });
        }
        signOut(s, 'code', 'the visitor');
        return { sign_in_id: s.id, label: label(s.first, s.surname), signed_out_words: words(now()) };
      }
      case 'kiosk_staff_sign_in':
        return staffMovement(args, true, pinOk);
      case 'kiosk_staff_sign_out':
        return staffMovement(args, false, pinOk);
      case 'visitors_on_site':
        return onSite().filter((s) => s.approval !== 'pending').map(record);
      case 'staff_sign_out_visitor':
        return record(signOut(signIns.find((x) => x.id === args.signInId), 'staff', who()));
      case 'pending_visitor_approvals':
        return signIns.filter((s) => s.approval === 'pending' && !s.out).map(record);
      case 'approve_visitor':
      case 'decline_visitor': {
        const s = signIns.find((x) => x.id === args.signInId && x.approval === 'pending');
        if (!s) refuse('not_found', 'This visitor is not waiting for approval.');
        if (cmd === 'approve_visitor') {
          s.approval = 'approved';
          s.code = String(3000 + Math.floor(Math.random() * 6000));
        } else {
          s.approval = 'declined';
          s.out = now();
          s.outKind = 'declined';
          s.outBy = who();
        }
        return record(s);
      }
      case 'visitor_history':
      case 'export_visitor_history': {
        const q = (args.query ?? {}) as { text?: string; from?: string; to?: string };
        const fields: Record<string, string> = {};
        for (const key of ['from', 'to'] as const) {
          if (q[key] && !/^\d{4}-\d{2}-\d{2}$/.test(q[key])) fields[key] = 'Enter a date like 2026-11-22';
        }
        if (Object.keys(fields).length) refuse('invalid_input', 'Check the dates', fields);
        const text = (q.text ?? '').trim().toLowerCase();
        const day = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
        const rows = signIns
          .filter((s) => !text || `${s.first} ${s.surname} ${s.visiting} ${s.company ?? ''}`.toLowerCase().includes(text))
          .filter((s) => (!q.from || day(s.at) >= q.from) && (!q.to || day(s.at) <= q.to))
          .sort((a, b) => b.at.getTime() - a.at.getTime())
          .map(record);
        if (cmd === 'visitor_history') return rows;
        const fileName = `visitors-${day(now())}.csv`;
        return { path: `/home/reception/Downloads/${fileName}`, file_name: fileName, bytes: 120 + rows.length * 140 };
      }
      case 'automatic_sign_outs':
        return autoReviewed ? [] : signIns.filter((s) => s.outKind === 'automatic').map(record);
      case 'review_automatic_sign_outs': {
        const n = autoReviewed ? 0 : signIns.filter((s) => s.outKind === 'automatic').length;
        autoReviewed = true;
        return n;
      }
      case 'staff_on_site':
        return [...staffIn.entries()].map(([id, since]) => {
          const m = staff.find((x) => x.id === id);
          return {
            staff_id: id,
            name: m?.full_name ?? id,
            role: m?.role ?? null,
            signed_in_at: since.toISOString(),
            signed_in_words: words(since),
            minutes_on_site: Math.floor((Date.now() - since.getTime()) / 60_000),
          };
        });
      case 'staff_sign_out_staff':
        if (!staffIn.delete(String(args.staffId ?? ''))) refuse('invalid_input', 'This staff member is not signed in.');
        return null;
      case 'reception_find_residents': {
        const text = String(args.text ?? '').trim().toLowerCase();
        return ourResidents
          .filter((r) => text && (r.full_name.toLowerCase().includes(text) || (r.room_number ?? '').startsWith(text)))
          .slice(0, 20)
          .map((r) => ({ resident_id: r.id, name: r.full_name, room: r.room_number, out: outings.get(r.id) ?? null }));
      }
      case 'residents_out':
        return [...outings.values()];
      case 'resident_goes_out': {
        const r = residentName(String(args.residentId ?? ''));
        if (!r) refuse('not_found', 'This resident is not on this desk.');
        const withWhom = String(args.withWhom ?? '').trim();
        if (!withWhom) refuse('invalid_input', 'Say who they are with', { with_whom: 'Please say who the resident is going out with' });
        if (outings.has(r.id)) refuse('invalid_input', 'This resident is already out.');
        const at = now();
        const outing: OutingView = {
          resident_id: r.id,
          name: r.full_name,
          room: r.room_number,
          with_whom: withWhom,
          out_at: at.toISOString(),
          out_words: words(at),
          recorded_by: who(),
        };
        outings.set(r.id, outing);
        return outing;
      }
      case 'resident_comes_back':
        if (!outings.delete(String(args.residentId ?? ''))) refuse('invalid_input', 'This resident is not out.');
        return null;
      case 'start_roll_call':
        return startRollCall(who());
      case 'current_roll_call':
        return openRollCall ? rollCallView(openRollCall) : null;
      case 'get_roll_call':
        return rollCallView(String(args.id ?? ''));
      case 'tick_roll_call': {
        const id = String(args.rollCallId ?? '');
        const held = rollCalls.get(id);
        if (!held) refuse('not_found', 'That roll call is not on this desk.');
        const key = String(args.personKey ?? '');
        if (args.accounted) held.ticks.add(key);
        else held.ticks.delete(key);
        return rollCallView(id);
      }
      case 'end_roll_call': {
        const id = String(args.rollCallId ?? '');
        const held = rollCalls.get(id);
        if (!held) refuse('not_found', 'That roll call is not on this desk.');
        held.view = { ...held.view, ended_at: now().toISOString() };
        if (openRollCall === id) openRollCall = null;
        return rollCallView(id);
      }
      case 'save_roll_call_pdf': {
        const held = rollCalls.get(String(args.rollCallId ?? ''));
        if (!held) refuse('not_found', 'That roll call is not on this desk.');
        return { path: '/home/reception/Downloads/fire-roll-call.pdf', file_name: 'fire-roll-call.pdf', bytes: 48_213 };
      }
      case 'get_resident_reception':
      case 'set_resident_reception': {
        const id = String(args.residentId ?? '');
        if (!residentName(id)) refuse('not_found', 'This resident is not on this desk.');
        if (cmd === 'set_resident_reception') {
          notes.set(id, {
            resident_id: id,
            visits_need_approval: Boolean(args.visitsNeedApproval),
            evacuation_notes: (args.evacuationNotes as string | null) ?? null,
            updated_by: who(),
            updated_at: now().toISOString(),
          });
        }
        return notes.get(id) ?? { resident_id: id, visits_need_approval: false, evacuation_notes: null, updated_by: null, updated_at: null };
      }
      case 'get_reception_settings':
        return settings;
      case 'save_reception_settings': {
        const next = args.settings as ReceptionSettings;
        const fields: Record<string, string> = {};
        if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(next.auto_sign_out_time)) fields.auto_sign_out_time = 'Enter a time like 23:59';
        if (next.visitor_retention_days < 1) fields.visitor_retention_days = 'Keep visitor records for at least 1 day';
        if (Object.keys(fields).length) refuse('invalid_input', 'Check reception’s settings', fields);
        settings = {
          ...next,
          policy_version: next.policy_text !== settings.policy_text ? settings.policy_version + 1 : settings.policy_version,
        };
        return settings;
      }
      case 'purge_reception_records':
        return { sign_ins: 0, visitors: 0, screening_answers: 0, staff_movements: 0, resident_outings: 0, roll_calls: 0, notices: 0 };
      default:
        return undefined;
    }
  }

  return { answer };
}
