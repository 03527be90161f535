//! What the app holds while it runs: the data folder, the open store (if start-up succeeded),
//! and how start-up went.

use std::{
    path::PathBuf,
    sync::{Arc, RwLock},
};

use loopdesk_core::{
    ipc::{AppInfo, Code, CommandError, StartupState},
    logging::{self, LogGuard},
    store::{self, Store},
};
use tauri::{AppHandle, Manager, Runtime};

pub struct AppState {
    pub data_dir: PathBuf,
    inner: RwLock<Inner>,
    _logs: Option<LogGuard>,
}

struct Inner {
    store: Option<Arc<Store>>,
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
            store::open_for_startup(&data_dir)
        };
        Self {
            data_dir,
            inner: RwLock::new(Inner {
                store: store.map(Arc::new),
                startup,
            }),
            _logs: logs,
        }
    }

    pub fn startup_state(&self) -> StartupState {
        self.read().startup.clone()
    }

    /// The open store, or the error the UI shows when start-up did not finish.
    #[allow(dead_code)] // used by the commands of the features that follow
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

    /// After a corrupt file was moved aside, the person confirmed: start with an empty file.
    pub fn create_fresh_database(&self) -> Result<StartupState, CommandError> {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        if !matches!(inner.startup, StartupState::Corrupt { .. }) {
            return Err(CommandError::new(
                Code::InvalidInput,
                "A new data file is only created after an unreadable one was moved aside.",
            ));
        }
        match store::start_fresh(&self.data_dir) {
            Ok(store) => {
                tracing::warn!("started with a fresh data file after confirmation");
                inner.store = Some(Arc::new(store));
                inner.startup = StartupState::Ready;
                Ok(StartupState::Ready)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }
}
