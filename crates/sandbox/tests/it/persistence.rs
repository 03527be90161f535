//! --data FILE keeps everything across restarts.

use reqwest::Method;
use serde_json::json;

use crate::common::*;
use loopdesk_sandbox::{Sandbox, SandboxConfig};

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sandbox.db");
    let mut cfg = config();
    cfg.data_file = Some(file.clone());
    let t = start_with(cfg.clone()).await;
    let visit = t.post("/v1/visits", visit_body(&t).await).await.body;
    let res = t.first("/v1/residents").await;
    let patched = t
        .patch(
            &format!("/v1/residents/{}", res["id"].as_str().unwrap()),
            json!({"room_number": "77"}),
        )
        .await
        .body;
    let gone = t.first("/v1/incidents").await;
    t.control(
        Method::DELETE,
        &format!("/v1/_test/incidents/{}", gone["id"].as_str().unwrap()),
        None,
    )
    .await;
    let idem = into_resp(
        t.http
            .post(t.url("/v1/visitor-sign-ins"))
            .bearer_auth(ADMIN)
            .header("Idempotency-Key", "persisted")
            .json(
                &json!({"location_id": visit["location_id"], "visitor_name": "V", "purpose": "p"}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    let residents = t.all("/v1/residents").await;
    within("shutdown", t.sb.shutdown()).await.unwrap();

    // Another seed would generate other data: the file wins.
    cfg.seed = 4242;
    let t = start_with(cfg).await;
    assert_eq!(t.all("/v1/residents").await, residents);
    assert_eq!(
        t.get(&format!("/v1/visits/{}", visit["id"].as_str().unwrap()))
            .await
            .body,
        visit
    );
    assert_eq!(
        t.get(&format!("/v1/residents/{}", res["id"].as_str().unwrap()))
            .await
            .body,
        patched
    );
    assert_error(
        &t.get(&format!("/v1/incidents/{}", gone["id"].as_str().unwrap()))
            .await,
        404,
        "not_found",
    );
    let tomb = t
        .all(&format!(
            "/v1/incidents?include_deleted=true&updated_since={}",
            gone["updated_at"].as_str().unwrap()
        ))
        .await;
    assert!(tomb
        .iter()
        .any(|i| i["id"] == gone["id"] && i["deleted_at"].is_string()));
    let replay = into_resp(
        t.http
            .post(t.url("/v1/visitor-sign-ins"))
            .bearer_auth(ADMIN)
            .header("Idempotency-Key", "persisted")
            .json(
                &json!({"location_id": visit["location_id"], "visitor_name": "V", "purpose": "p"}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(replay.body, idem.body, "idempotency records survive too");
    // The audit log kept the earlier requests.
    let audit = t
        .get(&format!(
            "/v1/audit-log?resource_id={}",
            visit["id"].as_str().unwrap()
        ))
        .await;
    assert!(audit.body["meta"]["total"].as_u64().unwrap() >= 2);
}

#[tokio::test]
async fn the_generated_admin_key_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SandboxConfig {
        data_file: Some(dir.path().join("k.db")),
        ..SandboxConfig::default()
    };
    let sb = Sandbox::start(cfg.clone()).await.unwrap();
    let token = sb.keys()[0].token.clone();
    assert_eq!(sb.keys()[0].scopes, vec!["admin".to_string()]);
    within("shutdown", sb.shutdown()).await.unwrap();
    let sb = Sandbox::start(cfg).await.unwrap();
    assert_eq!(sb.keys()[0].token, token);
    let r = client()
        .get(format!("{}/v1/residents", sb.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junk.db");
    std::fs::write(
        &file,
        b"this is not sqlite, just some text that is long enough to matter........",
    )
    .unwrap();
    let cfg = SandboxConfig {
        data_file: Some(file),
        ..SandboxConfig::default()
    };
    let err = Sandbox::start(cfg).await.err().expect("refused");
    assert!(err.to_string().contains("storage"), "{err}");
}

/// Stamps stay strictly increasing across a restart: the last one, kept in a row of its own
/// (each request stamps its audit entry), is read back, so a write after the restart is stamped
/// after everything before it even when the clock is behind (as after a test moved it on).
#[tokio::test]
async fn stamps_keep_increasing_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.data_file = Some(dir.path().join("sandbox.db"));
    let t = start_with(cfg.clone()).await;
    let res = t.first("/v1/residents").await;
    let id = res["id"].as_str().unwrap().to_owned();
    // A day on: the next request is stamped then.
    t.advance(24 * 3600).await;
    let before = t
        .patch(&format!("/v1/residents/{id}"), json!({"room_number": "78"}))
        .await
        .body;
    // Requests that only stamp their audit entry.
    t.get("/v1/residents").await;
    t.get("/v1/staff").await;
    let audit = t.all("/v1/audit-log").await;
    let last = audit
        .iter()
        .filter_map(|e| e["at"].as_str())
        .max()
        .unwrap()
        .to_owned();
    assert!(last.as_str() > before["updated_at"].as_str().unwrap());
    within("shutdown", t.sb.shutdown()).await.unwrap();

    // The clock is a day behind the last stamp after the restart.
    let t = start_with(cfg).await;
    let after = t
        .patch(&format!("/v1/residents/{id}"), json!({"room_number": "79"}))
        .await
        .body;
    assert!(
        after["updated_at"].as_str().unwrap() > last.as_str(),
        "{} after {last}",
        after["updated_at"]
    );
}
