import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { CommandFailure } from '../../test/ipc';
import { alert, feed, homeAt, startDesk } from '../../test/console';

const first = alert({ id: 1, title: 'Critical incident: fall in room 104', detail: 'Dorothy was found on the floor.' });
const second = alert({
  id: 2,
  kind: 'visit.no_show',
  title: 'Missed visit: 09:30 personal care for Arthur',
  detail: null,
  raised_at: new Date(Date.now() - 60_000).toISOString(),
});

describe('alert banner (console)', () => {
  it('shows the first open alert of the desk’s list, how long ago, and how many others of which kinds', async () => {
    await startDesk({ list_alerts: { open: [first, second], recent: [second, first] } });

    const banner = await screen.findByTestId('alert-banner');
    expect(banner).toHaveAttribute('data-alert-id', '1');
    expect(within(banner).getByTestId('alert-title')).toHaveTextContent(first.title);
    expect(within(banner).getByTestId('alert-detail')).toHaveTextContent('Dorothy was found on the floor.');
    expect(within(banner).getByTestId('alert-age')).toHaveTextContent('Raised 4 minutes ago');
    expect(within(banner).getByTestId('alert-others')).toHaveTextContent('and 1 other open alert: 1 missed visit');
    expect(within(banner).getByText('Critical incident')).toBeInTheDocument();
  });

  it('leads with the most urgent as the desk lists them, and names the others by kind', async () => {
    // The desk's order: critical incidents, then missed visits, then the rest, newest first.
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    const critical = alert({ id: 7, raised_at: minutesAgo(1), title: 'Critical incident: choking — Joan Crabtree' });
    const olderCritical = alert({ id: 3, raised_at: minutesAgo(30) });
    const missed = alert({ id: 9, kind: 'visit.no_show', raised_at: minutesAgo(0), title: 'Missed visit: Arthur Ackroyd' });
    await startDesk({ list_alerts: { open: [critical, olderCritical, missed], recent: [] } });

    const banner = await screen.findByTestId('alert-banner');
    expect(banner).toHaveAttribute('data-alert-id', '7');
    expect(banner).toHaveAttribute('data-kind', 'incident.critical');
    expect(within(banner).getByTestId('alert-title')).toHaveTextContent('Critical incident: choking — Joan Crabtree');
    expect(within(banner).getByTestId('alert-others')).toHaveTextContent(
      'and 2 other open alerts: 1 critical incident, 1 missed visit',
    );
  });

  it('puts a raised alert at its place by the same rule, not at the end', async () => {
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    const missedOld = alert({ id: 1, kind: 'visit.no_show', raised_at: minutesAgo(20), title: 'Missed visit: Eileen Lumb' });
    const { sendAlert, user } = await startDesk({ list_alerts: { open: [missedOld], recent: [] } });
    const banner = await screen.findByTestId('alert-banner');
    expect(banner).toHaveAttribute('data-alert-id', '1');
    expect(screen.queryByTestId('alert-others')).not.toBeInTheDocument();

    // An older critical incident still leads: the kind comes first.
    sendAlert({ event: 'raised', data: alert({ id: 2, raised_at: minutesAgo(40) }) });
    await waitFor(() => expect(screen.getByTestId('alert-banner')).toHaveAttribute('data-alert-id', '2'));
    expect(screen.getByTestId('alert-others')).toHaveTextContent('and 1 other open alert: 1 missed visit');

    // A newer missed visit goes before the older one, after the incident.
    sendAlert({ event: 'raised', data: alert({ id: 3, kind: 'visit.no_show', raised_at: minutesAgo(5) }) });
    // Another kind of alert, newest of all, goes last.
    sendAlert({ event: 'raised', data: alert({ id: 4, kind: 'incident.fall', raised_at: minutesAgo(0) }) });
    // A newer critical incident leads.
    sendAlert({ event: 'raised', data: alert({ id: 5, raised_at: minutesAgo(1) }) });

    await waitFor(() => expect(screen.getByTestId('alert-banner')).toHaveAttribute('data-alert-id', '5'));
    expect(screen.getByTestId('alert-others')).toHaveTextContent(
      'and 4 other open alerts: 1 critical incident, 2 missed visits, 1 other',
    );
    await user.click(screen.getByTestId('view-all-alerts'));
    expect(screen.getAllByTestId('open-alert').map((a) => a.getAttribute('data-alert-id'))).toEqual(['5', '2', '3', '1', '4']);
  });

  it('will not acknowledge without a name; with one, it records who and moves on', async () => {
    const { user, callsOf } = await startDesk({
      list_alerts: { open: [first, second], recent: [] },
      acknowledge_alert: (args: Record<string, unknown>) => ({
        ...first,
        acknowledged_at: new Date().toISOString(),
        acknowledged_by: args.by,
      }),
    });
    const banner = await screen.findByTestId('alert-banner');

    await user.click(within(banner).getByTestId('acknowledge-alert'));
    expect(callsOf('acknowledge_alert')).toHaveLength(0);
    const name = within(banner).getByTestId('acknowledged-by');
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(name).toHaveAccessibleDescription('Error: Enter your name to acknowledge this alert');
    expect(name).toHaveFocus();

    await user.type(name, 'Grace Hughes');
    await user.click(within(banner).getByTestId('acknowledge-alert'));

    expect(callsOf('acknowledge_alert')).toEqual([{ id: 1, by: 'Grace Hughes' }]);
    await waitFor(() => expect(screen.getByTestId('alert-banner')).toHaveAttribute('data-alert-id', '2'));
    await waitFor(() => expect(screen.getByTestId('acknowledged-by')).toHaveFocus());
    expect(screen.queryByTestId('alert-others')).not.toBeInTheDocument();
  });

  it('can be acknowledged with the keyboard alone', async () => {
    const { user, callsOf } = await startDesk({
      list_alerts: { open: [first], recent: [] },
      acknowledge_alert: { ...first, acknowledged_at: new Date().toISOString(), acknowledged_by: 'Ben' },
    });
    await screen.findByTestId('alert-banner');

    // Skip link, Reception, Staff console, then the banner's name field.
    await user.tab();
    await user.tab();
    await user.tab();
    await user.tab();
    expect(screen.getByTestId('acknowledged-by')).toHaveFocus();
    await user.keyboard('Ben{Enter}');

    expect(callsOf('acknowledge_alert')).toEqual([{ id: 1, by: 'Ben' }]);
    await waitFor(() => expect(screen.queryByTestId('alert-banner')).not.toBeInTheDocument());
    await waitFor(() => expect(screen.getByRole('main')).toHaveFocus());
  });

  it('shows the backend’s message beside the name field', async () => {
    const { user } = await startDesk({
      list_alerts: { open: [first], recent: [] },
      acknowledge_alert: new CommandFailure({
        code: 'invalid_input',
        message: 'Say who is acknowledging',
        fields: { by: 'Enter your full name' },
      }),
    });
    const banner = await screen.findByTestId('alert-banner');

    await user.type(within(banner).getByTestId('acknowledged-by'), 'G');
    await user.click(within(banner).getByTestId('acknowledge-alert'));

    expect(await within(banner).findByTestId('acknowledge-error')).toHaveTextContent('Enter your full name');
    expect(screen.getByTestId('alert-banner')).toBeInTheDocument();
  });

  it('appears when an alert is raised through watch_alerts, and "View all alerts" opens the centre', async () => {
    const { sendAlert, user } = await startDesk();
    await screen.findByTestId('sync-bar');
    expect(screen.queryByTestId('alert-banner')).not.toBeInTheDocument();

    sendAlert({ event: 'raised', data: second });

    const banner = await screen.findByTestId('alert-banner');
    expect(banner).toHaveTextContent('Missed visit');
    await user.click(within(banner).getByTestId('view-all-alerts'));
    expect(screen.getByRole('heading', { level: 1, name: 'Alerts' })).toBeInTheDocument();
    expect(screen.getAllByTestId('open-alert')).toHaveLength(1);
  });

  it('keeps an alert raised while the first list was still being read', async () => {
    let answer: (value: unknown) => void = () => {};
    const { sendAlert } = await startDesk({
      list_alerts: () => new Promise((resolve) => (answer = resolve)),
    });
    await screen.findByTestId('sync-bar');

    sendAlert({ event: 'raised', data: second });
    answer({ open: [], recent: [] });

    // Once the (older) list has been applied, the raised alert is still on screen.
    await waitFor(() => expect(screen.getByTestId('shell')).toHaveAttribute('data-alerts-loaded', 'true'));
    expect(screen.getByTestId('alert-banner')).toHaveAttribute('data-alert-id', '2');
  });

  it('goes when another desk acknowledges the alert', async () => {
    const { sendAlert } = await startDesk({ list_alerts: { open: [first], recent: [first] } });
    await screen.findByTestId('alert-banner');

    sendAlert({ event: 'acknowledged', data: { ...first, acknowledged_at: new Date().toISOString(), acknowledged_by: 'Ben' } });

    await waitFor(() => expect(screen.queryByTestId('alert-banner')).not.toBeInTheDocument());
  });
});

describe('staff alert indicator (reception)', () => {
  it('shows only that staff alerts are open and how many: no titles, no residents', async () => {
    await startDesk({ list_alerts: { open: [first, second], recent: [] } }, { area: 'reception' });

    const indicator = await screen.findByTestId('staff-alert-indicator');
    expect(indicator).toHaveTextContent('Staff alert (2)');
    expect(indicator.querySelector('svg')).not.toBeNull();
    const shell = screen.getByTestId('shell');
    expect(shell).not.toHaveTextContent('fall in room 104');
    expect(shell).not.toHaveTextContent('Dorothy');
    expect(shell).not.toHaveTextContent('Arthur');
    expect(screen.queryByTestId('alert-banner')).not.toBeInTheDocument();
    expect(screen.queryByTestId('acknowledged-by')).not.toBeInTheDocument();
  });

  it('opens the alerts centre in the Staff console', async () => {
    const { user } = await startDesk({ list_alerts: { open: [first], recent: [] } }, { area: 'reception' });

    await user.click(await screen.findByTestId('staff-alert-indicator'));

    expect(screen.getByTestId('console')).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'Alerts' })).toBeInTheDocument();
  });

  it('is not there when no alert is open', async () => {
    await startDesk({}, { area: 'reception' });
    await screen.findByTestId('reception');
    await waitFor(() => expect(screen.queryByTestId('alerts-not-arriving')).not.toBeInTheDocument());
    expect(screen.queryByTestId('staff-alert-indicator')).not.toBeInTheDocument();
  });
});

describe('"Alerts are not arriving"', () => {
  it.each(['reception', 'console'] as const)('shows plainly on %s while the feed is not arriving, and clears', async (area) => {
    const { sendAlert } = await startDesk(
      { alert_feed_status: feed({ state: 'not_arriving', message: 'bridge: connection refused' }) },
      { area },
    );

    const warning = await screen.findByTestId('alerts-not-arriving');
    expect(warning).toHaveTextContent('Alerts are not arriving');
    expect(warning).toHaveTextContent('Check the network; tell the shift lead.');
    expect(warning).toHaveAttribute('role', 'alert');
    if (area === 'reception') expect(warning).not.toHaveTextContent('connection refused');
    else expect(warning).toHaveTextContent('connection refused');

    sendAlert({ event: 'feed', data: feed({ state: 'arriving' }) });
    await waitFor(() => expect(screen.queryByTestId('alerts-not-arriving')).not.toBeInTheDocument());
  });

  it('shows when the desk cannot even tell (silence never looks like safety)', async () => {
    await startDesk({
      alert_feed_status: new CommandFailure({ code: 'internal', message: 'poller stopped' }),
    });

    expect(await screen.findByTestId('alerts-not-arriving')).toHaveAttribute('data-state', 'unknown');
  });

  it('does not show when alerts are not set up', async () => {
    await startDesk({ alert_feed_status: feed({ state: 'not_configured', last_success_at: null }) });
    await screen.findByTestId('sync-bar');
    await waitFor(() => expect(screen.getByTestId('sync-bar')).toHaveAttribute('data-state', 'online'));
    expect(screen.queryByTestId('alerts-not-arriving')).not.toBeInTheDocument();
  });
});

describe('alerts centre', () => {
  it('lists open alerts to acknowledge and acknowledged ones with who and when', async () => {
    const done = alert({
      id: 9,
      title: 'Missed visit: 07:00 round',
      acknowledged_at: homeAt(-1, 8, 5),
      acknowledged_by: 'Femi Hughes',
    });
    await startDesk({ list_alerts: { open: [first], recent: [first, done] } }, { screen: 'alerts' });

    const open = await screen.findByTestId('open-alerts');
    expect(within(open).getAllByTestId('open-alert')).toHaveLength(1);
    expect(within(open).getByTestId('acknowledge-alert')).toBeInTheDocument();
    const acknowledged = screen.getByTestId('acknowledged-alerts');
    expect(within(acknowledged).getByTestId('acknowledged-by-who')).toHaveTextContent('By Femi Hughes yesterday at 08:05');
    expect(screen.getByTestId('alert-feed-state')).toHaveTextContent('Alerts are arriving');
  });
});
