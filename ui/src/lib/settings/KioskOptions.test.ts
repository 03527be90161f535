import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { CommandFailure, mockCommands } from '../../test/ipc';
import KioskOptions from './KioskOptions.svelte';

const refused = new CommandFailure({
  code: 'forbidden',
  message: 'This needs a manager at this desk. Ask one to unlock it.',
});

describe('Settings → This computer', () => {
  it('shows both options as the desk has them, each with its hint', async () => {
    mockCommands({ get_window_options: { kiosk_mode: true, start_at_login: false } });
    render(KioskOptions);

    const kiosk = await screen.findByRole('checkbox', { name: 'Kiosk mode' });
    await expect.poll(() => (kiosk as HTMLInputElement).disabled).toBe(false);
    expect(kiosk).toBeChecked();
    expect(kiosk).toHaveAccessibleDescription(
      'Loopdesk fills the screen with no title bar, and only a manager can close it.',
    );
    const login = screen.getByRole('checkbox', { name: 'Start Loopdesk when this computer starts' });
    expect(login).not.toBeChecked();
    expect(screen.getByTestId('quit-app')).toHaveTextContent('Close Loopdesk');
  });

  it('turns kiosk mode on and start-at-login off, as the desk answers', async () => {
    const { log } = mockCommands({
      get_window_options: { kiosk_mode: false, start_at_login: true },
      set_kiosk_mode: (args: Record<string, unknown>) => ({ kiosk_mode: args.enabled, start_at_login: true }),
      set_start_at_login: (args: Record<string, unknown>) => ({ kiosk_mode: true, start_at_login: args.enabled }),
    });
    const user = userEvent.setup();
    render(KioskOptions);
    const kiosk = await screen.findByRole('checkbox', { name: 'Kiosk mode' });
    await expect.poll(() => (kiosk as HTMLInputElement).disabled).toBe(false);
    expect(screen.queryByTestId('quit-app')).not.toBeInTheDocument();

    await user.click(kiosk);
    await expect.poll(() => screen.queryByTestId('quit-app')).toBeInTheDocument();
    expect(kiosk).toBeChecked();
    await user.click(screen.getByRole('checkbox', { name: 'Start Loopdesk when this computer starts' }));
    await expect
      .poll(() => screen.getByRole('checkbox', { name: 'Start Loopdesk when this computer starts' }))
      .not.toBeChecked();

    expect(log.filter((c) => c.cmd !== 'get_window_options')).toEqual([
      { cmd: 'set_kiosk_mode', args: { enabled: true } },
      { cmd: 'set_start_at_login', args: { enabled: false } },
    ]);
  });

  it('says so when the desk refuses, beside the option, which stays as it was', async () => {
    mockCommands({
      get_window_options: { kiosk_mode: false, start_at_login: false },
      set_kiosk_mode: refused,
    });
    const user = userEvent.setup();
    render(KioskOptions);
    const kiosk = await screen.findByRole('checkbox', { name: 'Kiosk mode' });
    await expect.poll(() => (kiosk as HTMLInputElement).disabled).toBe(false);

    await user.click(kiosk);

    const error = await screen.findByRole('alert');
    expect(error).toHaveTextContent('Error: This needs a manager at this desk. Ask one to unlock it.');
    expect(kiosk).not.toBeChecked();
    expect(kiosk).toHaveAccessibleDescription(
      'Loopdesk fills the screen with no title bar, and only a manager can close it. Error: This needs a manager at this desk. Ask one to unlock it.',
    );
  });

  it('says why when the options cannot be read, and offers nothing to change', async () => {
    mockCommands({ get_window_options: refused });
    render(KioskOptions);

    expect(await screen.findByRole('alert')).toHaveTextContent('This needs a manager at this desk.');
    expect(screen.getByRole('checkbox', { name: 'Kiosk mode' })).toBeDisabled();
  });
});
