//! Visits in the real window, in demo mode: a visit confirmed while the demo CareLoop is down
//! waits to sync (the sync bar says offline, one change queued); once CareLoop is back and the
//! desk syncs, it is no longer pending, and CareLoop holds the change exactly once.

use loopdesk_e2e::window::{AppWindow, LaunchOptions, APPEAR};
use serde_json::json;

/// The demo-only command that stops or restarts the demo CareLoop (same address, same data).
async fn set_demo_sandbox(app: &AppWindow, running: bool) {
    let answer = app
        .invoke("set_demo_sandbox", json!({ "running": running }))
        .await;
    assert_eq!(answer, Ok(json!(null)), "set_demo_sandbox({running})");
}

/// The id of a scheduled visit on the day after tomorrow (in the home's calendar, Europe/London,
/// as the Visits screen's day tabs) at this desk's home (the screen shows it), from the desk's
/// own list.
async fn scheduled_visit_in_two_days(app: &AppWindow) -> String {
    let home = app
        .invoke("get_settings", json!({}))
        .await
        .expect("the settings")["location_id"]
        .clone();
    let script = "const done = arguments[arguments.length - 1];
        const day = (d) => new Intl.DateTimeFormat('en-CA', {
            timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
        const target = day(new Date(Date.now() + 2 * 86400000));
        const from = new Date(Date.now() + 86400000);
        const to = new Date(Date.now() + 4 * 86400000);
        window.__TAURI_INTERNALS__
            .invoke('list_visits', { from: from.toISOString(), to: to.toISOString(), locationId: arguments[0] })
            .then((v) => done(v
                    .filter((x) => x.status === 'scheduled' && day(new Date(x.starts_at)) === target)
                    .map((x) => x.id)),
                  (e) => done({ err: e }));";
    let ids = app.session.execute_async(script, vec![home]).await.unwrap();
    let ids = ids
        .as_array()
        .unwrap_or_else(|| panic!("list_visits: {ids}"));
    ids.first()
        .and_then(serde_json::Value::as_str)
        .expect("the demo has visits to confirm in two days")
        .to_owned()
}

#[tokio::test]
async fn a_visit_confirmed_while_careloop_is_down_waits_and_lands_once_when_it_is_back() {
    let app = AppWindow::launch_with(LaunchOptions {
        env: vec![("LOOPDESK_DEMO".into(), "1".into())],
        ..Default::default()
    })
    .await;
    app.wait_for("[data-testid=shell]").await;
    app.click_on("[data-testid=nav-console]").await;
    // The first sync has brought the visits (it may still be getting incidents: CareLoop going
    // down in the middle of a pull is part of what the desk must cope with).
    app.wait_until_pulled("visits").await;
    app.click_on("[data-testid=console-nav-visits]").await;
    // The day after tomorrow: every visit there is still to come (today's may be over, and a
    // visit not confirmed in time becomes a no-show).
    app.click_on("#visit-day-2").await;
    // A scheduled visit on that day (the desk's own list), which can be confirmed.
    let id = scheduled_visit_in_two_days(&app).await;
    let this = format!("[data-testid=visit-row][data-visit-id=\"{id}\"]");
    app.wait_for(&format!(
        "{this}[data-status=scheduled][data-pending=false]"
    ))
    .await;

    // CareLoop goes down; the confirmation is kept here and waits.
    set_demo_sandbox(&app, false).await;
    app.click_on(&format!("{this} [data-testid=confirm-visit]"))
        .await;
    app.wait_for(&format!(
        "{this}[data-status=confirmed][data-pending=true] [data-testid=visit-pending]"
    ))
    .await;
    app.wait_for("[data-testid=sync-bar][data-state=offline]")
        .await;
    let queued = app
        .session
        .wait_for_text("[data-testid=queued-count]", APPEAR, |t| t.trim() == "1")
        .await;
    assert!(queued.is_ok(), "{queued:?}");
    app.screenshot("visit-pending-offline").await;

    // CareLoop is back: "Sync now" sends it.
    set_demo_sandbox(&app, true).await;
    app.click_on("[data-testid=sync-now]").await;
    app.wait_for(&format!(
        "{this}[data-status=confirmed][data-pending=false]"
    ))
    .await;
    app.wait_for("[data-testid=sync-bar][data-state=online]")
        .await;
    let queued = app
        .session
        .wait_for_text("[data-testid=queued-count]", APPEAR, |t| t.trim() == "0")
        .await;
    assert!(queued.is_ok(), "{queued:?}");
    assert!(
        app.session
            .find(&format!("{this} [data-testid=visit-pending]"))
            .await
            .unwrap()
            .is_none(),
        "no longer waiting to sync"
    );
    app.screenshot("visit-synced").await;

    // CareLoop has it, changed exactly once.
    let server = app
        .invoke("demo_server_visit", json!({ "id": id }))
        .await
        .expect("the demo CareLoop answers");
    assert_eq!(server["status"], "confirmed", "{server}");
    assert_eq!(server["changes"], 1, "{server}");
    app.close().await;
}
