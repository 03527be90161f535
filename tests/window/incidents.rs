//! Incidents in the real window, in demo mode: while the demo CareLoop is down a shift lead logs
//! a critical fall no one saw, with a head injury marked on the body map and the resident on
//! anticoagulants: the 999 advice shows at once on the form; after Save the critical alert is
//! up, the page lists the duties with their clocks, the first post-fall observation and
//! "pending"; once CareLoop is back and the desk syncs, the page says "synced". The
//! accessibility check runs on the form, the incident page and the falls register (the helpers
//! run it on every screen they see), and the form's buttons and choices are measured at 44 px.

use loopdesk_e2e::window::{AppWindow, LaunchOptions};
use serde_json::json;

/// The demo-only command that stops or restarts the demo CareLoop (same address, same data).
async fn set_demo_sandbox(app: &AppWindow, running: bool) {
    let answer = app
        .invoke("set_demo_sandbox", json!({ "running": running }))
        .await;
    assert_eq!(answer, Ok(json!(null)), "set_demo_sandbox({running})");
}

/// Types into the element found by `css`.
async fn type_into(app: &AppWindow, css: &str, text: &str) {
    let el = app.wait_for(css).await;
    app.session.send_keys(&el, text).await.unwrap();
}

/// The form's buttons, checkboxes and text inputs with a box under 44 by 44 px (the console's
/// touch target).
async fn small_targets(app: &AppWindow, screen: &str) {
    let small = app
        .session
        .execute(
            "const out = [];
             const form = document.querySelector('[data-testid=incident-form-layout]');
             for (const el of form.querySelectorAll('button, input[type=checkbox], input[type=text], input[type=search], input[type=datetime-local], textarea')) {
                 const r = el.getBoundingClientRect();
                 if (r.width === 0 && r.height === 0) continue;
                 if (r.width < 44 || r.height < 44) {
                     out.push(`${el.outerHTML.slice(0, 80)}: ${Math.round(r.width)}x${Math.round(r.height)}`);
                 }
             }
             return { small: out, buttons: form.querySelectorAll('button').length };",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        small["buttons"].as_u64().unwrap_or(0) > 40,
        "{screen}: the body map's buttons were not measured: {small}"
    );
    assert_eq!(
        small["small"],
        json!([]),
        "{screen}: targets under 44 by 44 px"
    );
}

#[tokio::test]
async fn a_critical_fall_logged_offline_shows_advice_duties_observations_and_syncs_when_back() {
    let app = AppWindow::launch_with(LaunchOptions {
        env: vec![("LOOPDESK_DEMO".into(), "1".into())],
        ..Default::default()
    })
    .await;
    app.wait_for("[data-testid=shell]").await;
    app.click_on("[data-testid=nav-console]").await;
    app.wait_until_pulled("residents").await;
    let found = app
        .invoke(
            "search_residents",
            json!({ "text": null, "locationId": null, "status": "current", "limit": 1 }),
        )
        .await
        .expect("the desk searches");
    let name = found[0]["full_name"]
        .as_str()
        .expect("a resident")
        .to_owned();

    // CareLoop goes down; the incident is logged all the same.
    set_demo_sandbox(&app, false).await;
    app.click_on("[data-testid=console-nav-incidents]").await;
    app.click_on("[data-testid=log-incident]").await;
    app.wait_for("[data-testid=incident-form]").await;
    let typed: String = name.chars().take(5).collect();
    type_into(&app, "[data-testid=incident-resident-search]", &typed).await;
    app.click_on("[data-testid=incident-resident-option]").await;
    let chosen = app.text_of("[data-testid=incident-resident-chosen]").await;
    assert!(chosen.contains(&name), "{chosen} names {name}");
    app.click_on("[data-testid=incident-type-fall]").await;
    app.click_on("[data-testid=incident-severity-critical]")
        .await;
    type_into(
        &app,
        "[data-testid=incident-place]",
        "Room 104, beside the bed",
    )
    .await;
    type_into(
        &app,
        "[data-testid=incident-title]",
        "Found on the floor beside the bed",
    )
    .await;
    app.click_on("[data-testid=incident-fall-how-found_on_floor]")
        .await;
    // No one saw it (the form's first answer); a knock on the back of the head.
    app.click_on("[data-testid=region-head\\.back]").await;
    app.wait_for("[data-testid=region-head\\.back][aria-pressed=true]")
        .await;
    let marked = app.text_of("[data-testid=body-map-marked]").await;
    assert!(marked.contains("Head (back)"), "{marked}");
    app.click_on("[data-testid=incident-anticoagulants]").await;
    let advice = app.text_of("[data-testid=call-999]").await;
    assert!(advice.contains("Call 999"), "{advice}");
    app.wait_for("[data-testid=advice-duty]").await;
    app.wait_for("[data-testid=advice-observations]").await;
    app.wait_for("[data-testid=draft-state]").await;
    small_targets(&app, "incident form").await;
    app.check_accessibility("incident form, filled in").await;
    app.screenshot("incident-form").await;
    app.session
        .execute(
            "document.querySelector('[data-testid=body-map]').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    app.screenshot("incident-body-map").await;

    app.click_on("[data-testid=save-incident]").await;
    app.wait_for("[data-testid=incident-page]").await;
    app.wait_for("[data-testid=incident-sync][data-state=pending]")
        .await;
    let sync = app.text_of("[data-testid=incident-sync]").await;
    assert!(sync.contains("Pending"), "{sync}");
    // The critical alert, raised here at once.
    app.wait_for("[data-testid=alert-banner][data-kind=\"incident.critical\"]")
        .await;
    // The duties with their clocks, the 999 advice, the first observation.
    app.wait_for("[data-testid=incident-duty] [data-testid=duty-clock]")
        .await;
    app.wait_for("[data-testid=incident-call-999]").await;
    let first = app.text_of("[data-testid=observation]").await;
    assert!(first.contains("Neurological observation"), "{first}");
    let regions = app.text_of("[data-testid=incident-regions]").await;
    assert!(regions.contains("Head (back)"), "{regions}");
    app.check_accessibility("incident page, pending").await;
    app.screenshot("incident-pending").await;

    // CareLoop is back: "Sync now" sends it.
    set_demo_sandbox(&app, true).await;
    app.click_on("[data-testid=sync-now]").await;
    app.wait_for("[data-testid=incident-sync][data-state=synced]")
        .await;
    let sync = app.text_of("[data-testid=incident-sync]").await;
    assert!(sync.contains("Synced"), "{sync}");
    app.screenshot("incident-synced").await;

    // The list says so too; the falls register has the fall.
    app.click_on("[data-testid=back-to-incidents]").await;
    app.wait_for("[data-testid=incident-row][data-sync=synced]")
        .await;
    app.screenshot("incidents-list").await;
    app.click_on("[data-testid=console-nav-falls]").await;
    let register = app.text_of("[data-testid=falls-resident]").await;
    assert!(!register.is_empty());
    app.check_accessibility("falls register").await;
    app.screenshot("falls-register").await;
    app.close().await;
}
