//! The sandbox clock: starts at real now and runs at real speed; test controls can advance it
//! and freeze it (while frozen only `advance` moves it).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

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
