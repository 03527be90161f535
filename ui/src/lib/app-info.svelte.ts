// App version, schema version and data folder, read once through `app_info` and shared with
// every screen of the shell (the status footer, the console's "This desk" page).
import { getContext, setContext } from 'svelte';
import type { AppInfo } from '../bindings/AppInfo';
import type { CommandError } from '../bindings/CommandError';
import { appInfo } from './api';

export class AppInfoStore {
  info: AppInfo | null = $state(null);
  error: CommandError | null = $state(null);
  loading: boolean = $state(false);

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      this.info = await appInfo();
    } catch (error) {
      // api.ts always rejects with a CommandError.
      this.error = error as CommandError;
    } finally {
      this.loading = false;
    }
  }
}

const key = Symbol('app-info');

export function setAppInfo(store: AppInfoStore): AppInfoStore {
  return setContext(key, store);
}

export function getAppInfo(): AppInfoStore {
  const store = getContext<AppInfoStore | undefined>(key);
  if (!store) throw new Error('getAppInfo() used outside the shell');
  return store;
}
