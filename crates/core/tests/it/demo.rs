//! The demo backend: an in-process sandbox whose key lives only in memory.

use std::sync::Arc;

use loopdesk_core::desk::{demo, Desk, DeskConfig};
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::{MemorySecretStore, SecretStore, API_KEY};
use loopdesk_core::store::repo::care::VisitStatus;
use loopdesk_core::sync::{Connection, SyncEvent};
use loopdesk_core::Store;
use loopdesk_sandbox::DataSize;

use crate::peer::{client_options, sync_options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_backend_serves_real_data_until_real_settings_replace_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("loopdesk.db")).unwrap());
    // The real keyring stand-in: the demo must never write its key there.
    let secrets = Arc::new(MemorySecretStore::new());
    let mut config = DeskConfig::new(secrets.clone());
    config.sync = sync_options();
    config.client = client_options();
    config.demo = Some(demo::start(DataSize::Small).await.unwrap());
    let desk = Desk::open(store, config).await.unwrap();

    let settings = desk.get_settings().await.unwrap();
    assert!(settings.demo);
    assert!(settings
        .api_base_url
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    assert!(settings.api_key_hint.is_some());
    // What the window's sync bar receives: the status at once, then progress and changes.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let forward = desk.forward_sync_events(move |e| tx.send(e).is_ok());
    desk.sync_now().await.unwrap();
    let first = rx.recv().await.unwrap();
    assert!(
        matches!(first, SyncEvent::Status(ref s) if s.demo),
        "{first:?}"
    );
    let mut saw_progress = false;
    loop {
        match rx.recv().await.unwrap() {
            SyncEvent::Progress(p) => {
                saw_progress |= p.resource == "residents" && p.done == p.total
            }
            SyncEvent::Status(s) if s.connection == Connection::Online => break,
            SyncEvent::Status(_) => {}
        }
    }
    assert!(saw_progress);
    drop(rx);
    desk.request_refresh(loopdesk_core::sync::Resource::Residents);
    forward.await.unwrap(); // stops once the receiver is gone
    let status = desk.sync_status().await.unwrap();
    assert!(status.demo);
    assert_eq!(status.connection, Connection::Online);
    assert!(!desk
        .search_residents(None, None, None, None)
        .await
        .unwrap()
        .is_empty());
    assert!(
        secrets.get(API_KEY).unwrap().is_none(),
        "the demo key stays in memory"
    );
    let stored: Vec<String> = desk
        .store()
        .read(|c| {
            let mut s = c.prepare("SELECT key FROM settings")?;
            let keys = s
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(keys)
        })
        .unwrap();
    assert!(stored.is_empty(), "the demo writes no settings: {stored:?}");

    // Real settings replace the demo backend.
    let view = desk
        .save_settings(
            "http://127.0.0.1:9".into(),
            None,
            Some(Secret::new("cl_live_real_key_00001234")),
        )
        .await
        .unwrap();
    assert!(!view.demo);
    assert_eq!(view.api_key_hint.as_deref(), Some("…1234"));
    assert!(!desk.sync_status().await.unwrap().demo);
    desk.shutdown().await;
}

/// Waits for a sync status that `ok` accepts (the current one counts).
async fn status_until(
    desk: &Arc<Desk>,
    ok: impl Fn(&loopdesk_core::sync::SyncStatus) -> bool,
) -> loopdesk_core::sync::SyncStatus {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _forward = desk.forward_sync_events(move |e| tx.send(e).is_ok());
    let wait = async {
        loop {
            if let SyncEvent::Status(s) = rx.recv().await.unwrap() {
                if ok(&s) {
                    return s;
                }
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), wait)
        .await
        .expect("the sync status never got there")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_sandbox_stops_and_comes_back_with_its_data_and_a_queued_write_lands_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("loopdesk.db")).unwrap());
    let mut config = DeskConfig::new(Arc::new(MemorySecretStore::new()));
    config.sync = sync_options();
    config.client = client_options();
    let data = dir.path().join("demo-sandbox.sqlite");
    config.demo = Some(
        demo::start_in(DataSize::Small, Vec::new(), Some(data))
            .await
            .unwrap(),
    );
    let desk = Desk::open(store, config).await.unwrap();
    let url = desk.get_settings().await.unwrap().api_base_url;
    desk.sync_now().await.unwrap();
    status_until(&desk, |s| s.connection == Connection::Online).await;
    let (from, to) = ("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z");
    let visits = desk
        .list_visits(from.into(), to.into(), None)
        .await
        .unwrap();
    let id = visits
        .iter()
        .find(|v| v.visit.status == VisitStatus::Scheduled)
        .expect("the demo has scheduled visits")
        .visit
        .id
        .clone();
    let before = desk.demo_server_visit(id.clone()).await.unwrap();
    assert_eq!((before.status.as_str(), before.changes), ("scheduled", 0));

    // Down: the write is kept, the desk says offline.
    desk.set_demo_sandbox_running(false).await.unwrap();
    desk.set_demo_sandbox_running(false).await.unwrap(); // already stopped: nothing happens
    let confirmed = desk.confirm_visit(id.clone()).await.unwrap();
    assert!(confirmed.pending);
    let down = desk.sync_now().await.unwrap_err();
    assert_eq!(down.code, loopdesk_core::ipc::Code::Unavailable, "{down:?}");
    let offline = status_until(&desk, |s| s.connection == Connection::Offline).await;
    assert_eq!(offline.queued, 1);
    assert!(desk.demo_server_visit(id.clone()).await.is_err());

    // Back, on the same address with the same data: the write lands exactly once.
    desk.set_demo_sandbox_running(true).await.unwrap();
    assert_eq!(desk.get_settings().await.unwrap().api_base_url, url);
    desk.sync_now().await.unwrap();
    status_until(&desk, |s| {
        s.connection == Connection::Online && s.queued == 0
    })
    .await;
    let after = desk
        .list_visits(from.into(), to.into(), None)
        .await
        .unwrap();
    let local = after.iter().find(|v| v.visit.id == id).unwrap();
    assert!(!local.pending);
    assert_eq!(local.visit.status, VisitStatus::Confirmed);
    assert_eq!(
        after.len(),
        visits.len(),
        "the restarted sandbox kept its data"
    );
    let server = desk.demo_server_visit(id.clone()).await.unwrap();
    assert_eq!((server.status.as_str(), server.changes), ("confirmed", 1));

    // Bad input changes nothing and says why.
    let bad = desk
        .demo_server_visit("../residents".into())
        .await
        .unwrap_err();
    assert_eq!(bad.code, loopdesk_core::ipc::Code::InvalidInput);
    desk.shutdown().await;
}

#[tokio::test]
async fn only_a_demo_with_a_data_file_can_stop_its_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    // In memory: a restart would lose the data, so it is refused.
    let store = Arc::new(Store::open(dir.path().join("a.db")).unwrap());
    let mut config = DeskConfig::new(Arc::new(MemorySecretStore::new()));
    config.sync = sync_options();
    config.demo = Some(demo::start(DataSize::Small).await.unwrap());
    let desk = Desk::open(store, config).await.unwrap();
    let err = desk.set_demo_sandbox_running(false).await.unwrap_err();
    assert_eq!(err.code, loopdesk_core::ipc::Code::Unavailable);
    desk.shutdown().await;
    // Not a demo at all.
    let store = Arc::new(Store::open(dir.path().join("b.db")).unwrap());
    let mut config = DeskConfig::new(Arc::new(MemorySecretStore::new()));
    config.sync = sync_options();
    let desk = Desk::open(store, config).await.unwrap();
    let err = desk.set_demo_sandbox_running(false).await.unwrap_err();
    assert_eq!(err.code, loopdesk_core::ipc::Code::InvalidInput);
    let err = desk.demo_server_visit("vis_1".into()).await.unwrap_err();
    assert_eq!(err.code, loopdesk_core::ipc::Code::InvalidInput);
    desk.shutdown().await;
}
