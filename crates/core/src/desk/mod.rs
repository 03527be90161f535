//! `Desk`: everything the app's commands do, as one async facade over the local store, the
//! CareLoop API client, the sync engine, the alerts service and the secret store. Method names
//! are the Tauri command names; each returns `Result<_, CommandError>`.
//!
//! The facade is split by capability: each file adds one `impl Desk` block (`residents.rs`,
//! `visits.rs`, `staff.rs`, `outbox.rs`, `settings.rs`, `sync.rs`, `alerts.rs`). This file holds
//! what they share: opening and stopping the desk, and the one way a write is saved
//! ([`Desk::save`]).

mod alerts;
pub mod incidents;
pub mod kiosk;
mod outbox;
mod overview;
pub mod reception;
mod residents;
pub mod roll_call;
pub mod settings;
mod staff;
pub mod staff_lock;
mod sync;
pub mod training;
pub mod training_export;
mod types;
pub mod updates;
mod visits;

use std::sync::Arc;

use chrono::NaiveDate;
use rusqlite::{Connection, Transaction};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use overview::DeskSummary;
pub use types::*;

use crate::api::{self, ClientOptions, Limits, RateGate};
use crate::clock::{Clock, SystemClock};
use crate::credentials::Found;
use crate::errors::lock;
use crate::ipc::CommandError;
use crate::secret::Secret;
use crate::secrets::{SecretStore, API_KEY};
use crate::store::repo;
use crate::sync::engine::{Engine, EngineHandle};
use crate::sync::{Backend, Shared, SyncOptions};
use crate::Store;

/// A backend that is not in the settings: the built-in demo (the `loopdesk-demo` crate, only
/// in a build with the app's `demo` feature). Its key is kept in an in-memory [`SecretStore`],
/// never in the OS keyring or the data file.
pub struct DemoBackend {
    pub base_url: String,
    pub secrets: crate::secrets::MemorySecretStore,
    /// The demo's alert feed (an in-process bridge the demo sandbox sends webhooks to).
    pub alerts: Option<crate::alerts::DemoFeed>,
}

impl DemoBackend {
    pub fn new(base_url: impl Into<String>, key: Secret) -> Self {
        Self {
            base_url: base_url.into(),
            secrets: crate::secrets::MemorySecretStore::with_api_key(key),
            alerts: None,
        }
    }

    fn key(&self) -> Option<Secret> {
        self.secrets.get(API_KEY).ok().flatten()
    }
}

impl std::fmt::Debug for DemoBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoBackend")
            .field("base_url", &self.base_url)
            .field("key", &self.key())
            .finish()
    }
}

/// How a desk is put together.
pub struct DeskConfig {
    pub secrets: Arc<dyn SecretStore>,
    pub sync: SyncOptions,
    pub client: ClientOptions,
    pub limits: Limits,
    /// Use this backend while no real settings are saved.
    pub demo: Option<DemoBackend>,
    /// How the alerts service polls the bridge.
    pub alerts: crate::alerts::AlertsConfig,
    /// The desk's clock (the alerts service uses it too): tests move it instead of waiting.
    pub clock: Arc<dyn Clock>,
}

impl DeskConfig {
    pub fn new(secrets: Arc<dyn SecretStore>) -> Self {
        Self {
            secrets,
            sync: SyncOptions::default(),
            client: ClientOptions::default(),
            limits: Limits::default(),
            demo: None,
            alerts: crate::alerts::AlertsConfig::default(),
            clock: Arc::new(SystemClock),
        }
    }
}

/// The desk. Cheap to share behind an `Arc`; [`Desk::shutdown`] stops its sync engine.
pub struct Desk {
    shared: Arc<Shared>,
    engine: EngineHandle,
    secrets: Arc<dyn SecretStore>,
    demo: std::sync::Mutex<Option<DemoBackend>>,
    push_on_write: bool,
    shutdown: CancellationToken,
    task: std::sync::Mutex<Option<JoinHandle<()>>>,
    alerts: Arc<crate::alerts::Alerts>,
    clock: Arc<dyn Clock>,
    /// The unlocked staff member (see [`staff_lock`]).
    lock_state: std::sync::Mutex<staff_lock::LockState>,
    lock_events: tokio::sync::broadcast::Sender<staff_lock::LockEvent>,
    /// Wakes the idle-lock task (unlocked, settings changed).
    idle_wake: tokio::sync::Notify,
    /// Held while the lock's settings change (see `Desk::change_lock_settings`).
    lock_settings_writes: tokio::sync::Mutex<()>,
    /// Kiosk mode is on (see [`kiosk`]).
    kiosk_mode: std::sync::atomic::AtomicBool,
    /// Wakes the observation reminders' task (a schedule was made).
    observation_wake: tokio::sync::Notify,
    /// Signed updates (see [`updates`]): what the last check found.
    updates: std::sync::Mutex<updates::UpdateTracker>,
    /// Wakes the update task (settings changed, a form closed).
    update_wake: tokio::sync::Notify,
    /// The window has a form or a visitor's sign-in open: nothing is installed meanwhile.
    form_open: std::sync::atomic::AtomicBool,
    /// Held by the update check under way.
    update_check: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").finish_non_exhaustive()
    }
}

impl Desk {
    /// Opens the desk over `store`: loads the backend from settings and the keyring (or the
    /// demo backend when nothing is configured) and starts the sync engine. Must be called
    /// inside a Tokio runtime.
    pub async fn open(
        store: Arc<Store>,
        mut config: DeskConfig,
    ) -> Result<Arc<Self>, CommandError> {
        api::install_tls_provider();
        let shutdown = CancellationToken::new();

        let gate = Arc::new(RateGate::new(config.limits));
        let shared = Arc::new(Shared::new(
            store,
            gate,
            config.client,
            config.clock.clone(),
        ));
        let (engine, handle) = Engine::new(shared.clone(), config.sync.clone());
        let refresh = handle.clone();
        config.alerts.clock = config.clock.clone();
        let alerts = crate::alerts::Alerts::start(
            shared.store.clone(),
            config.secrets.clone(),
            Arc::new(move |r| refresh.request_refresh(r)),
            config.alerts.clone(),
            config.demo.as_mut().and_then(|d| d.alerts.take()),
            shutdown.child_token(),
        )
        .await?;
        let desk = Arc::new(Self {
            shared,
            engine: handle,
            secrets: config.secrets,
            demo: std::sync::Mutex::new(config.demo),
            push_on_write: config.sync.push_on_write,
            shutdown,
            task: std::sync::Mutex::new(None),
            alerts,
            clock: config.clock,
            lock_state: std::sync::Mutex::default(),
            lock_events: tokio::sync::broadcast::channel(16).0,
            idle_wake: tokio::sync::Notify::new(),
            lock_settings_writes: tokio::sync::Mutex::new(()),
            kiosk_mode: std::sync::atomic::AtomicBool::new(false),
            observation_wake: tokio::sync::Notify::new(),
            updates: std::sync::Mutex::default(),
            update_wake: tokio::sync::Notify::new(),
            form_open: std::sync::atomic::AtomicBool::new(false),
            update_check: tokio::sync::Mutex::new(()),
        });
        desk.load_backend().await?;
        desk.lock_status().await?;
        desk.load_kiosk_mode().await?;
        let (stop, shared) = (desk.shutdown.clone(), desk.shared.clone());
        let keep_unsent = shared.keep_unsent_count(stop.clone());
        let task = tokio::spawn(async move {
            tokio::join!(engine.run(stop), keep_unsent);
        });
        *lock(&desk.task) = Some(task);
        tokio::spawn(desk.clone().idle_lock_loop());
        // The start's automatic sign-out and purge before the first command, then each minute.
        desk.reception_pass().await;
        tokio::spawn(desk.clone().reception_loop());
        // Observations that fell due while the desk was off are reminded now, once each.
        if let Err(e) = desk.remind_due_observations().await {
            tracing::warn!(error = %e.message, "observation reminders could not be raised");
        }
        tokio::spawn(desk.clone().observation_loop());
        // Training notices raised on the desk's clock (issue 14): at start, then each minute.
        desk.training_pass().await;
        tokio::spawn(desk.clone().training_loop());
        Ok(desk)
    }

    /// Stops the sync engine and waits for it (work in flight is abandoned safely).
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        let task = lock(&self.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        self.alerts.shutdown().await;
    }

    /// The alerts service (bridge poller, alerts, their events).
    pub fn alerts(&self) -> &Arc<crate::alerts::Alerts> {
        &self.alerts
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.shared.store
    }

    /// Where this desk keeps its secrets (the app opens its data file with the same store).
    pub fn secrets(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    fn is_demo(&self) -> bool {
        lock(&self.demo).is_some()
    }

    /// Reads settings and the key, and tells the engine which backend to use.
    async fn load_backend(&self) -> Result<(), CommandError> {
        let found = settings::API_CREDENTIAL
            .load(self.store(), &self.secrets)
            .await?;
        let mut missing_key_for = None;
        let backend = match found {
            Ok(Found::NoAddress) => lock(&self.demo).as_ref().and_then(|d| {
                Some(Backend {
                    base_url: d.base_url.clone(),
                    key: d.key()?,
                })
            }),
            Ok(Found::Address { url, secret }) => {
                // Real settings replace the demo backend.
                lock(&self.demo).take();
                if secret.is_none() {
                    missing_key_for = Some(url.clone());
                }
                secret.map(|key| Backend { base_url: url, key })
            }
            Err(e) => {
                // The desk still works offline; Settings shows the problem.
                lock(&self.demo).take();
                tracing::error!(error = %e, "the API key could not be read");
                None
            }
        };
        let demo = self.is_demo();
        let configured = backend.is_some();
        self.shared.set_backend(backend);
        self.shared
            .update_status(|st| {
                st.demo = demo;
                if !configured {
                    st.connection = crate::sync::Connection::NotConfigured;
                    st.message = Some(match &missing_key_for {
                        Some(url) => format!("Enter the CareLoop API key for {url} in Settings."),
                        None => "Enter the CareLoop API address and key in Settings.".into(),
                    });
                } else if st.connection == crate::sync::Connection::NotConfigured {
                    st.connection = crate::sync::Connection::Connecting;
                    st.message = None;
                }
            })
            .await;
        Ok(())
    }

    /// Reads from the store on the blocking pool, with today's date in the home's time zone.
    async fn read_on_today<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection, NaiveDate) -> crate::store::Result<R> + Send + 'static,
    ) -> Result<R, CommandError> {
        let now = self.clock.now();
        self.read(move |c| f(c, settings::home_date(c, now)?)).await
    }

    /// Reads from the store on the blocking pool.
    async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> crate::store::Result<R> + Send + 'static,
    ) -> Result<R, CommandError> {
        crate::store::blocking(&self.shared.store, move |s| Ok(s.read(f)?)).await
    }

    /// The one way a person's write is saved: `f` runs in one transaction (the row, its outbox
    /// entry, the audit line) that commits only when it returns `Ok`, and the sync bar's counts
    /// are read in the same transaction, so a write costs one trip to the blocking pool and
    /// about one commit. Then the engine is asked to push soon.
    async fn save<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<R, CommandError> + Send + 'static,
    ) -> Result<R, CommandError> {
        let (out, counts) = crate::store::blocking(&self.shared.store, move |s| {
            s.transact(|tx| {
                let out = f(tx)?;
                Ok::<_, CommandError>((out, repo::outbox::outbox_counts(tx)?))
            })
        })
        .await?;
        self.shared.set_counts(counts);
        if self.push_on_write {
            self.engine.push_soon();
        }
        Ok(out)
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
