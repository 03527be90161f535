// A tiny state-based router: which area is showing, and which console screen.
// No URLs: the desk app has one window and nothing to bookmark.
import { getContext, setContext } from 'svelte';

export type AreaId = 'reception' | 'console';

export class Router {
  area: AreaId = $state('reception');
  consoleScreen: string = $state('');
  /** What the screen shows inside itself, e.g. a resident's id on "Residents". */
  consoleParam: string | null = $state(null);

  readonly #home: string;

  constructor(initial: { area?: AreaId; consoleScreen: string }) {
    this.area = initial.area ?? 'reception';
    this.consoleScreen = initial.consoleScreen;
    this.#home = initial.consoleScreen;
  }

  /** After a lock: the next person starts on the console's first screen, with nothing open. */
  resetConsole(): void {
    this.consoleScreen = this.#home;
    this.consoleParam = null;
  }

  showArea(area: AreaId): void {
    this.area = area;
  }

  /** Opens a Staff console screen (switching to the console if needed). */
  openConsoleScreen(id: string, param: string | null = null): void {
    this.consoleScreen = id;
    this.consoleParam = param;
    this.area = 'console';
  }
}

const key = Symbol('router');

export function setRouter(router: Router): Router {
  return setContext(key, router);
}

export function getRouter(): Router {
  const router = getContext<Router | undefined>(key);
  if (!router) throw new Error('getRouter() used outside the shell');
  return router;
}
