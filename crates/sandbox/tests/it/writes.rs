//! Write endpoints and the events they cause (checked through webhook deliveries).

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn create_visit_then_confirm_complete() {
    let t = start().await;
    let body = visit_body(&t).await;
    let r = t.post("/v1/visits", body.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.body;
    assert!(v["id"].as_str().unwrap().starts_with("vis_"));
    assert_eq!(v["status"], "scheduled");
    for k in [
        "location_id",
        "staff_user_id",
        "visit_type",
        "starts_at",
        "ends_at",
        "notes",
    ] {
        assert_eq!(v[k], body[k], "{k}");
    }
    let path = format!("/v1/visits/{}", v["id"].as_str().unwrap());
    assert_eq!(t.get(&path).await.body, v);
    let c = t.patch(&path, json!({"status": "confirmed"})).await;
    assert_eq!(c.status, 200);
    assert_eq!(c.body["status"], "confirmed");
    assert!(c.body["confirmed_at"].is_string());
    let d = t
        .patch(&path, json!({"status": "completed", "notes": "All done"}))
        .await;
    assert_eq!(d.body["status"], "completed");
    assert_eq!(d.body["notes"], "All done");
    assert!(d.body["completed_at"].is_string());
    // Completed visits cannot be rescheduled.
    let r = t
        .patch(&path, json!({"starts_at": ahead(1, "09:00")}))
        .await;
    assert_error(&r, 422, "validation_failed");
    assert_eq!(
        r.body["error"]["fields"]["starts_at"],
        "not_editable_in_this_status"
    );
}

#[tokio::test]
async fn reschedule_and_cancel_a_visit() {
    let t = start().await;
    let v = t.post("/v1/visits", visit_body(&t).await).await.body;
    let path = format!("/v1/visits/{}", v["id"].as_str().unwrap());
    let r = t.patch(&path, json!({"ends_at": ahead(0, "08:00")})).await;
    assert_eq!(
        r.body["error"]["fields"]["ends_at"],
        "must_be_after_starts_at"
    );
    let r = t
        .patch(
            &path,
            json!({"starts_at": ahead(0, "11:00"), "ends_at": ahead(0, "11:30")}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["starts_at"], ahead(0, "11:00"));
    assert!(r.body["updated_at"].as_str().unwrap() > v["updated_at"].as_str().unwrap());
    let r = t.patch(&path, json!({"cancel_reason": "x"})).await;
    assert_eq!(
        r.body["error"]["fields"]["cancel_reason"],
        "only_when_cancelled"
    );
    let r = t
        .patch(
            &path,
            json!({"status": "cancelled", "cancel_reason": "Resident in hospital"}),
        )
        .await;
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(r.body["cancel_reason"], "Resident in hospital");
    assert!(r.body["cancelled_at"].is_string());
    let r = t.patch(&path, json!({"status": "no_show"})).await;
    assert_eq!(r.body["error"]["fields"]["status"], "invalid_transition");
}

#[tokio::test]
async fn patch_resident_and_discharge() {
    let t = start().await;
    let res = t.first("/v1/residents?status=current").await;
    let path = format!("/v1/residents/{}", res["id"].as_str().unwrap());
    let staff = t.first("/v1/staff?role=nurse").await;
    let r = t.patch(&path, json!({
        "preferred_name": "Peg", "room_number": "14B", "dnar_status": "dnar",
        "keyworker_id": staff["id"],
        "contacts": [{"id": res["contacts"][0]["id"], "name": "Ann Lee", "relationship": "daughter", "phone": "07700 900123", "is_next_of_kin": true},
                     {"name": "Bob Lee", "relationship": "son"}]
    })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["preferred_name"], "Peg");
    assert_eq!(r.body["room_number"], "14B");
    assert_eq!(r.body["dnar_status"], "dnar");
    assert_eq!(
        r.body["keyworker"],
        json!({"id": staff["id"], "full_name": staff["full_name"]})
    );
    assert_eq!(
        r.body["contacts"][0]["id"], res["contacts"][0]["id"],
        "an existing contact keeps its id"
    );
    assert!(r.body["contacts"][1]["id"]
        .as_str()
        .unwrap()
        .starts_with("con_"));
    assert_eq!(t.get(&path).await.body, r.body);
    let r = t.patch(&path, json!({"keyworker_id": null})).await;
    assert!(r.body["keyworker"].is_null());
    let r = t.patch(&path, json!({"preferred_name": null})).await;
    assert_eq!(
        r.body["error"]["fields"]["preferred_name"],
        "must_not_be_empty"
    );
    let r = t.patch(&path, json!({"status": "discharged"})).await;
    assert_eq!(r.body["status"], "discharged");
    assert!(r.body["discharged_at"].is_string());
    let r = t.patch(&path, json!({"status": "deceased"})).await;
    assert_eq!(r.status, 200);
    let r = t.patch(&path, json!({"status": "current"})).await;
    assert_eq!(r.body["error"]["fields"]["status"], "invalid_transition");
}

#[tokio::test]
async fn admit_a_resident() {
    let t = start().await;
    let loc = t.first("/v1/locations").await;
    let r = t.post("/v1/residents", json!({
        "full_name": "Edith Crawley", "preferred_name": "Edie", "room_number": "21",
        "date_of_birth": "1939-02-14", "location_id": loc["id"],
        "contacts": [{"name": "Mary Crawley", "relationship": "niece", "is_next_of_kin": true}]
    })).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "current");
    assert_eq!(r.body["dnar_status"], "not_recorded");
    assert_eq!(r.body["preferred_name"], "Edie");
    assert_eq!(r.body["location"]["name"], loc["name"]);
    let r = t.post("/v1/residents", json!({"full_name": "X", "room_number": "1", "date_of_birth": "2999-01-01", "location_id": loc["id"]})).await;
    assert_eq!(
        r.body["error"]["fields"]["date_of_birth"],
        "must_be_in_the_past"
    );
}

#[tokio::test]
async fn add_care_note() {
    let t = start().await;
    let res = t.first("/v1/residents?status=current").await;
    let staff = t.first("/v1/staff").await;
    let path = format!("/v1/residents/{}/care-notes", res["id"].as_str().unwrap());
    let r = t
        .post(
            &path,
            json!({"category": "nutrition", "body": "Ate well", "author_staff_id": staff["id"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["author_name"], staff["full_name"]);
    assert_eq!(r.body["resident_id"], res["id"]);
    let notes = t.all(&path).await;
    assert_eq!(notes[0]["id"], r.body["id"], "newest first");
    let r = t
        .post(&path, json!({"category": "nutrition", "body": "Ate well"}))
        .await;
    assert_eq!(r.body["error"]["fields"]["author_name"], "required");
    let r = t
        .post(
            "/v1/residents/res_nope/care-notes",
            json!({"category": "general", "body": "x", "author_name": "y"}),
        )
        .await;
    assert_error(&r, 404, "not_found");
}

#[tokio::test]
async fn issue_and_renew_a_certification() {
    let t = start().await;
    let expired = t.first("/v1/certifications?status=expired").await;
    let staff_id = expired["staff_id"].as_str().unwrap();
    let staff_before = t.get(&format!("/v1/staff/{staff_id}")).await.body;
    let path = format!("/v1/staff/{staff_id}/certifications");
    let r = t
        .post(
            &path,
            json!({"course_id": expired["course_id"], "certificate_number": "FS-2026-001"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "valid");
    assert_eq!(r.body["course_name"], expired["course_name"]);
    let certs = t.all(&path).await;
    assert!(
        certs.iter().all(|c| c["id"] != expired["id"]),
        "the renewed certification is replaced"
    );
    assert_eq!(certs.len(), 9);
    let staff_after = t.get(&format!("/v1/staff/{staff_id}")).await.body;
    let before = staff_before["certification_summary"]["expired"]
        .as_u64()
        .unwrap();
    assert_eq!(
        staff_after["certification_summary"]["expired"]
            .as_u64()
            .unwrap(),
        before - 1
    );
    assert!(
        staff_after["updated_at"].as_str().unwrap() > staff_before["updated_at"].as_str().unwrap()
    );
    let r = t
        .post(
            &path,
            json!({"course_id": "crs_nope", "issued_on": "2026-01-10", "expires_on": "2025-01-01"}),
        )
        .await;
    assert_eq!(r.body["error"]["fields"]["course_id"], "not_found");
    assert_eq!(
        r.body["error"]["fields"]["expires_on"],
        "must_be_after_issued_on"
    );
}

fn incident(loc: &Value, extra: Value) -> Value {
    let mut b = json!({"location_id": loc["id"], "type": "other", "severity": "low", "title": "Test incident"});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

#[tokio::test]
async fn log_a_fall_with_body_map_and_witnesses() {
    let t = start().await;
    let loc = t.first("/v1/locations").await;
    let res = t.first("/v1/residents?status=current").await;
    let staff = t.first("/v1/staff").await;
    let r = t.post("/v1/incidents", incident(&loc, json!({
        "type": "fall", "severity": "critical", "title": "Witnessed fall in lounge", "resident_id": res["id"],
        "description": "Lost balance", "reported_by_staff_id": staff["id"],
        "body_map": [{"region": "left_hip", "side": "left", "note": "bruise"}, {"region": "head"}],
        "witnesses": [{"name": staff["full_name"], "staff_id": staff["id"], "statement": "Saw it"}, {"name": "A visitor"}],
        "fall": {"place": "lounge", "was_witnessed": true, "injury": "minor", "hospital_transfer": false}
    }))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "open");
    assert_eq!(
        r.body["body_map"][1],
        json!({"region": "head", "side": null, "note": null})
    );
    assert_eq!(
        r.body["witnesses"][1],
        json!({"name": "A visitor", "staff_id": null, "statement": null})
    );
    assert_eq!(r.body["fall"]["injury"], "minor");
    let listed = t
        .get(&format!("/v1/incidents/{}", r.body["id"].as_str().unwrap()))
        .await;
    assert_eq!(listed.body, r.body);
}

#[tokio::test]
async fn incident_validation() {
    let t = start().await;
    let loc = t.first("/v1/locations").await;
    // A fall without the sandbox's own details object is CareLoop's documented shape: taken,
    // with no details (issue 13, item 7); with `fall: null` too.
    for body in [
        json!({"type": "fall"}),
        json!({"type": "fall", "fall": null}),
    ] {
        let r = t.post("/v1/incidents", incident(&loc, body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["type"], "fall");
        assert!(r.body["fall"].is_null(), "{}", r.body);
    }
    // Given, the details are checked and stored.
    let r = t
        .post(
            "/v1/incidents",
            incident(
                &loc,
                json!({"type": "fall", "fall": {"place": "x", "was_witnessed": true}}),
            ),
        )
        .await;
    assert_eq!(
        r.body["error"]["fields"]["fall.injury"], "required",
        "{}",
        r.body
    );
    let r = t
        .post(
            "/v1/incidents",
            incident(
                &loc,
                json!({"fall": {"place": "x", "was_witnessed": false, "injury": "none"}}),
            ),
        )
        .await;
    assert_eq!(r.body["error"]["fields"]["fall"], "only_for_fall");
    let r = t
        .post(
            "/v1/incidents",
            incident(
                &loc,
                json!({"body_map": [{"side": "up"}], "witnesses": [{}]}),
            ),
        )
        .await;
    assert_eq!(r.body["error"]["fields"]["body_map[0].region"], "required");
    assert_eq!(
        r.body["error"]["fields"]["body_map[0].side"],
        "invalid_value"
    );
    assert_eq!(r.body["error"]["fields"]["witnesses[0].name"], "required");
    let r = t
        .post(
            "/v1/incidents",
            incident(&loc, json!({"type": "fall", "fall": {"place": "x"}})),
        )
        .await;
    assert_eq!(r.body["error"]["fields"]["fall.was_witnessed"], "required");
    assert_eq!(r.body["error"]["fields"]["fall.injury"], "required");
}

#[tokio::test]
async fn visitor_sign_in_and_out() {
    let t = start().await;
    let loc = t.first("/v1/locations").await;
    let res = t.first("/v1/residents?status=current").await;
    let r = t.post("/v1/visitor-sign-ins", json!({
        "location_id": loc["id"], "visitor_name": "Jane Doe", "visiting_resident_id": res["id"],
        "purpose": "Family visit", "car_registration": "AB12 CDE"
    })).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body["id"].as_str().unwrap().starts_with("vsi_"));
    assert!(r.body["signed_out_at"].is_null());
    let id = r.body["id"].as_str().unwrap().to_string();
    let on_site = t.all("/v1/visitor-sign-ins?on_site=true").await;
    assert!(on_site.iter().any(|v| v["id"] == id.as_str()));
    // Sign out with no body at all.
    let out = into_resp(
        t.http
            .post(t.url(&format!("/v1/visitor-sign-ins/{id}/sign-out")))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(out.body["signed_out_at"].is_string());
    let again = t
        .post(&format!("/v1/visitor-sign-ins/{id}/sign-out"), json!({}))
        .await;
    assert_eq!(
        again.body["error"]["fields"]["signed_out_at"],
        "already_signed_out"
    );
    let on_site = t.all("/v1/visitor-sign-ins?on_site=true").await;
    assert!(on_site.iter().all(|v| v["id"] != id.as_str()));
    let r = t
        .post("/v1/visitor-sign-ins/vsi_nope/sign-out", json!({}))
        .await;
    assert_error(&r, 404, "not_found");
}

#[tokio::test]
async fn impossible_visit_times_are_refused_and_a_past_start_is_kept() {
    let t = start().await;
    let base = visit_body(&t).await;
    for (starts, ends, field, code) in [
        (
            "2025-01-01T10:00:00Z",
            "2026-01-01T10:00:00Z",
            "ends_at",
            "must_be_within_24_hours_of_starts_at",
        ),
        (
            "9999-12-31T10:00:00Z",
            "9999-12-31T11:00:00Z",
            "starts_at",
            "must_be_within_a_year",
        ),
    ] {
        let mut body = base.clone();
        body["starts_at"] = json!(starts);
        body["ends_at"] = json!(ends);
        let r = t.post("/v1/visits", body).await;
        assert_error(&r, 422, "validation_failed");
        assert_eq!(r.body["error"]["fields"][field], code);
    }
    // Recording a visit that happened: allowed, and never a no-show.
    let started = chrono::Utc::now() - chrono::TimeDelta::hours(3);
    let mut body = base.clone();
    body["starts_at"] = json!(started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    body["ends_at"] =
        json!((started + chrono::TimeDelta::hours(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let r = t.post("/v1/visits", body).await;
    assert_eq!(r.status, 201);
    let id = r.body["id"].as_str().unwrap().to_owned();
    t.advance(3600).await;
    assert_eq!(
        t.get(&format!("/v1/visits/{id}")).await.body["status"],
        "scheduled"
    );
}

/// Dates are exactly `YYYY-MM-DD`, as JSON Schema's date format has them.
#[rstest::rstest]
#[case("1940-1-1")]
#[case("1940-01-1")]
#[case("+1940-01-01")]
#[case(" 1940-01-01")]
#[case("1940-02-30")]
#[tokio::test]
async fn dates_are_exactly_year_month_day(#[case] date: &str) {
    let t = start().await;
    let loc = t.first("/v1/locations").await;
    let r = t
        .post(
            "/v1/residents",
            json!({"full_name": "Ada Lovelace", "room_number": "12", "date_of_birth": date,
                   "location_id": loc["id"]}),
        )
        .await;
    assert_error(&r, 422, "validation_failed");
    assert_eq!(r.body["error"]["fields"]["date_of_birth"], "invalid_date");
}

/// Seconds from `now` to the next 23:30 UTC in British Summer Time (April to September), when
/// it is 00:30 the next day in London; and that London date.
fn to_half_past_midnight_bst(now: chrono::DateTime<chrono::Utc>) -> (u64, chrono::NaiveDate) {
    use chrono::{Datelike, TimeDelta};
    let mut day = now.date_naive();
    loop {
        let at = day.and_hms_opt(23, 30, 0).unwrap().and_utc();
        if (4..=9).contains(&day.month()) && at > now {
            // Whole seconds, rounded up: at 23:30:00 or just after.
            let secs = ((at - now).num_milliseconds() + 999) / 1000;
            return (secs as u64, day + TimeDelta::days(1));
        }
        day += TimeDelta::days(1);
    }
}

#[tokio::test]
async fn a_certification_completed_today_in_london_is_accepted_between_midnight_and_one_bst() {
    let t = start().await;
    t.control(Method::POST, "/v1/_test/clock/freeze", None)
        .await;
    let clock = t.get("/v1/_test/clock").await.body;
    let now = chrono::DateTime::parse_from_rfc3339(clock["now"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let (secs, london_today) = to_half_past_midnight_bst(now);
    t.advance(secs).await;
    let clock = t.get("/v1/_test/clock").await.body;
    let utc_date = clock["now"].as_str().unwrap()[..10].to_owned();
    assert!(
        clock["now"].as_str().unwrap()[10..].starts_with("T23:30:0"),
        "{clock}"
    );
    assert_ne!(utc_date, london_today.to_string(), "UTC is still yesterday");

    let staff = t.first("/v1/staff").await;
    let course = t.first("/v1/courses").await;
    let path = format!("/v1/staff/{}/certifications", staff["id"].as_str().unwrap());
    // Today in London: accepted, though it is tomorrow by UTC's date.
    let r = t
        .post(
            &path,
            json!({"course_id": course["id"], "issued_on": london_today.to_string()}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["issued_on"], london_today.to_string());
    // Left out, it is London's today too.
    let r = t.post(&path, json!({"course_id": course["id"]})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["issued_on"], london_today.to_string());
    // Tomorrow in London is still the future.
    let tomorrow = london_today + chrono::TimeDelta::days(1);
    let r = t
        .post(
            &path,
            json!({"course_id": course["id"], "issued_on": tomorrow.to_string()}),
        )
        .await;
    assert_error(&r, 422, "validation_failed");
    assert_eq!(
        r.body["error"]["fields"]["issued_on"],
        "must_not_be_in_the_future"
    );
}
