// Development only: incidents and falls on the mock desk (see mock.ts): the form's lists, a
// small version of the rules (duties, the 999 advice, observations), incidents kept in memory
// ("pending"), drafts, duties decided and sent, observations recorded or missed, the falls
// register. Rust's behaviour is crates/core/src/desk/incidents.rs; tests use these too.
import type { CommandError } from '../bindings/CommandError';
import type { DueObservation } from '../bindings/DueObservation';
import type { DutyAdvice } from '../bindings/DutyAdvice';
import type { IncidentAssessment } from '../bindings/IncidentAssessment';
import type { ObservationReading } from '../bindings/ObservationReading';
import type { ObservationView } from '../bindings/ObservationView';
import type { FallsRegister } from '../bindings/FallsRegister';
import type { IncidentDraft } from '../bindings/IncidentDraft';
import type { IncidentForm } from '../bindings/IncidentForm';
import type { IncidentOptions } from '../bindings/IncidentOptions';
import type { IncidentSummary } from '../bindings/IncidentSummary';
import type { IncidentView } from '../bindings/IncidentView';
import type { ObservationProtocol } from '../bindings/ObservationProtocol';

type Args = Record<string, unknown>;

const options: IncidentOptions = {
  subjects: [
    { value: 'resident', label: 'A resident' },
    { value: 'staff', label: 'A member of staff' },
    { value: 'visitor', label: 'A visitor' },
    { value: 'other', label: 'Someone else' },
  ],
  types: [
    { value: 'fall', label: 'Fall' },
    { value: 'medication_error', label: 'Medication error' },
    { value: 'skin_damage', label: 'Skin damage / pressure ulcer' },
    { value: 'behaviour', label: 'Behaviour' },
    { value: 'safeguarding', label: 'Safeguarding' },
    { value: 'infection', label: 'Infection' },
    { value: 'missing_person', label: 'Missing person' },
    { value: 'near_miss', label: 'Near miss' },
    { value: 'other', label: 'Other' },
  ],
  severities: [
    { value: 'low', label: 'Low' },
    { value: 'moderate', label: 'Moderate' },
    { value: 'high', label: 'High' },
    { value: 'critical', label: 'Critical' },
  ],
  notified: [
    { value: 'family', label: 'Family' },
    { value: 'gp', label: 'GP' },
    { value: 'nhs_111_999', label: '111 / 999' },
    { value: 'manager', label: 'Manager' },
    { value: 'safeguarding_team', label: 'Safeguarding team' },
    { value: 'police', label: 'Police' },
  ],
  fall_how: [
    { value: 'found_on_floor', label: 'Found on the floor' },
    { value: 'seen_to_fall', label: 'Seen to fall' },
  ],
  statuses: [
    { value: 'open', label: 'Open' },
    { value: 'under_review', label: 'Under review' },
    { value: 'closed', label: 'Closed' },
  ],
  body_regions: [
    { code: 'head.front', label: 'Head (front)', view: 'front', side: null },
    { code: 'face', label: 'Face', view: 'front', side: null },
    { code: 'neck.front', label: 'Neck (front)', view: 'front', side: null },
    { code: 'shoulder.left', label: 'Left shoulder', view: 'front', side: 'left' },
    { code: 'shoulder.right', label: 'Right shoulder', view: 'front', side: 'right' },
    { code: 'chest', label: 'Chest', view: 'front', side: null },
    { code: 'abdomen', label: 'Abdomen', view: 'front', side: null },
    { code: 'arm.upper.left', label: 'Left upper arm', view: 'front', side: 'left' },
    { code: 'arm.upper.right', label: 'Right upper arm', view: 'front', side: 'right' },
    { code: 'forearm.left', label: 'Left forearm', view: 'front', side: 'left' },
    { code: 'forearm.right', label: 'Right forearm', view: 'front', side: 'right' },
    { code: 'wrist.left', label: 'Left wrist', view: 'front', side: 'left' },
    { code: 'wrist.right', label: 'Right wrist', view: 'front', side: 'right' },
    { code: 'hand.left', label: 'Left hand', view: 'front', side: 'left' },
    { code: 'hand.right', label: 'Right hand', view: 'front', side: 'right' },
    { code: 'hip.left', label: 'Left hip', view: 'front', side: 'left' },
    { code: 'hip.right', label: 'Right hip', view: 'front', side: 'right' },
    { code: 'groin', label: 'Groin', view: 'front', side: null },
    { code: 'thigh.left', label: 'Left thigh', view: 'front', side: 'left' },
    { code: 'thigh.right', label: 'Right thigh', view: 'front', side: 'right' },
    { code: 'knee.left', label: 'Left knee', view: 'front', side: 'left' },
    { code: 'knee.right', label: 'Right knee', view: 'front', side: 'right' },
    { code: 'shin.left', label: 'Left shin', view: 'front', side: 'left' },
    { code: 'shin.right', label: 'Right shin', view: 'front', side: 'right' },
    { code: 'ankle.left', label: 'Left ankle', view: 'front', side: 'left' },
    { code: 'ankle.right', label: 'Right ankle', view: 'front', side: 'right' },
    { code: 'foot.left', label: 'Left foot', view: 'front', side: 'left' },
    { code: 'foot.right', label: 'Right foot', view: 'front', side: 'right' },
    { code: 'head.back', label: 'Head (back)', view: 'back', side: null },
    { code: 'neck.back', label: 'Neck (back)', view: 'back', side: null },
    { code: 'back.upper', label: 'Upper back', view: 'back', side: null },
    { code: 'back.lower', label: 'Lower back', view: 'back', side: null },
    { code: 'elbow.left', label: 'Left elbow', view: 'back', side: 'left' },
    { code: 'elbow.right', label: 'Right elbow', view: 'back', side: 'right' },
    { code: 'sacrum', label: 'Sacrum (base of the spine)', view: 'back', side: null },
    { code: 'buttock.left', label: 'Left buttock', view: 'back', side: 'left' },
    { code: 'buttock.right', label: 'Right buttock', view: 'back', side: 'right' },
    { code: 'thigh.back.left', label: 'Back of left thigh', view: 'back', side: 'left' },
    { code: 'thigh.back.right', label: 'Back of right thigh', view: 'back', side: 'right' },
    { code: 'calf.left', label: 'Left calf', view: 'back', side: 'left' },
    { code: 'calf.right', label: 'Right calf', view: 'back', side: 'right' },
    { code: 'heel.left', label: 'Left heel', view: 'back', side: 'left' },
    { code: 'heel.right', label: 'Right heel', view: 'back', side: 'right' },
  ],
  duties: [],
};

const protocol: ObservationProtocol = {
  stages: [
    { every_minutes: 30, until_minutes: 120 },
    { every_minutes: 60, until_minutes: 360 },
    { every_minutes: 120, until_minutes: 1440 },
  ],
  bruising_check_hours: [24, 48],
};

const notHere = (): CommandError => ({ code: 'not_found', message: 'This incident is not on this desk.' });

const headCodes = ['head.front', 'head.back', 'face'];

/** The 999 advice, as Rust words it (a head injury in someone on anticoagulants). */
export const call999Words =
  'A head injury in someone on anticoagulants (blood thinners): call 999 now, even if they seem well.';

function isHeadInjury(form: IncidentForm): boolean {
  return !!form.fall?.head_injury || form.body_regions.some((r) => headCodes.includes(r));
}

/** A small version of the rules table (crates/core/src/incidents/duties.rs), for the mock desk. */
export function mockAssess(form: IncidentForm): IncidentAssessment {
  const duties: DutyAdvice[] = [];
  const resident = form.subject === 'resident';
  const injured = form.body_regions.length > 0 || isHeadInjury(form);
  const serious = form.severity === 'high' || form.severity === 'critical';
  const now: DutyAdvice['clock'] = { kind: 'without_delay' };
  if (resident && !form.died && (form.specified_injury || (injured && (form.hospital_transfer || serious)))) {
    duties.push({
      duty: 'cqc_reg18_serious_injury',
      label: 'CQC: serious injury',
      why: 'A resident was injured and it is serious (high or critical, hospital or a specified injury).',
      source: 'CQC (Registration) Regulations 2009, Reg. 18(2)(a)',
      clock: now,
      due_at: null,
      clock_words: 'without delay',
    });
  }
  if (form.type === 'safeguarding' || form.abuse_suspected) {
    duties.push({
      duty: 'safeguarding_referral',
      label: 'Safeguarding referral',
      why: 'Abuse is suspected or alleged.',
      source: 'Care Act 2014, s. 42',
      clock: now,
      due_at: null,
      clock_words: 'without delay',
    });
  }
  if (resident && form.type !== 'near_miss' && (form.severity === 'moderate' || serious || form.died)) {
    duties.push({
      duty: 'duty_of_candour',
      label: 'Duty of candour',
      why: 'A resident came to moderate harm or worse.',
      source: 'Health and Social Care Act 2008 (Regulated Activities) Regulations 2014, Reg. 20',
      clock: now,
      due_at: null,
      clock_words: 'without delay (as soon as reasonably practicable)',
    });
  }
  const fall = form.type === 'fall' ? form.fall : null;
  const occurred = Date.parse(form.occurred_at);
  const minutes = Number.isNaN(occurred) ? null : Math.max(0, Math.round((Date.now() - occurred) / 60_000));
  return {
    duties,
    call_999: fall && fall.anticoagulants && isHeadInjury(form) ? call999Words : null,
    starts_observations: !!fall && (!form.witnessed || isHeadInjury(form) || fall.neuro_obs_started || fall.how === 'found_on_floor'),
    elapsed_words: minutes === null ? null : minutes < 1 ? 'happened just now' : `happened ${minutes} min ago`,
  };
}

/** The form's checks, beside each field (a few of Rust's). */
export function mockCheck(form: IncidentForm, now = Date.now()): Record<string, string> {
  const fields: Record<string, string> = {};
  if (form.subject === 'resident' && !form.resident_id) fields.resident_id = 'Choose the resident';
  if (form.subject !== 'resident' && !form.person_name?.trim()) fields.person_name = 'Write their name';
  if (!form.type) fields.type = 'Choose the type of incident';
  if (!form.severity) fields.severity = 'Choose how serious it is';
  const occurred = Date.parse(form.occurred_at);
  if (Number.isNaN(occurred)) fields.occurred_at = 'Enter when it happened';
  else if (occurred > now + 60_000) fields.occurred_at = 'When it happened cannot be in the future';
  if (form.found_at && !Number.isNaN(occurred) && Date.parse(form.found_at) < occurred) {
    fields.found_at = 'It cannot have been found before it happened';
  }
  if (!form.place?.trim()) fields.place = 'Say where in the home it happened';
  if (!form.title?.trim()) fields.title = 'Give it a short title';
  if (form.type === 'fall' && !form.fall?.how) fields.fall_how = 'Say whether they were found on the floor or seen to fall';
  return fields;
}

function schedule(incidentId: string, from: number): ObservationView[] {
  const obs: ObservationView[] = [];
  let at = 0;
  for (const stage of protocol.stages) {
    while (at + stage.every_minutes <= stage.until_minutes) {
      at += stage.every_minutes;
      obs.push(observation(incidentId, obs.length, 'neuro', from + at * 60_000));
    }
  }
  for (const h of protocol.bruising_check_hours) obs.push(observation(incidentId, obs.length, 'bruising', from + h * 3_600_000));
  // The first is due at once on the mock desk, so the screens have something to show.
  if (obs[0]) {
    obs[0].due_at = new Date(from).toISOString();
    obs[0].state = 'due';
    obs[0].due_words = 'due now';
  }
  return obs;
}

function observation(incidentId: string, n: number, kind: string, at: number): ObservationView {
  const d = new Date(at);
  return {
    id: `${incidentId}-obs-${n + 1}`,
    incident_id: incidentId,
    kind,
    label: kind === 'neuro' ? 'Neurological observation' : 'Bruising check',
    due_at: d.toISOString(),
    due_words: `due at ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`,
    state: 'upcoming',
    pupils: null,
    gcs: null,
    avpu: null,
    pulse: null,
    notes: null,
    missed_reason: null,
    resolved_by: null,
    resolved_at: null,
  };
}

export function mockIncidents(
  signer: () => string,
  residentName: (id: string | null) => string = () => 'a resident',
): { answer(cmd: string, args: Args): unknown } {
  const incidents = new Map<string, IncidentView>();
  const drafts = new Map<string, IncidentDraft>();
  let next = 1;

  const summary = (v: IncidentView): IncidentSummary => ({
    id: v.id,
    title: v.form.title,
    type: v.form.type,
    type_label: v.type_label,
    severity: v.form.severity,
    status: v.status,
    occurred_at: v.form.occurred_at,
    occurred_words: v.occurred_words,
    resident_id: v.form.resident_id,
    person: v.person,
    sync: v.sync.state,
    open_duties: v.duties.filter((d) => d.open).length,
    next_deadline: null,
    overdue_observations: v.observations.filter((o) => o.state === 'overdue').length,
    call_999: v.call_999 !== null,
    logged_here: true,
  });

  const save = (form: IncidentForm, incidentId: string | null, draftId: string | null): IncidentView => {
    const fields = mockCheck(form);
    if (Object.keys(fields).length) {
      throw { code: 'invalid_input', message: 'Some answers need another look: see beside each one', fields } satisfies CommandError;
    }
    const existing = incidentId ? incidents.get(incidentId) : undefined;
    const id = existing?.id ?? `mock-incident-${next++}`;
    const advice = mockAssess(form);
    const decided = new Map(form.decisions.map((d) => [d.duty, d]));
    const view: IncidentView = {
      id,
      client_id: id,
      form,
      type_label: options.types.find((t) => t.value === form.type)?.label ?? form.type,
      status: existing?.status ?? 'open',
      person: form.subject === 'resident' ? residentName(form.resident_id) : (form.person_name ?? 'someone'),
      occurred_words: 'today',
      elapsed_words: advice.elapsed_words ?? 'happened just now',
      sync: { state: 'pending', message: null, fields: {} },
      editable: true,
      duties: advice.duties.map((d, i) => ({
        id: `${id}-duty-${i + 1}`,
        duty: d.duty,
        label: d.label,
        why: d.why,
        source: d.source,
        due_at: d.due_at,
        clock_words: `${d.clock_words}: it ${advice.elapsed_words ?? 'happened just now'}`,
        overdue: false,
        decision: decided.get(d.duty)?.decision ?? null,
        decision_note: decided.get(d.duty)?.note ?? null,
        decided_by: decided.has(d.duty) ? signer() : null,
        sent_at: null,
        sent_by: null,
        reference: null,
        open: decided.get(d.duty)?.decision !== 'not_needed',
      })),
      observations: existing?.observations.length ? existing.observations : advice.starts_observations ? schedule(id, Date.now()) : [],
      call_999: advice.call_999,
      logged_by: signer(),
      logged_at: new Date().toISOString(),
    };
    incidents.set(id, view);
    if (draftId) drafts.delete(draftId);
    return view;
  };

  const byDuty = (dutyId: string) => {
    for (const v of incidents.values()) {
      const d = v.duties.find((x) => x.id === dutyId);
      if (d) return { v, d };
    }
    throw notHere();
  };
  const byObservation = (obsId: string) => {
    for (const v of incidents.values()) {
      const o = v.observations.find((x) => x.id === obsId);
      if (o) return { v, o };
    }
    throw notHere();
  };

  return {
    answer(cmd, args) {
      switch (cmd) {
        case 'incident_form_options':
          return options;
        case 'assess_incident':
          return mockAssess(args.form as IncidentForm);
        case 'save_incident':
          return save(
            (args.form ?? {}) as IncidentForm,
            (args.incidentId as string | null) ?? null,
            (args.draftId as string | null) ?? null,
          );
        case 'get_incident': {
          const v = incidents.get(String(args.id));
          if (!v) throw notHere();
          return v;
        }
        case 'list_incidents':
          return [...incidents.values()].map(summary);
        case 'resident_incidents':
          return [...incidents.values()].filter((v) => v.form.resident_id === args.residentId).map(summary);
        case 'save_incident_draft': {
          const id = String(args.draftId ?? `mock-draft-${next++}`);
          const draft: IncidentDraft = {
            id,
            incident_id: (args.incidentId as string | null) ?? null,
            form: (args.form ?? {}) as IncidentForm,
            saved_by: signer(),
            saved_at: new Date().toISOString(),
          };
          drafts.set(id, draft);
          return draft;
        }
        case 'list_incident_drafts':
          return [...drafts.values()];
        case 'discard_incident_draft':
          return drafts.delete(String(args.draftId));
        case 'set_incident_status': {
          const v = incidents.get(String(args.incidentId));
          if (!v) throw notHere();
          v.status = String(args.status);
          return v;
        }
        case 'decide_incident_duty': {
          const { v, d } = byDuty(String(args.dutyId));
          d.decision = String(args.decision);
          d.decision_note = (args.note as string | null) ?? null;
          d.decided_by = signer();
          d.open = d.decision !== 'not_needed';
          return v;
        }
        case 'mark_duty_sent': {
          const { v, d } = byDuty(String(args.dutyId));
          const reference = String(args.reference ?? '').trim();
          if (!reference) {
            throw { code: 'invalid_input', message: 'Enter the reference', fields: { reference: 'Enter the reference you were given' } } satisfies CommandError;
          }
          d.sent_at = new Date().toISOString();
          d.sent_by = signer();
          d.reference = reference;
          d.open = false;
          return v;
        }
        case 'record_observation': {
          const { v, o } = byObservation(String(args.observationId));
          const reading = args.reading as ObservationReading;
          Object.assign(o, reading, { state: 'recorded', resolved_by: signer(), resolved_at: new Date().toISOString() });
          return v;
        }
        case 'miss_observation': {
          const { v, o } = byObservation(String(args.observationId));
          Object.assign(o, { state: 'missed', missed_reason: String(args.reason), resolved_by: signer(), resolved_at: new Date().toISOString() });
          return v;
        }
        case 'due_observations':
          return [...incidents.values()].flatMap((v) =>
            v.observations
              .filter((o) => o.state === 'due' || o.state === 'overdue')
              .map((o) => ({ observation: o, incident_title: v.form.title, person: v.person }) satisfies DueObservation),
          );
        case 'get_observation_protocol':
          return protocol;
        case 'save_observation_protocol': {
          const p = args.protocol as ObservationProtocol;
          protocol.stages = p.stages;
          protocol.bruising_check_hours = p.bruising_check_hours;
          return protocol;
        }
        case 'falls_register': {
          const falls = [...incidents.values()].filter((v) => v.form.type === 'fall' && v.form.resident_id);
          const byResident = new Map<string, IncidentView[]>();
          for (const f of falls) byResident.set(f.form.resident_id ?? '', [...(byResident.get(f.form.resident_id ?? '') ?? []), f]);
          const month = new Date().toISOString().slice(0, 7);
          return {
            months: falls.length ? [{ month, location_id: 'loc_rowan', home: 'Rowan House', count: falls.length }] : [],
            residents: [...byResident].map(([rid, list]) => ({
              resident_id: rid,
              name: list[0]?.person ?? rid,
              falls: list.map((f) => ({ incident_id: f.id, occurred_at: f.form.occurred_at, title: f.form.title, severity: f.form.severity })),
              last_90_days: list.length,
              repeat_faller: list.length >= 2,
            })),
          } satisfies FallsRegister;
        }
        case 'export_falls_register':
          return { path: '/home/demo/Downloads/falls-register.csv', file_name: 'falls-register.csv', bytes: 60 };
        default:
          return undefined;
      }
    },
  };
}
