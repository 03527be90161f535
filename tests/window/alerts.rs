//! Alerts in the real window, in demo mode: the demo CareLoop sends a webhook to the in-process
//! bridge, the desk's poller raises the alert, the banner shows it until a staff member
//! acknowledges it; with the bridge stopped every screen says alerts are not arriving, and the
//! warning clears when the bridge is back. With two alerts open, the banner leads with the more
//! urgent and names the other.

use std::time::{Duration, Instant};

use loopdesk_e2e::window::{AppWindow, LaunchOptions, APPEAR};
use serde_json::json;

/// Waits until nothing matches `css`.
async fn gone(app: &AppWindow, css: &str) {
    let deadline = Instant::now() + APPEAR;
    while app.session.find(css).await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "{css} is still shown");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The demo-only command that stops or restarts the demo bridge (the UI has no button for it).
async fn set_demo_bridge(app: &AppWindow, running: bool) {
    let script = "const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke('set_demo_bridge', { running: arguments[0] })
            .then(() => done('ok'), (e) => done(JSON.stringify(e)));";
    let answer = app
        .session
        .execute_async(script, vec![json!(running)])
        .await
        .unwrap();
    assert_eq!(answer, json!("ok"), "set_demo_bridge({running})");
}

#[tokio::test]
async fn a_demo_alert_is_shown_until_acknowledged_and_a_stopped_bridge_is_not_silent() {
    let app = AppWindow::launch_with(LaunchOptions {
        env: vec![
            ("LOOPDESK_DEMO".into(), "1".into()),
            // "Not arriving" after 6 s of silence instead of 90 s (honoured in the demo only).
            ("LOOPDESK_ALERTS_STALE_SECS".into(), "6".into()),
        ],
        ..Default::default()
    })
    .await;
    app.wait_for("[data-testid=shell]").await;
    app.click_on("[data-testid=nav-console]").await;
    app.click_on("[data-testid=console-nav-settings]").await;
    app.click_on("[data-testid=demo-alert-incident]").await;
    app.wait_for("[data-testid=demo-alert-sent]").await;

    let banner = "[data-testid=alert-banner]";
    let title = app
        .text_of(&format!("{banner} [data-testid=alert-title]"))
        .await;
    assert!(title.starts_with("Critical incident: "), "{title}");
    app.screenshot("alert-banner").await;

    // A name is required.
    app.click_on(&format!("{banner} [data-testid=acknowledge-alert]"))
        .await;
    app.wait_for(&format!("{banner} [data-testid=acknowledge-error]"))
        .await;
    let field = app
        .wait_for(&format!("{banner} [data-testid=acknowledged-by]"))
        .await;
    app.session.send_keys(&field, "Priya Shah").await.unwrap();
    app.click_on(&format!("{banner} [data-testid=acknowledge-alert]"))
        .await;
    gone(&app, banner).await;

    // The alerts centre says who acknowledged it.
    app.click_on("[data-testid=console-nav-alerts]").await;
    let who = app.text_of("[data-testid=acknowledged-by-who]").await;
    assert!(who.contains("Priya Shah"), "{who}");

    // The bridge stops: the warning shows, on the console and at reception.
    set_demo_bridge(&app, false).await;
    app.wait_for("[data-testid=alerts-not-arriving]").await;
    app.screenshot("alerts-not-arriving").await;
    app.click_on("[data-testid=nav-reception]").await;
    app.wait_for("[data-testid=shell][data-area=reception] [data-testid=alerts-not-arriving]")
        .await;

    // It comes back: the warning clears.
    set_demo_bridge(&app, true).await;
    gone(&app, "[data-testid=alerts-not-arriving]").await;
    app.close().await;
}

/// Makes the demo CareLoop send a webhook that raises an alert of `kind`.
async fn trigger_demo_alert(app: &AppWindow, kind: &str) {
    let answer = app
        .invoke("trigger_demo_alert", json!({ "kind": kind }))
        .await;
    assert_eq!(answer, Ok(json!(null)), "trigger_demo_alert({kind})");
}

#[tokio::test]
async fn with_a_missed_visit_and_then_a_critical_incident_the_banner_leads_with_the_incident() {
    let app = AppWindow::launch_with(LaunchOptions {
        env: vec![("LOOPDESK_DEMO".into(), "1".into())],
        ..Default::default()
    })
    .await;
    app.wait_for("[data-testid=shell]").await;
    app.click_on("[data-testid=nav-console]").await;
    let banner = "[data-testid=alert-banner]";

    // The missed visit first: it is the banner.
    trigger_demo_alert(&app, "visit.no_show").await;
    app.wait_for(&format!("{banner}[data-kind=\"visit.no_show\"]"))
        .await;

    // Then the critical incident, newer and more urgent: it leads, and the banner names the
    // missed visit among the others.
    trigger_demo_alert(&app, "incident.critical").await;
    app.wait_for(&format!("{banner}[data-kind=\"incident.critical\"]"))
        .await;
    let title = app
        .text_of(&format!("{banner} [data-testid=alert-title]"))
        .await;
    assert!(title.starts_with("Critical incident"), "{title}");
    let others = app
        .text_of(&format!("{banner} [data-testid=alert-others]"))
        .await;
    assert!(
        others.starts_with("and ")
            && others.contains("other open alert")
            && others.contains("missed visit"),
        "{others}"
    );
    app.screenshot("alert-banner-two-alerts").await;

    // The alerts centre lists them in the same order: the incident first.
    app.click_on("[data-testid=console-nav-alerts]").await;
    let first = app.text_of("[data-testid=open-alert]:first-of-type").await;
    assert!(first.contains("Critical incident"), "{first}");
    app.screenshot("alerts-centre-two-alerts").await;
    app.close().await;
}
