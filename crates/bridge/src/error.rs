//! The crate's error type.

/// Everything that can go wrong in the bridge's library code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SQLite store failed.
    #[error("storage error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database schema could not be brought up to date (or is newer than this binary).
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// PostgreSQL answered with an error (a statement failed; the database is reachable).
    #[error("database error: {0}")]
    Postgres(String),
    /// The database cannot be reached now (connection refused or lost, shutting down, too many
    /// connections): answered 503, and the bridge reconnects by itself.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The PostgreSQL schema could not be brought up to date, or is newer than this binary.
    #[error("database migration failed: {0}")]
    Schema(String),
    /// A batched write failed; every request in the batch gets this.
    #[error("storage write failed: {0}")]
    Write(String),
    /// The store is shutting down or its writer has stopped.
    #[error("the store is closed")]
    Closed,
    /// A blocking storage task could not run to completion.
    #[error("storage task failed: {0}")]
    Task(String),
    /// Input that the admin functions refuse (bad org, bad secret...).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which input was wrong.
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// The endpoint or device named does not exist.
    #[error("{kind} {id} not found")]
    NotFound {
        /// `endpoint` or `device`.
        kind: &'static str,
        /// The id that was looked up.
        id: String,
    },
    /// Binding, serving or another I/O operation failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The metrics registry could not be set up.
    #[error("metrics error: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field,
        reason: reason.into(),
    }
}
