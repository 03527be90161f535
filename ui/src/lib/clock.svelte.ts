// The current time for "4 minutes ago" and day boundaries, ticking every 15 seconds.
import { createSubscriber } from 'svelte/reactivity';

const subscribe = createSubscriber((update) => {
  const timer = setInterval(update, 15_000);
  return () => clearInterval(timer);
});

/** Read inside an effect or template: re-runs as time passes. */
export function now(): Date {
  subscribe();
  return new Date();
}
