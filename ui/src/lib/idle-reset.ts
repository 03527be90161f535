// "Nobody has touched the screen for a while": the Reception screen goes back to its welcome
// state after a minute without input, so the next visitor never finds what the last one left.

/** How long the Reception screen waits without input before it welcomes again. */
export const WELCOME_AFTER_MS = 60_000;

/** What counts as input: a touch, a click, a key, typing, scrolling with the wheel. */
export const INPUT_EVENTS = ['pointerdown', 'keydown', 'input', 'touchstart', 'wheel'] as const;

/**
 * Calls `onIdle` once `ms` pass without input on `target`; every input starts the wait again,
 * and after `onIdle` the next input starts a new wait. Returns a function that stops watching.
 */
export function watchIdle(target: EventTarget, ms: number, onIdle: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const restart = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onIdle();
    }, ms);
  };
  for (const name of INPUT_EVENTS) target.addEventListener(name, restart, { capture: true, passive: true });
  restart();
  return () => {
    clearTimeout(timer);
    for (const name of INPUT_EVENTS) target.removeEventListener(name, restart, { capture: true });
  };
}
