//! Signed updates (issue 15), without a window: the update address a manager sets, when the
//! desk checks, the quiet time at which a kiosk installs, whether an update may be installed
//! now, and what each refusal says to a person. The app shell fetches and verifies updates with
//! tauri-plugin-updater (an [`UpdateSource`]); the desk facade (`desk/updates.rs`) runs the
//! schedule, keeps the status Settings shows and writes the audit log.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone as _, Utc};
use chrono_tz::Tz;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The setting holding the update address (absent: no checks).
pub const UPDATE_ADDRESS: &str = "update_address";
/// The setting holding the kiosk's quiet time to install (`HH:MM`, the home's time).
pub const UPDATE_QUIET_TIME: &str = "update_quiet_time";
/// The quiet time when none is set.
pub const DEFAULT_QUIET_TIME: NaiveTime = match NaiveTime::from_hms_opt(3, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};
/// How often the desk asks the update address (and once at start).
pub const CHECK_EVERY: Duration = Duration::from_secs(4 * 3600);
/// How long after the quiet time a kiosk may still start an install (a visitor at the kiosk
/// at the quiet time puts it off until they are done, within this window).
pub const QUIET_WINDOW: Duration = Duration::from_secs(2 * 3600);

/// Checks the update address a manager typed: empty is "no address" (no checks); otherwise an
/// `https` address, or `http` only on this computer (127.0.0.1, localhost). The error is the
/// sentence Settings shows beside the field.
pub fn parse_address(input: &str) -> Result<Option<Url>, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let url = Url::parse(input).map_err(|_| {
        "Enter the update address as a full web address, like https://updates.example.org/loopdesk/latest.json".to_string()
    })?;
    let local = matches!(
        url.host_str(),
        Some("127.0.0.1") | Some("localhost") | Some("[::1]")
    );
    match url.scheme() {
        "https" if url.host_str().is_some() => {}
        "http" if local => {}
        "http" => {
            return Err(
                "The update address must start with https:// (http:// only for this computer)"
                    .into(),
            )
        }
        _ => {
            return Err(
                "Enter the update address as a full web address starting with https://".into(),
            )
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("The update address must not contain a user name or password".into());
    }
    Ok(Some(url))
}

/// Checks a quiet time as a manager typed it (`03:00`).
pub fn parse_quiet_time(input: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(input.trim(), "%H:%M")
        .map_err(|_| "Enter the quiet time as hours and minutes, like 03:00".to_string())
}

/// When the next check is due: at once when none was made since the desk started, else
/// [`CHECK_EVERY`] after the last one.
pub fn next_check(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    match last {
        None => now,
        Some(last) => last + TimeDelta::from_std(CHECK_EVERY).unwrap_or(TimeDelta::hours(4)),
    }
}

/// The instant the quiet time `time` falls on `date` in `zone`: on a night the clocks skip it
/// (spring forward), the first time after the gap; on a night it comes twice (autumn), the
/// first.
pub fn quiet_start_on(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    (0..=120)
        .find_map(|m| {
            zone.from_local_datetime(&(local + TimeDelta::minutes(m)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| local.and_utc())
}

/// The quiet window that `now` is in (from the quiet time, [`QUIET_WINDOW`] long), if any.
pub fn quiet_window_at(
    now: DateTime<Utc>,
    zone: Tz,
    time: NaiveTime,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let window = TimeDelta::from_std(QUIET_WINDOW).unwrap_or(TimeDelta::hours(2));
    let today = now.with_timezone(&zone).date_naive();
    [today.pred_opt(), Some(today)]
        .into_iter()
        .flatten()
        .map(|d| {
            let start = quiet_start_on(zone, d, time);
            (start, start + window)
        })
        .find(|(start, end)| *start <= now && now < *end)
}

/// The next quiet time after `now`.
pub fn next_quiet_start(now: DateTime<Utc>, zone: Tz, time: NaiveTime) -> DateTime<Utc> {
    let today = now.with_timezone(&zone).date_naive();
    [
        Some(today),
        today.succ_opt(),
        today.succ_opt().and_then(|d| d.succ_opt()),
    ]
    .into_iter()
    .flatten()
    .map(|d| quiet_start_on(zone, d, time))
    .find(|start| *start > now)
    .unwrap_or(now)
}

/// Where the desk is used, for installing: a staff console (a person is asked) or the public
/// kiosk (kiosk mode: never a prompt in front of visitors; installs at the quiet time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Console,
    Kiosk,
}

/// Whether a verified update may be installed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallDecision {
    /// Install now.
    Now,
    /// A console: show "Version X is ready to install" and wait for the person's Install.
    AskPerson,
    /// A form or a visitor's sign-in is open: wait until it closes.
    WaitForForm,
    /// A kiosk outside its quiet time: wait until then.
    WaitForQuietTime(DateTime<Utc>),
}

/// The decision "may install now?": never during an open form (a person typing, a visitor
/// signing in); on a console only when the person asked for it; on the kiosk only in its quiet
/// window (the quiet time in the home's time zone, for [`QUIET_WINDOW`]).
pub fn may_install_now(
    place: Place,
    now: DateTime<Utc>,
    zone: Tz,
    quiet: NaiveTime,
    form_open: bool,
    person_asked: bool,
) -> InstallDecision {
    match place {
        Place::Console if !person_asked => InstallDecision::AskPerson,
        Place::Console if form_open => InstallDecision::WaitForForm,
        Place::Console => InstallDecision::Now,
        Place::Kiosk => match quiet_window_at(now, zone, quiet) {
            None => InstallDecision::WaitForQuietTime(next_quiet_start(now, zone, quiet)),
            Some(_) if form_open => InstallDecision::WaitForForm,
            Some(_) => InstallDecision::Now,
        },
    }
}

/// Why an update was refused or could not be had, in the words Settings shows
/// ([`Problem::message`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Problem {
    /// The address could not be reached (no network, wrong host, refused).
    Unreachable,
    /// The server did not answer in time.
    TimedOut,
    /// The server answered with an error (404, 500) instead of an update.
    ServerError,
    /// The answer is not update information Loopdesk can read.
    Garbage,
    /// The update information has nothing for this kind of computer.
    NoBuildForThisComputer,
    /// The downloaded file does not match its signature (changed or damaged).
    BadSignature,
    /// The file is signed, but not with the key built into this Loopdesk.
    WrongKey,
    /// The download stopped before the whole file came.
    Truncated,
    /// The version offered is older than or the same as the one running.
    NotNewer,
    /// This copy of Loopdesk cannot install updates itself (how it was installed, kiosk).
    CannotInstallHere,
    /// The verified update could not be put in place.
    InstallFailed,
}

impl Problem {
    /// What a person reads in Settings. `version` is the version offered (when known),
    /// `running` this Loopdesk's.
    pub fn message(self, version: Option<&str>, running: &str) -> String {
        let v = version.map_or_else(|| "The update".to_string(), |v| format!("Version {v}"));
        let carry_on = format!("Loopdesk carries on with version {running}.");
        match self {
            Problem::Unreachable => "The update server could not be reached. Check the update \
                address and this computer's network. Loopdesk will try again later."
                .into(),
            Problem::TimedOut => "The update server did not answer in time. Loopdesk will try \
                again later."
                .into(),
            Problem::ServerError => "The update server answered with an error instead of an \
                update. Check the update address. Loopdesk will try again later."
                .into(),
            Problem::Garbage => "The update server's answer is not update information \
                Loopdesk can read. Check the update address."
                .into(),
            Problem::NoBuildForThisComputer => {
                "The update server has no version of Loopdesk for this kind of computer.".into()
            }
            Problem::BadSignature => format!(
                "{v} was refused: the downloaded file does not match its signature, so it may \
                 have been changed or damaged. Nothing was installed. {carry_on}"
            ),
            Problem::WrongKey => format!(
                "{v} was refused: it is not signed by Loopdesk's publisher. Nothing was \
                 installed. {carry_on}"
            ),
            Problem::Truncated => format!(
                "{v} was refused: the download stopped before the whole file came. Nothing was \
                 installed. Loopdesk will try again at the next check."
            ),
            Problem::NotNewer => format!(
                "The update server offers version {}, which is not newer than this Loopdesk \
                 ({running}). Nothing to install.",
                version.unwrap_or("?")
            ),
            Problem::CannotInstallHere => format!(
                "{v} is verified, but this copy of Loopdesk cannot install it itself. \
                 Install it the way Loopdesk was installed on this computer."
            ),
            Problem::InstallFailed => format!(
                "{v} was verified but could not be installed on this computer. Nothing was \
                 changed. {carry_on} Tell your IT contact."
            ),
        }
    }
}

/// A refusal: why, and the version it was about (when known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub problem: Problem,
    pub version: Option<String>,
}

impl Refusal {
    pub fn new(problem: Problem, version: Option<String>) -> Self {
        Self { problem, version }
    }
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The server has nothing newer (`204 No Content`).
    Nothing,
    /// The server offers a version that is not newer than the running one.
    NotNewer { version: String },
    /// A newer version, downloaded and its signature verified: ready to install.
    Ready {
        version: String,
        notes: Option<String>,
    },
}

/// A boxed future, for [`UpdateSource`].
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Where updates come from and how they are put in place: the app shell's, over
/// tauri-plugin-updater (the signature checked against the key built into the app).
pub trait UpdateSource: Send + Sync + 'static {
    /// Asks `address`; a newer version is downloaded and verified before it is called
    /// [`Found::Ready`].
    fn check(&self, address: Url) -> BoxFuture<Result<Found, Refusal>>;
    /// Installs the verified `version` found by the last check (verifying it again).
    fn install(&self, version: String) -> BoxFuture<Result<(), Refusal>>;
    /// Whether this copy can install an update itself at `place`: `Err` says how it is
    /// updated instead (shown in Settings).
    fn can_install(&self, place: Place) -> Result<(), String>;
    /// Starts the new version (after an install and its audit line).
    fn restart(&self);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const LONDON: Tz = chrono_tz::Europe::London;

    fn t(s: &str) -> NaiveTime {
        parse_quiet_time(s).unwrap()
    }

    #[rstest]
    #[case("", true, None)]
    #[case("   ", true, None)]
    #[case(
        "https://updates.example.org/loopdesk/latest.json",
        true,
        Some("updates.example.org")
    )]
    #[case("http://127.0.0.1:8080/latest.json", true, Some("127.0.0.1"))]
    #[case("http://localhost/latest.json", true, Some("localhost"))]
    #[case("http://updates.example.org/latest.json", false, None)]
    #[case("ftp://updates.example.org/latest.json", false, None)]
    #[case("file:///etc/passwd", false, None)]
    #[case("updates.example.org", false, None)]
    #[case("https://user:pw@updates.example.org/x", false, None)]
    #[case("http://127.0.0.1.example.org/x", false, None)]
    fn the_address_is_https_or_local_http(
        #[case] input: &str,
        #[case] ok: bool,
        #[case] host: Option<&str>,
    ) {
        let parsed = parse_address(input);
        assert_eq!(parsed.is_ok(), ok, "{input}: {parsed:?}");
        if let Ok(url) = parsed {
            assert_eq!(url.as_ref().and_then(|u| u.host_str()), host);
        }
    }

    #[rstest]
    #[case("03:00", true)]
    #[case("23:59", true)]
    #[case(" 4:30 ", true)]
    #[case("24:00", false)]
    #[case("3am", false)]
    #[case("", false)]
    fn quiet_times(#[case] input: &str, #[case] ok: bool) {
        assert_eq!(parse_quiet_time(input).is_ok(), ok, "{input}");
    }

    #[test]
    fn checks_at_start_then_every_four_hours() {
        let now = at("2026-11-26T10:00:00Z");
        assert_eq!(next_check(None, now), now);
        assert_eq!(
            next_check(Some(at("2026-11-26T09:00:00Z")), now),
            at("2026-11-26T13:00:00Z")
        );
    }

    /// The quiet time is the home's: 03:00 in London is 03:00 UTC in winter, 02:00 UTC in
    /// summer, and the nights of the clock changes keep it at 03:00 local.
    #[rstest]
    // winter
    #[case("2026-01-15", "03:00", "2026-01-15T03:00:00Z")]
    // summer
    #[case("2026-07-15", "03:00", "2026-07-15T02:00:00Z")]
    // the night the clocks go forward (29 Mar 2026, 01:00 GMT -> 02:00 BST)
    #[case("2026-03-29", "03:00", "2026-03-29T02:00:00Z")]
    // 01:30 does not exist that night: the first time after the gap, 02:00 BST
    #[case("2026-03-29", "01:30", "2026-03-29T01:00:00Z")]
    // the night the clocks go back (25 Oct 2026, 02:00 BST -> 01:00 GMT): 01:30 comes twice,
    // the first (BST) counts
    #[case("2026-10-25", "01:30", "2026-10-25T00:30:00Z")]
    #[case("2026-10-25", "03:00", "2026-10-25T03:00:00Z")]
    fn the_quiet_time_is_the_homes(#[case] date: &str, #[case] time: &str, #[case] expected: &str) {
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        assert_eq!(quiet_start_on(LONDON, date, t(time)), at(expected));
    }

    /// The decision, table-driven: place, the time (UTC), the quiet time, a form open, the
    /// person asked; and what it is.
    #[rstest]
    // a console never installs unasked, and never over an open form
    #[case(Place::Console, "2026-11-26T14:00:00Z", "03:00", false, false, "ask")]
    #[case(Place::Console, "2026-11-26T14:00:00Z", "03:00", true, true, "form")]
    #[case(Place::Console, "2026-11-26T14:00:00Z", "03:00", false, true, "now")]
    // a kiosk: in its quiet window (03:00 to 05:00 London), with no visitor flow open
    #[case(Place::Kiosk, "2026-11-26T03:00:00Z", "03:00", false, false, "now")]
    #[case(Place::Kiosk, "2026-11-26T04:59:00Z", "03:00", false, false, "now")]
    #[case(Place::Kiosk, "2026-11-26T03:10:00Z", "03:00", true, false, "form")]
    #[case(
        Place::Kiosk,
        "2026-11-26T05:00:00Z",
        "03:00",
        false,
        false,
        "wait 2026-11-27T03:00:00Z"
    )]
    #[case(
        Place::Kiosk,
        "2026-11-26T02:59:00Z",
        "03:00",
        false,
        false,
        "wait 2026-11-26T03:00:00Z"
    )]
    // a person pressing Install at the kiosk does not make it install outside the quiet time
    #[case(
        Place::Kiosk,
        "2026-11-26T14:00:00Z",
        "03:00",
        false,
        true,
        "wait 2026-11-27T03:00:00Z"
    )]
    // summer: 03:00 London is 02:00 UTC
    #[case(Place::Kiosk, "2026-07-15T02:30:00Z", "03:00", false, false, "now")]
    #[case(Place::Kiosk, "2026-07-15T03:30:00Z", "03:00", false, false, "now")]
    #[case(
        Place::Kiosk,
        "2026-07-15T04:00:00Z",
        "03:00",
        false,
        false,
        "wait 2026-07-16T02:00:00Z"
    )]
    // across the clock changes: the evening before spring forward waits for 03:00 BST (02:00
    // UTC); the evening before autumn back waits for 03:00 GMT (03:00 UTC)
    #[case(
        Place::Kiosk,
        "2026-03-28T22:00:00Z",
        "03:00",
        false,
        false,
        "wait 2026-03-29T02:00:00Z"
    )]
    #[case(
        Place::Kiosk,
        "2026-10-24T22:00:00Z",
        "03:00",
        false,
        false,
        "wait 2026-10-25T03:00:00Z"
    )]
    // a window that runs past midnight (23:30 for two hours)
    #[case(Place::Kiosk, "2026-11-27T00:30:00Z", "23:30", false, false, "now")]
    #[case(
        Place::Kiosk,
        "2026-11-27T01:30:00Z",
        "23:30",
        false,
        false,
        "wait 2026-11-27T23:30:00Z"
    )]
    fn may_install_now_cases(
        #[case] place: Place,
        #[case] now: &str,
        #[case] quiet: &str,
        #[case] form_open: bool,
        #[case] person_asked: bool,
        #[case] expected: &str,
    ) {
        let got = may_install_now(place, at(now), LONDON, t(quiet), form_open, person_asked);
        let expected = match expected {
            "ask" => InstallDecision::AskPerson,
            "form" => InstallDecision::WaitForForm,
            "now" => InstallDecision::Now,
            w => InstallDecision::WaitForQuietTime(at(w.strip_prefix("wait ").unwrap())),
        };
        assert_eq!(got, expected, "{place:?} at {now}");
    }

    #[test]
    fn every_problem_is_said_in_plain_words_with_the_versions() {
        let all = [
            Problem::Unreachable,
            Problem::TimedOut,
            Problem::ServerError,
            Problem::Garbage,
            Problem::NoBuildForThisComputer,
            Problem::BadSignature,
            Problem::WrongKey,
            Problem::Truncated,
            Problem::NotNewer,
            Problem::CannotInstallHere,
            Problem::InstallFailed,
        ];
        for p in all {
            let m = p.message(Some("0.2.0"), "0.1.0");
            assert!(m.ends_with('.'), "{p:?}: {m}");
            for word in ["minisign", "reqwest", "error:", "Error", "{", "None"] {
                assert!(!m.contains(word), "{p:?}: {m}");
            }
        }
        assert!(Problem::BadSignature
            .message(Some("0.2.0"), "0.1.0")
            .starts_with("Version 0.2.0 was refused"));
        assert!(Problem::NotNewer
            .message(Some("0.0.9"), "0.1.0")
            .contains("version 0.0.9, which is not newer than this Loopdesk (0.1.0)"));
    }
}
