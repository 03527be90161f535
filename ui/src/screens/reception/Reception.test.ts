import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KioskReception } from '../../bindings/KioskReception';
import { lockStatus, mockCommands } from '../../test/ipc';
import Reception from './Reception.svelte';

const kiosk: KioskReception = { home_name: 'Rowan House', screening_questions: [], policy: null };

describe('reception', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('welcomes visitors to the home and offers sign in, sign out, staff and the fire roll call', async () => {
    mockCommands({ kiosk_reception: kiosk });
    render(Reception);

    expect(await screen.findByRole('heading', { level: 1, name: 'Welcome to Rowan House' })).toBeInTheDocument();
    for (const name of ['Sign in', 'Sign out', 'Staff sign in and out', /Fire roll call/]) {
      expect(screen.getByRole('button', { name })).toBeInTheDocument();
    }
  });

  it('shows the local time and date, and keeps the clock current', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(new Date(2026, 10, 22, 9, 5, 30));
    mockCommands({ kiosk_reception: kiosk });
    render(Reception);

    expect(screen.getByTestId('reception-time')).toHaveTextContent('09:05');
    expect(screen.getByTestId('reception-time')).toHaveAttribute('datetime', '2026-11-22T09:05');
    expect(screen.getByTestId('reception-date')).toHaveTextContent('Sunday 22 November 2026');

    await vi.advanceTimersByTimeAsync(60_000);

    expect(screen.getByTestId('reception-time')).toHaveTextContent('09:06');
  });

  it('signs a member of staff in with their PIN, typed on the keypad, and says so with the day', async () => {
    const user = userEvent.setup();
    const { log } = mockCommands({
      kiosk_reception: kiosk,
      pin_holders: [{ staff_id: 'stf_1', name: 'Aisha Khan', role: 'receptionist' }],
      kiosk_staff_sign_in: { staff_id: 'stf_1', label: 'Aisha K.', signed_in: true, at_words: 'today at 07:02' },
    });
    render(Reception);

    await user.click(await screen.findByRole('button', { name: 'Staff sign in and out' }));
    await user.click(await screen.findByRole('button', { name: 'Aisha Khan' }));
    const pad = screen.getByRole('group', { name: 'On-screen keyboard' });
    for (const key of '1357') await user.click(within(pad).getByRole('button', { name: key }));
    await user.click(screen.getByRole('button', { name: 'Sign in for my shift' }));

    expect(await screen.findByTestId('kiosk-said')).toHaveTextContent('Aisha K. signed in today at 07:02.');
    expect(log.find((c) => c.cmd === 'kiosk_staff_sign_in')?.args).toEqual({ staffId: 'stf_1', pin: '1357' });
  });

  it('opens the fire roll call behind a staff PIN when the console is locked, and locks it again after', async () => {
    const user = userEvent.setup();
    const { calls } = mockCommands({
      kiosk_reception: kiosk,
      lock_status: lockStatus({ setting_up: false }),
      pin_holders: [{ staff_id: 'stf_1', name: 'Aisha Khan', role: 'receptionist' }],
      unlock: lockStatus({ setting_up: false, session: { staff_id: 'stf_1', name: 'Aisha Khan', role: 'receptionist' } }),
      current_roll_call: null,
      start_roll_call: rollCall(),
      lock_desk: lockStatus({ setting_up: false }),
    });
    render(Reception);

    await user.click(await screen.findByRole('button', { name: /Fire roll call/ }));
    await user.click(await screen.findByRole('button', { name: 'Aisha Khan' }));
    await user.type(screen.getByLabelText('Your PIN'), '8642');
    await user.click(screen.getByRole('button', { name: 'Open the fire roll call' }));

    expect(await screen.findByTestId('unaccounted-count')).toHaveTextContent('2 not yet accounted for');
    expect(calls).toContain('start_roll_call');
    await user.click(screen.getByRole('button', { name: 'Close' }));
    expect(calls).toContain('lock_desk');
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
  });
});

function rollCall() {
  return {
    id: 'rc_1',
    home_name: 'Rowan House',
    started_at: '2026-11-22T14:02:00Z',
    started_words: 'today at 14:02',
    started_by: 'Aisha Khan',
    ended_at: null,
    residents_updated_at: null,
    residents_freshness: 'The resident list has never been downloaded on this desk',
    visitors: [{ key: 'visitor:v1', name: 'Anna Okonjo', detail: 'Visiting Maggie Wilson', notes: null, since: 'since 10:05', accounted: false }],
    staff: [{ key: 'staff:s1', name: 'Aisha Khan', detail: null, notes: null, since: 'since 07:02', accounted: false }],
    residents_in: [],
    residents_out: [],
    in_building: 2,
    accounted: 0,
    unaccounted: 2,
  };
}
