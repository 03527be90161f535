//! The sandbox clock: starts at real now and runs at real speed; test controls can advance it
//! and freeze it (while frozen only `advance` moves it).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, Utc};

/// The homes' time zone: CareLoop's homes are in the UK, and a calendar date a home gives
/// (a certification's `issued_on`) is a date on its calendar, not UTC's.
pub const HOME_TIME_ZONE: chrono_tz::Tz = chrono_tz::Europe::London;

/// The calendar date in the homes' time zone at `now`: between 00:00 and 01:00 BST this is
/// the day after UTC's date.
pub fn home_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&HOME_TIME_ZONE).date_naive()
}

/// `now` is wall time (data, scanners, webhooks' `occurred_at`), `mono` a monotonic reading
/// (rate-limit windows); both move together.
#[derive(Debug)]
pub struct Clock {
    start: Instant,
    start_wall: DateTime<Utc>,
    advanced_ms: AtomicI64,
    /// (frozen since, total time spent frozen before that).
    pause: Mutex<(Option<Instant>, Duration)>,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            start_wall: Utc::now(),
            advanced_ms: AtomicI64::new(0),
            pause: Mutex::new((None, Duration::ZERO)),
        }
    }

    fn advanced(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.advanced_ms.load(Ordering::SeqCst)).unwrap_or(0))
    }

    /// Real time elapsed since start, minus the time spent frozen.
    fn running(&self) -> Duration {
        let p = self.pause.lock().unwrap_or_else(|e| e.into_inner());
        let until = p.0.unwrap_or_else(Instant::now);
        until
            .saturating_duration_since(self.start)
            .saturating_sub(p.1)
    }

    /// Sandbox wall time, millisecond precision.
    pub fn now(&self) -> DateTime<Utc> {
        let since = TimeDelta::from_std(self.running() + self.advanced()).unwrap_or_default();
        let t = self.start_wall + since;
        t.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(t)
    }

    /// Monotonic time since start, including advances.
    pub fn mono(&self) -> Duration {
        self.running() + self.advanced()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
        self.advanced_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// Stops (true) or restarts (false) the real-time component.
    pub fn set_frozen(&self, frozen: bool) {
        let mut p = self.pause.lock().unwrap_or_else(|e| e.into_inner());
        match (p.0, frozen) {
            (None, true) => p.0 = Some(Instant::now()),
            (Some(since), false) => {
                p.1 += since.elapsed();
                p.0 = None;
            }
            _ => {}
        }
    }

    pub fn is_frozen(&self) -> bool {
        self.pause
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_homes_date_is_londons_not_utcs() {
        for (now, today) in [
            // 00:30 BST: London's date is a day ahead of UTC's.
            ("2026-06-14T23:30:00Z", "2026-06-15"),
            ("2026-06-14T22:59:59Z", "2026-06-14"),
            ("2026-06-14T23:00:00Z", "2026-06-15"),
            // GMT: the same date.
            ("2026-11-25T23:30:00Z", "2026-11-25"),
            ("2026-11-26T00:00:00Z", "2026-11-26"),
            // The clocks change at 01:00 UTC: the night they go forward and back.
            ("2026-03-29T00:30:00Z", "2026-03-29"),
            ("2026-10-24T23:30:00Z", "2026-10-25"),
            ("2026-10-25T23:30:00Z", "2026-10-25"),
        ] {
            assert_eq!(home_today(at(now)), day(today), "{now}");
        }
    }

    #[test]
    fn frozen_clock_moves_only_when_advanced() {
        let c = Clock::new();
        c.set_frozen(true);
        let (a, m) = (c.now(), c.mono());
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(c.now(), a);
        assert_eq!(c.mono(), m);
        c.advance(Duration::from_secs(90));
        assert_eq!(c.now() - a, TimeDelta::seconds(90));
        assert_eq!(c.mono() - m, Duration::from_secs(90));
        c.set_frozen(false);
        assert!(!c.is_frozen());
        std::thread::sleep(Duration::from_millis(5));
        assert!(
            c.mono() > m + Duration::from_secs(90),
            "runs again, without a jump back"
        );
    }
}
