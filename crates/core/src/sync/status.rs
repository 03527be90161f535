//! Sync state as the UI sees it, and the events that carry it.

use serde::Serialize;
use ts_rs::TS;

use crate::store::repo::sync_state::SyncState;

/// How the desk's link to CareLoop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Connection {
    /// No API address or key yet.
    NotConfigured,
    /// Set up, and the first sync since start-up or new settings has not finished yet.
    Connecting,
    Online,
    /// CareLoop cannot be reached; writes are queued.
    Offline,
    /// CareLoop answers, but with errors (`message` says which).
    Degraded,
    /// The key is invalid or lacks a scope (`message` says which); pushing has stopped.
    AuthFailed,
}

/// A pull in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Progress {
    pub resource: String,
    pub done: u32,
    pub total: u32,
}

/// Everything the sync bar shows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SyncStatus {
    pub connection: Connection,
    /// The last error in words, e.g. "API key lacks scope write:visits".
    pub message: Option<String>,
    /// Local writes waiting for the server.
    pub queued: u32,
    /// Writes the server refused; a person must fix and resubmit them.
    pub needs_attention: u32,
    /// Last successful pull per resource.
    pub resources: Vec<SyncState>,
    pub progress: Option<Progress>,
    /// The desk talks to the built-in demo backend.
    pub demo: bool,
}

impl Default for SyncStatus {
    fn default() -> Self {
        Self {
            connection: Connection::NotConfigured,
            message: None,
            queued: 0,
            needs_attention: 0,
            resources: Vec::new(),
            progress: None,
            demo: false,
        }
    }
}

/// What `watch_sync` streams to the UI.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
#[ts(export)]
pub enum SyncEvent {
    /// The status changed.
    Status(SyncStatus),
    /// A page of a pull was stored.
    Progress(Progress),
}
