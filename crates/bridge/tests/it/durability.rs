//! Durability: the real binary, killed with SIGKILL right after acknowledging, loses nothing.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use loopdesk_bridge::{Scheme, Store};
use reqwest::StatusCode;

use crate::common::{client, delivery, ids, now};

struct Bridge {
    child: Child,
    base: String,
}

fn start(db: &Path) -> Bridge {
    start_logging(db, "warn", Stdio::null())
}

fn start_logging(db: &Path, level: &str, stderr: Stdio) -> Bridge {
    let mut child = Command::new(env!("CARGO_BIN_EXE_loopdesk-bridge"))
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .env("RUST_LOG", level)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("spawn bridge");
    // The first stdout line says where it listens: wait for it, not for a fixed time.
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("read listening line");
    let v: serde_json::Value = serde_json::from_str(&line).expect("listening JSON line");
    Bridge {
        child,
        base: format!("http://{}", v["listening"].as_str().unwrap()),
    }
}

#[tokio::test]
async fn acknowledged_webhooks_survive_kill_dash_nine() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bridge.db");
    let (ep, dev) = {
        let store = Store::open(&db).unwrap();
        (
            store.add_endpoint("org_a", Scheme::CareLoop, None).unwrap(),
            store.add_device("org_a", "desk").unwrap(),
        )
    };
    let mut bridge = start(&db);
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
    while let Some((i, ok)) = rx.recv().await {
        if ok {
            acked.push(format!("evt_{i}"));
        }
        if acked.len() >= 10 && !killed {
            bridge.child.kill().expect("SIGKILL");
            killed = true;
        }
    }
    assert!(killed && acked.len() >= 10);
    bridge.child.wait().unwrap();

    let mut again = start(&db);
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
    again.child.kill().unwrap();
    again.child.wait().unwrap();
}

#[tokio::test]
async fn sigterm_stops_gracefully_and_keeps_what_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bridge.db");
    let (ep, dev) = {
        let store = Store::open(&db).unwrap();
        (
            store.add_endpoint("org_a", Scheme::LifeLoop, None).unwrap(),
            store.add_device("org_a", "desk").unwrap(),
        )
    };
    let mut bridge = start(&db);
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

    let term = Command::new("kill")
        .args(["-TERM", &bridge.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = bridge.child.wait().unwrap();
    assert!(status.success(), "graceful exit, got {status:?}");

    let mut again = start(&db);
    let resp = http
        .get(format!("{}/v1/events", again.base))
        .bearer_auth(&dev.token)
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&resp.json().await.unwrap()), vec!["evt_term"]);
    again.child.kill().unwrap();
    again.child.wait().unwrap();
}

#[tokio::test]
async fn secrets_and_tokens_never_reach_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bridge.db");
    let log = dir.path().join("stderr.log");
    let (ep, dev) = {
        let store = Store::open(&db).unwrap();
        (
            store.add_endpoint("org_a", Scheme::Standard, None).unwrap(),
            store.add_device("org_a", "desk").unwrap(),
        )
    };
    let stderr = std::fs::File::create(&log).unwrap();
    let mut bridge = start_logging(&db, "trace", Stdio::from(stderr));
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
    let term = Command::new("kill")
        .args(["-TERM", &bridge.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    assert!(bridge.child.wait().unwrap().success());

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
