//! The sandbox clock: real time plus whatever the test controls have advanced it by.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// Starts at real now and runs at real speed; `advance` moves it forward.
/// `now` is wall time (used for data and scanners), `mono` a monotonic reading (used for the
/// rate-limit windows); both move together when the clock is advanced.
#[derive(Debug)]
pub struct Clock {
    start: Instant,
    advanced_ms: AtomicI64,
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
            advanced_ms: AtomicI64::new(0),
        }
    }

    fn advanced(&self) -> i64 {
        self.advanced_ms.load(Ordering::SeqCst)
    }

    /// Sandbox wall time, millisecond precision.
    pub fn now(&self) -> DateTime<Utc> {
        let t = Utc::now() + TimeDelta::milliseconds(self.advanced());
        t.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(t)
    }

    /// Monotonic time since start, including advances.
    pub fn mono(&self) -> Duration {
        self.start.elapsed() + Duration::from_millis(u64::try_from(self.advanced()).unwrap_or(0))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
        self.advanced_ms.fetch_add(ms, Ordering::SeqCst);
    }
}
