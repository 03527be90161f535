import { describe, expect, it } from 'vitest';
import {
  appInfo,
  createFreshDatabase,
  resubmitOutboxEntry,
  saveBridgeSettings,
  saveSettings,
  scheduleVisit,
  searchResidents,
  startupState,
  toCommandError,
} from './api';
import { CommandFailure, mockCommands, sampleInfo } from '../test/ipc';

describe('api', () => {
  it('each wrapper calls its command and returns its answer', async () => {
    const backend = mockCommands({
      startup_state: { state: 'ready' },
      app_info: sampleInfo,
      create_fresh_database: { state: 'ready' },
    });

    await expect(startupState()).resolves.toEqual({ state: 'ready' });
    await expect(appInfo()).resolves.toEqual(sampleInfo);
    await expect(createFreshDatabase()).resolves.toEqual({ state: 'ready' });
    expect(backend.calls).toEqual(['startup_state', 'app_info', 'create_fresh_database']);
  });

  it('passes a CommandError from the backend through unchanged', async () => {
    mockCommands({
      app_info: () => new CommandFailure({ code: 'store_unavailable', message: 'database is locked' }),
    });

    await expect(appInfo()).rejects.toEqual({ code: 'store_unavailable', message: 'database is locked' });
  });

  it('keeps the per-field messages of an invalid_input error', async () => {
    mockCommands({
      app_info: () =>
        new CommandFailure({
          code: 'invalid_input',
          message: 'Check the highlighted fields.',
          fields: { name: 'Enter a name' },
        }),
    });

    await expect(appInfo()).rejects.toEqual({
      code: 'invalid_input',
      message: 'Check the highlighted fields.',
      fields: { name: 'Enter a name' },
    });
  });

  it.each([
    ['a plain string from Tauri', 'command app_info not found', 'internal', 'command app_info not found'],
    ['an Error', new Error('boom'), 'internal', 'boom'],
    ['an object with extra fields', { code: 'not_found', message: 'y', detail: 1 }, 'not_found', 'y'],
    ['something else', 42, 'internal', 'An unexpected error happened.'],
  ])('turns %s into a CommandError', (_name, error, code, message) => {
    mockCommands({});
    expect(toCommandError(error)).toEqual({ code, message });
  });

  it('outside the desktop app says so instead of failing obscurely', () => {
    // No mockIPC: there is no Tauri IPC in this window.
    expect(toCommandError(new TypeError("Cannot read properties of undefined"))).toEqual({
      code: 'internal',
      message: 'Loopdesk was opened outside the desktop app, so it cannot reach its data.',
    });
  });

  it('leaves out optional arguments that are not given, so Rust sees None', async () => {
    const backend = mockCommands({
      search_residents: [],
      save_settings: {},
      save_bridge_settings: {},
      resubmit_outbox_entry: null,
    });

    await searchResidents({ text: '', locationId: undefined, status: 'current', limit: 50 });
    await saveSettings({ apiBaseUrl: 'https://api.careloop.com', locationId: '', apiKey: '' });
    await saveBridgeSettings('https://bridge.example.org', '');
    await resubmitOutboxEntry(12, { body: 'x' });

    expect(backend.log.map((entry) => entry.args)).toEqual([
      { status: 'current', limit: 50 },
      { apiBaseUrl: 'https://api.careloop.com' },
      { bridgeUrl: 'https://bridge.example.org' },
      { seq: 12, payload: { body: 'x' } },
    ]);
  });

  it('schedule_visit always sends the required fields, even empty, so Rust can name them', async () => {
    const backend = mockCommands({ schedule_visit: {} });

    await scheduleVisit({ locationId: '', staffUserId: '', visitType: '', startsAt: '', endsAt: '', notes: '  ' });

    expect(backend.log[0]?.args).toEqual({ locationId: '', staffUserId: '', visitType: '', startsAt: '', endsAt: '' });
  });

  it('schedule_visit sends confirmPast only once the person confirmed a start in the past', async () => {
    const backend = mockCommands({ schedule_visit: {} });
    const visit = { locationId: 'loc_1', staffUserId: 'stf_1', visitType: 'meal', startsAt: 'a', endsAt: 'b' };

    await scheduleVisit({ ...visit, confirmPast: false });
    await scheduleVisit({ ...visit, confirmPast: true });

    expect(backend.log[0]?.args).not.toHaveProperty('confirmPast');
    expect(backend.log[1]?.args).toEqual({ ...visit, confirmPast: true });
  });

  it('is the only module that talks to Tauri directly', () => {
    const sources = import.meta.glob(['/src/**/*.{ts,svelte}', '!/src/**/*.test.ts', '!/src/test/**', '!/src/test-setup.ts', '!/src/dev/**'], {
      query: '?raw',
      import: 'default',
      eager: true,
    }) as Record<string, string>;

    const offenders = Object.entries(sources)
      .filter(([, source]) => source.includes('@tauri-apps/api'))
      .map(([file]) => file);
    expect(Object.keys(sources).length).toBeGreaterThan(10);
    expect(offenders).toEqual(['/src/lib/api.ts']);
  });
});
