//! The access walk: every command of the app's command list (`loopdesk::COMMANDS`, so a new
//! command is walked too), called as the webview calls it, on the locked kiosk and as each role.
//!
//! * Below the command's level (its `#[access(…)]`), the answer is `locked` on the kiosk and
//!   `forbidden` for a staff member, and the data file is exactly as it was (a digest of every
//!   table, taken before and after).
//! * At or above it, the command is not refused for access (any other answer, success or a
//!   reason of its own; the sample arguments must be understood: a Tauri error about them
//!   fails the walk).
//! * Whatever the locked kiosk and a receptionist are answered, refusals included, holds no
//!   private field or value ([`super::private`]).
//!
//! Each command needs sample arguments in [`samples`]: the walk fails for a command without
//! them, which is how a new command is brought into it.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use loopdesk::{Level, COMMANDS};
use loopdesk_core::desk::staff_lock::Access;
use loopdesk_core::secrets::{SecretStore, API_KEY};
use loopdesk_core::store::repo::{self, care, digest, pins::DeskRole};
use serde_json::{json, Value};

use crate::private::PrivateValues;
use crate::{Backend, TestApp, Who};

/// A command's sample arguments.
struct Sample {
    /// As the webview sends them (camelCase names).
    args: Value,
    /// The command refuses these arguments itself, whoever calls it, with this code (and
    /// writes nothing).
    refuses_itself: Option<&'static str>,
}

fn sample(args: Value) -> Sample {
    Sample {
        args,
        refuses_itself: None,
    }
}

/// What the samples refer to: rows of the synced desk and two alerts raised on it.
struct Context {
    location: String,
    resident: String,
    /// Scheduled visits to confirm, complete and cancel.
    visits: [String; 3],
    /// The open alerts (the walk acknowledges the first).
    alerts: [i64; 2],
    demo_url: String,
    demo_key: String,
}

impl Context {
    fn seed(t: &TestApp) -> Self {
        let location = tauri::async_runtime::block_on(t.desk.list_locations()).unwrap()[0]
            .id
            .clone();
        let now = chrono::Utc::now();
        let (resident, visits, alerts) = t
            .desk
            .store()
            .write(move |tx| {
                let views = care::visit_views_between(tx, None, now, now + TimeDelta::days(14))?;
                let scheduled: Vec<String> = views
                    .iter()
                    .filter(|v| v.visit.status == care::VisitStatus::Scheduled)
                    .map(|v| v.visit.id.clone())
                    .take(3)
                    .collect();
                // Two missed visits to residents with a room: the alerts name the room.
                let mut alerts = Vec::new();
                let mut resident = None;
                for v in views.iter().filter(|v| v.visit.resident_id.is_some()) {
                    let rid = v.visit.resident_id.as_deref().unwrap_or_default();
                    if repo::people::resident_named(tx, rid)?
                        .and_then(|n| n.room)
                        .is_none()
                    {
                        continue;
                    }
                    resident.get_or_insert_with(|| rid.to_owned());
                    let c = loopdesk_core::alerts::compose::compose(
                        tx,
                        "visit.no_show",
                        &json!({"data": {"visit_id": v.visit.id}}),
                        Some(&v.visit.id),
                    )?;
                    let key = repo::alerts::event_key(&v.visit.id);
                    alerts.extend(repo::alerts::raise_alert(
                        tx,
                        &repo::alerts::NewAlert {
                            key: &key,
                            event_id: None,
                            kind: "visit.no_show",
                            title: &c.title,
                            detail: c.detail.as_deref(),
                            location_id: c.location_id.as_deref(),
                            resident_id: c.resident_id.as_deref(),
                            resource_id: c.resource_id.as_deref(),
                            when_at: c.when_at,
                        },
                    )?);
                    if alerts.len() == 2 {
                        break;
                    }
                }
                Ok((resident, scheduled, alerts))
            })
            .expect("the walk's rows");
        let backend = t.demo.backend();
        Self {
            location,
            resident: resident.expect("a resident with a room and a visit"),
            visits: visits.try_into().expect("three scheduled visits"),
            alerts: alerts.try_into().expect("two alerts raised"),
            demo_url: backend.base_url.clone(),
            demo_key: backend
                .secrets
                .get(API_KEY)
                .unwrap()
                .expect("the demo key")
                .expose()
                .to_owned(),
        }
    }
}

/// A care note the walk writes (a private value once written).
const NOTE: &str = "Walk test: enjoyed the garden after lunch";

/// Sample arguments for every command, by name.
fn samples(t: &TestApp, c: &Context) -> BTreeMap<&'static str, Sample> {
    let tomorrow = (chrono::Utc::now() + TimeDelta::days(1)).date_naive();
    let at = |time: &str| format!("{tomorrow}T{time}:00Z");
    BTreeMap::from([
        ("startup_state", sample(json!({}))),
        ("app_info", sample(json!({}))),
        // Only after an unreadable file was moved aside: refused here, for everyone.
        (
            "create_fresh_database",
            Sample {
                args: json!({}),
                refuses_itself: Some("invalid_input"),
            },
        ),
        (
            "search_residents",
            sample(json!({"text": null, "limit": 500})),
        ),
        ("get_resident", sample(json!({"id": c.resident}))),
        (
            "add_care_note",
            sample(json!({"residentId": c.resident, "body": NOTE, "category": "mood"})),
        ),
        ("list_locations", sample(json!({}))),
        ("list_staff", sample(json!({}))),
        (
            "list_visits",
            sample(
                json!({"from": at("00:00"), "to": (tomorrow + TimeDelta::days(7)).to_string() + "T00:00:00Z"}),
            ),
        ),
        ("confirm_visit", sample(json!({"id": c.visits[0]}))),
        ("complete_visit", sample(json!({"id": c.visits[1]}))),
        (
            "cancel_visit",
            sample(json!({"id": c.visits[2], "reason": "Walk test: family visiting instead"})),
        ),
        (
            "schedule_visit",
            sample(json!({
                "locationId": c.location,
                "staffUserId": t.holder(DeskRole::ShiftLead).staff_id,
                "residentId": c.resident,
                "visitType": "medication",
                "startsAt": at("09:00"),
                "endsAt": at("09:30"),
                "notes": "Walk test: bring the blue folder",
            })),
        ),
        ("sync_status", sample(json!({}))),
        ("watch_sync", sample(json!({"onEvent": "__CHANNEL__:9001"}))),
        ("sync_now", sample(json!({}))),
        ("outbox_attention", sample(json!({}))),
        (
            "resubmit_outbox_entry",
            sample(json!({"seq": 999_999, "payload": {}})),
        ),
        ("discard_outbox_entry", sample(json!({"seq": 999_999}))),
        ("get_settings", sample(json!({}))),
        // The demo CareLoop as real settings: the desk goes on working with it.
        (
            "save_settings",
            sample(
                json!({"apiBaseUrl": c.demo_url, "locationId": c.location, "apiKey": c.demo_key}),
            ),
        ),
        ("test_connection", sample(json!({}))),
        ("desk_summary", sample(json!({}))),
        ("list_alerts", sample(json!({}))),
        (
            "acknowledge_alert",
            sample(json!({"id": c.alerts[0], "by": "Walk test"})),
        ),
        ("alert_feed_status", sample(json!({}))),
        (
            "watch_alerts",
            sample(json!({"onEvent": "__CHANNEL__:9002"})),
        ),
        // Refused for its address: no bridge starts polling in the background.
        (
            "save_bridge_settings",
            sample(json!({"bridgeUrl": "not an address", "deviceToken": null})),
        ),
        ("lock_status", sample(json!({}))),
        ("watch_lock", sample(json!({"onEvent": "__CHANNEL__:9003"}))),
        ("pin_holders", sample(json!({}))),
        (
            "unlock",
            sample(json!({
                "staffId": t.holder(DeskRole::Receptionist).staff_id,
                "pin": t.holder(DeskRole::Receptionist).pin,
            })),
        ),
        ("still_here", sample(json!({}))),
        ("lock_desk", sample(json!({}))),
        // Only while no PIN is set: refused here, for everyone.
        (
            "set_first_manager_pin",
            Sample {
                args: json!({"staffId": t.spare_staff, "pin": "13572468"}),
                refuses_itself: Some("forbidden"),
            },
        ),
        ("list_pins", sample(json!({}))),
        (
            "set_staff_pin",
            sample(json!({"staffId": t.spare_staff, "pin": "246813", "role": "receptionist"})),
        ),
        (
            "set_staff_role",
            sample(json!({"staffId": t.spare_staff, "role": "shift_lead"})),
        ),
        (
            "remove_staff_pin",
            sample(json!({"staffId": t.spare_staff})),
        ),
        ("set_idle_lock", sample(json!({"minutes": 60}))),
        ("get_window_options", sample(json!({}))),
        ("set_kiosk_mode", sample(json!({"enabled": true}))),
        ("set_start_at_login", sample(json!({"enabled": true}))),
        ("quit_app", sample(json!({}))),
        ("set_demo_sandbox", sample(json!({"running": true}))),
        ("demo_server_visit", sample(json!({"id": c.visits[0]}))),
        // This demo has no alert bridge: refused for that, nothing is sent.
        (
            "trigger_demo_alert",
            sample(json!({"kind": "visit.no_show"})),
        ),
        ("set_demo_bridge", sample(json!({"running": true}))),
        // This app is not on the demo: refused for that (by a manager), nothing is deleted.
        ("reset_demo_data", sample(json!({}))),
        ("advance_demo_clock", sample(json!({"minutes": 1}))),
    ])
}

/// Where a role or level stands: the kiosk 0, then receptionist, shift lead, manager.
fn rank_of_access(access: Access) -> u8 {
    match access {
        Access::Kiosk => 0,
        Access::Staff(role) => role.rank(),
    }
}

fn rank_of(who: Who) -> u8 {
    match who {
        Who::Kiosk => 0,
        Who::Staff(role) => role.rank(),
    }
}

/// The data file in short, table by table.
fn digest(t: &TestApp) -> BTreeMap<String, digest::TableDigest> {
    t.desk
        .store()
        .read(digest::table_digests)
        .expect("a digest of the data file")
}

/// Waits for what allowed commands asked the sync engine to do (a refresh, a sync after new
/// settings): the engine does one thing at a time, in order, so a sync asked for now ends
/// after them. Then nothing is written in the background until the next command.
fn settle(t: &TestApp) {
    let _ = tauri::async_runtime::block_on(t.desk.sync_now());
}

#[test]
fn every_command_refuses_below_its_level_writes_nothing_then_and_shows_the_public_nothing_private()
{
    let _entry = crate::START_AT_LOGIN.lock();
    let t = TestApp::start(Backend::Quiet);
    let context = Context::seed(&t);
    let samples = samples(&t, &context);

    let missing: Vec<&str> = COMMANDS
        .iter()
        .map(|c| c.name)
        .filter(|name| !samples.contains_key(name))
        .collect();
    assert!(
        missing.is_empty(),
        "give these commands sample arguments in src-tauri/tests/app/walk.rs (samples): {missing:?}"
    );
    let stale: Vec<&&str> = samples
        .keys()
        .filter(|name| !COMMANDS.iter().any(|c| c.name == **name))
        .collect();
    assert!(
        stale.is_empty(),
        "samples for commands that do not exist: {stale:?}"
    );

    let mut private = PrivateValues::read(&t.desk);
    private.insert(NOTE);
    assert!(
        private.len() > 100,
        "the desk has private values to look for"
    );

    let mut failures = Vec::new();
    let mut walked = 0;
    let mut unsettled = true;
    for command in COMMANDS {
        if command.demo && !cfg!(feature = "demo") {
            continue;
        }
        let level: Level = command.access.expect("every command declares its level");
        let sample = &samples[command.name];
        for who in Who::ALL {
            t.become_(who);
            let allowed = rank_of(who) >= rank_of_access(level.access());
            let checks_writes = !allowed || sample.refuses_itself.is_some();
            let before = checks_writes.then(|| {
                if unsettled {
                    settle(&t);
                    unsettled = false;
                }
                digest(&t)
            });
            let answer = t.invoke(command.name, sample.args.clone());
            walked += 1;
            let at = format!("{} as {who:?}", command.name);
            let code = answer
                .as_ref()
                .err()
                .map(|e| e.get("code").and_then(Value::as_str).map(str::to_owned));
            match (&code, allowed) {
                // A Tauri error, not the command's: the sample arguments were not understood.
                (Some(None), _) => failures.push(format!("{at}: {answer:?}")),
                (Some(Some(code)), false) => {
                    let want = if who == Who::Kiosk {
                        "locked"
                    } else {
                        "forbidden"
                    };
                    if code != want {
                        failures.push(format!("{at}: answered {code}, not {want}"));
                    }
                }
                (None, false) => failures.push(format!("{at}: answered {answer:?}, not refused")),
                (Some(Some(code)), true) => {
                    let own = sample.refuses_itself == Some(code.as_str());
                    if (code == "locked" || code == "forbidden") && !own {
                        failures.push(format!("{at}: refused ({code}) at its level {level:?}"));
                    }
                    if sample.refuses_itself.is_some() && !own {
                        failures.push(format!(
                            "{at}: answered {code}, not {:?}",
                            sample.refuses_itself
                        ));
                    }
                }
                (None, true) => {
                    if let Some(own) = sample.refuses_itself {
                        failures.push(format!("{at}: answered {answer:?}, not {own}"));
                    }
                }
            }
            if let Some(before) = before {
                let after = digest(&t);
                let changed: Vec<&String> = after
                    .iter()
                    .filter(|(table, d)| before.get(*table) != Some(d))
                    .map(|(table, _)| table)
                    .collect();
                if !changed.is_empty() {
                    failures.push(format!("{at}: refused, yet wrote to {changed:?}"));
                }
            }
            if allowed && sample.refuses_itself.is_none() {
                unsettled = true;
            }
            if !who.sees_private() {
                let shown = match &answer {
                    Ok(v) | Err(v) => v,
                };
                for leak in private.leaks(shown) {
                    failures.push(format!("{at}: shown {leak}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the access walk found {} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(walked >= 4 * 40, "walked {walked} calls");
    t.stop();
}
