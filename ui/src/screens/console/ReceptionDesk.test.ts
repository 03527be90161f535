// The console's Reception desk: who is on site, approvals, history with its CSV export.
import { screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { VisitorRecord } from '../../bindings/VisitorRecord';
import { CommandFailure } from '../../test/ipc';
import { startDesk } from '../../test/console';

function visitor(overrides: Partial<VisitorRecord> = {}): VisitorRecord {
  return {
    sign_in_id: 'sgn_1',
    visitor_name: 'Anna Okonjo',
    visiting_kind: 'resident',
    visiting: 'Maggie Wilson (resident)',
    visiting_id: 'res_1',
    purpose: 'Visiting a resident (friend)',
    company: null,
    relationship: 'friend',
    phone: '07700 900321',
    car_registration: 'AB12 CDE',
    signed_in_at: '2026-11-22T10:05:00Z',
    signed_in_words: 'today at 10:05',
    signed_out_at: null,
    signed_out_words: null,
    sign_out_kind: null,
    signed_out_by: null,
    minutes_in_building: 65,
    approval: 'not_needed',
    approval_by: null,
    pending_sync: false,
    ...overrides,
  };
}

const quiet = {
  visitors_on_site: [visitor()],
  pending_visitor_approvals: [],
  automatic_sign_outs: [],
  staff_on_site: [],
  residents_out: [],
  visitor_history: [visitor()],
};

describe('the Reception desk', () => {
  it('lists visitors on site with the day and their time in the building, and signs one out', async () => {
    let onSite = [visitor()];
    const { user, callsOf } = await startDesk(
      {
        ...quiet,
        visitors_on_site: () => onSite,
        staff_sign_out_visitor: () => {
          onSite = [];
          return visitor({ signed_out_at: '2026-11-22T11:10:00Z', signed_out_words: 'today at 11:10', sign_out_kind: 'staff' });
        },
      },
      { screen: 'reception' },
    );

    const row = await screen.findByTestId('visitor-row');
    expect(row).toHaveTextContent('Anna Okonjo');
    expect(row).toHaveTextContent('today at 10:05');
    expect(row).toHaveTextContent('1 h 5 min');
    await user.click(within(row).getByRole('button', { name: 'Sign out Anna Okonjo' }));

    expect(await screen.findByTestId('reception-message')).toHaveTextContent('Anna Okonjo is signed out.');
    expect(await screen.findByTestId('no-visitors-on-site')).toBeInTheDocument();
    expect(callsOf('staff_sign_out_visitor')).toEqual([{ signInId: 'sgn_1' }]);
  });

  it('approves a visitor waiting at the kiosk', async () => {
    let waiting = [visitor({ sign_in_id: 'sgn_2', visitor_name: 'Tom Baker', approval: 'pending' })];
    const { user, callsOf } = await startDesk(
      {
        ...quiet,
        pending_visitor_approvals: () => waiting,
        approve_visitor: () => {
          waiting = [];
          return visitor({ sign_in_id: 'sgn_2', approval: 'approved' });
        },
      },
      { screen: 'reception' },
    );

    const row = await screen.findByTestId('approval-row');
    expect(row).toHaveTextContent('Tom Baker to see Maggie Wilson (resident), since today at 10:05');
    await user.click(within(row).getByRole('button', { name: 'Approve' }));

    expect(await screen.findByTestId('reception-message')).toHaveTextContent('Tom Baker may visit');
    expect(callsOf('approve_visitor')).toEqual([{ signInId: 'sgn_2' }]);
    expect(screen.queryByTestId('approval-row')).not.toBeInTheDocument();
  });

  it('searches the history by dates, shows a bad date beside its field, and exports the CSV', async () => {
    const { user, callsOf } = await startDesk(
      {
        ...quiet,
        visitor_history: (args: Record<string, unknown>) => {
          const q = args.query as { from?: string };
          if (q.from === '2026-12-01') {
            return new CommandFailure({ code: 'invalid_input', message: 'Check the dates', fields: { from: 'The start cannot be in the future' } });
          }
          return [visitor({ signed_out_words: 'today at 11:10', sign_out_kind: 'code', signed_out_by: 'the visitor' })];
        },
        export_visitor_history: { path: '/home/desk/Downloads/visitors.csv', file_name: 'visitors.csv', bytes: 312 },
      },
      { screen: 'reception' },
    );

    const row = await screen.findByTestId('history-row');
    expect(row).toHaveTextContent('today at 11:10 (with their code, the visitor)');

    await user.type(screen.getByLabelText('Name, whom they visited or company'), 'okonjo');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(callsOf('visitor_history').at(-1)).toEqual({ query: { text: 'okonjo', limit: 200 } });

    // A date typed as day, month and year; one that is not real is said beside its boxes and at
    // the top, and nothing is read.
    const from = within(screen.getByTestId('history-from-date'));
    const reads = callsOf('visitor_history').length;
    await user.type(from.getByLabelText('Day'), '31');
    await user.type(from.getByLabelText('Month'), '11');
    await user.type(from.getByLabelText('Year'), '2026');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent('Enter the date as a day, month and year');
    expect(from.getByLabelText('Day')).toHaveAttribute('aria-invalid', 'true');
    expect(callsOf('visitor_history')).toHaveLength(reads);

    // A real one goes to Rust as a calendar date; Rust's own refusal is shown the same way.
    await user.tripleClick(from.getByLabelText('Day'));
    await user.keyboard('1');
    await user.tripleClick(from.getByLabelText('Month'));
    await user.keyboard('12');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(callsOf('visitor_history').at(-1)).toEqual({ query: { text: 'okonjo', from: '2026-12-01', limit: 200 } });
    expect(await screen.findByTestId('error-summary')).toHaveTextContent('The start cannot be in the future');
    expect(from.getByLabelText('Day')).toHaveAttribute('aria-invalid', 'true');

    await user.clear(from.getByLabelText('Day'));
    await user.clear(from.getByLabelText('Month'));
    await user.clear(from.getByLabelText('Year'));
    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect(await screen.findByTestId('history-exported')).toHaveTextContent('Saved visitors.csv (312 bytes) at /home/desk/Downloads/visitors.csv.');
  });
});
