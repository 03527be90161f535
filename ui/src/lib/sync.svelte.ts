// The sync state every console screen shows: watched through `watch_sync`, read once with
// `sync_status` on start (and polled if watching is not possible).
import { getContext, setContext } from 'svelte';
import type { CommandError } from '../bindings/CommandError';
import type { Progress } from '../bindings/Progress';
import type { SyncEvent } from '../bindings/SyncEvent';
import type { SyncStatus } from '../bindings/SyncStatus';
import { syncNow, syncStatus, watchSync } from './api';
import { since } from './format';

const pollMs = 15_000;

export class SyncStore {
  status: SyncStatus | null = $state(null);
  /** The pull in progress (from the latest progress event or status). */
  progress: Progress | null = $state(null);
  /** Why the status could not be read, if it could not. */
  error: CommandError | null = $state(null);
  syncing: boolean = $state(false);
  /** Why the last "Sync now" failed. */
  syncError: CommandError | null = $state(null);
  /** Bumped whenever the outbox may have changed, so lists can reload. */
  revision: number = $state(0);
  /** Bumped whenever a pull brought something (a resource's last success moved). */
  pulled: number = $state(0);

  #timer: ReturnType<typeof setInterval> | undefined;
  #gotEvent = false;

  async start(): Promise<void> {
    let watching = true;
    try {
      await watchSync((event) => this.apply(event));
    } catch {
      watching = false;
    }
    await this.refresh(true);
    if (!watching) this.#timer = setInterval(() => void this.refresh(), pollMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Reads the status now; `onlyIfQuiet` skips it when an event already told us. */
  async refresh(onlyIfQuiet = false): Promise<void> {
    try {
      const status = await syncStatus();
      if (onlyIfQuiet && this.#gotEvent) return;
      this.setStatus(status);
      this.error = null;
    } catch (error) {
      this.error = error as CommandError;
    }
  }

  apply(event: SyncEvent): void {
    this.#gotEvent = true;
    if (event.event === 'status') {
      this.setStatus(event.data);
      this.error = null;
    } else {
      this.progress = event.data.done >= event.data.total && event.data.total > 0 ? null : event.data;
    }
  }

  private setStatus(status: SyncStatus): void {
    const previous = this.status;
    this.status = status;
    this.progress = status.progress;
    if (
      !previous ||
      previous.queued !== status.queued ||
      previous.needs_attention !== status.needs_attention
    ) {
      this.revision += 1;
    }
    if (previous && lastSuccesses(previous) !== lastSuccesses(status)) this.pulled += 1;
  }

  async syncNow(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    this.syncError = null;
    try {
      await syncNow();
    } catch (error) {
      this.syncError = error as CommandError;
    } finally {
      this.syncing = false;
      this.progress = null;
      await this.refresh();
      this.revision += 1;
    }
  }
}

/**
 * How long the desk waits at most before telling the window of a later "last synced" alone
 * (`STATUS_REFRESH` in crates/core/src/sync/shared.rs): while online the desk syncs each minute
 * but the window hears of it only every five minutes, so that an idle desk does not wake it.
 */
export const STATUS_REFRESH_MS = 5 * 60_000;

/**
 * "just now" / "4 minutes ago" / "yesterday at 22:10" for the newest successful sync. While the
 * desk says it is online its last cycle succeeded (a failed one is told at once, as offline or
 * having trouble), so a time under the refresh plus a cycle old reads "just now".
 */
export function syncedSince(at: string, connection: SyncStatus['connection'] | undefined, now: Date): string {
  const age = now.getTime() - new Date(at).getTime();
  if (connection === 'online' && age >= 0 && age < STATUS_REFRESH_MS + 60_000) return 'just now';
  return since(at, now);
}

function lastSuccesses(status: SyncStatus): string {
  return status.resources.map((r) => `${r.resource}=${r.last_success_at ?? ''}`).join(',');
}

const key = Symbol('sync');

export function setSync(store: SyncStore): SyncStore {
  return setContext(key, store);
}

export function getSync(): SyncStore {
  const store = getContext<SyncStore | undefined>(key);
  if (!store) throw new Error('getSync() used outside the shell');
  return store;
}
