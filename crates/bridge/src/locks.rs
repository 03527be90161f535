//! The one way the bridge takes a lock.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`. Every value the bridge guards with a mutex is changed by single operations (an
/// insert, a remove, a push, a pop) that a panic cannot leave half done, so a lock poisoned by a
/// panic elsewhere is used as it is rather than spreading the panic.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
