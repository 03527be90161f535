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
//! ([`Demo::server_visit`]), send a test alert ([`Demo::trigger_alert`]), stop its bridge
//! ([`Demo::set_bridge_running`]), move the desk's clock forward ([`Demo::advance_clock`]) and
//! start afresh ([`Demo::reset`]).
//!
//! # What the demo keeps
//!
//! The demo started by the app ([`Demo::start_with_alerts`]) keeps its files in the data folder,
//! beside the desk's own: its CareLoop's data ([`SANDBOX_FILE`], with the admin key), its
//! bridge's ([`bridge::DB_FILE`], with the events it received) and the addresses both listened
//! on ([`ADDRESSES_FILE`], no secret). A later start goes on with all of them, so what was done
//! in the demo is still there, on CareLoop's side and on the desk's, which agree: the desk's
//! sync cursors and its feed cursor fit the data they were taken from, a write the desk sends
//! again comes with the key its first try came with, and webhooks CareLoop still has to send go
//! to where the bridge listens again (when that port is free; else the desk reads the feed from
//! its start, each event stored once). When the demo CareLoop's data has to be made afresh
//! (its file was removed) the desk refreshes everything whole, so it drops what CareLoop no
//! longer has.
//!
//! [`Demo::reset`] ("Reset demo data" in Settings) starts the demo as on its first day: it
//! deletes the demo CareLoop's and bridge's files and the desk's data file, which on the demo
//! holds nothing but the demo's (it is refused when a real CareLoop or bridge address is saved).

mod bridge;
mod sandbox;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use loopdesk_core::alerts::{self, DemoFeed};
use loopdesk_core::api::{ApiClient, ClientOptions, Limits, ListQuery, RateGate};
use loopdesk_core::clock::OffsetClock;
use loopdesk_core::desk::{settings, DemoBackend, Desk};
use loopdesk_core::ipc::{Code, CommandError};
use loopdesk_core::secret::Secret;
use loopdesk_core::store::repo;
use loopdesk_core::sync::Resource;
use loopdesk_core::Store;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use bridge::DemoBridge;
pub use loopdesk_sandbox::DataSize;
pub use sandbox::DemoSandbox;

/// The demo sandbox's data file in the data folder.
pub const SANDBOX_FILE: &str = "demo-sandbox.sqlite";
/// The demo bridge's data file in the data folder.
pub const BRIDGE_FILE: &str = bridge::DB_FILE;
/// Where the demo's servers listened last, in the data folder.
pub const ADDRESSES_FILE: &str = "demo-addresses.json";

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
    /// The folder of its files (a demo started with [`Demo::start_with_alerts`]).
    dir: Option<PathBuf>,
    size: DataSize,
    stale_after: Option<Duration>,
    http: reqwest::Client,
    gate: Arc<RateGate>,
    /// The desk's clock in the demo: the real time until told to move on.
    clock: Arc<OffsetClock>,
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
/// to the desk's data file. When the demo CareLoop's data is made afresh while the desk holds
/// data, the desk refreshes everything whole (what the new data has not goes).
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
    if demo.inner.sandbox.made_fresh() {
        demo.refresh_whole(store);
    }
    demo.choose_home(store).await;
    Ok(Some(demo))
}

/// Where the demo's servers listened, kept in [`ADDRESSES_FILE`] so that the next start listens
/// there again.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Addresses {
    sandbox: Option<SocketAddr>,
    bridge: Option<SocketAddr>,
}

impl Addresses {
    fn read(dir: &Path) -> Self {
        std::fs::read(dir.join(ADDRESSES_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn write(&self, dir: &Path) {
        let written = serde_json::to_vec_pretty(self)
            .map_err(std::io::Error::other)
            .and_then(|b| std::fs::write(dir.join(ADDRESSES_FILE), b));
        if let Err(e) = written {
            tracing::warn!(error = %e, "the demo's addresses were not kept");
        }
    }
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
        let sandbox = DemoSandbox::start(size, Some(&new_key()), Vec::new(), None, None).await?;
        Ok(Self::compose(sandbox, None, None, size))
    }

    /// A demo CareLoop of `size` that keeps its data in `data_file` (so it can be stopped and
    /// restarted), without alerts.
    pub async fn start_in(
        size: DataSize,
        data_file: std::path::PathBuf,
    ) -> Result<Self, loopdesk_sandbox::Error> {
        let sandbox =
            DemoSandbox::start(size, Some(&new_key()), Vec::new(), Some(data_file), None).await?;
        Ok(Self::compose(sandbox, None, None, size))
    }

    /// The whole demo with its files in `dir`: the alert bridge first, then the CareLoop that
    /// sends it webhooks. It goes on with the files an earlier start left there (see the crate's
    /// documentation); without them the demo CareLoop's data is made around today. Without a
    /// bridge the demo still works, without alerts.
    pub async fn start_with_alerts(
        size: DataSize,
        dir: &Path,
    ) -> Result<Self, loopdesk_sandbox::Error> {
        let data = dir.join(SANDBOX_FILE);
        // A kept file comes with its own key: a new one only for new data.
        let key = (!data.exists()).then(new_key);
        let last = Addresses::read(dir);
        let bridge = match DemoBridge::start(dir, last.bridge).await {
            Ok(b) => Some(b),
            Err(e) => {
                tracing::error!(error = %e, "demo alert bridge did not start; demo without alerts");
                None
            }
        };
        let webhooks = bridge.iter().map(|b| b.webhook.clone()).collect();
        let sandbox =
            DemoSandbox::start(size, key.as_deref(), webhooks, Some(data), last.sandbox).await?;
        Addresses {
            sandbox: Some(sandbox.addr()),
            bridge: bridge.as_ref().map(DemoBridge::addr),
        }
        .write(dir);
        Ok(Self::compose(
            sandbox,
            bridge,
            Some(dir.to_path_buf()),
            size,
        ))
    }

    fn compose(
        sandbox: DemoSandbox,
        bridge: Option<DemoBridge>,
        dir: Option<PathBuf>,
        size: DataSize,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                key: Secret::new(sandbox.key().to_owned()),
                sandbox,
                bridge,
                dir,
                size,
                stale_after: stale_after_from_env(),
                http: reqwest::Client::new(),
                gate: Arc::new(RateGate::new(Limits::default())),
                clock: Arc::new(OffsetClock::new()),
            }),
        }
    }

    /// Whether the demo CareLoop's data was made at this start (no data kept from before).
    pub fn made_fresh(&self) -> bool {
        self.inner.sandbox.made_fresh()
    }

    /// The desk refreshes everything whole at its next pull: what CareLoop does not have goes.
    fn refresh_whole(&self, store: &Store) {
        let forgotten = store.write(|tx| {
            if repo::sync_state::all_sync_states(tx)?.is_empty() {
                return Ok(false);
            }
            for r in Resource::ALL {
                repo::sync_state::reset_sync_state(tx, r.name())?;
            }
            Ok(true)
        });
        match forgotten {
            Ok(true) => {
                tracing::warn!("the demo CareLoop's data is new: the desk refreshes it whole")
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "the desk's sync state could not be reset"),
        }
    }

    /// Stops the demo CareLoop and its bridge, waiting until they have (what they hold is
    /// already on disk: each write is).
    pub async fn shutdown(&self) {
        if let Err(e) = self.inner.sandbox.stop().await {
            tracing::warn!(error = %e, "the demo CareLoop stopped with an error");
        }
        if let Some(b) = &self.inner.bridge {
            if let Err(e) = b.set_running(false).await {
                tracing::warn!(error = %e, "the demo bridge stopped with an error");
            }
        }
    }

    /// Refuses (changing nothing) unless this demo can be reset on `store`: it keeps files, and
    /// no real CareLoop or bridge address is saved (then the desk's file holds only the demo's).
    pub fn check_reset(&self, store: &Store) -> Result<(), CommandError> {
        if self.inner.dir.is_none() {
            return Err(CommandError::new(
                Code::InvalidInput,
                "This demo keeps nothing: it starts afresh each time.",
            ));
        }
        let real = store.read(|c| {
            Ok(
                repo::settings::get_setting(c, settings::API_BASE_URL)?.is_some()
                    || repo::settings::get_setting(c, alerts::settings::BRIDGE_URL)?.is_some(),
            )
        })?;
        if real {
            return Err(CommandError::new(
                Code::InvalidInput,
                "A real CareLoop or alert bridge is set up on this desk, so its data is not only \
                 the demo's: the demo data cannot be reset here. Nothing was changed.",
            ));
        }
        Ok(())
    }

    /// "Reset demo data": the demo starts afresh, as on its first day. Stops `desk` (the desk on
    /// this demo: the caller gives up its handles on it and its store), stops the demo CareLoop
    /// and bridge, deletes their files and the desk's data file, and starts a new demo in the
    /// same folder, on the same addresses when they are free. The caller then opens the desk's
    /// data file again (a new, empty one) with a desk on the demo this returns.
    ///
    /// Refused as [`Demo::check_reset`] says, checked again once the desk has stopped (nothing
    /// can change its settings then): the desk is stopped but nothing else is changed, and the
    /// caller opens it again on this demo.
    pub async fn reset(&self, desk: Arc<Desk>) -> Result<Demo, CommandError> {
        // Nothing is synced, polled or saved from here on.
        desk.shutdown().await;
        let local = desk.store().path().to_path_buf();
        let store = desk.store().clone();
        drop(desk);
        let store = sole(store).await;
        self.check_reset(&store)?;
        drop(store);
        let Some(dir) = self.inner.dir.clone() else {
            return Err(CommandError::new(Code::Internal, "the demo keeps no files"));
        };
        tracing::warn!(dir = %dir.display(), "resetting the demo data");
        self.shutdown().await;
        for file in [dir.join(SANDBOX_FILE), dir.join(BRIDGE_FILE), local] {
            remove_with_wal(&file).map_err(|e| {
                CommandError::new(
                    Code::Internal,
                    format!(
                        "The demo data could not be deleted ({}: {e}). Restart Loopdesk.",
                        file.display()
                    ),
                )
            })?;
        }
        Demo::start_with_alerts(self.inner.size, &dir)
            .await
            .map_err(|e| {
                CommandError::new(
                    Code::Unavailable,
                    format!("The demo could not start again: {e}. Restart Loopdesk."),
                )
            })
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

    /// The clock for a desk on this demo (`DeskConfig::clock`): the real time plus however far
    /// [`Demo::advance_clock`] moved it.
    pub fn clock(&self) -> Arc<OffsetClock> {
        self.inner.clock.clone()
    }

    /// Moves the demo desk's clock forward by `by` (never back), to show what time does (the
    /// idle lock, a pause ending) without waiting; the desk is told with `Desk::clock_moved`.
    pub fn advance_clock(&self, by: Duration) {
        self.inner.clock.advance(by);
    }

    /// The demo desk stands at the demo's first home (a real desk's home is chosen in
    /// Settings, which would end the demo), so the kiosk's sign-in works out of the box. A home
    /// chosen before is kept; when the demo CareLoop cannot say, the desk has none (and says
    /// so where it needs one). At start and again after [`Demo::reset`], on its new data file.
    pub async fn choose_home(&self, store: &Arc<Store>) {
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

/// Waits (five seconds at most) until `store` is held by nothing else (a command that was under
/// way when the desk stopped), so that the file is closed when it is deleted. (Should something
/// still hold it, the new file is safe all the same on Unix: SQLite refuses to change, or
/// checkpoint on close, a database deleted under it.)
async fn sole(store: Arc<Store>) -> Arc<Store> {
    for _ in 0..500 {
        if Arc::strong_count(&store) == 1 {
            return store;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tracing::warn!("the desk's data file is still in use; deleting it all the same");
    store
}

fn unavailable(e: impl std::fmt::Display) -> CommandError {
    tracing::warn!(error = %e, "demo sandbox request failed");
    CommandError::new(
        Code::Unavailable,
        format!("The demo CareLoop did not answer: {e}"),
    )
}
