import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import Reception from './Reception.svelte';

describe('reception', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('welcomes visitors, tells them to ask at the desk and offers no buttons yet', () => {
    render(Reception);

    expect(screen.getByRole('heading', { level: 1, name: 'Welcome' })).toBeInTheDocument();
    expect(screen.getByText('Please ask at the desk to sign in or out.')).toBeInTheDocument();
    expect(screen.queryAllByRole('button')).toHaveLength(0);
  });

  it('shows the local time and date, and keeps the clock current', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(new Date(2026, 10, 22, 9, 5, 30));
    render(Reception);

    expect(screen.getByTestId('reception-time')).toHaveTextContent('09:05');
    expect(screen.getByTestId('reception-time')).toHaveAttribute('datetime', '2026-11-22T09:05');
    expect(screen.getByTestId('reception-date')).toHaveTextContent('Sunday 22 November 2026');

    await vi.advanceTimersByTimeAsync(60_000);

    expect(screen.getByTestId('reception-time')).toHaveTextContent('09:06');
  });

  it('wakes only when the minute changes, including the day at midnight', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(new Date(2026, 10, 22, 23, 58, 20));
    const { unmount } = render(Reception);
    // Two timers: the clock's, due at the next minute, and the welcome-again one (a minute
    // after the last input). Nothing runs in between.
    expect(vi.getTimerCount()).toBe(2);
    await vi.advanceTimersByTimeAsync(39_999);
    expect(screen.getByTestId('reception-time')).toHaveTextContent('23:58');
    await vi.advanceTimersByTimeAsync(1);
    expect(screen.getByTestId('reception-time')).toHaveTextContent('23:59');
    expect(vi.getTimerCount()).toBe(2);

    // A whole minute on, just before midnight nothing has changed; at midnight, the day too.
    await vi.advanceTimersByTimeAsync(59_999);
    expect(screen.getByTestId('reception-time')).toHaveTextContent('23:59');
    await vi.advanceTimersByTimeAsync(1);
    expect(Date.now()).toBe(new Date(2026, 10, 23, 0, 0, 0).getTime());
    expect(screen.getByTestId('reception-time')).toHaveTextContent('00:00');
    expect(screen.getByTestId('reception-date')).toHaveTextContent('Monday 23 November 2026');

    unmount();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('welcomes again after a minute without input: back to the top, focus on Welcome', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const scrolled = vi.spyOn(window, 'scrollTo').mockImplementation(() => {});
    render(Reception);
    const heading = screen.getByRole('heading', { level: 1, name: 'Welcome' });
    const elsewhere = document.body.appendChild(document.createElement('button'));
    elsewhere.focus();

    await vi.advanceTimersByTimeAsync(50_000);
    await fireEvent.pointerDown(elsewhere);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(scrolled).not.toHaveBeenCalled();
    expect(heading).not.toHaveFocus();

    await vi.advanceTimersByTimeAsync(1_000);
    expect(scrolled).toHaveBeenCalledWith({ top: 0 });
    expect(heading).toHaveFocus();
    elsewhere.remove();
    scrolled.mockRestore();
  });
});
