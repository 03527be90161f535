// The staff lock end to end against the mock desk (src/dev/mock.ts and mock-lock.ts, which behave
// as Rust's lock does): the screens and the desk together, rather than one scripted answer at a
// time as in Unlock.test.ts, FirstRun.test.ts and StaffPins.test.ts. The mock's PINs: Jack Ali
// (manager) 2468, Femi Hughes (shift lead) 1357, Aisha Khan (receptionist) 8642.
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import App from '../../App.svelte';
import { installMock } from '../../dev/mock';
import { advanceDemoClock } from '../../lib/api';
import type { AreaId } from '../../lib/router.svelte';

type User = ReturnType<typeof userEvent.setup>;

// Each test walks several screens of the whole app: more than vitest's 5 s on a busy machine.
vi.setConfig({ testTimeout: 30_000 });

/** The whole app on the mock desk set up by `query` (as `vite --mode mock` takes it). */
async function mockDesk(query: string, area: AreaId = 'console'): Promise<User> {
  installMock(new URLSearchParams(query));
  const user = userEvent.setup();
  render(App, { initialArea: area });
  const shell = await screen.findByTestId('shell');
  await waitFor(() => expect(shell).not.toHaveAttribute('data-lock', 'unknown'));
  return user;
}

/** On the PIN pad's first step: chooses `name` (by the search, as the mock has eight names). */
async function chooseName(user: User, name: string): Promise<void> {
  await user.type(await screen.findByTestId('pin-holder-search'), name);
  const button = screen.getAllByTestId('pin-holder').find((b) => b.textContent?.includes(name));
  if (!button) throw new Error(`no ${name} on the list`);
  await user.click(button);
  await screen.findByTestId('pin-pad');
}

async function typePin(user: User, pin: string): Promise<void> {
  for (const digit of pin) await user.click(screen.getByTestId(`pin-key-${digit}`));
  await user.click(screen.getByTestId('pin-submit'));
}

describe('the PIN pad on the mock desk', () => {
  it('refuses a wrong PIN with the tries left, beside the field and at the top, then opens with the right one', async () => {
    const user = await mockDesk('lock=locked');
    expect(screen.queryByTestId('console')).not.toBeInTheDocument();
    await chooseName(user, 'Jack Ali');

    await typePin(user, '1111');

    const summary = await screen.findByTestId('error-summary');
    expect(summary).toHaveTextContent('That name and PIN do not match. 4 tries left before PIN entry pauses.');
    expect(within(summary).getByRole('link')).toHaveAttribute('href', '#unlock-pin');
    expect(screen.getByTestId('pin-error')).toHaveTextContent('4 tries left');
    expect(screen.getByTestId('pin-input')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('pin-input')).toHaveValue('');
    expect(screen.queryByTestId('console')).not.toBeInTheDocument();

    // Another wrong one counts down.
    await typePin(user, '2469');
    await waitFor(() => expect(screen.getByTestId('pin-error')).toHaveTextContent('3 tries left'));

    await typePin(user, '2468');

    expect(await screen.findByTestId('console')).toBeInTheDocument();
    expect(screen.getByTestId('signed-in-name')).toHaveTextContent('Jack Ali');
    expect(screen.getByTestId('signed-in-role')).toHaveTextContent('Manager');
    expect(screen.queryByTestId('error-summary')).not.toBeInTheDocument();
  });

  it('the same words when the name is right and the PIN wrong as when the PIN is someone else’s', async () => {
    const user = await mockDesk('lock=locked');
    await chooseName(user, 'Jack Ali');
    // Femi Hughes's PIN, under Jack Ali's name.
    await typePin(user, '1357');
    const other = (await screen.findByTestId('pin-error')).textContent;
    await typePin(user, '9999');
    await waitFor(() => expect(screen.getByTestId('pin-error')).toHaveTextContent('3 tries left'));

    expect(other?.replace(/\d tries/, 'N tries')).toBe(
      screen.getByTestId('pin-error').textContent?.replace(/\d tries/, 'N tries'),
    );
  });

  it('pauses PIN entry after five wrong PINs, saying until when; the right PIN cannot be entered then', async () => {
    const user = await mockDesk('lock=locked');
    await chooseName(user, 'Femi Hughes');

    for (const left of [4, 3, 2, 1]) {
      await typePin(user, '0000');
      await waitFor(() =>
        expect(screen.getByTestId('pin-error')).toHaveTextContent(`${left} tr${left === 1 ? 'y' : 'ies'} left`),
      );
    }
    await typePin(user, '0000');

    const pause = await screen.findByTestId('pin-paused');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('PIN entry is paused');
    const until = new Date(pause.dataset.until ?? '');
    expect(until.getTime() - Date.now()).toBeGreaterThan(4 * 60_000);
    expect(until.getTime() - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    const hhmm = until.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
    expect(pause).toHaveTextContent(`Paused until ${hhmm}`);
    expect(screen.getByTestId('unlock')).toHaveTextContent('PIN entry is paused for 5 minutes');
    expect(screen.queryByTestId('pin-pad')).not.toBeInTheDocument();
    expect(screen.queryByTestId('pin-holder')).not.toBeInTheDocument();
    expect(screen.queryByTestId('console')).not.toBeInTheDocument();
  });

  it('a PIN too short is refused on the pad without a try used', async () => {
    const user = await mockDesk('lock=locked');
    await chooseName(user, 'Aisha Khan');

    await typePin(user, '86');
    expect(await screen.findByTestId('pin-error')).toHaveTextContent('Enter your PIN: 4 to 8 digits');
    expect(screen.getByTestId('error-summary')).toHaveTextContent('Enter your PIN: 4 to 8 digits');

    await typePin(user, '0000');
    await waitFor(() => expect(screen.getByTestId('pin-error')).toHaveTextContent('4 tries left'));
  });
});

describe('unlocked on the mock desk', () => {
  it('a care note added is by the staff member who unlocked', async () => {
    const user = await mockDesk('lock=locked');
    await chooseName(user, 'Femi Hughes');
    await typePin(user, '1357');
    await screen.findByTestId('console');

    await user.click(screen.getByTestId('console-nav-residents'));
    await user.click((await screen.findAllByTestId('resident-row'))[0] as HTMLElement);
    await user.click(await screen.findByTestId('add-care-note'));
    await user.selectOptions(await screen.findByTestId('care-note-category'), 'mood');
    await user.type(screen.getByTestId('care-note-body'), 'Enjoyed the music session.');
    await user.click(screen.getByTestId('save-care-note'));

    await screen.findByTestId('care-note-saved');
    const newest = (await screen.findAllByTestId('care-note'))[0] as HTMLElement;
    expect(within(newest).getByTestId('care-note-author')).toHaveTextContent('Femi Hughes');
  });

  it('Lock returns to the kiosk at once, which says so; the console then needs a PIN again', async () => {
    const user = await mockDesk('lock=unlocked&role=shift_lead');
    await screen.findByTestId('console');

    await user.click(screen.getByTestId('lock-desk'));

    expect(await screen.findByTestId('reception')).toBeInTheDocument();
    expect(screen.getByTestId('lock-notice')).toHaveTextContent('The Staff console is locked');
    expect(screen.queryByTestId('lock-desk')).not.toBeInTheDocument();
    expect(screen.queryByTestId('signed-in')).not.toBeInTheDocument();

    await user.click(screen.getByTestId('nav-console'));
    expect(await screen.findByTestId('unlock')).toHaveAttribute('data-step', 'name');
    expect(screen.queryByTestId('console')).not.toBeInTheDocument();
  });

  it('the idle lock: after the idle minutes on the desk’s clock, back to the kiosk, saying why', async () => {
    const user = await mockDesk('demo=1&lock=unlocked&idle=1');
    await screen.findByTestId('console');
    await user.click(screen.getByTestId('console-nav-residents'));
    await screen.findAllByTestId('resident-row');

    await advanceDemoClock(2);

    expect(await screen.findByTestId('reception')).toBeInTheDocument();
    expect(screen.getByTestId('lock-notice')).toHaveTextContent('Locked after 1 minute without use');
    expect(screen.queryByTestId('lock-desk')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('nav-console'));
    expect(await screen.findByTestId('unlock')).toBeInTheDocument();
  });
});

describe('the first manager PIN on the mock desk', () => {
  it('refusals beside each field and at the top; once set, the manager is signed in and the console locks', async () => {
    const user = await mockDesk('lock=setting_up');
    expect(await screen.findByTestId('setting-up-notice')).toHaveTextContent(
      'Anyone at this desk can open the Staff console',
    );
    await user.click(screen.getByTestId('set-manager-pin-link'));
    const staff = await screen.findByTestId('manager-pin-staff');
    // Opened from a link at the top of a screen: focus starts at its heading.
    expect(screen.getByRole('heading', { level: 1, name: 'Set a manager PIN' })).toHaveFocus();

    await user.type(screen.getByTestId('manager-pin-pin'), '12a4');
    await user.type(screen.getByTestId('manager-pin-again'), '1299');
    await user.click(screen.getByTestId('save-manager-pin'));

    const summary = await screen.findByTestId('error-summary');
    expect(within(summary).getAllByRole('link').map((l) => l.getAttribute('href'))).toEqual([
      '#manager-pin-staff_id',
      '#manager-pin-pin',
    ]);
    expect(summary).toHaveTextContent('Choose the manager from the staff directory');
    expect(summary).toHaveTextContent('A PIN has digits only');
    expect(staff).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('manager-pin-pin')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('manager-pin-pin')).toHaveValue('');

    await user.selectOptions(staff, 'stf_010');
    await user.type(screen.getByTestId('manager-pin-pin'), '4826');
    await user.type(screen.getByTestId('manager-pin-again'), '4826');
    await user.click(screen.getByTestId('save-manager-pin'));

    expect(await screen.findByTestId('manager-pin-set')).toBeInTheDocument();
    expect(screen.getByTestId('signed-in-name')).toHaveTextContent('Jack Ali');
    expect(screen.queryByTestId('setting-up-notice')).not.toBeInTheDocument();

    await user.click(screen.getByTestId('lock-desk'));
    await screen.findByTestId('reception');
    await user.click(screen.getByTestId('nav-console'));
    // Only the new manager has a PIN: one name, no search.
    const names = await screen.findAllByTestId('pin-holder');
    expect(names.map((n) => n.dataset.staffId)).toEqual(['stf_010']);
    await user.click(names[0] as HTMLElement);
    await typePin(user, '4826');
    expect(await screen.findByTestId('console')).toBeInTheDocument();
  });
});

describe('Settings → Staff PINs on the mock desk', () => {
  async function openPins(): Promise<User> {
    const user = await mockDesk('lock=unlocked&role=manager');
    await user.click(await screen.findByTestId('console-nav-settings'));
    await user.click(await screen.findByTestId('manage-pins'));
    await screen.findAllByTestId('pin-row');
    // Opened from a button further down Settings: focus starts at its heading.
    expect(screen.getByRole('heading', { level: 1, name: 'Staff PINs' })).toHaveFocus();
    return user;
  }

  it('a PIN someone else has is refused beside the PIN and at the top; nothing is saved', async () => {
    const user = await openPins();
    const before = screen.getAllByTestId('pin-row').length;

    await user.selectOptions(screen.getByTestId('add-pin-staff'), 'stf_004');
    await user.click(screen.getByTestId('add-pin-role-receptionist'));
    // Femi Hughes's PIN.
    await user.type(screen.getByTestId('add-pin-pin'), '1357');
    await user.type(screen.getByTestId('add-pin-again'), '1357');
    await user.click(screen.getByTestId('save-add-pin'));

    const summary = await screen.findByTestId('error-summary');
    expect(summary).toHaveTextContent('Someone at this desk already has this PIN: choose another');
    expect(within(summary).getByRole('link')).toHaveAttribute('href', '#add-pin-pin');
    expect(screen.getByTestId('add-pin-pin')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('add-pin-pin')).toHaveAccessibleDescription(
      expect.stringContaining('Error: Someone at this desk already has this PIN'),
    );
    expect(screen.getAllByTestId('pin-row')).toHaveLength(before);

    // A PIN of its own is taken, and the list shows it.
    await user.type(screen.getByTestId('add-pin-pin'), '97531');
    await user.type(screen.getByTestId('add-pin-again'), '97531');
    await user.click(screen.getByTestId('save-add-pin'));
    expect(await screen.findByTestId('pins-saved')).toHaveTextContent('PIN added for Daniel Okafor, receptionist');
    await waitFor(() => expect(screen.getAllByTestId('pin-row')).toHaveLength(before + 1));
    expect(screen.queryByTestId('error-summary')).not.toBeInTheDocument();
  });

  it('the idle minutes set here are the ones the desk locks after', async () => {
    const user = await mockDesk('demo=1&lock=unlocked&role=manager');
    await user.click(await screen.findByTestId('console-nav-settings'));
    await user.click(await screen.findByTestId('manage-pins'));
    const minutes = await screen.findByTestId('idle-minutes');

    await user.clear(minutes);
    await user.type(minutes, '2');
    await user.click(screen.getByTestId('save-idle-minutes'));
    expect(await screen.findByTestId('pins-saved')).toHaveTextContent('The console now locks after 2 minutes without use');

    await advanceDemoClock(1);
    expect(screen.getByTestId('lock-desk')).toBeInTheDocument();
    await advanceDemoClock(2);
    expect(await screen.findByTestId('reception')).toBeInTheDocument();
    expect(screen.getByTestId('lock-notice')).toHaveTextContent('Locked after 2 minutes without use');
  });
});
