//! What the app holds while it runs: the data folder, the open store and the desk over it (if
//! start-up succeeded), and how start-up went.

use std::{
    path::PathBuf,
    sync::{Arc, RwLock},
};

use loopdesk_core::{
    desk::{Desk, DeskConfig},
    ipc::{AppInfo, Code, CommandError, StartupState},
    logging::{self, LogGuard},
    secrets::{KeyringStore, SecretStore, TimeLimited},
    store::{self, Store},
};
use tauri::{AppHandle, Manager, Runtime};

/// How long a keyring call may take before start-up says the keyring is not available.
const KEYRING_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The demo the app runs on, if any (nothing without the `demo` feature).
#[cfg(feature = "demo")]
type DemoHandle = Option<loopdesk_demo::Demo>;
#[cfg(not(feature = "demo"))]
type DemoHandle = ();

/// What the app does with each desk it opens (at start, after a fresh data file or a demo
/// reset): start its update checks.
pub type DeskOpened = Arc<dyn Fn(&Arc<Desk>) + Send + Sync>;

pub struct AppState {
    pub data_dir: PathBuf,
    /// Where the app keeps its secrets (the CareLoop key, the bridge token, the data file's
    /// key): the OS keyring.
    secrets: Arc<dyn SecretStore>,
    inner: RwLock<Inner>,
    on_desk: std::sync::Mutex<Option<DeskOpened>>,
    /// A demo reset is under way (one at a time).
    #[cfg(feature = "demo")]
    resetting: std::sync::atomic::AtomicBool,
    _logs: Option<LogGuard>,
}

struct Inner {
    store: Option<Arc<Store>>,
    desk: Option<Arc<Desk>>,
    /// The built-in demo (with the `demo` feature and `LOOPDESK_DEMO=1`).
    #[cfg(feature = "demo")]
    demo: Option<loopdesk_demo::Demo>,
    startup: StartupState,
}

impl AppState {
    /// Resolves folders, starts logging and opens the store. Never fails: problems become a
    /// [`StartupState`] the UI explains.
    pub fn start<R: Runtime>(app: &AppHandle<R>) -> Self {
        let os_data = app.path().app_data_dir().map_err(|e| e.to_string());
        let os_logs = app.path().app_log_dir();
        let data_dir = loopdesk_core::data_dir(os_data.clone().unwrap_or_default());
        let log_dir = logging::log_dir(os_logs.unwrap_or_else(|_| data_dir.join("logs")));
        let logs = match logging::init(&log_dir) {
            Ok(guard) => Some(guard),
            Err(e) => {
                eprintln!(
                    "Loopdesk: logging to {} is not possible: {e}",
                    log_dir.display()
                );
                None
            }
        };
        tracing::info!(version = loopdesk_core::VERSION, data_dir = %data_dir.display(),
            log_dir = %log_dir.display(), "Loopdesk starting");
        // A locked keyring may wait for its password prompt: the desk says so on a screen of its
        // own after half a minute instead of waiting with no window.
        let secrets: Arc<dyn SecretStore> = Arc::new(TimeLimited::new(
            Arc::new(KeyringStore::default()),
            KEYRING_WAIT,
        ));

        let (store, startup) = if data_dir.as_os_str().is_empty() {
            let message = os_data.err().unwrap_or_default();
            (
                None,
                StartupState::Unavailable {
                    path: String::new(),
                    message: format!("The system did not say where app data belongs: {message}"),
                },
            )
        } else {
            store::open_for_startup(&data_dir, secrets.as_ref())
        };
        let store = store.map(Arc::new);
        let opened = store.clone().map(|s| open_desk(s, &secrets));
        let (desk, _demo) = opened.unwrap_or_default();
        Self {
            data_dir,
            secrets,
            inner: RwLock::new(Inner {
                store,
                desk,
                #[cfg(feature = "demo")]
                demo: _demo,
                startup,
            }),
            on_desk: std::sync::Mutex::new(None),
            #[cfg(feature = "demo")]
            resetting: std::sync::atomic::AtomicBool::new(false),
            _logs: logs,
        }
    }

    /// The state over a desk the caller opened on the store in `data_dir`: the tests' way to run
    /// the app's real commands on a desk with their own secret store, clock and CareLoop.
    pub fn with_desk(data_dir: PathBuf, desk: Arc<Desk>) -> Self {
        Self {
            data_dir,
            secrets: desk.secrets().clone(),
            inner: RwLock::new(Inner {
                store: Some(desk.store().clone()),
                desk: Some(desk),
                #[cfg(feature = "demo")]
                demo: None,
                startup: StartupState::Ready,
            }),
            on_desk: std::sync::Mutex::new(None),
            #[cfg(feature = "demo")]
            resetting: std::sync::atomic::AtomicBool::new(false),
            _logs: None,
        }
    }

    /// With the built-in demo for the demo's commands (see [`AppState::with_desk`]).
    #[cfg(feature = "demo")]
    pub fn with_demo(self, demo: loopdesk_demo::Demo) -> Self {
        loopdesk_core::errors::write(&self.inner).demo = Some(demo);
        self
    }

    /// The desk (store, sync engine, settings), or the error the UI shows when start-up did not
    /// finish.
    pub fn desk(&self) -> Result<Arc<Desk>, CommandError> {
        self.read().desk.clone().ok_or_else(|| {
            CommandError::new(
                Code::StoreUnavailable,
                "Loopdesk's data file is not open. Restart Loopdesk; if this keeps happening, \
                 tell your IT contact.",
            )
        })
    }

    /// Runs `f` on the open desk now and on each desk opened later.
    pub fn on_desk_opened(&self, f: DeskOpened) {
        if let Some(desk) = self.read().desk.clone() {
            f(&desk);
        }
        *loopdesk_core::errors::lock(&self.on_desk) = Some(f);
    }

    fn desk_opened(&self, desk: &Option<Arc<Desk>>) {
        let f = loopdesk_core::errors::lock(&self.on_desk).clone();
        if let (Some(f), Some(desk)) = (f, desk) {
            f(desk);
        }
    }

    /// The built-in demo, when the app runs on it.
    #[cfg(feature = "demo")]
    pub fn demo(&self) -> Option<loopdesk_demo::Demo> {
        self.read().demo.clone()
    }

    /// The desk, for command `name`, once the staff lock allows it: who may call each command
    /// is declared in the command list (`#[access(…)]` in `lib.rs`); a command the list does
    /// not know is refused.
    pub async fn desk_as(&self, name: &str) -> Result<Arc<Desk>, CommandError> {
        let level = crate::command_list::level_of(name).ok_or_else(|| {
            tracing::error!(command = name, "a command the list does not declare");
            CommandError::new(Code::Forbidden, "This is not available.")
        })?;
        let desk = self.desk()?;
        desk.authorize(level.access()).await?;
        Ok(desk)
    }

    /// "Reset demo data": the demo starts afresh, as on its first day (see
    /// [`loopdesk_demo::Demo::reset`]): the desk stops, the demo's files and the desk's data file
    /// go, and the app opens a new data file with a desk on the new demo. Refused, changing
    /// nothing, when the app is not on the demo or a real CareLoop or bridge is set up.
    #[cfg(feature = "demo")]
    pub async fn reset_demo(&self) -> Result<(), CommandError> {
        use std::sync::atomic::Ordering;
        let demo = self.demo().ok_or_else(|| {
            CommandError::new(
                Code::InvalidInput,
                "This is only available in the demo (LOOPDESK_DEMO=1).",
            )
        })?;
        demo.check_reset(self.desk()?.store())?;
        if self.resetting.swap(true, Ordering::SeqCst) {
            return Err(CommandError::new(
                Code::InvalidInput,
                "The demo data is being reset already.",
            ));
        }
        // The desk and its store leave the app's hands: the reset closes and deletes the file.
        let (desk, store) = {
            let mut inner = loopdesk_core::errors::write(&self.inner);
            inner.demo = None;
            (inner.desk.take(), inner.store.take())
        };
        drop(store);
        let reset = match desk {
            Some(desk) => demo.reset(desk).await,
            None => Err(CommandError::new(
                Code::StoreUnavailable,
                "Loopdesk's data file is not open.",
            )),
        };
        // Whatever happened, the app opens its data file again: a new one with a desk on the
        // new demo after a reset; the same one on the same demo when it was refused; without
        // the demo when it could not start again (restarting Loopdesk brings it).
        let fresh = match &reset {
            Ok(fresh) => Some(fresh.clone()),
            Err(e) if e.code == Code::InvalidInput => Some(demo),
            Err(_) => None,
        };
        let (store, startup) = store::open_for_startup(&self.data_dir, self.secrets.as_ref());
        let store = store.map(Arc::new);
        let desk = match &store {
            Some(store) => {
                // The new data file stands at the demo's first home again, as at start.
                if let (Ok(_), Some(demo)) = (&reset, &fresh) {
                    demo.choose_home(store).await;
                }
                open_desk_on(store.clone(), &fresh, &self.secrets).await
            }
            None => None,
        };
        self.desk_opened(&desk);
        {
            let mut inner = loopdesk_core::errors::write(&self.inner);
            inner.store = store;
            inner.desk = desk;
            inner.demo = fresh;
            inner.startup = startup;
        }
        self.resetting.store(false, Ordering::SeqCst);
        reset.map(|_| tracing::warn!("the demo data was reset"))
    }

    /// Stops the sync engine (on exit).
    pub fn shutdown(&self) {
        if let Some(desk) = self.read().desk.clone() {
            tauri::async_runtime::block_on(desk.shutdown());
        }
    }

    pub fn startup_state(&self) -> StartupState {
        self.read().startup.clone()
    }

    /// The open store, or the error the UI shows when start-up did not finish.
    #[allow(dead_code)] // for commands that need the store without the desk
    pub fn store(&self) -> Result<Arc<Store>, CommandError> {
        self.read().store.clone().ok_or_else(|| {
            CommandError::new(
                Code::StoreUnavailable,
                "Loopdesk's data file is not open. Restart Loopdesk; if this keeps happening, \
                 tell your IT contact.",
            )
        })
    }

    pub fn app_info(&self) -> AppInfo {
        let inner = self.read();
        let schema_version = inner
            .store
            .as_ref()
            .and_then(|s| s.schema_version().ok())
            .unwrap_or(0);
        AppInfo {
            version: loopdesk_core::VERSION.to_owned(),
            schema_version,
            data_dir: self.data_dir.display().to_string(),
            db_path: self
                .data_dir
                .join(store::DB_FILE_NAME)
                .display()
                .to_string(),
        }
    }

    /// The person confirmed starting with an empty data file: after a corrupt file was moved
    /// aside, a new file; after the data file's key could not be used, the file is moved aside
    /// (never deleted) and a new one made with a new key.
    pub fn create_fresh_database(&self) -> Result<StartupState, CommandError> {
        let mut inner = loopdesk_core::errors::write(&self.inner);
        let made = match &inner.startup {
            StartupState::Corrupt { .. } => {
                store::start_fresh(&self.data_dir, self.secrets.as_ref())
            }
            StartupState::DataKeyProblem { .. } => {
                store::start_afresh_with_new_key(&self.data_dir, self.secrets.as_ref())
                    .map(|(store, _how)| store)
            }
            _ => {
                return Err(CommandError::new(
                    Code::InvalidInput,
                    "A new data file is only created when the old one cannot be read.",
                ))
            }
        };
        let store = Arc::new(made?);
        tracing::warn!("started with a fresh data file after confirmation");
        let (desk, _demo) = open_desk(store.clone(), &self.secrets);
        self.desk_opened(&desk);
        inner.desk = desk;
        #[cfg(feature = "demo")]
        {
            inner.demo = _demo;
        }
        inner.store = Some(store);
        inner.startup = StartupState::Ready;
        Ok(StartupState::Ready)
    }

    /// "Try again" after the data file's key could not be used (the keyring was locked, say):
    /// opens the data file again as at start.
    pub fn retry_startup(&self) -> Result<StartupState, CommandError> {
        let mut inner = loopdesk_core::errors::write(&self.inner);
        if !matches!(inner.startup, StartupState::DataKeyProblem { .. }) {
            return Ok(inner.startup.clone());
        }
        let (store, startup) = store::open_for_startup(&self.data_dir, self.secrets.as_ref());
        if let Some(store) = store {
            let store = Arc::new(store);
            let (desk, _demo) = open_desk(store.clone(), &self.secrets);
            self.desk_opened(&desk);
            inner.desk = desk;
            #[cfg(feature = "demo")]
            {
                inner.demo = _demo;
            }
            inner.store = Some(store);
        }
        inner.startup = startup.clone();
        Ok(startup)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        loopdesk_core::errors::read(&self.inner)
    }
}

/// Opens the desk over the store with the OS keyring, on the built-in demo backend when the app
/// has the `demo` feature, `LOOPDESK_DEMO=1` and nothing is configured yet. Failures are logged
/// and leave the app usable for what does not need the desk.
fn open_desk(store: Arc<Store>, secrets: &Arc<dyn SecretStore>) -> (Option<Arc<Desk>>, DemoHandle) {
    tauri::async_runtime::block_on(async move {
        let demo = start_demo(&store).await;
        let desk = open_desk_on(store, &demo, secrets).await;
        (desk, demo)
    })
}

/// Opens the desk over the store with the app's secrets, on `demo` if there is one.
async fn open_desk_on(
    store: Arc<Store>,
    demo: &DemoHandle,
    secrets: &Arc<dyn SecretStore>,
) -> Option<Arc<Desk>> {
    let mut config = DeskConfig::new(secrets.clone());
    on_demo(demo, &mut config);
    match Desk::open(store, config).await {
        Ok(desk) => Some(desk),
        Err(e) => {
            tracing::error!(error = %e, "the desk could not start");
            None
        }
    }
}

#[cfg(feature = "demo")]
async fn start_demo(store: &Arc<Store>) -> DemoHandle {
    loopdesk_demo::if_requested(store)
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "the demo backend could not start");
            None
        })
}

/// On the demo: its backend, and its clock (which the window tests move forward).
#[cfg(feature = "demo")]
fn on_demo(demo: &DemoHandle, config: &mut DeskConfig) {
    if let Some(demo) = demo {
        config.demo = Some(demo.backend());
        config.clock = demo.clock();
    }
}

#[cfg(not(feature = "demo"))]
async fn start_demo(_: &Arc<Store>) -> DemoHandle {}

#[cfg(not(feature = "demo"))]
fn on_demo(_: &DemoHandle, _: &mut DeskConfig) {}
