import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Staff } from '../../bindings/Staff';
import type { VisitView } from '../../bindings/VisitView';
import { startOfDay } from '../../lib/format';
import { CommandFailure } from '../../test/ipc';
import { settingsView, startDesk, syncStatus } from '../../test/console';

function at(hour: number, minute = 0, days = 0): string {
  const d = startOfDay(new Date(), days);
  d.setHours(hour, minute);
  return d.toISOString();
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
          visit({ id: 'b', starts_at: at(11), ends_at: at(11, 30), visit_type: 'meal', status: 'confirmed', pending: true }),
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

    const [args] = callsOf('list_visits');
    expect(args).toEqual({ from: startOfDay(new Date()).toISOString(), to: startOfDay(new Date(), 1).toISOString(), locationId: 'loc_rowan' });
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

  it('a scheduled visit appears waiting to sync', async () => {
    const created = visit({ id: 'local_1', starts_at: at(15), ends_at: at(15, 30), pending: true });
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
    expect(screen.getByTestId('visit-message')).toHaveTextContent('Visit scheduled');
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
