//! `certification.create`: a renewal or a new certification recorded at this desk,
//! `POST /v1/staff/{id}/certifications` (CareLoop replaces the older certifications of the same
//! course and emits `course.completed`).
//!
//! Recognised on CareLoop (after a lost answer) as a live certification of the same staff
//! member and course with the same completion date, expiry and certificate reference, created
//! since the request was first sent (less an hour for the two clocks); the earliest such.

use rusqlite::{Connection, Transaction};
use serde_json::{json, Value};

use super::{
    find_in_list, path_segment, text, time, Lookup, Operation, Refusal, Request, CLOCK_SKEW,
};
use crate::api::ApiClient;
use crate::store::repo::outbox::OutboxEntry;
use crate::store::repo::sync_state::Table;
use crate::store::repo::training::{self, Certification};
use crate::store::Result as StoreResult;

pub struct CertificationCreate;

impl CertificationCreate {
    /// The queued payload: the staff member (for the path) and the request's body fields.
    pub fn payload(c: &Certification) -> Value {
        let mut p = json!({
            "staff_id": c.staff_id,
            "course_id": c.course_id,
            "issued_on": c.issued_on.format("%Y-%m-%d").to_string(),
        });
        if let Some(e) = c.expires_on {
            p["expires_on"] = json!(e.format("%Y-%m-%d").to_string());
        }
        if let Some(n) = &c.certificate_number {
            p["certificate_number"] = json!(n);
        }
        p
    }

    fn body(payload: &Value) -> Value {
        let mut body = payload.clone();
        if let Some(o) = body.as_object_mut() {
            o.remove("staff_id");
        }
        body
    }
}

impl Operation for CertificationCreate {
    fn name(&self) -> &'static str {
        "certification.create"
    }

    fn table(&self) -> Table {
        Table::Certifications
    }

    fn creates(&self) -> bool {
        true
    }

    fn request(&self, entry: &OutboxEntry) -> Result<Request, Refusal> {
        let staff = text(&entry.payload, "staff_id").ok_or_else(|| Refusal {
            message: "The certification does not say whose it is.".into(),
            fields: json!({"staff_id": "required"}),
        })?;
        Ok(Request::post(
            format!("/v1/staff/{}/certifications", path_segment(&staff)),
            Self::body(&entry.payload),
        ))
    }

    fn store_answer(&self, tx: &Transaction<'_>, answer: &Value) -> StoreResult<()> {
        if let Ok(c) = serde_json::from_value::<Certification>(answer.clone()) {
            training::upsert_certification(tx, &c)?;
        }
        Ok(())
    }

    fn find_existing<'a>(&'a self, client: &'a ApiClient, entry: &'a OutboxEntry) -> Lookup<'a> {
        Box::pin(async move {
            let p = &entry.payload;
            let (Some(staff), Some(course)) = (text(p, "staff_id"), text(p, "course_id")) else {
                return Ok(None);
            };
            let since = entry.sent_at.unwrap_or(entry.created_at) - CLOCK_SKEW;
            let filters = vec![("course_id".to_owned(), course)];
            let same = |v: &Value| {
                let field = |k: &str| v.get(k).filter(|x| !x.is_null());
                field("issued_on") == p.get("issued_on")
                    && (p.get("expires_on").is_none() || field("expires_on") == p.get("expires_on"))
                    && field("certificate_number") == p.get("certificate_number")
                    && time(v, "created_at").is_none_or(|t| t >= since)
            };
            let path = format!("/v1/staff/{}/certifications", path_segment(&staff));
            let found = find_in_list(client, &path, filters, same, |_| false).await?;
            Ok(found.into_iter().min_by_key(|v| time(v, "created_at")))
        })
    }

    fn describe(&self, c: &Connection, entry: &OutboxEntry) -> StoreResult<String> {
        let p = &entry.payload;
        let who = text(p, "staff_id")
            .and_then(|id| training::staff_name(c, &id).ok().flatten())
            .unwrap_or_else(|| "a member of staff".into());
        let course = text(p, "course_id")
            .and_then(|id| training::get_course(c, &id).ok().flatten())
            .map_or_else(|| "a course".to_owned(), |c| c.name);
        let on = text(p, "issued_on").unwrap_or_default();
        Ok(format!("Record {course} for {who}, completed {on}"))
    }
}
