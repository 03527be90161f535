import { describe, expect, it } from 'vitest';
import { STATUS_REFRESH_MS, syncedSince } from './sync.svelte';

// The desk tells the window of a later "last synced" alone at most every five minutes (so that
// an idle kiosk's webview is not woken each minute): while online, the words must not drift.
describe('syncedSince', () => {
  const now = new Date('2026-11-26T10:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

  it('says just now while online between two refreshes', () => {
    expect(syncedSince(ago(4 * 60_000), 'online', now)).toBe('just now');
    expect(syncedSince(ago(STATUS_REFRESH_MS + 30_000), 'online', now)).toBe('just now');
  });

  it('says how long ago when not online, or when the refresh is overdue', () => {
    expect(syncedSince(ago(4 * 60_000), 'offline', now)).toBe('4 minutes ago');
    expect(syncedSince(ago(4 * 60_000), 'degraded', now)).toBe('4 minutes ago');
    expect(syncedSince(ago(10 * 60_000), 'online', now)).toBe('10 minutes ago');
  });
});
