import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { MatrixCell } from '../../bindings/MatrixCell';
import type { TrainingMatrix } from '../../bindings/TrainingMatrix';
import { startDesk, syncStatus } from '../../test/console';

function cell(course_id: string, status: MatrixCell['status'], expires_on: string | null, pending = false): MatrixCell {
  return {
    course_id,
    status,
    required: status !== 'not_required',
    expires_on,
    issued_on: null,
    days_left: null,
    certification_id: expires_on ? `crt_${course_id}` : null,
    certificate_number: null,
    pending,
  };
}

function matrix(cells: MatrixCell[]): TrainingMatrix {
  return {
    today: '2026-03-10',
    time_zone: 'Europe/London',
    produced_at: '2026-03-10T09:00:00Z',
    data_as_of: '2026-03-10T08:55:00Z',
    filter: {},
    courses: [
      { id: 'crs_fs', name: 'Fire safety', renewal_months: 12 },
      { id: 'crs_med', name: 'Medication', renewal_months: 12 },
    ],
    rows: [
      {
        staff_id: 'stf_1',
        name: 'Aisha Khan',
        role: 'nurse',
        location_id: 'loc_rowan',
        location_name: 'Rowan House',
        cells,
        soonest_expiry: '2026-03-03',
      },
    ],
    counts: {
      staff: 1, required: 2, expired: 1, due_today: 0, due_30: 1, due_60: 0, due_90: 0, valid: 0,
      never_held: 0, in_date: 1, pending: 0, percent_in_date: 50,
      summary: '1 expired, 1 due in 30 days, 0 due in 31 to 90 days, 0 never held',
    },
    homes: [{ location_id: 'loc_rowan', location_name: 'Rowan House', required: 2, in_date: 1, percent_in_date: 50 }],
  };
}

describe('training matrix', () => {
  it('shows each cell in words with its date, the counts and a legend, and filters by status', async () => {
    const m = matrix([cell('crs_fs', 'expired', '2026-03-03'), cell('crs_med', 'due_30', '2026-03-25')]);
    const { user, callsOf } = await startDesk(
      { training_matrix: m, training_notices: [] },
      { screen: 'training' },
    );
    const cells = await screen.findAllByTestId('matrix-cell');
    expect(cells[0]).toHaveTextContent('Expired');
    // Days as the desk writes them: the weekday, and the year only when it is not this year's.
    expect(cells[0]).toHaveTextContent('Tue 3 Mar');
    expect(cells[0]).not.toHaveTextContent('2026');
    expect(cells[0]!.querySelector('svg')).not.toBeNull();
    expect(cells[1]).toHaveTextContent('Due in 30 days');
    expect(screen.getByTestId('matrix-counts')).toHaveTextContent('1 expired, 1 due in 30 days');
    expect(screen.getByTestId('matrix-counts')).toHaveTextContent('50% of required training in date');
    expect(screen.getByTestId('matrix-homes')).toHaveTextContent('Rowan House: 50% in date');
    expect(screen.getByText('What the cells mean')).toBeInTheDocument();

    await user.selectOptions(screen.getByTestId('matrix-status'), 'Expired');
    await waitFor(() => expect(callsOf('training_matrix').at(-1)).toEqual({ filter: { status: 'expired', sort: 'name' } }));
  });

  it('records a renewal: errors at the top and beside the field, then the cell shows pending', async () => {
    let pending = false;
    const { user, callsOf } = await startDesk(
      {
        training_notices: [],
        training_matrix: () =>
          matrix([cell('crs_fs', pending ? 'valid' : 'expired', pending ? '2027-03-10' : '2026-03-03', pending), cell('crs_med', 'due_30', '2026-03-25')]),
        record_certification: (args: Record<string, unknown>) => {
          const form = args.form as { completed_on: string };
          if (form.completed_on > '2026-03-10') {
            throw { code: 'invalid_input', message: 'Check the certification', fields: { completed_on: 'The date completed must be today (Tue 10 Mar) or earlier' } };
          }
          pending = true;
          return { certification_id: 'local', expires_on: '2027-03-10', cell: cell('crs_fs', 'valid', '2027-03-10', true) };
        },
      },
      { screen: 'training' },
    );
    const row = (await screen.findAllByTestId('matrix-row'))[0]!;
    await user.click(within(row).getByRole('button', { name: 'Record training: Fire safety for Aisha Khan' }));
    const form = await screen.findByTestId('renewal-form');
    const date = within(form).getByRole('group', { name: 'Date completed' });
    const [day, month, year] = within(date).getAllByRole('textbox');
    const typeDate = async (d: string, m: string, y: string) => {
      for (const [box, text] of [[day!, d], [month!, m], [year!, y]] as const) {
        await user.clear(box);
        await user.type(box, text);
      }
    };
    // Not a real date: refused here, beside the field.
    await typeDate('31', '2', '2026');
    await user.click(within(form).getByTestId('renewal-save'));
    expect(await screen.findByRole('alert')).toHaveTextContent('Enter the date completed as a day, month and year');
    expect(callsOf('record_certification')).toEqual([]);
    await typeDate('1', '4', '2026');
    await user.click(within(form).getByTestId('renewal-save'));
    const summary = await screen.findByRole('alert');
    expect(summary).toHaveTextContent('The date completed must be today (Tue 10 Mar) or earlier');
    expect(day).toHaveAttribute('aria-invalid', 'true');
    expect(date).toHaveAccessibleDescription(/today \(Tue 10 Mar\) or earlier/);

    await typeDate('9', '3', '2026');
    await user.click(within(form).getByTestId('renewal-save'));
    expect(callsOf('record_certification').at(-1)).toEqual({
      form: { staff_id: 'stf_1', course_id: 'crs_fs', completed_on: '2026-03-09' },
    });
    const cells = await screen.findAllByTestId('matrix-cell');
    await waitFor(() => expect(cells[0]).toHaveTextContent('Valid, pending'));
    expect(cells[0]).toHaveTextContent('Wed 10 Mar 2027');
    expect(cells[0]).toHaveAttribute('data-pending', 'true');
  });

  it('looks again when the sync store says the outbox changed, and never on a timer', async () => {
    let synced = false;
    const { sendSync, callsOf } = await startDesk(
      {
        sync_status: syncStatus({ queued: 1 }),
        training_notices: [],
        training_matrix: () => matrix([cell('crs_fs', 'valid', '2027-03-10', !synced), cell('crs_med', 'due_30', '2026-03-25')]),
      },
      { screen: 'training' },
    );
    const first = (await screen.findAllByTestId('matrix-cell'))[0]!;
    expect(first).toHaveTextContent('Valid, pending');
    const before = callsOf('training_matrix').length;
    // No polling while pending: nothing changes by itself.
    await new Promise((r) => setTimeout(r, 2500));
    expect(callsOf('training_matrix').length).toBe(before);

    // The renewal is sent: the queue empties, and the matrix is read again.
    synced = true;
    sendSync({ event: 'status', data: syncStatus({ queued: 0 }) });
    await waitFor(() => expect(screen.getAllByTestId('matrix-cell')[0]).not.toHaveTextContent('pending'));
    expect(screen.getAllByTestId('matrix-cell')[0]).toHaveTextContent('Valid');
    expect(screen.getAllByTestId('matrix-cell')[0]).toHaveAttribute('data-pending', 'false');
  }, 10_000);
});

describe('who may lead a shift', () => {
  it('says who may not lead and why', async () => {
    await startDesk(
      {
        may_lead_list: [
          { staff_id: 's1', name: 'Chloe Nowak', location_id: null, location_name: null, may_lead: true, reasons: [], in_date_until: '2026-06-01' },
          { staff_id: 's2', name: 'Femi Hughes', location_id: null, location_name: null, may_lead: false, reasons: ['Fire safety expires today, before the next 24 hours are over'], in_date_until: null },
        ],
      },
      { screen: 'may-lead' },
    );
    const rows = await screen.findAllByTestId('may-lead-row');
    expect(rows[0]).toHaveTextContent('May lead');
    expect(rows[1]).toHaveTextContent('May not lead');
    expect(rows[1]).toHaveTextContent('Fire safety expires today, before the next 24 hours are over');
  });
});
