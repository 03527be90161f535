//! The desk's update task on a moved clock: a check at start, then none until four hours
//! later; a kiosk installs at its quiet time (the home's), never while a visitor's form is open.
//! The updater itself (the plugin, the signature, the local update server) is tested in the
//! app (`src-tauri/tests/app/updates.rs`); here a source that records what it is asked.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use loopdesk_core::clock::{Clock, OffsetClock};
use loopdesk_core::desk::updates::{SaveUpdateSettings, UpdateState};
use loopdesk_core::desk::{Desk, DeskConfig};
use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::store::repo;
use loopdesk_core::updates::{BoxFuture, Found, Place, Refusal, UpdateSource};
use tokio::sync::mpsc;

/// Offers version 0.2.0 at every check; records when it was asked and what it installed.
struct Recorder {
    clock: Arc<OffsetClock>,
    checks: Mutex<Vec<DateTime<Utc>>>,
    checked: mpsc::UnboundedSender<()>,
    installs: Mutex<Vec<(String, bool)>>,
    installed: mpsc::UnboundedSender<()>,
    /// Set by the test just before it closes the visitor's form.
    form_closed: Arc<AtomicBool>,
    restarts: Mutex<u32>,
}

impl UpdateSource for Recorder {
    fn check(&self, _address: reqwest::Url) -> BoxFuture<Result<Found, Refusal>> {
        self.checks.lock().unwrap().push(self.clock.now());
        let _ = self.checked.send(());
        Box::pin(async {
            Ok(Found::Ready {
                version: "0.2.0".into(),
                notes: None,
            })
        })
    }

    fn install(&self, version: String) -> BoxFuture<Result<(), Refusal>> {
        let closed = self.form_closed.load(Ordering::SeqCst);
        self.installs.lock().unwrap().push((version, closed));
        let _ = self.installed.send(());
        Box::pin(async { Ok(()) })
    }

    fn can_install(&self, _place: Place) -> Result<(), String> {
        Ok(())
    }

    fn restart(&self) {
        *self.restarts.lock().unwrap() += 1;
    }
}

struct Setup {
    desk: Arc<Desk>,
    clock: Arc<OffsetClock>,
    source: Arc<Recorder>,
    checked: mpsc::UnboundedReceiver<()>,
    installed: mpsc::UnboundedReceiver<()>,
    _dir: tempfile::TempDir,
}

async fn desk_with_updates(quiet_time: &str, kiosk: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(loopdesk_core::Store::open(dir.path().join("loopdesk.db")).unwrap());
    let clock = Arc::new(OffsetClock::new());
    let mut config = DeskConfig::new(Arc::new(MemorySecretStore::new()));
    config.clock = clock.clone();
    let desk = Desk::open(store, config).await.unwrap();
    desk.save_update_settings(SaveUpdateSettings {
        address: "https://updates.example.org/loopdesk/latest.json".into(),
        quiet_time: quiet_time.into(),
    })
    .await
    .unwrap();
    if kiosk {
        desk.set_kiosk_mode(true).await.unwrap();
    }
    let (checked_tx, checked) = mpsc::unbounded_channel();
    let (installed_tx, installed) = mpsc::unbounded_channel();
    let source = Arc::new(Recorder {
        clock: clock.clone(),
        checks: Mutex::default(),
        checked: checked_tx,
        installs: Mutex::default(),
        installed: installed_tx,
        form_closed: Arc::default(),
        restarts: Mutex::default(),
    });
    desk.start_updates(source.clone());
    Setup {
        desk,
        clock,
        source,
        checked,
        installed,
        _dir: dir,
    }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<()>, what: &str) {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no {what}"))
        .expect("the source is there");
}

/// Waits until the desk has taken in what the check found (the source answers before the
/// desk stores it).
async fn ready(desk: &Desk) {
    settled(desk, |s| matches!(s, UpdateState::Ready { .. })).await;
}

async fn settled(desk: &Desk, wanted: impl Fn(&UpdateState) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !wanted(&desk.update_status().await.unwrap().state) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the check's outcome"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn audit(desk: &Desk) -> Vec<(String, String)> {
    desk.store()
        .read(|c| repo::audit::audit_entries(c, None, 50))
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("update."))
        .map(|e| (e.action, e.actor))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_at_start_then_none_until_four_hours_later() {
    let mut s = desk_with_updates("03:00", false).await;
    next(&mut s.checked, "check at start").await;
    let first = s.source.checks.lock().unwrap()[0];
    // Each move of the clock wakes the task; before four hours it checks nothing.
    s.clock.advance(Duration::from_secs(2 * 3600));
    s.clock.advance(Duration::from_secs(3600 + 59 * 60 - 60));
    s.clock.advance(Duration::from_secs(3 * 60));
    next(&mut s.checked, "check four hours later").await;
    ready(&s.desk).await;
    let checks = s.source.checks.lock().unwrap().clone();
    assert!(
        checks[1] - first >= TimeDelta::hours(4),
        "checked again after {:?}",
        checks[1] - first
    );
    let status = s.desk.update_status().await.unwrap();
    assert_eq!(status.message, "Version 0.2.0 is ready to install.");
    assert!(status.may_install, "a console offers Install");
    // A console never installs by itself.
    assert!(s.source.installs.lock().unwrap().is_empty());
    assert!(audit(&s.desk)
        .iter()
        .all(|(action, actor)| action != "update.installed" && !actor.is_empty()));
    s.desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_installs_at_its_quiet_time_once_the_visitor_is_done() {
    // The quiet time three hours from the desk's now, in the home's time (London).
    let clock_now = Utc::now();
    let quiet = (clock_now + TimeDelta::hours(3))
        .with_timezone(&chrono_tz::Europe::London)
        .format("%H:%M")
        .to_string();
    let mut s = desk_with_updates(&quiet, true).await;
    next(&mut s.checked, "check at start").await;
    ready(&s.desk).await;
    let status = s.desk.update_status().await.unwrap();
    assert!(
        status
            .message
            .contains(&format!("installs it at its quiet time, {quiet}")),
        "{}",
        status.message
    );
    assert!(!status.may_install, "a kiosk never asks");

    // A visitor is signing in when the quiet time comes: nothing is installed meanwhile.
    s.desk.set_form_open(true);
    s.clock.advance(Duration::from_secs(3 * 3600 + 60));
    // The visitor finishes.
    s.source.form_closed.store(true, Ordering::SeqCst);
    s.desk.set_form_open(false);
    next(&mut s.installed, "install at the quiet time").await;
    settled(&s.desk, |s| matches!(s, UpdateState::Installed { .. })).await;
    let installs = s.source.installs.lock().unwrap().clone();
    assert_eq!(
        installs,
        [("0.2.0".to_string(), true)],
        "only once the form closed"
    );
    assert_eq!(*s.source.restarts.lock().unwrap(), 1);
    let audit = audit(&s.desk);
    assert_eq!(
        audit[0],
        ("update.installed".to_string(), "system".to_string())
    );
    assert!(audit.iter().any(|(a, _)| a == "update.found"));
    s.desk.shutdown().await;
}
