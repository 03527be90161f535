import { screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { CommandFailure } from '../../test/ipc';
import { settingsView, startDesk } from '../../test/console';

describe('settings', () => {
  it('shows the saved values and never more of the key than its last characters', async () => {
    await startDesk({}, { screen: 'settings' });

    expect(await screen.findByTestId('settings-api-url')).toHaveValue('https://api.careloop.com');
    const key = screen.getByTestId('settings-api-key');
    expect(key).toHaveAttribute('type', 'password');
    expect(key).toHaveValue('');
    expect(screen.getByTestId('api-key-hint')).toHaveTextContent('Key saved, ends in …4f9e');
    expect(screen.getByTestId('settings-location')).toHaveValue('loc_rowan');
  });

  it('saves the address, the home and a new key (only when one is typed), then shows only its hint', async () => {
    const { user, callsOf } = await startDesk(
      {
        get_settings: settingsView({ api_key_hint: null, api_base_url: null, location_id: null }),
        save_settings: (args: Record<string, unknown>) =>
          settingsView({ api_base_url: String(args.apiBaseUrl), api_key_hint: args.apiKey ? '…c0de' : null }),
      },
      { screen: 'settings' },
    );
    const url = await screen.findByTestId('settings-api-url');
    await user.type(url, 'https://api.careloop.com');
    await user.selectOptions(screen.getByTestId('settings-location'), 'Rowan House');
    await user.type(screen.getByTestId('settings-api-key'), 'sk_live_0123456789c0de');
    await user.click(screen.getByTestId('save-api-settings'));

    expect(callsOf('save_settings')).toEqual([
      { apiBaseUrl: 'https://api.careloop.com', locationId: 'loc_rowan', apiKey: 'sk_live_0123456789c0de' },
    ]);
    expect(await screen.findByTestId('api-key-hint')).toHaveTextContent('Key saved, ends in …c0de');
    expect(screen.getByTestId('settings-api-key')).toHaveValue('');
    expect(document.body).not.toHaveTextContent('sk_live_0123456789c0de');

    await user.click(screen.getByTestId('save-api-settings'));
    expect(callsOf('save_settings')[1]).toEqual({ apiBaseUrl: 'https://api.careloop.com', locationId: 'loc_rowan' });
  });

  it('shows a refused address beside the field', async () => {
    const { user } = await startDesk(
      {
        save_settings: new CommandFailure({
          code: 'invalid_input',
          message: 'Check the settings',
          fields: { api_base_url: 'Enter the API address, e.g. https://api.careloop.com' },
        }),
      },
      { screen: 'settings' },
    );
    await user.click(await screen.findByTestId('save-api-settings'));

    expect(await screen.findByTestId('error-summary')).toHaveTextContent('Enter the API address');
    expect(screen.getByLabelText('API address')).toHaveAccessibleDescription(
      'For example https://api.careloop.com Error: Enter the API address, e.g. https://api.careloop.com',
    );
  });

  it('"Test connection" says what the key can read and write', async () => {
    const { user } = await startDesk(
      {
        test_connection: {
          ok: true,
          message: 'Connected to https://api.careloop.com.',
          can_read: ['residents', 'staff', 'visits'],
          can_write: ['visits', 'care_notes'],
        },
      },
      { screen: 'settings' },
    );
    await user.click(await screen.findByTestId('test-connection'));

    const result = await screen.findByTestId('connection-test');
    expect(result).toHaveAttribute('data-ok', 'true');
    expect(within(result).getByTestId('can-read')).toHaveTextContent('residents, staff, visits');
    expect(within(result).getByTestId('can-write')).toHaveTextContent('visits, care notes');
  });

  it('saves the bridge address and device token the same way', async () => {
    const { user, callsOf } = await startDesk(
      {
        save_bridge_settings: (args: Record<string, unknown>) =>
          settingsView({ bridge_url: String(args.bridgeUrl), device_token_hint: '…9c2a' }),
      },
      { screen: 'settings' },
    );
    await user.type(await screen.findByTestId('settings-bridge-url'), 'https://bridge.example.org');
    await user.type(screen.getByTestId('settings-device-token'), 'tok_abc9c2a');
    await user.click(screen.getByTestId('save-bridge-settings'));

    expect(callsOf('save_bridge_settings')).toEqual([{ bridgeUrl: 'https://bridge.example.org', deviceToken: 'tok_abc9c2a' }]);
    expect(await screen.findByTestId('device-token-hint')).toHaveTextContent('Token saved, ends in …9c2a');
    expect(screen.getByTestId('settings-device-token')).toHaveValue('');
  });

  it('in demo mode says so and can send a test alert of both kinds', async () => {
    const { user, callsOf } = await startDesk(
      { get_settings: settingsView({ demo: true }), trigger_demo_alert: null },
      { screen: 'settings' },
    );

    expect(await screen.findByTestId('demo-note')).toHaveTextContent('Demo mode: using the built-in demo CareLoop');
    await user.click(screen.getByTestId('demo-alert-incident'));
    await user.click(screen.getByTestId('demo-alert-no-show'));

    expect(callsOf('trigger_demo_alert')).toEqual([{ kind: 'incident.critical' }, { kind: 'visit.no_show' }]);
    expect(await screen.findByTestId('demo-alert-sent')).toBeInTheDocument();
  });

  it('outside demo mode offers no test alerts', async () => {
    await startDesk({}, { screen: 'settings' });
    await screen.findByTestId('settings-api-url');

    expect(screen.queryByTestId('demo-note')).not.toBeInTheDocument();
    expect(screen.queryByTestId('demo-alert-incident')).not.toBeInTheDocument();
  });
});

describe('a saved key belongs to its address', () => {
  it('says, while another address is typed, that the saved key will be removed and asks for the new one', async () => {
    const { user } = await startDesk({}, { screen: 'settings' });
    const url = await screen.findByTestId('settings-api-url');
    expect(screen.getByTestId('api-key-hint')).toHaveTextContent('Key saved, ends in …4f9e');

    await user.clear(url);
    await user.type(url, 'https://careloop.example.org');
    expect(screen.queryByTestId('api-key-hint')).not.toBeInTheDocument();
    expect(screen.getByTestId('api-key-hint-new-address')).toHaveTextContent('New address: enter its key');
    expect(screen.getByLabelText('API key')).toHaveAccessibleDescription(
      'This is a new address: enter its own key. The saved key (ends in …4f9e) is only ever sent to https://api.careloop.com, and is removed when you save.',
    );

    // The same address again (a trailing slash does not make it another): the key stays.
    await user.clear(url);
    await user.type(url, 'https://api.careloop.com/');
    expect(screen.getByTestId('api-key-hint')).toHaveTextContent('Key saved, ends in …4f9e');
  });
});
