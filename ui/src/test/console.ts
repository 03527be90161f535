// Test helper: the whole app on the Staff console with a mock desk behind it, and handles to
// push sync and alert events through the channels the UI subscribed with.
import { render, screen, waitFor } from '@testing-library/svelte';
import { expect } from 'vitest';
import userEvent from '@testing-library/user-event';
import App from '../App.svelte';
import type { Alert } from '../bindings/Alert';
import type { Location } from '../bindings/Location';
import type { SyncEvent } from '../bindings/SyncEvent';
import type { SyncStatus } from '../bindings/SyncStatus';
import type { AlertEvent } from '../bindings/AlertEvent';
import type { AlertFeedStatus } from '../bindings/AlertFeedStatus';
import type { SettingsView } from '../bindings/SettingsView';
import type { LockEvent } from '../bindings/LockEvent';
import type { AreaId } from '../lib/router.svelte';
import { readyBackend, sampleInfo } from './ipc';

type Channel<T> = { onmessage: (message: T) => void };

export const sampleLocations: Location[] = [
  { id: 'loc_rowan', name: 'Rowan House', address: null, created_at: null, updated_at: '2026-11-01T00:00:00Z' },
  { id: 'loc_willow', name: 'Willow Court', address: null, created_at: null, updated_at: '2026-11-01T00:00:00Z' },
];

export function syncStatus(overrides: Partial<SyncStatus> = {}): SyncStatus {
  return {
    connection: 'online',
    message: null,
    queued: 0,
    needs_attention: 0,
    resources: [],
    progress: null,
    demo: false,
    ...overrides,
  };
}

export function feed(overrides: Partial<AlertFeedStatus> = {}): AlertFeedStatus {
  return {
    state: 'arriving',
    last_success_at: new Date().toISOString(),
    message: null,
    open_count: 0,
    ...overrides,
  };
}

export function settingsView(overrides: Partial<SettingsView> = {}): SettingsView {
  return {
    api_base_url: 'https://api.careloop.com',
    location_id: 'loc_rowan',
    api_key_hint: '…4f9e',
    demo: false,
    bridge_url: null,
    device_token_hint: null,
    ...overrides,
  };
}

export function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: 1,
    key: 'event:evt_1',
    when_at: null,
    event_id: 'evt_1',
    kind: 'incident.critical',
    title: 'Critical incident: fall in room 104',
    detail: 'Dorothy Sutcliffe was found on the floor.',
    location_id: 'loc_rowan',
    resident_id: 'res_1',
    resource_id: 'inc_1',
    raised_at: new Date(Date.now() - 4 * 60_000).toISOString(),
    acknowledged_at: null,
    acknowledged_by: null,
    ...overrides,
  };
}

/**
 * Starts the app with a ready desk. `answers` replace or add commands. Returns the backend log
 * and functions that send events down the channels the UI opened.
 */
export async function startDesk(
  answers: Record<string, unknown> = {},
  options: { area?: AreaId; screen?: string } = {},
) {
  let syncChannel: Channel<SyncEvent> | null = null;
  let alertChannel: Channel<AlertEvent> | null = null;
  let lockChannel: Channel<LockEvent> | null = null;
  const backend = readyBackend(sampleInfo, {
    sync_status: syncStatus(),
    watch_sync: (args: Record<string, unknown>) => {
      syncChannel = args.onEvent as Channel<SyncEvent>;
      return null;
    },
    list_alerts: { open: [], recent: [] },
    alert_feed_status: feed(),
    watch_alerts: (args: Record<string, unknown>) => {
      alertChannel = args.onEvent as Channel<AlertEvent>;
      return null;
    },
    get_settings: settingsView(),
    list_locations: sampleLocations,
    watch_lock: (args: Record<string, unknown>) => {
      lockChannel = args.onEvent as Channel<LockEvent>;
      return null;
    },
    ...answers,
  });
  const user = userEvent.setup();
  render(App, { initialArea: options.area ?? 'console' });
  const shell = await screen.findByTestId('shell');
  // The lock has been read (the console or the PIN pad shows).
  await waitFor(() => expect(shell).not.toHaveAttribute('data-lock', 'unknown'));
  if (options.screen) {
    await user.click(await screen.findByTestId(`console-nav-${options.screen}`));
  }
  return {
    backend,
    user,
    /** Calls of one command, with their arguments. */
    callsOf: (cmd: string) => backend.log.filter((entry) => entry.cmd === cmd).map((entry) => entry.args),
    sendSync: (event: SyncEvent) => {
      if (!syncChannel) throw new Error('the UI did not call watch_sync');
      syncChannel.onmessage(event);
    },
    sendAlert: (event: AlertEvent) => {
      if (!alertChannel) throw new Error('the UI did not call watch_alerts');
      alertChannel.onmessage(event);
    },
    /** A change of the staff lock, as Rust sends it (`watch_lock`). */
    sendLock: (event: LockEvent) => {
      if (!lockChannel) throw new Error('the UI did not call watch_lock');
      lockChannel.onmessage(event);
    },
  };
}
