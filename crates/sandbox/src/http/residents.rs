//! Residents and their care notes.

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
use crate::webhooks::{emit, resident_data};

pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::new(Method::GET, "/v1/residents", get(list))
            .scope("read:residents")
            .summary("List residents (filterable, paginated)")
            .list("Resident")
            .query(&[
                ("status", "enum:current|discharged|deceased", "Only residents with this status"),
                ("location_id", "string", "Only residents of this location"),
                ("q", "string", "Case-insensitive match of full_name, preferred_name or room_number"),
            ]),
        RouteDef::new(Method::POST, "/v1/residents", post(create))
            .scope("write:residents")
            .ext()
            .summary("Admit a new resident (emits resident.admitted)")
            .body("CreateResident")
            .returns(201, "Resident"),
        RouteDef::new(Method::GET, "/v1/residents/{id}", get(one))
            .scope("read:residents")
            .summary("Single resident with location, keyworker, contacts")
            .returns(200, "Resident"),
        RouteDef::new(Method::PATCH, "/v1/residents/{id}", patch(update))
            .scope("write:residents")
            .summary("Update resident record (status discharged/deceased emits resident.discharged; back to current emits resident.admitted)")
            .body("UpdateResident")
            .returns(200, "Resident"),
        RouteDef::new(Method::GET, "/v1/residents/{id}/care-notes", get(list_notes))
            .scope("read:residents")
            .summary("Care notes timeline (newest first)")
            .list("CareNote")
            .query(&[("category", "enum:general|personal_care|nutrition|mood|health|family", "Only notes of this category")]),
        RouteDef::new(Method::POST, "/v1/residents/{id}/care-notes", post(create_note))
            .scope("write:care-notes")
            .summary("Add a care note")
            .body("CreateCareNote")
            .returns(201, "CareNote"),
    ]
}

async fn list(State(s): State<S>, q: Query) -> Result<Response, ApiError> {
    let mut p = Params::new(q);
    let lp = p.list();
    let status: Option<ResidentStatus> = p.enum_("status");
    let location_id = p.str("location_id");
    let needle = p.str("q").map(|q| q.to_lowercase());
    p.finish()?;
    let (data, meta) = s.store.read(|db| {
        paginate(
            db.residents.all(),
            &lp,
            |r| {
                status.is_none_or(|st| r.status == st)
                    && location_id.as_ref().is_none_or(|l| &r.location_id == l)
                    && needle.as_ref().is_none_or(|n| {
                        r.full_name.to_lowercase().contains(n)
                            || r.preferred_name.to_lowercase().contains(n)
                            || r.room_number.to_lowercase().contains(n)
                    })
            },
            |a, b| a.full_name.cmp(&b.full_name),
        )
    });
    Ok(list_page("resident", data, meta))
}

async fn one(State(s): State<S>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let r = s.store.read(|db| db.residents.get(&id).cloned());
    found("resident", &id, r, "resident")
}

fn read_contacts(inp: &mut Input, existing: &[Contact]) -> Option<Vec<Contact>> {
    inp.opt_array("contacts", 20, |c| {
        let id = c.opt_str("id", 64).flatten();
        let name = c.req_str("name", 200);
        let relationship = c.req_str("relationship", 100);
        let phone = c.opt_str("phone", 50).flatten();
        let email = c.opt_str("email", 200).flatten();
        if email.as_ref().is_some_and(|e| !e.contains('@')) {
            c.err("email", "invalid_email");
        }
        let nok = c.opt_bool("is_next_of_kin").flatten().unwrap_or(false);
        let id = id
            .filter(|id| existing.iter().any(|e| &e.id == id))
            .unwrap_or_else(|| new_id("con"));
        Some(Contact {
            id,
            name: name?,
            relationship: relationship?,
            phone,
            email,
            is_next_of_kin: nok,
        })
    })
}

fn staff_ref(inp: &mut Input, db: &Db, k: &str) -> Option<Option<StaffRef>> {
    let id = inp.opt_str(k, 64)?;
    match id {
        None => Some(None),
        Some(id) => match db.staff.get(&id) {
            Some(st) => Some(Some(StaffRef {
                id: st.id.clone(),
                full_name: st.full_name.clone(),
            })),
            None => {
                inp.err(k, "not_found");
                None
            }
        },
    }
}

fn location_ref(inp: &mut Input, db: &Db, k: &str, required: bool) -> Option<LocationRef> {
    let id = if required {
        inp.req_str(k, 64)
    } else {
        inp.patch_str(k, 64)
    }?;
    match db.locations.get(&id) {
        Some(l) => Some(LocationRef {
            id: l.id.clone(),
            name: l.name.clone(),
        }),
        None => {
            inp.err(k, "not_found");
            None
        }
    }
}

async fn create(State(s): State<S>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let mut inp = Input::new(body)?;
    let now = now(&s);
    let r = s.store.write(|db| -> Result<Resident, ApiError> {
        let full_name = inp.req_str("full_name", 200);
        let preferred_name = inp.opt_str("preferred_name", 100).flatten();
        // Defaults to the first name.
        let preferred_name = preferred_name.or_else(|| {
            full_name
                .as_ref()
                .and_then(|n| n.split_whitespace().next())
                .map(str::to_string)
        });
        let room_number = inp.req_str("room_number", 20);
        let dob = match inp.opt_date("date_of_birth") {
            Some(Some(d)) => Some(d),
            Some(None) => {
                inp.err("date_of_birth", "required");
                None
            }
            None => {
                if !inp.has("date_of_birth") {
                    inp.err("date_of_birth", "required");
                }
                None
            }
        };
        if dob.is_some_and(|d| d >= now.date_naive()) {
            inp.err("date_of_birth", "must_be_in_the_past");
        }
        let dnar = inp
            .opt_enum("dnar_status")
            .flatten()
            .unwrap_or(DnarStatus::NotRecorded);
        let location = location_ref(&mut inp, db, "location_id", true);
        let keyworker = staff_ref(&mut inp, db, "keyworker_id");
        let contacts = read_contacts(&mut inp, &[]);
        let admitted_at = inp.opt_ts("admitted_at").flatten();
        inp.finish()?;
        let (Some(full_name), Some(room_number), Some(dob), Some(location)) =
            (full_name, room_number, dob, location)
        else {
            return Err(ApiError::field("body", "invalid"));
        };
        let at = db.stamp(now);
        let r = Resident {
            id: new_id("res"),
            full_name,
            preferred_name: preferred_name.unwrap_or_default(),
            room_number,
            date_of_birth: dob,
            status: ResidentStatus::Current,
            dnar_status: dnar,
            location_id: location.id.clone(),
            location,
            keyworker: keyworker.flatten(),
            contacts: contacts.unwrap_or_default(),
            admitted_at: admitted_at.unwrap_or(at),
            discharged_at: None,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        db.residents.insert(r.clone());
        emit(&s, db, "resident.admitted", resident_data(&r));
        Ok(r)
    })??;
    Ok(json_touching(
        StatusCode::CREATED,
        "resident",
        Some(&r.id),
        &r,
    ))
}

async fn update(
    State(s): State<S>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let mut inp = Input::new(body)?;
    let now = now(&s);
    let r = s.store.write(|db| -> Result<Resident, ApiError> {
        let Some(old) = db.residents.get(&id).cloned() else {
            return Err(ApiError::not_found("resident"));
        };
        let mut r = old.clone();
        if let Some(v) = inp.patch_str("full_name", 200) {
            r.full_name = v;
        }
        if let Some(v) = inp.patch_str("preferred_name", 100) {
            r.preferred_name = v;
        }
        if let Some(v) = inp.patch_str("room_number", 20) {
            r.room_number = v;
        }
        match inp.opt_date("date_of_birth") {
            Some(Some(d)) if d >= now.date_naive() => {
                inp.err("date_of_birth", "must_be_in_the_past")
            }
            Some(Some(d)) => r.date_of_birth = d,
            Some(None) => inp.err("date_of_birth", "must_not_be_null"),
            None => {}
        }
        if let Some(v) = inp.patch_enum("dnar_status") {
            r.dnar_status = v;
        }
        if let Some(l) = location_ref(&mut inp, db, "location_id", false) {
            r.location_id = l.id.clone();
            r.location = l;
        }
        if let Some(k) = staff_ref(&mut inp, db, "keyworker_id") {
            r.keyworker = k;
        }
        if let Some(c) = read_contacts(&mut inp, &old.contacts) {
            r.contacts = c;
        }
        let mut event = None;
        if let Some(st) = inp.patch_enum::<ResidentStatus>("status") {
            use ResidentStatus::*;
            match (old.status, st) {
                (a, b) if a == b => {}
                (Current, Discharged | Deceased) => {
                    r.status = st;
                    r.discharged_at = Some(now);
                    event = Some("resident.discharged");
                }
                (Discharged, Current) => {
                    r.status = st;
                    r.admitted_at = now;
                    r.discharged_at = None;
                    event = Some("resident.admitted");
                }
                (Discharged, Deceased) => r.status = st,
                _ => inp.err("status", "invalid_transition"),
            }
        }
        inp.finish()?;
        if r != old {
            r.updated_at = db.stamp(now);
            db.residents.insert(r.clone());
        }
        if let Some(e) = event {
            emit(&s, db, e, resident_data(&r));
        }
        Ok(r)
    })??;
    Ok(json_touching(StatusCode::OK, "resident", Some(&r.id), &r))
}

async fn list_notes(
    State(s): State<S>,
    Path(id): Path<String>,
    q: Query,
) -> Result<Response, ApiError> {
    let mut p = Params::new(q);
    let lp = p.list();
    let category: Option<NoteCategory> = p.enum_("category");
    p.finish()?;
    let page = s.store.read(|db| {
        db.residents.get(&id)?;
        Some(paginate(
            db.care_notes.all(),
            &lp,
            |n| n.resident_id == id && category.is_none_or(|c| n.category == c),
            |a, b| b.recorded_at.cmp(&a.recorded_at),
        ))
    });
    let (data, meta) = page.ok_or_else(|| ApiError::not_found("resident"))?;
    Ok(list_page("care_note", data, meta))
}

async fn create_note(
    State(s): State<S>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let mut inp = Input::new(body)?;
    let now = now(&s);
    let n = s.store.write(|db| -> Result<CareNote, ApiError> {
        if !db.residents.contains_live(&id) {
            return Err(ApiError::not_found("resident"));
        }
        let category = inp.req_enum::<NoteCategory>("category");
        let text = inp.req_str("body", 10_000);
        let author = staff_ref(&mut inp, db, "author_staff_id").flatten();
        let author_name = inp.opt_str("author_name", 200).flatten();
        let recorded_at = inp.opt_ts("recorded_at").flatten();
        let author_name = match (author_name, &author) {
            (Some(n), _) => Some(n),
            (None, Some(a)) => Some(a.full_name.clone()),
            (None, None) => {
                if !inp.errors.contains_key("author_staff_id") {
                    inp.err("author_name", "required");
                }
                None
            }
        };
        inp.finish()?;
        let (Some(category), Some(text), Some(author_name)) = (category, text, author_name) else {
            return Err(ApiError::field("body", "invalid"));
        };
        let at = db.stamp(now);
        let n = CareNote {
            id: new_id("not"),
            resident_id: id.clone(),
            author_staff_id: author.map(|a| a.id),
            author_name,
            category,
            body: text,
            recorded_at: recorded_at.unwrap_or(at),
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        db.care_notes.insert(n.clone());
        Ok(n)
    })??;
    Ok(json_touching(
        StatusCode::CREATED,
        "care_note",
        Some(&n.id),
        &n,
    ))
}
