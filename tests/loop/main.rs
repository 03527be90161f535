//! The whole alert loop: the CareLoop sandbox (in-process, signed webhooks, time-scaled retries)
//! → loopdesk-bridge (in-process, real SQLite file) → the desk's poller → an alert row in the
//! desk's own SQLite file. No mocks, no sleeps for start-up, no timed assertions: each step waits
//! for the thing itself, with generous deadlines.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use loopdesk_bridge::{Config, Scheme};
use loopdesk_core::desk::{Desk, DeskConfig};
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::store::repo::{self, alerts::Alert};
use loopdesk_core::Store;
use loopdesk_sandbox::{DataSize, KeySpec, SandboxConfig, SandboxHandle, WebhookTarget};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const DEADLINE: Duration = Duration::from_secs(60);
/// Divides the sandbox's webhook retry schedule (1 min → 3 s) and no-show grace (15 min → 45 s).
const TIME_SCALE: f64 = 20.0;
const ADMIN: &str = "cl_test_loop_admin_0123456789abcdef";
const DESK_KEY: &str = "cl_test_loop_desk_0123456789abcdef";

async fn until<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    mut f: impl FnMut() -> F,
) -> T {
    let end = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The bridge: restartable on the same address and file.
struct Bridge {
    addr: SocketAddr,
    db: PathBuf,
    hook: WebhookTarget,
    token: String,
    running: Option<(CancellationToken, tokio::task::JoinHandle<()>)>,
}

impl Bridge {
    async fn start(dir: &std::path::Path) -> Self {
        let db = dir.join("bridge.db");
        let store = loopdesk_bridge::Store::open(&db).unwrap();
        let ep = store
            .add_endpoint("org_loop", Scheme::CareLoop, None)
            .unwrap();
        let dev = store.add_device("org_loop", "front desk").unwrap();
        drop(store);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut b = Self {
            addr,
            db,
            hook: WebhookTarget {
                url: format!("http://{addr}{}", ep.path),
                secret: ep.secret,
            },
            token: dev.token,
            running: None,
        };
        b.serve(listener);
        b
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn serve(&mut self, listener: TcpListener) {
        let token = CancellationToken::new();
        let t = token.clone();
        let config = Config::new(&self.db);
        let task = tokio::spawn(async move {
            loopdesk_bridge::run(config, listener, t).await.unwrap();
        });
        self.running = Some((token, task));
    }

    async fn stop(&mut self) {
        if let Some((token, task)) = self.running.take() {
            token.cancel();
            task.await.unwrap();
        }
    }

    async fn restart(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some((token, _)) = self.running.take() {
            token.cancel();
        }
    }
}

/// Sandbox + bridge + a desk configured through its own settings.
struct Loop {
    sandbox: SandboxHandle,
    bridge: Bridge,
    desk: Arc<Desk>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Loop {
    async fn start() -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let bridge = Bridge::start(dir.path()).await;
        let sandbox = loopdesk_sandbox::Sandbox::start(SandboxConfig {
            size: DataSize::Small,
            keys: vec![
                KeySpec {
                    token: ADMIN.into(),
                    scopes: vec!["admin".into()],
                },
                KeySpec {
                    token: DESK_KEY.into(),
                    scopes: vec!["admin".into()],
                },
            ],
            webhooks: vec![bridge.hook.clone()],
            time_scale: TIME_SCALE,
            test_controls: true,
            ..SandboxConfig::default()
        })
        .await
        .unwrap();
        let store = Arc::new(Store::open(dir.path().join("loopdesk.db")).unwrap());
        let mut config = DeskConfig::new(Arc::new(MemorySecretStore::new()));
        config.sync.interval = None;
        let desk = Desk::open(store, config).await.unwrap();
        desk.save_settings(
            sandbox.base_url().to_owned(),
            None,
            Some(Secret::new(DESK_KEY)),
        )
        .await
        .unwrap();
        desk.save_bridge_settings(bridge.url(), Some(Secret::new(bridge.token.clone())))
            .await
            .unwrap();
        // The cache the alerts' words come from.
        desk.sync_now().await.unwrap();
        Self {
            sandbox,
            bridge,
            desk,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sandbox.base_url()))
            .bearer_auth(ADMIN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    async fn first(&self, path: &str) -> Value {
        self.api(reqwest::Method::GET, &format!("{path}?page_size=1"), None)
            .await["data"][0]
            .clone()
    }

    async fn alert_for(&self, kind: &str, resource_id: &str) -> Alert {
        let store = self.desk.store().clone();
        let (kind, rid) = (kind.to_owned(), resource_id.to_owned());
        until(&format!("the {kind} alert for {rid}"), || {
            let store = store.clone();
            let (kind, rid) = (kind.clone(), rid.clone());
            async move {
                store
                    .read(repo::alerts::open_alerts)
                    .unwrap()
                    .into_iter()
                    .find(|a| a.kind == kind && a.resource_id.as_deref() == Some(rid.as_str()))
            }
        })
        .await
    }

    /// The sandbox's deliveries of events of `kind` about `resource_id`.
    async fn deliveries(&self, kind: &str) -> Vec<Value> {
        let v = self
            .api(
                reqwest::Method::GET,
                &format!("/v1/webhook-deliveries?page_size=100&event_type={kind}"),
                None,
            )
            .await;
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["event_type"] == kind)
            .cloned()
            .collect()
    }

    async fn critical_incident(&self, title: &str) -> (String, Value) {
        let resident = self.first("/v1/residents").await;
        let incident = self
            .api(
                reqwest::Method::POST,
                "/v1/incidents",
                Some(json!({
                    "location_id": resident["location_id"], "resident_id": resident["id"],
                    "type": "behaviour", "severity": "critical", "title": title,
                    "description": "Loop test",
                })),
            )
            .await;
        (incident["id"].as_str().unwrap().to_owned(), resident)
    }
}

fn resident_words(r: &Value) -> String {
    let name = display(r);
    match r["room_number"].as_str() {
        Some(room) => format!("{name} (Room {room})"),
        None => name,
    }
}

/// A person is named by the name they go by with their family name ("Maggie Wilson").
fn display(r: &Value) -> String {
    let full = r["full_name"].as_str().unwrap();
    let family = full.rsplit(' ').next().unwrap();
    let name = match r["preferred_name"].as_str().map(str::trim) {
        Some(p) if !p.is_empty() && !p.split(' ').any(|w| w.eq_ignore_ascii_case(family)) => {
            format!("{p} {family}")
        }
        Some(p) if !p.is_empty() => p.to_owned(),
        _ => full.to_owned(),
    };
    name
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_incident_reaches_the_desk_as_an_alert() {
    let l = Loop::start().await;
    let (incident, resident) = l
        .critical_incident("Resident collapsed in the garden")
        .await;
    let alert = l.alert_for("incident.critical", &incident).await;
    assert_eq!(
        alert.title,
        format!(
            "Critical incident: Resident collapsed in the garden — {}",
            resident_words(&resident)
        )
    );
    assert_eq!(alert.resident_id.as_deref(), resident["id"].as_str());
    assert!(alert.acknowledged_at.is_none());
    // incident.created came too (it refreshes the cache) but raised nothing.
    let alerts = l.desk.alerts().list_alerts().await.unwrap();
    assert!(alerts.open.iter().all(|a| a.kind != "incident.created"));
    assert_eq!(
        alerts
            .open
            .iter()
            .filter(|a| a.resource_id.as_deref() == Some(&incident))
            .count(),
        1
    );
    l.desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_nobody_turned_up_for_reaches_the_desk_as_an_alert() {
    let l = Loop::start().await;
    let resident = l.first("/v1/residents").await;
    let staff = l.first("/v1/staff").await;
    let now: chrono::DateTime<chrono::Utc> =
        l.api(reqwest::Method::GET, "/v1/_test/clock", None).await["now"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    let starts = now + chrono::TimeDelta::minutes(10);
    let visit = l
        .api(
            reqwest::Method::POST,
            "/v1/visits",
            Some(json!({
                "location_id": resident["location_id"], "staff_user_id": staff["id"],
                "resident_id": resident["id"], "visit_type": "medication",
                "starts_at": starts.to_rfc3339(),
                "ends_at": (starts + chrono::TimeDelta::minutes(30)).to_rfc3339(),
            })),
        )
        .await;
    let visit_id = visit["id"].as_str().unwrap().to_owned();
    // Past the start and the (scaled) grace period: the sandbox marks the visit a no-show.
    let grace = (15.0 * 60.0 / TIME_SCALE) as i64;
    l.api(
        reqwest::Method::POST,
        "/v1/_test/clock/advance",
        Some(json!({"seconds": 10 * 60 + grace + 5})),
    )
    .await;
    let alert = l.alert_for("visit.no_show", &visit_id).await;
    assert!(
        alert.title.starts_with(&format!(
            "Missed visit: {}, due ",
            resident_words(&resident)
        )),
        "{}",
        alert.title
    );
    let carer = display(&staff);
    let detail = alert.detail.unwrap();
    assert!(
        detail.starts_with(&format!("{carer} has not arrived")),
        "{detail}"
    );
    l.desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_bridge_down_the_sandbox_retries_and_the_alert_arrives_after_it_returns() {
    let mut l = Loop::start().await;
    let before = l.deliveries("incident.critical").await.len();
    l.bridge.stop().await;
    let (incident, _) = l.critical_incident("Choking at lunch").await;

    // The first attempt fails; the next is scheduled by the (scaled) documented schedule.
    let failed = until("a failed delivery", || async {
        let d = l.deliveries("incident.critical").await;
        (d.len() > before)
            .then(|| d.into_iter().find(|d| d["attempts"].as_u64() >= Some(1)))
            .flatten()
    })
    .await;
    assert_eq!(failed["status"], "pending");
    assert!(failed["last_error"].is_string(), "{failed}");
    let at =
        |k: &str| -> chrono::DateTime<chrono::Utc> { failed[k].as_str().unwrap().parse().unwrap() };
    // The documented schedule (1 min, 5 min, ...) divided by the time scale, counted from the
    // recorded attempt.
    let schedule = [60_000.0, 300_000.0];
    let attempts = failed["attempts"].as_u64().unwrap() as usize;
    let expected = chrono::TimeDelta::milliseconds((schedule[attempts - 1] / TIME_SCALE) as i64);
    assert_eq!(
        at("next_attempt_at") - at("updated_at"),
        expected,
        "{failed}"
    );
    assert!(l
        .desk
        .store()
        .read(repo::alerts::open_alerts)
        .unwrap()
        .iter()
        .all(|a| a.resource_id.as_deref() != Some(&incident)));

    l.bridge.restart().await;
    let alert = l.alert_for("incident.critical", &incident).await;
    assert!(
        alert
            .title
            .starts_with("Critical incident: Choking at lunch"),
        "{}",
        alert.title
    );
    let delivered = until("the delivery marked succeeded", || async {
        l.deliveries("incident.critical")
            .await
            .into_iter()
            .find(|d| d["id"] == failed["id"] && d["status"] == "succeeded")
    })
    .await;
    assert!(delivered["attempts"].as_u64().unwrap() >= 2, "{delivered}");
    l.desk.shutdown().await;
}
