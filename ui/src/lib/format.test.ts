import { describe, expect, it } from 'vitest';
import {
  ageOn,
  formatDate,
  formatDay,
  formatShortDay,
  formatTime,
  fromHomeWallClock,
  localInputToIso,
  onWhen,
  since,
  startOfDay,
  toLocalInput,
  when,
} from './format';

// The desk's own table (crates/core/src/clock.rs): the same words for the same times.
const now = new Date('2026-11-25T15:00:00Z');

describe('a time in words (the one rule)', () => {
  it.each([
    ['today', '2026-11-25T10:00:00Z', 'today at 10:00'],
    ['yesterday', '2026-11-24T10:00:00Z', 'yesterday at 10:00'],
    ['tomorrow', '2026-11-26T09:05:00Z', 'tomorrow at 09:05'],
    ['this year', '2026-12-04T10:00:00Z', 'Fri 4 Dec at 10:00'],
    ['another year', '2025-01-01T10:00:00Z', 'Wed 1 Jan 2025 at 10:00'],
    ['next year', '2027-01-01T10:00:00Z', 'Fri 1 Jan 2027 at 10:00'],
    ['year 9999', '9999-12-31T10:00:00Z', 'Fri 31 Dec 9999 at 10:00'],
    // London summer time: 23:30 UTC on 14 July is already the 15th, at 00:30.
    ['a London summer night', '2026-07-14T23:30:00Z', 'Wed 15 Jul at 00:30'],
    ['September (never "Sept")', '2026-09-01T08:00:00Z', 'Tue 1 Sep at 09:00'],
    ['not a time', 'soon', 'an unknown time'],
  ])('%s', (_name, time, words) => {
    expect(when(time, now)).toBe(words);
  });

  it('takes "today" in London, not in the machine’s zone: just after midnight in summer', () => {
    // 23:30 UTC on 14 July is 00:30 on the 15th in London: "today" from 00:45 London time.
    expect(when('2026-07-14T23:30:00Z', new Date('2026-07-14T23:45:00Z'))).toBe('today at 00:30');
    expect(when('2026-07-14T22:30:00Z', new Date('2026-07-14T23:45:00Z'))).toBe('yesterday at 23:30');
  });

  it('reads after a word ("on" before a day), and "ago" within the hour', () => {
    expect(onWhen('2026-11-25T10:00:00Z', now)).toBe('today at 10:00');
    expect(onWhen('2026-12-04T10:00:00Z', now)).toBe('on Fri 4 Dec at 10:00');
    expect(since('2026-11-25T14:59:30Z', now)).toBe('just now');
    expect(since('2026-11-25T14:56:00Z', now)).toBe('4 minutes ago');
    expect(since('2026-11-25T13:30:00Z', now)).toBe('today at 13:30');
    expect(since('2026-11-22T13:30:00Z', now)).toBe('Sun 22 Nov at 13:30');
  });
});

describe('days in the home', () => {
  it.each([
    ['this year', '2026-12-04T10:00:00Z', 'Friday 4 December', 'Fri 4 Dec'],
    ['another year', '2027-01-01T10:00:00Z', 'Friday 1 January 2027', 'Fri 1 Jan 2027'],
    ['a London summer night', '2026-07-14T23:30:00Z', 'Wednesday 15 July', 'Wed 15 Jul'],
  ])('%s', (_name, time, long, short) => {
    expect(formatDay(new Date(time), now)).toBe(long);
    expect(formatShortDay(new Date(time), now)).toBe(short);
  });

  it('a day starts at midnight London time, summer or winter', () => {
    expect(startOfDay(new Date('2026-11-25T15:00:00Z')).toISOString()).toBe('2026-11-25T00:00:00.000Z');
    expect(startOfDay(new Date('2026-07-14T23:30:00Z')).toISOString()).toBe('2026-07-14T23:00:00.000Z');
    expect(startOfDay(new Date('2026-07-14T23:30:00Z'), 1).toISOString()).toBe('2026-07-15T23:00:00.000Z');
    // The day the clocks go forward (29 March 2026) is 23 hours long.
    expect(startOfDay(new Date('2026-03-29T12:00:00Z'), 1).toISOString()).toBe('2026-03-29T23:00:00.000Z');
  });

  it('clock times are London’s', () => {
    expect(formatTime('2026-07-14T08:05:00Z')).toBe('09:05');
    expect(formatTime('2026-11-25T08:05:00Z')).toBe('08:05');
  });

  it('a form’s date and time are London’s, both ways', () => {
    expect(localInputToIso('2026-07-14T09:30')).toBe('2026-07-14T08:30:00.000Z');
    expect(localInputToIso('2026-11-25T09:30')).toBe('2026-11-25T09:30:00.000Z');
    expect(toLocalInput(new Date('2026-07-14T23:30:00Z'))).toBe('2026-07-15T00:30');
    expect(localInputToIso('')).toBe('');
    // When the clocks go back 01:30 comes twice: the first; when they go forward it never
    // comes: an hour later.
    expect(fromHomeWallClock(2026, 10, 25, 1, 30).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(fromHomeWallClock(2026, 3, 29, 1, 30).toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });

  it('a calendar date reads with its year, and an age counts whole years', () => {
    expect(formatDate('1931-04-02')).toBe('2 April 1931');
    expect(ageOn('1931-11-25', now)).toBe(95);
    expect(ageOn('1931-11-26', now)).toBe(94);
  });
});
