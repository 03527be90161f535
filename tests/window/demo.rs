//! The demo keeps what was done in it: a care note added in the demo, once it has reached the
//! demo CareLoop, is still on the resident's page after Loopdesk is closed and started again on
//! the same data folder; "Reset demo data" in Settings, once confirmed, starts the demo afresh
//! and the note is gone.

use std::time::{Duration, Instant};

use loopdesk_e2e::window::{AppWindow, LaunchOptions, APPEAR};
use serde_json::{json, Value};

const NOTE: &str = "Walked to the garden with her daughter and enjoyed the sunshine.";

/// The first current resident by name (shown on the residents list before anything is typed).
async fn first_resident(app: &AppWindow) -> String {
    let found = app
        .invoke(
            "search_residents",
            json!({ "text": null, "locationId": null, "status": "current", "limit": 1 }),
        )
        .await
        .expect("the desk searches");
    found[0]["id"].as_str().expect("a resident").to_owned()
}

/// Opens the resident's page from the residents list.
async fn open_resident(app: &AppWindow, id: &str) {
    app.click_on("[data-testid=console-nav-residents]").await;
    app.click_on(&format!(
        "[data-testid=resident-row][data-resident-id=\"{id}\"]"
    ))
    .await;
    app.wait_for("[data-testid=resident-page]").await;
}

/// The resident's care notes as the desk has them, with whether each waits to sync.
async fn desk_notes(app: &AppWindow, id: &str) -> Vec<(String, bool)> {
    let detail = app
        .invoke("get_resident", json!({ "id": id }))
        .await
        .expect("the resident is on the desk");
    detail["care_notes"]
        .as_array()
        .expect("care notes")
        .iter()
        .map(|n| {
            (
                n["body"].as_str().unwrap_or_default().to_owned(),
                n["pending"].as_bool().unwrap_or(true),
            )
        })
        .collect()
}

/// Opens the resident's page, waits until the desk has asked CareLoop for the resident's notes
/// (opening the page asks; a sync asked for after it ends after it), and opens the page again:
/// what it shows then is what CareLoop has.
async fn page_after_refresh(app: &AppWindow, id: &str) -> String {
    open_resident(app, id).await;
    app.invoke("sync_now", json!({}))
        .await
        .expect("the demo CareLoop answers");
    app.click_on("[data-testid=back-to-residents]").await;
    open_resident(app, id).await;
    app.text_of("[data-testid=care-notes]").await
}

/// Waits until nothing waits to be sent to CareLoop and the desk is online.
async fn wait_until_synced(app: &AppWindow) {
    let deadline = Instant::now() + APPEAR;
    loop {
        let status = app.invoke("sync_status", json!({})).await;
        let synced = status
            .as_ref()
            .is_ok_and(|s: &Value| s["queued"] == 0 && s["connection"] == "online");
        if synced {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still waiting to sync: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_synced_care_note_is_there_after_a_restart_and_gone_after_a_reset() {
    let folder = tempfile::tempdir().unwrap();
    // The same keyring for both starts: it keeps the data file's key.
    let keyring = tempfile::tempdir().unwrap();
    let options = LaunchOptions {
        data_dir: Some(folder.path().to_path_buf()),
        keyring_home: Some(keyring.path().to_path_buf()),
        env: vec![("LOOPDESK_DEMO".into(), "1".into())],
        ..Default::default()
    };

    let app = AppWindow::launch_with(options.clone()).await;
    app.wait_for("[data-testid=shell]").await;
    app.click_on("[data-testid=nav-console]").await;
    app.wait_until_pulled("residents").await;
    // "This desk" says when each kind of data last came, and how often each is checked.
    app.click_on("[data-testid=console-nav-overview]").await;
    app.wait_for("[data-testid=sync-cadence]").await;
    app.session
        .execute(
            "document.querySelector('[data-testid=sync-cadence]').scrollIntoView({block: 'center'}); return null;",
            vec![],
        )
        .await
        .unwrap();
    let words = app.text_of("[data-testid=sync-cadence]").await;
    assert!(words.contains("every 5 minutes"), "{words}");
    app.screenshot("demo-this-desk-data").await;
    let id = first_resident(&app).await;
    open_resident(&app, &id).await;
    app.click_on("[data-testid=add-care-note]").await;
    app.wait_for("[data-testid=care-note-form]").await;
    app.click_on("[data-testid=care-note-category] option[value=mood]")
        .await;
    let body = app.wait_for("[data-testid=care-note-body]").await;
    app.session.send_keys(&body, NOTE).await.unwrap();
    app.click_on("[data-testid=save-care-note]").await;
    app.wait_for("[data-testid=care-note-saved]").await;
    // It reaches the demo CareLoop (sent at once when the desk is online).
    wait_until_synced(&app).await;
    assert!(desk_notes(&app, &id)
        .await
        .contains(&(NOTE.to_owned(), false)));
    app.close().await;

    // Loopdesk starts again on the same data folder: the note is still there, synced.
    let app = AppWindow::launch_with(options.clone()).await;
    app.wait_for("[data-testid=shell]").await;
    app.click_on("[data-testid=nav-console]").await;
    let notes = page_after_refresh(&app, &id).await;
    assert!(notes.contains(NOTE), "{notes}");
    assert!(desk_notes(&app, &id)
        .await
        .contains(&(NOTE.to_owned(), false)));
    app.screenshot("demo-kept-after-restart").await;

    // "Reset demo data": a confirmation says what goes; then the demo starts afresh.
    app.click_on("[data-testid=console-nav-settings]").await;
    app.click_on("[data-testid=reset-demo]").await;
    let question = app.text_of("[data-testid=reset-demo-confirmation]").await;
    assert!(question.contains("Reset the demo data?"), "{question}");
    assert!(
        question.contains("No real CareLoop is touched"),
        "{question}"
    );
    app.screenshot("demo-reset-confirmation").await;
    app.click_on("[data-testid=confirm-reset-demo]").await;
    // The window starts again, on Reception, with the new demo.
    app.wait_for("[data-testid=shell][data-area=reception]")
        .await;
    app.click_on("[data-testid=nav-console]").await;
    app.wait_until_pulled("residents").await;
    let notes = page_after_refresh(&app, &id).await;
    assert!(!notes.contains(NOTE), "{notes}");
    assert!(!desk_notes(&app, &id)
        .await
        .iter()
        .any(|(body, _)| body == NOTE));
    app.close().await;
}
