//! Helpers shared by the desk facade and the alerts service: turning internal failures into the
//! one [`CommandError`] the UI sees (logged in full, shown in words), running blocking work off
//! the async threads, and taking a lock that a panic elsewhere may have poisoned.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::ipc::{Code, CommandError};
use crate::secrets::SecretError;

/// What the person at the desk reads when something inside Loopdesk failed.
pub const INTERNAL_MESSAGE: &str =
    "Loopdesk could not complete this. Please try again; if it keeps happening, tell your IT contact.";

/// An internal failure: the details go to the log, the person gets [`INTERNAL_MESSAGE`].
pub fn internal(e: impl std::fmt::Display) -> CommandError {
    tracing::error!(error = %e, "internal error");
    CommandError::new(Code::Internal, INTERNAL_MESSAGE)
}

/// The OS keyring could not be used for `what` ("the API key", "the device token").
pub fn secret_error(what: &str, e: SecretError) -> CommandError {
    tracing::error!(error = %e, what, "keyring error");
    CommandError::new(
        Code::Internal,
        format!("The system keyring could not be used, so {what} was not saved or read. {e}"),
    )
}

/// Runs a blocking call (the OS keyring, a file) on the blocking pool.
pub async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<R, CommandError> {
    tokio::task::spawn_blocking(f).await.map_err(internal)
}

/// Locks `m`. A panic while it was held cannot have left our state half-changed (every guarded
/// value is replaced whole), so a poisoned lock is used as it is.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads `l` (see [`lock`] on poisoning).
pub fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

/// Writes `l` (see [`lock`] on poisoning).
pub fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}
