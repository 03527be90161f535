//! Visits: schedule, update, confirm, complete, cancel.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, patch, post};

use super::error::ApiError;
use super::input::{Input, JsonBody, Params, Query};
use super::respond::{found, json_touching, list_page, paginate};
use super::route::RouteDef;
use super::state::{new_id, now, S};
use crate::model::*;
use crate::store::Db;
use crate::webhooks::{emit, visit_data};

pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::new(Method::GET, "/v1/visits", get(list))
            .scope("read:visits")
            .summary("Scheduled and completed visits (ordered by starts_at)")
            .list("Visit")
            .query(&[
                ("from", "date-time", "starts_at at or after this time"),
                ("to", "date-time", "starts_at before this time"),
                ("status", "enum:scheduled|confirmed|completed|cancelled|no_show", "Only this status"),
                ("staff_user_id", "string", "Only this staff member's visits"),
                ("location_id", "string", "Only this location"),
                ("resident_id", "string", "Only this resident"),
            ]),
        RouteDef::new(Method::GET, "/v1/visits/{id}", get(one))
            .scope("read:visits")
            .ext()
            .summary("Single visit")
            .returns(200, "Visit"),
        RouteDef::new(Method::POST, "/v1/visits", post(create))
            .scope("write:visits")
            .summary("Schedule a new visit")
            .body("CreateVisit")
            .returns(201, "Visit"),
        RouteDef::new(Method::PATCH, "/v1/visits/{id}", patch(update))
            .scope("write:visits")
            .summary("Update or cancel a visit; status confirmed (emits visit.confirmed), completed or cancelled. Allowed: scheduled→confirmed|completed|cancelled, confirmed→completed|cancelled")
            .body("UpdateVisit")
            .returns(200, "Visit"),
    ]
}

async fn list(State(s): State<S>, q: Query) -> Result<Response, ApiError> {
    let mut p = Params::new(q);
    let lp = p.list();
    let from = p.ts("from");
    let to = p.ts("to");
    let status: Option<VisitStatus> = p.enum_("status");
    let staff = p.str("staff_user_id");
    let location = p.str("location_id");
    let resident = p.str("resident_id");
    p.finish()?;
    let (data, meta) = s.store.read(|db| {
        paginate(
            db.visits.all(),
            &lp,
            |v| {
                from.is_none_or(|f| v.starts_at >= f)
                    && to.is_none_or(|t| v.starts_at < t)
                    && status.is_none_or(|x| v.status == x)
                    && staff.as_ref().is_none_or(|x| &v.staff_user_id == x)
                    && location.as_ref().is_none_or(|x| &v.location_id == x)
                    && resident
                        .as_ref()
                        .is_none_or(|x| v.resident_id.as_ref() == Some(x))
            },
            |a, b| a.starts_at.cmp(&b.starts_at),
        )
    });
    Ok(list_page("visit", data, meta))
}

async fn one(State(s): State<S>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let v = s.store.read(|db| db.visits.get(&id).cloned());
    found("visit", &id, v, "visit")
}

fn check_refs(
    inp: &mut Input,
    db: &Db,
    location: &Option<String>,
    staff: &Option<String>,
    resident: &Option<String>,
) {
    if location
        .as_ref()
        .is_some_and(|l| !db.locations.contains_live(l))
    {
        inp.err("location_id", "not_found");
    }
    if staff.as_ref().is_some_and(|l| !db.staff.contains_live(l)) {
        inp.err("staff_user_id", "not_found");
    }
    if resident
        .as_ref()
        .is_some_and(|l| !db.residents.contains_live(l))
    {
        inp.err("resident_id", "not_found");
    }
}

async fn create(State(s): State<S>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let mut inp = Input::new(body)?;
    let now = now(&s);
    let v = s.store.write(|db| -> Result<Visit, ApiError> {
        let location_id = inp.req_str("location_id", 64);
        let staff_user_id = inp.req_str("staff_user_id", 64);
        let resident_id = inp.opt_str("resident_id", 64).flatten();
        check_refs(&mut inp, db, &location_id, &staff_user_id, &resident_id);
        let visit_type = inp.req_enum::<VisitType>("visit_type");
        let starts_at = inp.req_ts("starts_at");
        let ends_at = inp.req_ts("ends_at");
        if let (Some(a), Some(b)) = (starts_at, ends_at) {
            check_times(&mut inp, a, b, now);
        }
        let notes = inp.opt_str("notes", 10_000).flatten();
        inp.finish()?;
        let (
            Some(location_id),
            Some(staff_user_id),
            Some(visit_type),
            Some(starts_at),
            Some(ends_at),
        ) = (location_id, staff_user_id, visit_type, starts_at, ends_at)
        else {
            return Err(ApiError::field("body", "invalid"));
        };
        let at = db.stamp(now);
        let v = Visit {
            id: new_id("vis"),
            location_id,
            staff_user_id,
            resident_id,
            visit_type,
            starts_at,
            ends_at,
            status: VisitStatus::Scheduled,
            notes,
            confirmed_at: None,
            completed_at: None,
            cancelled_at: None,
            cancel_reason: None,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        db.visits.insert(v.clone());
        Ok(v)
    })??;
    Ok(json_touching(StatusCode::CREATED, "visit", Some(&v.id), &v))
}

/// The longest a visit may last.
const MAX_VISIT_HOURS: i64 = 24;
/// How far ahead a visit may be scheduled.
const MAX_AHEAD_DAYS: i64 = 366;

/// A visit's times: it ends after it starts, lasts at most a day, and starts at most a year
/// ahead (a start in the past is allowed: recording a visit that happened).
fn check_times(inp: &mut Input, starts: Ts, ends: Ts, now: Ts) {
    if ends <= starts {
        inp.err("ends_at", "must_be_after_starts_at");
    } else if ends - starts > chrono::TimeDelta::hours(MAX_VISIT_HOURS) {
        inp.err("ends_at", "must_be_within_24_hours_of_starts_at");
    }
    if starts > now + chrono::TimeDelta::days(MAX_AHEAD_DAYS) {
        inp.err("starts_at", "must_be_within_a_year");
    }
}

async fn update(
    State(s): State<S>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let mut inp = Input::new(body)?;
    let now = now(&s);
    let v = s.store.write(|db| -> Result<Visit, ApiError> {
        let Some(old) = db.visits.get(&id).cloned() else {
            return Err(ApiError::not_found("visit"));
        };
        let mut v = old.clone();
        let editable = matches!(old.status, VisitStatus::Scheduled | VisitStatus::Confirmed);
        let location = inp.patch_str("location_id", 64);
        let staff = inp.patch_str("staff_user_id", 64);
        let resident = inp.opt_str("resident_id", 64);
        check_refs(&mut inp, db, &location, &staff, &resident.clone().flatten());
        let visit_type = inp.patch_enum::<VisitType>("visit_type");
        let starts_at = inp.patch_ts("starts_at");
        let ends_at = inp.patch_ts("ends_at");
        let schedule_changed = location.is_some()
            || staff.is_some()
            || resident.is_some()
            || visit_type.is_some()
            || starts_at.is_some()
            || ends_at.is_some();
        if schedule_changed && !editable {
            for k in [
                "location_id",
                "staff_user_id",
                "resident_id",
                "visit_type",
                "starts_at",
                "ends_at",
            ] {
                if inp.has(k) {
                    inp.err(k, "not_editable_in_this_status");
                }
            }
        }
        if let Some(x) = location {
            v.location_id = x;
        }
        if let Some(x) = staff {
            v.staff_user_id = x;
        }
        if let Some(x) = resident {
            v.resident_id = x;
        }
        if let Some(x) = visit_type {
            v.visit_type = x;
        }
        if let Some(x) = starts_at {
            v.starts_at = x;
        }
        if let Some(x) = ends_at {
            v.ends_at = x;
        }
        if starts_at.is_some() || ends_at.is_some() {
            check_times(&mut inp, v.starts_at, v.ends_at, now);
        }
        if let Some(n) = inp.opt_str("notes", 10_000) {
            v.notes = n;
        }
        let status = inp.patch_enum::<VisitStatus>("status");
        let reason = inp.opt_str("cancel_reason", 1000).flatten();
        let mut event = false;
        if let Some(to) = status {
            if to == VisitStatus::NoShow || !old.status.can_become(to) {
                inp.err("status", "invalid_transition");
            } else if to != old.status {
                v.status = to;
                match to {
                    VisitStatus::Confirmed => {
                        v.confirmed_at = Some(now);
                        event = true;
                    }
                    VisitStatus::Completed => v.completed_at = Some(now),
                    VisitStatus::Cancelled => {
                        v.cancelled_at = Some(now);
                        v.cancel_reason = reason.clone();
                    }
                    _ => {}
                }
            }
        }
        if reason.is_some() && v.status != VisitStatus::Cancelled {
            inp.err("cancel_reason", "only_when_cancelled");
        }
        inp.finish()?;
        if v != old {
            v.updated_at = db.stamp(now);
            db.visits.insert(v.clone());
        }
        if event {
            emit(&s, db, "visit.confirmed", visit_data(&v));
        }
        Ok(v)
    })??;
    Ok(json_touching(StatusCode::OK, "visit", Some(&v.id), &v))
}
