// The one place the UI talks to the Rust side. Every command has one typed wrapper here;
// screens and components never call `invoke` themselves.
import { invoke } from '@tauri-apps/api/core';
import type { AppInfo } from '../bindings/AppInfo';
import type { CommandError } from '../bindings/CommandError';
import type { Code } from '../bindings/ErrorCode';
import type { StartupState } from '../bindings/StartupState';

/** Command names as registered in src-tauri (`tauri::generate_handler!`). */
export const commands = {
  startupState: 'startup_state',
  appInfo: 'app_info',
  createFreshDatabase: 'create_fresh_database',
} as const;

export function isCommandError(value: unknown): value is CommandError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === 'string' &&
    typeof (value as Record<string, unknown>).message === 'string'
  );
}

/**
 * Turns whatever a rejected invoke gave us into a CommandError. Our commands reject with
 * `{ code, message }`; Tauri itself rejects with a plain string (e.g. an unknown command),
 * and outside the desktop app there is no IPC at all: those become code `internal`.
 */
export function toCommandError(error: unknown): CommandError {
  if (isCommandError(error)) {
    const result: CommandError = { code: error.code as Code, message: error.message };
    const fields = stringFields((error as { fields?: unknown }).fields);
    if (fields) result.fields = fields;
    return result;
  }
  if (!hasIpc()) {
    return {
      code: 'internal',
      message: 'Loopdesk was opened outside the desktop app, so it cannot reach its data.',
    };
  }
  if (typeof error === 'string') return { code: 'internal', message: error };
  if (error instanceof Error) return { code: 'internal', message: error.message };
  return { code: 'internal', message: 'An unexpected error happened.' };
}

/** The per-field messages of an `invalid_input` error, if there are any. */
function stringFields(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const entries = Object.entries(value).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function hasIpc(): boolean {
  if (typeof window === 'undefined') return false;
  const internals = (window as { __TAURI_INTERNALS__?: { invoke?: unknown } }).__TAURI_INTERNALS__;
  return typeof internals?.invoke === 'function';
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toCommandError(error);
  }
}

/** Whether the local data file opened, and if not, why. Called once at start. */
export function startupState(): Promise<StartupState> {
  return call<StartupState>(commands.startupState);
}

/** App version, local schema version and where the data lives. */
export function appInfo(): Promise<AppInfo> {
  return call<AppInfo>(commands.appInfo);
}

/**
 * After a corrupt data file was moved aside: create a new empty data file.
 * Only called after the user confirmed.
 */
export function createFreshDatabase(): Promise<StartupState> {
  return call<StartupState>(commands.createFreshDatabase);
}
