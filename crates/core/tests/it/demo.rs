//! The demo backend: an in-process sandbox whose key lives only in memory.

use std::sync::Arc;

use loopdesk_core::desk::{demo, Desk, DeskConfig};
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::{MemorySecretStore, SecretStore, API_KEY};
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
