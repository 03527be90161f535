// The staff lock as the window shows it: who is signed in and their role, whether the desk is
// still being set up (open to anyone until a manager PIN is set), a pause after wrong PINs.
// Rust decides everything (every command checks the lock itself); this only follows it:
// read with `lock_status` on start, watched through `watch_lock`, and read again whenever a
// command answers `locked` or `forbidden`.
import { getContext, setContext } from 'svelte';
import type { CommandError } from '../bindings/CommandError';
import type { DeskRole } from '../bindings/DeskRole';
import type { LockEvent } from '../bindings/LockEvent';
import type { LockStatus } from '../bindings/LockStatus';
import type { Session } from '../bindings/Session';
import { lockDesk, lockStatus, onAccessRefused, stillHere, unlock, watchLock } from './api';

/** Receptionist < shift lead < manager: each may do what the ones before may. */
export const roleRank: Record<DeskRole, number> = { receptionist: 1, shift_lead: 2, manager: 3 };

export const roleWords: Record<DeskRole, string> = {
  receptionist: 'Receptionist',
  shift_lead: 'Shift lead',
  manager: 'Manager',
};

/** How often, at most, activity at the desk is told to Rust (`still_here`). */
export const stillHereEveryMs = 60_000;
/** How long the kiosk shows why the console locked. */
export const noticeMs = 30_000;

/** How the console came to be locked: a person or the idle time (an event), or a refused command. */
export type LockedBy = 'event' | 'answer';

type Hooks = {
  /** The console locked: drop what was on it. */
  onlocked?: (by: LockedBy) => void;
  /** Someone unlocked it (or it was set up). */
  onunlocked?: () => void;
};

export class LockStore {
  status: LockStatus | null = $state(null);
  /** Why the lock could not be read: the console stays closed. */
  error: CommandError | null = $state(null);
  loaded: boolean = $state(false);
  /** Why the console locked last, in words, for the kiosk (for a short while). */
  notice: string | null = $state(null);
  /** A command answered `locked`: the PIN pad says why it is showing. */
  lockedWhileUsed: boolean = $state(false);
  /** Counts the locks: a view keyed on it starts empty after every lock. */
  locks: number = $state(0);

  #hooks: Hooks;
  #lastStillHere = 0;
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;
  #stopRefused: (() => void) | undefined;
  /** The person pressed "Lock" and the desk has not answered yet. */
  #locking = false;

  constructor(hooks: Hooks = {}) {
    this.#hooks = hooks;
  }

  /** No manager PIN yet: the console is open to anyone at this desk. */
  get settingUp(): boolean {
    return this.status?.setting_up ?? false;
  }

  /** The unlocked staff member. */
  get session(): Session | null {
    return this.status?.session ?? null;
  }

  /** Whether the Staff console may show: being set up, or unlocked. */
  get open(): boolean {
    return this.settingUp || this.session !== null;
  }

  /** The role the console follows (a manager's while being set up). */
  get role(): DeskRole | null {
    if (this.settingUp) return 'manager';
    return this.session?.role ?? null;
  }

  /** Whether the console is open to someone with at least `role`. */
  allows(role: DeskRole | undefined): boolean {
    const mine = this.role;
    if (!this.open || !mine) return false;
    return !role || roleRank[mine] >= roleRank[role];
  }

  /** PIN entry is paused until then (after five wrong PINs), if it is. */
  get pausedUntil(): Date | null {
    const until = this.status?.paused_until;
    return until ? new Date(until) : null;
  }

  async start(): Promise<void> {
    this.#stopRefused = onAccessRefused((error) => void this.refused(error));
    try {
      await watchLock((event: LockEvent) => this.apply(event.status, event.reason, 'event'));
    } catch {
      // Without events the lock is still read after every refused command and on each unlock.
    }
    await this.refresh();
  }

  stop(): void {
    this.#stopRefused?.();
    clearTimeout(this.#noticeTimer);
  }

  async refresh(by: LockedBy = 'event'): Promise<void> {
    try {
      this.apply(await lockStatus(), null, by);
    } catch (error) {
      this.error = error as CommandError;
      this.loaded = true;
    }
  }

  /** A new lock status (from an event, a command's answer or a read). */
  apply(status: LockStatus, reason: string | null, by: LockedBy = 'event'): void {
    // While the person's own "Lock" is on its way, however the lock is seen first (a command
    // refused as `locked` in the meantime, say), it is theirs: back to the kiosk.
    if (this.#locking) {
      by = 'event';
      reason ??= 'Locked';
    }
    const wasOpen = this.loaded && this.open;
    const wasLoaded = this.loaded;
    this.status = status;
    this.error = null;
    this.loaded = true;
    if (wasOpen && !this.open) {
      this.locks += 1;
      this.lockedWhileUsed = by === 'answer';
      this.#showNotice(lockWords(reason));
      this.#hooks.onlocked?.(by);
    } else if (wasLoaded && !wasOpen && this.open) {
      this.lockedWhileUsed = false;
      this.#showNotice(null);
      this.#lastStillHere = Date.now();
      this.#hooks.onunlocked?.();
    }
  }

  /** Rejects with the CommandError: `invalid_input` (fields.pin) for a wrong PIN, or `paused`. */
  async unlock(staffId: string, pin: string): Promise<void> {
    try {
      this.apply(await unlock(staffId, pin), null);
    } catch (error) {
      // A wrong PIN may have started a pause: read it (when it ends).
      void this.refresh();
      throw error;
    }
  }

  /** The "Lock" button. */
  async lock(): Promise<void> {
    this.#locking = true;
    try {
      this.apply(await lockDesk(), 'Locked');
    } catch {
      await this.refresh();
    } finally {
      this.#locking = false;
    }
  }

  /** Key or pointer activity: tells Rust the person is still here, at most once a minute. */
  activity(): void {
    if (!this.session || this.settingUp) return;
    const now = Date.now();
    if (now - this.#lastStillHere < stillHereEveryMs) return;
    this.#lastStillHere = now;
    stillHere().then(
      (status) => this.apply(status, null, 'answer'),
      () => {
        // `locked` is handled by the refused-answer listener; anything else changes nothing.
      },
    );
  }

  /** A command answered `locked` or `forbidden`: the lock (or the role) changed under us. */
  private async refused(error: CommandError): Promise<void> {
    await this.refresh(error.code === 'locked' ? 'answer' : 'event');
  }

  #showNotice(words: string | null): void {
    clearTimeout(this.#noticeTimer);
    this.notice = words;
    if (words) this.#noticeTimer = setTimeout(() => (this.notice = null), noticeMs);
  }
}

/** Why the console locked, for the kiosk ("Locked after 5 minutes without use"). */
export function lockWords(reason: string | null): string {
  if (!reason || reason === 'Locked') return 'The Staff console is locked';
  return reason;
}

const key = Symbol('lock');

export function setLock(store: LockStore): LockStore {
  return setContext(key, store);
}

export function getLock(): LockStore {
  const store = getContext<LockStore | undefined>(key);
  if (!store) throw new Error('getLock() used outside the shell');
  return store;
}
