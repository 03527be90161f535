//! Test controls, mounted only with `--test-controls`. They need a key with the `admin` scope
//! (401 without a valid key, 403 with another); not rate limited, not audited, never affected
//! by injected faults.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::faults::Faults;
use super::input::{Input, JsonBody, OptionalJsonBody};
use super::route::RouteDef;
use super::state::{new_id, now, S};
use crate::model::*;
use crate::store::{Collection, Db};
use crate::webhooks::{self, emit};

/// The `{resource}` of `DELETE` and `PATCH /v1/_test/{resource}/{id}` (another: 404).
pub const RESOURCES: &[&str] = &[
    "locations",
    "residents",
    "staff",
    "courses",
    "certifications",
    "visits",
    "incidents",
    "care-notes",
    "visitor-sign-ins",
];

pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::new(Method::GET, "/v1/_test/clock", get(clock))
            .scope("admin")
            .ext()
            .summary("Test control: the sandbox clock")
            .returns(200, "TestClock"),
        RouteDef::new(Method::POST, "/v1/_test/clock/advance", post(advance))
            .scope("admin")
            .ext()
            .summary("Test control: advance the sandbox clock (runs the no-show and certification scanners and due webhook retries)")
            .body("TestAdvance")
            .returns(200, "TestClock"),
        RouteDef::new(Method::POST, "/v1/_test/clock/freeze", post(freeze))
            .scope("admin")
            .ext()
            .summary("Test control: stop the sandbox clock (only advance moves it until resumed)")
            .returns(200, "TestClock"),
        RouteDef::new(Method::POST, "/v1/_test/clock/resume", post(resume))
            .scope("admin")
            .ext()
            .summary("Test control: let the sandbox clock run again")
            .returns(200, "TestClock"),
        RouteDef::new(Method::POST, "/v1/_test/events", post(trigger))
            .scope("admin")
            .ext()
            .summary("Test control: emit any documented event (data defaults to a real resource's)")
            .body("TestEvent")
            .returns(201, "WebhookEvent"),
        RouteDef::new(Method::POST, "/v1/_test/faults", post(set_faults))
            .scope("admin")
            .ext()
            .summary("Test control: inject latency, failures (400/409/410/500/503) or dropped responses after commit")
            .body("TestFaults")
            .returns(200, "TestFaultsState"),
        RouteDef::new(Method::POST, "/v1/_test/faults/clear", post(clear_faults))
            .scope("admin")
            .ext()
            .summary("Test control: remove all injected faults")
            .returns(200, "TestFaultsState"),
        RouteDef::new(Method::POST, "/v1/_test/rate-limits/reset", post(reset_limits))
            .scope("admin")
            .ext()
            .summary("Test control: forget all rate-limit windows")
            .returns(200, "TestOk"),
        RouteDef::new(Method::DELETE, "/v1/_test/{resource}/{id}", delete(remove))
            .scope("admin")
            .ext()
            .summary("Test control: delete a resource (leaves a tombstone). resource: locations, residents, staff, courses, certifications, visits, incidents, care-notes, visitor-sign-ins")
            .returns(200, "TestTombstone"),
        RouteDef::new(Method::PATCH, "/v1/_test/{resource}/{id}", patch(modify))
            .scope("admin")
            .ext()
            .summary("Test control: change any fields of a resource server-side (bumps updated_at)")
            .body("TestModify")
            .returns(200, "TestModified"),
    ]
}

fn clock_json(s: &S) -> Value {
    json!({"now": now(s), "frozen": s.clock.is_frozen()})
}

async fn clock(State(s): State<S>) -> Response {
    Json200(clock_json(&s)).into_response()
}

async fn freeze(State(s): State<S>, OptionalJsonBody(_): OptionalJsonBody) -> Response {
    s.clock.set_frozen(true);
    Json200(clock_json(&s)).into_response()
}

async fn resume(State(s): State<S>, OptionalJsonBody(_): OptionalJsonBody) -> Response {
    s.clock.set_frozen(false);
    s.wake.notify_one();
    Json200(clock_json(&s)).into_response()
}

struct Json200(Value);
impl IntoResponse for Json200 {
    fn into_response(self) -> Response {
        (StatusCode::OK, axum::Json(self.0)).into_response()
    }
}

async fn advance(State(s): State<S>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let mut inp = Input::new(body)?;
    let secs = match inp.opt_u64("seconds", 10 * 365 * 86_400) {
        Some(Some(n)) => Some(n),
        Some(None) => {
            inp.err("seconds", "required");
            None
        }
        None => {
            if !inp.has("seconds") {
                inp.err("seconds", "required");
            }
            None
        }
    };
    inp.finish()?;
    let secs = secs.unwrap_or(0);
    s.clock.advance(Duration::from_secs(secs));
    webhooks::scan(&s);
    s.wake.notify_one();
    Ok(Json200(clock_json(&s)).into_response())
}

async fn trigger(State(s): State<S>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let mut inp = Input::new(body)?;
    // Exactly one of the event types (not trimmed, as the document's enum says).
    let etype = match inp.raw("type") {
        Some(Value::String(t)) if EVENT_TYPES.contains(&t.as_str()) => Some(t),
        Some(Value::String(_)) => {
            inp.err("type", "invalid_value");
            None
        }
        Some(Value::Null) | None => {
            inp.err("type", "required");
            None
        }
        Some(_) => {
            inp.err("type", "must_be_string");
            None
        }
    };
    let data = inp.opt_object("data", |d| {
        // Any object is accepted as data.
        let keys: Vec<String> = d.keys();
        let mut m = Map::new();
        for k in keys {
            if let Some(v) = d.raw(&k) {
                m.insert(k, v);
            }
        }
        Some(Value::Object(m))
    });
    inp.finish()?;
    let Some(etype) = etype else {
        return Err(ApiError::field("type", "required"));
    };
    let ev = s.store.write(|db| {
        let data = data.flatten().unwrap_or_else(|| default_data(db, &etype));
        emit(&s, db, &etype, data)
    })?;
    Ok((StatusCode::CREATED, axum::Json(ev)).into_response())
}

fn default_data(db: &Db, etype: &str) -> Value {
    let first = |v: Option<Value>| v.unwrap_or_else(|| json!({}));
    match etype.split('.').next().unwrap_or("") {
        "incident" | "fall" => first(db.incidents.live().next().map(webhooks::incident_data)),
        "cert" => first(db.certifications.live().next().map(webhooks::cert_data)),
        "course" => first(db.certifications.live().next().map(
            |c| json!({"staff_id": c.staff_id, "course_id": c.course_id, "certification_id": c.id}),
        )),
        "resident" => first(db.residents.live().next().map(webhooks::resident_data)),
        "visit" => first(db.visits.live().next().map(webhooks::visit_data)),
        "kiosk" => first(
            db.visitor_sign_ins
                .live()
                .next()
                .map(webhooks::sign_in_data),
        ),
        _ => first(db.residents.live().next().map(|r| {
            json!({"resident_id": r.id, "message_id": new_id("msg"),
                   "from_name": r.contacts.first().map(|c| c.name.clone()).unwrap_or_default()})
        })),
    }
}

fn faults_json(f: &Faults) -> Value {
    json!({
        "latency_ms": f.latency_ms,
        "fail_next": {"count": f.fail_next, "status": f.fail_status},
        "drop_after_commit_next": f.drop_after_commit_next,
        "garble_after_commit_next": f.garble_after_commit_next,
    })
}

async fn set_faults(State(s): State<S>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let mut inp = Input::new(body)?;
    let latency = inp.opt_u64("latency_ms", 60_000).flatten();
    let fail = inp.opt_object("fail_next", |f| {
        let count = f.opt_u64("count", 1_000_000).flatten().unwrap_or(1);
        let status = match f.opt_u64("status", 999).flatten().unwrap_or(500) {
            st @ (400 | 409 | 410 | 500 | 503) => Some(st),
            _ => {
                f.err("status", "must_be_400_409_410_500_or_503");
                None
            }
        };
        Some((
            u32::try_from(count).unwrap_or(u32::MAX),
            u16::try_from(status?).unwrap_or(500),
        ))
    });
    let drop = inp.opt_u64("drop_after_commit_next", 1_000_000).flatten();
    let garble = inp.opt_u64("garble_after_commit_next", 1_000_000).flatten();
    inp.finish()?;
    let mut f = s.faults();
    if let Some(l) = latency {
        f.latency_ms = l;
    }
    if let Some(Some((count, status))) = fail {
        f.fail_next = count;
        f.fail_status = status;
    }
    if let Some(d) = drop {
        f.drop_after_commit_next = u32::try_from(d).unwrap_or(u32::MAX);
    }
    if let Some(g) = garble {
        f.garble_after_commit_next = u32::try_from(g).unwrap_or(u32::MAX);
    }
    Ok(Json200(faults_json(&f)).into_response())
}

async fn clear_faults(State(s): State<S>, OptionalJsonBody(_): OptionalJsonBody) -> Response {
    let mut f = s.faults();
    *f = Faults::default();
    Json200(faults_json(&f)).into_response()
}

async fn reset_limits(State(s): State<S>, OptionalJsonBody(_): OptionalJsonBody) -> Response {
    *s.limiter.lock().unwrap_or_else(|e| e.into_inner()) = Default::default();
    Json200(json!({"ok": true})).into_response()
}

fn tombstone<T: Resource>(c: &mut Collection<T>, id: &str, at: Ts) -> Option<Value> {
    c.update(id, |t| {
        t.set_deleted_at(at);
        t.set_updated_at(at);
        serde_json::to_value(&*t).unwrap_or(Value::Null)
    })
}

fn merge<T: Resource>(
    c: &mut Collection<T>,
    id: &str,
    patch: &Map<String, Value>,
    at: Ts,
) -> Result<Value, ApiError> {
    let cur = c.get(id).ok_or_else(|| ApiError::not_found("resource"))?;
    let mut v = serde_json::to_value(cur).map_err(|_| ApiError::internal())?;
    let Some(obj) = v.as_object_mut() else {
        return Err(ApiError::internal());
    };
    let mut errors = std::collections::BTreeMap::new();
    for (k, val) in patch {
        if matches!(
            k.as_str(),
            "id" | "created_at" | "updated_at" | "deleted_at"
        ) {
            errors.insert(k.clone(), "read_only".to_string());
        } else if !obj.contains_key(k) {
            errors.insert(k.clone(), "unknown_field".to_string());
        } else {
            obj.insert(k.clone(), val.clone());
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut item: T = serde_json::from_value(v).map_err(|e| {
        ApiError::field(
            "body",
            if e.to_string().contains("unknown variant") {
                "invalid_value"
            } else {
                "invalid_shape"
            },
        )
    })?;
    item.set_updated_at(at);
    let out = serde_json::to_value(&item).unwrap_or(Value::Null);
    c.insert(item);
    Ok(out)
}

macro_rules! dispatch {
    ($db:expr, $resource:expr, |$c:ident| $body:expr) => {
        match $resource {
            "locations" => {
                let $c = &mut $db.locations;
                Some($body)
            }
            "residents" => {
                let $c = &mut $db.residents;
                Some($body)
            }
            "staff" => {
                let $c = &mut $db.staff;
                Some($body)
            }
            "courses" => {
                let $c = &mut $db.courses;
                Some($body)
            }
            "certifications" => {
                let $c = &mut $db.certifications;
                Some($body)
            }
            "visits" => {
                let $c = &mut $db.visits;
                Some($body)
            }
            "incidents" => {
                let $c = &mut $db.incidents;
                Some($body)
            }
            "care-notes" => {
                let $c = &mut $db.care_notes;
                Some($body)
            }
            "visitor-sign-ins" => {
                let $c = &mut $db.visitor_sign_ins;
                Some($body)
            }
            _ => None,
        }
    };
}

async fn remove(
    State(s): State<S>,
    Path((resource, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let now = now(&s);
    let out = s.store.write(|db| {
        let at = db.stamp(now);
        dispatch!(db, resource.as_str(), |c| tombstone(c, &id, at))
    })?;
    match out {
        None => Err(ApiError::not_found("resource type")),
        Some(None) => Err(ApiError::not_found("resource")),
        Some(Some(v)) => Ok(Json200(v).into_response()),
    }
}

async fn modify(
    State(s): State<S>,
    Path((resource, id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let Value::Object(patch) = body else {
        return Err(ApiError::field("body", "must_be_object"));
    };
    let now = now(&s);
    let out = s.store.write(|db| {
        let at = db.stamp(now);
        dispatch!(db, resource.as_str(), |c| merge(c, &id, &patch, at))
    })?;
    match out {
        None => Err(ApiError::not_found("resource type")),
        Some(r) => Ok(Json200(r?).into_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The resources the document names are the ones the test controls handle.
    #[test]
    fn every_named_resource_is_handled() {
        let mut db = Db::default();
        for r in RESOURCES {
            assert!(dispatch!(db, *r, |c| c.get("x").is_none()).is_some(), "{r}");
        }
        assert!(dispatch!(db, "unicorns", |c| c.get("x").is_none()).is_none());
    }
}
