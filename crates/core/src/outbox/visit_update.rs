//! `visit.update`: a visit confirmed, completed or cancelled on this desk, `PATCH
//! /v1/visits/{id}` with the new status.
//!
//! Recognised on CareLoop (after a lost answer) as done when the visit already has the status
//! (and, for a cancellation, the reason) the change asked for; sending it again would be refused
//! as an impossible change by a CareLoop that does not replay it.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction};
use serde_json::{json, Value};

use super::{invalid, path_segment, text, Lookup, Operation, Refusal, Request};
use crate::api::ApiClient;
use crate::ipc::CommandError;
use crate::store::repo::care::{self, Visit, VisitStatus};
use crate::store::repo::outbox::OutboxEntry;
use crate::store::repo::people;
use crate::store::repo::sync_state::Table;
use crate::store::Result as StoreResult;

pub struct VisitUpdate;

impl VisitUpdate {
    /// Moves `visit` to status `to` at `at` (with the reason for a cancellation) as CareLoop
    /// would, and returns the PATCH body; refuses, in words, a change CareLoop refuses.
    pub fn apply(
        visit: &mut Visit,
        to: VisitStatus,
        reason: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<Value, String> {
        check_transition(visit.status, to)?;
        visit.status = to;
        let mut payload = json!({"status": to.as_str()});
        match to {
            VisitStatus::Confirmed => visit.confirmed_at = Some(at),
            VisitStatus::Completed => visit.completed_at = Some(at),
            VisitStatus::Cancelled => {
                visit.cancelled_at = Some(at);
                payload["cancel_reason"] = json!(reason);
                visit.cancel_reason = reason;
            }
            _ => {}
        }
        Ok(payload)
    }
}

/// The visit status changes a desk may make (the server's rule).
fn check_transition(from: VisitStatus, to: VisitStatus) -> Result<(), String> {
    use VisitStatus::*;
    match (from, to) {
        (Scheduled, Confirmed | Completed | Cancelled) | (Confirmed, Completed | Cancelled) => {
            Ok(())
        }
        (f, t) if f == t => Err(format!("This visit is already {}.", words(f))),
        (f, t) => Err(format!(
            "A visit that is {} cannot be {}.",
            words(f),
            match t {
                Confirmed => "confirmed",
                Completed => "completed",
                Cancelled => "cancelled",
                _ => "changed that way",
            }
        )),
    }
}

fn words(s: VisitStatus) -> &'static str {
    match s {
        VisitStatus::Scheduled => "scheduled",
        VisitStatus::Confirmed => "confirmed",
        VisitStatus::Completed => "completed",
        VisitStatus::Cancelled => "cancelled",
        VisitStatus::NoShow => "marked as a no-show",
    }
}

impl Operation for VisitUpdate {
    fn name(&self) -> &'static str {
        "visit.update"
    }

    fn table(&self) -> Table {
        Table::Visits
    }

    fn request(&self, entry: &OutboxEntry) -> Result<Request, Refusal> {
        Ok(Request::patch(
            format!("/v1/visits/{}", path_segment(&entry.entity_id)),
            entry.payload.clone(),
        ))
    }

    fn store_answer(&self, tx: &Transaction<'_>, answer: &Value) -> StoreResult<()> {
        if let Ok(v) = serde_json::from_value::<Visit>(answer.clone()) {
            care::upsert_visit(tx, &v)?;
        }
        Ok(())
    }

    fn fix(
        &self,
        _: &Transaction<'_>,
        _: &OutboxEntry,
        payload: Value,
    ) -> Result<Value, CommandError> {
        let status = text(&payload, "status").unwrap_or_default();
        if !matches!(status.as_str(), "confirmed" | "completed" | "cancelled") {
            return Err(invalid(
                "Check the change",
                [("status", "Choose confirmed, completed or cancelled".to_owned())],
            ));
        }
        Ok(payload)
    }

    fn find_existing<'a>(&'a self, client: &'a ApiClient, entry: &'a OutboxEntry) -> Lookup<'a> {
        Box::pin(async move {
            let path = format!("/v1/visits/{}", path_segment(&entry.entity_id));
            let visit = match client.get::<Value>(&path).await {
                Ok(answer) => answer.body,
                // Gone: sending the change again will say so (it needs a person).
                Err(crate::api::ApiError::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(e),
            };
            let p = &entry.payload;
            let done = visit.get("status") == p.get("status")
                && p.get("cancel_reason")
                    .is_none_or(|r| visit.get("cancel_reason") == Some(r));
            Ok(done.then_some(visit))
        })
    }

    fn describe(&self, c: &Connection, entry: &OutboxEntry) -> StoreResult<String> {
        let visit = care::get_visit(c, &entry.entity_id)?;
        let who = match visit.as_ref().and_then(|v| v.resident_id.as_deref()) {
            Some(id) => people::resident_named(c, id)?.map(|n| n.name),
            None => None,
        };
        let verb = match text(&entry.payload, "status").as_deref() {
            Some("confirmed") => "Confirm",
            Some("completed") => "Complete",
            Some("cancelled") => "Cancel",
            _ => "Change",
        };
        Ok(match (visit, who) {
            (Some(v), Some(who)) => format!(
                "{verb} the visit for {who} {}",
                super::time_words(c, v.starts_at)?
            ),
            (Some(v), None) => format!("{verb} the visit {}", super::time_words(c, v.starts_at)?),
            _ => format!("{verb} a visit"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_servers_transitions_are_allowed() {
        use VisitStatus::*;
        let all = [Scheduled, Confirmed, Completed, Cancelled, NoShow];
        for from in all {
            for to in all {
                let allowed = matches!(
                    (from, to),
                    (Scheduled, Confirmed | Completed | Cancelled)
                        | (Confirmed, Completed | Cancelled)
                );
                assert_eq!(check_transition(from, to).is_ok(), allowed, "{from} -> {to}");
            }
        }
        assert_eq!(
            check_transition(Completed, Completed).unwrap_err(),
            "This visit is already completed."
        );
    }
}
