import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { alert, deskSummary, settingsView, startDesk, syncStatus } from '../../test/console';

describe('"This desk" summary', () => {
  it('leads with what needs a person now, in words with icons, above the desk’s details', async () => {
    await startDesk({
      desk_summary: deskSummary({
        open_alerts: 2,
        critical_alerts: 1,
        visits_overdue: 3,
        visits_due_next_hour: 5,
        writes_waiting: 4,
        writes_need_attention: 1,
        certifications_expired: 6,
      }),
    });

    const summary = await screen.findByTestId('desk-summary');
    expect(within(summary).getByRole('heading', { level: 2 })).toHaveTextContent('Now at Rowan House');
    await waitFor(() => expect(within(summary).getByTestId('summary-alerts')).toHaveTextContent('2 open alerts: 1 critical incident'));
    expect(within(summary).getByTestId('summary-visits')).toHaveTextContent('3 visits overdue, 5 due in the next hour');
    expect(within(summary).getByTestId('summary-changes')).toHaveTextContent('1 change needs attention, 4 changes waiting to send');
    expect(within(summary).getByTestId('summary-certifications')).toHaveTextContent('6 certifications expired');
    for (const row of within(summary).getAllByRole('definition').filter((d) => d.querySelector('[data-tone]'))) {
      expect(row.querySelector('svg[aria-hidden="true"]')).not.toBeNull();
    }
    // The version and folder stay, below.
    const details = screen.getByTestId('overview-app-version');
    expect(summary.compareDocumentPosition(details) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it('says when all is quiet', async () => {
    await startDesk();

    const summary = await screen.findByTestId('desk-summary');
    await waitFor(() => expect(within(summary).getByTestId('summary-alerts')).toHaveTextContent('No open alerts'));
    expect(within(summary).getByTestId('summary-visits')).toHaveTextContent('No visits overdue, none due in the next hour');
    expect(within(summary).getByTestId('summary-changes')).toHaveTextContent('All sent');
    expect(within(summary).getByTestId('summary-certifications')).toHaveTextContent('None expired');
  });

  it('without a home set, says the counts are for all homes', async () => {
    await startDesk({
      get_settings: settingsView({ location_id: null }),
      desk_summary: deskSummary({ location_id: null, location_name: null }),
    });

    const summary = await screen.findByTestId('desk-summary');
    await waitFor(() => expect(summary).toHaveTextContent('This desk has no home set (see Settings)'));
    expect(within(summary).getByRole('heading', { level: 2 })).toHaveTextContent(/^Now, at every home$/);
  });

  it.each([
    ['alerts', 'Alerts'],
    ['visits', 'Visits'],
    ['changes', 'Needs attention'],
    ['certifications', 'Staff'],
  ])('the %s row links to the screen that lists them', async (row, heading) => {
    const { user } = await startDesk({ list_visits: [], list_staff: [], outbox_attention: [] });

    await user.click(await screen.findByTestId(`summary-${row}-link`));

    expect(screen.getByRole('heading', { level: 1, name: heading })).toBeInTheDocument();
  });

  it('is read again when an alert or a sync status arrives', async () => {
    let summary = deskSummary();
    const { sendAlert, sendSync, callsOf } = await startDesk({ desk_summary: () => summary });
    await waitFor(() => expect(screen.getByTestId('summary-alerts')).toHaveTextContent('No open alerts'));

    summary = deskSummary({ open_alerts: 1, critical_alerts: 1 });
    sendAlert({ event: 'raised', data: alert() });
    await waitFor(() => expect(screen.getByTestId('summary-alerts')).toHaveTextContent('1 open alert: 1 critical incident'));

    const before = callsOf('desk_summary').length;
    summary = deskSummary({ open_alerts: 1, critical_alerts: 1, writes_waiting: 2 });
    sendSync({ event: 'status', data: syncStatus({ queued: 2 }) });
    await waitFor(() => expect(screen.getByTestId('summary-changes')).toHaveTextContent('2 changes waiting to send'));
    expect(callsOf('desk_summary').length).toBeGreaterThan(before);
  });

  it('the last problem with CareLoop in words, the technical text folded away for IT support', async () => {
    const raw = 'CareLoop could not be reached: error sending request for url (http://127.0.0.1:9/v1/visits)';
    await startDesk({
      sync_status: syncStatus({
        resources: [{ resource: 'visits', cursor: null, last_full_at: null, last_success_at: null, last_error: raw, last_error_at: null }],
      }),
    });

    const row = await screen.findByTestId('sync-resource');
    const details = row.querySelector('details')!;
    expect(row).toHaveTextContent(/^Visits\s*Not yet\s*CareLoop could not be reached\s*Details for IT support/);
    expect(details).not.toHaveAttribute('open');
    expect(within(details).getByText(raw)).toBeInTheDocument();
  });
});
