//! The training matrix in the real window, in demo mode, as a manager (the first manager PIN is
//! set, which signs them in): the matrix filtered to "Expired"; a renewal recorded for an
//! expired cell through the form while the demo CareLoop is down, so the cell shows "pending";
//! with the filter cleared (a renewed row may no longer be expired) the cell says valid and
//! pending; once CareLoop is back and the desk syncs, it is valid and no longer pending, and
//! CareLoop holds the certification. axe checks the matrix and the form (by name, besides the
//! harness's check of every screen as the test goes).

use std::time::Duration;

use loopdesk_e2e::window::{AppWindow, LaunchOptions, APPEAR};
use serde_json::{json, Value};

const PIN: &str = "2468";

async fn ok(app: &AppWindow, command: &str, args: Value) -> Value {
    app.invoke(command, args)
        .await
        .unwrap_or_else(|e| panic!("{command}: {e}"))
}

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

/// Scrolls `css` into the middle of the window (for the screenshot that follows).
async fn show(app: &AppWindow, css: &str) {
    app.session
        .execute(
            "document.querySelector(arguments[0])
                .scrollIntoView({ block: 'center', inline: 'nearest' }); return null;",
            vec![json!(css)],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn an_expired_certificate_renewed_at_the_desk_is_pending_then_valid_once_synced() {
    let app = AppWindow::launch_with(LaunchOptions {
        env: vec![("LOOPDESK_DEMO".into(), "1".into())],
        ..Default::default()
    })
    .await;
    app.wait_for("[data-testid=shell]").await;
    app.click_on("[data-testid=nav-console]").await;
    for resource in ["staff", "courses", "certifications"] {
        app.wait_until_pulled(resource).await;
    }

    // A manager: the first manager PIN (set-up, no screen of this issue) signs them in.
    let staff = ok(&app, "list_staff", json!({})).await;
    let manager = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "active")
        .expect("the demo has active staff")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        &app,
        "set_first_manager_pin",
        json!({ "staffId": manager, "pin": PIN }),
    )
    .await;
    let lock = ok(&app, "lock_status", json!({})).await;
    assert_eq!(lock["session"]["role"], "manager", "{lock}");

    // The matrix, filtered to "Expired".
    app.click_on("[data-testid=console-nav-training]").await;
    app.wait_for("[data-testid=matrix-table]").await;
    choose(&app, "[data-testid=matrix-status]", "expired").await;
    let expired = "[data-testid=matrix-row] [data-testid=matrix-cell][data-status=expired]";
    app.wait_for(expired).await;
    // Every row listed has something expired, and the counts say how many.
    let counts = app.text_of("[data-testid=matrix-counts]").await;
    assert!(counts.contains("expired"), "{counts}");
    let rows_without = app
        .session
        .execute(
            "return [...document.querySelectorAll('[data-testid=matrix-row]')]
                .filter((r) => !r.querySelector('[data-testid=matrix-cell][data-status=expired]'))
                .length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(rows_without, json!(0), "rows without an expired cell");
    // The wide table scrolls inside its own region; the page itself does not scroll sideways.
    let widths = app
        .session
        .execute(
            "const d = document.documentElement;
             return { scroll: d.scrollWidth, client: d.clientWidth };",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        widths["scroll"].as_i64() <= widths["client"].as_i64(),
        "the page scrolls sideways: {widths}"
    );
    app.check_accessibility("training matrix, expired").await;
    show(&app, expired).await;
    app.screenshot("training-matrix-expired").await;

    // The first expired cell: whose, and which course.
    let which = app
        .session
        .execute(
            "const cell = document.querySelector(arguments[0]);
             return { staff: cell.closest('[data-testid=matrix-row]').dataset.staffId,
                      course: cell.dataset.courseId };",
            vec![json!(expired)],
        )
        .await
        .unwrap();
    let (staff_id, course_id) = (
        which["staff"].as_str().unwrap().to_owned(),
        which["course"].as_str().unwrap().to_owned(),
    );
    let this = format!(
        "[data-testid=matrix-row][data-staff-id=\"{staff_id}\"] \
         [data-testid=matrix-cell][data-course-id=\"{course_id}\"]"
    );

    // CareLoop goes down: the renewal is kept on the desk and waits.
    ok(&app, "set_demo_sandbox", json!({ "running": false })).await;
    click_until(
        &app,
        &format!("{this} [data-testid=record-cell]"),
        "[data-testid=renewal-form]",
    )
    .await;
    let course = app
        .session
        .execute(
            "return document.querySelector('#renewal-course_id').value;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(course, json!(course_id), "the form is for that course");
    let reference = app.wait_for("#renewal-certificate_number").await;
    app.session
        .send_keys(&reference, "E2E-RENEWAL-1")
        .await
        .unwrap();
    app.check_accessibility("record training form").await;
    app.screenshot("training-renewal-form").await;
    // The date completed is today, as the form starts; the expiry follows from the course.
    click_until(
        &app,
        "[data-testid=renewal-save]",
        "[data-testid=matrix-table]",
    )
    .await;

    // Back on the matrix; with "Expired" still chosen the renewed row may be gone, so the filter
    // is cleared to watch the cell.
    app.wait_for("[data-testid=matrix-table]").await;
    choose(&app, "[data-testid=matrix-status]", "").await;
    let pending = format!("{this}[data-status=valid][data-pending=true]");
    app.wait_for(&pending).await;
    let words = app.text_of(&pending).await;
    assert!(words.contains("pending"), "{words}");
    show(&app, &pending).await;
    app.screenshot("training-cell-pending").await;

    // CareLoop is back: "Sync now" sends it, and the cell is valid, no longer pending.
    ok(&app, "set_demo_sandbox", json!({ "running": true })).await;
    app.click_on("[data-testid=sync-now]").await;
    let synced = format!("{this}[data-status=valid][data-pending=false]");
    app.wait_for(&synced).await;
    let words = app.text_of(&synced).await;
    assert!(!words.contains("pending"), "{words}");
    let queued = app
        .session
        .wait_for_text("[data-testid=queued-count]", APPEAR, |t| t.trim() == "0")
        .await;
    assert!(queued.is_ok(), "{queued:?}");
    show(&app, &synced).await;
    app.screenshot("training-cell-synced").await;

    // The staff page says the same, with the certificate in its history.
    click_until(
        &app,
        &format!("[data-testid=matrix-row][data-staff-id=\"{staff_id}\"] [data-testid=open-staff]"),
        "[data-testid=staff-training]",
    )
    .await;
    let history = app.text_of("[data-testid=staff-training]").await;
    assert!(history.contains("E2E-RENEWAL-1"), "{history}");
    app.screenshot("training-staff-page").await;

    // The rules a manager may change: the default set, each course's renewal period.
    click_until(
        &app,
        "[data-testid=back-to-matrix]",
        "[data-testid=open-training-rules]",
    )
    .await;
    click_until(
        &app,
        "[data-testid=open-training-rules]",
        "[data-testid=training-rules] [data-testid=rules-months]",
    )
    .await;
    app.check_accessibility("training rules").await;
    app.screenshot("training-rules").await;
    show(&app, "[data-testid=rules-role][data-role=kitchen]").await;
    app.screenshot("training-rules-roles").await;
    app.close().await;
}
