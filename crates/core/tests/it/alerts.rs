//! Alerts through the polling bridge: a real `loopdesk-bridge` on 127.0.0.1 and a real SQLite
//! file. Events are posted to the bridge as CareLoop would (signed webhooks).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use loopdesk_bridge::{Config, Scheme};
use loopdesk_core::alerts::{
    settings, AlertEvent, Alerts, AlertsConfig, Clock, FeedState, OffsetClock, Refresh,
    DEVICE_TOKEN,
};
use loopdesk_core::ipc::Code;
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::{MemorySecretStore, SecretStore};
use loopdesk_core::store::repo;
use loopdesk_core::sync::Resource;
use loopdesk_core::Store;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Generous: waits end as soon as the thing is there.
const DEADLINE: Duration = Duration::from_secs(30);

pub async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let end = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A bridge server with one careloop endpoint and one device, restartable on the same address
/// and file.
pub struct TestBridge {
    pub url: String,
    pub addr: SocketAddr,
    pub db: PathBuf,
    pub hook: String,
    pub secret: String,
    pub token: String,
    stop: Option<(CancellationToken, tokio::task::JoinHandle<()>)>,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl TestBridge {
    pub async fn start() -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("bridge.db");
        let store = loopdesk_bridge::Store::open(&db).unwrap();
        let ep = store
            .add_endpoint("org_test", Scheme::CareLoop, None)
            .unwrap();
        let dev = store.add_device("org_test", "front desk").unwrap();
        drop(store);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut b = Self {
            url: format!("http://{addr}"),
            addr,
            db,
            hook: format!("http://{addr}{}", ep.path),
            secret: ep.secret,
            token: dev.token,
            stop: None,
            _dir: dir,
            http: reqwest::Client::new(),
        };
        b.serve(listener);
        b
    }

    fn serve(&mut self, listener: TcpListener) {
        let token = CancellationToken::new();
        let t = token.clone();
        let config = Config::new(&self.db);
        let task = tokio::spawn(async move {
            loopdesk_bridge::run(config, listener, t).await.unwrap();
        });
        self.stop = Some((token, task));
    }

    pub async fn stop(&mut self) {
        if let Some((token, task)) = self.stop.take() {
            token.cancel();
            task.await.unwrap();
        }
    }

    /// Serves again on the same address and file.
    pub async fn restart(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }

    /// Posts a signed CareLoop webhook; returns the bridge's status code.
    pub async fn post(&self, id: &str, kind: &str, data: Value) -> u16 {
        // Recent: the bridge refuses events that happened longer ago than it keeps events.
        let occurred = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
        let body = json!({
            "id": id, "type": kind,
            "occurred_at": occurred.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "organization_id": "org_test", "data": data,
        })
        .to_string();
        let t = chrono::Utc::now().timestamp();
        self.http
            .post(&self.hook)
            .header("Content-Type", "application/json")
            .header("X-CareLoop-Event", kind)
            .header(
                "X-CareLoop-Signature",
                loopdesk_bridge::schemes::sign_careloop(&self.secret, t, body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

impl Drop for TestBridge {
    fn drop(&mut self) {
        if let Some((token, _)) = self.stop.take() {
            token.cancel();
        }
    }
}

fn fast(clock: Arc<dyn Clock>) -> AlertsConfig {
    AlertsConfig {
        wait: Duration::from_secs(1),
        retry_min: Duration::from_millis(20),
        retry_max: Duration::from_millis(160),
        check_every: Duration::from_millis(20),
        clock,
        ..AlertsConfig::default()
    }
}

type Refreshed = Arc<Mutex<Vec<Resource>>>;

fn recorder() -> (Refresh, Refreshed) {
    let seen: Refreshed = Arc::default();
    let s = seen.clone();
    (Arc::new(move |r| s.lock().unwrap().push(r)), seen)
}

/// A desk's alerts service pointed at `bridge` (token in the secret store, URL in settings).
async fn alerts_for(
    store: Arc<Store>,
    bridge: &TestBridge,
    config: AlertsConfig,
) -> (Arc<Alerts>, Refreshed) {
    let secrets = Arc::new(MemorySecretStore::new());
    secrets
        .set(DEVICE_TOKEN, &Secret::new(bridge.token.clone()))
        .unwrap();
    store
        .write(|tx| repo::settings::set_setting(tx, settings::BRIDGE_URL, &bridge.url))
        .unwrap();
    let (refresh, seen) = recorder();
    let alerts = Alerts::start(
        store,
        secrets,
        refresh,
        config,
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    (alerts, seen)
}

fn open_store(dir: &tempfile::TempDir) -> Arc<Store> {
    Arc::new(Store::open(dir.path().join("loopdesk.db")).unwrap())
}

fn count_events(store: &Store) -> u32 {
    store
        .read(repo::bridge_events::count_bridge_events)
        .unwrap()
}

/// Residents, staff and a location in the cache, for the alerts' words.
fn seed_cache(store: &Store) {
    store
        .write(|tx| {
            tx.execute_batch(
                "INSERT INTO locations (id, name, updated_at)
                     VALUES ('loc_1', 'Rosewood House', '2026-11-22T08:00:00.000Z');
                 INSERT INTO residents (id, full_name, preferred_name, room_number, status,
                                        location_id, updated_at)
                     VALUES ('res_1', 'Margaret Anne Wilson', 'Margaret Wilson', '12', 'current',
                             'loc_1', '2026-11-22T08:00:00.000Z');
                 INSERT INTO staff (id, full_name, role, location_id, updated_at)
                     VALUES ('stf_1', 'Sam Carter', 'carer', 'loc_1', '2026-11-22T08:00:00.000Z');",
            )?;
            Ok(())
        })
        .unwrap();
}

fn critical(incident: &str) -> Value {
    json!({"incident_id": incident, "severity": "critical", "type": "fall",
           "resident_id": "res_1", "location_id": "loc_1", "title": "Witnessed fall in lounge"})
}

fn no_show(visit: &str) -> Value {
    json!({"visit_id": visit, "staff_user_id": "stf_1", "resident_id": "res_1",
           "location_id": "loc_1", "starts_at": "2026-11-22T09:00:00Z", "status": "no_show",
           "visit_type": "personal_care"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_stored_once_and_only_the_two_kinds_raise_alerts() {
    let bridge = TestBridge::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    seed_cache(&store);
    let (alerts, refreshed) =
        alerts_for(store.clone(), &bridge, fast(Arc::new(OffsetClock::new()))).await;
    let mut watch = alerts.watch();

    let events = [
        ("evt_crit", "incident.critical", critical("inc_1")),
        ("evt_noshow", "visit.no_show", no_show("vis_1")),
        ("evt_created", "incident.created", critical("inc_1")),
        ("evt_fall", "fall.logged", critical("inc_1")),
        (
            "evt_cert",
            "cert.expiring",
            json!({"certification_id": "crt_1"}),
        ),
        (
            "evt_res",
            "resident.updated",
            json!({"resident_id": "res_1"}),
        ),
        (
            "evt_msg",
            "message.received",
            json!({"resident_id": "res_1"}),
        ),
    ];
    for (id, kind, data) in &events {
        assert_eq!(bridge.post(id, kind, data.clone()).await, 200);
    }
    until("every event stored", || {
        (count_events(&store) == 7).then_some(())
    })
    .await;

    let view = alerts.list_alerts().await.unwrap();
    assert_eq!(view.open.len(), 2, "{view:?}");
    let crit = view
        .open
        .iter()
        .find(|a| a.kind == "incident.critical")
        .unwrap();
    assert_eq!(
        crit.title,
        "Critical incident: Witnessed fall in lounge — Margaret Wilson (Room 12)"
    );
    let detail = crit.detail.as_deref().unwrap();
    assert!(detail.starts_with("Fall at Rosewood House"), "{detail}");
    assert_eq!(crit.event_id.as_deref(), Some("evt_crit"));
    assert_eq!(crit.resident_id.as_deref(), Some("res_1"));
    assert_eq!(crit.resource_id.as_deref(), Some("inc_1"));
    let miss = view
        .open
        .iter()
        .find(|a| a.kind == "visit.no_show")
        .unwrap();
    assert!(
        miss.title
            .starts_with("Missed visit: Margaret Wilson (Room 12), due "),
        "{}",
        miss.title
    );
    assert_eq!(
        miss.detail.as_deref(),
        Some("Sam Carter has not arrived for the personal care visit at Rosewood House. Arrange cover and check on the resident.")
    );
    assert_eq!(miss.resource_id.as_deref(), Some("vis_1"));

    // Each raised alert was announced once (announced just after its batch is committed:
    // wait for the two, then see that no third comes with the rest).
    let mut raised = Vec::new();
    until("both alerts announced", || {
        while let Ok(e) = watch.try_recv() {
            if let AlertEvent::Raised(a) = e {
                raised.push(a.event_id.unwrap_or_default());
            }
        }
        (raised.len() >= 2).then_some(())
    })
    .await;
    raised.sort();
    assert_eq!(raised, ["evt_crit", "evt_noshow"]);

    // Other events asked for the matching refreshes.
    let seen = refreshed.lock().unwrap().clone();
    for r in [
        Resource::Incidents,
        Resource::Visits,
        Resource::Certifications,
        Resource::Residents,
    ] {
        assert!(seen.contains(&r), "{r:?} not refreshed: {seen:?}");
    }
    assert!(!seen.contains(&Resource::Staff));

    // The bridge delivers everything again (e.g. its cursor was lost): nothing is stored or
    // raised twice.
    let successes = alerts.poller_stats().successes;
    store
        .write(|tx| repo::settings::delete_setting(tx, settings::BRIDGE_CURSOR).map(|_| ()))
        .unwrap();
    until("two more polls", || {
        (alerts.poller_stats().successes >= successes + 2).then_some(())
    })
    .await;
    until("the cursor saved again", || {
        store
            .read(|c| repo::settings::get_setting(c, settings::BRIDGE_CURSOR))
            .unwrap()
    })
    .await;
    assert_eq!(count_events(&store), 7);
    assert_eq!(alerts.list_alerts().await.unwrap().recent.len(), 2);
    assert!(!matches!(watch.try_recv(), Ok(AlertEvent::Raised(_))));
    alerts.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_stopped_mid_feed_loses_and_repeats_nothing() {
    let bridge = TestBridge::start().await;
    let mut expected_alerts = 0;
    for i in 0..40 {
        let (kind, data) = if i % 8 == 0 {
            expected_alerts += 1;
            ("incident.critical", critical(&format!("inc_{i}")))
        } else {
            ("incident.created", critical(&format!("inc_{i}")))
        };
        assert_eq!(bridge.post(&format!("evt_{i:02}"), kind, data).await, 200);
    }
    let dir = tempfile::tempdir().unwrap();
    let config = AlertsConfig {
        batch_limit: 3,
        ..fast(Arc::new(OffsetClock::new()))
    };
    let mut raised = Vec::new();

    // Stop the desk as soon as it has stored something, wherever it is in the feed.
    {
        let store = open_store(&dir);
        let (alerts, _) = alerts_for(store.clone(), &bridge, config.clone()).await;
        let mut watch = alerts.watch();
        until("a first batch", || (count_events(&store) > 0).then_some(())).await;
        alerts.shutdown().await;
        while let Ok(e) = watch.try_recv() {
            if let AlertEvent::Raised(a) = e {
                raised.push(a.event_id.unwrap_or_default());
            }
        }
        // The cursor covers exactly the stored events: a contiguous prefix of the feed.
        let (stored, cursor) = store
            .read(|c| {
                let n = repo::bridge_events::count_bridge_events(c)?;
                let cursor: Option<String> = repo::settings::get_setting(c, settings::BRIDGE_CURSOR)?;
                let max: Option<String> = c.query_row(
                    "SELECT cursor FROM bridge_events ORDER BY CAST(cursor AS INTEGER) DESC LIMIT 1",
                    [],
                    |r| r.get(0),
                )?;
                assert_eq!(cursor, max, "cursor and stored events disagree");
                Ok((n, cursor))
            })
            .unwrap();
        eprintln!("the desk stopped after {stored} of 40 events");
        assert_eq!(cursor.unwrap().parse::<u32>().unwrap(), stored);
    }

    // Restart on the same file: the rest arrives, nothing twice.
    let store = open_store(&dir);
    let (alerts, _) = alerts_for(store.clone(), &bridge, config).await;
    let mut watch = alerts.watch();
    until("every event", || (count_events(&store) == 40).then_some(())).await;
    let view = alerts.list_alerts().await.unwrap();
    assert_eq!(view.open.len(), expected_alerts);
    until("every alert announced", || {
        while let Ok(e) = watch.try_recv() {
            if let AlertEvent::Raised(a) = e {
                raised.push(a.event_id.unwrap_or_default());
            }
        }
        (raised.len() >= expected_alerts).then_some(())
    })
    .await;
    raised.sort();
    let before = raised.len();
    raised.dedup();
    assert_eq!(before, raised.len(), "an alert was raised twice");
    assert_eq!(raised.len(), expected_alerts);
    alerts.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_records_who_and_when_once() {
    let bridge = TestBridge::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let (alerts, _) = alerts_for(store.clone(), &bridge, fast(Arc::new(OffsetClock::new()))).await;
    let mut watch = alerts.watch();
    bridge
        .post("evt_a", "visit.no_show", no_show("vis_9"))
        .await;
    let alert = until("the alert", || {
        store
            .read(repo::alerts::open_alerts)
            .unwrap()
            .into_iter()
            .next()
    })
    .await;
    // Without local data the words are still plain.
    assert!(
        alert.title.starts_with("Missed visit due "),
        "{}",
        alert.title
    );
    assert!(alert
        .detail
        .as_deref()
        .unwrap()
        .starts_with("The carer has not arrived"));

    for blank in ["", "   "] {
        let e = alerts
            .acknowledge_alert(alert.id, blank.into())
            .await
            .unwrap_err();
        assert_eq!(e.code, Code::InvalidInput);
        assert!(e.fields.unwrap().contains_key("by"));
    }
    let e = alerts
        .acknowledge_alert(alert.id + 100, "Priya Shah".into())
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::NotFound);
    assert_eq!(
        store.read(repo::alerts::open_alerts).unwrap().len(),
        1,
        "nothing changed"
    );

    let acked = alerts
        .acknowledge_alert(alert.id, " Priya Shah ".into())
        .await
        .unwrap();
    assert_eq!(acked.acknowledged_by.as_deref(), Some("Priya Shah"));
    let at = acked.acknowledged_at.unwrap();
    let again = alerts
        .acknowledge_alert(alert.id, "Someone Else".into())
        .await
        .unwrap();
    assert_eq!(again.acknowledged_by.as_deref(), Some("Priya Shah"));
    assert_eq!(again.acknowledged_at, Some(at));

    let audit = store
        .read(|c| repo::audit::audit_entries(c, Some(("alert", &alert.id.to_string())), 10))
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "Priya Shah");
    assert_eq!(audit[0].action, "alert.acknowledge");

    let view = alerts.list_alerts().await.unwrap();
    assert!(view.open.is_empty());
    assert_eq!(
        view.recent[0].acknowledged_by.as_deref(),
        Some("Priya Shah")
    );
    assert_eq!(alerts.alert_feed_status().await.unwrap().open_count, 0);
    let mut acks = 0;
    while let Ok(e) = watch.try_recv() {
        if let AlertEvent::Acknowledged(a) = e {
            assert_eq!(a.id, alert.id);
            acks += 1;
        }
    }
    assert_eq!(acks, 1);
    alerts.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_is_not_arriving_while_the_bridge_is_down_and_arriving_again_after() {
    let mut bridge = TestBridge::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let clock = Arc::new(OffsetClock::new());
    let (alerts, _) = alerts_for(store.clone(), &bridge, fast(clock.clone())).await;
    let mut watch = alerts.watch();
    until("arriving", || {
        (alerts.poller_stats().successes > 0).then_some(())
    })
    .await;
    assert_eq!(
        alerts.alert_feed_status().await.unwrap().state,
        FeedState::Arriving
    );

    bridge.stop().await;
    until("failed polls", || {
        (alerts.poller_stats().failures >= 2).then_some(())
    })
    .await;
    // Not yet 90 seconds of silence.
    let status = alerts.alert_feed_status().await.unwrap();
    assert_eq!(status.state, FeedState::Arriving);
    clock.advance(Duration::from_secs(91));
    let status = alerts.alert_feed_status().await.unwrap();
    assert_eq!(status.state, FeedState::NotArriving);
    assert!(status.last_success_at.is_some());
    let message = status.message.unwrap();
    assert!(message.contains("cannot be reached"), "{message}");
    // ...and the window is told without asking.
    let mut told = false;
    until("a feed event", || {
        while let Ok(e) = watch.try_recv() {
            if let AlertEvent::Feed(f) = e {
                told = f.state == FeedState::NotArriving;
            }
        }
        told.then_some(())
    })
    .await;

    bridge.restart().await;
    let alerts2 = alerts.clone();
    let mut back = false;
    until("arriving again", || {
        while let Ok(e) = watch.try_recv() {
            if let AlertEvent::Feed(f) = e {
                back = f.state == FeedState::Arriving;
            }
        }
        back.then_some(())
    })
    .await;
    assert_eq!(
        alerts2.alert_feed_status().await.unwrap().state,
        FeedState::Arriving
    );
    alerts.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_bridge_is_retried_with_a_capped_doubling_backoff() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    store
        .write(|tx| repo::settings::set_setting(tx, settings::BRIDGE_URL, &url))
        .unwrap();
    let secrets = Arc::new(MemorySecretStore::new());
    secrets
        .set(DEVICE_TOKEN, &Secret::new("ldb_not_a_real_token_0000"))
        .unwrap();
    let (refresh, _) = recorder();
    let config = fast(Arc::new(OffsetClock::new()));
    let alerts = Alerts::start(
        store,
        secrets,
        refresh,
        config,
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let mut delays = Vec::new();
    until("eight failures", || {
        let s = alerts.poller_stats();
        if let Some(d) = s.current_delay {
            if delays.last() != Some(&(s.failures, d)) {
                delays.push((s.failures, d));
            }
        }
        (s.failures >= 8).then_some(())
    })
    .await;
    let s = alerts.poller_stats();
    assert_eq!(
        s.max_delay_used,
        Some(Duration::from_millis(160)),
        "{delays:?}"
    );
    assert_eq!(s.current_delay, Some(Duration::from_millis(160)));
    assert!(
        delays.iter().all(|(_, d)| *d <= Duration::from_millis(160)),
        "{delays:?}"
    );
    assert!(delays.windows(2).all(|w| w[0].1 <= w[1].1), "{delays:?}");
    assert_eq!(
        alerts.alert_feed_status().await.unwrap().state,
        FeedState::NotArriving
    );
    alerts.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridge_settings_keep_the_token_in_the_keyring_and_refuse_bad_input() {
    let bridge = TestBridge::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let secrets = Arc::new(MemorySecretStore::new());
    let (refresh, _) = recorder();
    let alerts = Alerts::start(
        store.clone(),
        secrets.clone(),
        refresh,
        fast(Arc::new(OffsetClock::new())),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let status = alerts.alert_feed_status().await.unwrap();
    assert_eq!(status.state, FeedState::NotConfigured);
    assert!(status.message.is_some());

    let e = alerts
        .save_bridge_settings(
            "bridge.example.org".into(),
            Some(Secret::new(bridge.token.clone())),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::InvalidInput);
    assert!(e.fields.unwrap().contains_key("bridge_url"));
    let e = alerts
        .save_bridge_settings(bridge.url.clone(), Some(Secret::new("  ")))
        .await
        .unwrap_err();
    assert!(e.fields.unwrap().contains_key("device_token"));
    assert!(
        secrets.get(DEVICE_TOKEN).unwrap().is_none(),
        "nothing saved"
    );
    assert!(store
        .read(|c| repo::settings::get_setting(c, settings::BRIDGE_URL))
        .unwrap()
        .is_none());

    // A URL without a token is "not configured" still.
    alerts
        .save_bridge_settings(format!("{}/", bridge.url), None)
        .await
        .unwrap();
    assert_eq!(
        alerts.alert_feed_status().await.unwrap().state,
        FeedState::NotConfigured
    );

    let saved = alerts
        .save_bridge_settings(bridge.url.clone(), Some(Secret::new(bridge.token.clone())))
        .await
        .unwrap();
    assert_eq!(saved.bridge_url.as_deref(), Some(bridge.url.as_str()));
    let hint = saved.device_token_hint.unwrap();
    assert!(bridge.token.ends_with(hint.trim_start_matches('…')));
    assert_eq!(
        secrets.get(DEVICE_TOKEN).unwrap().unwrap().expose(),
        bridge.token
    );
    let values: Vec<String> = store
        .read(|c| {
            let mut s = c.prepare("SELECT key || '=' || value FROM settings")?;
            let v = s
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(v)
        })
        .unwrap();
    assert!(
        values.iter().all(|v| !v.contains(&bridge.token)),
        "{values:?}"
    );
    until("arriving", || {
        (alerts.poller_stats().successes > 0).then_some(())
    })
    .await;
    assert_eq!(
        alerts.alert_feed_status().await.unwrap().state,
        FeedState::Arriving
    );
    alerts.shutdown().await;
}

/// The next forwarded event; one that never comes fails the test.
async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<AlertEvent>) -> AlertEvent {
    tokio::time::timeout(DEADLINE, rx.recv())
        .await
        .expect("an alert event within the deadline")
        .expect("the forwarding is still running")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_gets_the_feed_state_first_then_every_change() {
    let bridge = TestBridge::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let (refresh, _) = recorder();
    let alerts = Alerts::start(
        store,
        Arc::new(MemorySecretStore::new()),
        refresh,
        fast(Arc::new(OffsetClock::new())),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let forward = alerts.forward_events(move |e| tx.send(e).is_ok());
    match next(&mut rx).await {
        AlertEvent::Feed(f) => assert_eq!(f.state, FeedState::NotConfigured),
        other => panic!("first: {other:?}"),
    }
    alerts
        .save_bridge_settings(bridge.url.clone(), Some(Secret::new(bridge.token.clone())))
        .await
        .unwrap();
    loop {
        if let AlertEvent::Feed(f) = next(&mut rx).await {
            if f.state == FeedState::Arriving {
                break;
            }
        }
    }
    bridge
        .post("evt_w", "incident.critical", critical("inc_w"))
        .await;
    let raised = loop {
        if let AlertEvent::Raised(a) = next(&mut rx).await {
            break a;
        }
    };
    assert_eq!(raised.event_id.as_deref(), Some("evt_w"));
    // The window went away: forwarding stops at the next event.
    drop(rx);
    alerts
        .acknowledge_alert(raised.id, "Priya Shah".into())
        .await
        .unwrap();
    tokio::time::timeout(DEADLINE, forward)
        .await
        .expect("the forwarding stops once the window is gone")
        .unwrap();
    alerts.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_from_a_reset_bridge_makes_the_desk_read_the_feed_from_the_start() {
    let bridge = TestBridge::start().await;
    bridge
        .post("evt_r1", "incident.critical", critical("inc_r"))
        .await;
    bridge.post("evt_r2", "cert.expired", json!({})).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    // A cursor this bridge never issued (its store was replaced): it answers 409 cursor_ahead.
    let url = bridge.url.clone();
    store
        .write(move |tx| {
            repo::settings::set_setting(tx, settings::BRIDGE_CURSOR, "999999")?;
            repo::settings::set_setting(tx, settings::BRIDGE_CURSOR_URL, &url)
        })
        .unwrap();
    let (alerts, _) = alerts_for(store.clone(), &bridge, fast(Arc::new(OffsetClock::new()))).await;
    until("both events", || (count_events(&store) == 2).then_some(())).await;
    assert_eq!(store.read(repo::alerts::open_alerts).unwrap().len(), 1);
    let cursor = until("a cursor of this bridge", || {
        store
            .read(|c| repo::settings::get_setting(c, settings::BRIDGE_CURSOR))
            .unwrap()
            .filter(|c| c != "999999")
    })
    .await;
    assert!(cursor.parse::<u64>().unwrap() <= 2, "{cursor}");
    alerts.shutdown().await;
}

/// A keyring that is there but refuses every request (locked, D-Bus gone).
#[derive(Debug)]
struct BrokenKeyring;

impl SecretStore for BrokenKeyring {
    fn get(&self, _: &str) -> Result<Option<Secret>, loopdesk_core::secrets::SecretError> {
        Err(loopdesk_core::secrets::SecretError::Unavailable(
            "the keyring is locked".into(),
        ))
    }
    fn set(&self, _: &str, _: &Secret) -> Result<(), loopdesk_core::secrets::SecretError> {
        Err(loopdesk_core::secrets::SecretError::Unavailable(
            "the keyring is locked".into(),
        ))
    }
    fn delete(&self, _: &str) -> Result<(), loopdesk_core::secrets::SecretError> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_keyring_is_not_silence_and_does_not_stop_the_desk() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    store
        .write(|tx| repo::settings::set_setting(tx, settings::BRIDGE_URL, "http://127.0.0.1:9"))
        .unwrap();
    let (refresh, _) = recorder();
    let alerts = Alerts::start(
        store,
        Arc::new(BrokenKeyring),
        refresh,
        fast(Arc::new(OffsetClock::new())),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let status = alerts.alert_feed_status().await.unwrap();
    assert_eq!(status.state, FeedState::NotArriving);
    assert!(status.message.unwrap().contains("keyring is locked"));
    let e = alerts
        .save_bridge_settings(
            "http://127.0.0.1:9".into(),
            Some(Secret::new("ldb_token_0123456789")),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::Internal);
    assert!(e.message.contains("keyring"), "{}", e.message);
    alerts.shutdown().await;
}

/// The feed events `watch` has now, in order.
fn feed_events(watch: &mut tokio::sync::broadcast::Receiver<AlertEvent>) -> Vec<(FeedState, u32)> {
    let mut seen = Vec::new();
    while let Ok(e) = watch.try_recv() {
        if let AlertEvent::Feed(f) = e {
            seen.push((f.state, f.open_count));
        }
    }
    seen
}

/// The feed re-check has no timer worth the name here (an hour): what turns the feed "not
/// arriving" is the clock moved past the deadline, which wakes it; the open count it sends
/// follows the alerts raised and acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_is_rechecked_when_the_clock_moves_not_on_a_timer() {
    let mut bridge = TestBridge::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    seed_cache(&store);
    let clock = Arc::new(OffsetClock::new());
    let config = AlertsConfig {
        check_every: Duration::from_secs(3600),
        ..fast(clock.clone())
    };
    let (alerts, _) = alerts_for(store.clone(), &bridge, config).await;
    let mut watch = alerts.watch();
    until("arriving", || {
        (alerts.poller_stats().successes > 0).then_some(())
    })
    .await;

    assert_eq!(
        bridge
            .post("evt_1", "incident.critical", critical("inc_1"))
            .await,
        200
    );
    let mut seen = Vec::new();
    until("a feed event with the alert counted", || {
        seen.extend(feed_events(&mut watch));
        seen.contains(&(FeedState::Arriving, 1)).then_some(())
    })
    .await;
    let open = store.read(repo::alerts::open_alerts).unwrap();
    alerts
        .acknowledge_alert(open[0].id, "Priya Shah".into())
        .await
        .unwrap();
    // Polls go on meanwhile (each success is a feed event): the count is what matters.
    let mut seen = Vec::new();
    until("a feed event without the acknowledged alert", || {
        seen.extend(feed_events(&mut watch));
        seen.contains(&(FeedState::Arriving, 0)).then_some(())
    })
    .await;

    bridge.stop().await;
    until("a failed poll", || {
        (alerts.poller_stats().failures > 0).then_some(())
    })
    .await;
    clock.advance(Duration::from_secs(91));
    let mut seen = Vec::new();
    until("not arriving, without asking", || {
        seen.extend(feed_events(&mut watch));
        seen.contains(&(FeedState::NotArriving, 0)).then_some(())
    })
    .await;
    alerts.shutdown().await;
}

/// With the real clock, the feed turns "not arriving" when its deadline passes (the last good
/// poll plus `stale_after`), though nothing else happens and the re-check's timer is an hour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_turns_not_arriving_at_its_deadline() {
    let mut bridge = TestBridge::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let config = AlertsConfig {
        stale_after: Duration::from_secs(2),
        check_every: Duration::from_secs(3600),
        // No retry after the bridge goes: only the deadline can change the feed.
        retry_min: Duration::from_secs(3600),
        retry_max: Duration::from_secs(3600),
        ..fast(Arc::new(loopdesk_core::alerts::SystemClock))
    };
    let (alerts, _) = alerts_for(store.clone(), &bridge, config).await;
    let mut watch = alerts.watch();
    until("arriving", || {
        (alerts.poller_stats().successes > 0).then_some(())
    })
    .await;
    bridge.stop().await;
    let mut seen = Vec::new();
    until("not arriving", || {
        seen.extend(feed_events(&mut watch));
        seen.iter()
            .any(|(state, _)| *state == FeedState::NotArriving)
            .then_some(())
    })
    .await;
    alerts.shutdown().await;
}
