//! `visitor_sign_in.sign_out`: a visitor signed out at this desk (by themselves, by staff, or
//! automatically at the day's end), `POST /v1/visitor-sign-ins/{id}/sign-out`.
//!
//! The entry is about the sign-in's row. While the sign-in itself has not reached CareLoop its
//! create is queued before this entry, for the same row: the push sends this only after the
//! create (a refused or waiting create holds it back), and the create's acknowledgement gives
//! this entry CareLoop's id for its path.
//!
//! Recognised on CareLoop (after a lost answer) as done when the sign-in is already signed
//! out there: sending it again would be refused (`already_signed_out`).

use rusqlite::{Connection, Transaction};
use serde_json::{json, Value};

use super::{find_in_list, path_segment, text, time, Lookup, Operation, Refusal, Request};
use crate::api::ApiClient;
use crate::store::repo::outbox::OutboxEntry;
use crate::store::repo::reception::SignInRow;
use crate::store::repo::sync_state::Table;
use crate::store::Result as StoreResult;

pub struct VisitorSignOut;

impl VisitorSignOut {
    /// The queued payload: the body (`signed_out_at`) and, to find the sign-in again after a
    /// lost answer, its home and sign-in time (not sent).
    pub fn payload(s: &SignInRow, signed_out_at: chrono::DateTime<chrono::Utc>) -> Value {
        json!({
            "signed_out_at": crate::store::repo::ts(&signed_out_at.max(s.signed_in_at)),
            "location_id": s.location_id,
            "signed_in_at": crate::store::repo::ts(&s.signed_in_at),
            "visitor_name": s.visitor_name,
        })
    }
}

impl Operation for VisitorSignOut {
    fn name(&self) -> &'static str {
        "visitor_sign_in.sign_out"
    }

    fn table(&self) -> Table {
        Table::VisitorSignIns
    }

    fn request(&self, entry: &OutboxEntry) -> Result<Request, Refusal> {
        let Some(at) = text(&entry.payload, "signed_out_at") else {
            return Err(Refusal {
                message: "The sign-out does not say when the visitor left.".into(),
                fields: json!({"signed_out_at": "required"}),
            });
        };
        Ok(Request::post(
            format!(
                "/v1/visitor-sign-ins/{}/sign-out",
                path_segment(&entry.entity_id)
            ),
            json!({ "signed_out_at": at }),
        ))
    }

    fn store_answer(&self, tx: &Transaction<'_>, answer: &Value) -> StoreResult<()> {
        super::visitor_sign_in_create::store_sign_in(tx, answer)
    }

    fn find_existing<'a>(&'a self, client: &'a ApiClient, entry: &'a OutboxEntry) -> Lookup<'a> {
        Box::pin(async move {
            let p = &entry.payload;
            let (Some(location), Some(signed_in)) = (text(p, "location_id"), time(p, "signed_in_at"))
            else {
                return Ok(None);
            };
            let id = entry.entity_id.clone();
            let filters = vec![
                ("location_id".to_owned(), location),
                ("on_site".to_owned(), "false".to_owned()),
                ("from".to_owned(), crate::store::repo::ts(&signed_in)),
                (
                    "to".to_owned(),
                    crate::store::repo::ts(&(signed_in + chrono::TimeDelta::milliseconds(1))),
                ),
            ];
            let found = find_in_list(
                client,
                "/v1/visitor-sign-ins",
                filters,
                |v| v.get("id").and_then(Value::as_str) == Some(id.as_str()),
                |_| false,
            )
            .await?;
            Ok(found.into_iter().next())
        })
    }

    fn describe(&self, c: &Connection, entry: &OutboxEntry) -> StoreResult<String> {
        let who = text(&entry.payload, "visitor_name").unwrap_or_else(|| "a visitor".into());
        Ok(match time(&entry.payload, "signed_out_at") {
            Some(at) => format!("Sign out {who} {}", super::time_words(c, at)?),
            None => format!("Sign out {who}"),
        })
    }
}
