//! The kiosk screens `reception.rs` does not visit, in the real window, by taps only (the
//! on-screen keyboard and keypad, never the physical keyboard): a visit a member of staff
//! declines with a click in the console, told to the visitor back on the kiosk; a visitor to a
//! member of staff (with a car registration) and a contractor (company and purpose), signed in
//! and out; a member of staff signing in and out for their shift with their PIN, the fire roll
//! call from the kiosk's corner, and PIN entry paused after five wrong PINs; an empty name and a
//! sign-out code that matches no one, answered beside their field. Every screen visited
//! passes the accessibility check (the helpers run it whenever the screen changes), and every
//! target on each kiosk screen is measured at 44 by 44 px or more.

use loopdesk_e2e::window::{AppWindow, APPEAR};
use serde_json::{json, Value};

use crate::reception::{
    choose_resident, demo_desk, ok, plain_resident, small_targets, tap, value_of, PIN,
};

/// Screen 1 of a sign-in, typed on the kiosk's keyboard.
async fn type_name(app: &AppWindow, first: &str, surname: &str, phone: &str) {
    app.click_on("[data-testid=start-sign-in]").await;
    app.wait_for("[data-testid=sign-in][data-step=name]").await;
    app.click_on("[data-testid=first-name]").await;
    tap(app, first).await;
    app.click_on("[data-testid=surname]").await;
    tap(app, surname).await;
    app.click_on("[data-testid=phone]").await;
    tap(app, phone).await;
    app.click_on("[data-testid=sign-in-continue]").await;
}

/// A visitor to a resident whose visits need staff approval, at the kiosk, waiting.
async fn wait_for_staff(app: &AppWindow, family: &str) {
    app.click_on("[data-testid=nav-reception]").await;
    type_name(app, "EDNA", "MARSH", "07700900111").await;
    choose_resident(app, family).await;
    app.click_on("[data-testid=relationship]").await;
    tap(app, "SISTER").await;
    app.click_on("[data-testid=sign-in-continue]").await;
    let wait = app.text_of("[data-testid=sign-in-wait]").await;
    assert!(
        wait.contains("a member of staff will come to you"),
        "{wait}"
    );
    small_targets(app, "sign-in: wait").await;
}

/// A member of staff at this desk's console, Reception desk: `visitor`'s row among those
/// waiting, and a click on `button` (`approve-visitor` or `decline-visitor`); then back to the
/// kiosk.
pub(crate) async fn answer_in_the_console(app: &AppWindow, visitor: &str, button: &str) {
    app.click_on("[data-testid=nav-console]").await;
    app.click_on("[data-testid=console-nav-reception]").await;
    let row = app.text_of("[data-testid=approval-row]").await;
    assert!(row.contains(visitor), "{row}");
    app.click_on(&format!(
        "[data-testid=approval-row] [data-testid={button}]"
    ))
    .await;
    app.text_of("[data-testid=reception-message]").await;
    app.click_on("[data-testid=nav-reception]").await;
}

#[tokio::test]
async fn a_visit_declined_with_a_click_in_the_console_is_told_to_the_visitor_at_the_kiosk() {
    let app = demo_desk().await;
    let (_, resident, family) = plain_resident(&app).await;
    // Set-up (reception.rs sets it through the resident's page): visits need approval.
    ok(
        &app,
        "set_resident_reception",
        json!({ "residentId": resident, "visitsNeedApproval": true, "evacuationNotes": null }),
    )
    .await;

    wait_for_staff(&app, &family).await;
    // A member of staff comes, opens the console at this desk and declines the visit.
    answer_in_the_console(&app, "Edna", "decline-visitor").await;

    // Back on the kiosk, the visitor sees the answer (not the welcome screen).
    let said = app.text_of("[data-testid=sign-in-declined]").await;
    assert!(said.contains("You have not been signed in"), "{said}");
    assert!(
        said.contains("Please speak to the member of staff"),
        "{said}"
    );
    small_targets(&app, "sign-in: declined").await;
    app.screenshot("kiosk-declined").await;
    app.click_on("[data-testid=sign-in-finish]").await;
    app.wait_for("[data-testid=reception][data-mode=home]")
        .await;
    assert!(ok(&app, "kiosk_on_site", json!({}))
        .await
        .as_array()
        .unwrap()
        .is_empty());
    app.close().await;
}

/// An active staff member at this desk's home with a plain family name (typed on the kiosk to
/// find them): their id and family name.
async fn plain_staff_member(app: &AppWindow) -> (String, String) {
    app.wait_until_pulled("staff").await;
    let settings = ok(app, "get_settings", json!({})).await;
    let home = settings["location_id"].as_str().unwrap().to_owned();
    let staff = ok(app, "list_staff", json!({ "locationId": home })).await;
    let member = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["status"] == "active"
                && s["full_name"]
                    .as_str()
                    .and_then(|n| n.split_whitespace().last())
                    .is_some_and(|f| f.len() >= 4 && f.chars().all(|c| c.is_ascii_alphabetic()))
        })
        .expect("an active staff member with a plain family name")
        .clone();
    let family = member["full_name"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned();
    (member["id"].as_str().unwrap().to_owned(), family)
}

#[tokio::test]
async fn a_visitor_to_a_member_of_staff_and_a_contractor_sign_in_and_out_by_touch() {
    let app = demo_desk().await;
    let (_, family) = plain_staff_member(&app).await;
    app.click_on("[data-testid=nav-reception]").await;

    // A visitor to a member of staff, found by four letters of their name, who parked.
    type_name(&app, "FRED", "ALLEN", "07700900222").await;
    app.wait_for("[data-testid=sign-in][data-step=whom]").await;
    app.click_on("[data-testid=kind-staff]").await;
    app.wait_for("[data-testid=visiting-search]").await;
    small_targets(&app, "sign-in: whom, a member of staff").await;
    tap(&app, &family[..4]).await;
    app.click_on("[data-testid=visiting-choice]").await;
    let chosen = app.text_of("[data-testid=visiting-chosen]").await;
    assert!(chosen.contains(&format!(" {}.", &family[..1])), "{chosen}");
    assert!(
        !chosen.contains(&family),
        "first name and initial only: {chosen}"
    );
    app.click_on("[data-testid=car-registration]").await;
    tap(&app, "AB12 CDE").await;
    assert_eq!(value_of(&app, "#car_registration").await, "AB12 CDE");
    small_targets(&app, "sign-in: whom, a member of staff chosen").await;
    app.screenshot("kiosk-visiting-staff").await;
    app.click_on("[data-testid=sign-in-continue]").await;
    app.wait_for("[data-testid=sign-in-done]").await;
    let visiting = app.text_of("[data-testid=signed-in-visiting]").await;
    assert!(chosen.contains(visiting.trim()), "{visiting} / {chosen}");
    app.click_on("[data-testid=sign-in-finish]").await;

    // A contractor: company and purpose, no one to choose.
    type_name(&app, "GUS", "PARKER", "07700900333").await;
    app.wait_for("[data-testid=sign-in][data-step=whom]").await;
    app.click_on("[data-testid=kind-other]").await;
    app.click_on("[data-testid=company]").await;
    tap(&app, "ACME LIFTS").await;
    app.click_on("[data-testid=purpose]").await;
    tap(&app, "LIFT SERVICE").await;
    assert_eq!(value_of(&app, "#purpose").await, "Lift Service");
    small_targets(&app, "sign-in: whom, a contractor").await;
    app.click_on("[data-testid=sign-in-continue]").await;
    let done = app.text_of("[data-testid=sign-in-done]").await;
    assert!(done.contains("Thank you, Gus"), "{done}");
    let visiting = app.text_of("[data-testid=signed-in-visiting]").await;
    assert!(!visiting.trim().is_empty(), "{visiting}");
    small_targets(&app, "sign-in: done, a contractor").await;
    app.screenshot("kiosk-contractor-signed-in").await;
    app.click_on("[data-testid=sign-in-finish]").await;

    // Both leave by tapping their names; each is asked first.
    for (who, left) in [("Gus P.", 1), ("Fred A.", 0)] {
        app.click_on("[data-testid=start-sign-out]").await;
        app.wait_for("[data-testid=on-site-visitor]").await;
        let id = app
            .session
            .execute(
                "return [...document.querySelectorAll('[data-testid=on-site-visitor]')]
                    .find((b) => b.textContent.includes(arguments[0]))?.dataset.signInId ?? null;",
                vec![json!(who)],
            )
            .await
            .unwrap();
        let id = id.as_str().unwrap_or_else(|| panic!("{who} is listed"));
        app.click_on(&format!(
            "[data-testid=on-site-visitor][data-sign-in-id=\"{id}\"]"
        ))
        .await;
        app.wait_for("[data-testid=confirm-sign-out]").await;
        small_targets(&app, "sign-out: is it you?").await;
        app.click_on("[data-testid=confirm-sign-out]").await;
        let bye = app.text_of("[data-testid=sign-out-done]").await;
        assert!(bye.contains(&format!("Goodbye, {who}")), "{bye}");
        small_targets(&app, "sign-out: goodbye").await;
        app.click_on("[data-testid=sign-out-finish]").await;
        let on_site = ok(&app, "kiosk_on_site", json!({})).await;
        assert_eq!(on_site.as_array().unwrap().len(), left, "{on_site}");
    }
    app.close().await;
}

/// The kiosk's PIN pad for `member`: their name tapped, then the PIN on the keypad.
async fn pin_pad(app: &AppWindow, start: &str, member: &str) {
    app.click_on(&format!("[data-testid={start}]")).await;
    app.wait_for("[data-testid=pin-holder]").await;
    small_targets(app, &format!("{start}: names")).await;
    app.click_on(&format!(
        "[data-testid=pin-holder][data-staff-id=\"{member}\"]"
    ))
    .await;
    app.wait_for("[data-testid=kiosk-pin]").await;
    small_targets(app, &format!("{start}: PIN")).await;
}

#[tokio::test]
async fn staff_sign_in_and_out_with_their_pin_open_the_roll_call_and_five_wrong_pins_pause_it() {
    let app = demo_desk().await;
    app.wait_until_pulled("staff").await;
    let (member, _) = plain_staff_member(&app).await;
    ok(
        &app,
        "set_first_manager_pin",
        json!({ "staffId": member, "pin": PIN }),
    )
    .await;
    ok(&app, "lock_desk", json!({})).await;
    app.click_on("[data-testid=nav-reception]").await;
    app.wait_for("[data-testid=reception][data-mode=home]")
        .await;
    small_targets(&app, "home").await;

    // In for the shift, then out at its end.
    pin_pad(&app, "start-staff", &member).await;
    tap(&app, PIN).await;
    app.click_on("[data-testid=staff-sign-in]").await;
    let said = app.text_of("[data-testid=kiosk-said]").await;
    assert!(said.contains("signed in today at"), "{said}");
    pin_pad(&app, "start-staff", &member).await;
    tap(&app, PIN).await;
    app.click_on("[data-testid=staff-sign-out]").await;
    let said = app
        .session
        .wait_for_text("[data-testid=kiosk-said]", APPEAR, |t| {
            t.contains("signed out today at")
        })
        .await
        .expect("signed out");
    small_targets(&app, "home: signed out").await;
    app.screenshot("kiosk-staff-signed-out").await;
    assert!(!said.contains("signed in"), "{said}");

    // The fire roll call from the corner: they are no longer on site.
    pin_pad(&app, "kiosk-roll-call", &member).await;
    tap(&app, PIN).await;
    app.click_on("[data-testid=roll-call-unlock]").await;
    app.wait_for("[data-testid=roll-call][data-roll-call-id]")
        .await;
    app.wait_for("[data-testid=roll-call-person]").await;
    assert!(app
        .session
        .find(&format!(
            "[data-testid=roll-call-person][data-key=\"staff:{member}\"]"
        ))
        .await
        .unwrap()
        .is_none());
    small_targets(&app, "roll call").await;
    app.screenshot("kiosk-roll-call").await;
    app.click_on("[data-testid=close-roll-call]").await;
    let lock = ok(&app, "lock_status", json!({})).await;
    assert_eq!(lock["session"], Value::Null, "{lock}");

    // Five wrong PINs, tapped: the tries left, then PIN entry pauses, even for the right PIN.
    pin_pad(&app, "start-staff", &member).await;
    for left in ["4 tries", "3 tries", "2 tries", "1 try"] {
        tap(&app, "0000").await;
        app.click_on("[data-testid=staff-sign-in]").await;
        let error = app
            .session
            .wait_for_text("#pin-error", APPEAR, |t| t.contains(left))
            .await;
        assert!(error.is_ok(), "{left} left: {error:?}");
    }
    app.check_accessibility("staff PIN: a wrong PIN").await;
    app.screenshot("kiosk-pin-wrong").await;
    tap(&app, "0000").await;
    app.click_on("[data-testid=staff-sign-in]").await;
    let paused = app.text_of("[data-testid=kiosk-pin-paused]").await;
    assert!(paused.contains("Paused until"), "{paused}");
    assert!(paused.contains("ask a manager"), "{paused}");
    assert!(app
        .session
        .find("[data-testid=keyboard]")
        .await
        .unwrap()
        .is_none());
    small_targets(&app, "staff PIN: paused").await;
    app.screenshot("kiosk-pin-paused").await;
    // Back, and the PIN pad again: still paused, no names to tap.
    app.click_on("[data-testid=pin-cancel]").await;
    app.click_on("[data-testid=start-staff]").await;
    app.wait_for("[data-testid=kiosk-pin-paused]").await;
    assert!(app
        .session
        .find("[data-testid=pin-holder]")
        .await
        .unwrap()
        .is_none());
    let status = ok(&app, "lock_status", json!({})).await;
    assert!(!status["paused_until"].is_null(), "{status}");
    app.close().await;
}

#[tokio::test]
async fn mistakes_at_the_kiosk_are_answered_beside_their_field_by_touch() {
    let app = demo_desk().await;
    app.click_on("[data-testid=nav-reception]").await;

    // "Continue" with nothing typed: each field says what it needs, and the summary too.
    app.click_on("[data-testid=start-sign-in]").await;
    app.wait_for("[data-testid=sign-in][data-step=name]").await;
    app.click_on("[data-testid=sign-in-continue]").await;
    app.wait_for("[data-testid=error-summary]").await;
    for field in ["first_name", "surname", "phone"] {
        let said = app.text_of(&format!("#{field}-error")).await;
        assert!(!said.trim().is_empty(), "{field}");
    }
    small_targets(&app, "sign-in: name, mistakes").await;
    app.screenshot("kiosk-name-mistakes").await;
    app.click_on("[data-testid=sign-in-back]").await;

    // A sign-out code that matches no one.
    app.click_on("[data-testid=start-sign-out]").await;
    app.click_on("[data-testid=sign-out-code-input]").await;
    tap(&app, "0000").await;
    app.click_on("[data-testid=sign-out-with-code]").await;
    let said = app.text_of("#code-error").await;
    assert!(!said.trim().is_empty(), "{said}");
    app.wait_for("[data-testid=error-summary]").await;
    small_targets(&app, "sign-out by code, no match").await;
    app.screenshot("kiosk-code-no-match").await;
    app.close().await;
}
