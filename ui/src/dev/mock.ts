// Development only (`--mode mock`): answers the Tauri commands in a plain browser so screens can
// be looked at and screenshotted without the desktop app. Never part of a production build.
//
//   ?mock=ready (default) | newer_schema | corrupt | corrupt_unmoved | migration_failed
//        | unavailable | failed | app_info_error
//   &area=reception (default) | console
//   &click=<data-testid>   clicks that element once it appears (to screenshot a later step)
//   &focus=<data-testid>   focuses that element once it appears (to screenshot focus styles)
import { mockIPC } from '@tauri-apps/api/mocks';
import type { AppInfo } from '../bindings/AppInfo';
import type { CommandError } from '../bindings/CommandError';
import type { StartupState } from '../bindings/StartupState';
import type { AreaId } from '../lib/router.svelte';

const dataDir = '/home/reception/.local/share/uk.co.careloop.loopdesk';
const dbPath = `${dataDir}/loopdesk.db`;

const info: AppInfo = {
  version: '0.1.0',
  schema_version: 1,
  data_dir: dataDir,
  db_path: dbPath,
};

function startup(scenario: string): StartupState {
  switch (scenario) {
    case 'newer_schema':
      return { state: 'newer_schema', path: dbPath, found_version: 7, supported_version: 1 };
    case 'corrupt':
      return {
        state: 'corrupt',
        path: dbPath,
        moved_to: `${dataDir}/loopdesk.db.corrupt-20261122T130501Z`,
        message: 'file is not a database',
      };
    case 'corrupt_unmoved':
      return {
        state: 'corrupt',
        path: dbPath,
        moved_to: null,
        message: 'file is not a database; renaming it failed: permission denied',
      };
    case 'migration_failed':
      return {
        state: 'migration_failed',
        path: dbPath,
        message: 'migration 2 failed: no such table: residents',
      };
    case 'unavailable':
      return {
        state: 'unavailable',
        path: dataDir,
        message: 'Permission denied (os error 13)',
      };
    default:
      return { state: 'ready' };
  }
}

export function installMock(params: URLSearchParams): { initialArea: AreaId } {
  const scenario = params.get('mock') || 'ready';
  mockIPC((cmd) => {
    switch (cmd) {
      case 'startup_state':
        if (scenario === 'failed') {
          throw { code: 'internal', message: 'The start-up check did not answer.' } satisfies CommandError;
        }
        return startup(scenario);
      case 'create_fresh_database':
        return { state: 'ready' } satisfies StartupState;
      case 'app_info':
        if (scenario === 'app_info_error') {
          throw { code: 'internal', message: 'The data file could not be queried.' } satisfies CommandError;
        }
        return info;
      default:
        throw { code: 'not_found', message: `No mock for ${cmd}` } satisfies CommandError;
    }
  });
  const click = params.get('click');
  if (click) whenPresent(`[data-testid="${CSS.escape(click)}"]`, (el) => el.click());
  const focus = params.get('focus');
  if (focus) whenPresent(`[data-testid="${CSS.escape(focus)}"]`, (el) => el.focus());
  return { initialArea: params.get('area') === 'console' ? 'console' : 'reception' };
}

function whenPresent(selector: string, action: (element: HTMLElement) => void): void {
  const found = () => document.querySelector<HTMLElement>(selector);
  const now = found();
  if (now) {
    action(now);
    return;
  }
  const observer = new MutationObserver(() => {
    const element = found();
    if (element) {
      observer.disconnect();
      action(element);
    }
  });
  observer.observe(document.body, { childList: true, subtree: true });
}
