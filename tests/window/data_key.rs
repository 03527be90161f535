//! The data file's key is not in the keyring (the keyring was reset, or the folder came from
//! another computer): the app explains it on its start-up page, leaves the file byte for byte
//! as it was, and starts afresh only after a confirmation that says how many changes were not
//! yet sent; the old file is kept, renamed.

use std::collections::BTreeMap;
use std::path::Path;

use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::store::repo::outbox::{enqueue, NewOutboxEntry};
use loopdesk_core::store::{open_for_startup, StartupState, DB_FILE_NAME};
use loopdesk_e2e::window::{AppWindow, LaunchOptions};

/// The files of `dir` itself (not of `logs/`), with their bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

#[tokio::test]
async fn a_data_file_whose_key_is_gone_is_explained_kept_and_replaced_only_after_confirmation() {
    // An encrypted data file with two writes waiting for CareLoop, its key kept in a keyring the
    // app will not have (the app's own keyring is new and empty).
    let dir = tempfile::tempdir().unwrap();
    {
        let elsewhere = MemorySecretStore::new();
        let (store, state) = open_for_startup(dir.path(), &elsewhere);
        assert_eq!(state, StartupState::Ready);
        let store = store.unwrap();
        for n in 0..2 {
            store
                .write(|tx| {
                    enqueue(
                        tx,
                        &NewOutboxEntry {
                            op: "visit.update",
                            entity: "visit",
                            entity_id: "vis_1",
                            payload: serde_json::json!({ "n": n }),
                        },
                    )
                })
                .unwrap();
        }
        drop(store);
        // Opened once more, as the desk last ran: the count beside the file says 2.
        drop(open_for_startup(dir.path(), &elsewhere).0);
    }
    let before = files(dir.path());

    let app = AppWindow::launch_with(LaunchOptions {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    })
    .await;
    app.wait_for("[data-testid=startup-error][data-state=data_key_problem]")
        .await;
    app.wait_for("[data-testid=key-problem][data-problem=key_missing]")
        .await;
    let page = app.text_of("[data-testid=startup-error]").await;
    assert!(
        page.contains("The key to this desk's data file is gone"),
        "{page}"
    );
    assert!(page.contains("The data file was not changed"), "{page}");
    assert_eq!(app.text_of("[data-testid=unsent-writes]").await.trim(), "2");
    app.screenshot("startup-key-missing").await;
    assert_eq!(
        files(dir.path()),
        before,
        "the file is untouched, byte for byte"
    );

    // Try again changes nothing while the key is still missing.
    app.click_on("[data-testid=retry-startup]").await;
    app.wait_for("[data-testid=error-summary]").await;
    assert_eq!(files(dir.path()), before);

    app.click_on("[data-testid=start-afresh]").await;
    let confirm = app.text_of("[data-testid=confirm-lost]").await;
    assert!(
        confirm.contains("2 changes made on this desk had not been sent to CareLoop"),
        "{confirm}"
    );
    assert_eq!(files(dir.path()), before, "nothing before the confirmation");
    app.click_on("[data-testid=confirm-start-afresh]").await;
    app.wait_for("[data-testid=shell]").await;

    let after = files(dir.path());
    let kept: Vec<_> = after
        .keys()
        .filter(|n| n.starts_with(&format!("{DB_FILE_NAME}.no-key-")))
        .collect();
    assert_eq!(
        kept.len(),
        1,
        "the old file is kept, renamed: {after:?}",
        after = after.keys()
    );
    assert_eq!(after[kept[0]], before[DB_FILE_NAME], "byte for byte");
    assert!(after.contains_key(DB_FILE_NAME), "a new data file");
    assert_ne!(after[DB_FILE_NAME], before[DB_FILE_NAME]);
    app.close().await;
}
