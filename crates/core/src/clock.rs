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

/// The setting holding the home's time zone (an IANA name such as `Europe/London`).
pub const TIME_ZONE_SETTING: &str = "home_time_zone";

/// The current time, to the millisecond (what the store keeps).
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// Where the time comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;

    /// Changes each time the clock is moved by hand ([`OffsetClock::advance`]), so that a task
    /// sleeping until a time on this clock wakes to look again. `None` for a clock that only
    /// goes on as time passes (the system clock).
    fn moves(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}

/// Resolves when the clock behind `moves` ([`Clock::moves`]) is moved by hand; never for a
/// clock that is not, or once nothing can move it any more.
pub async fn moved(moves: &mut Option<tokio::sync::watch::Receiver<u64>>) {
    if let Some(m) = moves.as_mut() {
        if m.changed().await.is_ok() {
            return;
        }
    }
    std::future::pending().await
}

/// Sleeps for `wait`; forever for `None` (nothing is due).
pub async fn sleep_for(wait: Option<std::time::Duration>) {
    match wait {
        Some(w) => tokio::time::sleep(w).await,
        None => std::future::pending().await,
    }
}

/// The real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        now()
    }
}

/// The real time plus an offset that only grows: for tests. Moving it wakes whoever waits for a
/// time on it ([`Clock::moves`]).
#[derive(Debug)]
pub struct OffsetClock {
    offset_ms: AtomicI64,
    moved: tokio::sync::watch::Sender<u64>,
}

impl Default for OffsetClock {
    fn default() -> Self {
        Self {
            offset_ms: AtomicI64::new(0),
            moved: tokio::sync::watch::Sender::new(0),
        }
    }
}

impl OffsetClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
        self.moved.send_modify(|n| *n = n.wrapping_add(1));
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        now() + chrono::TimeDelta::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }

    fn moves(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        Some(self.moved.subscribe())
    }
}

/// The calendar date at `at` in `zone`.
pub fn date_in(zone: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// A time as a person at the desk reads it, on `now`'s calendar in `zone`: "today at 10:00",
/// "yesterday at 10:00", "tomorrow at 10:00", else its day ("Fri 4 Dec at 10:00") and, when it
/// is not this year, its year ("Wed 1 Jan 2025 at 10:00").
pub fn when(at: DateTime<Utc>, now: DateTime<Utc>, zone: Tz) -> String {
    let local = at.with_timezone(&zone);
    let today = date_in(zone, now);
    let day = local.date_naive();
    let time = local.format("%H:%M");
    match (day - today).num_days() {
        0 => format!("today at {time}"),
        -1 => format!("yesterday at {time}"),
        1 => format!("tomorrow at {time}"),
        _ => format!("{} at {time}", day_words(day, today)),
    }
}

/// A calendar date as a person reads it: "Fri 4 Dec", with the year when it is not `today`'s
/// ("Wed 1 Jan 2025").
pub fn day_words(day: NaiveDate, today: NaiveDate) -> String {
    use chrono::Datelike as _;
    if day.year() == today.year() {
        day.format("%a %-d %b").to_string()
    } else {
        day.format("%a %-d %b %Y").to_string()
    }
}

/// The first instant of `date` in `zone` (midnight, or the first time after it on a night the
/// clocks skip midnight).
pub fn start_of_day(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone as _;
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    (0..=3)
        .find_map(|h| {
            zone.from_local_datetime(&(midnight + chrono::TimeDelta::hours(h)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
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

    #[rstest::rstest]
    #[case::today("2026-11-25T10:00:00Z", "today at 10:00")]
    #[case::yesterday("2026-11-24T10:00:00Z", "yesterday at 10:00")]
    #[case::tomorrow("2026-11-26T09:05:00Z", "tomorrow at 09:05")]
    #[case::this_year("2026-12-04T10:00:00Z", "Fri 4 Dec at 10:00")]
    #[case::last_year("2025-01-01T10:00:00Z", "Wed 1 Jan 2025 at 10:00")]
    #[case::far_ahead("9999-12-31T10:00:00Z", "Fri 31 Dec 9999 at 10:00")]
    // London summer time: 23:30 UTC on 14 July is already the 15th, at 00:30.
    #[case::summer_night("2026-07-14T23:30:00Z", "Wed 15 Jul at 00:30")]
    fn a_time_says_its_day_and_year_when_not_today(#[case] time: &str, #[case] want: &str) {
        let now = at("2026-11-25T15:00:00Z");
        assert_eq!(when(at(time), now, DEFAULT_TIME_ZONE), want);
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
        let moves = c.moves().expect("an offset clock says when it moves");
        assert!(!moves.has_changed().unwrap());
        c.advance(Duration::from_secs(91));
        assert!(c.now() - before >= chrono::TimeDelta::seconds(91));
        assert!(moves.has_changed().unwrap(), "whoever waits is woken");
        assert!(SystemClock.moves().is_none());
    }
}
