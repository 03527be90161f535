import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpdateStatus } from '../../bindings/UpdateStatus';
import { formOpen } from '../../lib/form-open.svelte';
import { CommandFailure, mockCommands } from '../../test/ipc';
import UpdateBanner from './UpdateBanner.svelte';

const ready: UpdateStatus = {
  address: 'https://updates.example.org/latest.json',
  quiet_time: '03:00',
  running_version: '0.1.0',
  state: { state: 'ready', version: '0.2.0', notes: null },
  message: 'Version 0.2.0 is ready to install.',
  checked: 'today at 09:00',
  next_check: 'today at 13:00',
  kiosk_mode: false,
  install_note: null,
  may_install: true,
};

describe('the console’s update banner', () => {
  afterEach(() => {
    formOpen.setConsole(false);
    formOpen.setKiosk(false);
  });

  it('offers a verified update calmly, with Install', async () => {
    const { calls } = mockCommands({
      update_status: ready,
      set_form_open: null,
      install_update: { ...ready, state: { state: 'installed', version: '0.2.0' }, message: 'Version 0.2.0 is installed. Loopdesk restarts to use it.', may_install: false },
    });
    const user = userEvent.setup();
    render(UpdateBanner);
    expect(await screen.findByText('Version 0.2.0 is ready to install')).toBeInTheDocument();
    await user.click(screen.getByTestId('install-update'));
    expect(await screen.findByRole('status')).toHaveTextContent('Loopdesk restarts to use it.');
    expect(calls).toContain('install_update');
  });

  it('stays away while a form is being filled in', async () => {
    mockCommands({ update_status: ready, set_form_open: null });
    formOpen.setConsole(true);
    render(UpdateBanner);
    await expect.poll(() => formOpen.open).toBe(true);
    expect(screen.queryByTestId('update-banner')).not.toBeInTheDocument();
    formOpen.setConsole(false);
    expect(await screen.findByTestId('update-banner')).toBeInTheDocument();
  });

  it('says a refused install in words', async () => {
    mockCommands({
      update_status: ready,
      set_form_open: null,
      install_update: new CommandFailure({
        code: 'unavailable',
        message: 'Version 0.2.0 was refused: the downloaded file does not match its signature.',
      }),
    });
    const user = userEvent.setup();
    render(UpdateBanner);
    await user.click(await screen.findByTestId('install-update'));
    expect(await screen.findByRole('alert')).toHaveTextContent('does not match its signature');
  });
});
