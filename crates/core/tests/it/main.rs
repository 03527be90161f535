//! loopdesk-core integration tests, against real SQLite files in temporary folders.

mod alerts;
mod api;
mod desk;
mod encryption;
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

/// Runs `child` (the exact name of an `#[ignore]`d test in this binary) as a child process with
/// `envs`, against `peer` answering slowly and losing two answers after commit, so that the kill
/// lands while pushes are in flight. Collects what follows `prefix` on the first `count` lines
/// the child prints that start with it (each printed as soon as the desk's form answered), then
/// kills the child with SIGKILL, checks it did not exit by itself, and clears the faults.
pub async fn kill_child_after(
    peer: &peer::Peer,
    child: &str,
    envs: &[(&str, &str)],
    prefix: &str,
    count: usize,
) -> Vec<String> {
    use tokio::io::AsyncBufReadExt;

    peer.control(
        reqwest::Method::POST,
        "faults",
        serde_json::json!({"latency_ms": 150, "drop_after_commit_next": 2}),
    )
    .await;
    let mut process = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            child,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(process.stdout.take().unwrap()).lines();
    let mut reported = Vec::new();
    let wait = async {
        while reported.len() < count {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("the child stopped early");
            if let Some(rest) = line.strip_prefix(prefix) {
                reported.push(rest.to_owned());
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(120), wait)
        .await
        .unwrap_or_else(|_| panic!("{child} did not report {count} saves"));
    process.start_kill().unwrap(); // SIGKILL, right after the form answered
    assert!(!process.wait().await.unwrap().success());
    peer.control(reqwest::Method::POST, "faults/clear", serde_json::json!({}))
        .await;
    reported
}
