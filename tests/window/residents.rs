//! Residents in the real window, in demo mode: once the first sync has brought the residents,
//! a person types part of a name, sees the resident, opens the page and sees the name and the
//! DNAR status. "Add care note" takes the focus to the form and Cancel brings it back; a
//! 10,000-character note without spaces does not widen the page.

use std::time::{Duration, Instant};

use loopdesk_e2e::window::{AppWindow, LaunchOptions, APPEAR};
use serde_json::{json, Value};

/// The text of every resident row shown now.
async fn shown_rows(app: &AppWindow) -> Vec<(String, String)> {
    let script = "const done = arguments[arguments.length - 1];
        done(Array.from(document.querySelectorAll('[data-testid=resident-row]'))
            .map((r) => [r.dataset.residentId, r.textContent]));";
    let rows = app.session.execute_async(script, vec![]).await.unwrap();
    serde_json::from_value(rows).unwrap()
}

#[tokio::test]
async fn a_resident_found_by_part_of_the_name_opens_with_the_dnar_status() {
    let app = AppWindow::launch_with(LaunchOptions {
        env: vec![("LOOPDESK_DEMO".into(), "1".into())],
        ..Default::default()
    })
    .await;
    app.wait_for("[data-testid=shell]").await;
    app.click_on("[data-testid=nav-console]").await;
    // The first sync has brought the residents (it goes on with other things).
    app.wait_until_pulled("residents").await;
    app.click_on("[data-testid=console-nav-residents]").await;
    app.wait_for("[data-testid=resident-row]").await;

    // A real resident of this home, from the app's own search: the last of the first 500 by name, so that
    // it is not among the rows shown before anything is typed.
    // The screen shows this desk's home (the demo desk stands at the demo's first home).
    let home = app
        .invoke("get_settings", json!({}))
        .await
        .expect("the settings")["location_id"]
        .clone();
    let all = app
        .invoke(
            "search_residents",
            json!({ "text": null, "locationId": home, "status": "current", "limit": 500 }),
        )
        .await
        .expect("the desk searches");
    let all = all.as_array().expect("a list of residents");
    assert!(all.len() > 50, "the demo has many residents: {}", all.len());
    let resident: &Value = all.last().unwrap();
    let id = resident["id"].as_str().unwrap();
    let full_name = resident["full_name"].as_str().unwrap();
    let dnar = resident["dnar_status"].as_str().unwrap();
    assert!(
        !shown_rows(&app).await.iter().any(|(shown, _)| shown == id),
        "{full_name} is only found by searching"
    );
    // The first name and the start of the surname, as a person types them.
    let words: Vec<&str> = full_name.split_whitespace().collect();
    let part = match words.as_slice() {
        [first, .., last] => format!("{first} {}", last.chars().take(3).collect::<String>()),
        _ => full_name.chars().take(4).collect(),
    };

    let search = app.wait_for("[data-testid=resident-search]").await;
    app.session.send_keys(&search, &part).await.unwrap();
    // The list narrows to residents matching what was typed, this one among them.
    let deadline = Instant::now() + APPEAR;
    loop {
        let rows = shown_rows(&app).await;
        let found = rows.iter().any(|(shown, _)| shown == id);
        let all_match = rows
            .iter()
            .all(|(_, text)| text.to_lowercase().contains(&part.to_lowercase()));
        if found && all_match {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "searching {part:?} did not show {full_name} alone with matches: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    app.click_on(&format!(
        "[data-testid=resident-row][data-resident-id=\"{id}\"]"
    ))
    .await;
    let page = app.text_of("[data-testid=resident-page] h1").await;
    assert!(page.contains(full_name), "{page}");
    // Shown in words, with the status the desk holds for this resident.
    app.text_of(&format!(
        "[data-testid=resident-page] [data-testid=dnar-status][data-status={dnar}]"
    ))
    .await;
    app.screenshot("resident-page").await;
    app.close().await;
}

/// The test id of the element that has the focus (or its tag name when it has none).
async fn focused(app: &AppWindow) -> String {
    let answer = app
        .session
        .execute(
            "const el = document.activeElement;
             return el ? (el.getAttribute('data-testid') || el.tagName) : null;",
            vec![],
        )
        .await
        .unwrap();
    answer.as_str().unwrap_or_default().to_owned()
}

/// Waits until the element with test id `testid` has the focus.
async fn wait_for_focus(app: &AppWindow, testid: &str) {
    let deadline = Instant::now() + APPEAR;
    loop {
        let now = focused(app).await;
        if now == testid {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the focus is on {now:?}, not on {testid}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn add_care_note_takes_the_focus_to_the_form_and_cancel_brings_it_back() {
    let app = AppWindow::launch_with(LaunchOptions {
        env: vec![("LOOPDESK_DEMO".into(), "1".into())],
        ..Default::default()
    })
    .await;
    app.wait_for("[data-testid=shell]").await;
    app.click_on("[data-testid=nav-console]").await;
    app.wait_until_pulled("residents").await;
    app.click_on("[data-testid=console-nav-residents]").await;
    app.click_on("[data-testid=resident-row]").await;
    app.wait_for("[data-testid=resident-page] h1").await;

    app.click_on("[data-testid=add-care-note]").await;
    app.wait_for("[data-testid=care-note-form]").await;
    wait_for_focus(&app, "care-note-category").await;
    app.check_accessibility("care note form, focus on its first field")
        .await;
    app.screenshot("care-note-form-focus").await;

    app.click_on("[data-testid=cancel-care-note]").await;
    wait_for_focus(&app, "add-care-note").await;
    assert!(
        app.session
            .find("[data-testid=care-note-form]")
            .await
            .unwrap()
            .is_none(),
        "the form is gone"
    );
    app.close().await;
}

#[tokio::test]
async fn a_care_note_of_ten_thousand_letters_without_a_space_does_not_widen_the_page() {
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
    let id = found[0]["id"].as_str().expect("a resident").to_owned();
    let long = "a".repeat(10_000);
    app.invoke(
        "add_care_note",
        json!({ "residentId": id, "category": "general", "body": long }),
    )
    .await
    .expect("the desk takes a 10,000-character note");

    app.click_on("[data-testid=console-nav-residents]").await;
    app.click_on(&format!(
        "[data-testid=resident-row][data-resident-id=\"{id}\"]"
    ))
    .await;
    app.wait_for("[data-testid=care-note]").await;
    // The longest note shown (it may have been sent to CareLoop already).
    let widths = app
        .session
        .execute(
            "const page = document.documentElement;
             const lengths = Array.from(document.querySelectorAll('[data-testid=care-note] .note-body'))
                 .map((n) => n.textContent.length);
             return [page.scrollWidth, page.clientWidth, Math.max(0, ...lengths)];",
            vec![],
        )
        .await
        .unwrap();
    let [scroll, client, length] = [0, 1, 2].map(|i| widths[i].as_u64().unwrap_or_default());
    assert_eq!(length, 10_000, "the whole note is shown");
    assert!(
        scroll <= client,
        "the page is {scroll} px wide in a {client} px window"
    );
    app.session
        .execute(
            "document.querySelector('[data-testid=care-notes]').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
    app.screenshot("care-note-long-word").await;
    app.close().await;
}
