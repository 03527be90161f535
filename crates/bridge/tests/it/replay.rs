//! Replays: an event is known by the id in its signed content only, its id is remembered after
//! the event is purged, and an event older than the retention is refused.

use loopdesk_bridge::schemes::sign_hex;
use loopdesk_bridge::{EventStore as _, Scheme};
use reqwest::StatusCode;
use rstest::rstest;
use serde_json::json;

use crate::common::{
    delivery, delivery_at, ids, now, rfc3339, within, Backend, Delivery, TestServer, POSTGRES,
    SQLITE,
};

const DAY: i64 = 24 * 60 * 60;

struct Setup {
    server: TestServer,
    path: String,
    secret: String,
    token: String,
}

async fn setup(backend: Backend, scheme: Scheme) -> Setup {
    let server = TestServer::start(backend).await;
    let ep = server
        .store
        .add_endpoint("org_a", scheme, None)
        .await
        .unwrap();
    let dev = server.store.add_device("org_a", "desk").await.unwrap();
    Setup {
        server,
        path: ep.path,
        secret: ep.secret,
        token: dev.token,
    }
}

impl Setup {
    async fn send(&self, d: &Delivery) -> (StatusCode, serde_json::Value) {
        self.server.deliver(&self.path, d).await
    }

    async fn stored_ids(&self) -> Vec<String> {
        let (status, page) = self.server.poll(&self.token, "?limit=1000").await;
        assert_eq!(status, StatusCode::OK);
        ids(&page)
    }

    /// Deletes every stored event, as the retention purge does once they are old enough.
    async fn purge_all(&self) {
        let later = chrono::Utc::now() + chrono::Duration::hours(1);
        let purge = self.server.store.purge_received_before(later);
        within("the purge", purge).await.unwrap();
        assert!(self.stored_ids().await.is_empty());
    }
}

#[rstest]
#[tokio::test]
async fn unsigned_id_headers_never_make_a_captured_delivery_into_new_events(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let s = setup(backend, Scheme::Loop).await;
    // A signed delivery whose body has no id, replayed with ten different id headers.
    let body = json!({"type": "incident.critical", "occurred_at": rfc3339(now()),
                      "data": {"id": "bm_1"}})
    .to_string()
    .into_bytes();
    let sig = sign_hex(&s.secret, &body);
    for i in 0..10 {
        let d = Delivery {
            headers: vec![
                ("X-Loop-Signature".into(), sig.clone()),
                ("X-Loop-Event-Id".into(), format!("evt_forged_{i}")),
                ("X-Loop-Event-Type".into(), "incident.critical".into()),
            ],
            body: body.clone(),
        };
        let (status, answer) = s.send(&d).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["code"], "missing_event_id");
    }
    assert!(s.stored_ids().await.is_empty());
    assert_eq!(
        s.server
            .metric("bridge_webhooks_refused_total{reason=\"missing_event_id\"}")
            .await,
        10.0
    );

    // A delivery with a signed id, replayed with ten other id headers: still one event.
    let d = delivery(
        Scheme::Loop,
        &s.secret,
        "evt_real",
        "incident.critical",
        now(),
    );
    assert_eq!(s.send(&d).await.1["status"], "stored");
    for i in 0..10 {
        let replay = d
            .clone()
            .with_header("X-Loop-Event-Id", &format!("evt_forged_{i}"));
        let (status, answer) = s.send(&replay).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["code"], "invalid_event");
    }
    let (_, answer) = s.send(&d.clone().without("X-Loop-Event-Id")).await;
    assert_eq!(answer["status"], "duplicate");
    assert_eq!(s.stored_ids().await, vec!["evt_real"]);
}

#[rstest]
#[tokio::test]
async fn a_replay_after_the_retention_purge_is_a_duplicate(
    #[values(SQLITE, POSTGRES)] backend: Backend,
    #[values(Scheme::CareLoop, Scheme::Standard, Scheme::LifeLoop, Scheme::Loop)] scheme: Scheme,
) {
    let s = setup(backend, scheme).await;
    let d = delivery(scheme, &s.secret, "evt_p", "incident.critical", now());
    assert_eq!(s.send(&d).await.1["status"], "stored");
    s.purge_all().await;
    let (status, answer) = s.send(&d).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["status"], "duplicate");
    assert!(
        s.stored_ids().await.is_empty(),
        "the replay was stored again"
    );
}

#[rstest]
#[tokio::test]
async fn ids_are_forgotten_only_once_a_replay_would_be_refused_anyway(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let s = setup(backend, Scheme::LifeLoop).await;
    let store = &s.server.store;
    let dated = delivery(Scheme::LifeLoop, &s.secret, "evt_dated", "t", now());
    let undated_body = json!({"eventId": "evt_undated", "eventType": "t"})
        .to_string()
        .into_bytes();
    let undated = Delivery {
        headers: vec![(
            "X-LifeLoop-Signature".into(),
            sign_hex(&s.secret, &undated_body),
        )],
        body: undated_body,
    };
    assert_eq!(s.send(&dated).await.1["status"], "stored");
    assert_eq!(s.send(&undated).await.1["status"], "stored");
    s.purge_all().await;

    // Within the retention nothing is forgotten.
    let in_six_days = chrono::Utc::now() + chrono::Duration::days(6);
    assert_eq!(store.forget_seen_ids(in_six_days).await.unwrap(), 0);
    assert_eq!(s.send(&dated).await.1["status"], "duplicate");
    // Past the retention (and the tolerance) the dated id goes: a replay is refused as too old
    // from then on. The undated one is kept for good: nothing else would refuse its replay.
    let in_eight_days = chrono::Utc::now() + chrono::Duration::days(8);
    assert_eq!(store.forget_seen_ids(in_eight_days).await.unwrap(), 1);
    let in_a_century = chrono::Utc::now() + chrono::Duration::days(36_500);
    assert_eq!(store.forget_seen_ids(in_a_century).await.unwrap(), 0);
    assert_eq!(s.send(&undated).await.1["status"], "duplicate");
    assert!(s.stored_ids().await.is_empty());
}

#[rstest]
#[tokio::test]
async fn an_event_older_than_the_retention_is_refused(
    #[values(SQLITE, POSTGRES)] backend: Backend,
    #[values(Scheme::CareLoop, Scheme::Standard, Scheme::LifeLoop, Scheme::Loop)] scheme: Scheme,
) {
    // The default retention is 7 days (and the tolerance 5 minutes).
    let s = setup(backend, scheme).await;
    let t = now();
    let old = delivery_at(
        scheme,
        &s.secret,
        "evt_old",
        "t",
        t,
        &rfc3339(t - 7 * DAY - 400),
    );
    let (status, answer) = s.send(&old).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"]["code"], "event_too_old");
    let recent = delivery_at(
        scheme,
        &s.secret,
        "evt_recent",
        "t",
        t,
        &rfc3339(t - 6 * DAY),
    );
    assert_eq!(s.send(&recent).await.1["status"], "stored");
    assert_eq!(s.stored_ids().await, vec!["evt_recent"]);
    assert_eq!(
        s.server
            .metric("bridge_webhooks_refused_total{reason=\"event_too_old\"}")
            .await,
        1.0
    );
}
