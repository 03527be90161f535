//! `/healthz`, `/metrics`, `/openapi.json`, retention.

use rstest::rstest;
use std::time::Duration;

use loopdesk_bridge::{EventStore as _, Scheme};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{
    delivery, ids, metric_value, now, within, Backend, TestServer, POSTGRES, SQLITE,
};

#[rstest]
#[tokio::test]
async fn healthz_answers_ok(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let server = TestServer::start(backend).await;
    let resp = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        serde_json::json!({
            "status": "ok",
            "store": match backend {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgresql",
            }
        })
    );
}

#[rstest]
#[tokio::test]
async fn metrics_count_received_refused_by_reason_served_and_store_latency(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let ep = server
        .store
        .add_endpoint("org_a", Scheme::CareLoop, None)
        .await
        .unwrap();
    let dev = server.store.add_device("org_a", "desk").await.unwrap();
    let good = delivery(
        Scheme::CareLoop,
        &ep.secret,
        "e1",
        "incident.critical",
        now(),
    );
    assert_eq!(server.deliver(&ep.path, &good).await.0, StatusCode::OK);
    assert_eq!(
        server.deliver(&ep.path, &good.clone().tampered()).await.0,
        StatusCode::UNAUTHORIZED
    );
    let stale = delivery(
        Scheme::CareLoop,
        &ep.secret,
        "e2",
        "incident.critical",
        now() - 3600,
    );
    assert_eq!(
        server.deliver(&ep.path, &stale).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server.deliver("/hooks/ep_nope", &good).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(server.poll(&dev.token, "").await.0, StatusCode::OK);

    let resp = server
        .client
        .get(format!("{}/metrics", server.metrics_base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = resp.text().await.unwrap();
    let expect = [
        ("bridge_webhooks_received_total", 4.0),
        ("bridge_webhooks_accepted_total{result=\"stored\"}", 1.0),
        (
            "bridge_webhooks_refused_total{reason=\"invalid_signature\"}",
            1.0,
        ),
        (
            "bridge_webhooks_refused_total{reason=\"timestamp_out_of_tolerance\"}",
            1.0,
        ),
        (
            "bridge_webhooks_refused_total{reason=\"unknown_endpoint\"}",
            1.0,
        ),
        ("bridge_events_served_total", 1.0),
        ("bridge_long_polls_open", 0.0),
        ("bridge_store_latency_seconds_count{op=\"insert\"}", 1.0),
    ];
    for (series, value) in expect {
        assert_eq!(metric_value(&text, series), value, "{series}\n{text}");
    }
    assert!(text.contains("# TYPE bridge_store_latency_seconds histogram"));
    assert!(text.contains("# TYPE bridge_long_polls_open gauge"));
}

/// Every path and method of the document, sorted.
fn documented(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.push((method.to_uppercase(), path.clone()));
        }
    }
    out.sort();
    out
}

#[rstest]
#[tokio::test]
async fn openapi_document_is_3_1_and_matches_the_served_routes(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let ep = server
        .store
        .add_endpoint("org_a", Scheme::Loop, None)
        .await
        .unwrap();
    let dev = server.store.add_device("org_a", "desk").await.unwrap();
    let resp = server
        .client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: Value = resp.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    // The served document is the one the library describes.
    assert_eq!(
        doc,
        serde_json::to_value(loopdesk_bridge::openapi()).unwrap()
    );

    let routes = documented(&doc);
    // The same for both stores: asserted once per store in one process.
    insta::allow_duplicates! {
        insta::assert_debug_snapshot!(routes, @r#"
    [
        (
            "GET",
            "/healthz",
        ),
        (
            "GET",
            "/openapi.json",
        ),
        (
            "GET",
            "/v1/events",
        ),
        (
            "POST",
            "/hooks/{endpoint_id}",
        ),
    ]
    "#);
    }
    // Each documented route is served: a request reaches its handler (a JSON answer or 2xx),
    // never the router's bare 404/405.
    for (method, path) in &routes {
        let url = server.url(&path.replace("{endpoint_id}", &ep.endpoint_id));
        let req = match method.as_str() {
            "GET" => server.client.get(url).bearer_auth(&dev.token),
            "POST" => server.client.post(url).body("{}"),
            other => panic!("undocumented method {other}"),
        };
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let body = resp.text().await.unwrap();
        assert!(
            status.is_success() || body.contains("\"error\""),
            "{method} {path}: {status} {body}"
        );
    }
    // And an undocumented route is not served.
    let resp = server
        .client
        .get(server.url("/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = server
        .client
        .get(server.url(&ep.path))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    // The documented schemas include the feed's event fields.
    let fields: Vec<&str> = doc["components"]["schemas"]["FeedEvent"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for f in [
        "cursor",
        "id",
        "org",
        "source",
        "type",
        "occurred_at",
        "received_at",
        "resource_id",
        "data",
    ] {
        assert!(fields.contains(&f), "FeedEvent lacks {f}");
    }
}

#[rstest]
#[tokio::test]
async fn purge_deletes_only_events_received_before_the_cutoff(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let ep = server
        .store
        .add_endpoint("org_a", Scheme::CareLoop, None)
        .await
        .unwrap();
    let dev = server.store.add_device("org_a", "desk").await.unwrap();
    let d = delivery(
        Scheme::CareLoop,
        &ep.secret,
        "e1",
        "incident.critical",
        now(),
    );
    assert_eq!(server.deliver(&ep.path, &d).await.0, StatusCode::OK);
    let hour = chrono::Duration::hours(1);
    let purge = server
        .store
        .purge_received_before(chrono::Utc::now() - hour);
    let kept = within("the purge", purge).await.unwrap();
    assert_eq!(kept, 0);
    assert_eq!(ids(&server.poll(&dev.token, "").await.1), vec!["e1"]);
    let purge = server
        .store
        .purge_received_before(chrono::Utc::now() + hour);
    let purged = within("the purge", purge).await.unwrap();
    assert_eq!(purged, 1);
    assert!(ids(&server.poll(&dev.token, "").await.1).is_empty());
}

#[rstest]
#[tokio::test]
async fn the_periodic_purge_applies_the_retention(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let server = TestServer::with_config(backend, |c| {
        c.retention = Duration::ZERO;
        c.purge_interval = Duration::from_millis(20);
    })
    .await;
    let ep = server
        .store
        .add_endpoint("org_a", Scheme::CareLoop, None)
        .await
        .unwrap();
    let dev = server.store.add_device("org_a", "desk").await.unwrap();
    let d = delivery(
        Scheme::CareLoop,
        &ep.secret,
        "e1",
        "incident.critical",
        now(),
    );
    assert_eq!(server.deliver(&ep.path, &d).await.0, StatusCode::OK);
    // Wait for the purge task to remove it (bounded; it runs every 20 ms).
    for _ in 0..5_000 {
        if ids(&server.poll(&dev.token, "").await.1).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the retention purge never removed the event");
}

#[rstest]
#[tokio::test]
async fn events_within_retention_are_kept_by_the_periodic_purge(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::with_config(backend, |c| {
        c.purge_interval = Duration::from_millis(10);
    })
    .await;
    let ep = server
        .store
        .add_endpoint("org_a", Scheme::CareLoop, None)
        .await
        .unwrap();
    let dev = server.store.add_device("org_a", "desk").await.unwrap();
    let d = delivery(
        Scheme::CareLoop,
        &ep.secret,
        "e1",
        "incident.critical",
        now(),
    );
    assert_eq!(server.deliver(&ep.path, &d).await.0, StatusCode::OK);
    // Hold a poll open across many purge runs; the event is still there afterwards.
    let (_, page) = server.poll(&dev.token, "?after=1000&wait=1").await;
    assert!(ids(&page).is_empty());
    assert_eq!(ids(&server.poll(&dev.token, "").await.1), vec!["e1"]);
}

#[rstest]
#[tokio::test]
async fn a_purge_larger_than_one_chunk_removes_everything_due(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let dev = server.store.add_device("org_a", "desk").await.unwrap();
    let inserts = (0..4500).map(|i| {
        server.store.insert_event(loopdesk_bridge::store::NewEvent {
            org: "org_a".into(),
            source: "careloop".into(),
            id: format!("evt_{i}"),
            endpoint_id: "ep_x".into(),
            event_type: "incident.created".into(),
            occurred_at: None,
            resource_id: None,
            data: "{}".into(),
            remember_until: None,
        })
    });
    for r in within("4500 inserts", futures::future::join_all(inserts)).await {
        assert!(matches!(
            r.unwrap(),
            loopdesk_bridge::store::Inserted::Stored(_)
        ));
    }
    let hour = chrono::Duration::hours(1);
    let purge = server
        .store
        .purge_received_before(chrono::Utc::now() + hour);
    let purged = within("the purge", purge).await.unwrap();
    assert_eq!(purged, 4500);
    assert!(ids(&server.poll(&dev.token, "").await.1).is_empty());
}

#[rstest]
#[tokio::test]
async fn metrics_are_served_on_their_own_listener_only(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let dev = server.store.add_device("org_a", "desk").await.unwrap();
    for auth in [None, Some(dev.token.as_str())] {
        let mut req = server.client.get(server.url("/metrics"));
        if let Some(token) = auth {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert!(!resp.text().await.unwrap().contains("bridge_"));
    }
    let resp = server
        .client
        .get(format!("{}/metrics", server.metrics_base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("# TYPE bridge_long_polls_open gauge"));
    // The metrics listener serves nothing else.
    let resp = server
        .client
        .get(format!("{}/v1/events", server.metrics_base))
        .bearer_auth(&dev.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[rstest]
#[tokio::test]
async fn the_binary_serves_metrics_only_with_metrics_listen_and_only_there(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = backend.fresh(dir.path()).await;
    let http = crate::common::client();
    let without = crate::common::BridgeProcess::start(&db).await;
    assert_eq!(without.metrics_base, None);
    let resp = http.get(format!("{}/metrics", without.base)).send().await;
    assert_eq!(resp.unwrap().status(), StatusCode::NOT_FOUND);
    drop(without);

    let with =
        crate::common::BridgeProcess::start_args(&db, &["--metrics-listen", "127.0.0.1:0"]).await;
    let metrics = with
        .metrics_base
        .clone()
        .expect("the metrics address is printed");
    assert_ne!(metrics, with.base);
    let resp = http.get(format!("{}/metrics", with.base)).send().await;
    assert_eq!(resp.unwrap().status(), StatusCode::NOT_FOUND);
    let resp = http.get(format!("{metrics}/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("bridge_webhooks_received_total"));
}
