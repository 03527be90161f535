//! Durability: the real binary, killed with SIGKILL right after acknowledging, loses nothing.

use rstest::rstest;
use std::process::Stdio;

use loopdesk_bridge::Scheme;
use reqwest::StatusCode;

use crate::common::{client, delivery, ids, now, within, Backend, BridgeProcess, POSTGRES, SQLITE};

#[rstest]
#[tokio::test]
async fn acknowledged_webhooks_survive_kill_dash_nine(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = backend.fresh(dir.path()).await;
    let (ep, dev) = {
        let store = db.open().await;
        (
            store
                .add_endpoint("org_a", Scheme::CareLoop, None)
                .await
                .unwrap(),
            store.add_device("org_a", "desk").await.unwrap(),
        )
    };
    let mut bridge = BridgeProcess::start(&db).await;
    let http = client();

    // Many concurrent deliveries; SIGKILL as soon as ten have been acknowledged.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..40 {
        let d = delivery(
            Scheme::CareLoop,
            &ep.secret,
            &format!("evt_{i}"),
            "incident.critical",
            now(),
        );
        let req = http
            .post(format!("{}{}", bridge.base, ep.path))
            .body(d.body);
        let req = d.headers.iter().fold(req, |r, (k, v)| r.header(k, v));
        let tx = tx.clone();
        tokio::spawn(async move {
            let ok = matches!(req.send().await, Ok(r) if r.status() == StatusCode::OK);
            let _ = tx.send((i, ok));
        });
    }
    drop(tx);
    let mut acked = Vec::new();
    let mut killed = false;
    while let Some((i, ok)) = within("the deliveries' answers", rx.recv()).await {
        if ok {
            acked.push(format!("evt_{i}"));
        }
        if acked.len() >= 10 && !killed {
            bridge.kill().await;
            killed = true;
        }
    }
    assert!(killed && acked.len() >= 10);

    let again = BridgeProcess::start(&db).await;
    let resp = http
        .get(format!("{}/v1/events?limit=1000", again.base))
        .bearer_auth(&dev.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let served = ids(&resp.json().await.unwrap());
    for id in &acked {
        assert!(
            served.contains(id),
            "acknowledged {id} was lost; served {served:?}"
        );
    }
    // Dropping `again` kills and reaps the second process.
}

#[rstest]
#[tokio::test]
async fn sigterm_stops_gracefully_and_keeps_what_was_acknowledged(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = backend.fresh(dir.path()).await;
    let (ep, dev) = {
        let store = db.open().await;
        (
            store
                .add_endpoint("org_a", Scheme::LifeLoop, None)
                .await
                .unwrap(),
            store.add_device("org_a", "desk").await.unwrap(),
        )
    };
    let mut bridge = BridgeProcess::start(&db).await;
    let http = client();
    let d = delivery(
        Scheme::LifeLoop,
        &ep.secret,
        "evt_term",
        "visit.no_show",
        now(),
    );
    let req = http
        .post(format!("{}{}", bridge.base, ep.path))
        .body(d.body.clone());
    let req = d.headers.iter().fold(req, |r, (k, v)| r.header(k, v));
    assert_eq!(req.send().await.unwrap().status(), StatusCode::OK);

    let status = bridge.terminate().await;
    assert!(status.success(), "graceful exit, got {status:?}");

    let again = BridgeProcess::start(&db).await;
    let resp = http
        .get(format!("{}/v1/events", again.base))
        .bearer_auth(&dev.token)
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&resp.json().await.unwrap()), vec!["evt_term"]);
    // Dropping `again` kills and reaps the second process.
}

#[rstest]
#[tokio::test]
async fn secrets_and_tokens_never_reach_the_log(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = backend.fresh(dir.path()).await;
    let log = dir.path().join("stderr.log");
    let (ep, dev) = {
        let store = db.open().await;
        (
            store
                .add_endpoint("org_a", Scheme::Standard, None)
                .await
                .unwrap(),
            store.add_device("org_a", "desk").await.unwrap(),
        )
    };
    let stderr = std::fs::File::create(&log).unwrap();
    let mut bridge = BridgeProcess::start_logging(&db, "trace", Stdio::from(stderr)).await;
    let http = client();
    let url = format!("{}{}", bridge.base, ep.path);
    let good = delivery(
        Scheme::Standard,
        &ep.secret,
        "msg_1",
        "incident.critical",
        now(),
    );
    let bad = good.clone().tampered();
    for (d, expected) in [(good, StatusCode::OK), (bad, StatusCode::UNAUTHORIZED)] {
        let req = http.post(&url).body(d.body.clone());
        let req = d.headers.iter().fold(req, |r, (k, v)| r.header(k, v));
        assert_eq!(req.send().await.unwrap().status(), expected);
    }
    let resp = http
        .get(format!("{}/v1/events", bridge.base))
        .bearer_auth(&dev.token)
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&resp.json().await.unwrap()), vec!["msg_1"]);
    assert!(bridge.terminate().await.success());

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("webhook refused"),
        "the log was captured: {text}"
    );
    let key_b64 = ep.secret.trim_start_matches("whsec_");
    for secret in [ep.secret.as_str(), key_b64, dev.token.as_str()] {
        assert!(!text.contains(secret), "a secret reached the log");
    }
}
