import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../bindings/SyncStatus';
import { CommandFailure } from '../../test/ipc';
import { startDesk, syncStatus } from '../../test/console';

describe('sync bar', () => {
  it.each<[string, Partial<SyncStatus>, string, RegExp]>([
    ['online', { connection: 'online' }, 'online', /^Online/],
    ['offline with writes waiting', { connection: 'offline', queued: 3 }, 'offline', /Offline — 3 changes waiting/],
    ['offline with one write', { connection: 'offline', queued: 1 }, 'offline', /Offline — 1 change waiting/],
    ['degraded', { connection: 'degraded', message: 'CareLoop answered 503' }, 'degraded', /Having trouble: CareLoop answered 503/],
    ['auth failed', { connection: 'auth_failed', message: 'API key lacks scope write:visits' }, 'auth_failed', /^The API key may not change visits\s*Check the API key in Settings/],
    ['auth failed, key refused', { connection: 'auth_failed', message: 'API key invalid: CareLoop does not accept it. Enter a valid key in Settings.' }, 'auth_failed', /^CareLoop does not accept the API key/],
    ['degraded, CareLoop’s error', { connection: 'degraded', message: 'CareLoop had a problem (503): Service Unavailable' }, 'degraded', /^Having trouble: CareLoop had a problem on its side$/],
    ['not configured', { connection: 'not_configured' }, 'not_configured', /Not set up/],
    ['set up, first sync not finished', { connection: 'connecting' }, 'connecting', /Connecting to CareLoop/],
  ])('%s: a word and an icon, with the state for tests', async (_name, status, state, words) => {
    await startDesk({ sync_status: syncStatus(status) });

    const bar = await screen.findByTestId('sync-bar');
    await waitFor(() => expect(bar).toHaveAttribute('data-state', state));
    const tag = within(bar).getByTestId('sync-state');
    expect(tag.textContent?.trim()).toMatch(words);
    expect(tag.querySelector('svg[aria-hidden="true"]')).not.toBeNull();
    expect(within(bar).getByTestId('queued-count')).toHaveTextContent(String(status.queued ?? 0));
  });

  it('is on every console screen', async () => {
    const { user } = await startDesk({ search_residents: [], list_staff: [], list_visits: [] });

    for (const id of ['overview', 'residents', 'visits', 'staff', 'alerts', 'settings']) {
      await user.click(screen.getByTestId(`console-nav-${id}`));
      expect(screen.getByTestId('sync-bar')).toBeInTheDocument();
    }
  });

  it('follows the status and progress pushed through watch_sync', async () => {
    const { sendSync } = await startDesk();
    const bar = await screen.findByTestId('sync-bar');
    await waitFor(() => expect(bar).toHaveAttribute('data-state', 'online'));

    sendSync({ event: 'status', data: syncStatus({ connection: 'offline', queued: 2 }) });
    await waitFor(() => expect(bar).toHaveAttribute('data-state', 'offline'));
    expect(screen.getByTestId('queued-count')).toHaveTextContent('2');

    sendSync({ event: 'progress', data: { resource: 'residents', done: 500, total: 2000 } });
    const progress = await screen.findByRole('progressbar', { name: 'Getting residents: 500 of 2,000' });
    expect(progress).toHaveAttribute('value', '500');
    expect(progress).toHaveAttribute('max', '2000');

    sendSync({ event: 'status', data: syncStatus({ connection: 'online' }) });
    await waitFor(() => expect(screen.queryByRole('progressbar')).not.toBeInTheDocument());
  });

  it('reads sync_status even when watching is not possible', async () => {
    await startDesk({
      watch_sync: () => new CommandFailure({ code: 'internal', message: 'no channel' }),
      sync_status: syncStatus({ connection: 'degraded', message: 'timeouts' }),
    });

    await waitFor(() => expect(screen.getByTestId('sync-bar')).toHaveAttribute('data-state', 'degraded'));
  });

  it('"Sync now" runs a cycle and says when it fails', async () => {
    let fail = false;
    const { user, callsOf } = await startDesk({
      sync_now: () => (fail ? new CommandFailure({ code: 'unavailable', message: 'CareLoop cannot be reached.' }) : null),
    });

    await user.click(screen.getByTestId('sync-now'));
    expect(callsOf('sync_now')).toHaveLength(1);
    expect(screen.queryByTestId('sync-error')).not.toBeInTheDocument();

    fail = true;
    await user.click(screen.getByTestId('sync-now'));
    expect(await screen.findByTestId('sync-error')).toHaveTextContent('CareLoop cannot be reached.');
  });

  it('"This desk" lists when each kind of data last came from CareLoop', async () => {
    await startDesk({
      sync_status: syncStatus({
        resources: [
          { resource: 'residents', cursor: null, last_full_at: null, last_success_at: new Date().toISOString(), last_error: null, last_error_at: null },
          { resource: 'visits', cursor: null, last_full_at: null, last_success_at: null, last_error: 'CareLoop answered 503', last_error_at: null },
        ],
      }),
    });

    const rows = await screen.findAllByTestId('sync-resource');
    expect(rows[0]).toHaveTextContent(/Residents\s*just now\s*None/);
    expect(rows[1]).toHaveTextContent(/Visits\s*Not yet\s*CareLoop answered 503/);
  });

  it('the needs-attention count links to the list of refused changes', async () => {
    const { user } = await startDesk({
      sync_status: syncStatus({ needs_attention: 2 }),
      outbox_attention: [],
    });

    const link = await screen.findByTestId('needs-attention-link');
    expect(link).toHaveTextContent('2 changes need attention');
    await user.click(link);

    expect(screen.getByRole('heading', { level: 1, name: 'Needs attention' })).toBeInTheDocument();
  });
});
