//! `incident.create`: an incident logged on this desk, `POST /v1/incidents` (CareLoop emits
//! `incident.created`, `incident.critical` when critical, `fall.logged` for a fall).
//!
//! One entry per incident: an edit before it was sent replaces the entry's payload, and a
//! correction after CareLoop refused it goes back under a new key (the desk's incident form
//! does both; this file only sends).
//!
//! Recognised on CareLoop (after a lost answer) as an incident of the same home and resident
//! with the same `occurred_at` (as the desk sent it, to the millisecond), type, severity, title
//! and description, created since the request was first sent (less an hour for the two
//! clocks); the earliest such.

use rusqlite::{Connection, Transaction};
use serde_json::Value;

use super::{find_in_list, text, time, Lookup, Operation, Refusal, Request, CLOCK_SKEW};
use crate::api::ApiClient;
use crate::ipc::{Code, CommandError};
use crate::store::repo::care::{self, Incident};
use crate::store::repo::outbox::OutboxEntry;
use crate::store::repo::sync_state::Table;
use crate::store::Result as StoreResult;

pub struct IncidentCreate;

impl Operation for IncidentCreate {
    fn name(&self) -> &'static str {
        "incident.create"
    }

    fn table(&self) -> Table {
        Table::Incidents
    }

    fn creates(&self) -> bool {
        true
    }

    fn request(&self, entry: &OutboxEntry) -> Result<Request, Refusal> {
        Ok(Request::post("/v1/incidents", entry.payload.clone()))
    }

    fn store_answer(&self, tx: &Transaction<'_>, answer: &Value) -> StoreResult<()> {
        if let Ok(i) = serde_json::from_value::<Incident>(answer.clone()) {
            care::upsert_incident(tx, &i)?;
        }
        Ok(())
    }

    fn fix(
        &self,
        _tx: &Transaction<'_>,
        _entry: &OutboxEntry,
        _payload: Value,
    ) -> Result<Value, CommandError> {
        Err(CommandError::new(
            Code::InvalidInput,
            "Correct this incident on its own page (Incidents): CareLoop's objections are shown \
             beside the fields there.",
        ))
    }

    fn find_existing<'a>(&'a self, client: &'a ApiClient, entry: &'a OutboxEntry) -> Lookup<'a> {
        Box::pin(async move {
            let p = &entry.payload;
            let (Some(location), Some(occurred)) = (text(p, "location_id"), time(p, "occurred_at"))
            else {
                return Ok(None);
            };
            let since = entry.sent_at.unwrap_or(entry.created_at) - CLOCK_SKEW;
            let mut filters = vec![
                ("location_id".to_owned(), location),
                ("from".to_owned(), crate::store::repo::ts(&occurred)),
                (
                    "to".to_owned(),
                    crate::store::repo::ts(&(occurred + chrono::TimeDelta::milliseconds(1))),
                ),
            ];
            if let Some(r) = text(p, "resident_id") {
                filters.push(("resident_id".to_owned(), r));
            }
            let same = |v: &Value| {
                let field = |k: &str| v.get(k).filter(|x| !x.is_null());
                let description = |x: &Value| {
                    x.get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                field("resident_id") == p.get("resident_id")
                    && field("type") == p.get("type")
                    && field("severity") == p.get("severity")
                    && field("title") == p.get("title")
                    && description(v) == description(p)
                    && time(v, "created_at").is_none_or(|t| t >= since)
            };
            let found = find_in_list(client, "/v1/incidents", filters, same, |_| false).await?;
            Ok(found.into_iter().min_by_key(|v| time(v, "created_at")))
        })
    }

    fn describe(&self, c: &Connection, entry: &OutboxEntry) -> StoreResult<String> {
        let title = text(&entry.payload, "title").unwrap_or_else(|| "an incident".into());
        Ok(match time(&entry.payload, "occurred_at") {
            Some(at) => format!("Incident: {title} ({})", super::time_words(c, at)?),
            None => format!("Incident: {title}"),
        })
    }
}
