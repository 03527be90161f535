// Test helper: answer Tauri commands with mockIPC and record which were called.
import { mockIPC } from '@tauri-apps/api/mocks';
import type { AppInfo } from '../bindings/AppInfo';
import type { CommandError } from '../bindings/CommandError';
import type { LockStatus } from '../bindings/LockStatus';
import type { StartupState } from '../bindings/StartupState';

export const sampleInfo: AppInfo = {
  version: '1.2.3',
  schema_version: 4,
  data_dir: '/tmp/loopdesk-test/data',
  db_path: '/tmp/loopdesk-test/data/loopdesk.db',
};

type Answer = unknown | ((args: Record<string, unknown>) => unknown);

export class CommandFailure {
  constructor(readonly error: CommandError) {}
}

/**
 * Installs a mock backend. Each command answers with its value (or the result of its function);
 * a CommandFailure makes the command reject with that CommandError. Unknown commands reject.
 */
export function mockCommands(answers: Record<string, Answer>): {
  calls: string[];
  /** Every call with its arguments, in order. */
  log: { cmd: string; args: Record<string, unknown> }[];
} {
  const calls: string[] = [];
  const log: { cmd: string; args: Record<string, unknown> }[] = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push(cmd);
    log.push({ cmd, args });
    if (!(cmd in answers)) {
      throw { code: 'not_found', message: `unexpected command ${cmd}` } satisfies CommandError;
    }
    const answer = answers[cmd];
    const value =
      typeof answer === 'function' ? (answer as (args: Record<string, unknown>) => unknown)(args) : answer;
    if (value instanceof CommandFailure) throw value.error;
    return value;
  });
  return { calls, log };
}

/** The staff lock: by default the desk is being set up (no PIN yet: the console is open). */
export function lockStatus(overrides: Partial<LockStatus> = {}): LockStatus {
  return { session: null, setting_up: true, paused_until: null, idle_minutes: 5, ...overrides };
}

export function readyBackend(info: AppInfo = sampleInfo, extra: Record<string, Answer> = {}) {
  return mockCommands({
    startup_state: { state: 'ready' } satisfies StartupState,
    app_info: info,
    lock_status: lockStatus(),
    watch_lock: null,
    ...extra,
  });
}
