import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { INPUT_EVENTS, WELCOME_AFTER_MS, watchIdle } from './idle-reset';

describe('watchIdle', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('calls back once the time passes without input', () => {
    const target = new EventTarget();
    const onIdle = vi.fn();
    watchIdle(target, WELCOME_AFTER_MS, onIdle);

    vi.advanceTimersByTime(WELCOME_AFTER_MS - 1);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    // Once: the next call waits for input first.
    vi.advanceTimersByTime(5 * WELCOME_AFTER_MS);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it.each(INPUT_EVENTS)('starts the wait again on %s', (name) => {
    const target = new EventTarget();
    const onIdle = vi.fn();
    watchIdle(target, WELCOME_AFTER_MS, onIdle);

    vi.advanceTimersByTime(WELCOME_AFTER_MS - 1000);
    target.dispatchEvent(new Event(name));
    vi.advanceTimersByTime(WELCOME_AFTER_MS - 1);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    // Input after it starts a new wait.
    target.dispatchEvent(new Event(name));
    vi.advanceTimersByTime(WELCOME_AFTER_MS);
    expect(onIdle).toHaveBeenCalledTimes(2);
  });

  it('ignores other events, and stops when told', () => {
    const target = new EventTarget();
    const onIdle = vi.fn();
    const stop = watchIdle(target, WELCOME_AFTER_MS, onIdle);

    vi.advanceTimersByTime(WELCOME_AFTER_MS - 1000);
    target.dispatchEvent(new Event('focus'));
    vi.advanceTimersByTime(1000);
    expect(onIdle).toHaveBeenCalledTimes(1);

    target.dispatchEvent(new Event('keydown'));
    stop();
    vi.advanceTimersByTime(2 * WELCOME_AFTER_MS);
    target.dispatchEvent(new Event('keydown'));
    vi.advanceTimersByTime(2 * WELCOME_AFTER_MS);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });
});
