//! The sync engine: pull (server → local cache) and push (outbox → server).
//!
//! * [`pull`]: each resource is paged through with the largest page size, ordered by
//!   `updated_at` (`updated_since`), tombstones included, one transaction per page with the
//!   cursor saved in it; a full refresh when there is no usable cursor, which also removes
//!   local rows the server no longer has. A row with a write waiting in the outbox is never
//!   overwritten.
//! * [`push`]: the outbox is drained in order per entity, each entry with its client UUID as
//!   `Idempotency-Key`; an entry leaves only with a 2xx, in the transaction that records the
//!   server's answer.
//! * [`engine`]: the task that runs both, periodically, on demand and per resource, and
//!   publishes [`status::SyncStatus`] events.

pub mod engine;
pub mod pull;
pub mod push;
mod shared;
pub mod status;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::ApiError;
use crate::store::repo::sync_state::Table;
use crate::StoreError;

pub use engine::{Engine, EngineHandle};
pub use shared::{Backend, Shared};
pub use status::{Connection, Progress, SyncEvent, SyncStatus};

/// A resource the desk caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Resource {
    Locations,
    Staff,
    Courses,
    Residents,
    Certifications,
    Visits,
    Incidents,
}

impl Resource {
    /// In pull order: what others refer to first.
    pub const ALL: [Resource; 7] = [
        Self::Locations,
        Self::Staff,
        Self::Courses,
        Self::Residents,
        Self::Certifications,
        Self::Visits,
        Self::Incidents,
    ];

    /// The name used in `sync_state` and progress events.
    pub fn name(self) -> &'static str {
        self.table().name()
    }

    pub fn path(self) -> &'static str {
        match self {
            Self::Locations => "/v1/locations",
            Self::Staff => "/v1/staff",
            Self::Courses => "/v1/courses",
            Self::Residents => "/v1/residents",
            Self::Certifications => "/v1/certifications",
            Self::Visits => "/v1/visits",
            Self::Incidents => "/v1/incidents",
        }
    }

    pub fn table(self) -> Table {
        match self {
            Self::Locations => Table::Locations,
            Self::Staff => Table::Staff,
            Self::Courses => Table::Courses,
            Self::Residents => Table::Residents,
            Self::Certifications => Table::Certifications,
            Self::Visits => Table::Visits,
            Self::Incidents => Table::Incidents,
        }
    }

    /// The resource whose rows live in `table` (care notes are pulled per resident, not as a
    /// resource).
    pub fn of_table(table: Table) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.table() == table)
    }

    /// Visits and incidents are cached for a window of time, not whole.
    pub fn windowed(self) -> bool {
        matches!(self, Self::Visits | Self::Incidents)
    }

    /// Pulled by the periodic cycle only every [`SyncOptions::seldom_interval`]: the homes,
    /// the staff list, the course catalogue and certifications change a few times a week, and
    /// a certification's news (a course completed, one expiring or expired) comes by webhook
    /// too. Residents (their DNAR status), visits and incidents are pulled at every cycle.
    pub fn changes_seldom(self) -> bool {
        matches!(
            self,
            Self::Locations | Self::Staff | Self::Courses | Self::Certifications
        )
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == s)
    }
}

/// How the engine pulls and how often.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// A full cycle (push, then pull) this often while the desk runs; `None`: only on demand.
    pub interval: Option<Duration>,
    /// The periodic cycle pulls a resource that [changes seldom](Resource::changes_seldom) only
    /// when its last pull by this engine began at least this long ago. "Sync now", a new
    /// connection and a webhook's refresh pull it at once.
    pub seldom_interval: Duration,
    /// Push as soon as a local write is made.
    pub push_on_write: bool,
    /// Visits: from this long ago...
    pub visits_back: chrono::TimeDelta,
    /// ...to this far ahead.
    pub visits_ahead: chrono::TimeDelta,
    /// Incidents of this long ago and newer.
    pub incidents_back: chrono::TimeDelta,
    /// A windowed resource is refreshed whole this often, so that its window moves with time.
    pub window_refresh: chrono::TimeDelta,
    pub page_size: u32,
    /// After a failed cycle, the next one comes after an exponential backoff from this...
    pub retry_min: Duration,
    /// ...to at most this (and never later than `interval`).
    pub retry_max: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            interval: Some(Duration::from_secs(60)),
            seldom_interval: Duration::from_secs(5 * 60),
            push_on_write: true,
            visits_back: chrono::TimeDelta::days(7),
            visits_ahead: chrono::TimeDelta::days(14),
            incidents_back: chrono::TimeDelta::days(90),
            window_refresh: chrono::TimeDelta::hours(6),
            page_size: crate::api::MAX_PAGE_SIZE,
            retry_min: Duration::from_secs(2),
            retry_max: Duration::from_secs(60),
        }
    }
}

/// Why a sync step failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SyncError {
    #[error("the CareLoop connection is not set up (API address and key)")]
    NotConfigured,
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("the local data file: {0}")]
    Store(#[source] Arc<StoreError>),
    #[error("the sync engine has stopped")]
    Stopped,
}

impl From<StoreError> for SyncError {
    fn from(e: StoreError) -> Self {
        Self::Store(Arc::new(e))
    }
}

impl SyncError {
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Api(e) if e.is_auth())
    }
}
