import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { IncidentForm } from '../../../bindings/IncidentForm';
import type { IncidentView } from '../../../bindings/IncidentView';
import type { Resident } from '../../../bindings/Resident';
import { mockIncidents } from '../../../dev/mock-incidents';
import { signedIn, startDesk } from '../../../test/console';
import { emptyForm } from './incident-words';
import { layout } from './BodyMap.svelte';

const dorothy: Resident = {
  id: 'res_1',
  full_name: 'Dorothy Sutcliffe',
  preferred_name: null,
  room_number: '104',
  date_of_birth: '1931-04-02',
  status: 'current',
  dnar_status: 'not_recorded',
  location_id: 'loc_rowan',
  keyworker: null,
  contacts: [],
  admitted_at: null,
  discharged_at: null,
  created_at: null,
  updated_at: '2026-11-01T00:00:00Z',
};

const incidentCommands = [
  'incident_form_options',
  'assess_incident',
  'save_incident',
  'get_incident',
  'list_incidents',
  'resident_incidents',
  'save_incident_draft',
  'list_incident_drafts',
  'discard_incident_draft',
  'set_incident_status',
  'decide_incident_duty',
  'mark_duty_sent',
  'record_observation',
  'miss_observation',
  'due_observations',
  'get_observation_protocol',
  'save_observation_protocol',
  'falls_register',
  'export_falls_register',
];

/** The console on Incidents, the mock desk's incidents behind it; `extra` replaces commands. */
async function start(extra: Record<string, unknown> = {}, role: 'shift_lead' | 'manager' = 'shift_lead', screenId = 'incidents') {
  const desk = mockIncidents(
    () => 'Femi Hughes',
    (id) => (id === dorothy.id ? dorothy.full_name : 'a resident'),
  );
  const answers: Record<string, unknown> = {
    lock_status: signedIn(role),
    search_residents: (args: Record<string, unknown>) =>
      !args.text || dorothy.full_name.toLowerCase().includes(String(args.text).toLowerCase()) ? [dorothy] : [],
  };
  for (const cmd of incidentCommands) answers[cmd] = (args: Record<string, unknown>) => desk.answer(cmd, args);
  const started = await startDesk({ ...answers, ...extra }, { screen: screenId });
  return { ...started, desk };
}

async function openForm(user: Awaited<ReturnType<typeof start>>['user']) {
  await user.click(await screen.findByTestId('log-incident'));
  return screen.findByTestId('incident-form');
}

describe('incidents', () => {
  it('is in the navigation for shift leads, with "Log an incident" as the action', async () => {
    await start();
    expect(await screen.findByRole('heading', { level: 1, name: 'Incidents' })).toBeInTheDocument();
    expect(screen.getByTestId('log-incident')).toHaveTextContent('Log an incident');
    expect(screen.getByTestId('console-nav-falls')).toBeInTheDocument();
    expect(await screen.findByTestId('incident-count')).toHaveTextContent('No incidents in the last 90 days');
  });

  it('summarises refused answers at the top, each linking to its field, and shows each beside it', async () => {
    const { user } = await start();
    await openForm(user);
    await user.click(screen.getByTestId('save-incident'));
    const summary = await screen.findByTestId('error-summary');
    for (const words of ['Choose the resident', 'Choose the type of incident', 'Choose how serious it is', 'Say where in the home it happened', 'Give it a short title']) {
      expect(within(summary).getByText(words)).toBeInTheDocument();
    }
    // Beside the field, and the summary link goes to it.
    const title = screen.getByLabelText('Title');
    expect(title).toHaveAttribute('aria-invalid', 'true');
    expect(document.getElementById(title.getAttribute('aria-describedby')!.split(' ').pop()!)).toHaveTextContent('Give it a short title');
    await user.click(within(summary).getByText('Give it a short title'));
    expect(title).toHaveFocus();
    await user.click(within(summary).getByText('Choose the resident'));
    expect(screen.getByTestId('incident-resident-search')).toHaveFocus();
    expect(screen.getByTestId('incident-resident-search')).toHaveAttribute('aria-invalid', 'true');
  });

  it('shows the 999 advice at once, as an alert, for a head injury on the body map in someone on anticoagulants', async () => {
    const { user } = await start();
    await openForm(user);
    await user.click(screen.getByTestId('incident-type-fall'));
    await user.click(screen.getByTestId('incident-anticoagulants'));
    expect(screen.queryByTestId('call-999')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('region-head.back'));
    const advice = await screen.findByTestId('call-999');
    expect(advice).toHaveTextContent(/Call 999 now/);
    expect(screen.getByTestId('call-999').closest('[role=alert]')).not.toBeNull();
    expect(screen.getByTestId('call-999-inline')).toHaveTextContent('Call 999 now');
    // A mark on the head ticks "Head injury" too.
    expect(screen.getByTestId('incident-head-injury')).toBeChecked();
    // It advises; it observes.
    expect(await screen.findByTestId('advice-observations')).toBeInTheDocument();
  });

  it('reaches and toggles every body-map region by keyboard, listing what is marked in words', async () => {
    const { user } = await start();
    await openForm(user);
    const first = screen.getByTestId('region-head.front');
    first.focus();
    await user.keyboard(' ');
    expect(first).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByTestId('body-map-marked')).toHaveTextContent('Marked (1): Head (front)');
    // Arrow keys move through the drawing; Enter toggles.
    await user.keyboard('{ArrowDown}');
    expect(screen.getByTestId('region-face')).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(screen.getByTestId('region-face')).toHaveAttribute('aria-pressed', 'true');
    await user.keyboard('{Enter}');
    expect(screen.getByTestId('region-face')).toHaveAttribute('aria-pressed', 'false');
    // Every region is a focusable button (Tab reaches each), in front then back.
    const buttons = within(screen.getByTestId('body-map')).getAllByRole('button');
    expect(buttons).toHaveLength(43);
    for (const b of buttons) {
      expect(b).not.toHaveAttribute('tabindex', '-1');
      expect(b).toHaveAttribute('aria-pressed');
    }
    await user.tab();
    expect(document.activeElement?.getAttribute('data-region')).toBeTruthy();
  });

  it('lays the body out with the person’s right on the viewer’s left from the front, and pairs on one row', () => {
    const regions = [
      { code: 'shoulder.left', label: 'Left shoulder', view: 'front' as const, side: 'left' },
      { code: 'shoulder.right', label: 'Right shoulder', view: 'front' as const, side: 'right' },
      { code: 'chest', label: 'Chest', view: 'front' as const, side: null },
      { code: 'heel.left', label: 'Left heel', view: 'back' as const, side: 'left' },
    ];
    const front = layout(regions, 'front');
    expect(front).toHaveLength(1);
    expect(front[0]!.map((c) => c?.code ?? null)).toEqual(['shoulder.right', 'chest', 'shoulder.left']);
    expect(layout(regions, 'back')[0]!.map((c) => c?.code ?? null)).toEqual(['heel.left', null, null]);
  });

  it('saves a critical unwitnessed fall: pending, duties with clocks, the first observation due; the draft is kept as it is typed', async () => {
    const { user, callsOf } = await start();
    await openForm(user);
    await user.type(screen.getByTestId('incident-resident-search'), 'doro');
    await user.click(await screen.findByTestId('incident-resident-option'));
    expect(screen.getByTestId('incident-resident-chosen')).toHaveTextContent('Dorothy Sutcliffe, room 104');
    await user.click(screen.getByTestId('incident-type-fall'));
    await user.click(screen.getByTestId('incident-severity-critical'));
    await user.type(screen.getByTestId('incident-place'), 'Room 104');
    await user.type(screen.getByTestId('incident-title'), 'Found on the floor by the bed');
    await user.click(screen.getByTestId('incident-fall-how-found_on_floor'));
    await user.click(screen.getByTestId('region-hip.left'));
    // Kept as a draft while typing.
    await waitFor(() => expect(callsOf('save_incident_draft').length).toBeGreaterThan(0), { timeout: 3000 });
    await screen.findAllByTestId('advice-duty');
    await user.click(screen.getByTestId('decide-cqc_reg18_serious_injury-will_notify'));
    await user.click(screen.getByTestId('save-incident'));

    const page = await screen.findByTestId('incident-page');
    expect(within(page).getByTestId('incident-sync')).toHaveTextContent('Pending');
    expect(within(page).getByTestId('incident-regions')).toHaveTextContent('Left hip');
    const duties = within(page).getAllByTestId('incident-duty');
    expect(duties.map((d) => d.getAttribute('data-duty'))).toContain('cqc_reg18_serious_injury');
    expect(within(duties[0]!).getByTestId('duty-clock')).toHaveTextContent('without delay');
    const saved = callsOf('save_incident')[0] as { form: IncidentForm; draftId: string | null };
    expect(saved.form.fall).toEqual({ how: 'found_on_floor', head_injury: false, anticoagulants: false, neuro_obs_started: false });
    expect(saved.form.decisions).toEqual([{ duty: 'cqc_reg18_serious_injury', decision: 'will_notify', note: null }]);
    expect(saved.draftId).toBeTruthy();
    const obs = within(page).getAllByTestId('observation');
    expect(obs[0]).toHaveAttribute('data-state', 'due');

    // Record the first observation: GCS out of range is refused beside the field.
    await user.click(within(obs[0]!).getByTestId('record-observation'));
    await user.type(screen.getByTestId('obs-gcs'), '22');
    await user.click(screen.getByTestId('save-observation'));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent('GCS is a whole number from 3 to 15');
    await user.clear(screen.getByTestId('obs-gcs'));
    await user.type(screen.getByTestId('obs-gcs'), '15');
    await user.type(screen.getByTestId('obs-pulse'), '78');
    await user.click(screen.getByTestId('save-observation'));
    await waitFor(() => expect(within(page).getAllByTestId('observation')[0]).toHaveAttribute('data-state', 'recorded'));
    expect(within(page).getAllByTestId('observation')[0]).toHaveTextContent('GCS 15');
  });

  it('offers drafts to carry on, and the form reopens with what was typed', async () => {
    const form = { ...emptyForm(), title: 'Slipped in the bathroom', type: 'fall' };
    const { user } = await start({
      list_incident_drafts: [{ id: 'draft_1', incident_id: null, form, saved_by: 'Femi Hughes', saved_at: new Date().toISOString() }],
    });
    const drafts = await screen.findByTestId('incident-drafts');
    expect(drafts).toHaveTextContent('Slipped in the bathroom');
    await user.click(within(drafts).getByTestId('resume-draft'));
    expect(await screen.findByTestId('incident-title')).toHaveValue('Slipped in the bathroom');
    expect(screen.getByTestId('incident-type-fall')).toBeChecked();
  });

  it('takes a refused (needs attention) incident back to the form with CareLoop’s errors on the fields', async () => {
    const view: IncidentView = {
      id: 'inc_9',
      client_id: 'inc_9',
      form: { ...emptyForm(), resident_id: 'res_1', type: 'fall', severity: 'high', occurred_at: new Date(Date.now() - 3_600_000).toISOString(), place: 'Lounge', title: 'x', fall: { how: 'seen_to_fall', head_injury: false, anticoagulants: false, neuro_obs_started: false } },
      type_label: 'Fall',
      status: 'open',
      person: 'Dorothy Sutcliffe',
      occurred_words: 'today at 09:00',
      elapsed_words: 'happened 1 h ago',
      sync: { state: 'needs_attention', message: 'CareLoop refused it (422).', fields: { title: 'Title is too short for CareLoop', place: 'Unknown place' } },
      editable: true,
      duties: [],
      observations: [],
      call_999: null,
      logged_by: 'Femi Hughes',
      logged_at: new Date().toISOString(),
    };
    const { user } = await start({
      list_incidents: [
        { id: 'inc_9', title: 'x', type: 'fall', type_label: 'Fall', severity: 'high', status: 'open', occurred_at: view.form.occurred_at, occurred_words: 'today at 09:00', resident_id: 'res_1', person: 'Dorothy Sutcliffe', sync: 'needs_attention', open_duties: 0, next_deadline: null, overdue_observations: 0, call_999: false, logged_here: true },
      ],
      get_incident: view,
    });
    const row = await screen.findByTestId('incident-row');
    expect(within(row).getByTestId('incident-row-sync')).toHaveTextContent('Needs attention');
    await user.click(within(row).getByRole('button', { name: /x/ }));
    const formEl = await screen.findByTestId('incident-form');
    expect(within(formEl).getByRole('heading', { level: 1 })).toHaveTextContent('Correct the incident');
    expect(screen.getByTestId('incident-server-message')).toHaveTextContent('CareLoop refused it (422).');
    const summary = screen.getByTestId('error-summary');
    expect(summary).toHaveTextContent('Unknown place');
    expect(summary).toHaveTextContent('Title is too short for CareLoop');
    expect(screen.getByTestId('incident-title')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('incident-place')).toHaveAttribute('aria-invalid', 'true');
  });

  it('lets a manager mark a duty sent, refusing an empty reference beside the field', async () => {
    const { user, desk } = await start({}, 'manager');
    desk.answer('save_incident', {
      form: { ...emptyForm(), resident_id: 'res_1', type: 'behaviour', severity: 'high', occurred_at: new Date(Date.now() - 600_000).toISOString(), place: 'Lounge', title: 'Pushed another resident', abuse_suspected: true },
    });
    await user.click(screen.getByTestId('console-nav-overview'));
    await user.click(screen.getByTestId('console-nav-incidents'));
    const row = await screen.findByTestId('incident-row');
    await user.click(within(row).getByRole('button'));
    const duty = (await screen.findAllByTestId('incident-duty')).find((d) => d.getAttribute('data-duty') === 'safeguarding_referral')!;
    await user.click(within(duty).getByTestId('mark-duty-sent'));
    expect(await within(duty).findByText('Enter the reference you were given')).toBeInTheDocument();
    await user.type(within(duty).getByTestId('duty-reference'), 'SG-2211');
    await user.click(within(duty).getByTestId('mark-duty-sent'));
    await waitFor(() => expect(screen.getAllByTestId('incident-duty').find((d) => d.getAttribute('data-duty') === 'safeguarding_referral')).toHaveTextContent('Reference: SG-2211'));
  });

  it('shows observations due at the top of the list', async () => {
    const { user, desk } = await start();
    desk.answer('save_incident', {
      form: { ...emptyForm(), resident_id: 'res_1', type: 'fall', severity: 'moderate', occurred_at: new Date(Date.now() - 600_000).toISOString(), place: 'Lounge', title: 'Found on the floor', fall: { how: 'found_on_floor', head_injury: false, anticoagulants: false, neuro_obs_started: false } },
    });
    // Leave and come back: the list reads again.
    await user.click(screen.getByTestId('console-nav-overview'));
    await user.click(screen.getByTestId('console-nav-incidents'));
    const due = await screen.findByTestId('due-observations');
    expect(due).toHaveTextContent('Neurological observation for Dorothy Sutcliffe');
    expect(within(due).getByTestId('due-observation')).toHaveTextContent('Due now');
  });
});

describe('incident filters', () => {
  it('filters by dates typed as day, month and year; a date that is not real is said beside it and reads nothing', async () => {
    const { user, callsOf } = await start();
    await waitFor(() => expect(screen.getByTestId('incident-count')).not.toHaveTextContent('Loading'));
    const from = within(screen.getByTestId('filter-from-date'));
    const before = callsOf('list_incidents').length;
    expect(before).toBeGreaterThan(0);

    // While typing, nothing is applied and nothing is said.
    await user.type(from.getByLabelText('Day'), '3');
    await user.type(from.getByLabelText('Month'), '11');
    await user.type(from.getByLabelText('Year'), '202');
    expect(screen.queryByText('Enter a real date, for example 27 3 2026')).not.toBeInTheDocument();
    expect(callsOf('list_incidents')).toHaveLength(before);

    await user.type(from.getByLabelText('Year'), '6');
    await waitFor(() => expect(callsOf('list_incidents').at(-1)).toMatchObject({ filter: { from: '2026-11-03', to: null } }));

    // 31 November: beside the boxes, and the list is not read again.
    const reads = callsOf('list_incidents').length;
    await user.tripleClick(from.getByLabelText('Day'));
    await user.keyboard('31');
    expect(await screen.findByText('Enter a real date, for example 27 3 2026')).toBeInTheDocument();
    expect(from.getByLabelText('Day')).toHaveAttribute('aria-invalid', 'true');
    expect(callsOf('list_incidents')).toHaveLength(reads);

    await user.click(screen.getByTestId('clear-filters'));
    await waitFor(() => expect(callsOf('list_incidents').at(-1)).toMatchObject({ filter: { from: null, to: null } }));
    expect(from.getByLabelText('Day')).toHaveValue('');
  });
});

describe('falls register', () => {
  it('marks repeat fallers by word and icon and exports the CSV', async () => {
    const { user } = await start(
      {
        falls_register: {
          months: [
            { month: '2026-10', location_id: 'loc_rowan', home: 'Rowan House', count: 2 },
            { month: '2026-11', location_id: 'loc_rowan', home: 'Rowan House', count: 1 },
          ],
          residents: [
            { resident_id: 'res_1', name: 'Dorothy Sutcliffe', falls: [{ incident_id: 'a', occurred_at: '2026-10-02T10:00:00Z', title: 'Fall in lounge', severity: 'low' }, { incident_id: 'b', occurred_at: '2026-11-02T10:00:00Z', title: 'Fall in room', severity: 'high' }], last_90_days: 2, repeat_faller: true },
            { resident_id: 'res_2', name: 'Arthur Ackroyd', falls: [{ incident_id: 'c', occurred_at: '2026-10-20T10:00:00Z', title: 'Slipped', severity: 'low' }], last_90_days: 1, repeat_faller: false },
          ],
        },
      },
      'shift_lead',
      'falls',
    );
    const rows = await screen.findAllByTestId('falls-resident');
    expect(within(rows[0]!).getByTestId('repeat-faller')).toHaveTextContent('Repeat faller: 2 falls in 90 days');
    expect(within(rows[1]!).queryByTestId('repeat-faller')).not.toBeInTheDocument();
    expect(screen.getByTestId('falls-months')).toHaveTextContent('October 2026');
    await user.click(screen.getByTestId('export-falls'));
    expect(await screen.findByTestId('export-falls-status')).toHaveTextContent('falls-register.csv is in /home/demo/Downloads');
  });
});

describe('observation protocol', () => {
  it('lets a manager edit the stages, refusing a bad number beside the field', async () => {
    const { user, callsOf } = await start({}, 'manager', 'settings');
    await user.click(await screen.findByTestId('edit-protocol'));
    const stages = await screen.findAllByTestId('protocol-stage');
    expect(stages).toHaveLength(3);
    await user.click(screen.getByTestId('add-stage'));
    await user.click(screen.getByTestId('save-protocol'));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent('Stage 4: minutes between observations');
    const every = screen.getAllByTestId('stage-every')[3]!;
    expect(every).toHaveAttribute('aria-invalid', 'true');
    await user.type(every, '240');
    await user.type(screen.getAllByTestId('stage-until')[3]!, '48');
    await user.click(screen.getByTestId('save-protocol'));
    await waitFor(() => expect(callsOf('save_observation_protocol')).toHaveLength(1));
    expect((callsOf('save_observation_protocol')[0] as { protocol: { stages: unknown[] } }).protocol.stages[3]).toEqual({ every_minutes: 240, until_minutes: 2880 });
    expect(await screen.findByTestId('protocol-status')).toHaveTextContent('Saved');
  });
});
