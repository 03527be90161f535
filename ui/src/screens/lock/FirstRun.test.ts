import { screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Staff } from '../../bindings/Staff';
import { CommandFailure, lockStatus } from '../../test/ipc';
import { signedIn, startDesk } from '../../test/console';
import { navScreens } from '../console/screens';

function member(id: string, full_name: string, overrides: Partial<Staff> = {}): Staff {
  return {
    id,
    full_name,
    preferred_name: null,
    role: 'manager',
    email: null,
    phone: null,
    location_id: 'loc_rowan',
    status: 'active',
    certification_summary: null,
    created_at: null,
    updated_at: '2026-11-01T00:00:00Z',
    ...overrides,
  };
}

const directory = [
  member('stf_3', 'Jack Ali'),
  member('stf_1', 'Aisha Khan', { role: 'carer' }),
  member('stf_9', 'Olivia Left', { status: 'inactive' }),
];

describe('while the desk is being set up', () => {
  it('every console screen says anyone can open it until a manager PIN is set, with a link', async () => {
    const { user } = await startDesk({
      list_staff: directory,
      search_residents: [],
      list_visits: [],
      outbox_attention: [],
    });

    for (const { id } of navScreens) {
      await user.click(screen.getByTestId(`console-nav-${id}`));
      const notice = screen.getByTestId('setting-up-notice');
      expect(notice).toHaveTextContent('Anyone at this desk can open the Staff console');
      expect(notice).toHaveTextContent('until a manager PIN is set');
      expect(within(notice).getByTestId('set-manager-pin-link')).toBeInTheDocument();
    }
  });

  it('the manager is chosen from the synced directory (active staff only) and the PIN typed twice', async () => {
    const { user } = await startDesk({ list_staff: directory });
    await user.click(screen.getByTestId('set-manager-pin-link'));

    expect(screen.getByRole('heading', { level: 1, name: 'Set a manager PIN' })).toBeInTheDocument();
    const options = within(await screen.findByTestId('manager-pin-staff')).getAllByRole('option');
    expect(options.map((o) => o.textContent)).toEqual(['Choose a staff member', 'Aisha Khan, Carer', 'Jack Ali, Manager']);
  });

  it('refuses, beside each field and at the top, no manager, a short PIN, letters, two different PINs', async () => {
    const { user, callsOf } = await startDesk({ list_staff: directory });
    await user.click(screen.getByTestId('set-manager-pin-link'));
    await screen.findByTestId('manager-pin-form');

    await user.click(screen.getByTestId('save-manager-pin'));
    let summary = await screen.findByTestId('error-summary');
    expect(within(summary).getAllByRole('link').map((l) => l.textContent)).toEqual([
      'Choose the manager from the staff directory',
      'Enter a PIN of 4 to 8 digits',
      'Enter the PIN again',
    ]);
    expect(screen.getByTestId('manager-pin-staff')).toHaveAccessibleDescription(
      'From the staff directory synced from CareLoop. Error: Choose the manager from the staff directory',
    );

    await user.selectOptions(screen.getByTestId('manager-pin-staff'), 'stf_3');
    await user.type(screen.getByTestId('manager-pin-pin'), '123');
    await user.type(screen.getByTestId('manager-pin-again'), '123');
    await user.click(screen.getByTestId('save-manager-pin'));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent('Enter 4 to 8 digits');

    await user.type(screen.getByTestId('manager-pin-pin'), '12a4');
    await user.type(screen.getByTestId('manager-pin-again'), '12a4');
    await user.click(screen.getByTestId('save-manager-pin'));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent('A PIN has digits only');

    await user.type(screen.getByTestId('manager-pin-pin'), '2468');
    await user.type(screen.getByTestId('manager-pin-again'), '2469');
    await user.click(screen.getByTestId('save-manager-pin'));
    summary = await screen.findByTestId('error-summary');
    expect(summary).toHaveTextContent('The two PINs are not the same');
    // Nothing typed stays after a refusal.
    expect(screen.getByTestId('manager-pin-pin')).toHaveValue('');
    expect(callsOf('set_first_manager_pin')).toHaveLength(0);
  });

  it('shows Rust’s refusal beside its field', async () => {
    const { user } = await startDesk({
      list_staff: directory,
      set_first_manager_pin: new CommandFailure({
        code: 'invalid_input',
        message: 'Check the staff member',
        fields: { staff_id: 'Choose a staff member from the directory' },
      }),
    });
    await user.click(screen.getByTestId('set-manager-pin-link'));
    await user.selectOptions(await screen.findByTestId('manager-pin-staff'), 'stf_3');
    await user.type(screen.getByTestId('manager-pin-pin'), '2468');
    await user.type(screen.getByTestId('manager-pin-again'), '2468');
    await user.click(screen.getByTestId('save-manager-pin'));

    expect(await screen.findByTestId('error-summary')).toHaveTextContent('Choose a staff member from the directory');
    expect(screen.getByTestId('manager-pin-staff')).toHaveAttribute('aria-invalid', 'true');
  });

  it('once set, the manager is signed in, the notice goes and Lock appears', async () => {
    const { user, callsOf } = await startDesk({ list_staff: directory, set_first_manager_pin: signedIn('manager') });
    await user.click(screen.getByTestId('set-manager-pin-link'));
    await user.selectOptions(await screen.findByTestId('manager-pin-staff'), 'stf_3');
    await user.type(screen.getByTestId('manager-pin-pin'), '2468');
    await user.type(screen.getByTestId('manager-pin-again'), '2468');
    await user.click(screen.getByTestId('save-manager-pin'));

    expect(callsOf('set_first_manager_pin')).toEqual([{ staffId: 'stf_3', pin: '2468' }]);
    expect(await screen.findByRole('heading', { level: 1, name: 'Manager PIN set' })).toHaveFocus();
    expect(screen.queryByTestId('setting-up-notice')).not.toBeInTheDocument();
    expect(screen.getByTestId('signed-in-name')).toHaveTextContent('Jack Ali');
    expect(screen.getByTestId('lock-desk')).toBeInTheDocument();
  });

  it('says so when the staff directory has not arrived yet, pointing to Settings', async () => {
    const { user } = await startDesk({ list_staff: [] });
    await user.click(screen.getByTestId('set-manager-pin-link'));

    expect(await screen.findByTestId('no-staff-directory')).toHaveTextContent('The staff directory comes from CareLoop');
    await user.click(screen.getByTestId('manager-pin-settings'));
    expect(screen.getByRole('heading', { level: 1, name: 'Settings' })).toBeInTheDocument();
  });

  it('no notice once a PIN is set', async () => {
    await startDesk({ lock_status: lockStatus({ setting_up: false, session: signedIn().session }) });
    expect(screen.queryByTestId('setting-up-notice')).not.toBeInTheDocument();
  });
});
