//! Secrets never reach the log: a real desk, with the app's own logging set up, is run through
//! what handles its API key and device token (saving them, a sync with a key CareLoop refuses
//! and one it accepts, "Test connection", a bridge that cannot be reached), in a process of its
//! own; then every log file of that run is searched for the secrets.

use std::sync::Arc;
use std::time::Duration;

use loopdesk_core::desk::{Desk, DeskConfig};
use loopdesk_core::logging::{self, LOG_FILE_PREFIX};
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::Store;
use loopdesk_sandbox::DataSize;

use crate::peer::{client_options, config, sync_options, Peer, DESK_KEY};

/// A key CareLoop does not know (refused with 401).
const UNKNOWN_KEY: &str = "cl_live_9f8e7d6c5b4a3f2e1d0c4f9e";
const DEVICE_TOKEN: &str = "dev_7a6b5c4d3e2f1a0b9c8d7e6f5a4b";

/// The child: sets up logging as the app does, runs the desk, flushes and exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by a_run_that_handles_secrets_never_writes_them_to_the_log in its own process"]
async fn desk_run_with_secrets() {
    let (Some(logs), Some(data), Some(url)) = (
        std::env::var_os("LOOPDESK_CHILD_LOG_DIR"),
        std::env::var_os("LOOPDESK_CHILD_DATA_DIR"),
        std::env::var_os("LOOPDESK_CHILD_URL"),
    ) else {
        return;
    };
    let url = url.to_string_lossy().into_owned();
    let guard = logging::init(std::path::Path::new(&logs)).unwrap();
    let store = Arc::new(Store::open(std::path::Path::new(&data).join("loopdesk.db")).unwrap());
    let mut config = DeskConfig::new(Arc::new(MemorySecretStore::new()));
    config.sync = sync_options();
    config.client = loopdesk_core::api::ClientOptions {
        retries: 1,
        ..client_options()
    };
    let desk = Desk::open(store, config).await.unwrap();

    desk.save_settings(url.clone(), None, Some(Secret::new(UNKNOWN_KEY)))
        .await
        .unwrap();
    let refused = desk.sync_now().await.unwrap_err();
    tracing::warn!(error = %refused, "sync refused, as the test wants");
    let test = desk.test_connection().await.unwrap();
    tracing::info!(message = %test.message, "connection test");
    desk.save_settings(url.clone(), None, Some(Secret::new(DESK_KEY)))
        .await
        .unwrap();
    desk.sync_now().await.unwrap();
    desk.save_bridge_settings("http://127.0.0.1:9".into(), Some(Secret::new(DEVICE_TOKEN)))
        .await
        .unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            if desk.alerts().poller_stats().failures > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    desk.shutdown().await;
    drop(guard); // flush
    println!("child done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_handles_secrets_never_writes_them_to_the_log() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let logs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "logging::desk_run_with_secrets",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LOOPDESK_CHILD_LOG_DIR", logs.path())
        .env("LOOPDESK_CHILD_DATA_DIR", data.path())
        .env("LOOPDESK_CHILD_URL", peer.url())
        // As much as the desk and its libraries log.
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(180), child)
        .await
        .expect("the desk's run finished within three minutes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("child done"),
        "the child run failed:\n{stdout}\n{stderr}"
    );

    let mut log = String::new();
    for entry in std::fs::read_dir(logs.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(LOG_FILE_PREFIX) && name.ends_with(".log"),
            "{name}"
        );
        log.push_str(&std::fs::read_to_string(path).unwrap());
    }
    // The run was logged (the refused key, the sync, the bridge), and stderr too.
    for expected in ["sync refused", "local store open", "bridge poll failed"] {
        assert!(log.contains(expected), "the log has {expected:?}:\n{log}");
    }
    for (what, secret) in [
        ("the refused key", UNKNOWN_KEY),
        ("the accepted key", DESK_KEY),
        ("the device token", DEVICE_TOKEN),
    ] {
        // Not whole, and no run of 12 of its characters either.
        let chars: Vec<char> = secret.chars().collect();
        for window in chars.windows(12) {
            let part: String = window.iter().collect();
            assert!(!log.contains(&part), "{what} leaked into the log: {part}");
            assert!(!stderr.contains(&part), "{what} leaked to stderr: {part}");
        }
    }
}
