import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { PinHolder } from '../../bindings/PinHolder';
import { searchResidents } from '../../lib/api';
import { CommandFailure } from '../../test/ipc';
import { holders, locked, signedIn, startDesk } from '../../test/console';

const wrong = (left: number) =>
  new CommandFailure({
    code: 'invalid_input',
    message: 'That name and PIN do not match',
    fields: { pin: `That name and PIN do not match. ${left} tries left before PIN entry pauses.` },
  });

/** The console, locked: the PIN pad with the holders' names; `unlock` answers as given. */
async function lockedDesk(unlock: unknown = signedIn('manager'), more: Record<string, unknown> = {}) {
  return startDesk({ lock_status: locked(), pin_holders: holders, unlock, ...more });
}

async function chooseName(user: Awaited<ReturnType<typeof startDesk>>['user'], name = 'Jack Ali') {
  const button = (await screen.findAllByTestId('pin-holder')).find((b) => b.textContent?.includes(name));
  if (!button) throw new Error(`no ${name} on the list`);
  await user.click(button);
  return screen.findByTestId('pin-pad');
}

describe('the PIN pad', () => {
  it('shows, instead of the console, the names of those with a PIN first, then the pad', async () => {
    const { user } = await lockedDesk();

    expect(screen.queryByTestId('console')).not.toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('The Staff console is locked');
    const names = await screen.findAllByTestId('pin-holder');
    expect(names.map((n) => n.textContent?.replace(/\s+/g, ' ').trim())).toEqual(['Aisha Khan Receptionist', 'Femi Hughes Shift lead', 'Jack Ali Manager']);
    // Three names: no search.
    expect(screen.queryByTestId('pin-holder-search')).not.toBeInTheDocument();

    await chooseName(user);
    expect(screen.getByTestId('unlocking-as')).toHaveTextContent('Unlocking as Jack Ali (Manager).');
    expect(screen.getByTestId('pin-input')).toHaveFocus();
  });

  it('unlocks by touch: the keys, Delete, then Unlock', async () => {
    const { user, callsOf } = await lockedDesk();
    await chooseName(user);

    for (const key of ['2', '4', '6', '9']) await user.click(screen.getByTestId(`pin-key-${key}`));
    await user.click(screen.getByTestId('pin-delete'));
    await user.click(screen.getByTestId('pin-key-8'));
    expect(screen.getByTestId('pin-input')).toHaveValue('2468');
    await user.click(screen.getByTestId('pin-submit'));

    expect(callsOf('unlock')).toEqual([{ staffId: 'stf_3', pin: '2468' }]);
    expect(await screen.findByTestId('console')).toBeInTheDocument();
    expect(screen.getByTestId('signed-in-name')).toHaveTextContent('Jack Ali');
  });

  it('unlocks by keyboard: digits typed on the pad, Backspace, Enter', async () => {
    const { user, callsOf } = await lockedDesk();
    await chooseName(user);

    // Focus on a key, not in the field: typing still goes into the PIN.
    screen.getByTestId('pin-key-5').focus();
    await user.keyboard('13579{Backspace}{Backspace}a');
    expect(screen.getByTestId('pin-input')).toHaveValue('135');
    await user.keyboard('7{Enter}');

    expect(callsOf('unlock')).toEqual([{ staffId: 'stf_3', pin: '1357' }]);
    await screen.findByTestId('console');
  });

  it('takes only digits in the field, eight at most', async () => {
    const { user } = await lockedDesk();
    await chooseName(user);

    await user.type(screen.getByTestId('pin-input'), '12ab345678999');
    expect(screen.getByTestId('pin-input')).toHaveValue('12345678');
  });

  it('a wrong PIN says so with the tries left, at the top and beside the field, and clears it', async () => {
    const { user, callsOf } = await lockedDesk(wrong(4));
    await chooseName(user);

    await user.keyboard('1111{Enter}');

    const summary = await screen.findByTestId('error-summary');
    expect(summary).toHaveTextContent('That name and PIN do not match. 4 tries left before PIN entry pauses.');
    expect(summary).toHaveFocus();
    expect(screen.getByTestId('pin-error')).toHaveTextContent('4 tries left');
    expect(screen.getByTestId('pin-input')).toHaveAccessibleDescription(
      '4 to 8 digits Error: That name and PIN do not match. 4 tries left before PIN entry pauses.',
    );
    expect(screen.getByTestId('pin-input')).toHaveValue('');
    // The same words whatever was wrong: nothing says whether it was the name or the PIN.
    expect(screen.getByTestId('unlock')).not.toHaveTextContent(/not found|no PIN|unknown|wrong name/i);
    expect(screen.queryByTestId('console')).not.toBeInTheDocument();
    // The lock is read again (a pause may have begun).
    expect(callsOf('lock_status').length).toBeGreaterThanOrEqual(2);
  });

  it('a PIN shorter than four digits is not sent', async () => {
    const { user, callsOf } = await lockedDesk();
    await chooseName(user);

    await user.keyboard('12{Enter}');

    expect(await screen.findByTestId('pin-error')).toHaveTextContent('Enter your PIN: 4 to 8 digits');
    expect(callsOf('unlock')).toHaveLength(0);
  });

  it('after five wrong PINs says that PIN entry is paused, and until when', async () => {
    const until = new Date(Date.now() + 5 * 60_000);
    let paused = false;
    const { user } = await lockedDesk(
      () => {
        paused = true;
        return new CommandFailure({
          code: 'paused',
          message: 'That name and PIN do not match. PIN entry is paused for 5 minutes.',
        });
      },
      { lock_status: () => (paused ? locked({ paused_until: until.toISOString() }) : locked()) },
    );
    await chooseName(user);

    await user.keyboard('0000{Enter}');

    const pause = await screen.findByTestId('pin-paused');
    const hhmm = until.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
    expect(pause).toHaveTextContent(`Paused until ${hhmm}`);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('PIN entry is paused');
    expect(screen.getByTestId('unlock')).toHaveTextContent('PIN entry is paused for 5 minutes');
    expect(screen.queryByTestId('pin-pad')).not.toBeInTheDocument();
    expect(screen.queryByTestId('pin-holder')).not.toBeInTheDocument();
  });

  it('is paused already when the desk says so', async () => {
    const until = new Date(Date.now() + 10 * 60_000).toISOString();
    await startDesk({ lock_status: locked({ paused_until: until }), pin_holders: holders });

    expect(await screen.findByTestId('pin-paused')).toHaveAttribute('data-until', until);
  });

  it('a long list of names can be searched, by any part of the name', async () => {
    const many: PinHolder[] = [
      'Aisha Khan', 'Ben Walsh', 'Chloe Nowak', 'Daniel Okafor', 'Ewa Patel', 'Femi Hughes', 'Grace Brennan', 'Zoë Ålander',
    ].map((name, i) => ({ staff_id: `stf_${i}`, name, role: 'receptionist' }));
    const { user } = await startDesk({ lock_status: locked(), pin_holders: many });

    const search = await screen.findByTestId('pin-holder-search');
    await user.type(search, 'hug');
    expect(screen.getAllByTestId('pin-holder').map((b) => b.dataset.staffId)).toEqual(['stf_5']);
    await user.clear(search);
    await user.type(search, 'zoe ala');
    expect(screen.getAllByTestId('pin-holder').map((b) => b.dataset.staffId)).toEqual(['stf_7']);
    await user.clear(search);
    await user.type(search, 'nobody');
    expect(screen.getByTestId('no-name-matches')).toBeInTheDocument();
  });

  it('"Not you?" goes back to the names with nothing typed', async () => {
    const { user } = await lockedDesk();
    await chooseName(user);
    await user.keyboard('12');

    await user.click(screen.getByTestId('choose-another-name'));

    expect(await screen.findAllByTestId('pin-holder')).toHaveLength(3);
    await chooseName(user, 'Aisha Khan');
    expect(screen.getByTestId('pin-input')).toHaveValue('');
  });

  it('a visitor who opened it by mistake goes back to Reception with one large button', async () => {
    const { user } = await lockedDesk();

    await user.click(await screen.findByTestId('back-to-reception'));

    expect(await screen.findByTestId('reception')).toBeInTheDocument();
    expect(screen.queryByTestId('unlock')).not.toBeInTheDocument();
  });

  it('has twelve keys in a labelled group: the digits, Delete and Unlock (sizes: the window tests)', async () => {
    const { user } = await lockedDesk();
    await chooseName(user);
    const pad = screen.getByRole('group', { name: 'PIN pad' });
    const keys = within(pad).getAllByRole('button');
    expect(keys.map((k) => k.textContent?.trim())).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', 'Delete', '0', 'Unlock']);
  });
});

describe('unlocked', () => {
  it('the header shows who is signed in and their role, and Lock', async () => {
    await startDesk({ lock_status: signedIn('shift_lead') });

    const header = screen.getByRole('banner');
    expect(within(header).getByTestId('signed-in-name')).toHaveTextContent('Femi Hughes');
    expect(within(header).getByTestId('signed-in-role')).toHaveTextContent('Shift lead');
    expect(within(header).getByRole('button', { name: 'Lock' })).toBeInTheDocument();
  });

  it('Lock returns to the kiosk at once, and the kiosk says the console is locked', async () => {
    const { user, callsOf } = await startDesk({ lock_status: signedIn(), lock_desk: locked() });
    await screen.findByTestId('console');

    await user.click(screen.getByTestId('lock-desk'));

    expect(callsOf('lock_desk')).toHaveLength(1);
    expect(await screen.findByTestId('reception')).toBeInTheDocument();
    expect(screen.getByTestId('lock-notice')).toHaveTextContent('The Staff console is locked');
    expect(screen.queryByTestId('lock-desk')).not.toBeInTheDocument();
    expect(screen.queryByTestId('signed-in')).not.toBeInTheDocument();

    // "Staff console" now opens the PIN pad.
    await user.click(screen.getByTestId('nav-console'));
    expect(await screen.findByTestId('unlock')).toBeInTheDocument();
  });

  it('Lock returns to the kiosk even when another command is refused as locked before Lock is answered', async () => {
    // Rust drops the session at once, then answers Lock; a command of the console (here a
    // resident search) answered in between is refused as `locked`, and the lock is read again.
    let isLocked = false;
    let answerLock: (() => void) | undefined;
    const { user } = await startDesk({
      lock_status: () => (isLocked ? locked() : signedIn()),
      lock_desk: () =>
        new Promise((resolve) => {
          isLocked = true;
          answerLock = () => resolve(locked());
        }),
      search_residents: () => new CommandFailure({ code: 'locked', message: 'The Staff console is locked' }),
    });
    await screen.findByTestId('console');

    await user.click(screen.getByTestId('lock-desk'));
    await waitFor(() => expect(answerLock).toBeDefined());
    await expect(searchResidents({ text: 'ann' })).rejects.toMatchObject({ code: 'locked' });

    // The person's Lock, not the refused command, decides: the kiosk, saying why.
    expect(await screen.findByTestId('reception')).toBeInTheDocument();
    expect(screen.getByTestId('lock-notice')).toHaveTextContent('The Staff console is locked');
    expect(screen.queryByTestId('unlock')).not.toBeInTheDocument();
    answerLock?.();
    await waitFor(() => expect(screen.queryByTestId('lock-desk')).not.toBeInTheDocument());
    expect(screen.getByTestId('reception')).toBeInTheDocument();
  });

  it('Lock is in the header on the Reception screen too', async () => {
    await startDesk({ lock_status: signedIn() }, { area: 'reception' });
    expect(within(screen.getByRole('banner')).getByTestId('lock-desk')).toBeVisible();
  });

  it('while the desk is being set up there is no Lock, and the header says the console is open', async () => {
    await startDesk();
    expect(screen.queryByTestId('lock-desk')).not.toBeInTheDocument();
    expect(screen.getByTestId('header-setting-up')).toHaveTextContent('No PIN yet: open to anyone');
  });
});

describe('when the lock cannot be read', () => {
  it('the console stays closed and says why', async () => {
    await startDesk({ lock_status: new CommandFailure({ code: 'internal', message: 'database is locked' }) });

    await waitFor(() => expect(screen.getByTestId('unlock')).toHaveTextContent('The staff lock could not be read'));
    expect(screen.queryByTestId('console')).not.toBeInTheDocument();
  });
});
