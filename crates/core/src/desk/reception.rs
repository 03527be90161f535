//! Reception: visitors sign themselves in and out at the kiosk, staff sign in and out with their
//! PIN, residents go out and come back, and the console sees who is on site, the history and
//! the notices. The fire roll call is in `roll_call.rs`.
//!
//! * **The kiosk sees nothing private.** Kiosk methods (the locked desk may call them) return
//!   people by first name and surname initial ("Maggie W.") and opaque ids only: never a room,
//!   a date of birth, DNAR status, a contact, a phone number or a full surname of a resident.
//! * **A visit is saved whole or not at all**, and never waits for the network: the sign-in
//!   row, its outbox entry (`visitor_sign_in.create`), the returning-visitor profile and the
//!   screening answers are one transaction ([`Desk::save`]); the push is kicked afterwards.
//! * **Staff movements and resident outings stay on this desk**: CareLoop has no endpoint for
//!   them (only visitor sign-ins are sent).
//! * **Times are the home's**: the automatic sign-out happens at the configured time (default
//!   23:59) in the home's time zone, on the desk's clock (tests move it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use rand::Rng as _;
use rusqlite::{Connection, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::clock;
use crate::ipc::{Code, CommandError};
use crate::outbox::{self, VisitorSignInCreate, VisitorSignOut};
use crate::secret::Secret;
use crate::store::repo::alerts::{self as alerts_repo, NewAlert};
use crate::store::repo::people::{self, PeopleTable, ResidentQuery, ResidentStatus};
use crate::store::repo::reception::{
    self as rx, Approval, HistoryFilter, Purged, ResidentReception, SignInRow, SignOutKind,
    VisitingKind, VisitorProfile,
};
use crate::store::repo::{self, Page};

use super::{settings, Desk};

// ---- settings --------------------------------------------------------------------------------

/// Outbreak mode (a manager switches it on): health screening is asked.
pub const OUTBREAK_MODE: &str = "reception_outbreak_mode";
/// When screening is asked: `outbreak` (default), `always`, `never`.
pub const SCREENING_WHEN: &str = "reception_screening_when";
pub const SCREENING_QUESTIONS: &str = "reception_screening_questions";
pub const SCREENING_GUIDANCE: &str = "reception_screening_guidance";
pub const POLICY_TEXT: &str = "reception_policy_text";
pub const POLICY_VERSION: &str = "reception_policy_version";
pub const AUTO_SIGN_OUT_TIME: &str = "reception_auto_sign_out_time";
pub const VISITOR_RETENTION_DAYS: &str = "reception_visitor_retention_days";
pub const SCREENING_RETENTION_DAYS: &str = "reception_screening_retention_days";
/// The home date of the last retention purge (one a day).
const LAST_PURGE: &str = "reception_last_purge";

pub const DEFAULT_AUTO_SIGN_OUT: &str = "23:59";
pub const DEFAULT_VISITOR_RETENTION_DAYS: u32 = 90;
pub const DEFAULT_SCREENING_RETENTION_DAYS: u32 = 14;
const DEFAULT_QUESTIONS: [&str; 3] = [
    "Do you have a high temperature, a new continuous cough, or a loss or change in your sense \
     of smell or taste?",
    "Have you had diarrhoea or vomiting in the last 48 hours?",
    "Have you tested positive for COVID-19 or flu in the last 5 days?",
];
const DEFAULT_GUIDANCE: &str = "Thank you for telling us. To keep our residents safe, please do \
    not visit today. A member of staff knows you came and can talk with you by phone. Please \
    come back when you have been well for 48 hours.";

/// Wrong phone digits in a row before a returning visitor must type their details.
pub const MAX_CONFIRM_FAILURES: u32 = 3;
/// How long the quick confirmation stays closed after that.
pub const CONFIRM_CLOSED_FOR: TimeDelta = TimeDelta::hours(24);
/// How long a confirmed returning visitor's ticket lasts.
const TICKET_FOR: TimeDelta = TimeDelta::minutes(15);

/// When health screening is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ScreeningWhen {
    /// Only while outbreak mode is on (the default).
    Outbreak,
    Always,
    Never,
}

impl ScreeningWhen {
    fn parse(s: Option<&str>) -> Self {
        match s {
            Some("always") => Self::Always,
            Some("never") => Self::Never,
            _ => Self::Outbreak,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Outbreak => "outbreak",
            Self::Always => "always",
            Self::Never => "never",
        }
    }
}

/// Reception's settings (managers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReceptionSettings {
    pub outbreak_mode: bool,
    pub screening_when: ScreeningWhen,
    pub screening_questions: Vec<String>,
    /// Shown to a visitor who answers "yes".
    pub screening_guidance: String,
    /// The visitor policy to accept; empty: none.
    pub policy_text: String,
    /// Goes up by one whenever the text changes (visitors accept it again). Ignored on save.
    #[serde(default)]
    pub policy_version: u32,
    /// "HH:MM" in the home's time zone.
    pub auto_sign_out_time: String,
    pub visitor_retention_days: u32,
    pub screening_retention_days: u32,
}

fn read_settings(c: &Connection) -> crate::store::Result<ReceptionSettings> {
    let get = |k: &str| repo::settings::get_setting(c, k);
    let questions = get(SCREENING_QUESTIONS)?
        .and_then(|q| serde_json::from_str::<Vec<String>>(&q).ok())
        .unwrap_or_else(|| DEFAULT_QUESTIONS.iter().map(|q| (*q).to_owned()).collect());
    Ok(ReceptionSettings {
        outbreak_mode: get(OUTBREAK_MODE)?.as_deref() == Some("1"),
        screening_when: ScreeningWhen::parse(get(SCREENING_WHEN)?.as_deref()),
        screening_questions: questions,
        screening_guidance: get(SCREENING_GUIDANCE)?.unwrap_or_else(|| DEFAULT_GUIDANCE.into()),
        policy_text: get(POLICY_TEXT)?.unwrap_or_default(),
        policy_version: get(POLICY_VERSION)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        auto_sign_out_time: get(AUTO_SIGN_OUT_TIME)?
            .filter(|t| parse_hhmm(t).is_some())
            .unwrap_or_else(|| DEFAULT_AUTO_SIGN_OUT.into()),
        visitor_retention_days: get(VISITOR_RETENTION_DAYS)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_VISITOR_RETENTION_DAYS),
        screening_retention_days: get(SCREENING_RETENTION_DAYS)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_SCREENING_RETENTION_DAYS),
    })
}

impl ReceptionSettings {
    /// Whether the kiosk asks the screening questions now.
    pub fn screening_on(&self) -> bool {
        !self.screening_questions.is_empty()
            && match self.screening_when {
                ScreeningWhen::Always => true,
                ScreeningWhen::Never => false,
                ScreeningWhen::Outbreak => self.outbreak_mode,
            }
    }

    fn policy(&self) -> Option<u32> {
        (!self.policy_text.trim().is_empty()).then_some(self.policy_version)
    }
}

fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    let (h, m) = s.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

// ---- what the kiosk sees ---------------------------------------------------------------------

/// "Maggie W.": a first (or preferred) name and the family name's initial. All the kiosk ever
/// shows of a person.
pub fn kiosk_label(first: &str, family: &str) -> String {
    let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
    match family.trim().chars().next() {
        Some(initial) => format!("{first} {}.", initial.to_uppercase()),
        None => first,
    }
}

/// A person's kiosk label from their full and preferred names: the one public name of a
/// resident anywhere ([`people::public_name`]), used for staff too.
pub fn person_label(full_name: &str, preferred: Option<&str>) -> String {
    people::public_name(full_name, preferred)
}

/// What the kiosk needs to run its screens (nothing private).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct KioskReception {
    /// The home's name, for the welcome screen.
    pub home_name: Option<String>,
    /// Asked now (empty when screening is off).
    pub screening_questions: Vec<String>,
    /// The visitor policy to accept, if the home has one.
    pub policy: Option<KioskPolicy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct KioskPolicy {
    pub text: String,
    /// Send it back with the sign-in once accepted.
    pub version: u32,
}

/// A returning visitor offered after three letters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ReturningMatch {
    pub visitor_id: String,
    /// "Jane D."
    pub label: String,
}

/// A person the kiosk lets a visitor choose (a resident or a staff member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct KioskPerson {
    /// Opaque: give it back with the sign-in.
    pub id: String,
    /// "Maggie W."
    pub label: String,
}

/// A returning visitor who gave the right phone digits: what the sign-in screens fill in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ReturningVisitor {
    pub visitor_id: String,
    /// Send it back with the sign-in (`returning`); valid for 15 minutes.
    pub ticket: String,
    pub first_name: String,
    pub label: String,
    pub relationship: Option<String>,
    pub car_registration: Option<String>,
    pub company: Option<String>,
    pub visiting_kind: Option<VisitingKind>,
    /// Whom they visited last time, when that person is still here.
    pub last_visited: Option<KioskPerson>,
    pub last_purpose: Option<String>,
    /// The home's current visitor policy is accepted already (no need to ask).
    pub policy_accepted: bool,
}

/// A returning visitor's ticket, as the sign-in sends it back.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct ReturningTicket {
    pub visitor_id: String,
    pub ticket: String,
}

/// What a visitor enters at the kiosk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct VisitorSignInForm {
    /// Not needed for a returning visitor.
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub surname: String,
    #[serde(default)]
    #[ts(optional)]
    pub phone: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub returning: Option<ReturningTicket>,
    /// `resident`, `staff` or `other`.
    pub visiting_kind: String,
    /// The resident's or staff member's id (from the kiosk's search).
    #[serde(default)]
    #[ts(optional)]
    pub visiting_id: Option<String>,
    /// `other`: the visitor's company or organisation.
    #[serde(default)]
    #[ts(optional)]
    pub company: Option<String>,
    /// `other`: what they are here for.
    #[serde(default)]
    #[ts(optional)]
    pub purpose: Option<String>,
    /// `resident`: daughter, friend...
    #[serde(default)]
    #[ts(optional)]
    pub relationship: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub car_registration: Option<String>,
    /// One answer per question asked (true: "yes").
    #[serde(default)]
    pub screening_answers: Vec<bool>,
    /// The policy version the visitor accepted on this visit.
    #[serde(default)]
    #[ts(optional)]
    pub accepted_policy_version: Option<u32>,
}

/// What the kiosk shows after "Sign in".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[ts(export)]
pub enum SignInOutcome {
    /// Signed in: the confirmation screen.
    SignedIn { confirmation: SignInConfirmation },
    /// The resident's visits need a staff member's approval: "please wait". Ask
    /// `visitor_sign_in_status` with `sign_in_id` until it changes.
    WaitForStaff {
        sign_in_id: String,
        first_name: String,
        message: String,
    },
    /// A staff member did not approve the visit.
    Declined { message: String },
    /// A "yes" to a screening question: not signed in; the home's guidance.
    NotToday { guidance: String },
}

/// The confirmation screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SignInConfirmation {
    pub sign_in_id: String,
    pub first_name: String,
    /// "today at 10:05"
    pub signed_in_words: String,
    /// "Maggie W.", "Priya O.", "Acme Ltd"...
    pub visiting_label: String,
    /// Type it to sign out (unique among the visitors on site).
    pub sign_out_code: String,
}

/// A visitor in the kiosk's public list of who is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PublicVisitor {
    pub sign_in_id: String,
    /// "Jane D."
    pub label: String,
    /// "10:05"
    pub since: String,
}

/// A visitor signed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SignedOut {
    pub sign_in_id: String,
    pub label: String,
    /// "today at 16:40"
    pub signed_out_words: String,
}

/// A staff member signed in or out at the kiosk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct StaffMovement {
    pub staff_id: String,
    pub label: String,
    pub signed_in: bool,
    /// "today at 07:02"
    pub at_words: String,
}

// ---- what the console sees -------------------------------------------------------------------

/// A visitor's record for the console (receptionists and up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct VisitorRecord {
    pub sign_in_id: String,
    pub visitor_name: String,
    pub visiting_kind: VisitingKind,
    /// "Margaret Wilson (resident)", "Priya Okafor (staff)", "Acme Ltd"
    pub visiting: String,
    pub visiting_id: Option<String>,
    pub purpose: String,
    pub company: Option<String>,
    pub relationship: Option<String>,
    pub phone: Option<String>,
    pub car_registration: Option<String>,
    pub signed_in_at: DateTime<Utc>,
    pub signed_in_words: String,
    pub signed_out_at: Option<DateTime<Utc>>,
    pub signed_out_words: Option<String>,
    pub sign_out_kind: Option<rx::SignOutKind>,
    /// The staff member who signed them out (or approved / declined the visit).
    pub signed_out_by: Option<String>,
    /// In the building until now, or until they left.
    #[ts(type = "number")]
    pub minutes_in_building: i64,
    pub approval: Approval,
    pub approval_by: Option<String>,
    /// Not yet sent to CareLoop.
    pub pending_sync: bool,
}

/// A staff member on site, for the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct StaffOnSiteView {
    pub staff_id: String,
    pub name: String,
    pub role: Option<String>,
    pub signed_in_at: DateTime<Utc>,
    pub signed_in_words: String,
    #[ts(type = "number")]
    pub minutes_on_site: i64,
}

/// A resident as reception finds them (receptionists and up: name and room).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ResidentChoice {
    pub resident_id: String,
    pub name: String,
    pub room: Option<String>,
    pub out: Option<OutingView>,
}

/// A resident out of the building.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct OutingView {
    pub resident_id: String,
    pub name: String,
    pub room: Option<String>,
    pub with_whom: String,
    pub out_at: DateTime<Utc>,
    pub out_words: String,
    pub recorded_by: String,
}

/// What the history and the CSV export are filtered by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct HistoryQuery {
    #[serde(default)]
    #[ts(optional)]
    pub text: Option<String>,
    /// First day (YYYY-MM-DD, the home's calendar), included.
    #[serde(default)]
    #[ts(optional)]
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD), included.
    #[serde(default)]
    #[ts(optional)]
    pub to: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
    #[serde(default)]
    #[ts(optional)]
    pub offset: Option<u32>,
}

/// A file the desk wrote for the person (a CSV export, a roll call PDF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SavedFile {
    pub path: String,
    pub file_name: String,
    #[ts(type = "number")]
    pub bytes: u64,
}

// ---- checks ----------------------------------------------------------------------------------

const MAX_NAME: usize = 50;
const MAX_TEXT: usize = 100;
const MAX_RELATIONSHIP: usize = 40;
const MAX_CAR: usize = 10;

type Fields = BTreeMap<String, String>;

/// A name as typed: letters of any alphabet, spaces, hyphens, apostrophes, full stops.
fn check_name(fields: &mut Fields, key: &str, what: &str, value: &str) -> String {
    let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
    let letters = v.chars().filter(|c| c.is_alphabetic()).count();
    let odd = v
        .chars()
        .any(|c| !(c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.')));
    let repeated = {
        let chars: Vec<char> = v.to_lowercase().chars().collect();
        chars.windows(4).any(|w| w.iter().all(|c| *c == w[0]))
    };
    let message = if v.is_empty() {
        Some(format!("Please write your {what}"))
    } else if v.chars().count() > MAX_NAME {
        Some(format!("Please use {MAX_NAME} letters or fewer"))
    } else if odd {
        Some("Names can have letters, spaces, hyphens and apostrophes".into())
    } else if letters == 0 || repeated {
        Some(format!("Please check your {what}"))
    } else {
        None
    };
    if let Some(m) = message {
        fields.insert(key.into(), m);
    }
    v
}

/// A phone number as typed: digits with spaces, `+`, `-` and brackets; 7 to 15 digits. Kept
/// as typed, tidied.
fn check_phone(fields: &mut Fields, value: Option<&str>) -> String {
    let v = value
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let digits = v.chars().filter(char::is_ascii_digit).count();
    if v.is_empty() {
        fields.insert(
            "phone".into(),
            "Please give a phone number, so staff can reach you in an emergency".into(),
        );
    } else if v
        .chars()
        .any(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')')))
        || !(7..=15).contains(&digits)
    {
        fields.insert(
            "phone".into(),
            "Please check the phone number: 7 to 15 digits".into(),
        );
    }
    v
}

fn phone_digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// An optional text: trimmed, empty is none, at most `max` characters.
fn optional_text(
    fields: &mut Fields,
    key: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let v = value
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|v| !v.is_empty())?;
    if v.chars().count() > max {
        fields.insert(key.into(), format!("Please use {max} characters or fewer"));
    }
    Some(v)
}

/// A car registration: letters and digits (spaces allowed), upper-cased.
fn check_car(fields: &mut Fields, value: Option<&str>) -> Option<String> {
    let v = value
        .map(|v| {
            v.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_uppercase()
        })
        .filter(|v| !v.is_empty())?;
    if v.chars().any(|c| !(c.is_ascii_alphanumeric() || c == ' ')) {
        fields.insert(
            "car_registration".into(),
            "A registration has only letters and numbers".into(),
        );
    } else if v.chars().filter(|c| *c != ' ').count() > MAX_CAR {
        fields.insert(
            "car_registration".into(),
            "Please check the registration: 10 letters and numbers at most".into(),
        );
    }
    Some(v)
}

/// A new sign-out code: four random digits that no visitor on site has, and not an obvious one
/// (all the same, or in a row).
fn new_code(tx: &Transaction<'_>) -> Result<String, CommandError> {
    let mut rng = rand::thread_rng();
    for attempt in 0..200u32 {
        let width = if attempt < 150 { 4 } else { 5 };
        let n: u32 = rng.gen_range(0..10u32.pow(width));
        let code = format!("{n:0width$}", width = width as usize);
        let d: Vec<u32> = code.chars().filter_map(|c| c.to_digit(10)).collect();
        let same = d.iter().all(|x| *x == d[0]);
        let up = d.windows(2).all(|w| w[1] == w[0] + 1);
        let down = d.windows(2).all(|w| w[0] == w[1] + 1);
        if same || up || down {
            continue;
        }
        if !rx::code_in_use(tx, &code)? {
            return Ok(code);
        }
    }
    Err(crate::errors::internal("no free sign-out code"))
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A random ticket for a confirmed returning visitor.
fn new_ticket() -> String {
    let mut rng = rand::thread_rng();
    (0..32)
        .map(|_| char::from(b"abcdefghijkmnpqrstuvwxyz23456789"[rng.gen_range(0..32)]))
        .collect()
}

/// This desk's home: the one set in Settings, or the only home this desk knows.
pub(crate) fn desk_location(c: &Connection) -> crate::store::Result<Option<String>> {
    if let Some(l) = repo::settings::get_setting(c, settings::LOCATION_ID)? {
        return Ok(Some(l));
    }
    let homes = people::list_locations(c)?;
    Ok(match homes.as_slice() {
        [only] => Some(only.id.clone()),
        _ => None,
    })
}

fn no_home() -> CommandError {
    CommandError::new(
        Code::NotConfigured,
        "Signing in is not ready at this desk yet: staff need to choose this desk's home in \
         Settings.",
    )
}

fn not_found_visit() -> CommandError {
    CommandError::new(
        Code::NotFound,
        "We could not find that visit. Please ask a member of staff.",
    )
}

fn words(c: &Connection, at: DateTime<Utc>, now: DateTime<Utc>) -> crate::store::Result<String> {
    Ok(clock::when(at, now, repo::settings::home_zone(c)?))
}

fn hhmm(c: &Connection, at: DateTime<Utc>) -> crate::store::Result<String> {
    Ok(at
        .with_timezone(&repo::settings::home_zone(c)?)
        .format("%H:%M")
        .to_string())
}

/// The first name a sign-in shows (its own column, else the first word of the name).
fn first_of(s: &SignInRow) -> String {
    s.first_name.clone().unwrap_or_else(|| {
        s.visitor_name
            .split_whitespace()
            .next()
            .unwrap_or("")
            .into()
    })
}

fn public_label(s: &SignInRow) -> String {
    let family = s.visitor_name.split_whitespace().last().unwrap_or_default();
    if s.visitor_name.split_whitespace().count() < 2 {
        return first_of(s);
    }
    kiosk_label(&first_of(s), family)
}

/// What a visitor came for, for the kiosk's confirmation.
fn visiting_label(c: &Connection, s: &SignInRow) -> crate::store::Result<String> {
    Ok(match s.visiting_kind {
        VisitingKind::Resident => match &s.visiting_resident_id {
            Some(id) => resident_label(c, id)?.unwrap_or_else(|| "a resident".into()),
            None => "a resident".into(),
        },
        VisitingKind::Staff => match &s.visiting_staff_id {
            Some(id) => staff_label(c, id)?.unwrap_or_else(|| "a member of staff".into()),
            None => "a member of staff".into(),
        },
        VisitingKind::Other => s.company.clone().unwrap_or_else(|| s.purpose.clone()),
    })
}

fn resident_label(c: &Connection, id: &str) -> crate::store::Result<Option<String>> {
    Ok(people::get_resident(c, id)?
        .filter(|r| r.status == ResidentStatus::Current)
        .map(|r| person_label(&r.full_name, r.preferred_name.as_deref())))
}

fn staff_label(c: &Connection, id: &str) -> crate::store::Result<Option<String>> {
    Ok(people::active_staff_names(c, id)?.map(|(full, pref)| person_label(&full, pref.as_deref())))
}

/// Who did something, by name: a staff id from the lock's session, or the desk's setup.
pub(super) fn actor_name(c: &Connection, id: &str) -> crate::store::Result<String> {
    Ok(match id {
        "setup" => "the person setting up this desk".to_owned(),
        id => people::staff_name(c, id)?.unwrap_or_else(|| id.to_owned()),
    })
}

/// The console's record of a sign-in.
fn record(
    c: &Connection,
    s: &SignInRow,
    now: DateTime<Utc>,
) -> crate::store::Result<VisitorRecord> {
    let (visiting, visiting_id) = match s.visiting_kind {
        VisitingKind::Resident => {
            let id = s.visiting_resident_id.clone();
            let name = match &id {
                Some(id) => people::resident_named(c, id)?.map(|n| n.name),
                None => None,
            };
            (
                format!("{} (resident)", name.unwrap_or_else(|| "A resident".into())),
                id,
            )
        }
        VisitingKind::Staff => {
            let id = s.visiting_staff_id.clone();
            let name = match &id {
                Some(id) => people::staff_name(c, id)?,
                None => None,
            };
            (
                format!(
                    "{} (staff)",
                    name.unwrap_or_else(|| "A staff member".into())
                ),
                id,
            )
        }
        VisitingKind::Other => (s.company.clone().unwrap_or_else(|| "Other".into()), None),
    };
    let who = |id: &Option<String>| -> crate::store::Result<Option<String>> {
        match id.as_deref() {
            None => Ok(None),
            Some("kiosk") => Ok(Some("the visitor".into())),
            Some("system") => Ok(Some("Loopdesk".into())),
            Some(id) => Ok(Some(
                people::staff_name(c, id)?.unwrap_or_else(|| id.into()),
            )),
        }
    };
    let until = s.signed_out_at.unwrap_or(now);
    Ok(VisitorRecord {
        sign_in_id: s.id.clone(),
        visitor_name: s.visitor_name.clone(),
        visiting_kind: s.visiting_kind,
        visiting,
        visiting_id,
        purpose: s.purpose.clone(),
        company: s.company.clone(),
        relationship: s.relationship.clone(),
        phone: s.phone.clone(),
        car_registration: s.car_registration.clone(),
        signed_in_at: s.signed_in_at,
        signed_in_words: words(c, s.signed_in_at, now)?,
        signed_out_at: s.signed_out_at,
        signed_out_words: match s.signed_out_at {
            Some(t) => Some(words(c, t, now)?),
            None => None,
        },
        sign_out_kind: s.sign_out_kind,
        signed_out_by: who(&s.signed_out_by)?,
        minutes_in_building: (until - s.signed_in_at).num_minutes().max(0),
        approval: s.approval,
        approval_by: who(&s.approval_by)?,
        pending_sync: repo::outbox::has_unacknowledged_write(c, "visitor_sign_in", &s.id)?,
    })
}

/// The purpose CareLoop is told.
fn purpose_for(
    c: &Connection,
    kind: VisitingKind,
    staff: Option<&str>,
    relationship: Option<&str>,
    company: Option<&str>,
    purpose: Option<&str>,
) -> crate::store::Result<String> {
    Ok(match kind {
        VisitingKind::Resident => match relationship {
            Some(r) => format!("Visiting a resident ({r})"),
            None => "Visiting a resident".into(),
        },
        VisitingKind::Staff => {
            let name = match staff {
                Some(id) => people::staff_name(c, id)?,
                None => None,
            };
            format!(
                "Visiting {} (staff)",
                name.unwrap_or_else(|| "a staff member".into())
            )
        }
        VisitingKind::Other => match (purpose, company) {
            (Some(p), Some(co)) => format!("{p} ({co})"),
            (Some(p), None) => p.to_owned(),
            (None, Some(co)) => co.to_owned(),
            (None, None) => "Other".into(),
        },
    })
}

/// Raises a reception notice in the caller's transaction; the alert to announce.
fn notice(
    tx: &Transaction<'_>,
    alert: &NewAlert<'_>,
) -> crate::store::Result<Option<alerts_repo::Alert>> {
    match alerts_repo::raise_alert(tx, alert)? {
        Some(id) => Ok(alerts_repo::open_alerts(tx)?
            .into_iter()
            .find(|a| a.id == id)),
        None => Ok(None),
    }
}

/// Notice kinds (alerts of kind `reception.*` are purged with the visitor records).
pub const NOTICE_SCREENING: &str = "reception.screening";
pub const NOTICE_APPROVAL: &str = "reception.approval";
pub const NOTICE_AUTOMATIC: &str = "reception.automatic_sign_out";

/// The checked sign-in, ready to save.
struct Checked {
    first_name: String,
    surname: String,
    phone: String,
    profile: Option<VisitorProfile>,
    kind: VisitingKind,
    resident: Option<String>,
    staff: Option<String>,
    company: Option<String>,
    purpose: Option<String>,
    relationship: Option<String>,
    car: Option<String>,
    accepts_policy: Option<u32>,
}

impl Desk {
    // ---- the kiosk ---------------------------------------------------------------------------

    /// What the kiosk's screens need: the home's name, the screening questions asked now, the
    /// visitor policy.
    pub async fn kiosk_reception(&self) -> Result<KioskReception, CommandError> {
        self.read(|c| {
            let s = read_settings(c)?;
            let home_name = match desk_location(c)? {
                Some(l) => people::location_name(c, &l)?,
                None => None,
            };
            Ok(KioskReception {
                home_name,
                screening_questions: if s.screening_on() {
                    s.screening_questions.clone()
                } else {
                    Vec::new()
                },
                policy: s.policy().map(|version| KioskPolicy {
                    text: s.policy_text.clone(),
                    version,
                }),
            })
        })
        .await
    }

    /// Returning visitors whose name starts with `text` (three letters at least; fewer finds
    /// no one), by first name and surname initial.
    pub async fn find_returning_visitors(
        &self,
        text: String,
    ) -> Result<Vec<ReturningMatch>, CommandError> {
        let typed = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if typed.chars().filter(|c| c.is_alphabetic()).count() < 3 {
            return Ok(Vec::new());
        }
        self.read(move |c| {
            let mut seen = std::collections::HashSet::new();
            Ok(rx::find_visitors(c, &typed, 20)?
                .into_iter()
                .map(|v| ReturningMatch {
                    label: kiosk_label(&v.first_name, &v.surname),
                    visitor_id: v.id,
                })
                // Two profiles with one label are both offered: the digits tell them apart.
                .filter(|m| seen.insert(m.visitor_id.clone()))
                .take(8)
                .collect())
        })
        .await
    }

    /// A returning visitor confirms who they are with the last three digits of their phone.
    /// Three wrong answers in a row and they type their details instead (for a day). The
    /// answer never says which part was wrong, nor whether the visitor exists.
    pub async fn confirm_returning_visitor(
        &self,
        visitor_id: String,
        last_digits: Secret,
    ) -> Result<ReturningVisitor, CommandError> {
        let now = self.clock.now();
        let typed: String = last_digits.expose().trim().to_owned();
        let outcome = self
            .save(move |tx| {
                let no_match = |closed: bool| {
                    let message = if closed {
                        "That does not match our records. Please type your details instead."
                    } else {
                        "That does not match our records. Please try again."
                    };
                    CommandError::invalid_fields(
                        message,
                        [("phone_digits".to_owned(), message.to_owned())],
                    )
                };
                let Some(mut v) = rx::get_visitor(tx, &visitor_id)? else {
                    return Ok(Err(no_match(false)));
                };
                if v.confirm_closed_until.is_some_and(|t| t > now) {
                    return Ok(Err(no_match(true)));
                }
                let digits = phone_digits(&v.phone);
                let last3 = &digits[digits.len().saturating_sub(3)..];
                if typed.len() == 3 && typed == last3 {
                    v.confirm_failures = 0;
                    v.confirm_closed_until = None;
                    v.confirm_token = Some(new_ticket());
                    v.confirm_token_until = Some(now + TICKET_FOR);
                    rx::upsert_visitor(tx, &v)?;
                    Ok(Ok(v))
                } else {
                    v.confirm_failures += 1;
                    let closed = v.confirm_failures >= MAX_CONFIRM_FAILURES;
                    if closed {
                        v.confirm_failures = 0;
                        v.confirm_closed_until = Some(now + CONFIRM_CLOSED_FOR);
                    }
                    v.confirm_token = None;
                    v.confirm_token_until = None;
                    rx::upsert_visitor(tx, &v)?;
                    Ok(Err(no_match(closed)))
                }
            })
            .await?;
        let v = outcome?;
        self.read(move |c| {
            let s = read_settings(c)?;
            let last_visited = match (v.last_visiting_kind, &v.last_visiting_id) {
                (Some(VisitingKind::Resident), Some(id)) => {
                    resident_label(c, id)?.map(|label| KioskPerson {
                        id: id.clone(),
                        label,
                    })
                }
                (Some(VisitingKind::Staff), Some(id)) => {
                    staff_label(c, id)?.map(|label| KioskPerson {
                        id: id.clone(),
                        label,
                    })
                }
                _ => None,
            };
            Ok(ReturningVisitor {
                ticket: v.confirm_token.clone().unwrap_or_default(),
                label: kiosk_label(&v.first_name, &v.surname),
                first_name: v.first_name.clone(),
                relationship: v.relationship.clone(),
                car_registration: v.car_registration.clone(),
                company: v.company.clone(),
                visiting_kind: v.last_visiting_kind,
                last_visited,
                last_purpose: v.last_purpose.clone(),
                policy_accepted: s.policy().is_none_or(|p| v.policy_version >= p),
                visitor_id: v.id,
            })
        })
        .await
    }

    /// Residents of this home whose name has `text` (three letters at least), for "whom are
    /// you visiting": preferred name and surname initial, and an opaque id. Nothing else.
    pub async fn kiosk_find_residents(
        &self,
        text: String,
    ) -> Result<Vec<KioskPerson>, CommandError> {
        if text.chars().filter(|c| c.is_alphabetic()).count() < 3 {
            return Ok(Vec::new());
        }
        self.read(move |c| {
            let query = ResidentQuery {
                text: Some(text),
                location_id: desk_location(c)?,
                status: Some(ResidentStatus::Current),
            };
            Ok(people::search_residents(
                c,
                &query,
                Page {
                    limit: 8,
                    offset: 0,
                },
            )?
            .into_iter()
            .map(|r| KioskPerson {
                label: person_label(&r.full_name, r.preferred_name.as_deref()),
                id: r.id,
            })
            .collect())
        })
        .await
    }

    /// Staff of this home whose name has `text` (three letters at least), for "whom are you
    /// visiting": first name and surname initial.
    pub async fn kiosk_find_staff(&self, text: String) -> Result<Vec<KioskPerson>, CommandError> {
        let typed = text.trim().to_lowercase();
        if typed.chars().filter(|c| c.is_alphabetic()).count() < 3 {
            return Ok(Vec::new());
        }
        self.read_on_today(move |c, today| {
            let location = desk_location(c)?;
            Ok(people::list_staff(
                c,
                location.as_deref(),
                Page {
                    limit: 10_000,
                    offset: 0,
                },
                today,
            )?
            .into_iter()
            .filter(|s| s.status == people::StaffStatus::Active)
            .filter(|s| {
                let name = format!(
                    "{} {}",
                    s.full_name,
                    s.preferred_name.as_deref().unwrap_or_default()
                )
                .to_lowercase();
                typed.split_whitespace().all(|w| name.contains(w))
            })
            .take(8)
            .map(|s| KioskPerson {
                label: person_label(&s.full_name, s.preferred_name.as_deref()),
                id: s.id,
            })
            .collect())
        })
        .await
    }

    /// Signs a visitor in. Bad input is answered per field and saves nothing; a "yes" to a
    /// screening question signs no one in (the guidance, and a notice for staff); a resident
    /// whose visits need approval makes the visitor wait for a staff member.
    pub async fn sign_in_visitor(
        &self,
        form: VisitorSignInForm,
    ) -> Result<SignInOutcome, CommandError> {
        let now = self.clock.now();
        let (outcome, raised) = self
            .save(move |tx| {
                let settings = read_settings(tx)?;
                let checked = check_sign_in(tx, &form, &settings, now)?;
                let location = desk_location(tx)?.ok_or_else(no_home)?;
                let label = kiosk_label(&checked.first_name, &checked.surname);
                let zone = repo::settings::home_zone(tx)?;
                // Screening: a "yes" stops here (the answers and a notice are kept).
                let asked = settings.screening_on();
                let answers = json!(settings
                    .screening_questions
                    .iter()
                    .zip(&form.screening_answers)
                    .map(|(q, a)| json!({"question": q, "answer": a}))
                    .collect::<Vec<_>>());
                if asked && form.screening_answers.iter().any(|a| *a) {
                    rx::insert_screening(tx, None, &label, now, &answers, false)?;
                    let key = format!("reception:screening:{}", new_id());
                    let raised = notice(
                        tx,
                        &NewAlert {
                            key: &key,
                            event_id: None,
                            kind: NOTICE_SCREENING,
                            title: "A visitor answered yes to a health question",
                            detail: Some(&format!(
                                "{label} was shown the home's guidance and not signed in \
                             ({}).",
                                alerts_repo::WHEN
                            )),
                            location_id: None,
                            resident_id: None,
                            resource_id: None,
                            when_at: Some(now),
                        },
                    )?;
                    repo::audit::audit(tx, "kiosk", "reception.screening_refused", None, None)?;
                    return Ok((
                        SignInOutcome::NotToday {
                            guidance: settings.screening_guidance.clone(),
                        },
                        raised,
                    ));
                }
                let needs_approval = match &checked.resident {
                    Some(r) => rx::resident_reception(tx, r)?.visits_need_approval,
                    None => false,
                };
                let id = new_id();
                let profile = save_profile(tx, &checked, now)?;
                let purpose = purpose_for(
                    tx,
                    checked.kind,
                    checked.staff.as_deref(),
                    checked.relationship.as_deref(),
                    checked.company.as_deref(),
                    checked.purpose.as_deref(),
                )?;
                let row = SignInRow {
                    id: id.clone(),
                    client_id: Some(id.clone()),
                    location_id: location,
                    visitor_id: Some(profile.id.clone()),
                    visitor_name: format!("{} {}", checked.first_name, checked.surname),
                    first_name: Some(checked.first_name.clone()),
                    visiting_kind: checked.kind,
                    visiting_resident_id: checked.resident.clone(),
                    visiting_staff_id: checked.staff.clone(),
                    company: checked.company.clone(),
                    purpose,
                    relationship: checked.relationship.clone(),
                    phone: Some(checked.phone.clone()),
                    car_registration: checked.car.clone(),
                    signed_in_at: now,
                    signed_out_at: None,
                    sign_out_kind: None,
                    signed_out_by: None,
                    sign_out_code: if needs_approval {
                        None
                    } else {
                        Some(new_code(tx)?)
                    },
                    approval: if needs_approval {
                        Approval::Pending
                    } else {
                        Approval::NotNeeded
                    },
                    approval_by: None,
                    approval_at: None,
                    reviewed_at: None,
                    reviewed_by: None,
                    updated_at: now,
                };
                rx::insert_sign_in(tx, &row)?;
                if asked {
                    rx::insert_screening(tx, Some(&id), &label, now, &answers, true)?;
                }
                if needs_approval {
                    let raised = notice(
                        tx,
                        &NewAlert {
                            key: &format!("reception:approval:{id}"),
                            event_id: None,
                            kind: NOTICE_APPROVAL,
                            title: "A visitor is waiting at reception for approval",
                            detail: Some(&format!(
                                "{label} has come to visit a resident whose visits need staff \
                             approval ({}). Please go to reception.",
                                alerts_repo::WHEN
                            )),
                            location_id: None,
                            resident_id: checked.resident.as_deref(),
                            resource_id: Some(&id),
                            when_at: Some(now),
                        },
                    )?;
                    repo::audit::audit(
                        tx,
                        "kiosk",
                        "reception.waiting_for_approval",
                        Some(("visitor_sign_in", &id)),
                        None,
                    )?;
                    return Ok((
                        SignInOutcome::WaitForStaff {
                            sign_in_id: id,
                            first_name: checked.first_name.clone(),
                            message: "Please wait here: a member of staff will come to you.".into(),
                        },
                        raised,
                    ));
                }
                outbox::enqueue_create(
                    tx,
                    &VisitorSignInCreate,
                    &id,
                    VisitorSignInCreate::payload(&row),
                )?;
                repo::audit::audit(
                    tx,
                    "kiosk",
                    "reception.sign_in",
                    Some(("visitor_sign_in", &id)),
                    None,
                )?;
                let confirmation = SignInConfirmation {
                    sign_in_id: id,
                    first_name: checked.first_name.clone(),
                    signed_in_words: clock::when(now, now, zone),
                    visiting_label: visiting_label(tx, &row)?,
                    sign_out_code: row.sign_out_code.clone().unwrap_or_default(),
                };
                Ok((SignInOutcome::SignedIn { confirmation }, None))
            })
            .await?;
        if let Some(a) = raised {
            self.alerts.announce_raised(a);
        }
        Ok(outcome)
    }

    /// Where a sign-in that waited for approval stands: still waiting, signed in (the
    /// confirmation) or declined.
    pub async fn visitor_sign_in_status(
        &self,
        sign_in_id: String,
    ) -> Result<SignInOutcome, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            let Some(s) = rx::get_sign_in(c, &sign_in_id)? else {
                return Ok(None);
            };
            Ok(Some(match s.approval {
                Approval::Pending => SignInOutcome::WaitForStaff {
                    sign_in_id: s.id.clone(),
                    first_name: first_of(&s),
                    message: "Please wait here: a member of staff will come to you.".into(),
                },
                Approval::Declined => SignInOutcome::Declined {
                    message: "Please speak to the member of staff with you.".into(),
                },
                _ if s.signed_out_at.is_some() => SignInOutcome::Declined {
                    message: "This visit has ended.".into(),
                },
                _ => SignInOutcome::SignedIn {
                    confirmation: SignInConfirmation {
                        sign_in_id: s.id.clone(),
                        first_name: first_of(&s),
                        signed_in_words: words(c, s.signed_in_at, now)?,
                        visiting_label: visiting_label(c, &s)?,
                        sign_out_code: s.sign_out_code.clone().unwrap_or_default(),
                    },
                },
            }))
        })
        .await?
        .ok_or_else(not_found_visit)
    }

    /// Who is signed in now, as the kiosk lists them to tap to sign out: first name and
    /// surname initial, and the time they came.
    pub async fn kiosk_on_site(&self) -> Result<Vec<PublicVisitor>, CommandError> {
        self.read(|c| {
            let location = desk_location(c)?;
            rx::sign_ins_on_site(c, location.as_deref())?
                .iter()
                .filter(|s| s.approval != Approval::Pending)
                .map(|s| {
                    Ok(PublicVisitor {
                        sign_in_id: s.id.clone(),
                        label: public_label(s),
                        since: hhmm(c, s.signed_in_at)?,
                    })
                })
                .collect()
        })
        .await
    }

    /// A visitor tapped their own name in the list.
    pub async fn sign_out_visitor(&self, sign_in_id: String) -> Result<SignedOut, CommandError> {
        self.sign_out_as(sign_in_id, SignOutKind::Visitor, "kiosk".into())
            .await
    }

    /// A visitor typed their sign-out code.
    pub async fn sign_out_with_code(&self, code: String) -> Result<SignedOut, CommandError> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let found = if code.is_empty() || !code.chars().all(|c| c.is_ascii_digit()) {
            None
        } else {
            self.read(move |c| rx::on_site_with_code(c, &code)).await?
        };
        match found {
            Some(s) if s.approval != Approval::Pending => {
                self.sign_out_as(s.id, SignOutKind::Code, "kiosk".into())
                    .await
            }
            _ => Err(CommandError::invalid_fields(
                "That code does not match anyone signed in",
                [(
                    "code".to_owned(),
                    "That code does not match anyone signed in. Check it, or tap your name \
                     in the list."
                        .to_owned(),
                )],
            )),
        }
    }

    /// Signs a visitor out (`by`: kiosk, a staff id, system) and queues the sign-out for
    /// CareLoop when the sign-in went there (or will).
    async fn sign_out_as(
        &self,
        sign_in_id: String,
        kind: SignOutKind,
        by: String,
    ) -> Result<SignedOut, CommandError> {
        let now = self.clock.now();
        self.save(move |tx| {
            let Some(s) = rx::get_sign_in(tx, &sign_in_id)? else {
                return Err(not_found_visit());
            };
            if s.signed_out_at.is_some() {
                return Err(CommandError::new(
                    Code::InvalidInput,
                    "This visitor has already signed out.",
                ));
            }
            sign_out_row(tx, &s, now, kind, &by)?;
            Ok(SignedOut {
                label: public_label(&s),
                signed_out_words: words(tx, now.max(s.signed_in_at), now)?,
                sign_in_id: s.id,
            })
        })
        .await
    }

    /// A staff member signs in or out at the kiosk with their PIN (the staff lock's check and
    /// its pause after wrong PINs). It does not unlock the console.
    pub async fn kiosk_staff_sign_in(
        &self,
        staff_id: String,
        pin: Secret,
    ) -> Result<StaffMovement, CommandError> {
        self.staff_movement(staff_id, pin, true).await
    }

    pub async fn kiosk_staff_sign_out(
        &self,
        staff_id: String,
        pin: Secret,
    ) -> Result<StaffMovement, CommandError> {
        self.staff_movement(staff_id, pin, false).await
    }

    async fn staff_movement(
        &self,
        staff_id: String,
        pin: Secret,
        signing_in: bool,
    ) -> Result<StaffMovement, CommandError> {
        let holder = self.check_pin(staff_id, pin).await?;
        let now = self.clock.now();
        self.save(move |tx| {
            let id = holder.staff_id.clone();
            let label = person_label(&holder.name, None);
            match (signing_in, rx::staff_signed_in_at(tx, &id)?) {
                (true, Some(since)) => {
                    return Err(CommandError::new(
                        Code::InvalidInput,
                        format!("You are already signed in (since {}).", hhmm(tx, since)?),
                    ))
                }
                (false, None) => {
                    return Err(CommandError::new(
                        Code::InvalidInput,
                        "You are not signed in at the moment.",
                    ))
                }
                (true, None) => rx::staff_sign_in(tx, &id, now)?,
                (false, Some(_)) => {
                    rx::staff_sign_out(tx, &id, now, &id)?;
                }
            }
            repo::audit::audit(
                tx,
                &id,
                if signing_in {
                    "reception.staff_in"
                } else {
                    "reception.staff_out"
                },
                Some(("staff", &id)),
                None,
            )?;
            Ok(StaffMovement {
                staff_id: id,
                label,
                signed_in: signing_in,
                at_words: words(tx, now, now)?,
            })
        })
        .await
    }

    // ---- the console ---------------------------------------------------------------------------

    /// Visitors in the building now with their time in it (receptionists and up).
    pub async fn visitors_on_site(&self) -> Result<Vec<VisitorRecord>, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            let location = desk_location(c)?;
            rx::sign_ins_on_site(c, location.as_deref())?
                .iter()
                .map(|s| record(c, s, now))
                .collect()
        })
        .await
    }

    /// A receptionist signs a visitor out.
    pub async fn staff_sign_out_visitor(
        &self,
        sign_in_id: String,
    ) -> Result<VisitorRecord, CommandError> {
        let actor = self.actor().await?;
        let out = self
            .sign_out_as(sign_in_id, SignOutKind::Staff, actor)
            .await?;
        self.visitor_record(out.sign_in_id).await
    }

    async fn visitor_record(&self, id: String) -> Result<VisitorRecord, CommandError> {
        let now = self.clock.now();
        self.read(move |c| match rx::get_sign_in(c, &id)? {
            Some(s) => Ok(Some(record(c, &s, now)?)),
            None => Ok(None),
        })
        .await?
        .ok_or_else(not_found_visit)
    }

    /// Sign-ins waiting for a staff member's approval.
    pub async fn pending_visitor_approvals(&self) -> Result<Vec<VisitorRecord>, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            rx::pending_approvals(c)?
                .iter()
                .map(|s| record(c, s, now))
                .collect()
        })
        .await
    }

    /// A staff member approves a waiting visit: the visitor is signed in (from when they
    /// arrived), and the sign-in is queued for CareLoop.
    pub async fn approve_visitor(&self, sign_in_id: String) -> Result<VisitorRecord, CommandError> {
        self.answer_approval(sign_in_id, true).await
    }

    /// A staff member declines a waiting visit: the visitor is not signed in (nothing is sent
    /// to CareLoop).
    pub async fn decline_visitor(&self, sign_in_id: String) -> Result<VisitorRecord, CommandError> {
        self.answer_approval(sign_in_id, false).await
    }

    async fn answer_approval(
        &self,
        sign_in_id: String,
        approve: bool,
    ) -> Result<VisitorRecord, CommandError> {
        let actor = self.actor().await?;
        let now = self.clock.now();
        let id = self
            .save(move |tx| {
                let Some(s) = rx::get_sign_in(tx, &sign_in_id)? else {
                    return Err(not_found_visit());
                };
                if s.approval != Approval::Pending || s.signed_out_at.is_some() {
                    return Err(CommandError::new(
                        Code::InvalidInput,
                        "This visit is not waiting for approval any more.",
                    ));
                }
                if approve {
                    let code = new_code(tx)?;
                    rx::set_approval(tx, &s.id, Approval::Approved, &actor, now, Some(&code))?;
                    let row = rx::get_sign_in(tx, &s.id)?.ok_or_else(not_found_visit)?;
                    outbox::enqueue_create(
                        tx,
                        &VisitorSignInCreate,
                        &s.id,
                        VisitorSignInCreate::payload(&row),
                    )?;
                } else {
                    rx::set_approval(tx, &s.id, Approval::Declined, &actor, now, None)?;
                    rx::sign_out(tx, &s.id, now, SignOutKind::Declined, Some(&actor))?;
                }
                // The notice is answered.
                if let Some(a) =
                    alerts_repo::alert_by_key(tx, &format!("reception:approval:{}", s.id))?
                {
                    if a.acknowledged_at.is_none() {
                        let name = people::staff_name(tx, &actor)?.unwrap_or_else(|| actor.clone());
                        alerts_repo::acknowledge_alert(tx, a.id, &name)?;
                    }
                }
                repo::audit::audit(
                    tx,
                    &actor,
                    if approve {
                        "reception.approved"
                    } else {
                        "reception.declined"
                    },
                    Some(("visitor_sign_in", &s.id)),
                    None,
                )?;
                Ok(s.id)
            })
            .await?;
        self.visitor_record(id).await
    }

    /// The visitor history, newest first: found by name, company, purpose or car registration,
    /// between two days of the home's calendar (both included).
    pub async fn visitor_history(
        &self,
        query: HistoryQuery,
    ) -> Result<Vec<VisitorRecord>, CommandError> {
        let now = self.clock.now();
        self.read_history(query, now).await
    }

    async fn read_history(
        &self,
        query: HistoryQuery,
        now: DateTime<Utc>,
    ) -> Result<Vec<VisitorRecord>, CommandError> {
        let (from, to) = (
            parse_day("from", query.from.as_deref())?,
            parse_day("to", query.to.as_deref())?,
        );
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                return Err(CommandError::invalid_fields(
                    "Check the dates",
                    [(
                        "to".to_owned(),
                        "The last day is before the first".to_owned(),
                    )],
                ));
            }
        }
        self.read(move |c| {
            let zone = repo::settings::home_zone(c)?;
            let filter = HistoryFilter {
                text: query.text.clone(),
                from: from.map(|d| clock::start_of_day(zone, d)),
                to: to
                    .and_then(|d| d.succ_opt())
                    .map(|d| clock::start_of_day(zone, d)),
                limit: query.limit.unwrap_or(200).clamp(1, 100_000),
                offset: query.offset.unwrap_or(0),
            };
            rx::sign_in_history(c, &filter)?
                .iter()
                .map(|s| record(c, s, now))
                .collect()
        })
        .await
    }

    /// The history as a CSV file (UTF-8, one visit a line, times in the home's time zone),
    /// written into `dir`; what was written.
    pub async fn export_visitor_history(
        &self,
        query: HistoryQuery,
        dir: PathBuf,
    ) -> Result<SavedFile, CommandError> {
        let now = self.clock.now();
        let actor = self.actor().await?;
        let records = self
            .read_history(
                HistoryQuery {
                    limit: Some(100_000),
                    offset: None,
                    ..query
                },
                now,
            )
            .await?;
        let zone = self.read(repo::settings::home_zone).await?;
        let csv = history_csv(&records, zone)?;
        let day = clock::date_in(zone, now);
        let saved = write_file(&dir, &format!("visitors-{day}"), "csv", csv).await?;
        let n = records.len();
        self.save(move |tx| {
            repo::audit::audit(
                tx,
                &actor,
                "reception.export",
                None,
                Some(&json!({"rows": n})),
            )?;
            Ok(())
        })
        .await?;
        Ok(saved)
    }

    /// Visitors signed out automatically that no staff member has looked at yet (the
    /// morning's list).
    pub async fn automatic_sign_outs(&self) -> Result<Vec<VisitorRecord>, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            rx::unreviewed_automatic_sign_outs(c)?
                .iter()
                .map(|s| record(c, s, now))
                .collect()
        })
        .await
    }

    /// A staff member has looked at the automatic sign-outs; how many left the list.
    pub async fn review_automatic_sign_outs(&self) -> Result<u32, CommandError> {
        let actor = self.actor().await?;
        let now = self.clock.now();
        self.save(move |tx| {
            let n = rx::mark_automatic_reviewed(tx, &actor, now)?;
            repo::audit::audit(
                tx,
                &actor,
                "reception.automatic_reviewed",
                None,
                Some(&json!({"count": n})),
            )?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
        .await
    }

    /// Staff on site now.
    pub async fn staff_on_site(&self) -> Result<Vec<StaffOnSiteView>, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            rx::staff_on_site(c)?
                .into_iter()
                .map(|s| {
                    Ok(StaffOnSiteView {
                        name: people::display_name(&s.full_name, s.preferred_name.as_deref()),
                        signed_in_words: words(c, s.signed_in_at, now)?,
                        minutes_on_site: (now - s.signed_in_at).num_minutes().max(0),
                        staff_id: s.staff_id,
                        role: s.role,
                        signed_in_at: s.signed_in_at,
                    })
                })
                .collect()
        })
        .await
    }

    /// A receptionist signs a staff member out (they left without using the kiosk).
    pub async fn staff_sign_out_staff(&self, staff_id: String) -> Result<(), CommandError> {
        let actor = self.actor().await?;
        let now = self.clock.now();
        self.save(move |tx| {
            if !rx::staff_sign_out(tx, &staff_id, now, &actor)? {
                return Err(CommandError::new(
                    Code::InvalidInput,
                    "This staff member is not signed in.",
                ));
            }
            repo::audit::audit(
                tx,
                &actor,
                "reception.staff_out",
                Some(("staff", &staff_id)),
                None,
            )?;
            Ok(())
        })
        .await
    }

    /// Residents by name or room, for recording an outing (receptionists and up).
    pub async fn reception_find_residents(
        &self,
        text: String,
    ) -> Result<Vec<ResidentChoice>, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            let query = ResidentQuery {
                text: Some(text),
                location_id: desk_location(c)?,
                status: Some(ResidentStatus::Current),
            };
            people::search_residents(
                c,
                &query,
                Page {
                    limit: 20,
                    offset: 0,
                },
            )?
            .into_iter()
            .map(|r| {
                Ok(ResidentChoice {
                    out: match rx::outing_of(c, &r.id)? {
                        Some(o) => Some(outing_view(c, o, now)?),
                        None => None,
                    },
                    name: r.display_name(),
                    room: r.room_number.clone(),
                    resident_id: r.id,
                })
            })
            .collect()
        })
        .await
    }

    /// Residents out of the building now.
    pub async fn residents_out(&self) -> Result<Vec<OutingView>, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            rx::outings_now(c)?
                .into_iter()
                .map(|o| outing_view(c, o, now))
                .collect()
        })
        .await
    }

    /// Staff record a resident going out, and with whom.
    pub async fn resident_goes_out(
        &self,
        resident_id: String,
        with_whom: String,
    ) -> Result<OutingView, CommandError> {
        let actor = self.actor().await?;
        let now = self.clock.now();
        let with_whom = with_whom.split_whitespace().collect::<Vec<_>>().join(" ");
        let outing = self
            .save(move |tx| {
                let mut fields = Fields::new();
                if with_whom.is_empty() {
                    fields.insert("with_whom".into(), "Say who they are going out with".into());
                } else if with_whom.chars().count() > MAX_TEXT {
                    fields.insert(
                        "with_whom".into(),
                        format!("Please use {MAX_TEXT} characters or fewer"),
                    );
                }
                if !people::exists(tx, PeopleTable::Residents, &resident_id)? {
                    fields.insert("resident_id".into(), "Choose a resident".into());
                } else if let Some(o) = rx::outing_of(tx, &resident_id)? {
                    fields.insert(
                        "resident_id".into(),
                        format!("Already out (since {})", hhmm(tx, o.out_at)?),
                    );
                }
                if !fields.is_empty() {
                    return Err(CommandError::invalid_fields("Check the outing", fields));
                }
                let o = rx::Outing {
                    id: new_id(),
                    resident_id: resident_id.clone(),
                    with_whom,
                    out_at: now,
                    out_by: actor.clone(),
                };
                rx::resident_goes_out(tx, &o)?;
                repo::audit::audit(
                    tx,
                    &actor,
                    "reception.resident_out",
                    Some(("resident", &resident_id)),
                    None,
                )?;
                Ok(o)
            })
            .await?;
        self.read(move |c| outing_view(c, outing, now)).await
    }

    /// Staff record a resident back in the building.
    pub async fn resident_comes_back(&self, resident_id: String) -> Result<(), CommandError> {
        let actor = self.actor().await?;
        let now = self.clock.now();
        self.save(move |tx| {
            if !rx::resident_back(tx, &resident_id, now, &actor)? {
                return Err(CommandError::new(
                    Code::InvalidInput,
                    "This resident is not recorded as out.",
                ));
            }
            repo::audit::audit(
                tx,
                &actor,
                "reception.resident_back",
                Some(("resident", &resident_id)),
                None,
            )?;
            Ok(())
        })
        .await
    }

    /// What reception keeps about a resident (shift leads and up).
    pub async fn get_resident_reception(
        &self,
        resident_id: String,
    ) -> Result<ResidentReception, CommandError> {
        self.read(move |c| {
            let mut r = rx::resident_reception(c, &resident_id)?;
            r.updated_by = match r.updated_by.take() {
                Some(id) => Some(actor_name(c, &id)?),
                None => None,
            };
            Ok(r)
        })
        .await
    }

    /// A shift lead sets whether a resident's visits need staff approval, and their personal
    /// evacuation notes.
    pub async fn set_resident_reception(
        &self,
        resident_id: String,
        visits_need_approval: bool,
        evacuation_notes: Option<String>,
    ) -> Result<ResidentReception, CommandError> {
        let actor = self.actor().await?;
        let now = self.clock.now();
        let id = resident_id.clone();
        self.save(move |tx| {
            let mut fields = Fields::new();
            let notes = optional_text(
                &mut fields,
                "evacuation_notes",
                evacuation_notes.as_deref(),
                500,
            );
            if !people::exists(tx, PeopleTable::Residents, &id)? {
                fields.insert("resident_id".into(), "Choose a resident".into());
            }
            if !fields.is_empty() {
                return Err(CommandError::invalid_fields("Check the notes", fields));
            }
            rx::set_resident_reception(
                tx,
                &id,
                visits_need_approval,
                notes.as_deref(),
                &actor,
                now,
            )?;
            repo::audit::audit(
                tx,
                &actor,
                "reception.resident_settings",
                Some(("resident", &id)),
                Some(&json!({"visits_need_approval": visits_need_approval})),
            )?;
            Ok(())
        })
        .await?;
        self.get_resident_reception(resident_id).await
    }

    // ---- settings and retention (managers) ---------------------------------------------------

    pub async fn get_reception_settings(&self) -> Result<ReceptionSettings, CommandError> {
        self.read(read_settings).await
    }

    /// Saves reception's settings; a changed policy text gets a new version (visitors accept
    /// it again).
    pub async fn save_reception_settings(
        &self,
        input: ReceptionSettings,
    ) -> Result<ReceptionSettings, CommandError> {
        let actor = self.actor().await?;
        let mut fields = Fields::new();
        let questions: Vec<String> = input
            .screening_questions
            .iter()
            .map(|q| q.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|q| !q.is_empty())
            .collect();
        if questions.len() > 10 {
            fields.insert(
                "screening_questions".into(),
                "Ask 10 questions at most".into(),
            );
        } else if questions.iter().any(|q| q.chars().count() > 300) {
            fields.insert(
                "screening_questions".into(),
                "Keep each question to 300 characters or fewer".into(),
            );
        }
        let guidance = input.screening_guidance.trim().to_owned();
        if guidance.chars().count() > 2000 {
            fields.insert(
                "screening_guidance".into(),
                "Please use 2,000 characters or fewer".into(),
            );
        }
        let policy = input.policy_text.trim().to_owned();
        if policy.chars().count() > 10_000 {
            fields.insert(
                "policy_text".into(),
                "Please use 10,000 characters or fewer".into(),
            );
        }
        let time = parse_hhmm(&input.auto_sign_out_time);
        if time.is_none() {
            fields.insert(
                "auto_sign_out_time".into(),
                "Enter a time such as 23:59".into(),
            );
        }
        if !(1..=3650).contains(&input.visitor_retention_days) {
            fields.insert(
                "visitor_retention_days".into(),
                "Choose from 1 to 3,650 days".into(),
            );
        }
        if !(1..=3650).contains(&input.screening_retention_days) {
            fields.insert(
                "screening_retention_days".into(),
                "Choose from 1 to 3,650 days".into(),
            );
        } else if input.screening_retention_days > input.visitor_retention_days {
            fields.insert(
                "screening_retention_days".into(),
                "Screening answers are kept no longer than visitor records".into(),
            );
        }
        if !fields.is_empty() {
            return Err(CommandError::invalid_fields("Check the settings", fields));
        }
        let time = time
            .map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default();
        self.save(move |tx| {
            let before = read_settings(tx)?;
            let set = |k: &str, v: &str| repo::settings::set_setting(tx, k, v);
            set(OUTBREAK_MODE, if input.outbreak_mode { "1" } else { "0" })?;
            set(SCREENING_WHEN, input.screening_when.as_str())?;
            set(SCREENING_QUESTIONS, &json!(questions).to_string())?;
            set(SCREENING_GUIDANCE, &guidance)?;
            if policy != before.policy_text.trim() {
                set(POLICY_TEXT, &policy)?;
                set(POLICY_VERSION, &(before.policy_version + 1).to_string())?;
            }
            set(AUTO_SIGN_OUT_TIME, &time)?;
            set(
                VISITOR_RETENTION_DAYS,
                &input.visitor_retention_days.to_string(),
            )?;
            set(
                SCREENING_RETENTION_DAYS,
                &input.screening_retention_days.to_string(),
            )?;
            repo::audit::audit(
                tx,
                &actor,
                "reception.settings",
                None,
                Some(&json!({
                    "outbreak_mode": input.outbreak_mode,
                    "screening_when": input.screening_when,
                    "auto_sign_out_time": time,
                    "visitor_retention_days": input.visitor_retention_days,
                    "screening_retention_days": input.screening_retention_days,
                })),
            )?;
            Ok(read_settings(tx)?)
        })
        .await
    }

    /// Deletes visitor records older than the retention period and screening answers older
    /// than theirs, now; the audit log gets the counts (never names).
    pub async fn purge_reception_records(&self) -> Result<Purged, CommandError> {
        let actor = self.actor().await?;
        self.purge_as(actor).await
    }

    async fn purge_as(&self, actor: String) -> Result<Purged, CommandError> {
        let now = self.clock.now();
        self.save(move |tx| {
            let s = read_settings(tx)?;
            let records = now - TimeDelta::days(i64::from(s.visitor_retention_days));
            let screening = now - TimeDelta::days(i64::from(s.screening_retention_days));
            let purged = rx::purge(tx, records, screening)?;
            let today = settings::home_date(tx, now)?;
            repo::settings::set_setting(tx, LAST_PURGE, &today.to_string())?;
            repo::audit::audit(
                tx,
                &actor,
                "reception.purge",
                None,
                Some(&json!({
                    "sign_ins": purged.sign_ins,
                    "visitors": purged.visitors,
                    "screening_answers": purged.screening_answers,
                    "staff_movements": purged.staff_movements,
                    "resident_outings": purged.resident_outings,
                    "roll_calls": purged.roll_calls,
                    "notices": purged.notices,
                    "visitor_retention_days": s.visitor_retention_days,
                    "screening_retention_days": s.screening_retention_days,
                })),
            )?;
            Ok(purged)
        })
        .await
    }

    // ---- the day's end -------------------------------------------------------------------------

    /// Signs out, as automatic, every visitor still on site who signed in before the last
    /// automatic sign-out time (today's if it has passed, else yesterday's, in the home's time
    /// zone), at that time; raises one notice for the morning. Returns how many. Runs on the
    /// desk's clock in [`Desk::reception_loop`] and at start-up (catch-up).
    pub async fn sign_out_automatically(&self) -> Result<u32, CommandError> {
        let now = self.clock.now();
        // Most minutes no one is due: look first, so that the minute's check writes nothing
        // (and asks the sync engine for no push).
        let due = self
            .read(move |c| {
                let s = read_settings(c)?;
                let zone = repo::settings::home_zone(c)?;
                Ok(match last_cutoff(zone, &s.auto_sign_out_time, now) {
                    Some(cutoff) => !rx::due_for_automatic_sign_out(c, cutoff)?.is_empty(),
                    None => false,
                })
            })
            .await?;
        if !due {
            return Ok(0);
        }
        let (n, raised) = self
            .save(move |tx| {
                let s = read_settings(tx)?;
                let zone = repo::settings::home_zone(tx)?;
                let Some(cutoff) = last_cutoff(zone, &s.auto_sign_out_time, now) else {
                    return Ok((0, None));
                };
                let due = rx::due_for_automatic_sign_out(tx, cutoff)?;
                for row in &due {
                    sign_out_row(tx, row, cutoff, SignOutKind::Automatic, "system")?;
                }
                let n = u32::try_from(due.len()).unwrap_or(u32::MAX);
                if n == 0 {
                    return Ok((0, None));
                }
                let raised = notice(
                    tx,
                    &NewAlert {
                        key: &format!("reception:automatic:{}", repo::ts(&cutoff)),
                        event_id: None,
                        kind: NOTICE_AUTOMATIC,
                        title: &if n == 1 {
                            "1 visitor was signed out automatically".to_owned()
                        } else {
                            format!("{n} visitors were signed out automatically")
                        },
                        detail: Some(&format!(
                            "Still signed in {}: see Reception → Signed out automatically.",
                            alerts_repo::WHEN
                        )),
                        location_id: None,
                        resident_id: None,
                        resource_id: None,
                        when_at: Some(cutoff),
                    },
                )?;
                repo::audit::audit(
                    tx,
                    "system",
                    "reception.automatic_sign_out",
                    None,
                    Some(&json!({"count": n})),
                )?;
                Ok((n, raised))
            })
            .await?;
        if let Some(a) = raised {
            self.alerts.announce_raised(a);
        }
        Ok(n)
    }

    /// The automatic sign-out and the daily purge, on the desk's clock, once: at start
    /// ([`Desk::open`] waits for it, catching up on a night the desk was off, so that nothing of
    /// it is written under the first command), then from [`Desk::reception_loop`].
    pub(super) async fn reception_pass(&self) {
        if let Err(e) = self.sign_out_automatically().await {
            tracing::warn!(error = %e, "the automatic sign-out failed; it is tried again");
        }
        if let Err(e) = self.purge_if_due().await {
            tracing::warn!(error = %e, "the retention purge failed; it is tried again");
        }
    }

    /// [`Desk::reception_pass`] every minute after the one at start (a moved clock or setting
    /// is noticed within a minute).
    pub(super) async fn reception_loop(self: Arc<Self>) {
        loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            }
            self.reception_pass().await;
        }
    }

    /// The retention purge, once a day (by the home's calendar).
    async fn purge_if_due(&self) -> Result<(), CommandError> {
        let now = self.clock.now();
        let due = self
            .read(move |c| {
                let today = settings::home_date(c, now)?.to_string();
                Ok(repo::settings::get_setting(c, LAST_PURGE)?.as_deref() != Some(today.as_str()))
            })
            .await?;
        if due {
            self.purge_as("system".into()).await?;
        }
        Ok(())
    }
}

/// The latest automatic sign-out time at or before `now` (`hhmm` in `zone`).
fn last_cutoff(zone: chrono_tz::Tz, hhmm: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use chrono::TimeZone as _;
    let time = parse_hhmm(hhmm)?;
    let today = clock::date_in(zone, now);
    let at = |d: NaiveDate| {
        let local = d.and_time(time);
        zone.from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                zone.from_local_datetime(&(local + TimeDelta::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
    };
    match at(today) {
        Some(t) if t <= now => Some(t),
        _ => today.pred_opt().and_then(at),
    }
}

/// Signs a row out and queues the sign-out for CareLoop when the sign-in is (or will be)
/// there: not for a visit that waited for approval and never got it.
fn sign_out_row(
    tx: &Transaction<'_>,
    s: &SignInRow,
    at: DateTime<Utc>,
    kind: SignOutKind,
    by: &str,
) -> Result<(), CommandError> {
    if !rx::sign_out(tx, &s.id, at, kind, Some(by))? {
        return Err(CommandError::new(
            Code::InvalidInput,
            "This visitor has already signed out.",
        ));
    }
    if matches!(s.approval, Approval::NotNeeded | Approval::Approved) {
        outbox::enqueue(tx, &VisitorSignOut, &s.id, VisitorSignOut::payload(s, at))?;
    }
    repo::audit::audit(
        tx,
        by,
        "reception.sign_out",
        Some(("visitor_sign_in", &s.id)),
        Some(&json!({"how": kind})),
    )?;
    Ok(())
}

fn outing_view(
    c: &Connection,
    o: rx::Outing,
    now: DateTime<Utc>,
) -> crate::store::Result<OutingView> {
    let named = people::resident_named(c, &o.resident_id)?;
    Ok(OutingView {
        name: named
            .as_ref()
            .map(|n| n.name.clone())
            .unwrap_or_else(|| "A resident".into()),
        room: named.and_then(|n| n.room),
        with_whom: o.with_whom,
        out_words: words(c, o.out_at, now)?,
        out_at: o.out_at,
        recorded_by: people::staff_name(c, &o.out_by)?.unwrap_or(o.out_by),
        resident_id: o.resident_id,
    })
}

fn parse_day(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, CommandError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                CommandError::invalid_fields(
                    "Check the dates",
                    [(field.to_owned(), "Enter a date".to_owned())],
                )
            }),
    }
}

/// Checks a sign-in form: every problem by field, in kind words; nothing is saved on any.
fn check_sign_in(
    tx: &Transaction<'_>,
    form: &VisitorSignInForm,
    settings: &ReceptionSettings,
    now: DateTime<Utc>,
) -> Result<Checked, CommandError> {
    let mut fields = Fields::new();
    // Who: a confirmed returning visitor, or typed details.
    let profile = match &form.returning {
        Some(t) => match rx::get_visitor(tx, &t.visitor_id)? {
            Some(v)
                if v.confirm_token.as_deref() == Some(t.ticket.as_str())
                    && !t.ticket.is_empty()
                    && v.confirm_token_until.is_some_and(|u| u > now) =>
            {
                Some(v)
            }
            _ => {
                return Err(CommandError::invalid_fields(
                    "Please type your details",
                    [(
                        "returning".to_owned(),
                        "We could not confirm who you are: please type your details".to_owned(),
                    )],
                ))
            }
        },
        None => None,
    };
    let (first_name, surname, phone) = match &profile {
        Some(v) => (v.first_name.clone(), v.surname.clone(), v.phone.clone()),
        None => (
            check_name(&mut fields, "first_name", "first name", &form.first_name),
            check_name(&mut fields, "surname", "surname", &form.surname),
            check_phone(&mut fields, form.phone.as_deref()),
        ),
    };
    // Whom.
    let kind: Option<VisitingKind> = form.visiting_kind.parse().ok();
    let id = form
        .visiting_id
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty());
    let relationship = optional_text(
        &mut fields,
        "relationship",
        form.relationship.as_deref(),
        MAX_RELATIONSHIP,
    );
    let company = optional_text(&mut fields, "company", form.company.as_deref(), MAX_TEXT);
    let purpose = optional_text(&mut fields, "purpose", form.purpose.as_deref(), MAX_TEXT);
    let (mut resident, mut staff) = (None, None);
    match kind {
        None => {
            fields.insert(
                "visiting_kind".into(),
                "Please choose whom you are visiting".into(),
            );
        }
        Some(VisitingKind::Resident) => {
            let location = desk_location(tx)?;
            let known = match id {
                Some(id) => people::get_resident(tx, id)?.is_some_and(|r| {
                    r.status == ResidentStatus::Current
                        && (location.is_none() || r.location_id == location)
                }),
                None => false,
            };
            if known {
                resident = id.map(str::to_owned);
            } else {
                fields.insert(
                    "visiting_id".into(),
                    "Please choose the resident from the list".into(),
                );
            }
            if relationship.is_none() {
                fields.insert(
                    "relationship".into(),
                    "Please say how you know them (for example daughter, friend)".into(),
                );
            }
        }
        Some(VisitingKind::Staff) => {
            let known = match id {
                Some(id) => staff_label(tx, id)?.is_some(),
                None => false,
            };
            if known {
                staff = id.map(str::to_owned);
            } else {
                fields.insert(
                    "visiting_id".into(),
                    "Please choose the member of staff from the list".into(),
                );
            }
        }
        Some(VisitingKind::Other) => {
            if purpose.is_none() {
                fields.insert("purpose".into(), "Please say what you are here for".into());
            }
        }
    }
    let car = check_car(&mut fields, form.car_registration.as_deref());
    // The home's questions.
    if settings.screening_on() && form.screening_answers.len() != settings.screening_questions.len()
    {
        fields.insert(
            "screening_answers".into(),
            "Please answer each question".into(),
        );
    }
    let mut accepts_policy = None;
    if let Some(version) = settings.policy() {
        let accepted_before = profile
            .as_ref()
            .is_some_and(|p| p.policy_version >= version);
        if form.accepted_policy_version == Some(version) {
            accepts_policy = Some(version);
        } else if !accepted_before {
            fields.insert(
                "accepted_policy_version".into(),
                "Please read and accept the visitor policy".into(),
            );
        }
    }
    // Already here?
    if fields.is_empty() {
        let location = desk_location(tx)?;
        let digits = phone_digits(&phone);
        let here = rx::sign_ins_on_site(tx, location.as_deref())?
            .into_iter()
            .find(|s| {
                profile
                    .as_ref()
                    .is_some_and(|p| s.visitor_id.as_deref() == Some(p.id.as_str()))
                    || (s.visitor_name.to_lowercase()
                        == format!("{first_name} {surname}").to_lowercase()
                        && s.phone.as_deref().map(phone_digits) == Some(digits.clone()))
            });
        if let Some(s) = here {
            let since = hhmm(tx, s.signed_in_at)?;
            fields.insert(
                "first_name".into(),
                format!(
                    "You are already signed in (since {since}). To sign out, tap your name in \
                     the list."
                ),
            );
        }
    }
    if !fields.is_empty() {
        return Err(CommandError::invalid_fields(
            "Please check your details",
            fields,
        ));
    }
    Ok(Checked {
        first_name,
        surname,
        phone,
        profile,
        kind: kind.unwrap_or(VisitingKind::Other),
        resident,
        staff,
        company,
        purpose,
        relationship,
        car,
        accepts_policy,
    })
}

/// Creates or updates the visitor's profile for next time (a typed visitor with the same
/// name and phone is the same profile; typing their details also reopens the quick
/// confirmation).
fn save_profile(
    tx: &Transaction<'_>,
    c: &Checked,
    now: DateTime<Utc>,
) -> Result<VisitorProfile, CommandError> {
    let existing = match &c.profile {
        Some(p) => Some(p.clone()),
        None => rx::visitor_by_identity(tx, &c.first_name, &c.surname, &c.phone)?,
    };
    let typed = c.profile.is_none();
    let mut v = existing.unwrap_or_else(|| VisitorProfile {
        id: new_id(),
        first_name: c.first_name.clone(),
        surname: c.surname.clone(),
        phone: c.phone.clone(),
        relationship: None,
        car_registration: None,
        company: None,
        last_visiting_kind: None,
        last_visiting_id: None,
        last_purpose: None,
        policy_version: 0,
        confirm_failures: 0,
        confirm_closed_until: None,
        confirm_token: None,
        confirm_token_until: None,
        created_at: now,
        last_seen_at: now,
    });
    v.relationship = c.relationship.clone().or(v.relationship);
    v.car_registration = c.car.clone();
    v.company = c.company.clone();
    v.last_visiting_kind = Some(c.kind);
    v.last_visiting_id = c.resident.clone().or_else(|| c.staff.clone());
    v.last_purpose = c.purpose.clone();
    if let Some(p) = c.accepts_policy {
        v.policy_version = v.policy_version.max(p);
    }
    // The ticket is used once.
    v.confirm_token = None;
    v.confirm_token_until = None;
    if typed {
        v.confirm_failures = 0;
        v.confirm_closed_until = None;
    }
    v.last_seen_at = now;
    rx::upsert_visitor(tx, &v)?;
    Ok(v)
}

/// The history as CSV (the `csv` crate: quoting as RFC 4180).
fn history_csv(records: &[VisitorRecord], zone: chrono_tz::Tz) -> Result<Vec<u8>, CommandError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let local = |t: DateTime<Utc>| t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string();
    let row_err = |e: csv::Error| crate::errors::internal(format!("writing CSV: {e}"));
    w.write_record([
        "Signed in",
        "Signed out",
        "How they left",
        "Visitor",
        "Visiting",
        "Purpose",
        "Relationship",
        "Company",
        "Phone",
        "Car registration",
        "Minutes in the building",
    ])
    .map_err(row_err)?;
    for r in records {
        let how = match r.sign_out_kind {
            Some(SignOutKind::Visitor) => "Tapped their name",
            Some(SignOutKind::Code) => "Sign-out code",
            Some(SignOutKind::Staff) => "By staff",
            Some(SignOutKind::Automatic) => "Automatic",
            Some(SignOutKind::Declined) => "Visit not approved",
            None => "",
        };
        w.write_record([
            local(r.signed_in_at),
            r.signed_out_at.map(local).unwrap_or_default(),
            how.to_owned(),
            csv_safe(&r.visitor_name),
            csv_safe(&r.visiting),
            csv_safe(&r.purpose),
            csv_safe(r.relationship.as_deref().unwrap_or_default()),
            csv_safe(r.company.as_deref().unwrap_or_default()),
            csv_safe(r.phone.as_deref().unwrap_or_default()),
            csv_safe(r.car_registration.as_deref().unwrap_or_default()),
            r.minutes_in_building.to_string(),
        ])
        .map_err(row_err)?;
    }
    w.into_inner()
        .map_err(|e| crate::errors::internal(format!("writing CSV: {e}")))
}

/// A cell a spreadsheet would not run as a formula (text typed at a public kiosk: `=`, `+`,
/// `-`, `@` at the start get a leading apostrophe).
pub(super) fn csv_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// Writes `bytes` to `dir/name.ext` (then `name (2).ext`… if taken); what was written.
pub(crate) async fn write_file(
    dir: &Path,
    name: &str,
    ext: &str,
    bytes: Vec<u8>,
) -> Result<SavedFile, CommandError> {
    let dir = dir.to_owned();
    let name = name.to_owned();
    let ext = ext.to_owned();
    crate::errors::blocking(move || {
        std::fs::create_dir_all(&dir).map_err(|e| file_error(&dir, &e))?;
        for n in 1..1000 {
            let file_name = if n == 1 {
                format!("{name}.{ext}")
            } else {
                format!("{name} ({n}).{ext}")
            };
            let path = dir.join(&file_name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write as _;
                    f.write_all(&bytes)
                        .and_then(|()| f.sync_all())
                        .map_err(|e| file_error(&path, &e))?;
                    return Ok(SavedFile {
                        path: path.display().to_string(),
                        file_name,
                        bytes: bytes.len() as u64,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(file_error(&path, &e)),
            }
        }
        Err(file_error(&dir, &std::io::Error::other("too many files")))
    })
    .await?
}

fn file_error(path: &Path, e: &std::io::Error) -> CommandError {
    tracing::error!(path = %path.display(), error = %e, "a file could not be written");
    CommandError::new(
        Code::Internal,
        format!("The file could not be saved in {}: {e}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_kiosk_shows_a_first_name_and_an_initial() {
        assert_eq!(person_label("Margaret Wilson", Some("Maggie")), "Maggie W.");
        assert_eq!(person_label("Margaret Anne Wilson", None), "Margaret W.");
        assert_eq!(person_label("Cher", None), "Cher");
        assert_eq!(kiosk_label("jane", "doe"), "jane D.");
        assert_eq!(person_label("Zoë Ödegaard", None), "Zoë Ö.");
    }

    #[test]
    fn the_automatic_sign_out_time_is_the_homes() {
        let london = chrono_tz::Europe::London;
        // Summer: 23:59 in London is 22:59 UTC.
        assert_eq!(
            last_cutoff(london, "23:59", t("2026-07-14T23:00:00Z")),
            Some(t("2026-07-14T22:59:00Z"))
        );
        assert_eq!(
            last_cutoff(london, "23:59", t("2026-07-14T22:58:59Z")),
            Some(t("2026-07-13T22:59:00Z"))
        );
        // Winter: London is UTC.
        assert_eq!(
            last_cutoff(london, "23:59", t("2026-12-01T09:00:00Z")),
            Some(t("2026-11-30T23:59:00Z"))
        );
        // 01:30 does not exist on the night the clocks go forward: 02:30 local (01:30 UTC).
        assert_eq!(
            last_cutoff(london, "01:30", t("2026-03-29T12:00:00Z")),
            Some(t("2026-03-29T01:30:00Z"))
        );
        assert_eq!(
            last_cutoff(london, "25:00", t("2026-12-01T09:00:00Z")),
            None
        );
    }

    #[test]
    fn names_phones_and_registrations_are_checked_kindly() {
        let mut f = Fields::new();
        assert_eq!(
            check_name(&mut f, "first_name", "first name", "  Anne-Marie "),
            "Anne-Marie"
        );
        assert_eq!(
            check_name(&mut f, "surname", "surname", "O'Brien"),
            "O'Brien"
        );
        assert!(f.is_empty(), "{f:?}");
        for bad in [
            "",
            "   ",
            "J0hn",
            "aaaaaa",
            "<script>",
            "!!!",
            &"x".repeat(51),
        ] {
            let mut f = Fields::new();
            check_name(&mut f, "first_name", "first name", bad);
            assert!(f.contains_key("first_name"), "{bad:?}");
        }
        let mut f = Fields::new();
        assert_eq!(check_phone(&mut f, Some(" 07700 900123 ")), "07700 900123");
        assert!(f.is_empty());
        for bad in [
            None,
            Some(""),
            Some("123"),
            Some("0770O 900123"),
            Some("1234567890123456"),
        ] {
            let mut f = Fields::new();
            check_phone(&mut f, bad);
            assert!(f.contains_key("phone"), "{bad:?}");
        }
        let mut f = Fields::new();
        assert_eq!(check_car(&mut f, Some("ab12 cde")), Some("AB12 CDE".into()));
        assert_eq!(check_car(&mut f, Some("  ")), None);
        assert!(f.is_empty());
        for bad in ["AB12-CDE", "AB12_CDE", "ÀB12", "ABCDEFGHIJK"] {
            let mut f = Fields::new();
            check_car(&mut f, Some(bad));
            assert!(f.contains_key("car_registration"), "{bad:?}");
        }
    }

    #[test]
    fn spreadsheet_formulas_typed_at_the_kiosk_stay_text() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("+44 7700"), "'+44 7700");
        assert_eq!(csv_safe("Jane Doe"), "Jane Doe");
    }
}
