//! `loopdesk-bridge`: receives signed webhooks on a public URL, verifies and stores them durably,
//! and lets desks behind NAT fetch their organisation's events with a long-poll.
//!
//! In-process use (the desk demo, end-to-end tests):
//!
//! ```no_run
//! # async fn demo() -> Result<(), loopdesk_bridge::Error> {
//! use loopdesk_bridge::{Config, Scheme, Store};
//! let store = Store::open("bridge.db")?;
//! let endpoint = store.add_endpoint("org_1", Scheme::CareLoop, None)?;
//! let device = store.add_device("org_1", "front desk")?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let shutdown = tokio_util::sync::CancellationToken::new();
//! tokio::spawn(loopdesk_bridge::run(Config::new("bridge.db"), listener, shutdown.clone()));
//! // POST webhooks to endpoint.path signed with endpoint.secret;
//! // GET /v1/events with `Authorization: Bearer {device.token}`.
//! # Ok(()) }
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

mod any;
pub mod api;
mod error;
mod locks;
pub mod metrics;
pub mod pg;
pub mod schemes;
mod server;
pub mod store;

pub use any::{AnyStore, Database};
pub use api::openapi;
pub use error::{Error, Result};
pub use pg::PgStore;
pub use schemes::Scheme;
pub use store::{
    DeviceCreated, DeviceInfo, EndpointCreated, EndpointInfo, EndpointRotated, EventStore, Store,
};

/// Default largest webhook body, in bytes.
pub const DEFAULT_MAX_BODY: usize = 262_144;
/// Default signature timestamp tolerance.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);
/// Default retention of events.
pub const DEFAULT_RETENTION_DAYS: u64 = 7;
/// Default most bytes of events in one feed page.
pub const DEFAULT_MAX_PAGE_BYTES: usize = 1 << 20;
/// Default most long-polls waiting at once per device.
pub const DEFAULT_MAX_POLLS_PER_DEVICE: usize = 2;
/// Default most open connections on the public listener.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Default time for a request's head to arrive.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a connection may stay quiet with no request in progress.
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time for a webhook's body to arrive.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The most open connections on the metrics listener.
const METRICS_MAX_CONNECTIONS: usize = 16;

/// How a bridge server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The SQLite database file (created if missing).
    pub db: PathBuf,
    /// Largest accepted webhook body in bytes; larger ones get 413.
    pub max_body: usize,
    /// How far a signed timestamp may be from now, either way.
    pub tolerance: Duration,
    /// Events received longer ago than this are purged.
    pub retention: Duration,
    /// How often the purge runs (it also runs at start-up).
    pub purge_interval: Duration,
    /// About the most bytes of events in one feed page (bodies, fields and their JSON); a page
    /// ends before the event that would pass it, but an event larger than this alone is still
    /// served, alone.
    pub max_page_bytes: usize,
    /// The most long-polls of one device waiting at once (at least 1): a new one replaces the
    /// oldest, which is answered at once with an empty page (its `next_cursor` = its `after`).
    pub max_polls_per_device: usize,
    /// How often waiting long-polls' devices are checked for revocation (a revoked device's
    /// waiting poll then ends with 401; revocations by the CLI are seen this way).
    pub revocation_check: Duration,
    /// The most connections open on the public listener (lowered to fit the process's open-file
    /// limit). At the cap, the connection quiet longest with no request in progress is closed to
    /// make room; if every one has a request in progress, new ones wait in the listen backlog.
    pub max_connections: usize,
    /// A request's head (request line and headers) must arrive complete within this of the
    /// connection opening or of the previous response, or the connection is closed.
    pub header_timeout: Duration,
    /// A connection with no request in progress on which nothing is read or written for this
    /// long is closed (idle keep-alive connections, silent ones, clients not reading).
    pub keep_alive_timeout: Duration,
    /// A webhook's body must arrive within this of its head, or the answer is
    /// `408 request_timeout`.
    pub body_timeout: Duration,
}

impl Config {
    /// The defaults: 256 KiB bodies, 300 s tolerance, 7 days retention, hourly purge, 1 MiB
    /// feed pages, 2 waiting long-polls per device, revocations of waiting polls' devices
    /// checked every second, 512 connections, 10 s for a request's head, 5 s quiet keep-alive,
    /// 30 s for a webhook's body.
    pub fn new(db: impl Into<PathBuf>) -> Self {
        Config {
            db: db.into(),
            max_body: DEFAULT_MAX_BODY,
            tolerance: DEFAULT_TOLERANCE,
            retention: Duration::from_secs(DEFAULT_RETENTION_DAYS * 24 * 60 * 60),
            purge_interval: Duration::from_secs(60 * 60),
            max_page_bytes: DEFAULT_MAX_PAGE_BYTES,
            max_polls_per_device: DEFAULT_MAX_POLLS_PER_DEVICE,
            revocation_check: Duration::from_secs(1),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            keep_alive_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
    }
}

/// Where a bridge serves: the public listener (intake, feed, health, OpenAPI) and, optionally,
/// a private one for `GET /metrics`, which the public listener never serves.
#[derive(Debug)]
pub struct Listeners {
    /// Webhook intake, the feed, `/healthz`, `/openapi.json`.
    pub public: TcpListener,
    /// `/metrics` only (e.g. on 127.0.0.1 or an internal network). `None`: no metrics served.
    pub metrics: Option<TcpListener>,
}

impl Listeners {
    /// The public listener alone: no metrics are served.
    pub fn new(public: TcpListener) -> Self {
        Listeners {
            public,
            metrics: None,
        }
    }

    /// Also serves `/metrics`, on `metrics`.
    pub fn with_metrics(mut self, metrics: TcpListener) -> Self {
        self.metrics = Some(metrics);
        self
    }
}

impl From<TcpListener> for Listeners {
    fn from(public: TcpListener) -> Self {
        Listeners::new(public)
    }
}

/// Opens the SQLite store at `config.db` and serves on `listeners` (a [`TcpListener`] for the
/// public one alone) until `shutdown` is cancelled.
///
/// On shutdown, waiting long-polls answer with what they have, in-flight deliveries finish
/// (an acknowledged webhook is always committed), and the store's writer drains.
pub async fn run(
    config: Config,
    listeners: impl Into<Listeners>,
    shutdown: CancellationToken,
) -> Result<()> {
    let store = Store::open(&config.db)?;
    serve(config, Arc::new(store), listeners, shutdown).await
}

/// Like [`run`], with any [`EventStore`] (`config.db` is not used).
pub async fn serve(
    config: Config,
    store: Arc<dyn EventStore>,
    listeners: impl Into<Listeners>,
    shutdown: CancellationToken,
) -> Result<()> {
    let Listeners {
        public,
        metrics: metrics_listener,
    } = listeners.into();
    let metrics = metrics::Metrics::new()?;
    let config = Arc::new(config);
    let polls = Arc::new(api::polls::Polls::new(
        config.max_polls_per_device,
        metrics.clone(),
    ));
    let app = api::router(
        config.clone(),
        store.clone(),
        metrics.clone(),
        polls.clone(),
        shutdown.clone(),
    )?;
    let purge_stop = shutdown.child_token();
    let purge = tokio::spawn(purge_loop(
        store.clone(),
        config.retention,
        config.purge_interval,
        purge_stop.clone(),
    ));
    let revocations = tokio::spawn(api::polls::revocation_loop(
        store,
        polls,
        config.revocation_check,
        purge_stop.clone(),
    ));
    let limits = server::Limits {
        max_connections: config.max_connections,
        header_timeout: config.header_timeout,
        keep_alive_timeout: config.keep_alive_timeout,
    };
    let metrics_served = metrics_listener.map(|l| {
        let limits = server::Limits {
            max_connections: METRICS_MAX_CONNECTIONS,
            ..limits
        };
        let app = api::ops::metrics_router(metrics.clone());
        tokio::spawn(server::serve(l, app, limits, None, shutdown.clone()))
    });
    server::serve(public, app, limits, Some(metrics), shutdown).await;
    purge_stop.cancel();
    let _ = purge.await;
    let _ = revocations.await;
    if let Some(m) = metrics_served {
        let _ = m.await;
    }
    Ok(())
}

async fn purge_loop(
    store: Arc<dyn EventStore>,
    retention: Duration,
    every: Duration,
    stop: CancellationToken,
) {
    let every = every.max(Duration::from_millis(10));
    loop {
        let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
        let cutoff = chrono::Utc::now()
            .checked_sub_signed(retention)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        match store.purge_received_before(cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "purged events past retention"),
            Err(e) => tracing::error!(error = %e, "retention purge failed"),
        }
        match store.forget_seen_ids(chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                ids = n,
                "forgot event ids a replay of which is refused anyway"
            ),
            Err(e) => tracing::error!(error = %e, "forgetting old event ids failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
