// Development only: a small, made-up care home group for the mock mode's screenshots.
// Deterministic (no randomness), so screenshots are stable.
import type { Alert } from '../bindings/Alert';
import type { AttentionEntry } from '../bindings/AttentionEntry';
import type { CareNoteView } from '../bindings/CareNoteView';
import type { DnarStatus } from '../bindings/DnarStatus';
import type { Location } from '../bindings/Location';
import type { Resident } from '../bindings/Resident';
import type { Staff } from '../bindings/Staff';
import type { StaffRole } from '../bindings/StaffRole';
import type { VisitStatus } from '../bindings/VisitStatus';
import type { VisitView } from '../bindings/VisitView';

const stamp = '2026-11-01T09:00:00Z';

export const locations: Location[] = [
  { id: 'loc_rowan', name: 'Rowan House', address: '12 Mill Lane, Hebden Bridge', created_at: stamp, updated_at: stamp },
  { id: 'loc_willow', name: 'Willow Court', address: '3 Station Road, Todmorden', created_at: stamp, updated_at: stamp },
];

const first = [
  'Margaret', 'Arthur', 'Dorothy', 'Harold', 'Joan', 'Kenneth', 'Eileen', 'Stanley', 'Betty', 'Albert',
  'Irene', 'Frank', 'Edna', 'Walter', 'Gladys', 'Ronald', 'Phyllis', 'Dennis', 'Audrey', 'Leonard',
  'Mavis', 'Cyril', 'Winifred', 'Norman', 'Sylvia', 'Eric', 'Vera', 'Geoffrey', 'Hilda', 'Bernard',
];
const last = [
  'Whitaker', 'Ackroyd', 'Sutcliffe', 'Greenwood', 'Crabtree', 'Holroyd', 'Barraclough', 'Thornton',
  'Pickles', 'Shackleton', 'Lumb', 'Horsfall', 'Midgley', 'Helliwell', 'Stansfield', 'Uttley',
];
const preferred: Record<string, string> = {
  Margaret: 'Maggie', Dorothy: 'Dot', Harold: 'Harry', Kenneth: 'Ken', Albert: 'Bert',
  Winifred: 'Winnie', Leonard: 'Len', Ronald: 'Ron', Bernard: 'Bernie', Frank: 'Frank',
};
const staffFirst = ['Aisha', 'Ben', 'Chloe', 'Daniel', 'Ewa', 'Femi', 'Grace', 'Hassan', 'Imogen', 'Jack', 'Kasia', 'Liam', 'Maya', 'Nathan', 'Olivia', 'Priya', 'Rory', 'Sana'];
const staffLast = ['Khan', 'Walsh', 'Nowak', 'Okafor', 'Patel', 'Hughes', 'Brennan', 'Mensah', 'Evans', 'Ali', 'Cooper', 'Jones'];
const roles: StaffRole[] = ['carer', 'carer', 'senior_carer', 'nurse', 'carer', 'shift_lead', 'housekeeping', 'carer', 'kitchen', 'manager'];
const dnar: DnarStatus[] = ['for_resus', 'dnar', 'for_resus', 'not_recorded', 'dnar', 'for_resus', 'for_resus'];

export const staff: Staff[] = staffFirst.map((name, i) => {
  const total = 6 + (i % 4);
  const expired = i % 7 === 2 ? 1 : 0;
  const e30 = i % 5 === 1 ? 1 : 0;
  const e60 = i % 4 === 3 ? 2 : 0;
  const e90 = i % 6 === 0 ? 1 : 0;
  return {
    id: `stf_${String(i + 1).padStart(3, '0')}`,
    full_name: `${name} ${staffLast[i % staffLast.length]}`,
    preferred_name: null,
    role: roles[i % roles.length] ?? 'carer',
    email: `${name.toLowerCase()}@rowanhouse.example`,
    phone: null,
    location_id: locations[i % 3 === 2 ? 1 : 0]?.id ?? null,
    status: i === 13 ? 'inactive' : 'active',
    certification_summary: {
      total,
      valid: total - expired - e30 - e60 - e90,
      expiring_30: e30,
      expiring_60: e60,
      expiring_90: e90,
      expired,
    },
    created_at: stamp,
    updated_at: stamp,
  };
});

export const residents: Resident[] = Array.from({ length: 64 }, (_, i) => {
  const given = first[i % first.length] ?? 'Pat';
  const family = last[(i * 7) % last.length] ?? 'Smith';
  const location = locations[i % 4 === 3 ? 1 : 0];
  const keyworker = staff[(i * 5) % staff.length];
  const year = 1928 + (i % 17);
  return {
    id: `res_${String(i + 1).padStart(4, '0')}`,
    full_name: `${given} ${family}`,
    preferred_name: preferred[given] ?? null,
    room_number: `${i % 4 === 3 ? 'W' : ''}${1 + Math.floor(i / 12)}${String((i % 12) + 1).padStart(2, '0')}`,
    date_of_birth: `${year}-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 27) + 1).padStart(2, '0')}`,
    status: i === 40 ? 'discharged' : 'current',
    dnar_status: dnar[i % dnar.length] ?? 'not_recorded',
    location_id: location?.id ?? null,
    keyworker: keyworker ? { id: keyworker.id, full_name: keyworker.full_name } : null,
    contacts: [],
    admitted_at: '2024-03-01T10:00:00Z',
    discharged_at: null,
    created_at: stamp,
    updated_at: stamp,
  };
});

export function contactsFor(resident: Resident): Resident['contacts'] {
  const family = resident.full_name.split(' ').slice(-1)[0] ?? '';
  return [
    { id: `${resident.id}_c2`, name: `Peter ${family}`, relationship: 'Grandson', phone: null, email: `peter.${family.toLowerCase()}@example.org`, is_next_of_kin: false },
    { id: `${resident.id}_c1`, name: `Susan ${family}`, relationship: 'Daughter', phone: '07700 900123', email: null, is_next_of_kin: true },
  ];
}

export function notesFor(resident: Resident, now: Date): CareNoteView[] {
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000).toISOString();
  const name = resident.preferred_name ?? resident.full_name.split(' ')[0];
  const note = (id: string, hoursAgo: number, category: string, body: string, author: string, pending = false): CareNoteView => ({
    id: `${resident.id}_${id}`,
    resident_id: resident.id,
    author_staff_id: null,
    author_name: author,
    category,
    body,
    recorded_at: at(hoursAgo),
    created_at: at(hoursAgo),
    updated_at: at(hoursAgo),
    pending,
  });
  return [
    note('n4', 0.4, 'mood', `${name} enjoyed the music session and sang along to two songs.`, 'Front desk', true),
    note('n3', 5, 'nutrition', 'Ate most of lunch (shepherd’s pie). Drank two cups of tea, encouraged to have more water.', 'Grace Hughes'),
    note('n2', 26, 'family', 'Daughter visited for an hour in the afternoon; asked about the podiatry appointment.', 'Ben Walsh'),
    note('n1', 50, 'personal_care', 'Assisted with a bath. Skin intact, no concerns.', 'Ewa Okafor'),
  ];
}

const visitPlan: [number, number, string, VisitStatus][] = [
  [7, 30, 'personal_care', 'completed'],
  [8, 0, 'medication', 'completed'],
  [9, 30, 'personal_care', 'confirmed'],
  [11, 0, 'wellbeing', 'scheduled'],
  [12, 30, 'meal', 'scheduled'],
  [14, 0, 'social', 'cancelled'],
  [15, 30, 'medication', 'scheduled'],
  [17, 0, 'meal', 'scheduled'],
  [21, 0, 'night_check', 'scheduled'],
];

export function visitsAround(today: Date): VisitView[] {
  const out: VisitView[] = [];
  for (let d = -1; d < 7; d += 1) {
    visitPlan.forEach(([h, m, type, status], i) => {
      const start = new Date(today.getFullYear(), today.getMonth(), today.getDate() + d, h, m);
      const end = new Date(start.getTime() + 30 * 60_000);
      const resident = residents[(i * 3 + d * 5 + 64) % residents.length];
      const member = staff[(i + d * 2 + 18) % staff.length];
      const location = locations[i % 5 === 4 ? 1 : 0];
      const st: VisitStatus = d < 0 ? 'completed' : d > 0 ? 'scheduled' : status;
      out.push({
        id: `vis_${d + 1}_${i}`,
        location_id: location?.id ?? 'loc_rowan',
        staff_user_id: member?.id ?? null,
        resident_id: type === 'night_check' ? null : (resident?.id ?? null),
        visit_type: type,
        starts_at: start.toISOString(),
        ends_at: end.toISOString(),
        status: st,
        notes: type === 'medication' ? 'Evening medication round' : null,
        confirmed_at: null,
        completed_at: null,
        cancelled_at: st === 'cancelled' ? start.toISOString() : null,
        cancel_reason: st === 'cancelled' ? 'Resident at a hospital appointment' : null,
        created_at: stamp,
        updated_at: stamp,
        staff_name: member?.full_name ?? null,
        resident_name: type === 'night_check' ? null : (resident?.full_name ?? null),
        pending: d === 0 && i === 2,
        changed_by: d === 0 && i === 2 ? 'Femi Hughes' : null,
      });
    });
  }
  return out;
}

export function openAlerts(now: Date): Alert[] {
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  return [
    {
      id: 41,
      key: 'event:evt_01',
      when_at: null,
      event_id: 'evt_01',
      kind: 'incident.critical',
      title: 'Critical incident: fall with head injury, Room 104',
      detail: 'Dorothy Sutcliffe was found on the floor of her room. Reported by Grace Hughes.',
      location_id: 'loc_rowan',
      resident_id: 'res_0003',
      resource_id: 'inc_881',
      raised_at: at(4),
      acknowledged_at: null,
      acknowledged_by: null,
    },
    {
      id: 42,
      key: 'event:evt_02',
      when_at: null,
      event_id: 'evt_02',
      kind: 'visit.no_show',
      title: 'Missed visit: 09:30 personal care for Arthur Ackroyd',
      detail: 'No carer arrived for the visit. Assigned to Chloe Nowak.',
      location_id: 'loc_rowan',
      resident_id: 'res_0002',
      resource_id: 'vis_1_2',
      raised_at: at(2),
      acknowledged_at: null,
      acknowledged_by: null,
    },
  ];
}

export function acknowledgedAlerts(now: Date): Alert[] {
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000).toISOString();
  return [
    {
      id: 39,
      key: 'event:evt_00',
      when_at: null,
      event_id: 'evt_00',
      kind: 'visit.no_show',
      title: 'Missed visit: 07:00 medication round, Willow Court',
      detail: null,
      location_id: 'loc_willow',
      resident_id: null,
      resource_id: 'vis_0_1',
      raised_at: at(6),
      acknowledged_at: at(5.8),
      acknowledged_by: 'Femi Hughes',
    },
  ];
}

export function attentionEntries(now: Date): AttentionEntry[] {
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 10, 0);
  return [
    {
      seq: 17,
      client_id: '7c1f0a52-2b8e-4a55-9f7e-0d9f3b2a1c11',
      op: 'visit.create',
      entity: 'visit',
      entity_id: '7c1f0a52-2b8e-4a55-9f7e-0d9f3b2a1c11',
      payload: {
        location_id: 'loc_rowan',
        staff_user_id: 'stf_014',
        resident_id: 'res_0012',
        visit_type: 'wellbeing',
        starts_at: start.toISOString(),
        ends_at: new Date(start.getTime() + 30 * 60_000).toISOString(),
      },
      status: 'needs_attention',
      attempts: 1,
      last_error: 'The request was invalid (422): staff member is inactive',
      field_errors: { staff_user_id: 'Staff member is inactive' },
      next_attempt_at: null,
      sent_at: null,
      created_at: at(35),
      updated_at: at(30),
      description: `Schedule a wellbeing visit at ${start.toISOString()}`,
    },
    {
      seq: 21,
      client_id: '0b3e9d4c-51aa-4f0e-8a7e-66b1c2d3e4f5',
      op: 'care_note.create',
      entity: 'care_note',
      entity_id: '0b3e9d4c-51aa-4f0e-8a7e-66b1c2d3e4f5',
      payload: {
        resident_id: 'res_0001',
        category: 'health',
        body: 'BP',
        author_name: 'Front desk',
        recorded_at: at(20),
      },
      status: 'needs_attention',
      attempts: 1,
      last_error: 'The request was invalid (422)',
      field_errors: { body: 'Body must be at least 10 characters' },
      next_attempt_at: null,
      sent_at: null,
      created_at: at(20),
      updated_at: at(18),
      description: 'Care note for Margaret Whitaker',
    },
  ];
}
