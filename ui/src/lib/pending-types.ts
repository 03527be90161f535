// Types the alerts contract (/tmp/alerts-contract.md, issue 5) promises but whose ts-rs
// bindings are not generated yet. Declared exactly as the contract says; each one is deleted
// here as soon as its generated twin lands in src/bindings/.
import type { Alert } from '../bindings/Alert';
import type { SettingsView as GeneratedSettingsView } from '../bindings/SettingsView';

/** list_alerts: open (oldest first) and recent (newest first, last 100). */
export type AlertsView = { open: Array<Alert>; recent: Array<Alert> };

/** Whether alerts reach this desk. `not_arriving`: the last good poll is over 90 s old. */
export type AlertFeedStatus = {
  state: 'not_configured' | 'arriving' | 'not_arriving';
  last_success_at: string | null;
  message: string | null;
  open_count: number;
};

/** What `watch_alerts` streams. */
export type AlertEvent =
  | { event: 'raised'; data: Alert }
  | { event: 'acknowledged'; data: Alert }
  | { event: 'feed'; data: AlertFeedStatus };

/** get_settings with the bridge fields the alerts contract adds. */
export type SettingsView = GeneratedSettingsView & {
  bridge_url: string | null;
  device_token_hint: string | null;
};
