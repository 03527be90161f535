//! The staff lock: PINs (Argon2id only), roles, the pause after wrong PINs and the idle lock on
//! the desk's clock, "no manager left", and who did what.

use std::sync::Arc;
use std::time::Duration;

use loopdesk_core::clock::OffsetClock;
use loopdesk_core::desk::staff_lock::{Access, LockStatus};
use loopdesk_core::desk::{Desk, DeskConfig};
use loopdesk_core::ipc::Code;
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::store::repo::{self, pins::DeskRole};
use loopdesk_core::Store;
use loopdesk_sandbox::DataSize;
use reqwest::Method;
use serde_json::json;

use crate::peer::{self, client_options, config, Peer, DESK_KEY};

struct Locked {
    desk: Arc<Desk>,
    clock: Arc<OffsetClock>,
    dir: tempfile::TempDir,
    /// Three staff members from the directory.
    staff: Vec<(String, String)>,
}

/// A synced desk on its own clock, with no PIN yet.
async fn desk(peer: &Peer) -> Locked {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("loopdesk.db")).unwrap());
    store
        .write(|tx| {
            repo::settings::set_setting(
                tx,
                loopdesk_core::desk::settings::API_BASE_URL,
                &peer.url(),
            )
        })
        .unwrap();
    let clock = Arc::new(OffsetClock::new());
    let mut config = DeskConfig::new(Arc::new(MemorySecretStore::with_api_key(Secret::new(
        DESK_KEY,
    ))));
    config.sync = peer::sync_options();
    config.client = client_options();
    config.clock = clock.clone();
    let desk = Desk::open(store, config).await.unwrap();
    desk.sync_now().await.unwrap();
    let staff = desk
        .list_staff(None)
        .await
        .unwrap()
        .into_iter()
        .take(3)
        .map(|s| (s.id.clone(), s.display_name()))
        .collect();
    Locked {
        desk,
        clock,
        dir,
        staff,
    }
}

fn pin(p: &str) -> Secret {
    Secret::new(p)
}

/// Sets the first manager (staff 0, PIN 58273619), a shift lead (1, 4471) and a receptionist
/// (2, 90817), then locks.
async fn with_pins(l: &Locked) {
    let d = &l.desk;
    let s = d
        .set_first_manager_pin(l.staff[0].0.clone(), pin("58273619"))
        .await
        .unwrap();
    assert!(!s.setting_up);
    assert_eq!(
        s.session.unwrap().role,
        DeskRole::Manager,
        "the manager is in"
    );
    d.set_staff_pin(l.staff[1].0.clone(), pin("4471"), DeskRole::ShiftLead)
        .await
        .unwrap();
    d.set_staff_pin(l.staff[2].0.clone(), pin("90817"), DeskRole::Receptionist)
        .await
        .unwrap();
    d.lock_desk().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pins_are_kept_only_as_argon2id_hashes() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let l = desk(&peer).await;
    // Before any PIN, the desk is being set up: the console is open.
    let before = l.desk.lock_status().await.unwrap();
    assert!(before.setting_up);
    assert!(l
        .desk
        .authorize(Access::Staff(DeskRole::Manager))
        .await
        .is_ok());
    with_pins(&l).await;
    let hashes: Vec<String> = l
        .desk
        .store()
        .read(|c| {
            let mut stmt = c.prepare("SELECT pin_hash FROM staff_pins")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap();
    assert_eq!(hashes.len(), 3);
    assert!(
        hashes.iter().all(|h| h.starts_with("$argon2id$")),
        "{hashes:?}"
    );
    l.desk.shutdown().await;
    drop(l.desk);
    // No PIN in the data file, its write-ahead log, or the audit log. The desk's last tasks
    // may still be letting go of the store: SQLite removes the `-wal` and `-shm` files when its
    // last connection closes, so a file listed may be gone by the time it is read.
    for entry in std::fs::read_dir(l.dir.path()).unwrap() {
        let bytes = match std::fs::read(entry.unwrap().path()) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{e}"),
        };
        for p in ["58273619", "90817"] {
            assert!(
                !bytes.windows(p.len()).any(|w| w == p.as_bytes()),
                "PIN {p} found in a file"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_opens_the_console_with_its_role_and_a_wrong_one_says_nothing_more() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let l = desk(&peer).await;
    with_pins(&l).await;
    let d = &l.desk;
    assert_eq!(
        d.authorize(Access::Staff(DeskRole::Receptionist))
            .await
            .unwrap_err()
            .code,
        Code::Locked
    );
    assert!(d.authorize(Access::Kiosk).await.unwrap().is_none());
    // The locked kiosk cannot read a resident.
    let holders = d.pin_holders().await.unwrap();
    assert_eq!(holders.len(), 3);

    // A wrong PIN and a name without a PIN say the same.
    let wrong = d
        .unlock(l.staff[1].0.clone(), pin("1111"))
        .await
        .unwrap_err();
    let nobody = d
        .unlock("stf_nobody".into(), pin("4471"))
        .await
        .unwrap_err();
    assert_eq!(wrong.code, Code::InvalidInput);
    assert_eq!(nobody.code, wrong.code);
    assert_eq!(nobody.message, wrong.message);
    assert!(wrong.fields.unwrap()["pin"].contains("4 tries left"));
    assert!(nobody.fields.unwrap()["pin"].contains("3 tries left"));
    let bad = d
        .unlock(l.staff[1].0.clone(), pin("44a1"))
        .await
        .unwrap_err();
    assert_eq!(
        bad.code,
        Code::InvalidInput,
        "a PIN with letters is just wrong"
    );

    let s: LockStatus = d.unlock(l.staff[1].0.clone(), pin("4471")).await.unwrap();
    let session = s.session.unwrap();
    assert_eq!(session.role, DeskRole::ShiftLead);
    assert_eq!(session.name, l.staff[1].1);
    // A shift lead: residents yes, settings no.
    assert!(d
        .authorize(Access::Staff(DeskRole::ShiftLead))
        .await
        .is_ok());
    assert_eq!(
        d.authorize(Access::Staff(DeskRole::Manager))
            .await
            .unwrap_err()
            .code,
        Code::Forbidden
    );
    d.lock_desk().await.unwrap();
    assert_eq!(
        d.authorize(Access::Staff(DeskRole::Receptionist))
            .await
            .unwrap_err()
            .code,
        Code::Locked
    );
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_pins_pause_pin_entry_five_minutes_then_ten_on_the_desks_clock() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let l = desk(&peer).await;
    with_pins(&l).await;
    let (d, who) = (&l.desk, l.staff[1].0.clone());
    for _ in 0..4 {
        assert_eq!(
            d.unlock(who.clone(), pin("0000")).await.unwrap_err().code,
            Code::InvalidInput
        );
    }
    let fifth = d.unlock(who.clone(), pin("0000")).await.unwrap_err();
    assert_eq!(fifth.code, Code::Paused);
    // Even the right PIN is refused while paused.
    assert_eq!(
        d.unlock(who.clone(), pin("4471")).await.unwrap_err().code,
        Code::Paused
    );
    assert!(d.lock_status().await.unwrap().paused_until.is_some());
    l.clock.advance(Duration::from_secs(4 * 60 + 50));
    assert_eq!(
        d.unlock(who.clone(), pin("4471")).await.unwrap_err().code,
        Code::Paused
    );
    l.clock.advance(Duration::from_secs(15));
    // Five more wrong: a pause twice as long.
    for _ in 0..5 {
        let _ = d.unlock(who.clone(), pin("0000")).await;
    }
    l.clock.advance(Duration::from_secs(6 * 60));
    assert_eq!(
        d.unlock(who.clone(), pin("4471")).await.unwrap_err().code,
        Code::Paused,
        "ten minutes the second time"
    );
    l.clock.advance(Duration::from_secs(5 * 60));
    d.unlock(who.clone(), pin("4471")).await.unwrap();
    // A success starts afresh: four wrong PINs do not pause.
    d.lock_desk().await.unwrap();
    for _ in 0..4 {
        let _ = d.unlock(who.clone(), pin("0000")).await;
    }
    d.unlock(who, pin("4471")).await.unwrap();
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_locks_itself_after_the_idle_time_on_the_desks_clock() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let l = desk(&peer).await;
    with_pins(&l).await;
    let d = &l.desk;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _events = d.forward_lock_events(move |e| tx.send(e).is_ok());
    d.unlock(l.staff[0].0.clone(), pin("58273619"))
        .await
        .unwrap();
    assert_eq!(
        d.set_idle_lock(0).await.unwrap_err().fields.unwrap()["minutes"],
        "Choose from 1 to 60 minutes"
    );
    d.set_idle_lock(2).await.unwrap();
    // Use keeps it open.
    l.clock.advance(Duration::from_secs(90));
    assert!(d.authorize(Access::Staff(DeskRole::Manager)).await.is_ok());
    l.clock.advance(Duration::from_secs(90));
    assert!(d.authorize(Access::Staff(DeskRole::Manager)).await.is_ok());
    // Two minutes without use: locked, and the window is told why.
    l.clock.advance(Duration::from_secs(121));
    assert_eq!(
        d.authorize(Access::Staff(DeskRole::Receptionist))
            .await
            .unwrap_err()
            .code,
        Code::Locked
    );
    let told = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let e = rx.recv().await.unwrap();
            if e.reason
                .as_deref()
                .is_some_and(|r| r.contains("without use"))
            {
                return e;
            }
        }
    })
    .await
    .expect("the lock was announced");
    assert!(told.status.session.is_none());
    d.shutdown().await;
}

/// The clock moved on (the demo's, for the window tests) and the desk told so: the idle lock
/// comes at once, with nothing called, instead of when its task would have woken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idle_lock_comes_as_soon_as_the_desk_is_told_its_clock_moved() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let l = desk(&peer).await;
    with_pins(&l).await;
    let d = &l.desk;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _events = d.forward_lock_events(move |e| tx.send(e).is_ok());
    d.unlock(l.staff[0].0.clone(), pin("58273619"))
        .await
        .unwrap();
    d.set_idle_lock(1).await.unwrap();
    // Time for the idle task to take the new minute and go to sleep until it is up (a PIN
    // hashed with Argon2id is slow; setting one does not wake the task).
    d.set_staff_pin(l.staff[2].0.clone(), pin("24680"), DeskRole::Receptionist)
        .await
        .unwrap();

    l.clock.advance(Duration::from_secs(61));
    d.clock_moved();

    // Well within the minute the idle task would otherwise sleep.
    let told = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let e = rx.recv().await.unwrap();
            if e.reason.as_deref() == Some("Locked after 1 minute without use") {
                return e;
            }
        }
    })
    .await
    .expect("the lock was announced without a command");
    assert!(told.status.session.is_none());
    assert!(d.lock_status().await.unwrap().session.is_none());
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pins_are_managed_without_clashes_and_never_leave_the_desk_without_a_manager() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let l = desk(&peer).await;
    with_pins(&l).await;
    let d = &l.desk;
    let manager = l.staff[0].0.clone();
    d.unlock(manager.clone(), pin("58273619")).await.unwrap();
    // Someone else's PIN, a bad shape, an unknown staff member: refused beside the field.
    let e = d
        .set_staff_pin(l.staff[2].0.clone(), pin("4471"), DeskRole::Receptionist)
        .await
        .unwrap_err();
    assert!(e.fields.unwrap()["pin"].contains("already has this PIN"));
    for bad in ["123", "123456789", "12a4", ""] {
        let e = d
            .set_staff_pin(l.staff[2].0.clone(), pin(bad), DeskRole::Receptionist)
            .await
            .unwrap_err();
        assert_eq!(e.fields.unwrap()["pin"], "Enter 4 to 8 digits", "{bad:?}");
    }
    let e = d
        .set_staff_pin("stf_nobody".into(), pin("3141"), DeskRole::Receptionist)
        .await
        .unwrap_err();
    assert!(e.fields.unwrap().contains_key("staff_id"));
    // The only manager stays one.
    let e = d
        .set_staff_role(manager.clone(), DeskRole::ShiftLead)
        .await
        .unwrap_err();
    assert!(e.fields.unwrap()["role"].contains("only manager"));
    let e = d.remove_staff_pin(manager.clone()).await.unwrap_err();
    assert!(e.fields.unwrap()["staff_id"].contains("only manager"));
    // With a second manager it may change; the shift lead's PIN is reset and still works.
    d.set_staff_role(l.staff[1].0.clone(), DeskRole::Manager)
        .await
        .unwrap();
    d.set_staff_pin(l.staff[1].0.clone(), pin("27182818"), DeskRole::Manager)
        .await
        .unwrap();
    d.set_staff_role(manager.clone(), DeskRole::Receptionist)
        .await
        .unwrap();
    // The signed-in manager is a receptionist now: settings are closed to them at once.
    assert_eq!(
        d.authorize(Access::Staff(DeskRole::Manager))
            .await
            .unwrap_err()
            .code,
        Code::Forbidden
    );
    d.lock_desk().await.unwrap();
    d.unlock(l.staff[1].0.clone(), pin("27182818"))
        .await
        .unwrap();
    // A removed PIN ends its holder's access.
    d.remove_staff_pin(l.staff[2].0.clone()).await.unwrap();
    d.lock_desk().await.unwrap();
    assert!(d.unlock(l.staff[2].0.clone(), pin("90817")).await.is_err());
    // Nothing about a PIN is in the audit log but who did what.
    let audit: Vec<String> = d
        .store()
        .read(|c| {
            Ok(repo::audit::audit_entries(c, None, 500)?
                .into_iter()
                .map(|a| format!("{} {} {:?}", a.actor, a.action, a.detail))
                .collect())
        })
        .unwrap();
    assert!(audit.iter().any(|a| a.contains("staff_lock.reset_pin")));
    assert!(audit
        .iter()
        .all(|a| !a.contains("27182818") && !a.contains("4471") && !a.contains("$argon2")));
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_who_leaves_careloop_loses_their_pin_and_their_session() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let l = desk(&peer).await;
    with_pins(&l).await;
    let d = &l.desk;
    let leaver = l.staff[1].0.clone();
    d.unlock(leaver.clone(), pin("4471")).await.unwrap();
    peer.control(Method::DELETE, &format!("staff/{leaver}"), json!({}))
        .await;
    d.sync_now().await.unwrap();
    assert!(d
        .pin_holders()
        .await
        .unwrap()
        .iter()
        .all(|h| h.staff_id != leaver));
    assert_eq!(
        d.authorize(Access::Staff(DeskRole::Receptionist))
            .await
            .unwrap_err()
            .code,
        Code::Locked,
        "their session ended"
    );
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_says_who_made_it() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let l = desk(&peer).await;
    with_pins(&l).await;
    let d = &l.desk;
    let (lead, lead_name) = l.staff[1].clone();
    d.unlock(lead.clone(), pin("4471")).await.unwrap();
    let resident = d.search_residents(None, None, None, Some(1)).await.unwrap()[0]
        .id
        .clone();
    let note = d
        .add_care_note(
            resident.clone(),
            crate::peer::marker("signed"),
            "mood".into(),
        )
        .await
        .unwrap();
    assert_eq!(note.note.author_name, lead_name);
    assert_eq!(note.note.author_staff_id.as_deref(), Some(lead.as_str()));
    let queued = d
        .store()
        .read(|c| repo::outbox::outbox_entries(c, repo::outbox::OutboxStatus::Pending))
        .unwrap();
    assert_eq!(queued[0].payload["author_staff_id"], json!(lead));
    assert_eq!(queued[0].payload["author_name"], json!(lead_name));
    let visit = d
        .list_visits(
            "2000-01-01T00:00:00Z".into(),
            "2100-01-01T00:00:00Z".into(),
            None,
        )
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.visit.status == repo::care::VisitStatus::Scheduled)
        .unwrap();
    let confirmed = d.confirm_visit(visit.visit.id.clone()).await.unwrap();
    assert_eq!(confirmed.changed_by.as_deref(), Some(lead_name.as_str()));
    d.sync_now().await.unwrap();
    // CareLoop has the note by that staff member.
    let on_server = peer
        .all(&format!("/v1/residents/{resident}/care-notes"), "")
        .await
        .into_iter()
        .find(|n| n["body"] == json!(note.note.body))
        .unwrap();
    assert_eq!(on_server["author_staff_id"], json!(lead));
    let actors: Vec<(String, String)> = d
        .store()
        .read(|c| {
            Ok(repo::audit::audit_entries(c, None, 50)?
                .into_iter()
                .map(|a| (a.actor, a.action))
                .collect())
        })
        .unwrap();
    assert!(actors.contains(&(lead.clone(), "care_note.add".into())));
    assert!(actors.contains(&(lead.clone(), "visit.confirmed".into())));
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_kiosk_mode_only_a_manager_may_close_the_window() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let l = desk(&peer).await;
    let d = &l.desk;
    assert!(!d.kiosk_mode(), "off until a manager turns it on");
    assert!(d.may_close_window());
    // While the desk is being set up, whoever sets it up is its manager.
    d.set_kiosk_mode(true).await.unwrap();
    assert!(d.window_plan().fullscreen && !d.window_plan().decorations);
    assert!(d.may_close_window());
    with_pins(&l).await;
    assert!(!d.may_close_window(), "the locked kiosk");
    for (who, code, may) in [
        (2, "90817", false),
        (1, "4471", false),
        (0, "58273619", true),
    ] {
        d.unlock(l.staff[who].0.clone(), pin(code)).await.unwrap();
        assert_eq!(d.may_close_window(), may, "staff {who}");
        d.lock_desk().await.unwrap();
        assert!(!d.may_close_window(), "locked again after staff {who}");
    }
    // It survives a restart, and the audit log says who turned it off.
    let manager = l.staff[0].0.clone();
    d.shutdown().await;
    let reopened = Desk::open(d.store().clone(), reopen_config(&l))
        .await
        .unwrap();
    assert!(reopened.kiosk_mode());
    assert!(!reopened.may_close_window());
    reopened
        .unlock(manager.clone(), pin("58273619"))
        .await
        .unwrap();
    assert!(!reopened.set_kiosk_mode(false).await.unwrap());
    reopened.start_at_login_changed(true).await.unwrap();
    reopened.lock_desk().await.unwrap();
    assert!(reopened.may_close_window(), "kiosk mode is off");
    assert!(!reopened.window_plan().fullscreen && reopened.window_plan().decorations);
    let audit: Vec<(String, String, Option<serde_json::Value>)> = reopened
        .store()
        .read(|c| {
            Ok(repo::audit::audit_entries(c, None, 50)?
                .into_iter()
                .filter(|a| a.action.starts_with("window."))
                .map(|a| (a.actor, a.action, a.detail))
                .collect())
        })
        .unwrap();
    assert_eq!(
        audit,
        vec![
            (
                manager.clone(),
                "window.start_at_login".into(),
                Some(json!({"enabled": true}))
            ),
            (
                manager,
                "window.kiosk_mode".into(),
                Some(json!({"enabled": false}))
            ),
            (
                "setup".into(),
                "window.kiosk_mode".into(),
                Some(json!({"enabled": true}))
            ),
        ]
    );
    reopened.shutdown().await;
}

/// The desk's configuration again, for a second desk over the same file.
fn reopen_config(l: &Locked) -> DeskConfig {
    let mut config = DeskConfig::new(Arc::new(MemorySecretStore::with_api_key(Secret::new(
        DESK_KEY,
    ))));
    config.sync = peer::sync_options();
    config.client = client_options();
    config.clock = l.clock.clone();
    config
}

/// Raises a missed-visit alert about a visit to a resident who has a room, worded as the
/// poller words it; returns its id and the resident's room.
fn raise_missed_visit(d: &Desk, nth: usize) -> (i64, String) {
    d.store()
        .write(move |tx| {
            let today = chrono::Utc::now();
            let visits = repo::care::visits_between(
                tx,
                None,
                today - chrono::TimeDelta::days(30),
                today + chrono::TimeDelta::days(30),
            )?;
            let (visit, room) = visits
                .iter()
                .filter_map(|v| {
                    let named =
                        repo::people::resident_named(tx, v.resident_id.as_deref()?).ok()??;
                    Some((v, named.room?))
                })
                .nth(nth)
                .expect("a visit to a resident with a room");
            let body = json!({"data": {"visit_id": visit.id}});
            let c = loopdesk_core::alerts::compose::compose(
                tx,
                "visit.no_show",
                &body,
                Some(&visit.id),
            )?;
            let key = repo::alerts::event_key(&visit.id);
            let id = repo::alerts::raise_alert(
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
            )?
            .expect("a new alert");
            Ok((id, room))
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receptionist_sees_an_alert_by_its_kind_and_the_residents_public_name() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let l = desk(&peer).await;
    with_pins(&l).await;
    let d = &l.desk;
    let (first, room) = raise_missed_visit(d, 0);
    let (second, _) = raise_missed_visit(d, 1);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _events = d.forward_alert_events(move |e| tx.send(e).is_ok());

    d.unlock(l.staff[2].0.clone(), pin("90817")).await.unwrap();
    let view = d.list_alerts().await.unwrap();
    let alert = view.open.iter().find(|a| a.id == first).unwrap();
    let full = d
        .store()
        .read(|c| repo::alerts::recent_alerts(c, 100))
        .unwrap()
        .into_iter()
        .find(|a| a.id == first)
        .unwrap();
    let resident = full.resident_id.clone().unwrap();
    let public = d
        .store()
        .read(|c| repo::people::resident_public_name(c, &resident))
        .unwrap()
        .unwrap();
    assert!(public.ends_with('.'), "{public}");
    assert_eq!(alert.title, format!("Missed visit: {public}"));
    assert!(!format!("{alert:?}").contains(&format!("Room {room}")));
    assert_eq!(
        (alert.resident_id.as_ref(), alert.location_id.as_ref()),
        (None, None)
    );
    assert!(
        full.title.contains(&format!("Room {room}")),
        "{}",
        full.title
    );
    // Acknowledged by the receptionist: the answer and the event say no more.
    let answer = d.acknowledge_alert(first, "typed".into()).await.unwrap();
    assert_eq!(answer.title, format!("Missed visit: {public}"));
    assert_eq!(
        answer.acknowledged_by.as_deref(),
        Some(l.staff[2].1.as_str())
    );
    assert_eq!(next_acknowledged(&mut rx).await.title, "Staff alert");

    // A shift lead sees it all.
    d.lock_desk().await.unwrap();
    d.unlock(l.staff[1].0.clone(), pin("4471")).await.unwrap();
    let view = d.list_alerts().await.unwrap();
    assert_eq!(
        view.recent.iter().find(|a| a.id == first).unwrap().title,
        full.title
    );
    let answer = d.acknowledge_alert(second, "typed".into()).await.unwrap();
    assert!(answer.title.contains("Room "), "{}", answer.title);
    assert_eq!(next_acknowledged(&mut rx).await.title, answer.title);
    d.shutdown().await;
}

/// The next acknowledgement the window is told of.
async fn next_acknowledged(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<loopdesk_core::alerts::AlertEvent>,
) -> repo::alerts::Alert {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let loopdesk_core::alerts::AlertEvent::Acknowledged(a) = rx.recv().await.unwrap() {
                return a;
            }
        }
    })
    .await
    .expect("the acknowledgement was announced")
}
