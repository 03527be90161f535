//! `Desk`: everything the app's commands do, as one async facade over the local store, the
//! CareLoop API client, the sync engine and the secret store. Method names are the Tauri
//! command names; each returns `Result<_, CommandError>`.

#[cfg(feature = "demo")]
pub mod demo;
mod types;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::Method;
use rusqlite::OptionalExtension;
use serde_json::{json, Value};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use types::*;

use crate::api::{self, ApiError, ClientOptions, Limits, RateGate};
use crate::ipc::{Code, CommandError};
use crate::secret::Secret;
use crate::secrets::{SecretStore, API_KEY};
use crate::store::repo::care::{self, CareNote, Visit, VisitStatus};
use crate::store::repo::outbox::{NewOutboxEntry, OutboxStatus};
use crate::store::repo::people::{self, Location, Resident, ResidentQuery, ResidentStatus, Staff};
use crate::store::repo::{self, now, Page};
use crate::sync::engine::{Backend, Engine, EngineHandle, Shared};
use crate::sync::push::ops;
use crate::sync::{db, Resource, SyncError, SyncEvent, SyncOptions, SyncStatus};
use crate::{Store, StoreError};

/// Setting names (never secrets: those live in the [`SecretStore`]).
pub mod settings {
    pub const API_BASE_URL: &str = "api_base_url";
    pub const LOCATION_ID: &str = "desk_location_id";
    /// The name care notes written at this desk are signed with.
    pub const AUTHOR_NAME: &str = "desk_author_name";
}

/// Signs care notes when no name was set for the desk.
pub const DEFAULT_AUTHOR: &str = "Front desk (Loopdesk)";

/// A backend that is not in the settings: the built-in demo sandbox. Its key is kept in an
/// in-memory [`SecretStore`], never in the OS keyring or the data file.
pub struct DemoBackend {
    pub base_url: String,
    pub secrets: crate::secrets::MemorySecretStore,
    /// Keeps the demo server running as long as the desk.
    pub guard: Option<Box<dyn std::any::Any + Send + Sync>>,
    /// The demo's alert feed (an in-process bridge the demo sandbox sends webhooks to).
    pub alerts: Option<crate::alerts::DemoFeed>,
}

impl DemoBackend {
    pub fn new(base_url: impl Into<String>, key: Secret) -> Self {
        Self {
            base_url: base_url.into(),
            secrets: crate::secrets::MemorySecretStore::with_api_key(key),
            guard: None,
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
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").finish_non_exhaustive()
    }
}

fn internal(e: impl std::fmt::Display) -> CommandError {
    tracing::error!(error = %e, "desk error");
    CommandError::new(
        Code::Internal,
        "Loopdesk could not complete this. Please try again; if it keeps happening, tell your IT contact.",
    )
}

fn secret_error(e: crate::secrets::SecretError) -> CommandError {
    tracing::error!(error = %e, "keyring error");
    CommandError::new(
        Code::Internal,
        format!("The system keyring could not be used, so the API key was not saved or read. {e}"),
    )
}

fn sync_error(e: SyncError) -> CommandError {
    let (_, message) = crate::sync::engine::describe(&Err(e.clone()));
    let message = message.unwrap_or_else(|| e.to_string());
    let code = match &e {
        SyncError::NotConfigured => Code::NotConfigured,
        SyncError::Api(a) if a.is_auth() => Code::AuthFailed,
        SyncError::Api(ApiError::BadUrl(_)) => Code::NotConfigured,
        SyncError::Api(_) => Code::Unavailable,
        SyncError::Store(_) | SyncError::Stopped => Code::Internal,
    };
    CommandError::new(code, message)
}

/// Runs a blocking secret-store call off the async threads.
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<R, CommandError> {
    tokio::task::spawn_blocking(f).await.map_err(internal)
}

fn parse_time(field: &str, value: &str) -> Result<DateTime<Utc>, (String, String)> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| (field.to_owned(), "Enter a date and time".to_owned()))
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
        let shared = Arc::new(Shared::new(store, gate, config.client));
        let (engine, handle) = Engine::new(shared.clone(), config.sync.clone());
        let refresh = handle.clone();
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
        });
        desk.load_backend().await?;
        let task = tokio::spawn(engine.run(desk.shutdown.clone()));
        *desk.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        Ok(desk)
    }

    /// Stops the sync engine and waits for it (work in flight is abandoned safely).
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
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

    fn is_demo(&self) -> bool {
        self.demo
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Reads settings and the key, and tells the engine which backend to use.
    async fn load_backend(&self) -> Result<(), CommandError> {
        let url = self.setting(settings::API_BASE_URL).await?;
        let backend = match url {
            Some(base_url) => {
                // Real settings replace the demo backend.
                self.demo.lock().unwrap_or_else(|p| p.into_inner()).take();
                let secrets = self.secrets.clone();
                match blocking(move || secrets.get(API_KEY)).await? {
                    Ok(key) => key.map(|key| Backend { base_url, key }),
                    Err(e) => {
                        // The desk still works offline; Settings shows the problem.
                        tracing::error!(error = %e, "the API key could not be read");
                        None
                    }
                }
            }
            None => self
                .demo
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .and_then(|d| {
                    Some(Backend {
                        base_url: d.base_url.clone(),
                        key: d.key()?,
                    })
                }),
        };
        let demo = self.is_demo();
        let configured = backend.is_some();
        self.shared.set_backend(backend);
        self.shared
            .update_status(|st| {
                st.demo = demo;
                if !configured {
                    st.connection = crate::sync::Connection::NotConfigured;
                    st.message = Some("Enter the CareLoop API address and key in Settings.".into());
                } else if st.connection == crate::sync::Connection::NotConfigured {
                    st.connection = crate::sync::Connection::Connecting;
                    st.message = None;
                }
            })
            .await;
        Ok(())
    }

    async fn setting(&self, key: &'static str) -> Result<Option<String>, CommandError> {
        Ok(db(&self.shared.store, move |s| {
            s.read(|c| repo::settings::get_setting(c, key))
        })
        .await?)
    }

    async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> crate::store::Result<R> + Send + 'static,
    ) -> Result<R, CommandError> {
        Ok(db(&self.shared.store, move |s| s.read(f)).await?)
    }

    async fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> crate::store::Result<R> + Send + 'static,
    ) -> Result<R, CommandError> {
        Ok(db(&self.shared.store, move |s| s.write(f)).await?)
    }

    /// After a local write: update the counts and push soon.
    async fn written(&self) {
        self.shared.update_status(|_| {}).await;
        if self.push_on_write {
            self.engine.push_soon();
        }
    }

    // ---- residents -------------------------------------------------------------------------

    pub async fn search_residents(
        &self,
        text: Option<String>,
        location_id: Option<String>,
        status: Option<ResidentStatus>,
        limit: Option<u32>,
    ) -> Result<Vec<Resident>, CommandError> {
        let query = ResidentQuery {
            text,
            location_id: location_id.filter(|l| !l.trim().is_empty()),
            status,
        };
        let page = Page {
            limit: limit.unwrap_or(50).clamp(1, 500),
            offset: 0,
        };
        self.read(move |c| people::search_residents(c, &query, page))
            .await
    }

    pub async fn get_resident(&self, id: String) -> Result<ResidentDetail, CommandError> {
        let rid = id.clone();
        let detail = self
            .read(move |c| {
                let Some(resident) = people::get_resident(c, &rid)? else {
                    return Ok(None);
                };
                let location_name = match &resident.location_id {
                    Some(l) => c
                        .query_row("SELECT name FROM locations WHERE id = ?1", [l], |r| {
                            r.get(0)
                        })
                        .optional()?,
                    None => None,
                };
                let pending = repo::outbox::pending_ids(c, "care_note")?;
                let care_notes = care::care_notes_for_resident(c, &rid)?
                    .into_iter()
                    .map(|note| CareNoteView {
                        pending: pending.contains(&note.id),
                        note,
                    })
                    .collect();
                Ok(Some(ResidentDetail {
                    resident,
                    location_name,
                    care_notes,
                }))
            })
            .await?
            .ok_or_else(|| {
                CommandError::new(Code::NotFound, "This resident is not on this desk.")
            })?;
        if self.shared.backend().is_some() {
            self.engine.refresh_care_notes(&id);
        }
        Ok(detail)
    }

    pub async fn add_care_note(
        &self,
        resident_id: String,
        body: String,
        category: String,
    ) -> Result<CareNoteView, CommandError> {
        let mut fields = BTreeMap::new();
        let body = body.trim().to_owned();
        if body.is_empty() {
            fields.insert("body".into(), "Write the note".into());
        } else if body.chars().count() > 10_000 {
            fields.insert(
                "body".into(),
                "Keep the note under 10,000 characters".into(),
            );
        }
        let category: Option<NoteCategory> = category.parse().ok();
        if category.is_none() {
            fields.insert("category".into(), "Choose a category".into());
        }
        if !fields.is_empty() {
            return Err(CommandError::invalid_fields("Check the care note", fields));
        }
        let category = category.unwrap_or(NoteCategory::General);
        let author = self
            .setting(settings::AUTHOR_NAME)
            .await?
            .unwrap_or_else(|| DEFAULT_AUTHOR.to_owned());
        let note = self
            .write(move |tx| {
                if people::get_resident(tx, &resident_id)?.is_none() {
                    return Err(StoreError::NotFound {
                        entity: "resident",
                        id: resident_id,
                    });
                }
                let client_id = uuid::Uuid::new_v4().to_string();
                let at = now();
                let note = CareNote {
                    id: client_id.clone(),
                    resident_id: resident_id.clone(),
                    author_staff_id: None,
                    author_name: author.clone(),
                    category: category.as_str().to_owned(),
                    body: body.clone(),
                    recorded_at: at,
                    created_at: Some(at),
                    updated_at: at,
                };
                care::upsert_care_note(tx, &note)?;
                tx.execute(
                    "UPDATE care_notes SET client_id = ?1 WHERE id = ?1",
                    [&client_id],
                )?;
                repo::outbox::enqueue_with_client_id(
                    tx,
                    &NewOutboxEntry {
                        op: ops::CARE_NOTE_CREATE,
                        entity: "care_note",
                        entity_id: &client_id,
                        payload: json!({
                            "resident_id": resident_id,
                            "category": category.as_str(),
                            "body": body,
                            "author_name": author,
                            "recorded_at": crate::sync::pull::rfc3339(at),
                        }),
                    },
                    &client_id,
                )?;
                repo::audit::audit(
                    tx,
                    "desk",
                    "care_note.add",
                    Some(("care_note", &client_id)),
                    None,
                )?;
                Ok(note)
            })
            .await?;
        self.written().await;
        Ok(CareNoteView {
            note,
            pending: true,
        })
    }

    // ---- locations and staff ---------------------------------------------------------------

    pub async fn list_locations(&self) -> Result<Vec<Location>, CommandError> {
        self.read(people::list_locations).await
    }

    pub async fn list_staff(
        &self,
        location_id: Option<String>,
    ) -> Result<Vec<Staff>, CommandError> {
        self.read(move |c| {
            people::list_staff(
                c,
                location_id.as_deref().filter(|l| !l.trim().is_empty()),
                Page {
                    limit: 10_000,
                    offset: 0,
                },
            )
        })
        .await
    }

    // ---- visits ----------------------------------------------------------------------------

    pub async fn list_visits(
        &self,
        from: String,
        to: String,
        location_id: Option<String>,
    ) -> Result<Vec<VisitView>, CommandError> {
        let mut bad = Vec::new();
        let from = parse_time("from", &from).map_err(|e| bad.push(e)).ok();
        let to = parse_time("to", &to).map_err(|e| bad.push(e)).ok();
        let (Some(from), Some(to)) = (from, to) else {
            return Err(CommandError::invalid_fields("Choose the days to show", bad));
        };
        if to <= from {
            return Err(CommandError::invalid_fields(
                "Choose the days to show",
                [(
                    "to".to_owned(),
                    "The end must be after the start".to_owned(),
                )],
            ));
        }
        self.read(move |c| {
            let visits = care::visits_between(
                c,
                location_id.as_deref().filter(|l| !l.trim().is_empty()),
                from,
                to,
            )?;
            let pending = repo::outbox::pending_ids(c, "visit")?;
            visits
                .into_iter()
                .map(|v| visit_view(c, v, &pending))
                .collect()
        })
        .await
    }

    pub async fn confirm_visit(&self, id: String) -> Result<VisitView, CommandError> {
        self.change_visit(id, VisitStatus::Confirmed, None).await
    }

    pub async fn complete_visit(&self, id: String) -> Result<VisitView, CommandError> {
        self.change_visit(id, VisitStatus::Completed, None).await
    }

    pub async fn cancel_visit(
        &self,
        id: String,
        reason: String,
    ) -> Result<VisitView, CommandError> {
        let reason = reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(CommandError::invalid_fields(
                "Say why the visit is cancelled",
                [(
                    "reason".to_owned(),
                    "Enter a reason (up to 1,000 characters)".to_owned(),
                )],
            ));
        }
        self.change_visit(id, VisitStatus::Cancelled, Some(reason))
            .await
    }

    async fn change_visit(
        &self,
        id: String,
        to: VisitStatus,
        reason: Option<String>,
    ) -> Result<VisitView, CommandError> {
        let view = self
            .write(
                move |tx| -> crate::store::Result<Result<VisitView, CommandError>> {
                    let Some(mut v) = care::get_visit(tx, &id)? else {
                        return Ok(Err(CommandError::new(
                            Code::NotFound,
                            "This visit is not on this desk.",
                        )));
                    };
                    if let Err(message) = check_transition(v.status, to) {
                        return Ok(Err(CommandError::new(Code::InvalidInput, message)));
                    }
                    let at = now();
                    v.status = to;
                    let mut payload = json!({"status": to.as_str()});
                    match to {
                        VisitStatus::Confirmed => v.confirmed_at = Some(at),
                        VisitStatus::Completed => v.completed_at = Some(at),
                        VisitStatus::Cancelled => {
                            v.cancelled_at = Some(at);
                            v.cancel_reason = reason.clone();
                            payload["cancel_reason"] = json!(reason);
                        }
                        _ => {}
                    }
                    care::upsert_visit(tx, &v)?;
                    repo::outbox::enqueue(
                        tx,
                        &NewOutboxEntry {
                            op: ops::VISIT_UPDATE,
                            entity: "visit",
                            entity_id: &id,
                            payload,
                        },
                    )?;
                    repo::audit::audit(
                        tx,
                        "desk",
                        &format!("visit.{}", to.as_str()),
                        Some(("visit", &id)),
                        None,
                    )?;
                    let pending = repo::outbox::pending_ids(tx, "visit")?;
                    Ok(Ok(visit_view(tx, v, &pending)?))
                },
            )
            .await??;
        self.written().await;
        Ok(view)
    }

    pub async fn schedule_visit(&self, input: ScheduleVisit) -> Result<VisitView, CommandError> {
        let checked = self.check_schedule(&input).await?;
        let view = self
            .write(move |tx| {
                let client_id = uuid::Uuid::new_v4().to_string();
                let at = now();
                let v = Visit {
                    id: client_id.clone(),
                    location_id: checked.location_id.clone(),
                    staff_user_id: Some(checked.staff_user_id.clone()),
                    resident_id: checked.resident_id.clone(),
                    visit_type: checked.visit_type.as_str().to_owned(),
                    starts_at: checked.starts_at,
                    ends_at: checked.ends_at,
                    status: VisitStatus::Scheduled,
                    notes: checked.notes.clone(),
                    confirmed_at: None,
                    completed_at: None,
                    cancelled_at: None,
                    cancel_reason: None,
                    created_at: Some(at),
                    updated_at: at,
                };
                care::upsert_visit(tx, &v)?;
                tx.execute(
                    "UPDATE visits SET client_id = ?1 WHERE id = ?1",
                    [&client_id],
                )?;
                repo::outbox::enqueue_with_client_id(
                    tx,
                    &NewOutboxEntry {
                        op: ops::VISIT_CREATE,
                        entity: "visit",
                        entity_id: &client_id,
                        payload: checked.payload(),
                    },
                    &client_id,
                )?;
                repo::audit::audit(
                    tx,
                    "desk",
                    "visit.schedule",
                    Some(("visit", &client_id)),
                    None,
                )?;
                let pending = repo::outbox::pending_ids(tx, "visit")?;
                visit_view(tx, v, &pending)
            })
            .await?;
        self.written().await;
        Ok(view)
    }

    /// Validates a new visit against the rules CareLoop applies and the local cache.
    async fn check_schedule(&self, input: &ScheduleVisit) -> Result<CheckedVisit, CommandError> {
        let mut fields: BTreeMap<String, String> = BTreeMap::new();
        let visit_type: Option<VisitType> = input.visit_type.parse().ok();
        if visit_type.is_none() {
            fields.insert("visit_type".into(), "Choose the kind of visit".into());
        }
        let starts = parse_time("starts_at", &input.starts_at);
        let ends = parse_time("ends_at", &input.ends_at);
        for e in [&starts, &ends]
            .into_iter()
            .filter_map(|r| r.as_ref().err())
        {
            fields.insert(e.0.clone(), e.1.clone());
        }
        if let (Ok(s), Ok(e)) = (&starts, &ends) {
            if e <= s {
                fields.insert("ends_at".into(), "The end must be after the start".into());
            }
        }
        let notes = input
            .notes
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if notes.as_ref().is_some_and(|n| n.chars().count() > 10_000) {
            fields.insert(
                "notes".into(),
                "Keep the notes under 10,000 characters".into(),
            );
        }
        let (location, staff, resident) = (
            input.location_id.trim().to_owned(),
            input.staff_user_id.trim().to_owned(),
            input
                .resident_id
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
        );
        let (l, s, r) = (location.clone(), staff.clone(), resident.clone());
        let (has_location, has_staff, has_resident) = self
            .read(move |c| {
                let exists = |table: &str, id: &str| -> crate::store::Result<bool> {
                    Ok(c.query_row(
                        &format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1 AND deleted_at IS NULL)"),
                        [id],
                        |r| r.get(0),
                    )?)
                };
                Ok((
                    exists("locations", &l)?,
                    exists("staff", &s)?,
                    match &r {
                        Some(r) => exists("residents", r)?,
                        None => true,
                    },
                ))
            })
            .await?;
        if !has_location {
            fields.insert("location_id".into(), "Choose a home this desk knows".into());
        }
        if !has_staff {
            fields.insert("staff_user_id".into(), "Choose a staff member".into());
        }
        if !has_resident {
            fields.insert(
                "resident_id".into(),
                "Choose a resident this desk knows".into(),
            );
        }
        match (visit_type, starts, ends, fields.is_empty()) {
            (Some(visit_type), Ok(starts_at), Ok(ends_at), true) => Ok(CheckedVisit {
                location_id: location,
                staff_user_id: staff,
                resident_id: resident,
                visit_type,
                starts_at,
                ends_at,
                notes,
            }),
            _ => Err(CommandError::invalid_fields(
                "Check the visit details",
                fields,
            )),
        }
    }

    // ---- sync ------------------------------------------------------------------------------

    pub async fn sync_status(&self) -> Result<SyncStatus, CommandError> {
        self.shared.update_status(|_| {}).await;
        Ok(self.shared.status.borrow().clone())
    }

    /// Events for the sync bar: subscribe, then send [`Desk::sync_status`] first.
    pub fn watch_sync(&self) -> broadcast::Receiver<SyncEvent> {
        self.shared.events.subscribe()
    }

    /// Streams sync events to `send` (the app passes a Tauri channel): the current status
    /// first, then every event, until `send` returns `false` (the window went away) or the desk
    /// stops. A slow receiver that missed events gets the current status again.
    pub fn forward_sync_events(
        self: &Arc<Self>,
        mut send: impl FnMut(SyncEvent) -> bool + Send + 'static,
    ) -> JoinHandle<()> {
        let desk = self.clone();
        let mut events = self.shared.events.subscribe();
        tokio::spawn(async move {
            let Ok(status) = desk.sync_status().await else {
                return;
            };
            if !send(SyncEvent::Status(status)) {
                return;
            }
            loop {
                let event = tokio::select! {
                    _ = desk.shutdown.cancelled() => return,
                    e = events.recv() => e,
                };
                let event = match event {
                    Ok(e) => e,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        SyncEvent::Status(desk.shared.status.borrow().clone())
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if !send(event) {
                    return;
                }
            }
        })
    }

    /// A watch of the status (the latest value only), for Rust callers and tests.
    pub fn status_watch(&self) -> tokio::sync::watch::Receiver<SyncStatus> {
        self.shared.status.subscribe()
    }

    pub async fn sync_now(&self) -> Result<(), CommandError> {
        self.engine.sync_now().await.map_err(sync_error)
    }

    /// Asks the engine to pull one resource soon (the alerts poller calls this).
    pub fn request_refresh(&self, resource: Resource) {
        self.engine.request_refresh(resource);
    }

    pub async fn outbox_attention(&self) -> Result<Vec<AttentionEntry>, CommandError> {
        self.read(|c| {
            repo::outbox::outbox_entries(c, OutboxStatus::NeedsAttention)?
                .into_iter()
                .map(|entry| {
                    Ok(AttentionEntry {
                        description: describe_entry(c, &entry)?,
                        entry,
                    })
                })
                .collect()
        })
        .await
    }

    /// A person corrected a refused write: it goes back in the queue at its place.
    pub async fn resubmit_outbox_entry(
        &self,
        seq: i64,
        payload: Value,
    ) -> Result<(), CommandError> {
        let entry = self
            .read(move |c| repo::outbox::get_outbox_entry(c, seq))
            .await?
            .filter(|e| e.status == OutboxStatus::NeedsAttention)
            .ok_or_else(|| {
                CommandError::new(
                    Code::NotFound,
                    "This change is not waiting for a correction.",
                )
            })?;
        if !payload.is_object() {
            return Err(CommandError::new(
                Code::InvalidInput,
                "The corrected change must be a JSON object.",
            ));
        }
        let local = match entry.op.as_str() {
            ops::VISIT_CREATE => {
                let input: ScheduleVisit =
                    serde_json::from_value(payload.clone()).map_err(|e| {
                        CommandError::new(
                            Code::InvalidInput,
                            format!("The visit cannot be read: {e}"),
                        )
                    })?;
                let checked = self.check_schedule(&input).await?;
                LocalFix::Visit(checked)
            }
            ops::VISIT_UPDATE => {
                let status = payload.get("status").and_then(Value::as_str).unwrap_or("");
                if !matches!(status, "confirmed" | "completed" | "cancelled") {
                    return Err(CommandError::invalid_fields(
                        "Check the change",
                        [(
                            "status".to_owned(),
                            "Choose confirmed, completed or cancelled".to_owned(),
                        )],
                    ));
                }
                LocalFix::None
            }
            ops::CARE_NOTE_CREATE => {
                let body = payload
                    .get("body")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim();
                let category = payload
                    .get("category")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let mut fields = BTreeMap::new();
                if body.is_empty() {
                    fields.insert("body".to_owned(), "Write the note".to_owned());
                }
                if category.parse::<NoteCategory>().is_err() {
                    fields.insert("category".to_owned(), "Choose a category".to_owned());
                }
                if !fields.is_empty() {
                    return Err(CommandError::invalid_fields("Check the care note", fields));
                }
                LocalFix::Note {
                    body: body.to_owned(),
                    category: category.to_owned(),
                }
            }
            _ => LocalFix::None,
        };
        let payload = match &local {
            LocalFix::Visit(c) => c.payload(),
            _ => payload,
        };
        let entity_id = entry.entity_id.clone();
        self.write(move |tx| {
            repo::outbox::resubmit_outbox_entry(tx, seq, &payload)?;
            match local {
                LocalFix::Visit(c) => {
                    tx.execute(
                        "UPDATE visits SET location_id = ?2, staff_user_id = ?3, resident_id = ?4,
                             visit_type = ?5, starts_at = ?6, ends_at = ?7, notes = ?8 WHERE id = ?1",
                        rusqlite::params![
                            entity_id,
                            c.location_id,
                            c.staff_user_id,
                            c.resident_id,
                            c.visit_type.as_str(),
                            crate::store::repo::Ts(c.starts_at),
                            crate::store::repo::Ts(c.ends_at),
                            c.notes
                        ],
                    )?;
                }
                LocalFix::Note { body, category } => {
                    tx.execute(
                        "UPDATE care_notes SET body = ?2, category = ?3 WHERE id = ?1",
                        rusqlite::params![entity_id, body, category],
                    )?;
                }
                LocalFix::None => {}
            }
            repo::audit::audit(tx, "desk", "outbox.resubmit", Some((&entry.entity, &entry.entity_id)), None)?;
            Ok(())
        })
        .await?;
        self.written().await;
        Ok(())
    }

    /// A person gives up a refused write that cannot be fixed (e.g. the visit was deleted on
    /// CareLoop). Recorded in the audit log. A create takes its later changes and its local row
    /// with it (they never reached CareLoop); for a change, the next pull of that resource is a
    /// full refresh, so the desk shows CareLoop's version again.
    pub async fn discard_outbox_entry(&self, seq: i64) -> Result<(), CommandError> {
        self.write(
            move |tx| -> crate::store::Result<Result<(), CommandError>> {
                let Some(entry) = repo::outbox::get_outbox_entry(tx, seq)?
                    .filter(|e| e.status == OutboxStatus::NeedsAttention)
                else {
                    return Ok(Err(CommandError::new(
                        Code::NotFound,
                        "Only a change CareLoop refused can be discarded.",
                    )));
                };
                let table = match entry.entity.as_str() {
                    "visit" => Some(repo::sync_state::Table::Visits),
                    "care_note" => Some(repo::sync_state::Table::CareNotes),
                    _ => None,
                };
                if entry.op.ends_with(".create") {
                    tx.execute(
                        "DELETE FROM outbox WHERE entity = ?1 AND entity_id = ?2 AND seq >= ?3",
                        rusqlite::params![entry.entity, entry.entity_id, seq],
                    )?;
                    if let Some(table) = table {
                        if !repo::outbox::has_unacknowledged_write(
                            tx,
                            table.entity(),
                            &entry.entity_id,
                        )? {
                            repo::sync_state::delete_row(tx, table, &entry.entity_id)?;
                        }
                    }
                } else {
                    repo::outbox::complete_outbox_entry(tx, seq)?;
                    if table == Some(repo::sync_state::Table::Visits) {
                        repo::sync_state::reset_sync_state(tx, Resource::Visits.name())?;
                    }
                }
                repo::audit::audit(
                    tx,
                    "desk",
                    "outbox.discard",
                    Some((&entry.entity, &entry.entity_id)),
                    Some(&json!({"op": entry.op, "seq": seq, "payload": entry.payload})),
                )?;
                Ok(Ok(()))
            },
        )
        .await??;
        self.shared.update_status(|_| {}).await;
        Ok(())
    }

    // ---- settings --------------------------------------------------------------------------

    pub async fn get_settings(&self) -> Result<SettingsView, CommandError> {
        let url = self.setting(settings::API_BASE_URL).await?;
        let location_id = self.setting(settings::LOCATION_ID).await?;
        let demo = self.is_demo();
        let (api_base_url, api_key_hint) = if demo {
            let guard = self.demo.lock().unwrap_or_else(|p| p.into_inner());
            let d = guard.as_ref();
            (
                d.map(|d| d.base_url.clone()),
                d.and_then(|d| d.key()).map(|k| k.hint()),
            )
        } else {
            let secrets = self.secrets.clone();
            let key = blocking(move || secrets.get(API_KEY))
                .await?
                .map_err(secret_error)?;
            (url, key.map(|k| k.hint()))
        };
        let bridge = self.alerts.bridge_settings().await?;
        Ok(SettingsView {
            api_base_url,
            location_id,
            api_key_hint,
            demo,
            bridge_url: bridge.bridge_url,
            device_token_hint: bridge.device_token_hint,
        })
    }

    /// Saves the alert bridge address (settings) and, when given, this desk's device token (the
    /// OS keyring only). See [`crate::alerts::Alerts::save_bridge_settings`].
    pub async fn save_bridge_settings(
        &self,
        bridge_url: String,
        device_token: Option<Secret>,
    ) -> Result<SettingsView, CommandError> {
        self.alerts
            .save_bridge_settings(bridge_url, device_token)
            .await?;
        self.get_settings().await
    }

    /// Saves the API address and this desk's location in the settings, and a new key (when
    /// given) in the OS keyring only. Real settings replace the demo backend.
    pub async fn save_settings(
        &self,
        api_base_url: String,
        location_id: Option<String>,
        api_key: Option<Secret>,
    ) -> Result<SettingsView, CommandError> {
        let url = api::parse_base_url(&api_base_url).map_err(|e| {
            CommandError::invalid_fields(
                "Check the settings",
                [(
                    "api_base_url".to_owned(),
                    format!("Enter the API address, e.g. https://api.careloop.com ({e})"),
                )],
            )
        })?;
        let url = url.as_str().trim_end_matches('/').to_owned();
        let location_id = location_id
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty());
        let api_key = match api_key {
            Some(k) if k.is_empty() => {
                return Err(CommandError::invalid_fields(
                    "Check the settings",
                    [("api_key".to_owned(), "Paste the whole API key".to_owned())],
                ))
            }
            other => other,
        };
        if let Some(key) = api_key {
            let secrets = self.secrets.clone();
            blocking(move || secrets.set(API_KEY, &key))
                .await?
                .map_err(secret_error)?;
        }
        let previous = self.setting(settings::API_BASE_URL).await?;
        let changed_server = previous.as_deref() != Some(url.as_str());
        let saved_url = url.clone();
        self.write(move |tx| {
            repo::settings::set_setting(tx, settings::API_BASE_URL, &saved_url)?;
            match &location_id {
                Some(l) => repo::settings::set_setting(tx, settings::LOCATION_ID, l)?,
                None => {
                    repo::settings::delete_setting(tx, settings::LOCATION_ID)?;
                }
            }
            if changed_server {
                // Another server: refresh everything whole (rows it does not have go).
                for r in Resource::ALL {
                    repo::sync_state::reset_sync_state(tx, r.name())?;
                }
            }
            repo::audit::audit(
                tx,
                "desk",
                "settings.save",
                None,
                Some(&json!({"api_base_url": saved_url})),
            )?;
            Ok(())
        })
        .await?;
        self.load_backend().await?;
        self.engine.reconfigure();
        self.get_settings().await
    }

    /// Says what the saved key can read and write. Nothing is created: write probes send a
    /// deliberately invalid body (403: no scope; 404/422: allowed).
    pub async fn test_connection(&self) -> Result<ConnectionTest, CommandError> {
        let client = match self.shared.client() {
            Ok(c) => c,
            Err(SyncError::NotConfigured) => {
                return Ok(ConnectionTest {
                    ok: false,
                    message: "Enter the API address and key first.".into(),
                    can_read: vec![],
                    can_write: vec![],
                })
            }
            Err(e) => return Err(sync_error(e)),
        };
        let one = vec![("page_size".to_owned(), "1".to_owned())];
        let reads = [
            ("locations", "/v1/locations"),
            ("residents", "/v1/residents"),
            ("staff", "/v1/staff"),
            ("certifications", "/v1/certifications"),
            ("courses", "/v1/courses"),
            ("visits", "/v1/visits"),
            ("incidents", "/v1/incidents"),
        ];
        let writes = [
            ("visits", "/v1/visits"),
            ("care_notes", "/v1/residents/res_loopdesk_probe/care-notes"),
            ("incidents", "/v1/incidents"),
            (
                "certifications",
                "/v1/staff/stf_loopdesk_probe/certifications",
            ),
            ("visitor_sign_ins", "/v1/visitor-sign-ins"),
        ];
        let mut can_read = Vec::new();
        let mut can_write = Vec::new();
        let failed = |e: ApiError| {
            let message = match &e {
                ApiError::Network(_) => format!(
                    "CareLoop could not be reached at {}: {e}",
                    client.base_url()
                ),
                _ => e.to_string(),
            };
            ConnectionTest {
                ok: false,
                message,
                can_read: vec![],
                can_write: vec![],
            }
        };
        for (name, path) in reads {
            match client.probe(Method::GET, path, &one, None).await {
                Ok(200) => can_read.push(name.to_owned()),
                Ok(401) => {
                    return Ok(ConnectionTest {
                        ok: false,
                        message: "API key invalid: CareLoop does not accept it.".into(),
                        can_read: vec![],
                        can_write: vec![],
                    })
                }
                Ok(403) | Ok(404) => {}
                Ok(status) => {
                    return Ok(failed(ApiError::Server {
                        status,
                        message: format!("{path} answered {status}"),
                    }))
                }
                Err(e) => return Ok(failed(e)),
            }
        }
        for (name, path) in writes {
            match client
                .probe(Method::POST, path, &[], Some(&json!({})))
                .await
            {
                Ok(403) | Ok(401) => {}
                Ok(400 | 404 | 409 | 415 | 422) => can_write.push(name.to_owned()),
                Ok(status) => {
                    tracing::warn!(path, status, "unexpected answer to a write probe");
                }
                Err(e) => return Ok(failed(e)),
            }
        }
        let list = |v: &[String]| {
            if v.is_empty() {
                "nothing".to_owned()
            } else {
                v.join(", ").replace('_', " ")
            }
        };
        Ok(ConnectionTest {
            ok: true,
            message: format!(
                "Connected. This key can read {} and write {}.",
                list(&can_read),
                list(&can_write)
            ),
            can_read,
            can_write,
        })
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A validated new visit.
struct CheckedVisit {
    location_id: String,
    staff_user_id: String,
    resident_id: Option<String>,
    visit_type: VisitType,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    notes: Option<String>,
}

impl CheckedVisit {
    /// The body of `POST /v1/visits`.
    fn payload(&self) -> Value {
        let mut p = json!({
            "location_id": self.location_id,
            "staff_user_id": self.staff_user_id,
            "visit_type": self.visit_type.as_str(),
            "starts_at": crate::sync::pull::rfc3339(self.starts_at),
            "ends_at": crate::sync::pull::rfc3339(self.ends_at),
        });
        if let Some(r) = &self.resident_id {
            p["resident_id"] = json!(r);
        }
        if let Some(n) = &self.notes {
            p["notes"] = json!(n);
        }
        p
    }
}

enum LocalFix {
    Visit(CheckedVisit),
    Note { body: String, category: String },
    None,
}

/// The visit status changes a desk may make (the server's rule).
fn check_transition(from: VisitStatus, to: VisitStatus) -> Result<(), String> {
    use VisitStatus::*;
    match (from, to) {
        (Scheduled, Confirmed | Completed | Cancelled) | (Confirmed, Completed | Cancelled) => {
            Ok(())
        }
        (f, t) if f == t => Err(format!("This visit is already {}.", words(f))),
        (f, t) => Err(format!(
            "A visit that is {} cannot be {}.",
            words(f),
            match t {
                Confirmed => "confirmed",
                Completed => "completed",
                Cancelled => "cancelled",
                _ => "changed that way",
            }
        )),
    }
}

fn words(s: VisitStatus) -> &'static str {
    match s {
        VisitStatus::Scheduled => "scheduled",
        VisitStatus::Confirmed => "confirmed",
        VisitStatus::Completed => "completed",
        VisitStatus::Cancelled => "cancelled",
        VisitStatus::NoShow => "marked as a no-show",
    }
}

fn name_of(
    c: &rusqlite::Connection,
    table: &str,
    id: Option<&str>,
) -> crate::store::Result<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    let column = if table == "residents" {
        "coalesce(preferred_name, full_name)"
    } else {
        "full_name"
    };
    Ok(c.query_row(
        &format!("SELECT {column} FROM {table} WHERE id = ?1"),
        [id],
        |r| r.get(0),
    )
    .optional()?)
}

fn visit_view(
    c: &rusqlite::Connection,
    visit: Visit,
    pending: &std::collections::HashSet<String>,
) -> crate::store::Result<VisitView> {
    Ok(VisitView {
        staff_name: name_of(c, "staff", visit.staff_user_id.as_deref())?,
        resident_name: name_of(c, "residents", visit.resident_id.as_deref())?,
        pending: pending.contains(&visit.id),
        visit,
    })
}

/// An outbox entry in words.
fn describe_entry(
    c: &rusqlite::Connection,
    e: &repo::outbox::OutboxEntry,
) -> crate::store::Result<String> {
    let text = |k: &str| e.payload.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(match e.op.as_str() {
        ops::VISIT_CREATE => format!(
            "Schedule a {} visit at {}",
            text("visit_type").unwrap_or_default().replace('_', " "),
            text("starts_at").unwrap_or_default()
        ),
        ops::VISIT_UPDATE => {
            let visit = care::get_visit(c, &e.entity_id)?;
            let who = match &visit {
                Some(v) => name_of(c, "residents", v.resident_id.as_deref())?,
                None => None,
            };
            let verb = match text("status").as_deref() {
                Some("confirmed") => "Confirm",
                Some("completed") => "Complete",
                Some("cancelled") => "Cancel",
                _ => "Change",
            };
            match (visit, who) {
                (Some(v), Some(who)) => format!(
                    "{verb} the {} visit for {who}",
                    v.starts_at.format("%d %b %H:%M")
                ),
                (Some(v), None) => {
                    format!("{verb} the {} visit", v.starts_at.format("%d %b %H:%M"))
                }
                _ => format!("{verb} a visit"),
            }
        }
        ops::CARE_NOTE_CREATE => {
            let who = name_of(c, "residents", text("resident_id").as_deref())?;
            format!(
                "Care note for {}",
                who.unwrap_or_else(|| "a resident".into())
            )
        }
        other => format!("A {other} change"),
    })
}
