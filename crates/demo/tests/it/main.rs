//! The demo backend against a real desk: its CareLoop and alert bridge in the same process, the
//! key and token in memory only.

mod alerts;
mod backend;
mod keep;

use std::sync::Arc;
use std::time::Duration;

use loopdesk_core::alerts::AlertsConfig;
use loopdesk_core::api::ClientOptions;
use loopdesk_core::desk::{Desk, DeskConfig};
use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::sync::{SyncEvent, SyncOptions, SyncStatus};
use loopdesk_core::Store;
use loopdesk_demo::Demo;

/// How long any wait of these tests may take before it fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A desk over a fresh file in `dir` on `demo`, syncing only when asked.
pub async fn desk_on(
    demo: &Demo,
    dir: &tempfile::TempDir,
    secrets: Arc<MemorySecretStore>,
) -> Arc<Desk> {
    let store = Arc::new(Store::open(dir.path().join("loopdesk.db")).unwrap());
    let mut config = DeskConfig::new(secrets);
    config.sync = SyncOptions {
        interval: None,
        push_on_write: false,
        visits_back: chrono::TimeDelta::days(3650),
        visits_ahead: chrono::TimeDelta::days(3650),
        incidents_back: chrono::TimeDelta::days(3650),
        ..SyncOptions::default()
    };
    config.client = ClientOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
        retries: 3,
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
    };
    // The alert poller quick to notice a stopped bridge and to come back.
    config.alerts = AlertsConfig {
        wait: Duration::from_secs(1),
        retry_min: Duration::from_millis(20),
        retry_max: Duration::from_millis(160),
        check_every: Duration::from_millis(20),
        ..AlertsConfig::default()
    };
    config.demo = Some(demo.backend());
    Desk::open(store, config).await.unwrap()
}

/// Waits for `f` to give a value, failing after [`DEADLINE`].
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

/// Waits for a sync status that `ok` accepts (the current one counts).
pub async fn status_until(desk: &Arc<Desk>, ok: impl Fn(&SyncStatus) -> bool) -> SyncStatus {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _forward = desk.forward_sync_events(move |e| tx.send(e).is_ok());
    let wait = async {
        loop {
            if let Some(SyncEvent::Status(s)) = rx.recv().await {
                if ok(&s) {
                    return s;
                }
            }
        }
    };
    tokio::time::timeout(DEADLINE, wait)
        .await
        .expect("the sync status never got there")
}
