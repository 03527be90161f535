//! The desk's clock and calendar. Time comes from a [`Clock`] so that tests move it instead of
//! waiting; calendar dates (a certificate's expiry, "today" on a list) are the home's, in its
//! time zone ([`DEFAULT_TIME_ZONE`] unless a manager set another), from the IANA database
//! (`chrono-tz`), never a fixed offset: a change of clocks moves no date.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// A home's time zone when none is set.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Europe::London;

/// Where the time comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        crate::store::repo::now()
    }
}

/// The real time plus an offset that only grows: for tests.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_ms: AtomicI64,
}

impl OffsetClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        crate::store::repo::now()
            + chrono::TimeDelta::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// The calendar date at `at` in `zone`.
pub fn date_in(zone: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// A time zone as a setting holds it (`Europe/London`); [`DEFAULT_TIME_ZONE`] when it is not
/// a zone the IANA database knows.
pub fn parse_zone(name: Option<&str>) -> Tz {
    name.and_then(|n| n.trim().parse().ok())
        .unwrap_or(DEFAULT_TIME_ZONE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_date_is_the_homes_not_utcs() {
        let london = DEFAULT_TIME_ZONE;
        let cases = [
            // Summer time: 23:30 UTC is already tomorrow in London.
            ("2026-07-14T23:30:00Z", "2026-07-15"),
            ("2026-07-14T22:59:59Z", "2026-07-14"),
            // Winter: London is UTC.
            ("2026-12-31T23:59:59Z", "2026-12-31"),
            ("2027-01-01T00:00:00Z", "2027-01-01"),
            // The night the clocks go forward (29 March 2026, 01:00 UTC) and back (25 October).
            ("2026-03-29T00:59:59Z", "2026-03-29"),
            ("2026-03-28T23:59:59Z", "2026-03-28"),
            ("2026-10-24T23:00:00Z", "2026-10-25"),
            ("2026-10-25T23:30:00Z", "2026-10-25"),
        ];
        for (t, want) in cases {
            assert_eq!(date_in(london, at(t)).to_string(), want, "{t}");
        }
    }

    #[test]
    fn zones_are_read_by_name_and_unknown_ones_fall_back() {
        assert_eq!(parse_zone(Some("Europe/Dublin")), chrono_tz::Europe::Dublin);
        assert_eq!(
            parse_zone(Some(" America/New_York ")),
            chrono_tz::America::New_York
        );
        assert_eq!(parse_zone(Some("Mars/Olympus")), DEFAULT_TIME_ZONE);
        assert_eq!(parse_zone(Some("+01:00")), DEFAULT_TIME_ZONE);
        assert_eq!(parse_zone(None), DEFAULT_TIME_ZONE);
    }

    #[test]
    fn the_offset_clock_moves_forward_only_when_told() {
        let c = OffsetClock::new();
        let before = c.now();
        c.advance(Duration::from_secs(91));
        assert!(c.now() - before >= chrono::TimeDelta::seconds(91));
    }
}
