//! Idempotency-Key on POST.

use serde_json::json;

use crate::common::*;

async fn post_keyed(t: &T, path: &str, key: &str, body: &serde_json::Value) -> Resp {
    into_resp(
        t.http
            .post(t.url(path))
            .bearer_auth(ADMIN)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn same_key_same_body_replays_and_creates_nothing() {
    let t = start().await;
    let body = visit_body(&t).await;
    let before = t.get("/v1/visits").await.body["meta"]["total"]
        .as_u64()
        .unwrap();
    let first = post_keyed(&t, "/v1/visits", "c0ffee-1", &body).await;
    assert_eq!(first.status, 201);
    let second = post_keyed(&t, "/v1/visits", "c0ffee-1", &body).await;
    assert_eq!(second.status, 201);
    assert_eq!(second.body, first.body);
    assert_eq!(second.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(
        t.get("/v1/visits").await.body["meta"]["total"]
            .as_u64()
            .unwrap(),
        before + 1
    );
    // A different key creates another.
    let third = post_keyed(&t, "/v1/visits", "c0ffee-2", &body).await;
    assert_ne!(third.body["id"], first.body["id"]);
}

#[tokio::test]
async fn same_key_different_body_is_409() {
    let t = start().await;
    let body = visit_body(&t).await;
    assert_eq!(post_keyed(&t, "/v1/visits", "k", &body).await.status, 201);
    let mut other = body.clone();
    other["notes"] = json!("different");
    let r = post_keyed(&t, "/v1/visits", "k", &other).await;
    assert_error(&r, 409, "idempotency_conflict");
}

#[tokio::test]
async fn a_failed_request_does_not_burn_the_key() {
    let t = start().await;
    let mut body = visit_body(&t).await;
    body["ends_at"] = json!("2000-01-01T00:00:00Z");
    assert_eq!(
        post_keyed(&t, "/v1/visits", "fixme", &body).await.status,
        422
    );
    body["ends_at"] = json!(ahead(0, "10:00"));
    let r = post_keyed(&t, "/v1/visits", "fixme", &body).await;
    assert_eq!(
        r.status, 201,
        "the corrected request goes through: {}",
        r.body
    );
}

#[tokio::test]
async fn keys_are_scoped_per_endpoint_and_work_on_every_post() {
    let t = start().await;
    let loc = t.first("/v1/locations").await;
    let res = t.first("/v1/residents?status=current").await;
    let cases = vec![
        (
            "/v1/incidents".to_string(),
            json!({"location_id": loc["id"], "type": "other", "severity": "low", "title": "x"}),
        ),
        (
            "/v1/visitor-sign-ins".to_string(),
            json!({"location_id": loc["id"], "visitor_name": "V", "purpose": "p"}),
        ),
        (
            format!("/v1/residents/{}/care-notes", res["id"].as_str().unwrap()),
            json!({"category": "general", "body": "b", "author_name": "n"}),
        ),
        (
            "/v1/residents".to_string(),
            json!({"full_name": "N N", "room_number": "1", "date_of_birth": "1940-01-01", "location_id": loc["id"]}),
        ),
    ];
    for (path, body) in cases {
        let a = post_keyed(&t, &path, "same-key", &body).await;
        assert_eq!(a.status, 201, "{path}: {}", a.body);
        let b = post_keyed(&t, &path, "same-key", &body).await;
        assert_eq!(a.body, b.body, "{path}");
    }
}

#[tokio::test]
async fn invalid_key_header_is_400() {
    let t = start().await;
    let r = post_keyed(&t, "/v1/visits", &"x".repeat(300), &json!({})).await;
    assert_error(&r, 400, "invalid_idempotency_key");
}

#[tokio::test]
async fn with_keys_ignored_every_request_is_processed_as_by_an_api_without_them() {
    let t = start_with(loopdesk_sandbox::SandboxConfig {
        honour_idempotency_keys: false,
        ..config()
    })
    .await;
    let body = visit_body(&t).await;
    let before = t.get("/v1/visits").await.body["meta"]["total"]
        .as_u64()
        .unwrap();
    let first = post_keyed(&t, "/v1/visits", "c0ffee-1", &body).await;
    let second = post_keyed(&t, "/v1/visits", "c0ffee-1", &body).await;
    assert_eq!((first.status.as_u16(), second.status.as_u16()), (201, 201));
    assert_ne!(first.body["id"], second.body["id"], "created twice");
    assert!(second.headers.get("idempotent-replayed").is_none());
    assert_eq!(
        t.get("/v1/visits").await.body["meta"]["total"]
            .as_u64()
            .unwrap(),
        before + 2
    );
    // A different body under the same key is not a conflict either.
    let mut other = body.clone();
    other["notes"] = json!("different");
    assert_eq!(
        post_keyed(&t, "/v1/visits", "c0ffee-1", &other)
            .await
            .status,
        201
    );
}
