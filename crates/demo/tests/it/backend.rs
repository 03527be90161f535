//! The demo's CareLoop: real data on first start, the key in memory only, real settings
//! replace it; it stops and comes back with its data.

use std::sync::Arc;

use loopdesk_core::ipc::Code;
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::{MemorySecretStore, SecretStore, API_KEY};
use loopdesk_core::store::repo::care::VisitStatus;
use loopdesk_core::sync::{Connection, SyncEvent};
use loopdesk_demo::{DataSize, Demo};

use crate::{desk_on, status_until, DEADLINE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_backend_serves_real_data_until_real_settings_replace_it() {
    let dir = tempfile::tempdir().unwrap();
    // The real keyring stand-in: the demo must never write its key there.
    let secrets = Arc::new(MemorySecretStore::new());
    let demo = Demo::start(DataSize::Small).await.unwrap();
    let desk = desk_on(&demo, &dir, secrets.clone()).await;

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
    let events = async {
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
        saw_progress
    };
    let saw_progress = tokio::time::timeout(DEADLINE, events)
        .await
        .expect("the sync events arrived");
    assert!(saw_progress);
    drop(rx);
    // The next event the window would see (a write changes the queued count; a refresh that
    // brings nothing new sends none) finds the receiver gone.
    let resident = desk.search_residents(None, None, None, None).await.unwrap()[0]
        .id
        .clone();
    desk.add_care_note(resident, "Settled after lunch.".into(), "mood".into())
        .await
        .unwrap();
    tokio::time::timeout(DEADLINE, forward)
        .await
        .expect("the forwarding stops once the receiver is gone")
        .unwrap();
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
            // The desk's own bookkeeping (the day of reception's last retention purge, the day
            // training notices were last checked) is not a setting a person made.
            let mut s = c.prepare(
                "SELECT key FROM settings
                 WHERE key NOT IN ('reception_last_purge', 'training_notices_checked_on')",
            )?;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_sandbox_stops_and_comes_back_with_its_data_and_a_queued_write_lands_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join(loopdesk_demo::SANDBOX_FILE);
    let demo = Demo::start_in(DataSize::Small, data).await.unwrap();
    let desk = desk_on(&demo, &dir, Arc::new(MemorySecretStore::new())).await;
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
    let before = demo.server_visit(id.clone()).await.unwrap();
    assert_eq!((before.status.as_str(), before.changes), ("scheduled", 0));

    // Down: the write is kept, the desk says offline.
    demo.set_sandbox_running(false).await.unwrap();
    demo.set_sandbox_running(false).await.unwrap(); // already stopped: nothing happens
    let confirmed = desk.confirm_visit(id.clone()).await.unwrap();
    assert!(confirmed.pending);
    let down = desk.sync_now().await.unwrap_err();
    assert_eq!(down.code, Code::Unavailable, "{down:?}");
    let offline = status_until(&desk, |s| s.connection == Connection::Offline).await;
    assert_eq!(offline.queued, 1);
    assert!(demo.server_visit(id.clone()).await.is_err());

    // Back, on the same address with the same data: the write lands exactly once.
    demo.set_sandbox_running(true).await.unwrap();
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
    let server = demo.server_visit(id.clone()).await.unwrap();
    assert_eq!((server.status.as_str(), server.changes), ("confirmed", 1));

    // Bad input changes nothing and says why.
    let bad = demo.server_visit("../residents".into()).await.unwrap_err();
    assert_eq!(bad.code, Code::InvalidInput);
    desk.shutdown().await;
}

#[tokio::test]
async fn only_a_demo_with_a_data_file_can_stop_its_sandbox() {
    // In memory: a restart would lose the data, so it is refused.
    let demo = Demo::start(DataSize::Small).await.unwrap();
    let err = demo.set_sandbox_running(false).await.unwrap_err();
    assert_eq!(err.code, Code::Unavailable);
    // Without a bridge there is no test alert and no bridge to stop.
    let err = demo
        .trigger_alert("incident.critical".into())
        .await
        .unwrap_err();
    assert_eq!(err.code, Code::Unavailable);
    let err = demo.set_bridge_running(false).await.unwrap_err();
    assert_eq!(err.code, Code::Unavailable);
}
