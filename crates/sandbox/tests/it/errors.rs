//! The error envelope for every kind of bad request.

use reqwest::Method;
use rstest::rstest;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn unknown_route_is_404_envelope() {
    let t = start().await;
    assert_error(&t.get("/v1/nothing-here").await, 404, "not_found");
    assert_error(&t.get("/v2/residents").await, 404, "not_found");
    assert_error(&t.get("/").await, 404, "not_found");
}

#[rstest]
#[case(Method::DELETE, "/v1/residents")]
#[case(Method::PUT, "/v1/visits/vis_x")]
#[case(Method::POST, "/v1/staff")]
#[case(Method::PATCH, "/v1/incidents")]
#[tokio::test]
async fn wrong_method_is_405_envelope(#[case] method: Method, #[case] path: &str) {
    let t = start().await;
    assert_error(
        &t.req(method, path, Some(ADMIN), None).await,
        405,
        "method_not_allowed",
    );
}

#[tokio::test]
async fn invalid_json_is_400() {
    let t = start().await;
    for body in ["{bad", "", "   ", "{\"a\":}", "[1,"] {
        let r = into_resp(
            t.http
                .post(t.url("/v1/visits"))
                .bearer_auth(ADMIN)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(&r, 400, "invalid_json");
    }
}

#[rstest]
#[case(Some("text/plain"))]
#[case(Some("application/x-www-form-urlencoded"))]
#[case(None)]
#[tokio::test]
async fn non_json_body_is_415(#[case] ct: Option<&str>) {
    let t = start().await;
    let mut rb = t
        .http
        .post(t.url("/v1/visits"))
        .bearer_auth(ADMIN)
        .body("location_id=x");
    if let Some(ct) = ct {
        rb = rb.header("content-type", ct);
    }
    assert_error(
        &into_resp(rb.send().await.unwrap()).await,
        415,
        "unsupported_media_type",
    );
}

#[tokio::test]
async fn oversized_body_is_413_and_creates_nothing() {
    let t = start().await;
    let before = t.get("/v1/visits").await.body["meta"]["total"].clone();
    let mut body = visit_body(&t).await;
    body["notes"] = json!("x".repeat(300 * 1024));
    let r = t.post("/v1/visits", body).await;
    assert_error(&r, 413, "payload_too_large");
    assert_eq!(t.get("/v1/visits").await.body["meta"]["total"], before);
}

#[tokio::test]
async fn ends_before_starts_is_the_documented_422() {
    let t = start().await;
    let mut body = visit_body(&t).await;
    body["ends_at"] = json!(ahead(0, "08:00"));
    let r = t.post("/v1/visits", body).await;
    assert_error(&r, 422, "validation_failed");
    assert_eq!(
        r.body["error"]["fields"],
        json!({"ends_at": "must_be_after_starts_at"})
    );
    assert_eq!(
        r.body["error"]["message"],
        "ends_at must be after starts_at"
    );
}

#[rstest]
#[case(json!({}), &[("location_id", "required"), ("staff_user_id", "required"), ("visit_type", "required"), ("starts_at", "required"), ("ends_at", "required")])]
#[case(json!({"visit_type": "dancing"}), &[("visit_type", "invalid_value")])]
#[case(json!({"starts_at": "tomorrow"}), &[("starts_at", "invalid_datetime")])]
// RFC 3339 as JSON Schema's date-time has it: a T between date and time.
#[case(json!({"starts_at": "2030-05-12 09:00:00Z"}), &[("starts_at", "invalid_datetime")])]
// Text is at most as long as the document's maxLength counts, surrounding blanks included.
#[case(json!({"notes": format!(" {} ", "n".repeat(9_999))}), &[("notes", "too_long")])]
#[case(json!({"location_id": "   "}), &[("location_id", "must_not_be_empty")])]
#[case(json!({"location_id": 5}), &[("location_id", "must_be_string")])]
#[case(json!({"location_id": "loc_nope"}), &[("location_id", "not_found")])]
#[case(json!({"colour": "red"}), &[("colour", "unknown_field")])]
#[tokio::test]
async fn visit_validation_codes(
    #[case] body: serde_json::Value,
    #[case] expected: &[(&str, &str)],
) {
    let t = start().await;
    let r = t.post("/v1/visits", body).await;
    assert_error(&r, 422, "validation_failed");
    for (field, code) in expected {
        assert_eq!(r.body["error"]["fields"][field], *code, "{}", r.body);
    }
}

#[tokio::test]
async fn body_must_be_an_object() {
    let t = start().await;
    let r = t.post("/v1/visits", json!([1, 2])).await;
    assert_error(&r, 422, "validation_failed");
    assert_eq!(r.body["error"]["fields"]["body"], "must_be_object");
}

#[rstest]
#[case("/v1/residents?page_size=101", "page_size")]
#[case("/v1/residents?page_size=0", "page_size")]
#[case("/v1/residents?page=0", "page")]
#[case("/v1/residents?page=abc", "page")]
#[case("/v1/residents?updated_since=yesterday", "updated_since")]
#[case("/v1/residents?include_deleted=maybe", "include_deleted")]
#[case("/v1/residents?status=asleep", "status")]
#[case("/v1/visits?from=2020-13-45", "from")]
#[case("/v1/visits?from=2030-05-12%2009:00:00Z", "from")]
#[case("/v1/residents?page=1000001", "page")]
#[case("/v1/incidents?severity=apocalyptic", "severity")]
#[tokio::test]
async fn bad_query_parameters_are_422_per_field(#[case] path: &str, #[case] field: &str) {
    let t = start().await;
    let r = t.get(path).await;
    assert_error(&r, 422, "validation_failed");
    assert!(r.body["error"]["fields"][field].is_string(), "{}", r.body);
}

#[tokio::test]
async fn invalid_status_transition_is_422_on_status() {
    let t = start().await;
    let v = t.post("/v1/visits", visit_body(&t).await).await.body;
    let path = format!("/v1/visits/{}", v["id"].as_str().unwrap());
    assert_eq!(
        t.patch(
            &path,
            json!({"status": "cancelled", "cancel_reason": "Resident in hospital"})
        )
        .await
        .status,
        200
    );
    let r = t.patch(&path, json!({"status": "completed"})).await;
    assert_error(&r, 422, "validation_failed");
    assert_eq!(r.body["error"]["fields"]["status"], "invalid_transition");
    assert_eq!(
        t.get(&path).await.body["status"],
        "cancelled",
        "nothing changed"
    );
}

#[tokio::test]
async fn rejected_writes_change_nothing() {
    let t = start().await;
    let res = t.first("/v1/residents?status=current").await;
    let path = format!("/v1/residents/{}", res["id"].as_str().unwrap());
    let r = t
        .patch(
            &path,
            json!({"room_number": "99", "dnar_status": "sometimes"}),
        )
        .await;
    assert_error(&r, 422, "validation_failed");
    assert_eq!(t.get(&path).await.body, res);
}

#[tokio::test]
async fn envelope_shapes_are_pinned() {
    let t = start().await;
    let mut body = visit_body(&t).await;
    body["ends_at"] = json!(ahead(0, "08:00"));
    insta::assert_json_snapshot!("validation_failed", t.post("/v1/visits", body).await.body);
    insta::assert_json_snapshot!("not_found", t.get("/v1/residents/res_nope").await.body);
    let mut cfg = config();
    cfg.keys.push(key("ro", &["read:residents"]));
    let t2 = start_with(cfg).await;
    insta::assert_json_snapshot!(
        "insufficient_scope",
        t2.req(Method::GET, "/v1/staff", Some("ro"), None)
            .await
            .body
    );
    insta::assert_json_snapshot!(
        "unauthorized",
        t.req(Method::GET, "/v1/staff", None, None).await.body
    );
}
