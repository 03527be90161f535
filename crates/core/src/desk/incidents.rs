//! Incidents and falls: the form a shift lead fills in fast (checked beside each field, a draft
//! kept across restarts and the idle lock), what must be notified (decided at entry by the
//! rules of [`crate::incidents::duties`], never blocking the save), the post-fall observations
//! the desk reminds staff of, the list, the incident's page, the resident's last 90 days and the
//! falls register with its CSV.
//!
//! Saving is one transaction: CareLoop's copy of the row (`incidents`, under the client UUID
//! until CareLoop answers), the desk's record of the whole form, its duties, its observation
//! schedule, its alerts (a critical incident, a safeguarding notice) and one outbox entry
//! (`incident.create`). An edit before it reached CareLoop replaces that entry; after, only the
//! status, the duties and the observations change, on this desk.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Datelike as _, TimeDelta, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use ts_rs::TS;

use super::reception::SavedFile;
use super::Desk;
use crate::alerts::compose::{INCIDENT_CRITICAL, OBSERVATION_DUE, SAFEGUARDING_NOTICE};
use crate::clock;
use crate::incidents::body_map::{self, BodyRegion};
use crate::incidents::duties::{self, DutyClock, DutyKind, Facts};
use crate::incidents::observations::ObservationProtocol;
use crate::ipc::{Code, CommandError};
use crate::outbox::{self, IncidentCreate};
use crate::store::repo::alerts::{self as alerts_repo, Alert, NewAlert};
use crate::store::repo::care::{self, Incident};
use crate::store::repo::incidents::{self as ir, IncidentRecord};
use crate::store::repo::outbox::OutboxStatus;
use crate::store::repo::people::{self, PeopleTable};
use crate::store::repo::{self, sync_state::Table};

type Fields = BTreeMap<String, String>;

/// The setting holding the observation protocol (JSON of [`ObservationProtocol`]).
pub const OBSERVATION_PROTOCOL: &str = "incident_observation_protocol";

/// How far back a resident's earlier incidents are shown beside the form.
pub const RESIDENT_DAYS: i64 = 90;
/// Falls in this many days make a resident a repeat faller (two or more).
pub const REPEAT_DAYS: i64 = 90;
/// An observation is overdue this long after it was due.
pub const OVERDUE_AFTER: TimeDelta = TimeDelta::minutes(15);

// ---- the form --------------------------------------------------------------------------------

/// A value of a closed list and its words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

const fn c(value: &'static str, label: &'static str) -> Choice {
    Choice { value, label }
}

/// Who it happened to.
pub const SUBJECTS: &[Choice] = &[
    c("resident", "A resident"),
    c("staff", "A member of staff"),
    c("visitor", "A visitor"),
    c("other", "Someone else"),
];

/// The desk's types (CareLoop knows six; see [`api_type`]).
pub const TYPES: &[Choice] = &[
    c("fall", "Fall"),
    c("medication_error", "Medication error"),
    c("skin_damage", "Skin damage / pressure ulcer"),
    c("behaviour", "Behaviour"),
    c("safeguarding", "Safeguarding"),
    c("infection", "Infection"),
    c("missing_person", "Missing person"),
    c("near_miss", "Near miss"),
    c("other", "Other"),
];

pub const SEVERITIES: &[Choice] = &[
    c("low", "Low"),
    c("moderate", "Moderate"),
    c("high", "High"),
    c("critical", "Critical"),
];

/// Who was told.
pub const NOTIFIED: &[Choice] = &[
    c("family", "Family"),
    c("gp", "GP"),
    c("nhs_111_999", "111 / 999"),
    c("manager", "Manager"),
    c("safeguarding_team", "Safeguarding team"),
    c("police", "Police"),
];

/// How the fall was known.
pub const FALL_HOW: &[Choice] = &[
    c("found_on_floor", "Found on the floor"),
    c("seen_to_fall", "Seen to fall"),
];

pub const STATUSES: &[Choice] = &[
    c("open", "Open"),
    c("under_review", "Under review"),
    c("closed", "Closed"),
];

fn label(list: &[Choice], value: &str) -> String {
    list.iter()
        .find(|c| c.value == value)
        .map_or_else(|| value.to_owned(), |c| c.label.to_owned())
}

/// CareLoop's type for a desk type: skin damage is its `pressure_injury`; infection, missing
/// person and near miss are `other` there (the desk keeps its own type).
pub fn api_type(desk_type: &str) -> &'static str {
    match desk_type {
        "fall" => "fall",
        "medication_error" => "medication_error",
        "skin_damage" => "pressure_injury",
        "behaviour" => "behaviour",
        "safeguarding" => "safeguarding",
        _ => "other",
    }
}

/// The desk's type for CareLoop's (an incident logged elsewhere).
fn desk_type_of(api: care::IncidentType) -> &'static str {
    match api {
        care::IncidentType::Fall => "fall",
        care::IncidentType::MedicationError => "medication_error",
        care::IncidentType::PressureInjury => "skin_damage",
        care::IncidentType::Behaviour => "behaviour",
        care::IncidentType::Safeguarding => "safeguarding",
        care::IncidentType::Other => "other",
    }
}

/// The fall's own questions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FallAnswers {
    /// `found_on_floor` or `seen_to_fall`.
    #[serde(default)]
    pub how: String,
    #[serde(default)]
    pub head_injury: bool,
    #[serde(default)]
    pub anticoagulants: bool,
    #[serde(default)]
    pub neuro_obs_started: bool,
}

/// What the person decided about a duty the form advised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DutyDecision {
    /// A [`DutyKind`] value.
    pub duty: String,
    /// `will_notify` or `not_needed`.
    pub decision: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// The incident form, as the window sends it (and as a draft keeps it, unchecked). Field errors
/// use these names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct IncidentForm {
    /// `resident`, `staff`, `visitor` or `other`.
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub resident_id: Option<String>,
    /// Who, when it is not a resident.
    #[serde(default)]
    pub person_name: Option<String>,
    /// One of [`TYPES`].
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub severity: String,
    /// RFC 3339.
    #[serde(default)]
    pub occurred_at: String,
    /// RFC 3339; when it was found, if later.
    #[serde(default)]
    pub found_at: Option<String>,
    /// Where in the home.
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub witnessed: bool,
    #[serde(default)]
    pub witnesses: Vec<String>,
    /// Body-map region codes ([`body_map::REGIONS`]).
    #[serde(default)]
    pub body_regions: Vec<String>,
    #[serde(default)]
    pub immediate_actions: Option<String>,
    /// [`NOTIFIED`] values.
    #[serde(default)]
    pub notified: Vec<String>,
    #[serde(default)]
    pub hospital_transfer: bool,
    #[serde(default)]
    pub died: bool,
    #[serde(default)]
    pub abuse_suspected: bool,
    /// Work activity, equipment or the premises contributed (RIDDOR).
    #[serde(default)]
    pub work_related: bool,
    /// A specified injury (RIDDOR's list: most fractures, amputation, loss of sight, …).
    #[serde(default)]
    pub specified_injury: bool,
    /// A worker unable to do their normal work for more than 7 days.
    #[serde(default)]
    pub over_seven_day_incapacity: bool,
    /// For a fall.
    #[serde(default)]
    pub fall: Option<FallAnswers>,
    #[serde(default)]
    pub decisions: Vec<DutyDecision>,
}

const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 10_000;
const MAX_PLACE: usize = 200;
const MAX_NAME: usize = 200;
const MAX_ACTIONS: usize = 2_000;
const MAX_NOTE: usize = 500;
const MAX_WITNESSES: usize = 20;
const MAX_DRAFT_BYTES: usize = 100_000;

/// A form that passed its checks, tidied.
#[derive(Debug, Clone)]
struct Checked {
    form: IncidentForm,
    occurred_at: DateTime<Utc>,
    location_id: String,
}

fn tidy(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn too_long(fields: &mut Fields, key: &str, v: Option<&str>, max: usize) {
    if v.is_some_and(|v| v.chars().count() > max) {
        fields.insert(key.into(), format!("Please use {max} characters or fewer"));
    }
}

fn parse_time(v: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Checks the form at `now` on this desk's clock; the tidied form, or every problem by field.
fn check(
    c: &Connection,
    input: &IncidentForm,
    now: DateTime<Utc>,
) -> Result<Checked, CommandError> {
    let mut f = Fields::new();
    let mut form = input.clone();
    if !SUBJECTS.iter().any(|s| s.value == form.subject) {
        f.insert("subject".into(), "Say who it happened to".into());
    }
    form.resident_id = tidy(form.resident_id.as_deref());
    form.person_name = tidy(form.person_name.as_deref());
    let mut resident_home = None;
    if form.subject == "resident" {
        form.person_name = None;
        match &form.resident_id {
            None => {
                f.insert("resident_id".into(), "Choose the resident".into());
            }
            Some(id) => {
                resident_home = resident_location(c, id)?;
                if resident_home.is_none() {
                    f.insert(
                        "resident_id".into(),
                        "This desk does not know that resident: choose from the list".into(),
                    );
                }
            }
        }
    } else if !form.subject.is_empty() {
        form.resident_id = None;
        if form.person_name.is_none() {
            f.insert("person_name".into(), "Write who it happened to".into());
        }
        too_long(&mut f, "person_name", form.person_name.as_deref(), MAX_NAME);
    }
    if !TYPES.iter().any(|t| t.value == form.kind) {
        f.insert("type".into(), "Choose what kind of incident it was".into());
    }
    if !SEVERITIES.iter().any(|t| t.value == form.severity) {
        f.insert("severity".into(), "Choose how serious it was".into());
    }
    let occurred = if form.occurred_at.trim().is_empty() {
        f.insert("occurred_at".into(), "Enter when it happened".into());
        None
    } else {
        match parse_time(&form.occurred_at) {
            None => {
                f.insert("occurred_at".into(), "Enter a date and time".into());
                None
            }
            Some(t) if t > now => {
                f.insert(
                    "occurred_at".into(),
                    "That is in the future by this desk's clock: check the date and time".into(),
                );
                None
            }
            Some(t) => Some(t),
        }
    };
    if let Some(t) = occurred {
        form.occurred_at = repo::ts(&t);
    }
    form.found_at = tidy(form.found_at.as_deref());
    if let Some(found) = form.found_at.clone() {
        match parse_time(&found) {
            None => {
                f.insert("found_at".into(), "Enter a date and time".into());
            }
            Some(t) if t > now => {
                f.insert(
                    "found_at".into(),
                    "That is in the future by this desk's clock: check the date and time".into(),
                );
            }
            Some(t) if occurred.is_some_and(|o| t < o) => {
                f.insert(
                    "found_at".into(),
                    "It cannot have been found before it happened: check both times".into(),
                );
            }
            Some(t) => form.found_at = Some(repo::ts(&t)),
        }
    }
    form.place = form.place.trim().to_owned();
    if form.place.is_empty() {
        f.insert("place".into(), "Say where in the home it happened".into());
    }
    too_long(&mut f, "place", Some(&form.place), MAX_PLACE);
    form.title = form.title.trim().to_owned();
    if form.title.is_empty() {
        f.insert("title".into(), "Give it a short title".into());
    }
    too_long(&mut f, "title", Some(&form.title), MAX_TITLE);
    form.description = tidy(form.description.as_deref());
    too_long(
        &mut f,
        "description",
        form.description.as_deref(),
        MAX_DESCRIPTION,
    );
    form.immediate_actions = tidy(form.immediate_actions.as_deref());
    too_long(
        &mut f,
        "immediate_actions",
        form.immediate_actions.as_deref(),
        MAX_ACTIONS,
    );
    form.witnesses = form
        .witnesses
        .iter()
        .filter_map(|w| tidy(Some(w)))
        .collect();
    if !form.witnessed {
        form.witnesses.clear();
    } else if form.witnesses.is_empty() {
        f.insert("witnesses".into(), "Name who saw it".into());
    } else if form.witnesses.len() > MAX_WITNESSES {
        f.insert("witnesses".into(), "Name 20 witnesses at most".into());
    } else if form.witnesses.iter().any(|w| w.chars().count() > MAX_NAME) {
        f.insert(
            "witnesses".into(),
            format!("Please use {MAX_NAME} characters or fewer for each name"),
        );
    }
    let mut regions: Vec<String> = Vec::new();
    for code in &form.body_regions {
        let code = code.trim();
        if body_map::region(code).is_none() {
            f.insert(
                "body_regions".into(),
                format!("“{code}” is not a place on the body map: choose it on the map"),
            );
        } else if !regions.iter().any(|r| r == code) {
            regions.push(code.to_owned());
        }
    }
    form.body_regions = regions;
    let mut notified: Vec<String> = Vec::new();
    for n in &form.notified {
        if !NOTIFIED.iter().any(|c| c.value == n) {
            f.insert(
                "notified".into(),
                "Choose who was told from the list".into(),
            );
        } else if !notified.contains(n) {
            notified.push(n.clone());
        }
    }
    form.notified = notified;
    if form.kind == "fall" {
        match &form.fall {
            Some(fall) if FALL_HOW.iter().any(|h| h.value == fall.how) => {}
            _ => {
                f.insert(
                    "fall_how".into(),
                    "Say whether they were found on the floor or seen to fall".into(),
                );
            }
        }
    } else {
        form.fall = None;
    }
    for d in &form.decisions {
        if d.duty.parse::<DutyKind>().is_err()
            || !matches!(d.decision.as_str(), "will_notify" | "not_needed")
        {
            f.insert(
                "decisions".into(),
                "Choose what you decided for each duty".into(),
            );
        }
        too_long(&mut f, "decisions", d.note.as_deref(), MAX_NOTE);
    }
    let location_id = match repo::settings::get_setting(c, super::settings::LOCATION_ID)? {
        Some(l) if !l.trim().is_empty() => Some(l),
        _ => resident_home,
    };
    if location_id.is_none() && !f.contains_key("resident_id") {
        f.insert(
            "home".into(),
            "This desk has no home set: a manager sets it in Settings".into(),
        );
    }
    match (f.is_empty(), occurred, location_id) {
        (true, Some(occurred_at), Some(location_id)) => Ok(Checked {
            form,
            occurred_at,
            location_id,
        }),
        _ => Err(CommandError::invalid_fields(
            "Some answers need another look: see beside each one",
            f,
        )),
    }
}

fn resident_location(c: &Connection, id: &str) -> crate::store::Result<Option<String>> {
    if !people::exists(c, PeopleTable::Residents, id)? {
        return Ok(None);
    }
    Ok(c.query_row(
        "SELECT location_id FROM residents WHERE id = ?1",
        [id],
        |r| r.get::<_, Option<String>>(0),
    )?
    .or(Some(String::new())))
}

/// What the rules look at, from a form (checked or not).
fn facts(form: &IncidentForm) -> Facts {
    let head = form.fall.as_ref().is_some_and(|f| f.head_injury)
        || form.body_regions.iter().any(|r| body_map::is_head(r));
    Facts {
        resident: form.subject == "resident",
        worker: form.subject == "staff",
        kind: form.kind.clone(),
        severity: form.severity.clone(),
        injured: head || !form.body_regions.is_empty(),
        died: form.died,
        hospital_transfer: form.hospital_transfer,
        specified_injury: form.specified_injury,
        over_seven_day_incapacity: form.over_seven_day_incapacity,
        work_related: form.work_related,
        abuse_suspected: form.abuse_suspected,
        police_told: form.notified.iter().any(|n| n == "police"),
    }
}

/// A head injury in someone on anticoagulants.
fn needs_999(form: &IncidentForm) -> bool {
    let head = form.fall.as_ref().is_some_and(|f| f.head_injury)
        || form.body_regions.iter().any(|r| body_map::is_head(r));
    head && form.fall.as_ref().is_some_and(|f| f.anticoagulants)
}

/// The words of the 999 advice.
pub const CALL_999: &str = "A head injury in someone on anticoagulants (blood thinners): call \
                            999 now, even if they seem well.";

/// A fall that starts the observation schedule: a head injury, unwitnessed, or neurological
/// observations started.
fn needs_observations(form: &IncidentForm) -> bool {
    form.kind == "fall"
        && (!form.witnessed
            || form
                .fall
                .as_ref()
                .is_some_and(|f| f.head_injury || f.neuro_obs_started || f.how == "found_on_floor"))
}

/// CareLoop's body for a checked form.
fn payload(ch: &Checked, reporter: Option<&str>) -> Value {
    let f = &ch.form;
    let mut p = json!({
        "location_id": ch.location_id,
        "type": api_type(&f.kind),
        "severity": f.severity,
        "status": "open",
        "title": f.title,
        "occurred_at": repo::ts(&ch.occurred_at),
        "body_map": f.body_regions.iter().map(|code| {
            let side = body_map::region(code).and_then(|r| r.side).unwrap_or(
                match body_map::region(code).map(|r| r.view) {
                    Some(body_map::BodyView::Back) => "back",
                    _ => "front",
                },
            );
            json!({"region": code, "side": side})
        }).collect::<Vec<_>>(),
        "witnesses": f.witnesses.iter().map(|w| json!({"name": w})).collect::<Vec<_>>(),
    });
    if let Some(r) = &f.resident_id {
        p["resident_id"] = json!(r);
    }
    if let Some(d) = &f.description {
        p["description"] = json!(d);
    }
    if let Some(r) = reporter {
        p["reported_by_staff_id"] = json!(r);
    }
    if let Some(fall) = &f.fall {
        let injury = if fall.head_injury || f.hospital_transfer || f.specified_injury {
            "major"
        } else if f.body_regions.is_empty() {
            "none"
        } else {
            "minor"
        };
        p["fall"] = json!({
            "place": f.place,
            "was_witnessed": f.witnessed,
            "injury": injury,
            "hospital_transfer": f.hospital_transfer,
        });
    }
    p
}

/// CareLoop's copy of the row, as the desk saves it before CareLoop answers.
fn cache_row(id: &str, ch: &Checked, reporter: Option<&str>, now: DateTime<Utc>) -> Incident {
    let p = payload(ch, reporter);
    let mut i: Incident = serde_json::from_value(json!({
        "id": id,
        "location_id": p["location_id"],
        "resident_id": p.get("resident_id"),
        "type": p["type"],
        "severity": p["severity"],
        "status": "open",
        "title": p["title"],
        "description": p.get("description"),
        "occurred_at": p["occurred_at"],
        "reported_by_staff_id": p.get("reported_by_staff_id"),
        "body_map": p["body_map"],
        "witnesses": p["witnesses"],
        "fall": p.get("fall"),
        "updated_at": repo::ts(&now),
    }))
    .unwrap_or_else(|_| unreachable_incident(id, ch, now));
    i.created_at = None;
    i
}

fn unreachable_incident(id: &str, ch: &Checked, now: DateTime<Utc>) -> Incident {
    Incident {
        id: id.to_owned(),
        location_id: ch.location_id.clone(),
        resident_id: ch.form.resident_id.clone(),
        kind: care::IncidentType::Other,
        severity: care::Severity::Low,
        status: care::IncidentStatus::Open,
        title: ch.form.title.clone(),
        description: ch.form.description.clone(),
        occurred_at: ch.occurred_at,
        reported_by_staff_id: None,
        body_map: Vec::new(),
        witnesses: Vec::new(),
        fall: None,
        created_at: None,
        updated_at: now,
    }
}

// ---- what the window is answered ------------------------------------------------------------

/// Everything the form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct IncidentOptions {
    pub subjects: Vec<Choice>,
    pub types: Vec<Choice>,
    pub severities: Vec<Choice>,
    pub notified: Vec<Choice>,
    pub fall_how: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub body_regions: Vec<BodyRegion>,
    /// Every duty the rules can advise.
    pub duties: Vec<DutyInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DutyInfo {
    pub duty: DutyKind,
    pub label: String,
    pub source: String,
    pub clock: DutyClock,
}

/// A duty the form advises, before saving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DutyAdvice {
    pub duty: DutyKind,
    pub label: String,
    pub why: String,
    pub source: String,
    pub clock: DutyClock,
    /// RIDDOR's deadline, if the time it happened is known.
    pub due_at: Option<DateTime<Utc>>,
    /// "due by the end of Fri 30 Oct" or "without delay".
    pub clock_words: String,
}

/// What the form says while it is filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct IncidentAssessment {
    pub duties: Vec<DutyAdvice>,
    /// The 999 advice, at once.
    pub call_999: Option<String>,
    /// Saving it starts post-fall observations.
    pub starts_observations: bool,
    /// "happened 3 h 20 min ago".
    pub elapsed_words: Option<String>,
}

/// Where an incident stands with CareLoop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum IncidentSyncState {
    Pending,
    Synced,
    NeedsAttention,
}

/// An incident's sync state, and CareLoop's objections by form field when it refused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct IncidentSync {
    pub state: IncidentSyncState,
    pub message: Option<String>,
    /// Form field → words (the form's field names; `form` for what has no field).
    pub fields: BTreeMap<String, String>,
}

/// A notification duty on the incident page and list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DutyView {
    pub id: String,
    pub duty: DutyKind,
    pub label: String,
    pub why: String,
    pub source: String,
    pub due_at: Option<DateTime<Utc>>,
    /// "due by the end of Fri 30 Oct (in 9 days)", "overdue since …", "without delay: it
    /// happened 3 h 20 min ago".
    pub clock_words: String,
    pub overdue: bool,
    /// `will_notify`, `not_needed`, or none yet.
    pub decision: Option<String>,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub sent_by: Option<String>,
    pub reference: Option<String>,
    /// Not sent and not decided "not needed".
    pub open: bool,
}

/// The state of one scheduled observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ObservationState {
    Upcoming,
    Due,
    Overdue,
    Recorded,
    Missed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ObservationView {
    pub id: String,
    pub incident_id: String,
    /// `neuro` or `bruising`.
    pub kind: String,
    pub label: String,
    pub due_at: DateTime<Utc>,
    pub due_words: String,
    pub state: ObservationState,
    pub pupils: Option<String>,
    pub gcs: Option<u8>,
    pub avpu: Option<String>,
    pub pulse: Option<u16>,
    pub notes: Option<String>,
    pub missed_reason: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// An observation due or overdue, for the banner: with whom it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DueObservation {
    pub observation: ObservationView,
    pub incident_title: String,
    pub person: String,
}

/// One incident in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct IncidentSummary {
    pub id: String,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub type_label: String,
    pub severity: String,
    pub status: String,
    pub occurred_at: DateTime<Utc>,
    pub occurred_words: String,
    pub resident_id: Option<String>,
    /// The resident's name, or the person's for someone else.
    pub person: String,
    pub sync: IncidentSyncState,
    pub open_duties: u32,
    /// The earliest deadline among its open duties.
    pub next_deadline: Option<DateTime<Utc>>,
    pub overdue_observations: u32,
    pub call_999: bool,
    /// Logged on this desk (the full form is here).
    pub logged_here: bool,
}

/// An incident's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct IncidentView {
    pub id: String,
    /// The id it was saved under on this desk, if it was.
    pub client_id: Option<String>,
    pub form: IncidentForm,
    pub type_label: String,
    pub status: String,
    pub person: String,
    pub occurred_words: String,
    /// "happened 3 h 20 min ago".
    pub elapsed_words: String,
    pub sync: IncidentSync,
    /// The whole form can still change (it has not reached CareLoop).
    pub editable: bool,
    pub duties: Vec<DutyView>,
    pub observations: Vec<ObservationView>,
    pub call_999: Option<String>,
    pub logged_by: Option<String>,
    pub logged_at: Option<DateTime<Utc>>,
}

/// A draft of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct IncidentDraft {
    pub id: String,
    pub incident_id: Option<String>,
    pub form: IncidentForm,
    pub saved_by: String,
    pub saved_at: DateTime<Utc>,
}

/// The list's filters (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct IncidentFilter {
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub resident_id: Option<String>,
    /// Only incidents with a duty still open.
    #[serde(default)]
    pub open_duties: Option<bool>,
    /// RFC 3339 or a date (`2026-11-01`, the home's midnight), inclusive.
    #[serde(default)]
    pub from: Option<String>,
    /// RFC 3339 or a date (up to the end of that day), exclusive for a time.
    #[serde(default)]
    pub to: Option<String>,
}

/// What was observed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ObservationReading {
    #[serde(default)]
    pub pupils: Option<String>,
    /// Glasgow Coma Scale, 3 to 15.
    #[serde(default)]
    pub gcs: Option<u8>,
    /// `alert`, `voice`, `pain`, `unresponsive` (when GCS is not used).
    #[serde(default)]
    pub avpu: Option<String>,
    #[serde(default)]
    pub pulse: Option<u16>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// The falls register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FallsRegister {
    pub months: Vec<FallsMonth>,
    pub residents: Vec<ResidentFalls>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FallsMonth {
    /// `2026-11`, in the home's calendar.
    pub month: String,
    pub location_id: String,
    pub home: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ResidentFalls {
    pub resident_id: String,
    pub name: String,
    pub falls: Vec<FallEntry>,
    /// Falls in the last 90 days.
    pub last_90_days: u32,
    /// Two or more in the last 90 days.
    pub repeat_faller: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FallEntry {
    pub incident_id: String,
    pub occurred_at: DateTime<Utc>,
    pub title: String,
    pub severity: String,
}

// ---- the facade ------------------------------------------------------------------------------

/// How long the observation reminders' task sleeps at most while one is scheduled: a reminder
/// is at most this late after the computer slept or its clock was set.
const OBSERVATION_RECHECK: std::time::Duration = std::time::Duration::from_secs(300);

impl Desk {
    /// The form's lists: types, severities, who was told, the body map's regions, the duties.
    pub fn incident_form_options(&self) -> IncidentOptions {
        IncidentOptions {
            subjects: SUBJECTS.to_vec(),
            types: TYPES.to_vec(),
            severities: SEVERITIES.to_vec(),
            notified: NOTIFIED.to_vec(),
            fall_how: FALL_HOW.to_vec(),
            statuses: STATUSES.to_vec(),
            body_regions: body_map::REGIONS.to_vec(),
            duties: duties::RULES
                .iter()
                .map(|r| DutyInfo {
                    duty: r.duty,
                    label: r.label.into(),
                    source: r.source.into(),
                    clock: r.clock,
                })
                .collect(),
        }
    }

    /// What the form says as it is filled in (nothing is checked or saved): the duties that
    /// likely apply, the 999 advice, whether observations will start.
    pub async fn assess_incident(
        &self,
        form: IncidentForm,
    ) -> Result<IncidentAssessment, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            let zone = repo::settings::home_zone(c)?;
            let occurred = parse_time(&form.occurred_at).filter(|t| *t <= now);
            Ok(IncidentAssessment {
                duties: duties::applying(&facts(&form))
                    .into_iter()
                    .map(|r| {
                        let due_at = occurred.and_then(|o| duties::due_at(r.clock, o, zone));
                        DutyAdvice {
                            duty: r.duty,
                            label: r.label.into(),
                            why: r.why.into(),
                            source: r.source.into(),
                            clock: r.clock,
                            due_at,
                            clock_words: clock_words(r.clock, due_at, occurred, now, zone).0,
                        }
                    })
                    .collect(),
                call_999: needs_999(&form).then(|| CALL_999.to_owned()),
                starts_observations: needs_observations(&form),
                elapsed_words: occurred
                    .map(|o| format!("happened {} ago", duties::span_words(now - o))),
            })
        })
        .await
    }

    /// Saves the form: a new incident, or (with `incident_id`) an incident not yet on CareLoop.
    /// One transaction; a refused form changes nothing. `draft_id`: the draft it came from,
    /// removed with the save.
    pub async fn save_incident(
        &self,
        form: IncidentForm,
        incident_id: Option<String>,
        draft_id: Option<String>,
    ) -> Result<IncidentView, CommandError> {
        let actor = self.actor().await?;
        let now = self.clock.now();
        let (id, raised) = self
            .save(move |tx| save_in(tx, form, incident_id, draft_id, &actor, now))
            .await?;
        for a in raised {
            self.alerts.announce_raised(a);
        }
        self.observation_wake.notify_one();
        self.get_incident(id).await
    }

    /// An incident's page (one logged here or pulled from CareLoop).
    pub async fn get_incident(&self, id: String) -> Result<IncidentView, CommandError> {
        let now = self.clock.now();
        self.read(move |c| view(c, &id, now))
            .await?
            .ok_or_else(|| CommandError::new(Code::NotFound, "This incident is not on this desk."))
    }

    /// Incidents from the cache (CareLoop's and this desk's), newest first, filtered.
    pub async fn list_incidents(
        &self,
        filter: IncidentFilter,
    ) -> Result<Vec<IncidentSummary>, CommandError> {
        let now = self.clock.now();
        let out = self
            .read(move |c| {
                let zone = repo::settings::home_zone(c)?;
                let from = filter.from.as_deref().map(|s| bound(s, zone, false));
                let to = filter.to.as_deref().map(|s| bound(s, zone, true));
                let mut fields = Fields::new();
                if matches!(from, Some(None)) {
                    fields.insert("from".into(), "Enter a date".into());
                }
                if matches!(to, Some(None)) {
                    fields.insert("to".into(), "Enter a date".into());
                }
                if !fields.is_empty() {
                    return Ok(Err(CommandError::invalid_fields("Check the dates", fields)));
                }
                let since = from.flatten().unwrap_or(DateTime::<Utc>::MIN_UTC);
                let all = summaries(c, None, since, now)?;
                Ok(Ok(all
                    .into_iter()
                    .filter(|s| {
                        filter.severity.as_ref().is_none_or(|v| &s.severity == v)
                            && filter.kind.as_ref().is_none_or(|v| &s.kind == v)
                            && filter.status.as_ref().is_none_or(|v| &s.status == v)
                            && filter
                                .resident_id
                                .as_ref()
                                .is_none_or(|v| s.resident_id.as_ref() == Some(v))
                            && (filter.open_duties != Some(true) || s.open_duties > 0)
                            && to.flatten().is_none_or(|t| s.occurred_at < t)
                    })
                    .collect()))
            })
            .await?;
        out
    }

    /// A resident's incidents of the last 90 days (shown beside the form).
    pub async fn resident_incidents(
        &self,
        resident_id: String,
    ) -> Result<Vec<IncidentSummary>, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            summaries(
                c,
                Some(&resident_id),
                now - TimeDelta::days(RESIDENT_DAYS),
                now,
            )
        })
        .await
    }

    /// Keeps what the person typed (unchecked): across a restart and the idle lock.
    pub async fn save_incident_draft(
        &self,
        draft_id: Option<String>,
        incident_id: Option<String>,
        form: IncidentForm,
    ) -> Result<IncidentDraft, CommandError> {
        let actor = self.actor().await?;
        let now = self.clock.now();
        let value = serde_json::to_value(&form).unwrap_or(Value::Null);
        if value.to_string().len() > MAX_DRAFT_BYTES {
            return Err(CommandError::invalid_fields(
                "This draft is too long to keep",
                [("form".to_owned(), "Shorten the longest answers".to_owned())],
            ));
        }
        let id = draft_id
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        crate::store::blocking(&self.shared.store, move |s| {
            s.transact(|tx| {
                let row = ir::DraftRow {
                    id,
                    incident_id,
                    form: value,
                    saved_by: actor,
                    saved_at: now,
                };
                ir::put_draft(tx, &row)?;
                Ok::<_, CommandError>(draft_view(tx, row)?)
            })
        })
        .await
    }

    /// The drafts on this desk, the latest first.
    pub async fn list_incident_drafts(&self) -> Result<Vec<IncidentDraft>, CommandError> {
        self.read(|c| {
            ir::drafts(c)?
                .into_iter()
                .map(|d| draft_view(c, d))
                .collect()
        })
        .await
    }

    pub async fn discard_incident_draft(&self, draft_id: String) -> Result<bool, CommandError> {
        crate::store::blocking(&self.shared.store, move |s| {
            s.transact(|tx| Ok::<_, CommandError>(ir::delete_draft(tx, &draft_id)?))
        })
        .await
    }

    /// Sets the status on this desk (after sync too: CareLoop has no endpoint for it).
    pub async fn set_incident_status(
        &self,
        incident_id: String,
        status: String,
    ) -> Result<IncidentView, CommandError> {
        if !STATUSES.iter().any(|s| s.value == status) {
            return Err(CommandError::invalid_fields(
                "Choose a status",
                [(
                    "status".to_owned(),
                    "Choose open, under review or closed".to_owned(),
                )],
            ));
        }
        let actor = self.actor().await?;
        let now = self.clock.now();
        let id = self
            .save(move |tx| {
                let record = logged_here(tx, &incident_id)?;
                ir::set_local_status(tx, &record.incident_id, &status, &actor, now)?;
                repo::audit::audit(
                    tx,
                    &actor,
                    "incident.status",
                    Some(("incident", &record.incident_id)),
                    Some(&json!({"status": status})),
                )?;
                Ok(record.incident_id)
            })
            .await?;
        self.get_incident(id).await
    }

    /// Records what was decided about a duty (will notify / not needed, with a note).
    pub async fn decide_incident_duty(
        &self,
        duty_id: String,
        decision: String,
        note: Option<String>,
    ) -> Result<IncidentView, CommandError> {
        let mut fields = Fields::new();
        if !matches!(decision.as_str(), "will_notify" | "not_needed") {
            fields.insert("decision".into(), "Choose will notify or not needed".into());
        }
        let note = tidy(note.as_deref());
        too_long(&mut fields, "note", note.as_deref(), MAX_NOTE);
        if !fields.is_empty() {
            return Err(CommandError::invalid_fields("Check the decision", fields));
        }
        let actor = self.actor().await?;
        let now = self.clock.now();
        let id = self
            .save(move |tx| {
                let duty = ir::get_duty(tx, &duty_id)?.ok_or_else(no_duty)?;
                ir::decide_duty(tx, &duty_id, &decision, note.as_deref(), &actor, now)?;
                repo::audit::audit(
                    tx,
                    &actor,
                    "incident.duty_decided",
                    Some(("incident", &duty.incident_id)),
                    Some(&json!({"duty": duty.duty, "decision": decision})),
                )?;
                Ok(duty.incident_id)
            })
            .await?;
        self.get_incident(id).await
    }

    /// A manager marks a duty as sent, with its reference (CQC's, the HSE's, the council's).
    pub async fn mark_duty_sent(
        &self,
        duty_id: String,
        reference: String,
    ) -> Result<IncidentView, CommandError> {
        let reference = reference.trim().to_owned();
        let mut fields = Fields::new();
        if reference.is_empty() {
            fields.insert(
                "reference".into(),
                "Enter the reference you were given (or how it was sent)".into(),
            );
        }
        too_long(&mut fields, "reference", Some(&reference), 200);
        if !fields.is_empty() {
            return Err(CommandError::invalid_fields("Check the reference", fields));
        }
        let actor = self.actor().await?;
        let now = self.clock.now();
        let id = self
            .save(move |tx| {
                let duty = ir::get_duty(tx, &duty_id)?.ok_or_else(no_duty)?;
                if duty.sent_at.is_some() {
                    return Err(CommandError::new(
                        Code::InvalidInput,
                        "This duty is already marked as sent.",
                    ));
                }
                ir::mark_duty_sent(tx, &duty_id, &reference, &actor, now)?;
                repo::audit::audit(
                    tx,
                    &actor,
                    "incident.duty_sent",
                    Some(("incident", &duty.incident_id)),
                    Some(&json!({"duty": duty.duty, "reference": reference})),
                )?;
                Ok(duty.incident_id)
            })
            .await?;
        self.get_incident(id).await
    }

    /// Records an observation (pupils, GCS or AVPU, pulse, notes); its reminder closes.
    pub async fn record_observation(
        &self,
        observation_id: String,
        reading: ObservationReading,
    ) -> Result<IncidentView, CommandError> {
        let mut f = Fields::new();
        let pupils = tidy(reading.pupils.as_deref());
        too_long(&mut f, "pupils", pupils.as_deref(), 100);
        let notes = tidy(reading.notes.as_deref());
        too_long(&mut f, "notes", notes.as_deref(), MAX_ACTIONS);
        let avpu = tidy(reading.avpu.as_deref());
        if reading.gcs.is_some_and(|g| !(3..=15).contains(&g)) {
            f.insert("gcs".into(), "GCS is 3 to 15".into());
        }
        if avpu
            .as_deref()
            .is_some_and(|a| !matches!(a, "alert" | "voice" | "pain" | "unresponsive"))
        {
            f.insert(
                "avpu".into(),
                "Choose alert, voice, pain or unresponsive".into(),
            );
        }
        if reading.pulse.is_some_and(|p| !(20..=250).contains(&p)) {
            f.insert("pulse".into(), "A pulse is 20 to 250 beats a minute".into());
        }
        if reading.gcs.is_none() && avpu.is_none() && pupils.is_none() && notes.is_none() {
            f.insert(
                "gcs".into(),
                "Record GCS or alert/voice/pain/unresponsive, or write what you saw".into(),
            );
        }
        if !f.is_empty() {
            return Err(CommandError::invalid_fields("Check the observation", f));
        }
        let actor = self.actor().await?;
        let now = self.clock.now();
        let (id, closed) = self
            .save(move |tx| {
                let o = ir::get_observation(tx, &observation_id)?.ok_or_else(no_observation)?;
                let done = ir::record_observation(
                    tx,
                    &observation_id,
                    &ir::Reading {
                        pupils: pupils.as_deref(),
                        gcs: reading.gcs,
                        avpu: avpu.as_deref(),
                        pulse: reading.pulse,
                        notes: notes.as_deref(),
                    },
                    &actor,
                    now,
                )?;
                if !done {
                    return Err(already_resolved());
                }
                resolved(tx, &o, &actor, "incident.observation_recorded")
            })
            .await?;
        if let Some(a) = closed {
            self.alerts.announce_acknowledged(a);
        }
        self.get_incident(id).await
    }

    /// Marks an observation missed, with the reason; its reminder closes.
    pub async fn miss_observation(
        &self,
        observation_id: String,
        reason: String,
    ) -> Result<IncidentView, CommandError> {
        let reason = reason.trim().to_owned();
        let mut f = Fields::new();
        if reason.is_empty() {
            f.insert("reason".into(), "Say why it was missed".into());
        }
        too_long(&mut f, "reason", Some(&reason), MAX_NOTE);
        if !f.is_empty() {
            return Err(CommandError::invalid_fields("Say why it was missed", f));
        }
        let actor = self.actor().await?;
        let now = self.clock.now();
        let (id, closed) = self
            .save(move |tx| {
                let o = ir::get_observation(tx, &observation_id)?.ok_or_else(no_observation)?;
                if !ir::miss_observation(tx, &observation_id, &reason, &actor, now)? {
                    return Err(already_resolved());
                }
                resolved(tx, &o, &actor, "incident.observation_missed")
            })
            .await?;
        if let Some(a) = closed {
            self.alerts.announce_acknowledged(a);
        }
        self.get_incident(id).await
    }

    /// Observations due or overdue and not yet recorded or missed, the earliest first.
    pub async fn due_observations(&self) -> Result<Vec<DueObservation>, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            let zone = repo::settings::home_zone(c)?;
            ir::unresolved_due(c, now)?
                .into_iter()
                .map(|o| {
                    let (title, person) = match care::get_incident(c, &o.incident_id)? {
                        Some(i) => {
                            let person = person_of(c, &i, ir::get_record(c, &i.id)?.as_ref())?;
                            (i.title, person)
                        }
                        None => (String::new(), String::new()),
                    };
                    Ok(DueObservation {
                        observation: observation_view(c, o, now, zone)?,
                        incident_title: title,
                        person,
                    })
                })
                .collect()
        })
        .await
    }

    /// Raises the reminder of every observation that has fallen due on the desk's clock, once
    /// each (a banner, not an OS alert); the alerts raised. Called by the desk's own task, and
    /// at start.
    pub async fn remind_due_observations(&self) -> Result<Vec<Alert>, CommandError> {
        let now = self.clock.now();
        let raised = crate::store::blocking(&self.shared.store, move |s| {
            s.transact(|tx| {
                let mut raised = Vec::new();
                for o in ir::unresolved_due(tx, now)? {
                    if o.reminded_at.is_some() || !ir::set_reminded(tx, &o.id, now)? {
                        continue;
                    }
                    let incident = care::get_incident(tx, &o.incident_id)?;
                    let record = ir::get_record(tx, &o.incident_id)?;
                    let person = match &incident {
                        Some(i) => person_of(tx, i, record.as_ref())?,
                        None => "someone".into(),
                    };
                    let what = observation_label(&o.kind);
                    let title = format!("{what} due {}: {person}", alerts_repo::WHEN);
                    let key = format!("observation:{}", o.id);
                    let id = alerts_repo::raise_alert(
                        tx,
                        &NewAlert {
                            key: &key,
                            event_id: None,
                            kind: OBSERVATION_DUE,
                            title: &title,
                            detail: Some(
                                "Record it on the incident's page, or mark it missed with the \
                                 reason.",
                            ),
                            location_id: incident.as_ref().map(|i| i.location_id.as_str()),
                            resident_id: incident.as_ref().and_then(|i| i.resident_id.as_deref()),
                            resource_id: Some(&o.incident_id),
                            when_at: Some(o.due_at),
                        },
                    )?;
                    if let Some(id) = id {
                        raised.extend(
                            alerts_repo::open_alerts(tx)?
                                .into_iter()
                                .find(|a| a.id == id),
                        );
                    }
                }
                Ok::<_, CommandError>(raised)
            })
        })
        .await?;
        for a in &raised {
            self.alerts.announce_raised(a.clone());
        }
        Ok(raised)
    }

    /// The desk's task: reminds each observation at its time on the desk's clock. It sleeps
    /// until the next one is due (looking again at least every [`OBSERVATION_RECHECK`], for a
    /// computer clock set or asleep), or until a schedule is made or the desk's clock moved;
    /// with none scheduled it sleeps until one is.
    pub(super) async fn observation_loop(self: std::sync::Arc<Self>) {
        let mut moves = self.clock.moves();
        loop {
            let next = self.read(ir::next_unreminded).await.ok().flatten();
            let wait = next.map(|t| {
                (t - self.clock.now())
                    .to_std()
                    .unwrap_or_default()
                    .min(OBSERVATION_RECHECK)
            });
            let moved = crate::clock::moved(&mut moves);
            let timer = crate::clock::sleep_for(wait);
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                _ = timer => {
                    // Woken early to look at the computer's clock: nothing to do yet.
                    if next.is_some_and(|t| t > self.clock.now()) {
                        continue;
                    }
                }
                _ = self.observation_wake.notified() => {}
                _ = moved => {}
            }
            if let Err(e) = self.remind_due_observations().await {
                tracing::warn!(error = %e.message, "observation reminders could not be raised");
            }
        }
    }

    /// The post-fall observation protocol new schedules follow.
    pub async fn get_observation_protocol(&self) -> Result<ObservationProtocol, CommandError> {
        self.read(protocol).await
    }

    /// A manager changes the protocol (schedules already made keep theirs).
    pub async fn save_observation_protocol(
        &self,
        protocol: ObservationProtocol,
    ) -> Result<ObservationProtocol, CommandError> {
        if let Err(fields) = protocol.check() {
            return Err(CommandError::invalid_fields("Check the protocol", fields));
        }
        let actor = self.actor().await?;
        let value = serde_json::to_string(&protocol).unwrap_or_default();
        let saved = protocol.clone();
        self.save(move |tx| {
            repo::settings::set_setting(tx, OBSERVATION_PROTOCOL, &value)?;
            repo::audit::audit(tx, &actor, "incident.protocol", None, None)?;
            Ok(())
        })
        .await?;
        Ok(saved)
    }

    /// The falls register from the cache: falls per resident over time, counts per month per
    /// home (the home's calendar), repeat fallers (2 or more in 90 days).
    pub async fn falls_register(&self) -> Result<FallsRegister, CommandError> {
        let now = self.clock.now();
        self.read(move |c| falls(c, now)).await
    }

    /// The falls register as CSV in `dir`, one row per fall.
    pub async fn export_falls_register(&self, dir: PathBuf) -> Result<SavedFile, CommandError> {
        let now = self.clock.now();
        let (rows, day) = self
            .read(move |c| {
                let zone = repo::settings::home_zone(c)?;
                Ok((falls_rows(c, now, zone)?, clock::date_in(zone, now)))
            })
            .await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let err = |e: csv::Error| crate::errors::internal(format!("writing CSV: {e}"));
        w.write_record([
            "Date",
            "Time",
            "Resident",
            "Home",
            "Title",
            "Severity",
            "Falls in 90 days",
            "Repeat faller",
        ])
        .map_err(err)?;
        for r in rows {
            w.write_record(r.iter().map(|s| super::reception::csv_safe(s)))
                .map_err(err)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| crate::errors::internal(format!("writing CSV: {e}")))?;
        super::reception::write_file(&dir, &format!("falls-register-{day}"), "csv", bytes).await
    }
}

fn no_duty() -> CommandError {
    CommandError::new(Code::NotFound, "This duty is not on this desk.")
}

fn no_observation() -> CommandError {
    CommandError::new(Code::NotFound, "This observation is not on this desk.")
}

fn already_resolved() -> CommandError {
    CommandError::new(
        Code::InvalidInput,
        "This observation is already recorded or marked missed.",
    )
}

/// After an observation is recorded or missed: its reminder closes and the audit says so.
fn resolved(
    tx: &Transaction<'_>,
    o: &ir::ObservationRow,
    actor: &str,
    action: &str,
) -> Result<(String, Option<Alert>), CommandError> {
    let name = super::reception::actor_name(tx, actor)?;
    let closed = alerts_repo::acknowledge_by_key(tx, &format!("observation:{}", o.id), &name)?;
    repo::audit::audit(
        tx,
        actor,
        action,
        Some(("incident", &o.incident_id)),
        Some(&json!({"observation": o.id})),
    )?;
    Ok((o.incident_id.clone(), closed))
}

fn protocol(c: &Connection) -> crate::store::Result<ObservationProtocol> {
    Ok(repo::settings::get_setting(c, OBSERVATION_PROTOCOL)?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

/// The record of an incident logged here, or `not_found`.
fn logged_here(c: &Connection, id: &str) -> Result<IncidentRecord, CommandError> {
    ir::get_record(c, id)?.ok_or_else(|| {
        CommandError::new(
            Code::NotFound,
            "This incident was not logged on this desk: change it on CareLoop.",
        )
    })
}

/// The save's transaction: checks, row, record, duties, schedule, alerts, outbox entry.
fn save_in(
    tx: &Transaction<'_>,
    form: IncidentForm,
    incident_id: Option<String>,
    draft_id: Option<String>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(String, Vec<Alert>), CommandError> {
    let checked = check(tx, &form, now)?;
    let reporter = (actor != "setup").then_some(actor);
    let zone = repo::settings::home_zone(tx)?;
    let entity = Table::Incidents.entity();
    let (id, client_id, logged_by, logged_at, local_status) = match &incident_id {
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            (id.clone(), id, actor.to_owned(), now, None)
        }
        Some(id) => {
            let record = logged_here(tx, id)?;
            let entries = repo::outbox::entries_for(tx, entity, &record.incident_id)?;
            let Some(entry) = entries.iter().find(|e| e.op == "incident.create") else {
                return Err(CommandError::new(
                    Code::InvalidInput,
                    "This incident has reached CareLoop: only its status, duties and \
                     observations can change now.",
                ));
            };
            let payload = payload(&checked, reporter);
            match entry.status {
                OutboxStatus::NeedsAttention => {
                    // CareLoop refused it: the correction is another request, under a new key.
                    repo::outbox::resubmit_outbox_entry(tx, entry.seq, &payload)?;
                }
                OutboxStatus::Pending => {
                    if !repo::outbox::replace_unsent_payload(tx, entry.seq, &payload)? {
                        return Err(CommandError::new(
                            Code::InvalidInput,
                            "This incident is being sent to CareLoop right now, so it can no \
                             longer be edited: its status, duties and observations still can.",
                        ));
                    }
                }
            }
            (
                record.incident_id.clone(),
                record.client_id.clone(),
                record.logged_by.clone(),
                record.logged_at,
                record.local_status,
            )
        }
    };
    let _ = local_status;
    care::upsert_incident(tx, &cache_row(&id, &checked, reporter, now))?;
    let call_999 = needs_999(&checked.form);
    ir::put_record(
        tx,
        &IncidentRecord {
            incident_id: id.clone(),
            client_id: client_id.clone(),
            form: serde_json::to_value(&checked.form).unwrap_or(Value::Null),
            desk_type: checked.form.kind.clone(),
            location_id: checked.location_id.clone(),
            resident_id: checked.form.resident_id.clone(),
            occurred_at: checked.occurred_at,
            call_999,
            local_status: None,
            status_changed_by: None,
            status_changed_at: None,
            logged_by,
            logged_at,
        },
    )?;
    if incident_id.is_none() {
        outbox::enqueue_create(tx, &IncidentCreate, &id, payload(&checked, reporter))?;
    }
    // What must be notified, with what the person decided.
    let rules = duties::applying(&facts(&checked.form));
    let advised: Vec<ir::AdvisedDuty<'_>> = rules
        .iter()
        .map(|r| ir::AdvisedDuty {
            duty: r.duty.as_str(),
            why: r.why,
            due_at: duties::due_at(r.clock, checked.occurred_at, zone),
            decision: checked
                .form
                .decisions
                .iter()
                .find(|d| d.duty == r.duty.as_str())
                .map(|d| (d.decision.as_str(), d.note.as_deref())),
        })
        .collect();
    ir::put_advised_duties(tx, &id, &advised, actor, now)?;
    // Post-fall observations, once.
    if needs_observations(&checked.form) && !ir::has_schedule(tx, &id)? {
        for (kind, at) in protocol(tx)?.schedule(now) {
            ir::add_observation(tx, &id, kind.as_str(), at)?;
        }
    }
    // Alerts: a critical incident at once; a safeguarding notice for managers.
    let mut raised = Vec::new();
    let person = person_of_form(tx, &checked.form)?;
    if checked.form.severity == "critical" {
        let key = alerts_repo::incident_key(&id);
        let title = format!("Critical incident: {} — {person}", checked.form.title);
        raised.extend(raise(
            tx,
            &NewAlert {
                key: &key,
                event_id: None,
                kind: INCIDENT_CRITICAL,
                title: &title,
                detail: Some(&format!(
                    "Logged on this desk; it happened {}. Check on the person and follow the \
                     incident procedure.",
                    alerts_repo::WHEN
                )),
                location_id: Some(&checked.location_id),
                resident_id: checked.form.resident_id.as_deref(),
                resource_id: Some(&id),
                when_at: Some(checked.occurred_at),
            },
        )?);
    }
    if checked.form.kind == "safeguarding" || checked.form.abuse_suspected {
        let key = format!("safeguarding:{client_id}");
        let title = format!(
            "Safeguarding: a manager must review “{}”",
            checked.form.title
        );
        raised.extend(raise(
            tx,
            &NewAlert {
                key: &key,
                event_id: None,
                kind: SAFEGUARDING_NOTICE,
                title: &title,
                detail: Some(
                    "For managers: decide the safeguarding referral and the CQC notification \
                     on the incident's page.",
                ),
                location_id: Some(&checked.location_id),
                resident_id: checked.form.resident_id.as_deref(),
                resource_id: Some(&id),
                when_at: Some(checked.occurred_at),
            },
        )?);
    }
    if let Some(d) = draft_id {
        ir::delete_draft(tx, &d)?;
    }
    repo::audit::audit(
        tx,
        actor,
        if incident_id.is_none() {
            "incident.create"
        } else {
            "incident.edit"
        },
        Some(("incident", &id)),
        Some(&json!({"type": checked.form.kind, "severity": checked.form.severity})),
    )?;
    Ok((id, raised))
}

fn raise(tx: &Transaction<'_>, a: &NewAlert<'_>) -> crate::store::Result<Option<Alert>> {
    match alerts_repo::raise_alert(tx, a)? {
        Some(id) => Ok(alerts_repo::open_alerts(tx)?
            .into_iter()
            .find(|x| x.id == id)),
        None => Ok(None),
    }
}

fn person_of_form(c: &Connection, form: &IncidentForm) -> crate::store::Result<String> {
    Ok(match (&form.resident_id, &form.person_name) {
        (Some(r), _) => people::resident_named(c, r)?
            .map(|n| n.name)
            .unwrap_or_else(|| "a resident".into()),
        (None, Some(n)) => format!("{n} ({})", label(SUBJECTS, &form.subject).to_lowercase()),
        (None, None) => "someone".into(),
    })
}

fn person_of(
    c: &Connection,
    i: &Incident,
    record: Option<&IncidentRecord>,
) -> crate::store::Result<String> {
    if let Some(r) = record {
        if let Ok(form) = serde_json::from_value::<IncidentForm>(r.form.clone()) {
            return person_of_form(c, &form);
        }
    }
    Ok(match &i.resident_id {
        Some(r) => people::resident_named(c, r)?
            .map(|n| n.name)
            .unwrap_or_else(|| "a resident".into()),
        None => "not a resident".into(),
    })
}

fn observation_label(kind: &str) -> &'static str {
    match kind {
        "bruising" => "Bruising check",
        _ => "Neurological observation",
    }
}

/// "due by the end of Fri 30 Oct (in 9 days)", "without delay: it happened 3 h 20 min ago".
fn clock_words(
    clock: DutyClock,
    due_at: Option<DateTime<Utc>>,
    occurred: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    zone: Tz,
) -> (String, bool) {
    match (clock, due_at) {
        (DutyClock::CalendarDays(days), Some(due)) => {
            let last_day = clock::date_in(zone, due - TimeDelta::milliseconds(1));
            let day = clock::day_words(last_day, clock::date_in(zone, now));
            if now >= due {
                (
                    format!(
                        "overdue: it was due by the end of {day} ({days} days), {} ago",
                        duties::span_words(now - due)
                    ),
                    true,
                )
            } else {
                (
                    format!(
                        "due by the end of {day} ({days} days): {} left",
                        duties::span_words(due - now)
                    ),
                    false,
                )
            }
        }
        (DutyClock::CalendarDays(days), None) => (format!("within {days} days"), false),
        (DutyClock::WithoutDelay, _) => (
            match occurred {
                Some(o) => format!(
                    "without delay: it happened {} ago",
                    duties::span_words(now - o)
                ),
                None => "without delay".into(),
            },
            false,
        ),
    }
}

fn duty_view(
    c: &Connection,
    d: ir::DutyRow,
    occurred: DateTime<Utc>,
    now: DateTime<Utc>,
    zone: Tz,
) -> crate::store::Result<DutyView> {
    let kind: DutyKind = d.duty.parse().unwrap_or(DutyKind::CqcSeriousInjury);
    let rule = duties::rule(kind);
    let open = d.sent_at.is_none() && d.decision.as_deref() != Some("not_needed");
    let (words, overdue) = clock_words(rule.clock, d.due_at, Some(occurred), now, zone);
    let name = |id: &Option<String>| -> crate::store::Result<Option<String>> {
        id.as_deref()
            .map(|a| super::reception::actor_name(c, a))
            .transpose()
    };
    Ok(DutyView {
        label: rule.label.into(),
        source: rule.source.into(),
        clock_words: if d.sent_at.is_some() {
            "sent".into()
        } else {
            words
        },
        overdue: open && overdue,
        decided_by: name(&d.decided_by)?,
        sent_by: name(&d.sent_by)?,
        id: d.id,
        duty: kind,
        why: d.why,
        due_at: d.due_at,
        decision: d.decision,
        decision_note: d.decision_note,
        sent_at: d.sent_at,
        reference: d.reference,
        open,
    })
}

fn observation_view(
    c: &Connection,
    o: ir::ObservationRow,
    now: DateTime<Utc>,
    zone: Tz,
) -> crate::store::Result<ObservationView> {
    let state = match o.outcome.as_deref() {
        Some("recorded") => ObservationState::Recorded,
        Some(_) => ObservationState::Missed,
        None if o.due_at > now => ObservationState::Upcoming,
        None if now - o.due_at >= OVERDUE_AFTER => ObservationState::Overdue,
        None => ObservationState::Due,
    };
    Ok(ObservationView {
        label: observation_label(&o.kind).into(),
        due_words: clock::when(o.due_at, now, zone),
        resolved_by: o
            .resolved_by
            .as_deref()
            .map(|a| super::reception::actor_name(c, a))
            .transpose()?,
        id: o.id,
        incident_id: o.incident_id,
        kind: o.kind,
        due_at: o.due_at,
        state,
        pupils: o.pupils,
        gcs: o.gcs,
        avpu: o.avpu,
        pulse: o.pulse,
        notes: o.notes,
        missed_reason: o.missed_reason,
        resolved_at: o.resolved_at,
    })
}

/// Where an incident stands with CareLoop, with its objections on the form's fields.
fn sync_of(c: &Connection, id: &str) -> crate::store::Result<IncidentSync> {
    let entries = repo::outbox::entries_for(c, Table::Incidents.entity(), id)?;
    Ok(match entries.first() {
        None => IncidentSync {
            state: IncidentSyncState::Synced,
            message: None,
            fields: BTreeMap::new(),
        },
        Some(e) if e.status == OutboxStatus::NeedsAttention => IncidentSync {
            state: IncidentSyncState::NeedsAttention,
            message: Some(format!(
                "CareLoop refused this incident: {}. Correct it on the form and save again.",
                e.last_error.as_deref().unwrap_or("see beside the answers")
            )),
            fields: server_fields(e.field_errors.as_ref()),
        },
        Some(_) => IncidentSync {
            state: IncidentSyncState::Pending,
            message: None,
            fields: BTreeMap::new(),
        },
    })
}

/// CareLoop's per-field codes, on the form's fields, in words.
fn server_fields(errors: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(obj) = errors.and_then(Value::as_object) else {
        return out;
    };
    for (field, code) in obj {
        let code = match code {
            Value::String(s) => s.clone(),
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        let head = field.split(['.', '[']).next().unwrap_or(field);
        let key = match head {
            "location_id" | "reported_by_staff_id" => "home",
            "resident_id" => "resident_id",
            "type" => "type",
            "severity" => "severity",
            "title" => "title",
            "description" => "description",
            "occurred_at" => "occurred_at",
            "body_map" => "body_regions",
            "witnesses" => "witnesses",
            "fall" => "fall_how",
            _ => "form",
        };
        let words = match code.as_str() {
            "not_found" => "CareLoop does not know this: choose again".to_owned(),
            "too_long" => "Too long for CareLoop: shorten it".to_owned(),
            "must_not_be_empty" | "required" => "CareLoop needs this: fill it in".to_owned(),
            "must_not_be_in_the_future" => {
                "CareLoop says this is in the future: check the date and time (and this \
                 desk's clock)"
                    .to_owned()
            }
            "required_for_fall" => "CareLoop needs the fall's details".to_owned(),
            other => format!("CareLoop refused this ({})", other.replace('_', " ")),
        };
        out.entry(key.to_owned())
            .and_modify(|w: &mut String| {
                if !w.contains(&words) {
                    w.push_str("; ");
                    w.push_str(&words);
                }
            })
            .or_insert(words);
    }
    out
}

/// The form of an incident pulled from CareLoop (logged elsewhere).
fn form_of(i: &Incident) -> IncidentForm {
    let fall = i.fall.as_ref();
    IncidentForm {
        subject: if i.resident_id.is_some() {
            "resident".into()
        } else {
            "other".into()
        },
        resident_id: i.resident_id.clone(),
        person_name: None,
        kind: desk_type_of(i.kind).into(),
        severity: i.severity.as_str().into(),
        occurred_at: repo::ts(&i.occurred_at),
        found_at: None,
        place: fall.map(|f| f.place.clone()).unwrap_or_default(),
        title: i.title.clone(),
        description: i.description.clone().filter(|d| !d.is_empty()),
        witnessed: fall.map_or(!i.witnesses.is_empty(), |f| f.was_witnessed),
        witnesses: i.witnesses.iter().map(|w| w.name.clone()).collect(),
        body_regions: i.body_map.iter().map(|b| b.region.clone()).collect(),
        immediate_actions: None,
        notified: Vec::new(),
        hospital_transfer: fall.is_some_and(|f| f.hospital_transfer),
        died: false,
        abuse_suspected: false,
        work_related: false,
        specified_injury: false,
        over_seven_day_incapacity: false,
        fall: fall.map(|f| FallAnswers {
            how: if f.was_witnessed {
                "seen_to_fall".into()
            } else {
                "found_on_floor".into()
            },
            head_injury: false,
            anticoagulants: false,
            neuro_obs_started: false,
        }),
        decisions: Vec::new(),
    }
}

fn view(
    c: &Connection,
    id: &str,
    now: DateTime<Utc>,
) -> crate::store::Result<Option<IncidentView>> {
    let record = ir::get_record(c, id)?;
    let id = record
        .as_ref()
        .map_or_else(|| id.to_owned(), |r| r.incident_id.clone());
    let Some(incident) = care::get_incident(c, &id)? else {
        return Ok(None);
    };
    let zone = repo::settings::home_zone(c)?;
    let form = record
        .as_ref()
        .and_then(|r| serde_json::from_value::<IncidentForm>(r.form.clone()).ok())
        .unwrap_or_else(|| form_of(&incident));
    let sync = sync_of(c, &id)?;
    let editable = record.is_some() && sync.state != IncidentSyncState::Synced;
    let duties = ir::duties_of(c, &id)?
        .into_iter()
        .map(|d| duty_view(c, d, incident.occurred_at, now, zone))
        .collect::<crate::store::Result<_>>()?;
    let observations = ir::observations_of(c, &id)?
        .into_iter()
        .map(|o| observation_view(c, o, now, zone))
        .collect::<crate::store::Result<_>>()?;
    let status = record
        .as_ref()
        .and_then(|r| r.local_status.clone())
        .unwrap_or_else(|| incident.status.as_str().to_owned());
    Ok(Some(IncidentView {
        type_label: label(TYPES, &form.kind),
        person: person_of(c, &incident, record.as_ref())?,
        occurred_words: clock::when(incident.occurred_at, now, zone),
        elapsed_words: format!(
            "happened {} ago",
            duties::span_words(now - incident.occurred_at)
        ),
        call_999: record
            .as_ref()
            .is_some_and(|r| r.call_999)
            .then(|| CALL_999.to_owned()),
        logged_by: record
            .as_ref()
            .map(|r| super::reception::actor_name(c, &r.logged_by))
            .transpose()?,
        logged_at: record.as_ref().map(|r| r.logged_at),
        client_id: record.as_ref().map(|r| r.client_id.clone()),
        id,
        form,
        status,
        sync,
        editable,
        duties,
        observations,
    }))
}

/// Summaries of the cached incidents since `since` (of one resident if given), newest first.
fn summaries(
    c: &Connection,
    resident: Option<&str>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> crate::store::Result<Vec<IncidentSummary>> {
    let zone = repo::settings::home_zone(c)?;
    let open = ir::open_duty_counts(c)?;
    let pending = repo::outbox::pending_ids(c, Table::Incidents.entity())?;
    let mut out = Vec::new();
    for i in care::incidents_since(c, None, since)? {
        if resident.is_some_and(|r| i.resident_id.as_deref() != Some(r)) {
            continue;
        }
        let record = ir::get_record(c, &i.id)?;
        let form = record
            .as_ref()
            .and_then(|r| serde_json::from_value::<IncidentForm>(r.form.clone()).ok());
        let kind = form
            .as_ref()
            .map_or_else(|| desk_type_of(i.kind).to_owned(), |f| f.kind.clone());
        let sync = if pending.contains(&i.id) {
            sync_of(c, &i.id)?.state
        } else {
            IncidentSyncState::Synced
        };
        let duties = ir::duties_of(c, &i.id)?;
        let next_deadline = duties
            .iter()
            .filter(|d| d.sent_at.is_none() && d.decision.as_deref() != Some("not_needed"))
            .filter_map(|d| d.due_at)
            .min();
        let overdue = ir::observations_of(c, &i.id)?
            .iter()
            .filter(|o| o.outcome.is_none() && now - o.due_at >= OVERDUE_AFTER)
            .count();
        out.push(IncidentSummary {
            type_label: label(TYPES, &kind),
            person: person_of(c, &i, record.as_ref())?,
            occurred_words: clock::when(i.occurred_at, now, zone),
            status: record
                .as_ref()
                .and_then(|r| r.local_status.clone())
                .unwrap_or_else(|| i.status.as_str().to_owned()),
            open_duties: open.get(&i.id).copied().unwrap_or(0),
            call_999: record.as_ref().is_some_and(|r| r.call_999),
            logged_here: record.is_some(),
            overdue_observations: u32::try_from(overdue).unwrap_or(u32::MAX),
            next_deadline,
            id: i.id,
            title: i.title,
            kind,
            severity: i.severity.as_str().to_owned(),
            occurred_at: i.occurred_at,
            resident_id: i.resident_id,
            sync,
        });
    }
    Ok(out)
}

/// A filter's date or time: a date is the home's midnight (`end`: the next one).
fn bound(s: &str, zone: Tz, end: bool) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(t) = parse_time(s) {
        return Some(t);
    }
    let day = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let day = if end { day.succ_opt()? } else { day };
    Some(clock::start_of_day(zone, day))
}

fn draft_view(c: &Connection, d: ir::DraftRow) -> crate::store::Result<IncidentDraft> {
    Ok(IncidentDraft {
        form: serde_json::from_value(d.form).unwrap_or_default(),
        saved_by: super::reception::actor_name(c, &d.saved_by)?,
        id: d.id,
        incident_id: d.incident_id,
        saved_at: d.saved_at,
    })
}

/// Falls of residents in the cache (CareLoop's and this desk's): (resident, incident).
fn resident_falls(c: &Connection) -> crate::store::Result<Vec<Incident>> {
    Ok(care::incidents_since(c, None, DateTime::<Utc>::MIN_UTC)?
        .into_iter()
        .filter(|i| i.kind == care::IncidentType::Fall)
        .collect())
}

fn falls(c: &Connection, now: DateTime<Utc>) -> crate::store::Result<FallsRegister> {
    let zone = repo::settings::home_zone(c)?;
    let all = resident_falls(c)?;
    let mut months: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut by_resident: BTreeMap<String, Vec<&Incident>> = BTreeMap::new();
    for i in &all {
        let d = clock::date_in(zone, i.occurred_at);
        *months
            .entry((
                format!("{:04}-{:02}", d.year(), d.month()),
                i.location_id.clone(),
            ))
            .or_default() += 1;
        if let Some(r) = &i.resident_id {
            by_resident.entry(r.clone()).or_default().push(i);
        }
    }
    let mut homes = BTreeMap::new();
    let months = months
        .into_iter()
        .map(|((month, location_id), count)| {
            let home = match homes.get(&location_id) {
                Some(h) => Clone::clone(h),
                None => {
                    let h = people::location_name(c, &location_id)?
                        .unwrap_or_else(|| location_id.clone());
                    homes.insert(location_id.clone(), h.clone());
                    h
                }
            };
            Ok(FallsMonth {
                month,
                location_id,
                home,
                count,
            })
        })
        .collect::<crate::store::Result<Vec<_>>>()?;
    let mut residents = Vec::new();
    for (rid, mut list) in by_resident {
        list.sort_by_key(|i| i.occurred_at);
        let recent = list
            .iter()
            .filter(|i| i.occurred_at > now - TimeDelta::days(REPEAT_DAYS) && i.occurred_at <= now)
            .count();
        let recent = u32::try_from(recent).unwrap_or(u32::MAX);
        residents.push(ResidentFalls {
            name: people::resident_named(c, &rid)?
                .map(|n| n.name)
                .unwrap_or_else(|| rid.clone()),
            falls: list
                .iter()
                .map(|i| FallEntry {
                    incident_id: i.id.clone(),
                    occurred_at: i.occurred_at,
                    title: i.title.clone(),
                    severity: i.severity.as_str().into(),
                })
                .collect(),
            last_90_days: recent,
            repeat_faller: recent >= 2,
            resident_id: rid,
        });
    }
    residents.sort_by(|a, b| {
        b.repeat_faller
            .cmp(&a.repeat_faller)
            .then(b.last_90_days.cmp(&a.last_90_days))
            .then(a.name.cmp(&b.name))
    });
    Ok(FallsRegister { months, residents })
}

fn falls_rows(
    c: &Connection,
    now: DateTime<Utc>,
    zone: Tz,
) -> crate::store::Result<Vec<Vec<String>>> {
    let register = falls(c, now)?;
    let mut rows = Vec::new();
    let all = resident_falls(c)?;
    for i in all {
        let local = i.occurred_at.with_timezone(&zone);
        let r = i
            .resident_id
            .as_ref()
            .and_then(|id| register.residents.iter().find(|r| &r.resident_id == id));
        rows.push(vec![
            local.format("%Y-%m-%d").to_string(),
            local.format("%H:%M").to_string(),
            r.map(|r| r.name.clone()).unwrap_or_default(),
            people::location_name(c, &i.location_id)?.unwrap_or_else(|| i.location_id.clone()),
            i.title.clone(),
            i.severity.as_str().to_owned(),
            r.map(|r| r.last_90_days.to_string()).unwrap_or_default(),
            if r.is_some_and(|r| r.repeat_faller) {
                "yes".into()
            } else {
                "no".into()
            },
        ]);
    }
    Ok(rows)
}
