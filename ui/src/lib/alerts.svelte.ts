// Open alerts and whether alerts are arriving, for the banner, the kiosk indicator and the
// alerts centre. Watched through `watch_alerts`; read with `list_alerts` + `alert_feed_status`
// on start, and polled whenever watching is not possible.
//
// On the locked kiosk (`kiosk`) only how many alerts are open may be known: `list_alerts` is a
// staff command, the events arrive without their words, and nothing is kept but the count
// (`alert_feed_status`). Until the lock has been read the store counts as the kiosk.
import { getContext, setContext } from 'svelte';
import type { Alert } from '../bindings/Alert';
import type { CommandError } from '../bindings/CommandError';
import { acknowledgeAlert, alertFeedStatus, listAlerts, watchAlerts } from './api';
import type { AlertEvent } from '../bindings/AlertEvent';
import type { AlertFeedStatus } from '../bindings/AlertFeedStatus';

const pollMs = 10_000;

/** How urgent an alert of `kind` is, lower first: critical incidents, missed visits, the rest. */
export function alertRank(kind: string): number {
  switch (kind) {
    case 'incident.critical':
      return 0;
    case 'visit.no_show':
      return 1;
    default:
      return 2;
  }
}

/**
 * The desk's order of open alerts (`list_alerts`): most urgent first, the newest first within
 * a kind. Negative when `a` comes before `b`.
 */
export function byUrgency(a: Alert, b: Alert): number {
  return (
    alertRank(a.kind) - alertRank(b.kind) ||
    Date.parse(b.raised_at) - Date.parse(a.raised_at) ||
    b.id - a.id
  );
}
const recentLimit = 100;

export class AlertsStore {
  /** Most urgent first (see `byUrgency`): as `list_alerts` gives them, raised ones at their place. */
  open: Alert[] = $state([]);
  /** Newest first, open and acknowledged. */
  recent: Alert[] = $state([]);
  feed: AlertFeedStatus | null = $state(null);
  /** Why the alerts or the feed state could not be read: treated as "not arriving". */
  error: CommandError | null = $state(null);
  loaded: boolean = $state(false);
  /** The desk is locked to the kiosk: only the count of open alerts, never their words. */
  kiosk: boolean = $state(true);

  #timer: ReturnType<typeof setInterval> | undefined;
  /** Events that arrived while a read was in flight: applied again on top of its answer. */
  #during: AlertEvent[] | null = null;

  /**
   * Silence must never look like safety: anything but a confirmed "arriving" (or "not set up")
   * shows the warning.
   */
  get notArriving(): boolean {
    if (this.error) return true;
    return this.feed?.state === 'not_arriving';
  }

  async start(): Promise<void> {
    let watching = true;
    try {
      await watchAlerts((event) => this.apply(event));
    } catch {
      watching = false;
    }
    await this.refresh();
    if (!watching) this.#timer = setInterval(() => void this.refresh(), pollMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** How many alerts are open (on the kiosk, as the feed counts them). */
  get openCount(): number {
    return this.kiosk ? (this.feed?.open_count ?? 0) : this.open.length;
  }

  /**
   * The console locked (`true`: forget every alert's words, keep the count) or opened (read the
   * alerts in full).
   */
  setKiosk(kiosk: boolean): void {
    if (kiosk === this.kiosk) return;
    this.kiosk = kiosk;
    if (kiosk) {
      this.open = [];
      this.recent = [];
    }
    void this.refresh();
  }

  async refresh(): Promise<void> {
    const during: AlertEvent[] = [];
    this.#during = during;
    const kiosk = this.kiosk;
    try {
      if (kiosk) {
        this.feed = await alertFeedStatus();
      } else {
        const [view, feed] = await Promise.all([listAlerts(), alertFeedStatus()]);
        // Read for the console, but the desk locked meanwhile: keep nothing.
        if (this.kiosk) return;
        this.open = view.open;
        this.recent = view.recent;
        this.feed = feed;
      }
      this.error = null;
    } catch (error) {
      this.error = error as CommandError;
    } finally {
      if (this.#during === during) this.#during = null;
      // An alert raised while the list was being read must not be lost from the screen.
      for (const event of during) this.apply(event);
      this.loaded = true;
    }
  }

  apply(event: AlertEvent): void {
    this.#during?.push(event);
    if (event.event === 'feed') {
      this.feed = event.data;
      this.error = null;
      return;
    }
    const alert = event.data;
    // The kiosk keeps no alert, and an alert without its words (sent while the desk was locked)
    // has no place on the console: either way, read again what may be shown.
    if (this.kiosk || alert.key === '') {
      if (!this.#during) void this.refresh();
      return;
    }
    if (event.event === 'raised' && alert.acknowledged_at === null) {
      if (!this.open.some((a) => a.id === alert.id)) {
        // At its place by the desk's rule, not at the end: the banner leads with the most urgent.
        const at = this.open.findIndex((a) => byUrgency(alert, a) < 0);
        this.open = at === -1 ? [...this.open, alert] : [...this.open.slice(0, at), alert, ...this.open.slice(at)];
      }
    } else {
      this.open = this.open.filter((a) => a.id !== alert.id);
    }
    this.recent = [alert, ...this.recent.filter((a) => a.id !== alert.id)]
      .sort((a, b) => b.raised_at.localeCompare(a.raised_at))
      .slice(0, recentLimit);
  }

  /** Rejects with the CommandError (fields.by when the name is missing). */
  async acknowledge(id: number, by: string): Promise<Alert> {
    const alert = await acknowledgeAlert(id, by);
    this.apply({ event: 'acknowledged', data: alert });
    return alert;
  }
}

const key = Symbol('alerts');

export function setAlerts(store: AlertsStore): AlertsStore {
  return setContext(key, store);
}

export function getAlerts(): AlertsStore {
  const store = getContext<AlertsStore | undefined>(key);
  if (!store) throw new Error('getAlerts() used outside the shell');
  return store;
}
