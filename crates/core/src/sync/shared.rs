//! What the sync engine and the desk share: the store, the backend in use (address and key),
//! the rate gate every request passes, and the status the sync bar shows (with its events).

use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use super::pull::ProgressSink;
use super::status::{Connection, Progress, SyncEvent, SyncStatus};
use super::SyncError;
use crate::api::{ApiClient, ApiError, ClientOptions, Observer, RateGate};
use crate::clock::Clock;
use crate::errors::{read, write};
use crate::secret::Secret;
use crate::store::blocking as db;
use crate::store::repo;
use crate::Store;

/// Where the desk talks to: set from settings (or the demo backend).
#[derive(Debug, Clone)]
pub struct Backend {
    pub base_url: String,
    pub key: Secret,
}

/// State shared by the engine and the desk.
#[derive(Debug)]
pub struct Shared {
    pub store: Arc<Store>,
    backend: RwLock<Option<Backend>>,
    /// The client for `backend`, made once and kept while the backend stays the same: making
    /// one reads and parses every system root certificate, and its pool keeps the connection
    /// open from one cycle to the next.
    client: Mutex<Option<ApiClient>>,
    pub gate: Arc<RateGate>,
    pub client_options: ClientOptions,
    pub status: watch::Sender<SyncStatus>,
    pub events: broadcast::Sender<SyncEvent>,
    /// The status last sent on `events` (see [`Shared::modify_status`]).
    announced: Mutex<Option<SyncStatus>>,
    /// The count of unsent writes, for the file beside the data file
    /// ([`Shared::keep_unsent_count`] writes it).
    unsent: watch::Sender<Option<u32>>,
    /// The desk's clock (when an entry that failed on its own may be tried again).
    pub clock: Arc<dyn Clock>,
}

impl Shared {
    pub fn new(
        store: Arc<Store>,
        gate: Arc<RateGate>,
        client_options: ClientOptions,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let (status, _) = watch::channel(SyncStatus::default());
        let (events, _) = broadcast::channel(256);
        Self {
            store,
            backend: RwLock::new(None),
            client: Mutex::new(None),
            gate,
            client_options,
            status,
            events,
            announced: Mutex::new(None),
            unsent: watch::channel(None).0,
            clock,
        }
    }

    pub fn backend(&self) -> Option<Backend> {
        read(&self.backend).clone()
    }

    pub fn set_backend(&self, backend: Option<Backend>) {
        // The client's lock first (as in `client`): no client of the old backend is kept.
        let mut kept = crate::errors::lock(&self.client);
        *write(&self.backend) = backend;
        *kept = None;
    }

    /// A client for the backend in use. The sync bar says "offline" as soon as one of its
    /// requests cannot reach CareLoop (it says "online" again when a cycle succeeds).
    /// The same client (a cheap clone sharing its connection pool) until the backend changes.
    pub fn client(self: &Arc<Self>) -> Result<ApiClient, SyncError> {
        let mut kept = crate::errors::lock(&self.client);
        let backend = self.backend().ok_or(SyncError::NotConfigured)?;
        if backend.key.is_empty() || backend.base_url.trim().is_empty() {
            return Err(SyncError::NotConfigured);
        }
        if let Some(client) = kept.as_ref() {
            return Ok(client.clone());
        }
        let shared = Arc::downgrade(self);
        let observer = Observer(Arc::new(move |e: &ApiError| {
            let Some(shared) = shared.upgrade() else {
                return;
            };
            if e.is_unreachable() {
                shared.modify_status(|st| {
                    st.connection = Connection::Offline;
                    st.message = Some(e.to_string());
                });
            }
        }));
        let client = ApiClient::new(
            &backend.base_url,
            backend.key,
            self.gate.clone(),
            self.client_options.clone(),
        )?
        .with_observer(observer);
        *kept = Some(client.clone());
        Ok(client)
    }

    /// Changes the status with `f`, refreshes the counts from the store, and tells
    /// subscribers when anything changed.
    pub async fn update_status(&self, f: impl FnOnce(&mut SyncStatus)) {
        let counts = db(&self.store, |s| {
            s.read(|c| {
                Ok((
                    repo::outbox::outbox_counts(c)?,
                    repo::sync_state::all_sync_states(c)?,
                ))
            })
        })
        .await;
        self.modify_status(|st| {
            f(st);
            if let Ok(((queued, attention), resources)) = counts {
                st.queued = queued;
                st.needs_attention = attention;
                st.resources = resources;
            }
        });
    }

    /// After a local write: the outbox counts read in its transaction (no other trip to the
    /// store).
    pub fn set_counts(&self, (queued, needs_attention): (u32, u32)) {
        self.modify_status(|st| {
            st.queued = queued;
            st.needs_attention = needs_attention;
        });
    }

    /// Changes the status with `f`. The status the desk's commands read changes at once; the
    /// event that reaches the window is sent only when something a person sees changed: not
    /// for a cycle whose only news is a later `last_success_at` (each minute while online),
    /// unless the newest one the window has is [`STATUS_REFRESH`] old (the window says
    /// "Last synced just now" while online in between; anything else, offline first, is sent
    /// at once).
    fn modify_status(&self, f: impl FnOnce(&mut SyncStatus)) {
        let mut changed = false;
        let mut unsent = None;
        self.status.send_if_modified(|st| {
            let before = st.clone();
            f(st);
            changed = *st != before;
            let count = |s: &SyncStatus| s.queued + s.needs_attention;
            if count(st) != count(&before) {
                unsent = Some(count(st));
            }
            changed
        });
        // The one number kept beside the data file for when its key is lost (store::unsent),
        // written a moment later, off the command's path.
        if let Some(count) = unsent {
            self.unsent.send_replace(Some(count));
        }
        if !changed {
            return;
        }
        let now = self.status.borrow().clone();
        let send = {
            let mut announced = crate::errors::lock(&self.announced);
            let send = announced.as_ref().is_none_or(|a| worth_sending(a, &now));
            if send {
                *announced = Some(now.clone());
            }
            send
        };
        if send {
            let _ = self.events.send(SyncEvent::Status(now));
        }
    }
}

/// How long after a change of the count of unsent writes its file is written: a burst of
/// writes (a person saving several, a push acknowledging a queue) writes it once.
pub const UNSENT_SETTLE: std::time::Duration = std::time::Duration::from_millis(500);

impl Shared {
    /// Keeps the count of unsent writes in the file beside the data file (`store::unsent`),
    /// [`UNSENT_SETTLE`] after it changes, on the blocking pool, so that a write's command does
    /// not wait for a second file (and the next commit's flush not for its rename); when the
    /// desk stops, the last count is written if it is not yet. Until then, and after a crash
    /// within that moment, the file may be a burst of writes behind.
    ///
    /// It listens from the moment it is called, not from when the task first runs: a write
    /// made in between (on a busy runtime, or one that saves on the calling thread) is not
    /// missed. The count known then is written too.
    pub fn keep_unsent_count(
        self: Arc<Self>,
        stop: CancellationToken,
    ) -> impl std::future::Future<Output = ()> + Send {
        let mut changes = self.unsent.subscribe();
        changes.mark_changed();
        async move { self.keep_unsent(changes, stop).await }
    }

    async fn keep_unsent(
        &self,
        mut changes: tokio::sync::watch::Receiver<Option<u32>>,
        stop: CancellationToken,
    ) {
        let mut stopping = false;
        while !stopping {
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { break },
                () = stop.cancelled() => break,
            }
            tokio::select! {
                () = tokio::time::sleep(UNSENT_SETTLE) => {}
                () = stop.cancelled() => stopping = true,
            }
            let count = *changes.borrow_and_update();
            self.write_unsent(count).await;
        }
        if changes.has_changed().unwrap_or(false) {
            let count = *changes.borrow_and_update();
            self.write_unsent(count).await;
        }
    }

    async fn write_unsent(&self, count: Option<u32>) {
        let Some(count) = count else { return };
        let store = self.store.clone();
        // A failure is logged by `record_unsent`; a lost task changes nothing kept.
        let _ = tokio::task::spawn_blocking(move || store.record_unsent(count)).await;
    }
}

/// At most this long between two status events while only `last_success_at` moves.
pub const STATUS_REFRESH: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Whether `now` differs from the status the window has (`announced`) in what a person sees.
fn worth_sending(announced: &SyncStatus, now: &SyncStatus) -> bool {
    let without_successes = |st: &SyncStatus| {
        let mut st = st.clone();
        for r in &mut st.resources {
            r.last_success_at = None;
        }
        st
    };
    if without_successes(announced) != without_successes(now) {
        return true;
    }
    let newest = |st: &SyncStatus| st.resources.iter().filter_map(|r| r.last_success_at).max();
    match (newest(announced), newest(now)) {
        (Some(before), Some(after)) => after - before >= STATUS_REFRESH,
        (before, after) => before != after,
    }
}

impl ProgressSink for Shared {
    fn progress(&self, resource: &str, done: u32, total: u32) {
        let p = Progress {
            resource: resource.to_owned(),
            done,
            total,
        };
        self.status.send_modify(|st| st.progress = Some(p.clone()));
        let _ = self.events.send(SyncEvent::Progress(p));
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, Utc};

    use super::*;
    use crate::store::repo::sync_state::SyncState;

    fn online(last: Option<chrono::DateTime<Utc>>) -> SyncStatus {
        SyncStatus {
            connection: Connection::Online,
            resources: vec![SyncState {
                resource: "visits".into(),
                last_success_at: last,
                ..SyncState::default()
            }],
            ..SyncStatus::default()
        }
    }

    #[test]
    fn only_what_a_person_sees_is_sent_to_the_window() {
        let t = Utc::now();
        let shown = online(Some(t));
        // A later success alone: not each minute...
        assert!(!worth_sending(
            &shown,
            &online(Some(t + TimeDelta::minutes(1)))
        ));
        assert!(!worth_sending(
            &shown,
            &online(Some(t + TimeDelta::minutes(4)))
        ));
        // ...but at most every five minutes, and the first success at once.
        assert!(worth_sending(&shown, &online(Some(t + STATUS_REFRESH))));
        assert!(worth_sending(&online(None), &online(Some(t))));
        // Anything else at once: offline first.
        let offline = SyncStatus {
            connection: Connection::Offline,
            ..online(Some(t))
        };
        assert!(worth_sending(&shown, &offline));
        let queued = SyncStatus {
            queued: 1,
            ..online(Some(t + TimeDelta::minutes(1)))
        };
        assert!(worth_sending(&shown, &queued));
        let failed = SyncStatus {
            message: Some("CareLoop answered 503".into()),
            ..online(Some(t))
        };
        assert!(worth_sending(&shown, &failed));
    }
}
