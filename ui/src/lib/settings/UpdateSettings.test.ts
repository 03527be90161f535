import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { UpdateStatus } from '../../bindings/UpdateStatus';
import { CommandFailure, mockCommands } from '../../test/ipc';
import UpdateSettings from './UpdateSettings.svelte';

const none: UpdateStatus = {
  address: null,
  quiet_time: '03:00',
  running_version: '0.1.0',
  state: { state: 'not_configured' },
  message: 'No update address is set, so Loopdesk does not check for updates.',
  checked: null,
  next_check: null,
  kiosk_mode: false,
  install_note: null,
  may_install: false,
};

describe('Settings → Updates', () => {
  it('says plainly that without an address there are no checks', async () => {
    mockCommands({ update_status: none });
    render(UpdateSettings);
    expect(await screen.findByTestId('update-message')).toHaveTextContent(
      'No update address is set, so Loopdesk does not check for updates.',
    );
    expect(screen.queryByTestId('check-for-update')).not.toBeInTheDocument();
  });

  it('saves the address, shows a refusal beside the field, and what a check found', async () => {
    const address = 'https://updates.example.org/latest.json';
    const { log } = mockCommands({
      update_status: none,
      save_update_settings: (args: Record<string, unknown>) => {
        const s = args.settings as { address: string };
        if (s.address.startsWith('http://')) {
          return new CommandFailure({
            code: 'invalid_input',
            message: 'Check the update settings',
            fields: { address: 'The update address must start with https:// (http:// only for this computer)' },
          });
        }
        return { ...none, address, state: { state: 'not_checked' }, message: 'Loopdesk has not checked for updates yet.' };
      },
      check_for_update: {
        ...none,
        address,
        state: { state: 'ready', version: '0.2.0', notes: 'Faster visitor sign-in.' },
        message: 'Version 0.2.0 is ready to install.',
        checked: 'today at 09:00',
        may_install: true,
      },
    });
    const user = userEvent.setup();
    render(UpdateSettings);
    const field = await screen.findByLabelText('Update address');
    await user.type(field, 'http://updates.example.org/latest.json');
    await user.click(screen.getByTestId('save-update-settings'));
    expect(await screen.findAllByText(/must start with https:\/\//)).not.toHaveLength(0);

    await user.clear(field);
    await user.type(field, address);
    await user.click(screen.getByTestId('save-update-settings'));
    expect(await screen.findByTestId('update-saved')).toHaveTextContent('Update settings saved');
    await user.click(screen.getByTestId('check-for-update'));
    expect(await screen.findByText('Version 0.2.0 is available')).toBeInTheDocument();
    expect(screen.getByTestId('update-notes')).toHaveTextContent('Faster visitor sign-in.');
    expect(log.find((c) => c.cmd === 'save_update_settings')?.args).toEqual({
      settings: { address: 'http://updates.example.org/latest.json', quiet_time: '03:00' },
    });
  });

  it('shows a refused update as an alert', async () => {
    mockCommands({
      update_status: {
        ...none,
        address: 'https://updates.example.org/latest.json',
        state: { state: 'refused', problem: 'wrong_key', version: '0.2.0' },
        message: "Version 0.2.0 was refused: it is not signed by Loopdesk's publisher.",
      },
    });
    render(UpdateSettings);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Update refused');
    expect(alert).toHaveTextContent("not signed by Loopdesk's publisher");
  });
});
