//! loopdesk-core integration tests, against real SQLite files in temporary folders.

mod alerts;
mod api;
mod desk;
mod keyring;
mod logging;
mod outbox;
mod peer;
mod push;
mod repo;
mod settings;
mod startup;
mod sync;

use loopdesk_core::Store;

/// A fresh store in its own temporary folder (removed on drop).
pub struct TestStore {
    pub store: Store,
    pub dir: tempfile::TempDir,
}

pub fn test_store() -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("loopdesk.db")).unwrap();
    TestStore { store, dir }
}

pub fn t(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().into()
}
