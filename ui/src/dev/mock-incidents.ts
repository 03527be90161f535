// Development only: incidents and falls on the mock desk (see mock.ts). Minimal for now: the
// form's lists, no incidents until one is saved (kept in memory, "pending"), drafts, an empty
// falls register. The screens (a later step of issue 13) grow this as they need it; Rust's
// behaviour is crates/core/src/desk/incidents.rs.
import type { CommandError } from '../bindings/CommandError';
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
    { code: 'hip.left', label: 'Left hip', view: 'front', side: 'left' },
    { code: 'hip.right', label: 'Right hip', view: 'front', side: 'right' },
    { code: 'head.back', label: 'Head (back)', view: 'back', side: null },
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

export function mockIncidents(signer: () => string): { answer(cmd: string, args: Args): unknown } {
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
    open_duties: 0,
    next_deadline: null,
    overdue_observations: 0,
    call_999: v.call_999 !== null,
    logged_here: true,
  });

  const save = (form: IncidentForm): IncidentView => {
    const fields: Record<string, string> = {};
    if (!form.title?.trim()) fields.title = 'Give it a short title';
    if (!form.place?.trim()) fields.place = 'Say where in the home it happened';
    if (Object.keys(fields).length) {
      throw { code: 'invalid_input', message: 'Some answers need another look: see beside each one', fields } satisfies CommandError;
    }
    const id = `mock-incident-${next++}`;
    const view: IncidentView = {
      id,
      client_id: id,
      form,
      type_label: options.types.find((t) => t.value === form.type)?.label ?? form.type,
      status: 'open',
      person: 'a resident',
      occurred_words: 'today',
      elapsed_words: 'happened just now',
      sync: { state: 'pending', message: null, fields: {} },
      editable: true,
      duties: [],
      observations: [],
      call_999: null,
      logged_by: signer(),
      logged_at: new Date().toISOString(),
    };
    incidents.set(id, view);
    return view;
  };

  return {
    answer(cmd, args) {
      switch (cmd) {
        case 'incident_form_options':
          return options;
        case 'assess_incident':
          return { duties: [], call_999: null, starts_observations: false, elapsed_words: null };
        case 'save_incident':
          return save((args.form ?? {}) as IncidentForm);
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
        case 'set_incident_status':
        case 'decide_incident_duty':
        case 'mark_duty_sent':
        case 'record_observation':
        case 'miss_observation': {
          const v = incidents.get(String(args.incidentId));
          if (!v) throw notHere();
          if (cmd === 'set_incident_status') v.status = String(args.status);
          return v;
        }
        case 'due_observations':
          return [];
        case 'get_observation_protocol':
          return protocol;
        case 'save_observation_protocol':
          return args.protocol ?? protocol;
        case 'falls_register':
          return { months: [], residents: [] } satisfies FallsRegister;
        case 'export_falls_register':
          return { path: '/home/demo/Downloads/falls-register.csv', file_name: 'falls-register.csv', bytes: 60 };
        default:
          return undefined;
      }
    },
  };
}
