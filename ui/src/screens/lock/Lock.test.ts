import { screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ResidentDetail } from '../../bindings/ResidentDetail';
import { CommandFailure } from '../../test/ipc';
import { alert, feed, holders, locked, signedIn, startDesk } from '../../test/console';

const navItems = () =>
  within(screen.getByRole('navigation', { name: 'Staff console' }))
    .getAllByRole('button')
    .map((b) => b.textContent?.trim());

const detail: ResidentDetail = {
  resident: {
    id: 'res_1',
    full_name: 'Margaret Whitaker',
    preferred_name: null,
    room_number: '104',
    date_of_birth: null,
    status: 'current',
    dnar_status: 'for_resus',
    location_id: 'loc_rowan',
    keyworker: null,
    contacts: [],
    admitted_at: null,
    discharged_at: null,
    created_at: null,
    updated_at: '2026-11-01T00:00:00Z',
  },
  location_name: 'Rowan House',
  keyworker_name: null,
  care_notes: [],
};

describe('the console follows the role', () => {
  it('a receptionist sees This desk, the Reception desk, the fire roll call and Alerts', async () => {
    await startDesk({ lock_status: signedIn('receptionist') });
    expect(navItems()).toEqual(['This desk', 'Reception desk', 'Fire roll call', 'Alerts']);
  });

  it('a shift lead also sees residents, visits and staff, but not the settings or refused changes', async () => {
    await startDesk({ lock_status: signedIn('shift_lead') });
    expect(navItems()).toEqual([
      'This desk',
      'Reception desk',
      'Fire roll call',
      'Residents',
      'Incidents',
      'Falls register',
      'Visits',
      'Staff',
      'Who may lead',
      'Alerts',
    ]);
  });

  it('a manager sees every screen', async () => {
    await startDesk({ lock_status: signedIn('manager') });
    expect(navItems()).toEqual([
      'This desk',
      'Reception desk',
      'Fire roll call',
      'Residents',
      'Incidents',
      'Falls register',
      'Visits',
      'Staff',
      'Training matrix',
      'Who may lead',
      'Alerts',
      'Needs attention',
      'Reception settings',
      'Settings',
    ]);
  });

  it('a receptionist is not offered the refused changes or the settings from the sync bar', async () => {
    await startDesk({
      lock_status: signedIn('receptionist'),
      sync_status: { connection: 'online', message: null, queued: 0, needs_attention: 2, resources: [], progress: null, demo: false },
    });
    const bar = await screen.findByTestId('sync-bar');
    expect(within(bar).queryByTestId('needs-attention-link')).not.toBeInTheDocument();
    expect(bar).toHaveTextContent('2 changes need a manager’s attention');
  });

  it('a screen the role lost while it was open says so kindly, and offers This desk', async () => {
    const { user, sendLock } = await startDesk({ lock_status: signedIn('manager') }, { screen: 'settings' });
    await screen.findByRole('heading', { level: 1, name: 'Settings' });

    // Another manager made this one a shift lead.
    sendLock({ status: signedIn('shift_lead'), reason: null });

    expect(await screen.findByTestId('not-for-role')).toHaveTextContent('Settings needs a manager. Ask one to unlock the console.');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Not open to a shift lead');
    await user.click(screen.getByRole('button', { name: 'Go to This desk' }));
    expect(screen.getByRole('heading', { level: 1, name: 'This desk' })).toBeInTheDocument();
  });

  it('a forbidden answer reads the lock again, and the screen says so', async () => {
    let role: 'manager' | 'shift_lead' = 'manager';
    const { callsOf } = await startDesk(
      {
        lock_status: () => signedIn(role),
        get_settings: () => {
          role = 'shift_lead';
          return new CommandFailure({ code: 'forbidden', message: 'This needs a manager at this desk. Ask one to unlock it.' });
        },
      },
      { screen: 'settings' },
    );

    expect(await screen.findByTestId('not-for-role')).toBeInTheDocument();
    expect(callsOf('lock_status').length).toBeGreaterThanOrEqual(2);
  });

  it('a locked answer returns to the PIN pad, saying why', async () => {
    let open = true;
    await startDesk(
      {
        lock_status: () => (open ? signedIn('manager') : locked()),
        pin_holders: holders,
        get_settings: () => {
          open = false;
          return new CommandFailure({ code: 'locked', message: 'The staff console is locked. Unlock it with your PIN.' });
        },
      },
      { screen: 'settings' },
    );

    expect(await screen.findByTestId('unlock')).toBeInTheDocument();
    expect(screen.getByTestId('locked-while-used')).toHaveTextContent('The Staff console locked');
    expect(screen.getByTestId('shell')).toHaveAttribute('data-area', 'console');
    expect(screen.queryByTestId('console')).not.toBeInTheDocument();
  });
});

describe('locking', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('after the idle time (an event from Rust) returns to the kiosk and says why, for a while', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
    const { sendLock } = await startDesk({ lock_status: signedIn() });
    await screen.findByTestId('console');

    sendLock({ status: locked(), reason: 'Locked after 5 minutes without use' });

    expect(await screen.findByTestId('reception')).toBeInTheDocument();
    expect(screen.getByTestId('lock-notice')).toHaveTextContent('Locked after 5 minutes without use');
    expect(screen.queryByTestId('lock-desk')).not.toBeInTheDocument();

    await vi.advanceTimersByTimeAsync(31_000);
    expect(screen.queryByTestId('lock-notice')).not.toBeInTheDocument();
  });

  it('clears a half-written care note: after unlocking again nothing typed is there', async () => {
    const { user, sendLock } = await startDesk(
      {
        lock_status: signedIn(),
        search_residents: [detail.resident],
        get_resident: detail,
        pin_holders: holders,
      },
      { screen: 'residents' },
    );
    await user.click(await screen.findByTestId('resident-row'));
    await user.click(await screen.findByTestId('add-care-note'));
    await user.type(screen.getByTestId('care-note-body'), 'Private words about Margaret');

    sendLock({ status: locked(), reason: 'Locked after 5 minutes without use' });
    await screen.findByTestId('reception');
    expect(screen.getByTestId('shell')).not.toHaveTextContent('Private words');
    expect(screen.getByTestId('shell')).not.toHaveTextContent('Margaret');

    // The same person unlocks again: the console starts on its first screen, the form is gone.
    sendLock({ status: signedIn(), reason: null });
    await user.click(screen.getByTestId('nav-console'));
    expect(await screen.findByRole('heading', { level: 1, name: 'This desk' })).toBeInTheDocument();
    await user.click(screen.getByTestId('console-nav-residents'));
    await user.click(await screen.findByTestId('resident-row'));
    await screen.findByTestId('add-care-note');
    expect(screen.queryByTestId('care-note-form')).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent('Private words');
  });

  it('clears half-filled settings fields', async () => {
    const { user, sendLock } = await startDesk({ lock_status: signedIn(), pin_holders: holders }, { screen: 'settings' });
    const key = await screen.findByTestId('settings-api-key');
    await user.type(key, 'sk_live_secret');

    sendLock({ status: locked(), reason: 'Locked' });
    await screen.findByTestId('reception');
    sendLock({ status: signedIn(), reason: null });
    await user.click(screen.getByTestId('nav-console'));
    await user.click(await screen.findByTestId('console-nav-settings'));

    expect(await screen.findByTestId('settings-api-key')).toHaveValue('');
  });

  it('tells Rust the person is still here on activity, at most once a minute', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { user, callsOf } = await startDesk({ lock_status: signedIn(), still_here: signedIn() });
    await screen.findByTestId('console');
    vi.setSystemTime(Date.now() + 61_000);

    await user.keyboard('a');
    await user.click(screen.getByTestId('console-nav-alerts'));
    await user.keyboard('b');
    expect(callsOf('still_here')).toHaveLength(1);

    vi.setSystemTime(Date.now() + 61_000);
    await user.keyboard('c');
    expect(callsOf('still_here')).toHaveLength(2);
  });

  it('does not call still_here on the kiosk or while the desk is being set up', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { user, callsOf } = await startDesk({ still_here: signedIn() });
    vi.setSystemTime(Date.now() + 61_000);
    await user.keyboard('a');
    expect(callsOf('still_here')).toHaveLength(0);
  });
});

describe('alerts and the lock', () => {
  it('the locked kiosk knows only how many alerts are open, never their words', async () => {
    const { sendAlert, callsOf } = await startDesk(
      {
        lock_status: locked(),
        pin_holders: holders,
        alert_feed_status: feed({ open_count: 2 }),
        list_alerts: new CommandFailure({ code: 'locked', message: 'The staff console is locked.' }),
      },
      { area: 'reception' },
    );

    const indicator = await screen.findByTestId('staff-alert-indicator');
    expect(indicator).toHaveTextContent('Staff alert (2)');
    expect(callsOf('list_alerts')).toHaveLength(0);
    // Not "alerts are not arriving": the kiosk is not meant to read them.
    expect(screen.queryByTestId('alerts-not-arriving')).not.toBeInTheDocument();

    // An alert arrives without its words; the count is read again.
    sendAlert({ event: 'raised', data: alert({ id: 9, key: '', title: 'Staff alert', detail: null }) });
    await waitFor(() => expect(callsOf('alert_feed_status').length).toBeGreaterThanOrEqual(2));
    expect(screen.getByTestId('shell')).not.toHaveTextContent('Critical incident');
  });

  it('after unlocking, the alerts are read in full', async () => {
    const { sendLock } = await startDesk({
      lock_status: locked(),
      pin_holders: holders,
      list_alerts: { open: [alert()], recent: [] },
    });
    expect(screen.queryByTestId('alert-banner')).not.toBeInTheDocument();

    sendLock({ status: signedIn(), reason: null });

    expect(await screen.findByTestId('alert-title')).toHaveTextContent('Critical incident: fall in room 104');
  });

  it('once unlocked, acknowledging asks for no name: it is the signed-in staff member', async () => {
    const first = alert();
    const { user, callsOf } = await startDesk({
      lock_status: signedIn('receptionist'),
      list_alerts: { open: [first], recent: [] },
      acknowledge_alert: { ...first, acknowledged_at: new Date().toISOString(), acknowledged_by: 'Aisha Khan' },
    });
    const banner = await screen.findByTestId('alert-banner');

    expect(within(banner).queryByTestId('acknowledged-by')).not.toBeInTheDocument();
    expect(within(banner).getByTestId('acknowledge-as')).toHaveTextContent('As Aisha Khan');
    await user.click(within(banner).getByTestId('acknowledge-alert'));

    expect(callsOf('acknowledge_alert')).toEqual([{ id: 1, by: 'Aisha Khan' }]);
    await waitFor(() => expect(screen.queryByTestId('alert-banner')).not.toBeInTheDocument());
  });
});
