//! Incidents in the real window, in demo mode: a shift lead, unlocked with their PIN, logs a
//! critical fall no one saw while the demo CareLoop is down, with a head injury marked on the
//! body map and the resident on anticoagulants: the 999 advice shows at once on the form; after
//! Save the critical alert is up, the page lists the duties with their clocks, the first
//! post-fall observation and "pending". Half an hour on (the demo desk's clock moved instead of
//! waiting) the console has locked itself for want of use; the shift lead unlocks it again, takes
//! on the critical alert, and the banner says "Observation due"; the incidents list has it due
//! now and the incident page too; they record it (pupils, GCS, pulse) by the form and the page
//! says "Recorded" with the reading. Once CareLoop is back and the desk syncs, the page says
//! "synced". The accessibility check runs on every screen visited (the helpers run it on every
//! screen they see; the form, the pages, the PIN pad and the register by name as well), and the
//! form's buttons and choices are measured at 44 px.

use std::time::Duration;

use loopdesk_e2e::window::{AppWindow, LaunchOptions, APPEAR};
use serde_json::{json, Value};

/// The shift lead's PIN, and the manager's who sets the desk up.
const SHIFT_LEAD_PIN: &str = "3579";
const MANAGER_PIN: &str = "2468";

/// Two active staff members of the synced directory: (id, full name) each.
async fn two_staff_members(app: &AppWindow) -> [(String, String); 2] {
    app.wait_until_pulled("staff").await;
    let staff = app
        .invoke("list_staff", json!({}))
        .await
        .expect("the directory is open while the desk is being set up");
    let active: Vec<(String, String)> = staff
        .as_array()
        .expect("a list")
        .iter()
        .filter(|s: &&Value| s["status"] == "active")
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["full_name"].as_str().unwrap().to_owned(),
            )
        })
        .take(2)
        .collect();
    assert_eq!(active.len(), 2, "the demo has two active staff: {staff}");
    [active[0].clone(), active[1].clone()]
}

/// Clicks `css` until `then` appears: a click computed just before the sync bar's progress line
/// comes or goes lands beside its target, so a missed click is made again (waits, never sleeps).
async fn click_until(app: &AppWindow, css: &str, then: &str) {
    let deadline = std::time::Instant::now() + APPEAR;
    loop {
        if app.session.find(css).await.unwrap().is_some() {
            app.click_on(css).await;
        }
        if app
            .session
            .wait_for(then, Duration::from_secs(10))
            .await
            .is_ok()
        {
            app.wait_for(then).await;
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{then} never appeared after clicking {css}"
        );
    }
}

/// From the kiosk: "Staff console", the shift lead's name, their PIN typed and Enter.
async fn unlock_as(app: &AppWindow, staff_id: &str, name: &str, screen: &str) {
    app.click_on("[data-testid=nav-console]").await;
    app.wait_for("[data-testid=unlock][data-step=name]").await;
    app.check_accessibility(&format!("{screen}: the names"))
        .await;
    app.click_on(&format!(
        "[data-testid=pin-holder][data-staff-id=\"{staff_id}\"]"
    ))
    .await;
    app.wait_for("[data-testid=unlock][data-step=pin] [data-testid=pin-pad]")
        .await;
    app.check_accessibility(&format!("{screen}: the PIN pad"))
        .await;
    type_into(
        app,
        "[data-testid=pin-input]",
        &format!("{SHIFT_LEAD_PIN}\u{E007}"),
    )
    .await;
    app.wait_for("[data-testid=console]").await;
    let signed_in = app.text_of("[data-testid=signed-in-name]").await;
    assert_eq!(signed_in.trim(), name, "{screen}");
    let status = app.invoke("lock_status", json!({})).await.unwrap();
    assert_eq!(
        status["session"]["role"], "shift_lead",
        "{screen}: {status}"
    );
}

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

    // Set-up (no screen of this test; staff_lock.rs sets a first manager PIN through the
    // screens): a manager's PIN, then a shift lead's, added by that manager; the desk is locked.
    let [(manager, _), (lead, lead_name)] = two_staff_members(&app).await;
    let set = app
        .invoke(
            "set_first_manager_pin",
            json!({ "staffId": manager, "pin": MANAGER_PIN }),
        )
        .await;
    assert!(set.is_ok(), "{set:?}");
    let set = app
        .invoke(
            "set_staff_pin",
            json!({ "staffId": lead, "pin": SHIFT_LEAD_PIN, "role": "shift_lead" }),
        )
        .await;
    assert!(set.is_ok(), "{set:?}");
    click_until(
        &app,
        "[data-testid=lock-desk]",
        "[data-testid=shell][data-area=reception] [data-testid=lock-notice]",
    )
    .await;

    // The shift lead unlocks the console with their PIN.
    unlock_as(&app, &lead, &lead_name, "unlocking").await;
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

    // Half an hour on (the demo desk's clock, moved instead of waiting), CareLoop still down:
    // the console has locked itself after 5 minutes without use, and the first observation is
    // due.
    let moved = app
        .invoke("advance_demo_clock", json!({ "minutes": 31 }))
        .await;
    assert!(moved.is_ok(), "{moved:?}");
    let locked = app
        .text_of("[data-testid=shell][data-area=reception] [data-testid=lock-notice]")
        .await;
    assert!(locked.contains("without use"), "{locked}");
    app.check_accessibility("the kiosk, locked after idle")
        .await;
    unlock_as(&app, &lead, &lead_name, "back after half an hour").await;

    // The banner: the critical alert first; once the shift lead takes it on (by name, without
    // typing it), "Observation due".
    app.wait_for("[data-testid=alert-banner][data-kind=\"incident.critical\"]")
        .await;
    let others = app.text_of("[data-testid=alert-others]").await;
    assert!(others.contains("1 observation due"), "{others}");
    app.click_on(
        "[data-testid=alert-banner][data-kind=\"incident.critical\"] [data-testid=acknowledge-alert]",
    )
    .await;
    app.wait_for("[data-testid=alert-banner][data-kind=\"incident.observation_due\"]")
        .await;
    let banner = app.text_of("[data-testid=alert-banner]").await;
    assert!(banner.contains("Observation due"), "{banner}");
    app.check_accessibility("banner: observation due").await;
    app.screenshot("incident-observation-due-banner").await;

    // The incidents list has it due now, with whom it is for; "Record it" opens the incident.
    app.click_on("[data-testid=console-nav-incidents]").await;
    let due = app
        .text_of("[data-testid=due-observation][data-state=due]")
        .await;
    assert!(
        due.contains("Neurological observation") && due.contains(&name),
        "{due}"
    );
    app.check_accessibility("incidents list, an observation due")
        .await;
    app.screenshot("incidents-observation-due").await;
    app.click_on("[data-testid=open-due-observation]").await;
    app.wait_for("[data-testid=incident-page]").await;
    let first = app
        .text_of("[data-testid=observation][data-state=due]")
        .await;
    assert!(first.contains("Neurological observation"), "{first}");

    // Recorded by the form: pupils, GCS, pulse.
    app.click_on("[data-testid=observation][data-state=due] [data-testid=record-observation]")
        .await;
    app.wait_for("[data-testid=observation-form]").await;
    type_into(
        &app,
        "[data-testid=obs-pupils]",
        "Equal and reacting to light",
    )
    .await;
    type_into(&app, "[data-testid=obs-gcs]", "15").await;
    type_into(&app, "[data-testid=obs-pulse]", "78").await;
    app.check_accessibility("observation form").await;
    app.screenshot("incident-observation-form").await;
    app.click_on("[data-testid=save-observation]").await;
    let recorded = app
        .text_of("[data-testid=observation][data-state=recorded]")
        .await;
    assert!(
        recorded.contains("GCS 15")
            && recorded.contains("pulse 78")
            && recorded.contains("Equal and reacting to light")
            && recorded.contains(&lead_name),
        "{recorded}"
    );
    assert!(app
        .session
        .find("[data-testid=observation][data-state=due]")
        .await
        .unwrap()
        .is_none());
    // Its reminder is closed: the banner no longer asks for it.
    app.wait_for(
        "[data-testid=shell]:not(:has([data-testid=alert-banner][data-kind=\"incident.observation_due\"]))",
    )
    .await;
    app.check_accessibility("incident page, observation recorded")
        .await;
    app.screenshot("incident-observation-recorded").await;

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
