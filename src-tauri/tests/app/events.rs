#![cfg(feature = "demo")]
//! What the window is sent while the desk is locked and while a receptionist has it: alert, sync
//! and lock events carry nothing private ([`super::private`]). A shift lead's alert names the
//! resident and their room, which shows the scan would see it.

use serde_json::{json, Value};

use loopdesk_core::store::repo::pins::DeskRole;

use crate::private::PrivateValues;
use crate::{Backend, TestApp, Who};

const ALERTS: u32 = 7001;
const SYNC: u32 = 7002;
const LOCK: u32 = 7003;

fn raised(m: &Value) -> bool {
    m["event"] == "raised"
}

/// The demo CareLoop reports a missed visit; the demo bridge brings it to the desk.
fn missed_visit(t: &TestApp) {
    t.invoke("trigger_demo_alert", json!({"kind": "visit.no_show"}))
        .expect("the demo sends a missed visit");
}

#[test]
fn the_public_window_is_sent_nothing_private() {
    let t = TestApp::start(Backend::WithAlerts);
    let private = PrivateValues::read(&t.desk);
    // The window subscribes as the UI does, on the locked kiosk, once for its life.
    for (command, channel) in [
        ("watch_alerts", ALERTS),
        ("watch_sync", SYNC),
        ("watch_lock", LOCK),
    ] {
        t.invoke(
            command,
            json!({"onEvent": format!("__CHANNEL__:{channel}")}),
        )
        .unwrap_or_else(|e| panic!("{command}: {e}"));
    }

    // A shift lead is told which resident, and their room.
    t.become_(Who::Staff(DeskRole::ShiftLead));
    let mark = t.sent.count();
    missed_visit(&t);
    let told = t.sent.wait_for(mark, ALERTS, raised);
    assert!(
        !private.leaks(&told).is_empty(),
        "a shift lead's alert names the resident: {told}"
    );

    // Locked: the same kind of alert, and everything else sent from now on, says nothing.
    t.become_(Who::Kiosk);
    let mark = t.sent.count();
    missed_visit(&t);
    let told = t.sent.wait_for(mark, ALERTS, raised);
    assert_eq!(told["data"]["title"], "Staff alert", "{told}");
    t.invoke("sync_status", json!({})).expect("the sync bar");
    // A receptionist acknowledges it (by their name).
    t.become_(Who::Staff(DeskRole::Receptionist));
    let id = told["data"]["id"].clone();
    let answer = t
        .invoke("acknowledge_alert", json!({"id": id, "by": "typed"}))
        .expect("a receptionist acknowledges");
    assert!(private.leaks(&answer).is_empty(), "{answer}");
    let acknowledged = t
        .sent
        .wait_for(mark, ALERTS, |m| m["event"] == "acknowledged");
    assert_eq!(acknowledged["data"]["id"], id);
    // The window hears the sync only when something a person sees changes: CareLoop going
    // away, then coming back.
    t.invoke("set_demo_sandbox", json!({"running": false}))
        .expect("the demo CareLoop stops");
    let _offline = t.invoke("sync_now", json!({}));
    t.invoke("set_demo_sandbox", json!({"running": true}))
        .expect("the demo CareLoop comes back");
    t.invoke("sync_now", json!({}))
        .expect("a receptionist syncs");
    t.become_(Who::Kiosk);
    let sent = t.sent.since(mark);
    assert!(
        sent.iter().any(|(c, _)| *c == LOCK),
        "lock events were sent"
    );
    assert!(
        sent.iter().any(|(c, _)| *c == SYNC),
        "sync events were sent"
    );
    let leaks: Vec<String> = sent
        .iter()
        .flat_map(|(channel, m)| {
            private
                .leaks(m)
                .into_iter()
                .map(move |leak| format!("channel {channel}: {leak}"))
        })
        .collect();
    assert!(
        leaks.is_empty(),
        "sent to the public window:\n{}",
        leaks.join("\n")
    );
    t.stop();
}
