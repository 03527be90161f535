//! Incidents, with body map, witnesses and falls data.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};

use super::error::ApiError;
use super::input::{Input, JsonBody, Params, Query};
use super::respond::{found, json_touching, list_page, paginate};
use super::route::RouteDef;
use super::state::{new_id, now, S};
use crate::model::*;
use crate::webhooks::incident_events;

pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::new(Method::GET, "/v1/incidents", get(list))
            .scope("read:incidents")
            .summary("Incidents with severity, type, status filters (newest first)")
            .list("Incident")
            .query(&[
                ("severity", "enum:low|moderate|high|critical", "Only this severity"),
                ("type", "enum:fall|medication_error|behaviour|safeguarding|pressure_injury|other", "Only this type"),
                ("status", "enum:open|under_review|closed", "Only this status"),
                ("location_id", "string", "Only this location"),
                ("resident_id", "string", "Only this resident"),
                ("from", "date-time", "occurred_at at or after this time"),
                ("to", "date-time", "occurred_at before this time"),
            ]),
        RouteDef::new(Method::GET, "/v1/incidents/{id}", get(one))
            .scope("read:incidents")
            .ext()
            .summary("Single incident")
            .returns(200, "Incident"),
        RouteDef::new(Method::POST, "/v1/incidents", post(create))
            .scope("write:incidents")
            .summary("Log an incident (emits incident.created, incident.critical when critical, fall.logged for falls)")
            .body("CreateIncident")
            .returns(201, "Incident"),
    ]
}

async fn list(State(s): State<S>, q: Query) -> Result<Response, ApiError> {
    let mut p = Params::new(q);
    let lp = p.list();
    let severity: Option<Severity> = p.enum_("severity");
    let itype: Option<IncidentType> = p.enum_("type");
    let status: Option<IncidentStatus> = p.enum_("status");
    let location_id = p.str("location_id");
    let resident_id = p.str("resident_id");
    let from = p.ts("from");
    let to = p.ts("to");
    p.finish()?;
    let (data, meta) = s.store.read(|db| {
        paginate(
            db.incidents.all(),
            &lp,
            |i| {
                severity.is_none_or(|x| i.severity == x)
                    && itype.is_none_or(|x| i.incident_type == x)
                    && status.is_none_or(|x| i.status == x)
                    && location_id.as_ref().is_none_or(|x| &i.location_id == x)
                    && resident_id
                        .as_ref()
                        .is_none_or(|x| i.resident_id.as_ref() == Some(x))
                    && from.is_none_or(|f| i.occurred_at >= f)
                    && to.is_none_or(|t| i.occurred_at < t)
            },
            |a, b| b.occurred_at.cmp(&a.occurred_at),
        )
    });
    Ok(list_page("incident", data, meta))
}

async fn one(State(s): State<S>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let i = s.store.read(|db| db.incidents.get(&id).cloned());
    found("incident", &id, i, "incident")
}

async fn create(State(s): State<S>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let mut inp = Input::new(body)?;
    let now = now(&s);
    let i = s.store.write(|db| -> Result<Incident, ApiError> {
        let location_id = inp.req_str("location_id", 64);
        if location_id
            .as_ref()
            .is_some_and(|l| !db.locations.contains_live(l))
        {
            inp.err("location_id", "not_found");
        }
        let resident_id = inp.opt_str("resident_id", 64).flatten();
        if resident_id
            .as_ref()
            .is_some_and(|r| !db.residents.contains_live(r))
        {
            inp.err("resident_id", "not_found");
        }
        let itype = inp.req_enum::<IncidentType>("type");
        let severity = inp.req_enum::<Severity>("severity");
        let status = inp
            .opt_enum::<IncidentStatus>("status")
            .flatten()
            .unwrap_or(IncidentStatus::Open);
        let title = inp.req_str("title", 200);
        let description = inp
            .opt_str("description", 10_000)
            .flatten()
            .unwrap_or_default();
        let occurred_at = inp.opt_ts("occurred_at").flatten();
        if occurred_at.is_some_and(|t| t > now + chrono::TimeDelta::minutes(5)) {
            inp.err("occurred_at", "must_not_be_in_the_future");
        }
        let reporter = inp.opt_str("reported_by_staff_id", 64).flatten();
        if reporter
            .as_ref()
            .is_some_and(|r| !db.staff.contains_live(r))
        {
            inp.err("reported_by_staff_id", "not_found");
        }
        let body_map = inp.opt_array("body_map", 50, |b| {
            let region = b.req_str("region", 100);
            let side = b.opt_enum::<BodySide>("side").flatten();
            let note = b.opt_str("note", 1000).flatten();
            Some(BodyMapEntry {
                region: region?,
                side,
                note,
            })
        });
        let staff_ids: Vec<String> = db.staff.live().map(|s| s.id.clone()).collect();
        let witnesses = inp.opt_array("witnesses", 50, |w| {
            let name = w.req_str("name", 200);
            let staff_id = w.opt_str("staff_id", 64).flatten();
            if staff_id.as_ref().is_some_and(|x| !staff_ids.contains(x)) {
                w.err("staff_id", "not_found");
            }
            let statement = w.opt_str("statement", 10_000).flatten();
            Some(Witness {
                name: name?,
                staff_id,
                statement,
            })
        });
        let fall = inp.opt_object("fall", |f| {
            let place = f.req_str("place", 200);
            let was_witnessed = f.req_bool("was_witnessed");
            let injury = f.req_enum::<Injury>("injury");
            let hospital_transfer = f.opt_bool("hospital_transfer").flatten().unwrap_or(false);
            Some(FallDetails {
                place: place?,
                was_witnessed: was_witnessed?,
                injury: injury?,
                hospital_transfer,
            })
        });
        // `fall` is this sandbox's extension: a fall posted without it (CareLoop's documented
        // shape) is taken, with no details; when given, they are checked and stored.
        let fall = match (itype, fall) {
            (Some(t), Some(Some(_))) if t != IncidentType::Fall => {
                inp.err("fall", "only_for_fall");
                None
            }
            (_, f) => f.flatten(),
        };
        inp.finish()?;
        let (Some(location_id), Some(itype), Some(severity), Some(title)) =
            (location_id, itype, severity, title)
        else {
            return Err(ApiError::field("body", "invalid"));
        };
        let at = db.stamp(now);
        let i = Incident {
            id: new_id("inc"),
            location_id,
            resident_id,
            incident_type: itype,
            severity,
            status,
            title,
            description,
            occurred_at: occurred_at.unwrap_or(at),
            reported_by_staff_id: reporter,
            body_map: body_map.unwrap_or_default(),
            witnesses: witnesses.unwrap_or_default(),
            fall,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        db.incidents.insert(i.clone());
        incident_events(&s, db, &i);
        Ok(i)
    })??;
    Ok(json_touching(
        StatusCode::CREATED,
        "incident",
        Some(&i.id),
        &i,
    ))
}
