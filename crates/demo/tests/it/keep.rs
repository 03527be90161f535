//! The demo keeps what was done in it from one start to the next (its CareLoop, its bridge and
//! the desk agree), until a person resets it: then it starts as on its first day.

use std::sync::Arc;

use loopdesk_core::alerts::settings::{BRIDGE_CURSOR, BRIDGE_CURSOR_URL};
use loopdesk_core::api::{ApiClient, ClientOptions, Limits, ListQuery, RateGate};
use loopdesk_core::desk::Desk;
use loopdesk_core::ipc::Code;
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::{MemorySecretStore, SecretStore, API_KEY};
use loopdesk_core::store::repo;
use loopdesk_core::sync::Resource;
use loopdesk_demo::{DataSize, Demo, ADDRESSES_FILE, BRIDGE_FILE, SANDBOX_FILE};

use crate::{desk_on, status_until, until};

const NOTE: &str = "Enjoyed the garden this morning and asked for more tea.";

/// The care notes the demo CareLoop has for `resident` (their bodies).
async fn server_notes(demo: &Demo, resident: &str) -> Vec<String> {
    let key = demo.backend().secrets.get(API_KEY).unwrap().unwrap();
    let client = ApiClient::new(
        &demo.base_url(),
        key,
        Arc::new(RateGate::new(Limits::default())),
        ClientOptions::default(),
    )
    .unwrap();
    let query = ListQuery {
        page: 1,
        page_size: 100,
        ..ListQuery::default()
    };
    client
        .list(&format!("/v1/residents/{resident}/care-notes"), &query)
        .await
        .unwrap()
        .body
        .data
        .iter()
        .filter_map(|n| n["body"].as_str().map(str::to_owned))
        .collect()
}

/// The resident's page as the desk shows it, once the desk has asked CareLoop for the
/// resident's notes (opening the page asks; a sync after it waits for that).
async fn notes_on_page(desk: &Arc<Desk>, resident: &str) -> Vec<(String, bool)> {
    desk.get_resident(resident.to_owned()).await.unwrap();
    desk.sync_now().await.unwrap();
    desk.get_resident(resident.to_owned())
        .await
        .unwrap()
        .care_notes
        .into_iter()
        .map(|n| (n.note.body, n.pending))
        .collect()
}

fn setting(desk: &Desk, name: &str) -> Option<String> {
    desk.store()
        .read(|c| repo::settings::get_setting(c, name))
        .unwrap()
}

fn open_alert_kinds(desk: &Desk) -> Vec<String> {
    desk.store()
        .read(repo::alerts::open_alerts)
        .unwrap()
        .into_iter()
        .map(|a| a.kind)
        .collect()
}

async fn alert_arrives(demo: &Demo, desk: &Desk, kind: &str) {
    demo.trigger_alert(kind.into()).await.unwrap();
    until(kind, || {
        open_alert_kinds(desk)
            .contains(&kind.to_owned())
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synced_care_note_is_kept_across_a_restart_until_the_demo_is_reset() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecretStore::new());
    let demo = Demo::start_with_alerts(DataSize::Small, dir.path())
        .await
        .unwrap();
    assert!(demo.made_fresh());
    let desk = desk_on(&demo, &dir, secrets.clone()).await;
    desk.sync_now().await.unwrap();
    let resident = desk
        .search_residents(None, None, None, Some(1))
        .await
        .unwrap()
        .remove(0)
        .id;
    let note = desk
        .add_care_note(resident.clone(), NOTE.into(), "mood".into())
        .await
        .unwrap();
    assert!(note.pending);
    desk.sync_now().await.unwrap();
    status_until(&desk, |s| s.queued == 0).await;
    assert!(notes_on_page(&desk, &resident)
        .await
        .contains(&(NOTE.to_owned(), false)));
    alert_arrives(&demo, &desk, "incident.critical").await;
    let bridge_url = demo.backend().alerts.unwrap().bridge_url;
    assert_eq!(setting(&desk, BRIDGE_CURSOR_URL), Some(bridge_url.clone()));
    let cursor = setting(&desk, BRIDGE_CURSOR);

    // Loopdesk closes...
    desk.shutdown().await;
    demo.shutdown().await;
    drop((desk, demo));
    for file in [SANDBOX_FILE, BRIDGE_FILE, ADDRESSES_FILE] {
        assert!(dir.path().join(file).exists(), "{file} is kept");
    }

    // ...and starts again on the same folder: the demo goes on with its data.
    let demo = Demo::start_with_alerts(DataSize::Small, dir.path())
        .await
        .unwrap();
    assert!(!demo.made_fresh());
    let desk = desk_on(&demo, &dir, secrets.clone()).await;
    assert!(server_notes(&demo, &resident)
        .await
        .contains(&NOTE.to_owned()));
    // Even a whole refresh (what CareLoop does not have goes) keeps it.
    desk.store()
        .write(|tx| {
            for r in Resource::ALL {
                repo::sync_state::reset_sync_state(tx, r.name())?;
            }
            Ok(())
        })
        .unwrap();
    assert!(notes_on_page(&desk, &resident)
        .await
        .contains(&(NOTE.to_owned(), false)));
    // The bridge is the same one, where it was: the desk's cursor goes on, nothing comes twice.
    assert_eq!(demo.backend().alerts.unwrap().bridge_url, bridge_url);
    assert_eq!(setting(&desk, BRIDGE_CURSOR), cursor);
    alert_arrives(&demo, &desk, "visit.no_show").await;
    let kinds = open_alert_kinds(&desk);
    assert_eq!(
        kinds.iter().filter(|k| *k == "incident.critical").count(),
        1,
        "{kinds:?}"
    );

    // A person resets the demo: it starts as on its first day, on both sides.
    let fresh = demo.reset(desk).await.unwrap();
    assert!(fresh.made_fresh());
    assert!(!server_notes(&fresh, &resident)
        .await
        .contains(&NOTE.to_owned()));
    let desk = desk_on(&fresh, &dir, secrets.clone()).await;
    assert!(desk
        .store()
        .read(repo::alerts::open_alerts)
        .unwrap()
        .is_empty());
    assert_eq!(setting(&desk, BRIDGE_CURSOR), None);
    desk.sync_now().await.unwrap();
    assert!(!desk
        .search_residents(None, None, None, None)
        .await
        .unwrap()
        .is_empty());
    assert!(!notes_on_page(&desk, &resident)
        .await
        .iter()
        .any(|(body, _)| body == NOTE));
    // Its bridge works with the new data.
    alert_arrives(&fresh, &desk, "incident.critical").await;
    desk.shutdown().await;
    fresh.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_touches_nothing_when_a_real_careloop_is_set_up() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start_with_alerts(DataSize::Small, dir.path())
        .await
        .unwrap();
    let desk = desk_on(&demo, &dir, Arc::new(MemorySecretStore::new())).await;
    desk.save_settings(
        "http://127.0.0.1:9".into(),
        None,
        Some(Secret::new("cl_live_real_key_00001234")),
    )
    .await
    .unwrap();
    let refused = demo.reset(desk).await.unwrap_err();
    assert_eq!(refused.code, Code::InvalidInput);
    assert!(
        refused.message.contains("Nothing was changed"),
        "{refused:?}"
    );
    for file in [SANDBOX_FILE, BRIDGE_FILE, "loopdesk.db"] {
        assert!(dir.path().join(file).exists(), "{file} is still there");
    }
    let store = loopdesk_core::Store::open(dir.path().join("loopdesk.db")).unwrap();
    let saved = store
        .read(|c| repo::settings::get_setting(c, loopdesk_core::desk::settings::API_BASE_URL))
        .unwrap();
    assert_eq!(saved.as_deref(), Some("http://127.0.0.1:9"));
    // The demo goes on as it was.
    demo.trigger_alert("visit.no_show".into()).await.unwrap();
    demo.shutdown().await;

    // A demo that keeps nothing has nothing to reset.
    let memory = Demo::start(DataSize::Small).await.unwrap();
    let other = tempfile::tempdir().unwrap();
    let desk = desk_on(&memory, &other, Arc::new(MemorySecretStore::new())).await;
    let refused = memory.reset(desk).await.unwrap_err();
    assert_eq!(refused.code, Code::InvalidInput);
}
