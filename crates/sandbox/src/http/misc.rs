//! Locations, the audit log, visitor sign-ins and webhook deliveries.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};

use super::error::ApiError;
use super::input::{Input, JsonBody, OptionalJsonBody, Params, Query};
use super::respond::{json_touching, list_page, paginate};
use super::route::RouteDef;
use super::state::{new_id, now, S};
use crate::model::*;
use crate::webhooks::{emit, new_delivery, sign_in_data};

pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::new(Method::GET, "/v1/locations", get(locations))
            .ext()
            .summary("Locations (care homes) of the organisation; any valid key")
            .list("Location"),
        RouteDef::new(Method::GET, "/v1/audit-log", get(audit))
            .scope("read:audit")
            .summary("Audit log (search + paginate), newest first")
            .list("AuditEntry")
            .query(&[
                ("q", "string", "Case-insensitive match of path, method, key_id, ip, resource_type or resource_id"),
                ("key_id", "string", "Only this key's requests"),
                ("resource_type", "string", "Only requests touching this resource type"),
                ("resource_id", "string", "Only requests touching this resource"),
                ("method", "string", "Only this HTTP method"),
                ("from", "date-time", "at or after this time"),
                ("to", "date-time", "before this time"),
            ]),
        RouteDef::new(Method::GET, "/v1/visitor-sign-ins", get(sign_ins))
            .scope("read:visitors")
            .ext()
            .summary("Visitor sign-ins, newest first")
            .list("VisitorSignIn")
            .query(&[
                ("location_id", "string", "Only this location"),
                ("on_site", "boolean", "true: only visitors not signed out; false: only signed out"),
                ("from", "date-time", "signed_in_at at or after this time"),
                ("to", "date-time", "signed_in_at before this time"),
            ]),
        RouteDef::new(Method::POST, "/v1/visitor-sign-ins", post(sign_in))
            .scope("write:visitors")
            .ext()
            .summary("Sign a visitor in (emits kiosk.visitor.signed_in)")
            .body("CreateVisitorSignIn")
            .returns(201, "VisitorSignIn"),
        RouteDef::new(Method::POST, "/v1/visitor-sign-ins/{id}/sign-out", post(sign_out))
            .scope("write:visitors")
            .ext()
            .summary("Sign a visitor out")
            .optional_body("SignOut")
            .returns(200, "VisitorSignIn"),
        RouteDef::new(Method::GET, "/v1/webhook-deliveries", get(deliveries))
            .scope("read:webhooks")
            .ext()
            .summary("Webhook deliveries, newest first")
            .list("WebhookDelivery")
            .query(&[
                ("status", "enum:pending|succeeded|failed", "Only this status"),
                ("event_type", "string", "Only this event type"),
                ("event_id", "string", "Only deliveries of this event"),
            ]),
        RouteDef::new(Method::POST, "/v1/webhook-deliveries/{id}/resend", post(resend))
            .scope("write:webhooks")
            .ext()
            .summary("Re-send a delivery's event to its URL now (a new delivery, same evt_ id)")
            .returns(202, "WebhookDelivery"),
    ]
}

async fn locations(State(s): State<S>, q: Query) -> Result<Response, ApiError> {
    let mut p = Params::new(q);
    let lp = p.list();
    p.finish()?;
    let (data, meta) = s.store.read(|db| {
        paginate(
            db.locations.all(),
            &lp,
            |_| true,
            |a, b| a.name.cmp(&b.name),
        )
    });
    Ok(list_page("location", data, meta))
}

async fn audit(State(s): State<S>, q: Query) -> Result<Response, ApiError> {
    let mut p = Params::new(q);
    let lp = p.list();
    let needle = p.str("q").map(|q| q.to_lowercase());
    let key_id = p.str("key_id");
    let rtype = p.str("resource_type");
    let rid = p.str("resource_id");
    let method = p.str("method").map(|m| m.to_uppercase());
    let from = p.ts("from");
    let to = p.ts("to");
    p.finish()?;
    let (data, meta) = s.store.read(|db| {
        paginate(
            db.audit_log.all(),
            &lp,
            |e| {
                key_id.as_ref().is_none_or(|x| &e.key_id == x)
                    && rtype
                        .as_ref()
                        .is_none_or(|x| e.resource_type.as_ref() == Some(x))
                    && rid
                        .as_ref()
                        .is_none_or(|x| e.resource_id.as_ref() == Some(x))
                    && method.as_ref().is_none_or(|x| &e.method == x)
                    && from.is_none_or(|f| e.at >= f)
                    && to.is_none_or(|t| e.at < t)
                    && needle.as_ref().is_none_or(|n| {
                        [
                            Some(&e.path),
                            Some(&e.method),
                            Some(&e.key_id),
                            Some(&e.ip),
                            e.resource_type.as_ref(),
                            e.resource_id.as_ref(),
                        ]
                        .into_iter()
                        .flatten()
                        .any(|f| f.to_lowercase().contains(n))
                    })
            },
            |a, b| b.at.cmp(&a.at),
        )
    });
    Ok(list_page("audit_log", data, meta))
}

async fn sign_ins(State(s): State<S>, q: Query) -> Result<Response, ApiError> {
    let mut p = Params::new(q);
    let lp = p.list();
    let location = p.str("location_id");
    let on_site = p.bool("on_site");
    let from = p.ts("from");
    let to = p.ts("to");
    p.finish()?;
    let (data, meta) = s.store.read(|db| {
        paginate(
            db.visitor_sign_ins.all(),
            &lp,
            |v| {
                location.as_ref().is_none_or(|x| &v.location_id == x)
                    && on_site.is_none_or(|o| v.signed_out_at.is_none() == o)
                    && from.is_none_or(|f| v.signed_in_at >= f)
                    && to.is_none_or(|t| v.signed_in_at < t)
            },
            |a, b| b.signed_in_at.cmp(&a.signed_in_at),
        )
    });
    Ok(list_page("visitor_sign_in", data, meta))
}

async fn sign_in(State(s): State<S>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let mut inp = Input::new(body)?;
    let now = now(&s);
    let v = s.store.write(|db| -> Result<VisitorSignIn, ApiError> {
        let location_id = inp.req_str("location_id", 64);
        if location_id
            .as_ref()
            .is_some_and(|l| !db.locations.contains_live(l))
        {
            inp.err("location_id", "not_found");
        }
        let visitor_name = inp.req_str("visitor_name", 200);
        let resident = inp.opt_str("visiting_resident_id", 64).flatten();
        if resident
            .as_ref()
            .is_some_and(|r| !db.residents.contains_live(r))
        {
            inp.err("visiting_resident_id", "not_found");
        }
        let purpose = inp.req_str("purpose", 500);
        let phone = inp.opt_str("phone", 50).flatten();
        let car = inp.opt_str("car_registration", 20).flatten();
        let signed_in_at = inp.opt_ts("signed_in_at").flatten();
        if signed_in_at.is_some_and(|t| t > now + chrono::TimeDelta::minutes(5)) {
            inp.err("signed_in_at", "must_not_be_in_the_future");
        }
        inp.finish()?;
        let (Some(location_id), Some(visitor_name), Some(purpose)) =
            (location_id, visitor_name, purpose)
        else {
            return Err(ApiError::field("body", "invalid"));
        };
        let at = db.stamp(now);
        let v = VisitorSignIn {
            id: new_id("vsi"),
            location_id,
            visitor_name,
            visiting_resident_id: resident,
            purpose,
            phone,
            car_registration: car,
            signed_in_at: signed_in_at.unwrap_or(at),
            signed_out_at: None,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        db.visitor_sign_ins.insert(v.clone());
        emit(&s, db, "kiosk.visitor.signed_in", sign_in_data(&v));
        Ok(v)
    })??;
    Ok(json_touching(
        StatusCode::CREATED,
        "visitor_sign_in",
        Some(&v.id),
        &v,
    ))
}

async fn sign_out(
    State(s): State<S>,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Response, ApiError> {
    let mut inp = Input::new(body)?;
    let now = now(&s);
    let v = s.store.write(|db| -> Result<VisitorSignIn, ApiError> {
        let Some(old) = db.visitor_sign_ins.get(&id).cloned() else {
            return Err(ApiError::not_found("visitor sign-in"));
        };
        let at_in = inp.opt_ts("signed_out_at").flatten();
        if old.signed_out_at.is_some() {
            inp.err("signed_out_at", "already_signed_out");
        }
        if at_in.is_some_and(|t| t < old.signed_in_at) {
            inp.err("signed_out_at", "must_be_after_signed_in_at");
        }
        inp.finish()?;
        let at = db.stamp(now);
        let mut v = old;
        v.signed_out_at = Some(at_in.unwrap_or(at));
        v.updated_at = at;
        db.visitor_sign_ins.insert(v.clone());
        Ok(v)
    })??;
    Ok(json_touching(
        StatusCode::OK,
        "visitor_sign_in",
        Some(&v.id),
        &v,
    ))
}

async fn deliveries(State(s): State<S>, q: Query) -> Result<Response, ApiError> {
    let mut p = Params::new(q);
    let lp = p.list();
    let status: Option<DeliveryStatus> = p.enum_("status");
    let etype = p.str("event_type");
    let eid = p.str("event_id");
    p.finish()?;
    let (data, meta) = s.store.read(|db| {
        paginate(
            db.deliveries.all(),
            &lp,
            |d| {
                status.is_none_or(|x| d.status == x)
                    && etype.as_ref().is_none_or(|x| &d.event_type == x)
                    && eid.as_ref().is_none_or(|x| &d.event_id == x)
            },
            |a, b| b.created_at.cmp(&a.created_at),
        )
    });
    Ok(list_page("webhook_delivery", data, meta))
}

async fn resend(State(s): State<S>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let now = now(&s);
    let d = s.store.write(|db| -> Result<WebhookDelivery, ApiError> {
        let Some(old) = db.deliveries.get(&id).cloned() else {
            return Err(ApiError::not_found("webhook delivery"));
        };
        let Some(ev) = db.events.get_any(&old.event_id).map(|e| e.event.clone()) else {
            return Err(ApiError::not_found("webhook event"));
        };
        let at = db.stamp(now);
        Ok(new_delivery(db, &ev, &old.url, at))
    })??;
    s.wake.notify_one();
    Ok(json_touching(
        StatusCode::ACCEPTED,
        "webhook_delivery",
        Some(&d.id),
        &d,
    ))
}
