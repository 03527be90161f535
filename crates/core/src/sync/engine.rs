//! The sync engine task: one at a time, it pushes the outbox and pulls resources —
//! periodically while the desk runs, on demand, and per resource when asked — and publishes the
//! resulting [`SyncStatus`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::pull::{self, PullCtx};
use super::push;
use super::shared::Shared;
use super::status::Connection;
use super::{Resource, SyncError, SyncOptions};
use crate::api::{ApiClient, ApiError};
use crate::store::blocking as db;
use crate::store::repo;

/// What the engine is asked to do.
#[derive(Debug)]
enum Command {
    /// Push, then pull everything; answer when done.
    SyncNow(oneshot::Sender<Result<(), SyncError>>),
    /// Push (a local write was made).
    Push,
    /// Pull one resource.
    Refresh(Resource),
    /// Pull one resident's care notes.
    RefreshCareNotes(String),
    /// The backend changed: use it from now on and sync at once.
    Reconfigure,
}

/// The desk's way to talk to the running engine.
#[derive(Debug, Clone)]
pub struct EngineHandle {
    commands: mpsc::UnboundedSender<Command>,
    /// A push is already queued: many writes in a row make one push, not one each.
    push_queued: Arc<AtomicBool>,
}

impl EngineHandle {
    /// Push then pull everything; returns when done or failed.
    pub async fn sync_now(&self) -> Result<(), SyncError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::SyncNow(tx))
            .map_err(|_| SyncError::Stopped)?;
        rx.await.map_err(|_| SyncError::Stopped)?
    }

    /// Asks for a push soon (after a local write).
    pub fn push_soon(&self) {
        if !self.push_queued.swap(true, Ordering::SeqCst) {
            let _ = self.commands.send(Command::Push);
        }
    }

    /// Asks for one resource to be pulled soon (e.g. the alerts poller saw an event).
    pub fn request_refresh(&self, resource: Resource) {
        let _ = self.commands.send(Command::Refresh(resource));
    }

    pub fn refresh_care_notes(&self, resident_id: &str) {
        let _ = self
            .commands
            .send(Command::RefreshCareNotes(resident_id.to_owned()));
    }

    /// The backend changed.
    pub fn reconfigure(&self) {
        let _ = self.commands.send(Command::Reconfigure);
    }
}

/// The engine task.
pub struct Engine {
    shared: Arc<Shared>,
    options: SyncOptions,
    commands: mpsc::UnboundedReceiver<Command>,
    push_queued: Arc<AtomicBool>,
    /// When this engine's last successful pull of each resource began.
    pulled_at: HashMap<Resource, Instant>,
}

impl Engine {
    pub fn new(shared: Arc<Shared>, options: SyncOptions) -> (Self, EngineHandle) {
        let (tx, rx) = mpsc::unbounded_channel();
        let push_queued = Arc::new(AtomicBool::new(false));
        (
            Self {
                shared,
                options,
                commands: rx,
                push_queued: push_queued.clone(),
                pulled_at: HashMap::new(),
            },
            EngineHandle {
                commands: tx,
                push_queued,
            },
        )
    }

    /// Runs until `shutdown` is cancelled. Work in progress is abandoned safely: every page
    /// and every acknowledgement is its own transaction, and an unacknowledged entry is simply
    /// sent again (with the same Idempotency-Key) next time.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut backoff = self.backoff();
        let mut next_tick = self.options.interval.map(|_| Instant::now());
        self.shared.update_status(|_| {}).await;
        let mut told_complete = false;
        loop {
            let tick = async {
                match next_tick {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let command = tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                c = self.commands.recv() => match c {
                    Some(c) => Some(c),
                    None => break,
                },
                _ = tick => None,
            };
            // Only a full cycle (or a failure) sets when the next cycle is due: a push after a
            // write, or one resource pulled, must not put off a cycle that is due.
            let full_cycle = matches!(
                command,
                None | Some(Command::Reconfigure) | Some(Command::SyncNow(_))
            );
            let work = async {
                match command {
                    None => (self.cycle(false).await, None),
                    Some(Command::Reconfigure) => (self.cycle(true).await, None),
                    Some(Command::SyncNow(reply)) => {
                        let r = self.cycle(true).await;
                        (r, Some(reply))
                    }
                    Some(Command::Push) => {
                        // Writes made from now on ask for another push.
                        self.push_queued.store(false, Ordering::SeqCst);
                        (self.push_only().await, None)
                    }
                    Some(Command::Refresh(resource)) => (self.pull_only(resource).await, None),
                    Some(Command::RefreshCareNotes(id)) => (self.care_notes(&id).await, None),
                }
            };
            let (result, reply) = tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                r = work => r,
            };
            let failed = result.is_err();
            self.report(&result).await;
            if full_cycle && !failed && !told_complete {
                // Once a run: every resource is here (scripts that wait for the first sync
                // cannot read the encrypted file; they read this line).
                tracing::info!("first full sync cycle complete");
                told_complete = true;
            }
            if let Some(reply) = reply {
                let _ = reply.send(result.clone());
            }
            if let Some(interval) = self.options.interval {
                let wait = match &result {
                    Ok(()) => {
                        backoff = self.backoff();
                        interval
                    }
                    // Nothing will change until a person fixes the settings or the key's
                    // scopes: try again at the normal pace, not faster.
                    Err(e) if e.is_auth() => interval,
                    Err(SyncError::NotConfigured) => interval,
                    Err(_) => backoff.next().unwrap_or(interval).min(interval),
                };
                next_tick = next_cycle(next_tick, full_cycle, failed, Instant::now(), wait);
            }
        }
        tracing::info!("sync engine stopped");
    }

    fn backoff(&self) -> backon::ExponentialBackoff {
        ExponentialBuilder::default()
            .with_min_delay(self.options.retry_min)
            .with_max_delay(self.options.retry_max)
            .with_jitter()
            .without_max_times()
            .build()
    }

    fn ctx<'a>(&'a self, client: &'a ApiClient) -> PullCtx<'a> {
        PullCtx {
            store: &self.shared.store,
            client,
            options: &self.options,
            progress: self.shared.as_ref(),
        }
    }

    /// Push, then pull: every resource when `all` (on demand, a new connection), else those
    /// [`due`] (the periodic cycle).
    async fn cycle(&mut self, all: bool) -> Result<(), SyncError> {
        let started = Instant::now();
        let client = self.shared.client()?;
        let pushed = push::push(&self.shared, &client).await;
        self.shared.update_status(|_| {}).await;
        match &pushed {
            Ok(_) => {}
            // A key that cannot write may still read: pull, then report the push problem.
            Err(SyncError::Api(ApiError::Forbidden { .. })) => {}
            Err(_) => return pushed,
        }
        let mut first_error: Option<SyncError> = pushed.err();
        // Resources with nothing new: their success is recorded together, in one write.
        let mut nothing_new = Vec::new();
        for resource in Resource::ALL {
            let last = self.pulled_at.get(&resource).copied();
            if !all && !due(resource, last, started, self.options.seldom_interval) {
                continue;
            }
            match pull::pull_quietly(&self.ctx(&client), resource, false).await {
                Ok(report) => {
                    self.pulled_at.insert(resource, started);
                    if report.nothing_new {
                        nothing_new.push(resource);
                    }
                }
                Err(e) => {
                    let name = resource.name();
                    let text = e.to_string();
                    let _ = db(&self.shared.store, move |s| {
                        s.write(|tx| repo::sync_state::record_sync_error(tx, name, &text))
                    })
                    .await;
                    tracing::warn!(resource = name, error = %e, "pull failed");
                    let stop = !matches!(e, SyncError::Api(ApiError::Forbidden { .. }));
                    first_error.get_or_insert(e);
                    if stop {
                        break;
                    }
                }
            }
        }
        if let Err(e) = pull::record_successes(&self.shared.store, &nothing_new).await {
            first_error.get_or_insert(e);
        }
        self.shared.status.send_modify(|st| st.progress = None);
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    async fn push_only(&self) -> Result<(), SyncError> {
        let client = self.shared.client()?;
        push::push(&self.shared, &client).await
    }

    async fn pull_only(&mut self, resource: Resource) -> Result<(), SyncError> {
        let started = Instant::now();
        let client = self.shared.client()?;
        let r = pull::pull(&self.ctx(&client), resource, false)
            .await
            .map(|_| ());
        if r.is_ok() {
            self.pulled_at.insert(resource, started);
        }
        self.shared.status.send_modify(|st| st.progress = None);
        r
    }

    async fn care_notes(&self, resident_id: &str) -> Result<(), SyncError> {
        let client = self.shared.client()?;
        pull::refresh_care_notes(&self.ctx(&client), resident_id)
            .await
            .map(|_| ())
    }

    /// Turns a result into the connection state.
    async fn report(&self, result: &Result<(), SyncError>) {
        let (connection, message) = describe(result);
        let not_configured = matches!(result, Err(SyncError::NotConfigured));
        self.shared
            .update_status(|st| {
                // The desk said why it is not set up (e.g. which address lacks a key): keep it.
                let said_why = not_configured
                    && st.connection == Connection::NotConfigured
                    && st.message.is_some();
                st.connection = connection;
                if !said_why {
                    st.message = message;
                }
                st.progress = None;
            })
            .await;
    }
}

/// Whether the periodic cycle starting `now` pulls `resource`, last pulled by this engine at
/// `last`: always, unless it [changes seldom](Resource::changes_seldom) and its last pull began
/// less than `seldom` ago. The engine's first cycle pulls everything.
fn due(
    resource: Resource,
    last: Option<Instant>,
    now: Instant,
    seldom: std::time::Duration,
) -> bool {
    !resource.changes_seldom() || last.is_none_or(|t| now.saturating_duration_since(t) >= seldom)
}

/// When the next full cycle is due, after a step (`full_cycle`: push and pull everything, else a
/// push or one resource) that `failed` or not, now; `wait` is the interval, or the backoff after
/// a failure. A failure always waits `wait` (it is the backoff). A full cycle that was due sets
/// the next one `wait` from now; one made early (`sync_now`) keeps the time already set. Any
/// other step that succeeded keeps it too, even when it is due: a push after each local write
/// must not put off the pull (the reception task's writes every minute once kept the first
/// pull from ever starting, its minute in step with the engine's).
fn next_cycle(
    next_tick: Option<Instant>,
    full_cycle: bool,
    failed: bool,
    now: Instant,
    wait: std::time::Duration,
) -> Option<Instant> {
    let due = next_tick.is_none_or(|t| t <= now);
    if failed || (full_cycle && due) {
        Some(now + wait)
    } else {
        next_tick
    }
}

/// The connection state and message for the outcome of a step.
pub fn describe(result: &Result<(), SyncError>) -> (Connection, Option<String>) {
    match result {
        Ok(()) => (Connection::Online, None),
        Err(SyncError::NotConfigured) => (
            Connection::NotConfigured,
            Some("Enter the CareLoop API address and key in Settings.".into()),
        ),
        Err(SyncError::Api(e)) => match e {
            ApiError::Network(_) | ApiError::Unreachable(_) => {
                (Connection::Offline, Some(e.to_string()))
            }
            ApiError::Unauthorized { .. } => (
                Connection::AuthFailed,
                Some(
                    "API key invalid: CareLoop does not accept it. Enter a valid key in Settings."
                        .into(),
                ),
            ),
            ApiError::Forbidden { .. } => (Connection::AuthFailed, Some(e.to_string())),
            ApiError::BadUrl(_) => (Connection::NotConfigured, Some(e.to_string())),
            _ => (Connection::Degraded, Some(e.to_string())),
        },
        Err(e) => (Connection::Degraded, Some(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn what_changes_seldom_is_pulled_every_five_cycles_the_rest_at_each() {
        let seldom = 5 * MINUTE;
        let start = Instant::now();
        for resource in Resource::ALL {
            // Never pulled yet: due, whatever it is.
            assert!(due(resource, None, start, seldom), "{resource:?}");
            let pulls: Vec<bool> = (1..=10u32)
                .map(|n| due(resource, Some(start), start + MINUTE * n, seldom))
                .collect();
            if resource.changes_seldom() {
                let want: Vec<bool> = (1..=10).map(|n| n >= 5).collect();
                assert_eq!(pulls, want, "{resource:?}");
            } else {
                assert!(pulls.iter().all(|p| *p), "{resource:?}: {pulls:?}");
            }
        }
        let seldom_ones: Vec<Resource> = Resource::ALL
            .into_iter()
            .filter(|r| r.changes_seldom())
            .collect();
        assert_eq!(
            seldom_ones,
            [
                Resource::Locations,
                Resource::Staff,
                Resource::Courses,
                Resource::Certifications
            ]
        );
    }

    #[test]
    fn a_push_that_succeeds_never_puts_off_a_cycle_that_is_due() {
        let now = Instant::now();
        // At start the first cycle is due at once; a push handled first leaves it due.
        assert_eq!(next_cycle(Some(now), false, false, now, MINUTE), Some(now));
        let later = now + Duration::from_secs(61);
        assert_eq!(
            next_cycle(Some(now), false, false, later, MINUTE),
            Some(now)
        );
        // Nor one that is not due yet.
        let due = now + MINUTE;
        assert_eq!(next_cycle(Some(due), false, false, now, MINUTE), Some(due));
    }

    #[test]
    fn a_full_cycle_that_was_due_sets_the_next_one_an_interval_away() {
        let now = Instant::now();
        assert_eq!(
            next_cycle(Some(now), true, false, now, MINUTE),
            Some(now + MINUTE)
        );
        // `sync_now` before the cycle was due keeps the time already set.
        let due = now + Duration::from_secs(30);
        assert_eq!(next_cycle(Some(due), true, false, now, MINUTE), Some(due));
    }

    #[test]
    fn a_failure_waits_its_backoff_whatever_the_step() {
        let now = Instant::now();
        let backoff = Duration::from_secs(2);
        for full_cycle in [true, false] {
            assert_eq!(
                next_cycle(Some(now + MINUTE), full_cycle, true, now, backoff),
                Some(now + backoff)
            );
        }
    }
}
