//! The staff lock in the real window, in demo mode (the demo desk is being set up at first: no
//! PIN, the console open to anyone). A first manager PIN is set from the synced staff directory;
//! locked, the console is the kiosk; it refuses a wrong PIN (the tries left) and opens with the
//! right one; a care note added then is by that staff member; Settings → Staff PINs lists the
//! PINs. With the idle time at one minute and the demo desk's clock moved on two minutes (no
//! waiting), the console locks itself and returns to the kiosk; five wrong PINs then pause PIN
//! entry. Every kiosk and PIN-pad target is measured (44 × 44 px at least, the pad's digits
//! 64 × 64), and axe checks the kiosk, the PIN pad and the pause by name besides the harness's
//! check of every screen as the test goes.

use std::time::Duration;

use loopdesk_e2e::window::{AppWindow, LaunchOptions, APPEAR};
use serde_json::{json, Value};

const PIN: &str = "2468";

async fn demo() -> AppWindow {
    AppWindow::launch_with(LaunchOptions {
        env: vec![("LOOPDESK_DEMO".into(), "1".into())],
        ..Default::default()
    })
    .await
}

/// Every visible target on the page now (buttons, links, fields) smaller than `min` × `min`
/// CSS pixels, as `"<what> w×h"`. Hidden ones (the skip link until focused) are not targets.
async fn small_targets(app: &AppWindow, css: &str, min: f64) -> Vec<String> {
    let script = "const [css, min] = arguments;
        const done = arguments[arguments.length - 1];
        const small = [];
        for (const el of document.querySelectorAll(css)) {
            const r = el.getBoundingClientRect();
            const style = getComputedStyle(el);
            if (r.width <= 1 || r.height <= 1 || style.visibility === 'hidden') continue;
            if (el.closest('.ld-visually-hidden') || el.classList.contains('ld-skip-link')) continue;
            if (r.width < min || r.height < min) {
                const name = el.dataset.testid || el.id || el.textContent.trim().slice(0, 30);
                small.push(`${el.tagName.toLowerCase()} ${name} ${Math.round(r.width)}x${Math.round(r.height)}`);
            }
        }
        done(small);";
    let answer = app
        .session
        .execute_async(script, vec![json!(css), json!(min)])
        .await
        .unwrap();
    serde_json::from_value(answer).unwrap()
}

const TARGETS: &str = "button, a[href], input, select, textarea, [role=button], [tabindex='0']";

/// Chooses an option of a `<select>` by its value (as a person would: a change event).
async fn choose(app: &AppWindow, css: &str, value: &str) {
    let script = "const [css, value] = arguments;
        const done = arguments[arguments.length - 1];
        const select = document.querySelector(css);
        select.value = value;
        select.dispatchEvent(new Event('change', { bubbles: true }));
        done(select.value);";
    let chosen = app
        .session
        .execute_async(script, vec![json!(css), json!(value)])
        .await
        .unwrap();
    assert_eq!(chosen, json!(value), "{css} has the option {value}");
}

/// An active staff member of the synced directory: (id, full name).
async fn a_staff_member(app: &AppWindow) -> (String, String) {
    app.wait_until_pulled("staff").await;
    let staff = app
        .invoke("list_staff", json!({}))
        .await
        .expect("the directory is open while the desk is being set up");
    let member: &Value = staff
        .as_array()
        .and_then(|all| all.iter().find(|s| s["status"] == "active"))
        .expect("the demo has active staff");
    (
        member["id"].as_str().unwrap().to_owned(),
        member["full_name"].as_str().unwrap().to_owned(),
    )
}

/// The signed-in staff member's name, as the desk names them.
async fn signed_in_name(app: &AppWindow) -> String {
    let status = app.invoke("lock_status", json!({})).await.unwrap();
    status["session"]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("someone is signed in: {status}"))
        .to_owned()
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

async fn type_into(app: &AppWindow, css: &str, text: &str) {
    let el = app.wait_for(css).await;
    app.session.send_keys(&el, text).await.unwrap();
}

#[tokio::test]
async fn a_manager_pin_locks_the_console_which_opens_only_with_the_right_pin() {
    let app = demo().await;
    app.wait_for("[data-testid=shell]").await;
    app.click_on("[data-testid=nav-console]").await;
    // Being set up: open to anyone, and every screen says so.
    let notice = app.text_of("[data-testid=setting-up-notice]").await;
    assert!(
        notice.contains("Anyone at this desk can open the Staff console"),
        "{notice}"
    );
    let (staff_id, _) = a_staff_member(&app).await;

    // The first manager PIN, chosen from the directory, typed twice.
    app.click_on("[data-testid=set-manager-pin-link]").await;
    app.wait_for("[data-testid=manager-pin-form]").await;
    choose(&app, "[data-testid=manager-pin-staff]", &staff_id).await;
    type_into(&app, "[data-testid=manager-pin-pin]", PIN).await;
    type_into(&app, "[data-testid=manager-pin-again]", PIN).await;
    app.click_on("[data-testid=save-manager-pin]").await;
    app.wait_for("[data-testid=manager-pin-set]").await;
    let name = signed_in_name(&app).await;
    assert_eq!(
        app.text_of("[data-testid=signed-in-name]").await.trim(),
        name
    );
    assert!(app
        .session
        .find("[data-testid=setting-up-notice]")
        .await
        .unwrap()
        .is_none());
    app.screenshot("staff-lock-console-header").await;

    // Lock: back to the kiosk at once, which says so.
    app.click_on("[data-testid=lock-desk]").await;
    let locked = app
        .text_of("[data-testid=shell][data-area=reception] [data-testid=lock-notice]")
        .await;
    assert!(locked.contains("locked"), "{locked}");
    assert!(app
        .session
        .find("[data-testid=lock-desk]")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        small_targets(&app, TARGETS, 44.0).await,
        Vec::<String>::new(),
        "kiosk targets under 44 px"
    );
    app.check_accessibility("the kiosk, locked").await;
    app.screenshot("staff-lock-kiosk").await;

    // "Staff console" opens the PIN pad: the name first.
    app.click_on("[data-testid=nav-console]").await;
    app.wait_for("[data-testid=unlock][data-step=name]").await;
    assert!(app
        .session
        .find("[data-testid=console]")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        small_targets(&app, TARGETS, 44.0).await,
        Vec::<String>::new(),
        "name list targets under 44 px"
    );
    app.check_accessibility("PIN pad: the names").await;
    app.screenshot("staff-lock-names").await;
    app.click_on(&format!(
        "[data-testid=pin-holder][data-staff-id=\"{staff_id}\"]"
    ))
    .await;
    app.wait_for("[data-testid=unlock][data-step=pin] [data-testid=pin-pad]")
        .await;
    assert_eq!(
        small_targets(&app, TARGETS, 44.0).await,
        Vec::<String>::new(),
        "PIN pad targets under 44 px"
    );
    assert_eq!(
        small_targets(&app, "[data-testid^=pin-key-]", 64.0).await,
        Vec::<String>::new(),
        "PIN pad digits under 64 px"
    );
    app.check_accessibility("PIN pad").await;
    app.screenshot("staff-lock-pin-pad").await;

    // A wrong PIN, by touch: refused with the tries left, and the console stays shut.
    for digit in ["1", "1", "1", "1"] {
        app.click_on(&format!("[data-testid=pin-key-{digit}]"))
            .await;
    }
    app.click_on("[data-testid=pin-submit]").await;
    let error = app.text_of("[data-testid=pin-error]").await;
    assert!(error.contains("That name and PIN do not match"), "{error}");
    assert!(error.contains("4 tries left"), "{error}");
    app.wait_for("[data-testid=error-summary]").await;
    assert!(app
        .session
        .find("[data-testid=console]")
        .await
        .unwrap()
        .is_none());
    app.check_accessibility("PIN pad: a wrong PIN").await;
    app.screenshot("staff-lock-wrong-pin").await;

    // The right PIN, by keyboard (Enter unlocks).
    type_into(&app, "[data-testid=pin-input]", &format!("{PIN}\u{E007}")).await;
    app.wait_for("[data-testid=console]").await;
    assert_eq!(
        app.text_of("[data-testid=signed-in-name]").await.trim(),
        name
    );

    // A care note added now is by that staff member (once the first sync is over, so that its
    // progress line does not move the page under the clicks).
    app.wait_until_pulled("incidents").await;
    app.click_on("[data-testid=console-nav-residents]").await;
    click_until(
        &app,
        "[data-testid=resident-row]",
        "[data-testid=add-care-note]",
    )
    .await;
    click_until(
        &app,
        "[data-testid=add-care-note]",
        "[data-testid=care-note-form]",
    )
    .await;
    choose(&app, "[data-testid=care-note-category]", "mood").await;
    type_into(
        &app,
        "[data-testid=care-note-body]",
        "Enjoyed the music session and sang along.",
    )
    .await;
    app.click_on("[data-testid=save-care-note]").await;
    app.wait_for("[data-testid=care-note-saved]").await;
    let author = app
        .session
        .wait_for_text(
            "[data-testid=care-note] [data-testid=care-note-author]",
            APPEAR,
            |t| t.contains(&name),
        )
        .await;
    assert!(
        author.is_ok(),
        "the newest care note is by {name}: {author:?}"
    );

    // Settings → Staff PINs lists the PIN; a PIN with letters is refused beside its field.
    app.click_on("[data-testid=console-nav-settings]").await;
    app.click_on("[data-testid=manage-pins]").await;
    let row = app
        .text_of(&format!(
            "[data-testid=pin-row][data-staff-id=\"{staff_id}\"]"
        ))
        .await;
    assert!(row.contains(&name) && row.contains("Manager"), "{row}");
    app.screenshot("staff-lock-pins").await;
    type_into(&app, "[data-testid=add-pin-pin]", "12ab").await;
    app.click_on("[data-testid=save-add-pin]").await;
    let summary = app.text_of("[data-testid=error-summary]").await;
    assert!(summary.contains("digits only"), "{summary}");
    app.screenshot("staff-lock-pins-errors").await;
    app.close().await;
}

#[tokio::test]
async fn the_console_locks_itself_after_the_idle_minutes_and_returns_to_the_kiosk() {
    let app = demo().await;
    app.wait_for("[data-testid=shell]").await;
    app.click_on("[data-testid=nav-console]").await;
    // A manager PIN set directly (the first test sets one through the screen); whoever sets it
    // is signed in.
    let (staff_id, _) = a_staff_member(&app).await;
    let set = app
        .invoke(
            "set_first_manager_pin",
            json!({ "staffId": staff_id, "pin": "1357" }),
        )
        .await;
    assert!(set.is_ok(), "{set:?}");
    app.wait_for("[data-testid=lock-desk]").await;

    // One minute without use.
    app.click_on("[data-testid=console-nav-settings]").await;
    app.click_on("[data-testid=manage-pins]").await;
    type_into(&app, "[data-testid=idle-minutes]", "\u{E003}1").await;
    app.click_on("[data-testid=save-idle-minutes]").await;
    let saved = app.text_of("[data-testid=pins-saved]").await;
    assert!(saved.contains("1 minute without use"), "{saved}");

    // Nothing more is done, and the desk's clock moves on two minutes (the demo's clock, moved
    // instead of waiting): Rust locks the console and tells the window, which returns to the
    // kiosk and says why.
    let moved = app
        .invoke("advance_demo_clock", json!({ "minutes": 2 }))
        .await;
    assert!(moved.is_ok(), "{moved:?}");
    let notice = app
        .text_of("[data-testid=shell][data-area=reception] [data-testid=lock-notice]")
        .await;
    assert!(
        notice.contains("Locked after 1 minute without use"),
        "{notice}"
    );
    app.wait_for("[data-testid=reception]").await;
    assert!(app
        .session
        .find("[data-testid=lock-desk]")
        .await
        .unwrap()
        .is_none());
    app.screenshot("staff-lock-idle").await;

    // The console needs the PIN again; five wrong ones pause PIN entry, which says until when.
    app.click_on("[data-testid=nav-console]").await;
    app.wait_for("[data-testid=unlock][data-step=name]").await;
    let status = app.invoke("lock_status", json!({})).await.unwrap();
    assert!(status["session"].is_null(), "{status}");
    app.click_on(&format!(
        "[data-testid=pin-holder][data-staff-id=\"{staff_id}\"]"
    ))
    .await;
    for left in ["4 tries", "3 tries", "2 tries", "1 try"] {
        type_into(&app, "[data-testid=pin-input]", "0000\u{E007}").await;
        let error = app
            .session
            .wait_for_text("[data-testid=pin-error]", APPEAR, |t| t.contains(left))
            .await;
        assert!(error.is_ok(), "{left} left: {error:?}");
    }
    type_into(&app, "[data-testid=pin-input]", "0000\u{E007}").await;
    let paused = app.text_of("[data-testid=pin-paused]").await;
    assert!(paused.contains("Paused until"), "{paused}");
    assert!(app
        .session
        .find("[data-testid=pin-pad]")
        .await
        .unwrap()
        .is_none());
    app.check_accessibility("PIN entry paused").await;
    app.screenshot("staff-lock-paused").await;
    let status = app.invoke("lock_status", json!({})).await.unwrap();
    assert!(!status["paused_until"].is_null(), "{status}");
    app.close().await;
}
