//! The accessibility check is not a no-op: an image without alternative text and a button with no
//! name, put into the real page's main content, fail the automatic check with the rule, the
//! element and the help, and the explicit check reports the same.

use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use loopdesk_e2e::{accessibility::Violation, window::AppWindow};

/// Deliberately inaccessible: an `<img>` with no `alt` and a `<button>` with no text or label.
const BREAK_THE_PAGE: &str = "
    const box = document.createElement('div');
    box.dataset.testid = 'deliberately-inaccessible';
    box.innerHTML = '<img id=\"no-alt\" width=\"40\" height=\"40\" '
        + 'src=\"data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\">'
        + '<button id=\"no-name\" type=\"button\"></button>';
    document.getElementById('main-content').prepend(box);
    return null;";

fn assert_reported(message: &str, rule: &str, element: &str, html: &str, help: &str) {
    for part in [rule, element, html, help] {
        assert!(message.contains(part), "{part:?} is not in:\n{message}");
    }
    let url = format!("/{rule}?application=axeAPI");
    assert!(
        message.contains("https://dequeuniversity.com/rules/axe/") && message.contains(&url),
        "no help link for {rule} in:\n{message}"
    );
}

fn the<'a>(violations: &'a [&Violation], rule: &str) -> &'a Violation {
    violations
        .iter()
        .find(|v| v.id == rule)
        .unwrap_or_else(|| panic!("{rule} not reported: {violations:?}"))
}

#[tokio::test]
async fn an_image_without_alt_and_a_nameless_button_fail_the_accessibility_check() {
    let app = AppWindow::launch().await;
    // Checked by itself on the way, and fine.
    app.wait_for("[data-testid=shell]").await;

    app.session.execute(BREAK_THE_PAGE, vec![]).await.unwrap();

    // The screen changed: the next helper that waits checks it and fails the test.
    let outcome = AssertUnwindSafe(app.wait_for("[data-testid=deliberately-inaccessible]"))
        .catch_unwind()
        .await;
    let panic = outcome.expect_err("the check fails on the broken screen");
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .expect("a failure message");
    assert!(
        message.starts_with("accessibility check failed on \"reception"),
        "{message}"
    );
    assert_reported(
        &message,
        "image-alt",
        "#no-alt",
        "<img id=\"no-alt\"",
        "Images must have alternative text",
    );
    assert_reported(
        &message,
        "button-name",
        "#no-name",
        "<button id=\"no-name\"",
        "Buttons must have discernible text",
    );

    // The explicit check reports the same, as data.
    let report = app.accessibility_report("deliberately broken").await;
    assert!(!report.passes());
    let failures: Vec<_> = report.failures().collect();
    for (rule, element) in [("image-alt", "#no-alt"), ("button-name", "#no-name")] {
        let v = the(&failures, rule);
        assert_eq!(v.impact.as_deref(), Some("critical"), "{v:?}");
        assert_eq!(v.nodes.len(), 1, "{v:?}");
        assert_eq!(v.nodes[0].target, element, "{v:?}");
    }

    // Without them the page passes again.
    app.session
        .execute(
            "document.querySelector('[data-testid=deliberately-inaccessible]').remove(); return null;",
            vec![],
        )
        .await
        .unwrap();
    app.check_accessibility("repaired").await;
    app.close().await;
}
