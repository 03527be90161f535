//! The API key and the data file's key really go to the OS keyring (the Secret Service,
//! gnome-keyring) and back.
//!
//! The test runs itself again inside a private D-Bus session with its own gnome-keyring
//! (`tests/keyring-session.sh`), so it never touches the keyring of the person running it and
//! needs nothing set up beforehand except the packages (`make deps`: dbus, gnome-keyring,
//! libsecret-tools).

use std::sync::Arc;

use loopdesk_core::api::ClientOptions;
use loopdesk_core::desk::{Desk, DeskConfig};
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::{KeyringStore, SecretStore, API_KEY, DATA_FILE_KEY};
use loopdesk_core::store::{open_for_startup, KeyProblem, StartupState};
use loopdesk_core::Store;

use crate::peer::sync_options;

const INSIDE: &str = "LOOPDESK_TEST_IN_KEYRING_SESSION";
const TEST: &str = "keyring::the_api_key_is_kept_in_the_secret_service";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_is_kept_in_the_secret_service() {
    if std::env::var_os(INSIDE).is_none() {
        return run_inside_a_private_session().await;
    }
    let service = format!("loopdesk-test-{}", uuid::Uuid::new_v4().simple());
    let key = format!("cl_live_{}", uuid::Uuid::new_v4().simple());
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("loopdesk.db")).unwrap());
    let mut config = DeskConfig::new(Arc::new(KeyringStore::new(&service)));
    config.sync = sync_options();
    config.client = ClientOptions {
        retries: 0,
        ..ClientOptions::default()
    };
    let desk = Desk::open(store.clone(), config).await.unwrap();

    let view = desk
        .save_settings(
            "http://127.0.0.1:9".into(),
            None,
            Some(Secret::new(key.clone())),
        )
        .await
        .unwrap();
    let tail: String = key.chars().skip(key.len() - 4).collect();
    assert_eq!(view.api_key_hint, Some(format!("…{tail}")));
    desk.shutdown().await;
    drop(desk);

    // Another process's view of the keyring: libsecret's command-line tool finds it.
    let found = tokio::process::Command::new("secret-tool")
        .args(["lookup", "service", &service, "username", API_KEY])
        .output()
        .await
        .expect("secret-tool (libsecret-tools) is installed");
    assert!(
        found.status.success(),
        "{}",
        String::from_utf8_lossy(&found.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&found.stdout).trim(), key);

    // A desk opened later reads it from the keyring, and only shows its end.
    let mut config = DeskConfig::new(Arc::new(KeyringStore::new(&service)));
    config.sync = sync_options();
    let desk = Desk::open(store, config).await.unwrap();
    assert_eq!(
        desk.get_settings().await.unwrap().api_key_hint,
        Some(format!("…{tail}"))
    );
    desk.shutdown().await;

    let keyring = KeyringStore::new(&service);
    assert_eq!(keyring.get(API_KEY).unwrap().unwrap().expose(), key);
    keyring.delete(API_KEY).unwrap();
    assert!(keyring.get(API_KEY).unwrap().is_none());
    keyring.delete(API_KEY).unwrap();

    // The data file's key: made at the first start, kept in the Secret Service (and only there),
    // and read from it at the next start.
    let data = tempfile::tempdir().unwrap();
    let (store, state) = open_for_startup(data.path(), &keyring);
    assert_eq!(state, StartupState::Ready);
    drop(store);
    let found = tokio::process::Command::new("secret-tool")
        .args(["lookup", "service", &service, "username", DATA_FILE_KEY])
        .output()
        .await
        .unwrap();
    let file_key = String::from_utf8_lossy(&found.stdout).trim().to_owned();
    assert_eq!(file_key.len(), 64, "a 256-bit key in hex");
    assert!(file_key.bytes().all(|b| b.is_ascii_hexdigit()));
    let (store, state) = open_for_startup(data.path(), &keyring);
    assert_eq!(state, StartupState::Ready);
    drop(store);
    // Gone from the keyring: the file is left alone and the desk says the key is missing.
    keyring.delete(DATA_FILE_KEY).unwrap();
    let (store, state) = open_for_startup(data.path(), &keyring);
    assert!(store.is_none());
    assert!(
        matches!(
            state,
            StartupState::DataKeyProblem {
                problem: KeyProblem::KeyMissing,
                ..
            }
        ),
        "{state:?}"
    );
}

/// Starts this test again under `dbus-run-session` with gnome-keyring, in a throw-away home.
async fn run_inside_a_private_session() {
    let home = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keyring-session.sh");
    let out = tokio::process::Command::new("dbus-run-session")
        .arg("--")
        .arg("sh")
        .arg(script)
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env("HOME", home.path())
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env(INSIDE, "1")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .await
        .expect("dbus-run-session (package dbus) is installed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the keyring test failed inside its D-Bus session:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
