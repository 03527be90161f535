//! Incremental sync: updated_since cursors and tombstones.

use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn updated_since_returns_changes_in_order_and_tombstones_with_include_deleted() {
    let t = start().await;
    // Full pull: remember the cursor.
    let all = t.all("/v1/residents").await;
    let cursor = all
        .iter()
        .map(|r| r["updated_at"].as_str().unwrap().to_string())
        .max()
        .unwrap();
    let enc = |s: &str| s.replace('+', "%2B");
    assert!(t
        .all(&format!("/v1/residents?updated_since={}", enc(&cursor)))
        .await
        .is_empty());

    // Change two residents, delete a third.
    let a = all[0]["id"].as_str().unwrap();
    let b = all[1]["id"].as_str().unwrap();
    let c = all[2]["id"].as_str().unwrap();
    t.patch(&format!("/v1/residents/{b}"), json!({"room_number": "B1"}))
        .await;
    t.patch(&format!("/v1/residents/{a}"), json!({"room_number": "A1"}))
        .await;
    t.control(Method::DELETE, &format!("/v1/_test/residents/{c}"), None)
        .await;

    let changed = t
        .all(&format!("/v1/residents?updated_since={}", enc(&cursor)))
        .await;
    let ids: Vec<&str> = changed.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        vec![b, a],
        "ordered by updated_at; the deleted one is not shown"
    );
    let with_deleted = t
        .all(&format!(
            "/v1/residents?updated_since={}&include_deleted=true",
            enc(&cursor)
        ))
        .await;
    assert_eq!(with_deleted.len(), 3);
    let tomb = &with_deleted[2];
    assert_eq!(tomb["id"], c);
    assert!(tomb["deleted_at"].is_string());
    assert_eq!(tomb["updated_at"], tomb["deleted_at"]);
    assert_eq!(
        tomb["full_name"], all[2]["full_name"],
        "a tombstone carries the last full shape"
    );
    // Deleted things are gone elsewhere.
    assert_error(
        &t.get(&format!("/v1/residents/{c}")).await,
        404,
        "not_found",
    );
    assert_eq!(t.get("/v1/residents").await.body["meta"]["total"], 39);
    // The next cursor sees nothing new.
    let next = with_deleted.last().unwrap()["updated_at"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(t
        .all(&format!(
            "/v1/residents?updated_since={}&include_deleted=true",
            enc(&next)
        ))
        .await
        .is_empty());
}

#[tokio::test]
async fn every_list_endpoint_supports_updated_since_and_include_deleted() {
    let t = start().await;
    let res = t.first("/v1/residents").await;
    let staff = t.first("/v1/staff").await;
    let future = "2999-01-01T00:00:00Z";
    for path in [
        "/v1/residents".to_string(),
        "/v1/staff".into(),
        "/v1/certifications".into(),
        "/v1/courses".into(),
        "/v1/incidents".into(),
        "/v1/visits".into(),
        "/v1/locations".into(),
        "/v1/audit-log".into(),
        "/v1/visitor-sign-ins".into(),
        "/v1/webhook-deliveries".into(),
        format!("/v1/residents/{}/care-notes", res["id"].as_str().unwrap()),
        format!("/v1/staff/{}/certifications", staff["id"].as_str().unwrap()),
    ] {
        let r = t
            .get(&format!(
                "{path}?updated_since={future}&include_deleted=true"
            ))
            .await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.body["meta"]["total"], 0, "{path}");
    }
}

#[tokio::test]
async fn tombstones_for_other_resources() {
    let t = start().await;
    let v = t.post("/v1/visits", visit_body(&t).await).await.body;
    let id = v["id"].as_str().unwrap();
    let cursor = v["updated_at"].as_str().unwrap().to_string();
    t.control(Method::DELETE, &format!("/v1/_test/visits/{id}"), None)
        .await;
    let r = t
        .all(&format!(
            "/v1/visits?updated_since={cursor}&include_deleted=true"
        ))
        .await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["id"], id);
    assert!(r[0]["deleted_at"].is_string());
    // Deleting twice or deleting nothing is a 404.
    let again = t
        .req(
            Method::DELETE,
            &format!("/v1/_test/visits/{id}"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_error(&again, 404, "not_found");
    let unknown = t
        .req(Method::DELETE, "/v1/_test/unicorns/x", Some(ADMIN), None)
        .await;
    assert_error(&unknown, 404, "not_found");
}

#[tokio::test]
async fn server_side_modification_bumps_updated_at() {
    let t = start().await;
    let res = t.first("/v1/residents").await;
    let id = res["id"].as_str().unwrap();
    let r = t
        .control(
            Method::PATCH,
            &format!("/v1/_test/residents/{id}"),
            Some(json!({"full_name": "Renamed Person", "dnar_status": "dnar"})),
        )
        .await;
    assert_eq!(r.body["full_name"], "Renamed Person");
    let changed = t
        .all(&format!(
            "/v1/residents?updated_since={}",
            res["updated_at"].as_str().unwrap()
        ))
        .await;
    assert!(changed
        .iter()
        .any(|r| r["id"] == id && r["full_name"] == "Renamed Person"));
    let bad = t
        .req(
            Method::PATCH,
            &format!("/v1/_test/residents/{id}"),
            Some(ADMIN),
            Some(json!({"id": "x", "nope": 1})),
        )
        .await;
    assert_error(&bad, 422, "validation_failed");
    assert_eq!(bad.body["error"]["fields"]["id"], "read_only");
    assert_eq!(bad.body["error"]["fields"]["nope"], "unknown_field");
    let bad = t
        .req(
            Method::PATCH,
            &format!("/v1/_test/residents/{id}"),
            Some(ADMIN),
            Some(json!({"status": "flying"})),
        )
        .await;
    assert_error(&bad, 422, "validation_failed");
}
