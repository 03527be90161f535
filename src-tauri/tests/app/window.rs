//! The window options on the mock runtime: in kiosk mode the window closes only for a manager
//! (its close button, Alt+F4, or "Close Loopdesk"); the start-at-login entry comes and goes with
//! the setting.

use std::sync::{Arc, Mutex};

use loopdesk::{on_run_event, MAIN};
use loopdesk_core::store::repo::pins::DeskRole;
use serde_json::{json, Value};
use tauri::{Manager, RunEvent};

use crate::{become_, private_home, Backend, TestApp, Who, START_AT_LOGIN};

/// How a person tries to close the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Close {
    /// The window's close button or Alt+F4: the window is asked to close.
    Window,
    /// The `quit_app` command ("Close Loopdesk" in Settings).
    Quit,
}

/// Runs the app's event loop (the mock runtime's) and tries to close the window as each of
/// `attempts` says, one after the other, until one closes it. Says for each attempt made
/// whether it closed the window.
fn close_attempts(t: TestApp, attempts: &[(Who, Close)]) -> Vec<bool> {
    let TestApp {
        app,
        window,
        desk,
        holders,
        dir,
        ..
    } = t;
    // (attempts made, whether each that was seen to fail)
    let outcome: Arc<Mutex<(usize, Vec<bool>)>> = Arc::default();
    let seen = outcome.clone();
    let attempts = attempts.to_vec();
    let shut = desk.clone();
    // Makes the next attempt; false when there is none left.
    let attempt = move |made: usize| -> bool {
        let Some((who, how)) = attempts.get(made).copied() else {
            return false;
        };
        become_(&desk, &holders, who);
        match how {
            Close::Window => window.close().expect("asks the window to close"),
            Close::Quit => {
                let answer = crate::invoke_on(&window, "quit_app", json!({}));
                assert_eq!(answer, Ok(Value::Null), "quit_app as {who:?}");
            }
        }
        true
    };
    let code = app.run_return(move |handle, event| {
        // As the app's own event loop does (`loopdesk::run`).
        on_run_event(handle, &event);
        let mut seen = seen.lock().unwrap();
        match event {
            RunEvent::Ready => {
                assert!(attempt(0), "an attempt to make");
                seen.0 = 1;
            }
            // The loop went round after an attempt: it left the window open (one that closes
            // it ends the loop first).
            RunEvent::MainEventsCleared if seen.0 > seen.1.len() => {
                seen.1.push(false);
                if attempt(seen.0) {
                    seen.0 += 1;
                } else {
                    // Every attempt failed: end the loop.
                    let w = handle.get_webview_window(MAIN).expect("the window");
                    w.destroy().expect("destroys the window");
                }
            }
            _ => {}
        }
    });
    assert_eq!(code, 0);
    let (made, mut closed) = outcome.lock().unwrap().clone();
    if closed.len() < made {
        // The loop ended after the last attempt: it closed the window.
        closed.push(true);
    }
    tauri::async_runtime::block_on(shut.shutdown());
    drop(dir);
    closed
}

#[test]
fn in_kiosk_mode_the_window_closes_only_for_a_manager() {
    let t = TestApp::start(Backend::Quiet);
    t.become_(Who::Staff(DeskRole::Manager));
    let options = t
        .invoke("set_kiosk_mode", json!({"enabled": true}))
        .expect("a manager turns kiosk mode on");
    assert_eq!(options["kiosk_mode"], true);
    let closed = close_attempts(
        t,
        &[
            (Who::Kiosk, Close::Window),
            (Who::Staff(DeskRole::Receptionist), Close::Window),
            (Who::Staff(DeskRole::ShiftLead), Close::Window),
            (Who::Staff(DeskRole::Manager), Close::Quit),
        ],
    );
    assert_eq!(closed, [false, false, false, true]);
}

#[test]
fn out_of_kiosk_mode_the_window_closes_for_anyone() {
    let t = TestApp::start(Backend::Quiet);
    t.become_(Who::Staff(DeskRole::Manager));
    t.invoke("set_kiosk_mode", json!({"enabled": true}))
        .expect("on");
    let options = t
        .invoke("set_kiosk_mode", json!({"enabled": false}))
        .expect("and off again");
    assert_eq!(options["kiosk_mode"], false);
    assert_eq!(close_attempts(t, &[(Who::Kiosk, Close::Window)]), [true]);
}

#[test]
fn start_at_login_writes_and_removes_the_os_entry() {
    let home = private_home();
    let _entry = START_AT_LOGIN.lock();
    let t = TestApp::start(Backend::Quiet);
    let entry = home.join(".config/autostart/Loopdesk.desktop");
    // The access walk may have left one.
    let _ = std::fs::remove_file(&entry);

    // Below a manager: refused, and nothing is written.
    t.become_(Who::Staff(DeskRole::ShiftLead));
    let refused = t
        .invoke("set_start_at_login", json!({"enabled": true}))
        .expect_err("a shift lead may not");
    assert_eq!(refused["code"], "forbidden");
    assert!(!entry.exists());

    t.become_(Who::Staff(DeskRole::Manager));
    let options = t.invoke("get_window_options", json!({})).unwrap();
    assert_eq!(
        options,
        json!({"kiosk_mode": false, "start_at_login": false})
    );
    let options = t
        .invoke("set_start_at_login", json!({"enabled": true}))
        .unwrap();
    assert_eq!(options["start_at_login"], true);
    let written = std::fs::read_to_string(&entry).expect("the autostart entry");
    let exe = std::env::current_exe().unwrap();
    assert!(written.contains("Name=Loopdesk"), "{written}");
    assert!(
        written.contains(&format!("Exec={}", exe.display())),
        "{written}"
    );
    let options = t
        .invoke("set_start_at_login", json!({"enabled": false}))
        .unwrap();
    assert_eq!(options["start_at_login"], false);
    assert!(!entry.exists(), "the entry is gone");
    t.stop();
}
