import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Staff } from '../../bindings/Staff';
import type { VisitView } from '../../bindings/VisitView';
import { startOfDay } from '../../lib/format';
import { CommandFailure } from '../../test/ipc';
import { homeAt, settingsView, startDesk, syncStatus } from '../../test/console';

/** `hour`:`minute` home time, `days` from today. */
function at(hour: number, minute = 0, days = 0): string {
  return homeAt(days, hour, minute);
}

function visit(overrides: Partial<VisitView> = {}): VisitView {
  return {
    id: 'vis_1',
    location_id: 'loc_rowan',
    staff_user_id: 'stf_1',
    resident_id: 'res_1',
    visit_type: 'personal_care',
    starts_at: at(9, 30),
    ends_at: at(10),
    status: 'scheduled',
    notes: null,
    confirmed_at: null,
    completed_at: null,
    cancelled_at: null,
    cancel_reason: null,
    created_at: null,
    updated_at: '2026-11-01T00:00:00Z',
    staff_name: 'Chloe Nowak',
    resident_name: 'Eileen Lumb',
    pending: false,
    changed_by: null,
    ...overrides,
  };
}

const staff: Staff[] = [
  {
    id: 'stf_1',
    full_name: 'Chloe Nowak',
    preferred_name: null,
    role: 'carer',
    email: null,
    phone: null,
    location_id: 'loc_rowan',
    status: 'active',
    certification_summary: null,
    created_at: null,
    updated_at: '2026-11-01T00:00:00Z',
  },
];

describe('visits', () => {
  it('lists today’s visits at this desk’s home with time, type, resident, staff and status', async () => {
    const { callsOf } = await startDesk(
      {
        list_visits: [
          visit({ id: 'b', starts_at: at(11), ends_at: at(11, 30), visit_type: 'meal', status: 'confirmed', pending: true, changed_by: 'Femi Hughes' }),
          visit({ id: 'a' }),
        ],
      },
      { screen: 'visits' },
    );

    const rows = await screen.findAllByTestId('visit-row');
    expect(rows.map((r) => r.getAttribute('data-visit-id'))).toEqual(['a', 'b']);
    expect(rows[0]).toHaveTextContent(/09:30\s*to 10:00/);
    expect(rows[0]).toHaveTextContent('Personal care');
    expect(rows[0]).toHaveTextContent('Resident: Eileen Lumb');
    expect(rows[0]).toHaveTextContent('Staff: Chloe Nowak');
    expect(rows[0]).toHaveAttribute('data-status', 'scheduled');
    expect(rows[0]).toHaveAttribute('data-pending', 'false');
    expect(rows[1]).toHaveAttribute('data-status', 'confirmed');
    expect(rows[1]).toHaveAttribute('data-pending', 'true');
    expect(within(rows[1]!).getByTestId('visit-pending')).toHaveTextContent('Waiting to sync');
    // Who changed it at this desk, when someone did.
    expect(within(rows[1]!).getByTestId('visit-changed-by')).toHaveTextContent('Last changed here by: Femi Hughes');
    expect(within(rows[0]!).queryByTestId('visit-changed-by')).not.toBeInTheDocument();

    const [args] = callsOf('list_visits');
    expect(args).toEqual({ from: startOfDay(new Date()).toISOString(), to: startOfDay(new Date(), 1).toISOString(), locationId: 'loc_rowan' });
  });

  it('today opens at the current hour: overdue and upcoming first, then the rest, with a count of each', async () => {
    const hoursFromNow = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
    const v = (id: string, h: number, status: VisitView['status']) =>
      visit({ id, starts_at: hoursFromNow(h), ends_at: hoursFromNow(h + 0.5), status });
    await startDesk(
      {
        list_visits: [
          v('done', -3, 'completed'),
          v('cancelled', -1, 'cancelled'),
          v('overdue', -2, 'scheduled'),
          v('soon', 1, 'scheduled'),
          v('later', 2, 'confirmed'),
          v('missed', -4, 'no_show'),
          v('started', -0.25, 'confirmed'),
        ],
      },
      { screen: 'visits' },
    );

    await screen.findAllByTestId('visit-row');
    const ids = (list: HTMLElement) => within(list).getAllByTestId('visit-row').map((r) => r.getAttribute('data-visit-id'));
    expect(ids(screen.getByRole('list', { name: 'Still to do' }))).toEqual(['overdue', 'started', 'soon', 'later']);
    expect(ids(screen.getByRole('list', { name: 'Done, missed or cancelled' }))).toEqual(['missed', 'done', 'cancelled']);
    expect(screen.getByTestId('visit-counts')).toHaveTextContent(
      '7 visits: 1 overdue, 1 under way, 2 upcoming, 1 completed, 1 missed, 1 cancelled',
    );
    // Overdue in a word and an icon, as well as colour; the status for tests stays the desk's.
    const overdue = screen.getAllByTestId('visit-row')[0]!;
    expect(overdue).toHaveAttribute('data-status', 'scheduled');
    expect(within(overdue).getByTestId('visit-status')).toHaveTextContent('Overdue: not confirmed');
    expect(within(overdue).getByTestId('visit-status').querySelector('svg')).not.toBeNull();
    const started = screen.getAllByTestId('visit-row')[1]!;
    expect(within(started).getByTestId('visit-status')).toHaveTextContent('Confirmed: under way');
  });

  it('opens on this desk’s home, and "All homes" is one choice away', async () => {
    const { user, callsOf } = await startDesk(
      { list_visits: [], get_settings: settingsView({ location_id: 'loc_willow' }) },
      { screen: 'visits' },
    );
    await screen.findByTestId('no-visits');
    expect(screen.getByTestId('visit-location')).toHaveDisplayValue('Willow Court');
    expect(callsOf('list_visits')[0]).toMatchObject({ locationId: 'loc_willow' });

    await user.selectOptions(screen.getByTestId('visit-location'), 'All homes');
    await waitFor(() => expect(callsOf('list_visits').at(-1)).not.toHaveProperty('locationId'));
  });

  it('the day tabs show the coming days, and arrow keys move between them', async () => {
    const { user, callsOf } = await startDesk({ list_visits: [] }, { screen: 'visits' });
    await screen.findByTestId('no-visits');

    const tabs = screen.getAllByRole('tab');
    expect(tabs).toHaveLength(7);
    expect(tabs[0]).toHaveTextContent('Today');
    expect(tabs[1]).toHaveTextContent('Tomorrow');

    tabs[0]!.focus();
    await user.keyboard('{ArrowRight}');
    expect(screen.getAllByRole('tab')[1]).toHaveAttribute('aria-selected', 'true');
    expect(screen.getAllByRole('tab')[1]).toHaveFocus();
    await waitFor(() => expect(callsOf('list_visits').at(-1)?.from).toBe(startOfDay(new Date(), 1).toISOString()));
  });

  it('confirm and complete send the change and show it waiting to sync', async () => {
    const { user, callsOf } = await startDesk(
      {
        list_visits: [visit()],
        confirm_visit: visit({ status: 'confirmed', pending: true }),
        complete_visit: visit({ status: 'completed', pending: true }),
      },
      { screen: 'visits' },
    );
    const row = await screen.findByTestId('visit-row');

    await user.click(within(row).getByTestId('confirm-visit'));
    expect(callsOf('confirm_visit')).toEqual([{ id: 'vis_1' }]);
    await waitFor(() => expect(screen.getByTestId('visit-row')).toHaveAttribute('data-status', 'confirmed'));
    expect(screen.getByTestId('visit-row')).toHaveAttribute('data-pending', 'true');
    expect(screen.queryByTestId('confirm-visit')).not.toBeInTheDocument();

    await user.click(screen.getByTestId('complete-visit'));
    expect(callsOf('complete_visit')).toEqual([{ id: 'vis_1' }]);
    await waitFor(() => expect(screen.getByTestId('visit-row')).toHaveAttribute('data-status', 'completed'));
    expect(screen.queryByTestId('cancel-visit')).not.toBeInTheDocument();
  });

  it('cancel asks for a reason first', async () => {
    const { user, callsOf } = await startDesk(
      { list_visits: [visit()], cancel_visit: visit({ status: 'cancelled', cancel_reason: 'In hospital', pending: true }) },
      { screen: 'visits' },
    );
    await user.click(await screen.findByTestId('cancel-visit'));
    const reason = screen.getByTestId('cancel-reason');
    expect(reason).toHaveFocus();

    await user.click(screen.getByTestId('confirm-cancel-visit'));
    expect(callsOf('cancel_visit')).toHaveLength(0);
    expect(reason).toHaveAccessibleDescription('Error: Enter why the visit is cancelled');

    await user.type(reason, 'In hospital');
    await user.click(screen.getByTestId('confirm-cancel-visit'));
    expect(callsOf('cancel_visit')).toEqual([{ id: 'vis_1', reason: 'In hospital' }]);
    await waitFor(() => expect(screen.getByTestId('visit-row')).toHaveAttribute('data-status', 'cancelled'));
    expect(screen.getByTestId('visit-row')).toHaveTextContent('Cancelled: In hospital');
  });

  it('a refused change says why, beside the visit', async () => {
    const { user } = await startDesk(
      {
        list_visits: [visit()],
        confirm_visit: new CommandFailure({ code: 'invalid_input', message: 'This visit was cancelled on another desk.' }),
      },
      { screen: 'visits' },
    );
    await user.click(await screen.findByTestId('confirm-visit'));

    expect(await screen.findByTestId('visit-error')).toHaveTextContent('This visit was cancelled on another desk.');
  });

  it('"Schedule a visit" shows the errors at the top and beside each field', async () => {
    const { user, callsOf } = await startDesk(
      {
        list_visits: [],
        list_staff: staff,
        search_residents: [],
        schedule_visit: new CommandFailure({
          code: 'invalid_input',
          message: 'Check the visit details',
          fields: { ends_at: 'The end must be after the start', visit_type: 'Choose the kind of visit' },
        }),
      },
      { screen: 'visits' },
    );
    await user.click(await screen.findByTestId('schedule-visit'));
    await user.selectOptions(screen.getByLabelText('Staff member'), 'Chloe Nowak (Carer)');
    await user.click(screen.getByTestId('save-visit'));

    const summary = await screen.findByTestId('error-summary');
    expect(within(summary).getAllByRole('link').map((l) => l.textContent)).toEqual([
      'Choose the kind of visit',
      'The end must be after the start',
    ]);
    expect(screen.getByLabelText('Ends')).toHaveAccessibleDescription('Error: The end must be after the start');
    expect(screen.getByLabelText('Kind of visit')).toHaveAttribute('aria-invalid', 'true');
    const [args] = callsOf('schedule_visit');
    expect(args).toMatchObject({ locationId: 'loc_rowan', staffUserId: 'stf_1', visitType: '' });
    expect(Date.parse(String(args?.endsAt))).toBeGreaterThan(Date.parse(String(args?.startsAt)));
  });

  it('the 24-hour and one-year rules show beside the fields', async () => {
    const { user } = await startDesk(
      {
        list_visits: [],
        list_staff: staff,
        search_residents: [],
        schedule_visit: new CommandFailure({
          code: 'invalid_input',
          message: 'Check the visit details',
          fields: {
            starts_at: 'A visit can be scheduled up to a year ahead: check the year',
            ends_at: 'A visit can last 24 hours at most: check the end',
          },
        }),
      },
      { screen: 'visits' },
    );
    await user.click(await screen.findByTestId('schedule-visit'));
    await user.click(screen.getByTestId('save-visit'));

    const summary = await screen.findByTestId('error-summary');
    expect(within(summary).getAllByRole('link').map((l) => l.textContent)).toEqual([
      'A visit can be scheduled up to a year ahead: check the year',
      'A visit can last 24 hours at most: check the end',
    ]);
    expect(screen.getByLabelText('Starts')).toHaveAccessibleDescription('Error: A visit can be scheduled up to a year ahead: check the year');
    expect(screen.getByLabelText('Ends')).toHaveAccessibleDescription('Error: A visit can last 24 hours at most: check the end');
  });

  describe('a start in the past', () => {
    const question = 'This visit starts in the past (yesterday at 10:00). Save it as a visit that happened?';
    const recorded = visit({ id: 'local_2', starts_at: at(10, 0, -1), ends_at: at(10, 30, -1), pending: true });
    const answers = {
      list_visits: [],
      list_staff: staff,
      search_residents: [],
      schedule_visit: (args: Record<string, unknown>) =>
        args.confirmPast === true
          ? recorded
          : new CommandFailure({ code: 'needs_confirmation', message: question, fields: { starts_at: 'This is in the past: yesterday at 10:00' } }),
    };

    async function askAboutThePast() {
      const desk = await startDesk(answers, { screen: 'visits' });
      await desk.user.click(await screen.findByTestId('schedule-visit'));
      await desk.user.selectOptions(screen.getByLabelText('Staff member'), 'Chloe Nowak (Carer)');
      await desk.user.selectOptions(screen.getByLabelText('Kind of visit'), 'Personal care');
      const start = screen.getByLabelText('Starts');
      await desk.user.clear(start);
      await desk.user.type(start, at(10, 0, -1).slice(0, 16));
      await desk.user.click(screen.getByTestId('save-visit'));
      return desk;
    }

    it('asks the desk’s question, with the time beside the field and two clear buttons', async () => {
      await askAboutThePast();

      const asked = await screen.findByTestId('confirm-past');
      expect(within(asked).getByTestId('confirm-past-question')).toHaveTextContent(question);
      expect(within(asked).getByTestId('confirm-past-question')).toHaveFocus();
      expect(within(asked).getByRole('button', { name: 'Save as a visit that happened' })).toBeInTheDocument();
      expect(within(asked).getByRole('button', { name: 'Change the time' })).toBeInTheDocument();
      expect(screen.getByLabelText('Starts')).toHaveAccessibleDescription('This is in the past: yesterday at 10:00');
      expect(screen.queryByTestId('save-visit')).not.toBeInTheDocument();
      expect(screen.queryByTestId('error-summary')).not.toBeInTheDocument();
    });

    it('"Save as a visit that happened" sends the same visit again, confirmed', async () => {
      const { user, callsOf } = await askAboutThePast();
      await user.click(await screen.findByTestId('confirm-past-visit'));

      const [first, second] = callsOf('schedule_visit');
      expect(first).not.toHaveProperty('confirmPast');
      expect(second).toEqual({ ...first, confirmPast: true });
      expect(await screen.findByTestId('visit-message')).toHaveTextContent('Visit saved as one that happened yesterday at 10:00');
      expect(screen.queryByTestId('schedule-visit-form')).not.toBeInTheDocument();
    });

    it('"Change the time" goes back to the start, sending nothing', async () => {
      const { user, callsOf } = await askAboutThePast();
      await user.click(await screen.findByTestId('change-visit-time'));

      expect(screen.queryByTestId('confirm-past')).not.toBeInTheDocument();
      expect(screen.getByLabelText('Starts')).toHaveFocus();
      expect(screen.getByTestId('save-visit')).toBeInTheDocument();
      expect(callsOf('schedule_visit')).toHaveLength(1);
    });

    it('goes when the time is changed in the field', async () => {
      const { user } = await askAboutThePast();
      await screen.findByTestId('confirm-past');
      const start = screen.getByLabelText('Starts');
      await user.clear(start);
      await user.type(start, at(10, 0, 1).slice(0, 16));

      expect(screen.queryByTestId('confirm-past')).not.toBeInTheDocument();
      expect(screen.getByTestId('save-visit')).toBeInTheDocument();
    });
  });

  it('a scheduled visit appears waiting to sync', async () => {
    const created = visit({ id: 'local_1', starts_at: at(15, 0, 1), ends_at: at(15, 30, 1), pending: true });
    let visits: VisitView[] = [];
    const { user } = await startDesk(
      {
        list_visits: () => visits,
        list_staff: staff,
        search_residents: [],
        schedule_visit: () => {
          visits = [created];
          return created;
        },
      },
      { screen: 'visits' },
    );
    await user.click(await screen.findByTestId('schedule-visit'));
    await user.selectOptions(screen.getByLabelText('Staff member'), 'Chloe Nowak (Carer)');
    await user.selectOptions(screen.getByLabelText('Kind of visit'), 'Personal care');
    await user.click(screen.getByTestId('save-visit'));

    const row = await screen.findByTestId('visit-row');
    expect(row).toHaveAttribute('data-pending', 'true');
    expect(screen.getByTestId('visit-message')).toHaveTextContent('Visit scheduled for tomorrow at 15:00');
    expect(screen.queryByTestId('schedule-visit-form')).not.toBeInTheDocument();
  });

  it('reloads when a pull brings news or a waiting change is sent', async () => {
    let visits = [visit({ status: 'confirmed', pending: true })];
    const resources = (at: string) => [
      { resource: 'visits', cursor: null, last_full_at: null, last_success_at: at, last_error: null, last_error_at: null },
    ];
    const { sendSync } = await startDesk(
      { list_visits: () => visits, sync_status: syncStatus({ queued: 1, resources: resources('2026-11-22T09:00:00Z') }) },
      { screen: 'visits' },
    );
    await waitFor(() => expect(screen.getByTestId('visit-row')).toHaveAttribute('data-pending', 'true'));

    visits = [visit({ status: 'confirmed', pending: false })];
    sendSync({ event: 'status', data: syncStatus({ queued: 0, resources: resources('2026-11-22T09:01:00Z') }) });

    await waitFor(() => expect(screen.getByTestId('visit-row')).toHaveAttribute('data-pending', 'false'));
  });

  it('without a home set for this desk, shows all homes and says why', async () => {
    const { callsOf } = await startDesk(
      { list_visits: [], get_settings: settingsView({ location_id: null }) },
      { screen: 'visits' },
    );
    await screen.findByTestId('no-visits');

    expect(screen.getByText('This desk has no home set (see Settings), so all homes are shown.')).toBeInTheDocument();
    expect(callsOf('list_visits')[0]).not.toHaveProperty('locationId');
  });
});
