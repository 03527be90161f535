//! loopdesk-core integration tests, against real SQLite files in temporary folders.

mod alerts;
mod api;
mod desk;
mod idle;
mod incidents;
mod keyring;
mod logging;
mod outbox;
mod peer;
mod push;
mod reception;
mod repo;
mod settings;
mod staff_lock;
mod startup;
mod sync;
mod training;
mod updates;

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

/// A time `days` after a day about a month from now (visits may be scheduled up to a year
/// ahead), at `time` ("09:00"), in RFC 3339.
pub fn ahead(days: i64, time: &str) -> String {
    let day = chrono::Utc::now().date_naive() + chrono::TimeDelta::days(30 + days);
    format!("{day}T{time}:00Z")
}
