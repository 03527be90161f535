//! `loopdesk-demo`: the demo backend of `make demo` and the window tests, composed from the
//! real servers: an in-process CareLoop sandbox (medium: three homes, about 300 residents) with
//! an admin key generated at start that lives only in memory, and an in-process alert bridge the
//! sandbox sends its signed webhooks to. A new user sees real data and alerts on first start
//! with nothing to configure; saving real settings replaces the demo.
//!
//! The app links this crate only with its `demo` feature (`make demo`, the window tests); a
//! release build has neither server (`make test` checks it). Besides the backend, the demo can
//! do what a real desk cannot, for demonstrations and the window tests: stop and restart its
//! CareLoop ([`Demo::set_sandbox_running`]), read a visit as CareLoop has it
//! ([`Demo::server_visit`]), send a test alert ([`Demo::trigger_alert`]) and stop its bridge
//! ([`Demo::set_bridge_running`]).

mod bridge;
mod sandbox;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use loopdesk_core::alerts::DemoFeed;
use loopdesk_core::api::{ApiClient, ClientOptions, Limits, ListQuery, RateGate};
use loopdesk_core::desk::{settings, DemoBackend};
use loopdesk_core::ipc::{Code, CommandError};
use loopdesk_core::secret::Secret;
use loopdesk_core::store::repo;
use loopdesk_core::Store;
use serde::Serialize;
use ts_rs::TS;

pub use bridge::DemoBridge;
pub use loopdesk_sandbox::DataSize;
pub use sandbox::DemoSandbox;

/// The demo sandbox's data file in the data folder.
pub const SANDBOX_FILE: &str = "demo-sandbox.sqlite";

/// Whether the person asked for the demo (`LOOPDESK_DEMO=1`).
pub fn requested() -> bool {
    std::env::var("LOOPDESK_DEMO").is_ok_and(|v| v.trim() == "1")
}

/// `LOOPDESK_ALERTS_STALE_SECS`: in the demo only, a shorter "not arriving" threshold, to show
/// (and test) the warning without waiting 90 seconds.
pub fn stale_after_from_env() -> Option<Duration> {
    std::env::var("LOOPDESK_ALERTS_STALE_SECS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s >= 3)
        .map(Duration::from_secs)
}

/// A running demo: its CareLoop and, when it could start, its alert bridge.
#[derive(Clone)]
pub struct Demo {
    inner: Arc<Inner>,
}

struct Inner {
    sandbox: DemoSandbox,
    key: Secret,
    bridge: Option<DemoBridge>,
    stale_after: Option<Duration>,
    http: reqwest::Client,
    gate: Arc<RateGate>,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo")
            .field("base_url", &self.inner.sandbox.base_url())
            .field("bridge", &self.inner.bridge)
            .finish_non_exhaustive()
    }
}

/// A visit as the demo CareLoop has it (what the window tests check after a sync).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ServerVisit {
    pub id: String,
    pub status: String,
    /// How many changes (PATCH requests answered with success) the server logged for it.
    #[ts(type = "number")]
    pub changes: u64,
}

/// Starts the demo when it was requested and no real API address is saved; its files go next
/// to the desk's data file.
pub async fn if_requested(store: &Arc<Store>) -> Result<Option<Demo>, loopdesk_sandbox::Error> {
    let configured = store
        .read(|c| repo::settings::get_setting(c, settings::API_BASE_URL))
        .ok()
        .flatten()
        .is_some();
    if !requested() || configured {
        return Ok(None);
    }
    let dir = store
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let demo = Demo::start_with_alerts(DataSize::Medium, &dir).await?;
    demo.choose_home(store).await;
    Ok(Some(demo))
}

/// Removes `path` and its SQLite companions (`-wal`, `-shm`), if there.
fn remove_with_wal(path: &Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.to_path_buf().into_os_string();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn new_key() -> String {
    format!("cl_demo_{}", uuid::Uuid::new_v4().simple())
}

impl Demo {
    /// A demo CareLoop of `size` with its data in memory, without alerts.
    pub async fn start(size: DataSize) -> Result<Self, loopdesk_sandbox::Error> {
        let key = new_key();
        let sandbox = DemoSandbox::start(size, &key, Vec::new(), None).await?;
        Ok(Self::compose(sandbox, key, None))
    }

    /// A demo CareLoop of `size` that keeps its data in `data_file` (so it can be stopped and
    /// restarted), without alerts.
    pub async fn start_in(
        size: DataSize,
        data_file: std::path::PathBuf,
    ) -> Result<Self, loopdesk_sandbox::Error> {
        let key = new_key();
        let sandbox = DemoSandbox::start(size, &key, Vec::new(), Some(data_file)).await?;
        Ok(Self::compose(sandbox, key, None))
    }

    /// The whole demo with its files in `dir`: the alert bridge first, then the CareLoop that
    /// sends it webhooks. Every start is a fresh demo (the data is generated around today).
    /// Without a bridge the demo still works, without alerts.
    pub async fn start_with_alerts(
        size: DataSize,
        dir: &Path,
    ) -> Result<Self, loopdesk_sandbox::Error> {
        let data = dir.join(SANDBOX_FILE);
        remove_with_wal(&data)?;
        let key = new_key();
        let bridge = match DemoBridge::start(dir).await {
            Ok(b) => Some(b),
            Err(e) => {
                tracing::error!(error = %e, "demo alert bridge did not start; demo without alerts");
                None
            }
        };
        let webhooks = bridge.iter().map(|b| b.webhook.clone()).collect();
        let sandbox = DemoSandbox::start(size, &key, webhooks, Some(data)).await?;
        Ok(Self::compose(sandbox, key, bridge))
    }

    fn compose(sandbox: DemoSandbox, key: String, bridge: Option<DemoBridge>) -> Self {
        Self {
            inner: Arc::new(Inner {
                sandbox,
                key: Secret::new(key),
                bridge,
                stale_after: stale_after_from_env(),
                http: reqwest::Client::new(),
                gate: Arc::new(RateGate::new(Limits::default())),
            }),
        }
    }

    /// The desk's backend while no real settings are saved (the key in memory only).
    pub fn backend(&self) -> DemoBackend {
        let mut backend = DemoBackend::new(self.base_url(), self.inner.key.clone());
        backend.alerts = self.inner.bridge.as_ref().map(|b| DemoFeed {
            bridge_url: b.url(),
            token: b.token.clone(),
            stale_after: self.inner.stale_after,
        });
        backend
    }

    pub fn base_url(&self) -> String {
        self.inner.sandbox.base_url().to_owned()
    }

    /// The demo desk stands at the demo's first home (a real desk's home is chosen in
    /// Settings, which would end the demo), so the kiosk's sign-in works out of the box. A home
    /// chosen before is kept; when the demo CareLoop cannot say, the desk has none (and says
    /// so where it needs one).
    async fn choose_home(&self, store: &Arc<Store>) {
        let chosen = store
            .read(|c| repo::settings::get_setting(c, settings::LOCATION_ID))
            .ok()
            .flatten();
        if chosen.is_some() {
            return;
        }
        let first = async {
            let client = ApiClient::new(
                &self.base_url(),
                self.inner.key.clone(),
                self.inner.gate.clone(),
                ClientOptions::default(),
            )
            .ok()?;
            let page = client
                .get::<serde_json::Value>("/v1/locations?page_size=1")
                .await
                .ok()?
                .body;
            page["data"][0]["id"].as_str().map(str::to_owned)
        };
        match first.await {
            Some(home) => {
                if let Err(e) =
                    store.write(|tx| repo::settings::set_setting(tx, settings::LOCATION_ID, &home))
                {
                    tracing::warn!(error = %e, "the demo desk's home could not be saved");
                }
            }
            None => tracing::warn!("the demo CareLoop did not list a home for this desk"),
        }
    }

    /// Stops (`false`: requests are refused, as with no network) or restarts the demo CareLoop
    /// on the same address with the same data.
    pub async fn set_sandbox_running(&self, running: bool) -> Result<(), CommandError> {
        self.inner
            .sandbox
            .set_running(running)
            .await
            .map_err(|e| CommandError::new(Code::Unavailable, e.to_string()))
    }

    /// The visit `id` as the demo CareLoop has it, and how many changes it logged for it.
    pub async fn server_visit(&self, id: String) -> Result<ServerVisit, CommandError> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(CommandError::invalid_fields(
                "Give a visit id",
                [("id".to_owned(), "Give a visit id (vis_…)".to_owned())],
            ));
        }
        let client = ApiClient::new(
            &self.base_url(),
            self.inner.key.clone(),
            self.inner.gate.clone(),
            ClientOptions::default(),
        )
        .map_err(unavailable)?;
        let visit = client
            .get::<serde_json::Value>(&format!("/v1/visits/{id}"))
            .await
            .map_err(unavailable)?
            .body;
        let status = visit
            .get("status")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let query = ListQuery {
            page: 1,
            page_size: 100,
            filters: vec![
                ("resource_type".into(), "visit".into()),
                ("resource_id".into(), id.clone()),
                ("method".into(), "PATCH".into()),
            ],
            ..ListQuery::default()
        };
        let log = client
            .list("/v1/audit-log", &query)
            .await
            .map_err(unavailable)?
            .body;
        let changes = log
            .data
            .iter()
            .filter(|e| {
                e.get("status")
                    .and_then(serde_json::Value::as_u64)
                    .is_some_and(|s| (200..300).contains(&s))
            })
            .count() as u64;
        Ok(ServerVisit {
            id,
            status,
            changes,
        })
    }

    /// Makes the demo CareLoop send an `incident.critical` or `visit.no_show` webhook, which
    /// comes back through the demo bridge as an alert.
    pub async fn trigger_alert(&self, kind: String) -> Result<(), CommandError> {
        if !loopdesk_core::alerts::compose::raises_alert(&kind) {
            return Err(CommandError::invalid_fields(
                "Choose a kind of test alert",
                [(
                    "kind".to_owned(),
                    "Choose incident.critical or visit.no_show".to_owned(),
                )],
            ));
        }
        if self.inner.bridge.is_none() {
            return Err(CommandError::new(
                Code::Unavailable,
                "The demo has no alert bridge, so it cannot send a test alert.",
            ));
        }
        let sent = self
            .inner
            .http
            .post(format!("{}/v1/_test/events", self.base_url()))
            // The test controls need the admin key: the demo's own.
            .bearer_auth(self.inner.key.expose())
            .json(&serde_json::json!({ "type": kind }))
            .send()
            .await;
        let failed = match sent {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => format!("the demo CareLoop answered {}", r.status()),
            Err(e) => format!("the demo CareLoop cannot be reached ({e})"),
        };
        tracing::warn!(error = %failed, "demo trigger failed");
        Err(CommandError::new(
            Code::Unavailable,
            format!("The demo CareLoop could not send the test alert: {failed}"),
        ))
    }

    /// Stops or restarts the demo bridge (same address, same data), to show the "alerts are not
    /// arriving" warning.
    pub async fn set_bridge_running(&self, running: bool) -> Result<(), CommandError> {
        let bridge =
            self.inner.bridge.as_ref().ok_or_else(|| {
                CommandError::new(Code::Unavailable, "The demo has no alert bridge.")
            })?;
        bridge
            .set_running(running)
            .await
            .map_err(|e| CommandError::new(Code::Unavailable, e))
    }
}

fn unavailable(e: impl std::fmt::Display) -> CommandError {
    tracing::warn!(error = %e, "demo sandbox request failed");
    CommandError::new(
        Code::Unavailable,
        format!("The demo CareLoop did not answer: {e}"),
    )
}
