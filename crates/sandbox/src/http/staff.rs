//! Staff, certifications and the training catalogue.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{Months, NaiveDate};

use super::error::ApiError;
use super::input::{Input, JsonBody, Params, Query};
use super::respond::{found, json_touching, list_page, paginate};
use super::route::RouteDef;
use super::state::{new_id, now, S};
use crate::model::*;
use crate::store::Db;
use crate::webhooks::emit;

const STATUS_Q: (&str, &str, &str) = (
    "status",
    "enum:valid|expiring|expired",
    "Only certifications with this status today",
);

pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::new(Method::GET, "/v1/staff", get(list))
            .scope("read:staff")
            .summary("Staff directory with role + cert summary")
            .list("Staff")
            .query(&[
                ("location_id", "string", "Only staff of this location"),
                ("role", "enum:carer|senior_carer|nurse|shift_lead|manager|housekeeping|kitchen", "Only staff with this role"),
                ("status", "enum:active|inactive", "Only staff with this status"),
                ("q", "string", "Case-insensitive match of full_name or email"),
            ]),
        RouteDef::new(Method::GET, "/v1/staff/{id}", get(one))
            .scope("read:staff")
            .ext()
            .summary("Single staff member with cert summary")
            .returns(200, "Staff"),
        RouteDef::new(Method::GET, "/v1/staff/{id}/certifications", get(list_for_staff))
            .scope("read:staff")
            .summary("Certifications for a staff member")
            .list("Certification")
            .query(&[STATUS_Q, ("course_id", "string", "Only certifications of this course")]),
        RouteDef::new(Method::POST, "/v1/staff/{id}/certifications", post(issue))
            .scope("write:certifications")
            .summary("Issue or renew a certification (older certifications of the same course are deleted; emits course.completed)")
            .body("CreateCertification")
            .returns(201, "Certification"),
        RouteDef::new(Method::GET, "/v1/certifications", get(list_all))
            .scope("read:staff")
            .ext()
            .summary("All certifications of the organisation")
            .list("Certification")
            .query(&[
                STATUS_Q,
                ("staff_id", "string", "Only this staff member's certifications"),
                ("course_id", "string", "Only certifications of this course"),
            ]),
        RouteDef::new(Method::GET, "/v1/courses", get(courses))
            .scope("read:courses")
            .summary("Training catalogue (system + your org)")
            .list("Course")
            .query(&[
                ("scope", "enum:system|organization", "Only courses of this scope"),
                ("mandatory", "boolean", "Only (non-)mandatory courses"),
            ]),
    ]
}

/// Certification summaries by staff id, on `today`.
fn summaries(db: &Db, today: NaiveDate) -> HashMap<String, CertificationSummary> {
    let mut m: HashMap<String, CertificationSummary> = HashMap::new();
    for c in db.certifications.live() {
        let s = m.entry(c.staff_id.clone()).or_default();
        s.total += 1;
        let left = (c.expires_on - today).num_days();
        match left {
            l if l < 0 => s.expired += 1,
            0..=30 => s.expiring_30 += 1,
            31..=60 => s.expiring_60 += 1,
            61..=90 => s.expiring_90 += 1,
            _ => s.valid += 1,
        }
    }
    m
}

fn render_staff(mut st: Staff, sums: &HashMap<String, CertificationSummary>) -> Staff {
    st.certification_summary = sums.get(&st.id).cloned().unwrap_or_default();
    st
}

pub fn render_cert(mut c: Certification, today: NaiveDate) -> Certification {
    c.status = c.status_on(today);
    c
}

async fn list(State(s): State<S>, q: Query) -> Result<Response, ApiError> {
    let mut p = Params::new(q);
    let lp = p.list();
    let location_id = p.str("location_id");
    let role: Option<StaffRole> = p.enum_("role");
    let status: Option<StaffStatus> = p.enum_("status");
    let needle = p.str("q").map(|q| q.to_lowercase());
    p.finish()?;
    let today = now(&s).date_naive();
    let (data, meta) = s.store.read(|db| {
        let (data, meta) = paginate(
            db.staff.all(),
            &lp,
            |st| {
                location_id.as_ref().is_none_or(|l| &st.location_id == l)
                    && role.is_none_or(|r| st.role == r)
                    && status.is_none_or(|x| st.status == x)
                    && needle.as_ref().is_none_or(|n| {
                        st.full_name.to_lowercase().contains(n)
                            || st.email.to_lowercase().contains(n)
                    })
            },
            |a, b| a.full_name.cmp(&b.full_name),
        );
        let sums = summaries(db, today);
        (
            data.into_iter()
                .map(|st| render_staff(st, &sums))
                .collect::<Vec<_>>(),
            meta,
        )
    });
    Ok(list_page("staff", data, meta))
}

async fn one(State(s): State<S>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let today = now(&s).date_naive();
    let st = s.store.read(|db| {
        db.staff
            .get(&id)
            .cloned()
            .map(|st| render_staff(st, &summaries(db, today)))
    });
    found("staff", &id, st, "staff member")
}

fn list_certs(
    s: &S,
    q: Query,
    staff: Option<&str>,
) -> Result<(Vec<Certification>, PageMeta), ApiError> {
    let mut p = Params::new(q);
    let lp = p.list();
    let status: Option<CertificationStatus> = p.enum_("status");
    let course_id = p.str("course_id");
    let staff_q = p.str("staff_id");
    p.finish()?;
    let staff_id = staff.map(str::to_string).or(staff_q);
    let today = now(s).date_naive();
    s.store.read(|db| {
        if let Some(st) = staff {
            if !db.staff.contains_live(st) {
                return Err(ApiError::not_found("staff member"));
            }
        }
        let (data, meta) = paginate(
            db.certifications.all(),
            &lp,
            |c| {
                staff_id.as_ref().is_none_or(|x| &c.staff_id == x)
                    && course_id.as_ref().is_none_or(|x| &c.course_id == x)
                    && status.is_none_or(|x| c.status_on(today) == x)
            },
            |a, b| a.expires_on.cmp(&b.expires_on),
        );
        Ok((
            data.into_iter().map(|c| render_cert(c, today)).collect(),
            meta,
        ))
    })
}

async fn list_for_staff(
    State(s): State<S>,
    Path(id): Path<String>,
    q: Query,
) -> Result<Response, ApiError> {
    let (data, meta) = list_certs(&s, q, Some(&id))?;
    Ok(list_page("certification", data, meta))
}

async fn list_all(State(s): State<S>, q: Query) -> Result<Response, ApiError> {
    let (data, meta) = list_certs(&s, q, None)?;
    Ok(list_page("certification", data, meta))
}

async fn issue(
    State(s): State<S>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let mut inp = Input::new(body)?;
    let now = now(&s);
    // "Today" is the home's calendar date: a course completed at 00:30 BST was completed
    // today in London, though UTC's date is still yesterday.
    let today = crate::clock::home_today(now);
    let c = s.store.write(|db| -> Result<Certification, ApiError> {
        if !db.staff.contains_live(&id) {
            return Err(ApiError::not_found("staff member"));
        }
        let course = match inp.req_str("course_id", 64) {
            Some(cid) => match db.courses.get(&cid) {
                Some(c) => Some(c.clone()),
                None => {
                    inp.err("course_id", "not_found");
                    None
                }
            },
            None => None,
        };
        let issued_on = inp.opt_date("issued_on").flatten().unwrap_or(today);
        if issued_on > today {
            inp.err("issued_on", "must_not_be_in_the_future");
        }
        let expires_on = inp.opt_date("expires_on").flatten();
        if expires_on.is_some_and(|e| e <= issued_on) {
            inp.err("expires_on", "must_be_after_issued_on");
        }
        let number = inp.opt_str("certificate_number", 100).flatten();
        inp.finish()?;
        let Some(course) = course else {
            return Err(ApiError::field("course_id", "required"));
        };
        let expires_on = expires_on.unwrap_or_else(|| {
            issued_on
                .checked_add_months(Months::new(course.validity_months))
                .unwrap_or(issued_on)
        });
        let at = db.stamp(now);
        // Renewal: the older certifications of this course are replaced.
        let older: Vec<String> = db
            .certifications
            .live()
            .filter(|c| c.staff_id == id && c.course_id == course.id)
            .map(|c| c.id.clone())
            .collect();
        for old in older {
            db.certifications.update(&old, |c| {
                c.deleted_at = Some(at);
                c.updated_at = at;
            });
        }
        let c = Certification {
            id: new_id("crt"),
            staff_id: id.clone(),
            course_id: course.id.clone(),
            course_name: course.name.clone(),
            issued_on,
            expires_on,
            status: CertificationStatus::Valid,
            certificate_number: number,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        db.certifications.insert(c.clone());
        // The staff member's certification summary changed.
        db.staff.update(&id, |st| st.updated_at = at);
        emit(
            &s,
            db,
            "course.completed",
            serde_json::json!({"staff_id": id, "course_id": course.id, "certification_id": c.id}),
        );
        Ok(render_cert(c, today))
    })??;
    Ok(json_touching(
        StatusCode::CREATED,
        "certification",
        Some(&c.id),
        &c,
    ))
}

async fn courses(State(s): State<S>, q: Query) -> Result<Response, ApiError> {
    let mut p = Params::new(q);
    let lp = p.list();
    let scope: Option<CourseScope> = p.enum_("scope");
    let mandatory = p.bool("mandatory");
    p.finish()?;
    let (data, meta) = s.store.read(|db| {
        paginate(
            db.courses.all(),
            &lp,
            |c| scope.is_none_or(|x| c.scope == x) && mandatory.is_none_or(|m| c.mandatory == m),
            |a, b| a.name.cmp(&b.name),
        )
    });
    Ok(list_page("course", data, meta))
}
