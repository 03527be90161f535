import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KioskReception } from '../../bindings/KioskReception';
import type { VisitorSignInForm } from '../../bindings/VisitorSignInForm';
import { formatTime } from '../../lib/format';
import { CommandFailure, lockStatus, mockCommands } from '../../test/ipc';
import Reception, { forgetWaitingVisitor } from './Reception.svelte';

const kiosk: KioskReception = { home_name: 'Rowan House', screening_questions: [], policy: null };

describe('reception', () => {
  afterEach(() => {
    vi.useRealTimers();
    forgetWaitingVisitor();
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
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(new Date(2026, 10, 22, 9, 5, 30));
    mockCommands({ kiosk_reception: kiosk });
    render(Reception);

    expect(screen.getByTestId('reception-time')).toHaveTextContent('09:05');
    expect(screen.getByTestId('reception-time')).toHaveAttribute('datetime', '2026-11-22T09:05');
    expect(screen.getByTestId('reception-date')).toHaveTextContent('Sunday 22 November 2026');

    await vi.advanceTimersByTimeAsync(60_000);

    expect(screen.getByTestId('reception-time')).toHaveTextContent('09:06');
  });

  it('wakes only when the minute changes, including the day at midnight', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(new Date(2026, 10, 22, 23, 58, 20));
    mockCommands({ kiosk_reception: kiosk });
    const { unmount } = render(Reception);
    // Two timers: the clock's, due at the next minute, and the welcome-again one (a minute
    // after the last input). Nothing runs in between.
    expect(vi.getTimerCount()).toBe(2);
    await vi.advanceTimersByTimeAsync(39_999);
    expect(screen.getByTestId('reception-time')).toHaveTextContent('23:58');
    await vi.advanceTimersByTimeAsync(1);
    expect(screen.getByTestId('reception-time')).toHaveTextContent('23:59');
    expect(vi.getTimerCount()).toBe(2);

    // A whole minute on, just before midnight nothing has changed; at midnight, the day too.
    await vi.advanceTimersByTimeAsync(59_999);
    expect(screen.getByTestId('reception-time')).toHaveTextContent('23:59');
    await vi.advanceTimersByTimeAsync(1);
    expect(Date.now()).toBe(new Date(2026, 10, 23, 0, 0, 0).getTime());
    expect(screen.getByTestId('reception-time')).toHaveTextContent('00:00');
    expect(screen.getByTestId('reception-date')).toHaveTextContent('Monday 23 November 2026');

    unmount();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('welcomes again after a minute without input: back to the top, focus on Welcome', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const scrolled = vi.spyOn(window, 'scrollTo').mockImplementation(() => {});
    mockCommands({ kiosk_reception: kiosk });
    render(Reception);
    const heading = await screen.findByRole('heading', { level: 1, name: 'Welcome to Rowan House' });
    const elsewhere = document.body.appendChild(document.createElement('button'));
    elsewhere.focus();

    await vi.advanceTimersByTimeAsync(50_000);
    await fireEvent.pointerDown(elsewhere);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(scrolled).not.toHaveBeenCalled();
    expect(heading).not.toHaveFocus();

    await vi.advanceTimersByTimeAsync(1_000);
    expect(scrolled).toHaveBeenCalledWith({ top: 0 });
    expect(heading).toHaveFocus();
    elsewhere.remove();
    scrolled.mockRestore();
  });

  it('a sign-in left half done goes after a minute without input: the welcome again, nothing typed kept', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const scrolled = vi.spyOn(window, 'scrollTo').mockImplementation(() => {});
    mockCommands({ kiosk_reception: kiosk, find_returning_visitors: [] });
    render(Reception);
    await fireEvent.click(await screen.findByRole('button', { name: 'Sign in' }));
    const first = await screen.findByLabelText('First name');
    await fireEvent.input(first, { target: { value: 'Anna' } });
    expect(screen.getByTestId('reception')).toHaveAttribute('data-mode', 'sign-in');

    await vi.advanceTimersByTimeAsync(60_000);

    expect(screen.getByTestId('reception')).toHaveAttribute('data-mode', 'home');
    expect(screen.queryByDisplayValue('Anna')).not.toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'Welcome to Rowan House' })).toHaveFocus();
    scrolled.mockRestore();
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

  it('says until when PIN entry is paused after five wrong PINs, without the keypad, here and when opened again', async () => {
    const user = userEvent.setup();
    const until = new Date(Date.now() + 5 * 60_000).toISOString();
    let status = lockStatus({ setting_up: false });
    mockCommands({
      kiosk_reception: kiosk,
      lock_status: () => status,
      pin_holders: [{ staff_id: 'stf_1', name: 'Aisha Khan', role: 'receptionist' }],
      kiosk_staff_sign_in: () => {
        status = lockStatus({ setting_up: false, paused_until: until });
        return new CommandFailure({ code: 'paused', message: 'That name and PIN do not match. PIN entry is paused for 5 minutes.' });
      },
    });
    render(Reception);

    await user.click(await screen.findByRole('button', { name: 'Staff sign in and out' }));
    await user.click(await screen.findByRole('button', { name: 'Aisha Khan' }));
    const pad = screen.getByRole('group', { name: 'On-screen keyboard' });
    for (const key of '0000') await user.click(within(pad).getByRole('button', { name: key }));
    await user.click(screen.getByRole('button', { name: 'Sign in for my shift' }));

    const heading = await screen.findByRole('heading', { level: 1, name: 'Staff sign in and out: PIN entry is paused' });
    await vi.waitFor(() => expect(heading).toHaveFocus());
    expect(screen.getByTestId('kiosk-pin-paused')).toHaveTextContent(`Paused until ${formatTime(until)}`);
    expect(screen.getByText('That name and PIN do not match. PIN entry is paused for 5 minutes.')).toBeInTheDocument();
    expect(screen.queryByRole('group', { name: 'On-screen keyboard' })).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Your PIN')).not.toBeInTheDocument();

    // Back, and the PIN pad again: still paused, no names to tap.
    await user.click(screen.getByRole('button', { name: 'Back' }));
    await user.click(await screen.findByRole('button', { name: 'Staff sign in and out' }));
    expect(await screen.findByTestId('kiosk-pin-paused')).toHaveTextContent(`Paused until ${formatTime(until)}`);
    expect(screen.queryByRole('button', { name: 'Aisha Khan' })).not.toBeInTheDocument();
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
  it('keeps a visitor waiting for approval while the desk shows its console, and shows them the answer after', async () => {
    const user = userEvent.setup();
    const wait = { outcome: 'wait_for_staff', sign_in_id: 'sgn_9', first_name: 'Anna', message: 'Please wait here: a member of staff will come to you.' };
    let status: unknown = wait;
    mockCommands({
      kiosk_reception: kiosk,
      find_returning_visitors: [],
      kiosk_find_residents: [{ id: 'res_1', label: 'Maggie W.' }],
      sign_in_visitor: (args: Record<string, unknown>) =>
        (args.form as VisitorSignInForm).visiting_kind
          ? wait
          : new CommandFailure({ code: 'invalid_input', message: 'Please check your details', fields: { visiting_kind: 'Please choose whom you are visiting' } }),
      visitor_sign_in_status: () => status,
    });
    const kioskShown = render(Reception);
    await user.click(await screen.findByRole('button', { name: 'Sign in' }));
    await user.type(screen.getByLabelText('First name'), 'Anna');
    await user.type(screen.getByLabelText('Surname'), 'Okonjo');
    await user.type(screen.getByLabelText(/Phone number/), '07700900321');
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    await user.click(await screen.findByLabelText('A resident'));
    await user.type(screen.getByLabelText('Type part of the resident’s name'), 'Mag');
    await user.click(await screen.findByRole('button', { name: 'Maggie W.' }));
    await user.type(screen.getByLabelText('How do you know them?'), 'Friend');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText(wait.message)).toBeInTheDocument();

    // Staff open the console at this desk (the kiosk goes), and come back to it: still waiting.
    kioskShown.unmount();
    const again = render(Reception);
    expect(await screen.findByText(wait.message)).toBeInTheDocument();
    expect(screen.getByTestId('reception')).toHaveAttribute('data-mode', 'sign-in');
    again.unmount();

    // They approved it there: back on the kiosk, the visitor has their code at once.
    status = {
      outcome: 'signed_in',
      confirmation: { sign_in_id: 'sgn_9', first_name: 'Anna', signed_in_words: 'today at 10:05', visiting_label: 'Maggie W.', sign_out_code: '4821' },
    };
    render(Reception);
    expect(await screen.findByTestId('sign-out-code')).toHaveTextContent('4821');

    // Finish: the next kiosk drawn welcomes the next visitor.
    await user.click(screen.getByRole('button', { name: 'Finish' }));
    expect(screen.getByTestId('reception')).toHaveAttribute('data-mode', 'home');
    cleanup();
    render(Reception);
    expect(await screen.findByRole('heading', { level: 1, name: 'Welcome to Rowan House' })).toBeInTheDocument();
  });

  it('closes the fire roll call when the console locks (the idle lock, or Lock)', async () => {
    const user = userEvent.setup();
    mockCommands({
      kiosk_reception: kiosk,
      lock_status: lockStatus({ setting_up: false }),
      pin_holders: [{ staff_id: 'stf_1', name: 'Aisha Khan', role: 'receptionist' }],
      unlock: lockStatus({ setting_up: false, session: { staff_id: 'stf_1', name: 'Aisha Khan', role: 'receptionist' } }),
      current_roll_call: null,
      start_roll_call: rollCall(),
    });
    const { rerender } = render(Reception, { locks: 3 });
    await user.click(await screen.findByRole('button', { name: /Fire roll call/ }));
    await user.click(await screen.findByRole('button', { name: 'Aisha Khan' }));
    await user.type(screen.getByLabelText('Your PIN'), '8642');
    await user.click(screen.getByRole('button', { name: 'Open the fire roll call' }));
    expect(await screen.findByTestId('unaccounted-count')).toBeInTheDocument();

    await rerender({ locks: 4 });

    expect(screen.getByTestId('reception')).toHaveAttribute('data-mode', 'home');
    expect(screen.queryByText('Anna Okonjo')).not.toBeInTheDocument();
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
