//! Fault injection, and that test controls exist only when enabled.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn test_controls_are_404_unless_enabled() {
    let mut cfg = config();
    cfg.test_controls = false;
    let t = start_with(cfg).await;
    for (m, p) in [
        (Method::POST, "/v1/_test/clock/advance"),
        (Method::GET, "/v1/_test/clock"),
        (Method::POST, "/v1/_test/events"),
        (Method::POST, "/v1/_test/faults"),
        (Method::POST, "/v1/_test/faults/clear"),
        (Method::DELETE, "/v1/_test/residents/res_x"),
    ] {
        for token in [None, Some(ADMIN)] {
            let r = t
                .req(m.clone(), p, token, Some(json!({"seconds": 1})))
                .await;
            assert_error(&r, 404, "not_found");
        }
    }
    // Nor are they in the document.
    let doc = t.get("/v1/openapi.json").await.body;
    assert!(doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .all(|p| !p.starts_with("/v1/_test")));
}

#[tokio::test]
async fn fail_next_n_requests_with_500_or_503_then_recover() {
    let t = start().await;
    t.control(
        Method::POST,
        "/v1/_test/faults",
        Some(json!({"fail_next": {"count": 2, "status": 503}})),
    )
    .await;
    let before = t.get("/v1/visits");
    let r1 = before.await;
    assert_error(&r1, 503, "service_unavailable");
    assert!(r1.headers.get("retry-after").is_some());
    let r2 = t.post("/v1/visits", json!({})).await;
    assert_error(&r2, 503, "service_unavailable");
    assert_eq!(t.get("/v1/visits").await.status, 200);
    t.control(
        Method::POST,
        "/v1/_test/faults",
        Some(json!({"fail_next": {"count": 1}})),
    )
    .await;
    assert_error(&t.get("/v1/visits").await, 500, "internal_error");
    let bad = t
        .req(
            Method::POST,
            "/v1/_test/faults",
            Some(ADMIN),
            Some(json!({"fail_next": {"status": 418}})),
        )
        .await;
    assert_error(&bad, 422, "validation_failed");
}

#[tokio::test]
async fn a_failed_write_commits_nothing() {
    let t = start().await;
    let body = visit_body(&t).await;
    let before = t.get("/v1/visits").await.body["meta"]["total"].clone();
    t.control(
        Method::POST,
        "/v1/_test/faults",
        Some(json!({"fail_next": {"count": 1, "status": 500}})),
    )
    .await;
    assert_eq!(t.post("/v1/visits", body).await.status, 500);
    assert_eq!(t.get("/v1/visits").await.body["meta"]["total"], before);
}

#[tokio::test]
async fn dropped_after_commit_then_idempotent_retry_creates_exactly_one() {
    let t = start().await;
    let body = visit_body(&t).await;
    let before = t.get("/v1/visits").await.body["meta"]["total"]
        .as_u64()
        .unwrap();
    t.control(
        Method::POST,
        "/v1/_test/faults",
        Some(json!({"drop_after_commit_next": 1})),
    )
    .await;
    let send = || {
        t.http
            .post(t.url("/v1/visits"))
            .bearer_auth(ADMIN)
            .header("Idempotency-Key", "retry-me")
            .json(&body)
            .send()
    };
    let lost = send().await;
    assert!(
        lost.is_err(),
        "the connection is closed before any response: {lost:?}"
    );
    // It was committed.
    assert_eq!(
        t.get("/v1/visits").await.body["meta"]["total"]
            .as_u64()
            .unwrap(),
        before + 1
    );
    // The retry with the same key gets the original response.
    let retry = into_resp(send().await.unwrap()).await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(
        t.get("/v1/visits").await.body["meta"]["total"]
            .as_u64()
            .unwrap(),
        before + 1
    );
    let created = t
        .get(&format!(
            "/v1/visits/{}",
            retry.body["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(created.body, retry.body);
}

#[tokio::test]
async fn drop_applies_to_successful_writes_only() {
    let t = start().await;
    let v = t.post("/v1/visits", visit_body(&t).await).await.body;
    let path = format!("/v1/visits/{}", v["id"].as_str().unwrap());
    t.control(
        Method::POST,
        "/v1/_test/faults",
        Some(json!({"drop_after_commit_next": 1})),
    )
    .await;
    assert_eq!(
        t.get("/v1/residents").await.status,
        200,
        "reads are not dropped"
    );
    let rejected = t.patch(&path, json!({"status": "no_show"})).await;
    assert_eq!(
        rejected.status, 422,
        "a rejected write commits nothing and is answered"
    );
    let r = t
        .http
        .patch(t.url(&path))
        .bearer_auth(ADMIN)
        .json(&json!({"status": "confirmed"}))
        .send()
        .await;
    assert!(r.is_err(), "the committed write loses its response");
    assert_eq!(
        t.get(&path).await.body["status"],
        "confirmed",
        "but it was committed"
    );
    let r = t.patch(&path, json!({"status": "completed"})).await;
    assert_eq!(r.status, 200, "only the next one was dropped");
}

#[tokio::test]
async fn latency_is_added_until_cleared() {
    let t = start().await;
    t.control(
        Method::POST,
        "/v1/_test/faults",
        Some(json!({"latency_ms": 3000})),
    )
    .await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let r = impatient
        .get(t.url("/v1/locations"))
        .bearer_auth(ADMIN)
        .send()
        .await;
    assert!(r.is_err_and(|e| e.is_timeout()));
    let cleared = t
        .control(Method::POST, "/v1/_test/faults/clear", None)
        .await;
    assert_eq!(cleared.body["latency_ms"], 0);
    assert_eq!(t.get("/v1/locations").await.status, 200);
}
