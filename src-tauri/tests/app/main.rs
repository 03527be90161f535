//! The app's real commands and window rules on Tauri's mock runtime (no display): the app's own
//! handler and [`AppState`] over a real data file in a temporary folder and a desk on the demo
//! CareLoop (an in-process sandbox on 127.0.0.1), called as the webview calls them.
//!
//! * `walk`: every command of the command list, locked and as each role (the access walk);
//! * `events`: what the window is sent while the desk is locked;
//! * `window`: kiosk mode's close rule, and the start-at-login entry;
//! * `updates`: signed updates through tauri-plugin-updater, from a local update server.
//!
//! `HOME` points at a temporary folder for the whole run (before any test starts a thread that
//! could read it): the start-at-login entry is written there, never in the real one.

mod events;
mod private;
#[cfg(feature = "demo")]
mod updates;
mod walk;
mod window;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use loopdesk::{with_commands, AppState, MAIN};
use loopdesk_core::desk::{Desk, DeskConfig};
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::store::repo::pins::DeskRole;
use loopdesk_core::store::{Store, DB_FILE_NAME};
use loopdesk_core::sync::SyncOptions;
use loopdesk_demo::{DataSize, Demo};
use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow};

/// The temporary home of this run (see the module's documentation). Every test calls it first.
pub fn private_home() -> &'static Path {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = tempfile::tempdir().expect("a temporary home");
        // Only here, once, before any test has started a thread of its own (each test's first
        // call): nothing else reads the environment while it changes.
        std::env::set_var("HOME", home.path());
        std::env::set_var("XDG_CONFIG_HOME", home.path().join(".config"));
        // The key the updater trusts in this (demo) build: the tests sign with it.
        #[cfg(feature = "demo")]
        std::env::set_var(
            loopdesk::update_commands::TEST_KEY_ENV,
            updates::trusted_test_key(),
        );
        home
    })
    .path()
}

/// Held by a test that changes the start-at-login entry (in the one temporary home), so that
/// two never change it at once.
pub static START_AT_LOGIN: Mutex<()> = Mutex::new(());

/// Who is at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Locked: the public kiosk.
    Kiosk,
    Staff(DeskRole),
}

impl Who {
    pub const ALL: [Who; 4] = [
        Who::Kiosk,
        Who::Staff(DeskRole::Receptionist),
        Who::Staff(DeskRole::ShiftLead),
        Who::Staff(DeskRole::Manager),
    ];

    /// May see what is private (rooms, care, contacts): a shift lead or a manager.
    pub fn sees_private(self) -> bool {
        matches!(self, Who::Staff(r) if r.rank() >= DeskRole::ShiftLead.rank())
    }
}

/// A staff member with a PIN at the test desk.
#[derive(Debug, Clone)]
pub struct PinHolder {
    pub staff_id: String,
    pub pin: &'static str,
}

/// The messages the app sent the window through channels (`watch_*`), as they arrive.
#[derive(Debug, Default)]
pub struct Sent {
    /// (the channel's id, the message).
    messages: Mutex<Vec<(u32, Value)>>,
    arrived: Condvar,
}

impl Sent {
    fn push(&self, channel: u32, message: Value) {
        self.messages.lock().unwrap().push((channel, message));
        self.arrived.notify_all();
    }

    /// How many so far: a mark for [`Sent::since`] and [`Sent::wait_for`].
    pub fn count(&self) -> usize {
        self.messages.lock().unwrap().len()
    }

    /// Every message from `mark` on.
    pub fn since(&self, mark: usize) -> Vec<(u32, Value)> {
        self.messages.lock().unwrap()[mark..].to_vec()
    }

    /// The first message on `channel` from `mark` on that `wanted` picks, as soon as it comes
    /// (at most a minute: a cold start on a busy machine).
    pub fn wait_for(&self, mark: usize, channel: u32, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut messages = self.messages.lock().unwrap();
        loop {
            if let Some((_, m)) = messages[mark..]
                .iter()
                .find(|(c, m)| *c == channel && wanted(m))
            {
                return m.clone();
            }
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_else(|| panic!("no such message on channel {channel}: {messages:#?}"));
            messages = self.arrived.wait_timeout(messages, left).unwrap().0;
        }
    }
}

/// The app on the mock runtime, its window and its desk.
pub struct TestApp {
    pub app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    pub desk: Arc<Desk>,
    pub demo: Demo,
    pub dir: tempfile::TempDir,
    /// The receptionist, the shift lead and the manager.
    pub holders: Vec<(DeskRole, PinHolder)>,
    /// A fourth active staff member without a PIN.
    pub spare_staff: String,
    /// What the app sent through channels.
    pub sent: Arc<Sent>,
}

/// How the test desk gets its CareLoop.
pub enum Backend {
    /// The demo CareLoop without an alert bridge: nothing happens in the background.
    Quiet,
    /// The whole demo, alert bridge included.
    WithAlerts,
}

impl TestApp {
    /// The app over a fresh data file and a synced desk on the demo CareLoop, with PINs for a
    /// receptionist, a shift lead and a manager (through the desk, as a manager would set them),
    /// locked. Sync runs only when asked (`sync_now`), so nothing is written in the background.
    pub fn start(backend: Backend) -> Self {
        private_home();
        let dir = tempfile::tempdir().expect("a data folder");
        let (demo, desk) = tauri::async_runtime::block_on(async {
            let demo = match backend {
                Backend::Quiet => Demo::start(DataSize::Small).await,
                Backend::WithAlerts => Demo::start_with_alerts(DataSize::Small, dir.path()).await,
            }
            .expect("the demo CareLoop starts");
            let store = Arc::new(Store::open(dir.path().join(DB_FILE_NAME)).expect("a data file"));
            let mut config = DeskConfig::new(Arc::new(MemorySecretStore::new()));
            config.sync = SyncOptions {
                interval: None,
                push_on_write: false,
                ..SyncOptions::default()
            };
            config.demo = Some(demo.backend());
            let desk = Desk::open(store, config).await.expect("the desk opens");
            desk.sync_now().await.expect("the first sync");
            (demo, desk)
        });
        let (holders, spare_staff) = tauri::async_runtime::block_on(set_pins(&desk));

        let state = AppState::with_desk(dir.path().to_path_buf(), desk.clone());
        #[cfg(feature = "demo")]
        let state = state.with_demo(demo.clone());
        let sent = Arc::new(Sent::default());
        let record = sent.clone();
        let app = with_commands(mock_builder())
            .manage(state)
            .channel_interceptor(move |_webview, callback, _index, body| {
                let message = match body {
                    tauri::ipc::InvokeResponseBody::Json(json) => {
                        serde_json::from_str(json).expect("a JSON message")
                    }
                    tauri::ipc::InvokeResponseBody::Raw(bytes) => {
                        Value::String(String::from_utf8_lossy(bytes).into_owned())
                    }
                };
                record.push(callback.0, message);
                true
            })
            .build(context())
            .expect("the app builds on the mock runtime");
        let window = tauri::WebviewWindowBuilder::new(&app, MAIN, Default::default())
            .build()
            .expect("the main window");
        Self {
            app,
            window,
            desk,
            demo,
            dir,
            holders,
            spare_staff,
            sent,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Calls `command` as the webview does; the answer, or the error it was refused with.
    pub fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        invoke_on(&self.window, command, args)
    }

    /// The PIN holder with `role`.
    pub fn holder(&self, role: DeskRole) -> &PinHolder {
        &self
            .holders
            .iter()
            .find(|(r, _)| *r == role)
            .expect("a PIN holder of each role")
            .1
    }

    /// Puts the desk in `who`'s hands: see [`become_`].
    pub fn become_(&self, who: Who) {
        become_(&self.desk, &self.holders, who);
    }

    pub fn stop(self) {
        let desk = self.desk.clone();
        tauri::async_runtime::block_on(desk.shutdown());
        drop(self.app);
    }
}

/// The mock runtime's context with the app's plugin configuration from `tauri.conf.json` (the
/// updater's: the built-in public key, which the demo build's tests replace by their key).
fn context() -> tauri::Context<MockRuntime> {
    let conf: Value =
        serde_json::from_str(include_str!("../../tauri.conf.json")).expect("tauri.conf.json");
    let mut context = mock_context(noop_assets());
    if let Some(plugins) = conf["plugins"].as_object() {
        for (name, config) in plugins {
            context
                .config_mut()
                .plugins
                .0
                .insert(name.clone(), config.clone());
        }
    }
    context
}

/// Sets the first manager's PIN and one for a shift lead and a receptionist, from the synced
/// staff directory; an hour's idle time (the walk is slow on a busy machine); then locks.
async fn set_pins(desk: &Desk) -> (Vec<(DeskRole, PinHolder)>, String) {
    let staff: Vec<String> = desk
        .list_staff(None)
        .await
        .expect("the staff directory")
        .into_iter()
        .filter(|s| s.status == loopdesk_core::store::repo::people::StaffStatus::Active)
        .map(|s| s.id)
        .take(4)
        .collect();
    assert_eq!(staff.len(), 4, "four active staff members");
    let holders = vec![
        (
            DeskRole::Manager,
            PinHolder {
                staff_id: staff[0].clone(),
                pin: "58273619",
            },
        ),
        (
            DeskRole::ShiftLead,
            PinHolder {
                staff_id: staff[1].clone(),
                pin: "4471",
            },
        ),
        (
            DeskRole::Receptionist,
            PinHolder {
                staff_id: staff[2].clone(),
                pin: "90817",
            },
        ),
    ];
    for (role, h) in &holders {
        if *role == DeskRole::Manager {
            desk.set_first_manager_pin(h.staff_id.clone(), Secret::new(h.pin))
                .await
                .expect("the first manager PIN");
        } else {
            desk.set_staff_pin(h.staff_id.clone(), Secret::new(h.pin), *role)
                .await
                .expect("a staff PIN");
        }
    }
    desk.set_idle_lock(60).await.expect("the idle time");
    desk.lock_desk().await.expect("locks");
    (holders, staff[3].clone())
}

/// Puts `desk` in `who`'s hands (through the desk, not the commands under test): locked, or
/// unlocked with that role's PIN. Nothing happens when it already is.
pub fn become_(desk: &Desk, holders: &[(DeskRole, PinHolder)], who: Who) {
    tauri::async_runtime::block_on(async {
        let now = desk.lock_status().await.expect("the lock's status");
        let current = now.session.map(|s| s.role);
        match (who, current) {
            (Who::Kiosk, None) => {}
            (Who::Staff(want), Some(role)) if want == role => {}
            (Who::Kiosk, Some(_)) => {
                desk.lock_desk().await.expect("locks");
            }
            (Who::Staff(role), _) => {
                desk.lock_desk().await.expect("locks");
                let h = holders
                    .iter()
                    .find(|(r, _)| *r == role)
                    .map(|(_, h)| h.clone())
                    .expect("a PIN holder of each role");
                let s = desk
                    .unlock(h.staff_id, Secret::new(h.pin))
                    .await
                    .expect("the right PIN opens the desk");
                assert_eq!(s.session.map(|s| s.role), Some(role));
            }
        }
    });
}

/// Calls `command` from `window` as its webview does.
pub fn invoke_on(
    window: &WebviewWindow<MockRuntime>,
    command: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: command.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            // The app's own pages (the `tauri://` protocol on Linux): a local origin.
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: tauri::test::INVOKE_KEY.into(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("a JSON answer"))
}
