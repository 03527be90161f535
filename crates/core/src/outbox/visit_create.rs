//! `visit.create`: a visit scheduled on this desk, `POST /v1/visits`.
//!
//! Recognised on CareLoop (after a lost answer) as a visit of the same home, staff member,
//! resident, kind, start, end and notes, created since the request was first sent (less the
//! clocks' possible difference); the earliest such if there are several.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use ts_rs::TS;

use super::{find_in_list, text, time, Lookup, Operation, Refusal, Request, CLOCK_SKEW};
use crate::api::ApiClient;
use crate::ipc::{Code, CommandError};
use crate::store::repo::care::{self, ScheduledFields, Visit, VisitType};
use crate::store::repo::outbox::OutboxEntry;
use crate::store::repo::people::{self, PeopleTable};
use crate::store::repo::sync_state::Table;
use crate::store::Result as StoreResult;

pub struct VisitCreate;

/// A new visit, as the schedule form sends it (and as a corrected entry is resubmitted).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct ScheduleVisit {
    pub location_id: String,
    pub staff_user_id: String,
    #[serde(default)]
    pub resident_id: Option<String>,
    pub visit_type: String,
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339.
    pub ends_at: String,
    #[serde(default)]
    pub notes: Option<String>,
    /// The person confirmed a start in the past (recording a visit that happened).
    #[serde(default)]
    #[ts(optional)]
    pub confirm_past: Option<bool>,
}

/// The longest visit notes, in characters.
pub const MAX_NOTES: usize = 10_000;

/// A date and time as typed, or the field's message.
pub fn parse_time(field: &str, value: &str) -> Result<DateTime<Utc>, (String, String)> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| (field.to_owned(), "Enter a date and time".to_owned()))
}

/// The longest a visit may last.
pub const MAX_LENGTH: chrono::TimeDelta = chrono::TimeDelta::hours(24);
/// How far ahead a visit may be scheduled.
pub const MAX_AHEAD: chrono::TimeDelta = chrono::TimeDelta::days(366);

/// Checks a new visit against the rules CareLoop applies and the local cache, at `now`;
/// returns its fields tidied, or every problem by field. A visit lasts at most 24 hours and
/// starts at most a year ahead; one that starts in the past is only taken once the person has
/// confirmed it (`needs_confirmation` until then: recording a visit that happened is
/// legitimate, a mistyped year is not).
pub fn check(
    c: &Connection,
    input: &ScheduleVisit,
    now: DateTime<Utc>,
) -> Result<ScheduledFields, CommandError> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let visit_type: Option<VisitType> = input.visit_type.parse().ok();
    if visit_type.is_none() {
        fields.insert("visit_type".into(), "Choose the kind of visit".into());
    }
    let starts = parse_time("starts_at", &input.starts_at);
    let ends = parse_time("ends_at", &input.ends_at);
    for e in [&starts, &ends]
        .into_iter()
        .filter_map(|r| r.as_ref().err())
    {
        fields.insert(e.0.clone(), e.1.clone());
    }
    if let (Ok(s), Ok(e)) = (&starts, &ends) {
        if e <= s {
            fields.insert("ends_at".into(), "The end must be after the start".into());
        } else if *e - *s > MAX_LENGTH {
            fields.insert(
                "ends_at".into(),
                "A visit can last 24 hours at most: check the end".into(),
            );
        }
    }
    if let Ok(s) = &starts {
        if *s > now + MAX_AHEAD {
            fields.insert(
                "starts_at".into(),
                "A visit can be scheduled up to a year ahead: check the year".into(),
            );
        }
    }
    let notes = input
        .notes
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if notes.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTES) {
        fields.insert(
            "notes".into(),
            "Write 10,000 characters or fewer".into(),
        );
    }
    let location = input.location_id.trim().to_owned();
    let staff = input.staff_user_id.trim().to_owned();
    let resident = input
        .resident_id
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if !people::exists(c, PeopleTable::Locations, &location)? {
        fields.insert("location_id".into(), "Choose a home this desk knows".into());
    }
    if !people::exists(c, PeopleTable::Staff, &staff)? {
        fields.insert("staff_user_id".into(), "Choose a staff member".into());
    }
    if let Some(r) = &resident {
        if !people::exists(c, PeopleTable::Residents, r)? {
            fields.insert(
                "resident_id".into(),
                "Choose a resident this desk knows".into(),
            );
        }
    }
    if let (Ok(s), true) = (&starts, fields.is_empty()) {
        if *s < now && input.confirm_past != Some(true) {
            let zone = crate::store::repo::settings::home_zone(c)?;
            let words = crate::clock::when(*s, now, zone);
            return Err(CommandError::needs_confirmation(
                format!(
                    "This visit starts in the past ({words}). Save it as a visit that happened?"
                ),
                [("starts_at".to_owned(), format!("This is in the past: {words}"))],
            ));
        }
    }
    match (visit_type, starts, ends, fields.is_empty()) {
        (Some(visit_type), Ok(starts_at), Ok(ends_at), true) => Ok(ScheduledFields {
            location_id: location,
            staff_user_id: staff,
            resident_id: resident,
            visit_type,
            starts_at,
            ends_at,
            notes,
        }),
        _ => Err(CommandError::invalid_fields(
            "Check the visit details",
            fields,
        )),
    }
}

impl VisitCreate {
    /// The body of `POST /v1/visits`.
    pub fn payload(v: &ScheduledFields) -> Value {
        let mut p = json!({
            "location_id": v.location_id,
            "staff_user_id": v.staff_user_id,
            "visit_type": v.visit_type.as_str(),
            "starts_at": crate::store::repo::ts(&v.starts_at),
            "ends_at": crate::store::repo::ts(&v.ends_at),
        });
        if let Some(r) = &v.resident_id {
            p["resident_id"] = json!(r);
        }
        if let Some(n) = &v.notes {
            p["notes"] = json!(n);
        }
        p
    }
}

impl Operation for VisitCreate {
    fn name(&self) -> &'static str {
        "visit.create"
    }

    fn table(&self) -> Table {
        Table::Visits
    }

    fn creates(&self) -> bool {
        true
    }

    fn request(&self, entry: &OutboxEntry) -> Result<Request, Refusal> {
        Ok(Request::post("/v1/visits", entry.payload.clone()))
    }

    fn store_answer(&self, tx: &Transaction<'_>, answer: &Value) -> StoreResult<()> {
        if let Ok(v) = serde_json::from_value::<Visit>(answer.clone()) {
            care::upsert_visit(tx, &v)?;
        }
        Ok(())
    }

    fn fix(
        &self,
        tx: &Transaction<'_>,
        entry: &OutboxEntry,
        payload: Value,
    ) -> Result<Value, CommandError> {
        let mut input: ScheduleVisit = serde_json::from_value(payload).map_err(|e| {
            tracing::warn!(error = %e, "a corrected visit could not be read");
            CommandError::new(
                Code::InvalidInput,
                "The corrected visit is missing a field: give its home, staff member, kind, \
                 start and end.",
            )
        })?;
        // Correcting a visit that was already saved is not the moment to ask about the past.
        input.confirm_past = Some(true);
        let checked = check(tx, &input, crate::clock::now())?;
        care::correct_scheduled_visit(tx, &entry.entity_id, &checked)?;
        Ok(Self::payload(&checked))
    }

    fn find_existing<'a>(&'a self, client: &'a ApiClient, entry: &'a OutboxEntry) -> Lookup<'a> {
        Box::pin(async move {
            let p = &entry.payload;
            let (Some(location), Some(staff), Some(starts)) = (
                text(p, "location_id"),
                text(p, "staff_user_id"),
                time(p, "starts_at"),
            ) else {
                return Ok(None);
            };
            let since = entry.sent_at.unwrap_or(entry.created_at) - CLOCK_SKEW;
            let mut filters = vec![
                ("location_id".to_owned(), location),
                ("staff_user_id".to_owned(), staff),
                ("from".to_owned(), crate::store::repo::ts(&starts)),
                (
                    "to".to_owned(),
                    crate::store::repo::ts(&(starts + chrono::TimeDelta::milliseconds(1))),
                ),
            ];
            if let Some(r) = text(p, "resident_id") {
                filters.push(("resident_id".to_owned(), r));
            }
            let same = |v: &Value| {
                let field = |k: &str| v.get(k).filter(|x| !x.is_null());
                field("visit_type") == p.get("visit_type")
                    && time(v, "ends_at") == time(p, "ends_at")
                    && field("notes") == p.get("notes")
                    && field("resident_id") == p.get("resident_id")
                    && time(v, "created_at").is_some_and(|t| t >= since)
            };
            // Only visits starting at our start are listed; the earliest created is ours.
            let found = find_in_list(client, "/v1/visits", filters, same, |_| false).await?;
            Ok(found.into_iter().min_by_key(|v| time(v, "created_at")))
        })
    }

    fn describe(&self, c: &Connection, entry: &OutboxEntry) -> StoreResult<String> {
        let kind = text(&entry.payload, "visit_type")
            .unwrap_or_default()
            .replace('_', " ");
        Ok(match time(&entry.payload, "starts_at") {
            Some(at) => format!("Schedule a {kind} visit {}", super::time_words(c, at)?),
            None => format!("Schedule a {kind} visit"),
        })
    }
}
