import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { PinHolder } from '../../bindings/PinHolder';
import type { Staff } from '../../bindings/Staff';
import { CommandFailure } from '../../test/ipc';
import { signedIn, startDesk } from '../../test/console';

function member(id: string, full_name: string, status: Staff['status'] = 'active'): Staff {
  return {
    id,
    full_name,
    preferred_name: null,
    role: 'carer',
    email: null,
    phone: null,
    location_id: 'loc_rowan',
    status,
    certification_summary: null,
    created_at: null,
    updated_at: '2026-11-01T00:00:00Z',
  };
}

const directory = [
  member('stf_1', 'Aisha Khan'),
  member('stf_2', 'Femi Hughes'),
  member('stf_3', 'Jack Ali'),
  member('stf_4', 'Ben Walsh'),
  member('stf_5', 'Olivia Left', 'inactive'),
];

const pins: PinHolder[] = [
  { staff_id: 'stf_1', name: 'Aisha Khan', role: 'receptionist' },
  { staff_id: 'stf_2', name: 'Femi Hughes', role: 'shift_lead' },
  { staff_id: 'stf_3', name: 'Jack Ali', role: 'manager' },
];

const refusal = (message: string, fields: Record<string, string>) =>
  new CommandFailure({ code: 'invalid_input', message, fields });

async function openPins(answers: Record<string, unknown> = {}) {
  const desk = await startDesk(
    { lock_status: signedIn('manager'), list_pins: pins, list_staff: directory, ...answers },
    { screen: 'settings' },
  );
  await desk.user.click(await screen.findByTestId('manage-pins'));
  await screen.findAllByTestId('pin-row');
  return desk;
}

const row = (id: string) => screen.getAllByTestId('pin-row').find((r) => r.dataset.staffId === id) as HTMLElement;

describe('Settings → Staff PINs', () => {
  it('lists who has a PIN with their role, marks the signed-in manager and the only manager', async () => {
    await openPins();

    expect(screen.getByRole('heading', { level: 1, name: 'Staff PINs' })).toBeInTheDocument();
    const rows = screen.getAllByTestId('pin-row');
    expect(rows.map((r) => within(r).getByTestId('pin-role').textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'Receptionist',
      'Shift lead',
      'Manager The only manager',
    ]);
    expect(row('stf_3')).toHaveTextContent('Jack Ali (you)');
    // Settings stays marked in the navigation.
    expect(screen.getByTestId('console-nav-settings')).toHaveAttribute('aria-current', 'page');
  });

  it('is not offered to a shift lead', async () => {
    await startDesk({ lock_status: signedIn('shift_lead') });
    expect(screen.queryByTestId('console-nav-settings')).not.toBeInTheDocument();
  });

  it('adds a PIN for someone from the directory (active, without a PIN) with a role', async () => {
    const { user, callsOf } = await openPins({
      set_staff_pin: { staff_id: 'stf_4', name: 'Ben Walsh', role: 'shift_lead' },
    });
    const staff = screen.getByTestId('add-pin-staff');
    expect(within(staff).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Choose a staff member',
      'Ben Walsh, Carer',
    ]);

    await user.selectOptions(staff, 'stf_4');
    await user.click(screen.getByTestId('add-pin-role-shift_lead'));
    await user.type(screen.getByTestId('add-pin-pin'), '97531');
    await user.type(screen.getByTestId('add-pin-again'), '97531');
    await user.click(screen.getByTestId('save-add-pin'));

    expect(callsOf('set_staff_pin')).toEqual([{ staffId: 'stf_4', pin: '97531', role: 'shift_lead' }]);
    expect(await screen.findByTestId('pins-saved')).toHaveTextContent('PIN added for Ben Walsh, shift lead');
    expect(screen.getByTestId('add-pin-pin')).toHaveValue('');
    expect(callsOf('list_pins').length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a PIN with letters or of the wrong length, and two that differ, before sending', async () => {
    const { user, callsOf } = await openPins();

    await user.type(screen.getByTestId('add-pin-pin'), '12ab');
    await user.type(screen.getByTestId('add-pin-again'), '12ab');
    await user.click(screen.getByTestId('save-add-pin'));

    const summary = await screen.findByTestId('error-summary');
    expect(within(summary).getAllByRole('link').map((l) => l.textContent)).toEqual([
      'Choose a staff member from the directory',
      'Choose what they may do at this desk',
      'A PIN has digits only, 0 to 9: no letters or spaces',
    ]);
    expect(screen.getByTestId('add-pin-pin')).toHaveAccessibleDescription(
      '4 to 8 digits, different from everyone else’s. Tell it to them in person. Error: A PIN has digits only, 0 to 9: no letters or spaces',
    );

    // Too short (a ninth digit cannot be typed: the field takes eight).
    await user.type(screen.getByTestId('add-pin-pin'), '123');
    await user.type(screen.getByTestId('add-pin-again'), '123');
    await user.click(screen.getByTestId('save-add-pin'));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent('Enter 4 to 8 digits');

    await user.type(screen.getByTestId('add-pin-pin'), '1234');
    await user.type(screen.getByTestId('add-pin-again'), '4321');
    await user.click(screen.getByTestId('save-add-pin'));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent('The two PINs are not the same');
    expect(callsOf('set_staff_pin')).toHaveLength(0);
  });

  it('shows a PIN someone else has beside the PIN, with the summary at the top, and keeps the list as saved', async () => {
    const { user, callsOf } = await openPins({
      set_staff_pin: refusal('Choose another PIN', { pin: 'Someone at this desk already has this PIN: choose another' }),
    });
    await user.selectOptions(screen.getByTestId('add-pin-staff'), 'stf_4');
    await user.click(screen.getByTestId('add-pin-role-receptionist'));
    await user.type(screen.getByTestId('add-pin-pin'), '2468');
    await user.type(screen.getByTestId('add-pin-again'), '2468');
    const before = callsOf('list_pins').length;
    await user.click(screen.getByTestId('save-add-pin'));

    const summary = await screen.findByTestId('error-summary');
    expect(summary).toHaveTextContent('Someone at this desk already has this PIN: choose another');
    expect(within(summary).getByRole('link')).toHaveAttribute('href', '#add-pin-pin');
    expect(screen.getByTestId('add-pin-pin')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('add-pin-pin')).toHaveValue('');
    // The staff member and role stay chosen; the list is read again, unchanged.
    expect(screen.getByTestId('add-pin-staff')).toHaveValue('stf_4');
    await waitFor(() => expect(callsOf('list_pins').length).toBeGreaterThan(before));
    expect(screen.getAllByTestId('pin-row')).toHaveLength(3);
    expect(screen.queryByTestId('pins-saved')).not.toBeInTheDocument();
  });

  it('a role change that would leave no manager is refused beside the role', async () => {
    const { user, callsOf } = await openPins({
      set_staff_role: refusal('This desk needs a manager', {
        role: 'This is the only manager’s PIN: make someone else a manager first',
      }),
    });
    await user.click(within(row('stf_3')).getByTestId('change-role'));
    expect(screen.getByTestId('edit-role-manager')).toBeChecked();
    await user.click(screen.getByTestId('edit-role-shift_lead'));
    await user.click(screen.getByTestId('save-role'));

    expect(callsOf('set_staff_role')).toEqual([{ staffId: 'stf_3', role: 'shift_lead' }]);
    const summary = await screen.findByTestId('error-summary');
    expect(summary).toHaveTextContent('This is the only manager’s PIN: make someone else a manager first');
    expect(within(screen.getByTestId('role-form')).getByRole('group')).toHaveAccessibleDescription(
      'Error: This is the only manager’s PIN: make someone else a manager first',
    );
    // Still a manager in the list.
    expect(within(row('stf_3')).getByTestId('pin-role')).toHaveTextContent('Manager');
  });

  it('changes a role', async () => {
    const { user, callsOf } = await openPins({
      set_staff_role: { staff_id: 'stf_1', name: 'Aisha Khan', role: 'shift_lead' },
    });
    await user.click(within(row('stf_1')).getByTestId('change-role'));
    await user.click(screen.getByTestId('edit-role-shift_lead'));
    await user.click(screen.getByTestId('save-role'));

    expect(callsOf('set_staff_role')).toEqual([{ staffId: 'stf_1', role: 'shift_lead' }]);
    expect(await screen.findByTestId('pins-saved')).toHaveTextContent('Aisha Khan is now shift lead');
  });

  it('resets a PIN, keeping the role', async () => {
    const { user, callsOf } = await openPins({
      set_staff_pin: { staff_id: 'stf_2', name: 'Femi Hughes', role: 'shift_lead' },
    });
    await user.click(within(row('stf_2')).getByTestId('reset-pin'));
    expect(screen.getByTestId('reset-pin-pin')).toHaveFocus();
    await user.type(screen.getByTestId('reset-pin-pin'), '5555');
    await user.type(screen.getByTestId('reset-pin-again'), '5555');
    await user.click(screen.getByTestId('save-reset-pin'));

    expect(callsOf('set_staff_pin')).toEqual([{ staffId: 'stf_2', pin: '5555', role: 'shift_lead' }]);
    expect(await screen.findByTestId('pins-saved')).toHaveTextContent('New PIN saved for Femi Hughes');
    expect(screen.queryByTestId('reset-form')).not.toBeInTheDocument();
  });

  it('removes a PIN only after confirmation', async () => {
    const { user, callsOf } = await openPins({ remove_staff_pin: null });

    await user.click(within(row('stf_1')).getByTestId('remove-pin'));
    expect(screen.getByTestId('remove-form')).toHaveTextContent('Remove Aisha Khan’s PIN?');
    await user.click(screen.getByTestId('keep-pin'));
    expect(callsOf('remove_staff_pin')).toHaveLength(0);
    expect(within(row('stf_1')).getByTestId('change-role')).toHaveFocus();

    await user.click(within(row('stf_1')).getByTestId('remove-pin'));
    await user.click(screen.getByTestId('confirm-remove-pin'));
    expect(callsOf('remove_staff_pin')).toEqual([{ staffId: 'stf_1' }]);
    expect(await screen.findByTestId('pins-saved')).toHaveTextContent('Aisha Khan’s PIN removed');
  });

  it('the last manager’s PIN cannot be removed: said beside the confirmation and at the top', async () => {
    const { user } = await openPins({
      remove_staff_pin: refusal('This desk needs a manager', {
        staff_id: 'This is the only manager’s PIN: make someone else a manager first',
      }),
    });
    await user.click(within(row('stf_3')).getByTestId('remove-pin'));
    expect(screen.getByTestId('remove-form')).toHaveTextContent('You are signed in with this PIN: the console locks at once.');
    await user.click(screen.getByTestId('confirm-remove-pin'));

    expect(await screen.findByTestId('remove-pin-error')).toHaveTextContent('make someone else a manager first');
    expect(within(screen.getByTestId('error-summary')).getByRole('link')).toHaveAttribute('href', '#confirm-remove-pin');
    expect(screen.getAllByTestId('pin-row')).toHaveLength(3);
  });

  it('sets the idle minutes, 1 to 60', async () => {
    const { user, callsOf } = await openPins({ set_idle_lock: signedIn('manager', { idle_minutes: 1 }) });
    const minutes = screen.getByTestId('idle-minutes');
    expect(minutes).toHaveValue('5');

    await user.clear(minutes);
    await user.type(minutes, '0');
    await user.click(screen.getByTestId('save-idle-minutes'));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent('Enter a whole number of minutes from 1 to 60');
    expect(callsOf('set_idle_lock')).toHaveLength(0);

    await user.clear(minutes);
    await user.type(minutes, '1');
    await user.click(screen.getByTestId('save-idle-minutes'));
    expect(callsOf('set_idle_lock')).toEqual([{ minutes: 1 }]);
    expect(await screen.findByTestId('pins-saved')).toHaveTextContent('The console now locks after 1 minute without use');
  });
});
