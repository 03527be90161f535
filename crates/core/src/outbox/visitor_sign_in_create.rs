//! `visitor_sign_in.create`: a visitor signed in at this desk's kiosk (or approved by staff),
//! `POST /v1/visitor-sign-ins` (CareLoop emits `kiosk.visitor.signed_in`).
//!
//! Recognised on CareLoop (after a lost answer) as a sign-in at the same home with the same
//! `signed_in_at` (the desk's own time to the millisecond, kept by CareLoop as sent), visitor
//! name, purpose and resident, created since the request was first sent (less an hour for the
//! two clocks); the earliest such.

use rusqlite::{Connection, Transaction};
use serde_json::{json, Value};

use super::{find_in_list, text, time, Lookup, Operation, Refusal, Request, CLOCK_SKEW};
use crate::api::ApiClient;
use crate::store::repo::care::VisitorSignIn;
use crate::store::repo::outbox::OutboxEntry;
use crate::store::repo::reception::{self, SignInRow};
use crate::store::repo::sync_state::Table;
use crate::store::Result as StoreResult;

pub struct VisitorSignInCreate;

impl VisitorSignInCreate {
    /// The body of `POST /v1/visitor-sign-ins` for a sign-in saved here.
    pub fn payload(s: &SignInRow) -> Value {
        let mut p = json!({
            "location_id": s.location_id,
            "visitor_name": s.visitor_name,
            "purpose": s.purpose,
            "signed_in_at": crate::store::repo::ts(&s.signed_in_at),
        });
        if let Some(r) = &s.visiting_resident_id {
            p["visiting_resident_id"] = json!(r);
        }
        if let Some(phone) = &s.phone {
            p["phone"] = json!(phone);
        }
        if let Some(car) = &s.car_registration {
            p["car_registration"] = json!(car);
        }
        p
    }
}

impl Operation for VisitorSignInCreate {
    fn name(&self) -> &'static str {
        "visitor_sign_in.create"
    }

    fn table(&self) -> Table {
        Table::VisitorSignIns
    }

    fn creates(&self) -> bool {
        true
    }

    fn request(&self, entry: &OutboxEntry) -> Result<Request, Refusal> {
        Ok(Request::post("/v1/visitor-sign-ins", entry.payload.clone()))
    }

    fn store_answer(&self, tx: &Transaction<'_>, answer: &Value) -> StoreResult<()> {
        store_sign_in(tx, answer)
    }

    fn find_existing<'a>(&'a self, client: &'a ApiClient, entry: &'a OutboxEntry) -> Lookup<'a> {
        Box::pin(async move {
            let p = &entry.payload;
            let (Some(location), Some(signed_in)) = (text(p, "location_id"), time(p, "signed_in_at"))
            else {
                return Ok(None);
            };
            let since = entry.sent_at.unwrap_or(entry.created_at) - CLOCK_SKEW;
            let filters = vec![
                ("location_id".to_owned(), location),
                ("from".to_owned(), crate::store::repo::ts(&signed_in)),
                (
                    "to".to_owned(),
                    crate::store::repo::ts(&(signed_in + chrono::TimeDelta::milliseconds(1))),
                ),
            ];
            let same = |v: &Value| {
                let field = |k: &str| v.get(k).filter(|x| !x.is_null());
                field("visitor_name") == p.get("visitor_name")
                    && field("purpose") == p.get("purpose")
                    && field("visiting_resident_id") == p.get("visiting_resident_id")
                    && time(v, "created_at").is_none_or(|t| t >= since)
            };
            let found =
                find_in_list(client, "/v1/visitor-sign-ins", filters, same, |_| false).await?;
            Ok(found.into_iter().min_by_key(|v| time(v, "created_at")))
        })
    }

    fn describe(&self, c: &Connection, entry: &OutboxEntry) -> StoreResult<String> {
        let who = text(&entry.payload, "visitor_name").unwrap_or_else(|| "a visitor".into());
        Ok(match time(&entry.payload, "signed_in_at") {
            Some(at) => format!("Sign in {who} {}", super::time_words(c, at)?),
            None => format!("Sign in {who}"),
        })
    }
}

/// What CareLoop answers for a sign-in, and for its sign-out: the sign-in as it holds it, whose
/// times the desk keeps.
pub(super) fn store_sign_in(tx: &Transaction<'_>, answer: &Value) -> StoreResult<()> {
    if let Ok(v) = serde_json::from_value::<VisitorSignIn>(answer.clone()) {
        reception::acknowledged_sign_in(tx, &v.id, v.created_at, v.updated_at)?;
    }
    Ok(())
}
