//! Settings and secrets: a key or device token goes only to the address it was entered for;
//! only https addresses (plain http to this computer only); a save that fails changes nothing.

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use loopdesk_core::alerts::{FeedState, DEVICE_TOKEN};
use loopdesk_core::desk::{DemoBackend, Desk, DeskConfig};
use loopdesk_core::ipc::Code;
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::{MemorySecretStore, SecretError, SecretStore, API_KEY};
use loopdesk_core::sync::Connection;
use loopdesk_core::Store;
use loopdesk_sandbox::DataSize;
use tokio_util::sync::CancellationToken;

use crate::peer::{client_options, config, desk_at, sync_options, Peer, DESK_KEY};

/// A server that answers every request with 404 and records the `Authorization` header of
/// each: the witness that a secret did not go there.
struct Recorder {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
    stop: CancellationToken,
}

impl Recorder {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let record = seen.clone();
        let app = axum::Router::new().fallback(move |headers: HeaderMap| {
            let record = record.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                record.lock().unwrap().push(auth);
                (
                    axum::http::StatusCode::NOT_FOUND,
                    [("content-type", "application/json")],
                    r#"{"error":{"code":"not_found","message":"nothing here"}}"#,
                )
            }
        });
        let stop = CancellationToken::new();
        let s = stop.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { s.cancelled().await })
                .await
                .unwrap();
        });
        Self { url, seen, stop }
    }

    /// Every `Authorization` header it was sent.
    fn authorizations(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn store_at(dir: &tempfile::TempDir) -> Arc<Store> {
    Arc::new(Store::open(dir.path().join("loopdesk.db")).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_never_sent_to_an_address_it_was_not_entered_for() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let recorder = Recorder::start().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecretStore::new());
    let mut cfg = DeskConfig::new(secrets.clone());
    cfg.sync = sync_options();
    cfg.client = client_options();
    let desk = Desk::open(store_at(&dir), cfg).await.unwrap();
    desk.save_settings(peer.url(), None, Some(Secret::new(DESK_KEY)))
        .await
        .unwrap();
    desk.sync_now().await.unwrap();

    // Only the address changes (what someone with a moment at the desk could do): the key is
    // removed, not carried over.
    let view = desk
        .save_settings(recorder.url.clone(), None, None)
        .await
        .unwrap();
    assert_eq!(view.api_base_url.as_deref(), Some(recorder.url.as_str()));
    assert_eq!(view.api_key_hint, None, "no key for the new address");
    assert!(
        secrets.get(API_KEY).unwrap().is_none(),
        "the key was removed"
    );
    let status = desk.sync_status().await.unwrap();
    assert_eq!(status.connection, Connection::NotConfigured);
    let message = status.message.unwrap();
    assert!(message.contains(&recorder.url), "{message}");
    assert_eq!(desk.sync_now().await.unwrap_err().code, Code::NotConfigured);
    let test = desk.test_connection().await.unwrap();
    assert!(!test.ok);
    // Back to the first address: the old key does not come back either.
    let view = desk.save_settings(peer.url(), None, None).await.unwrap();
    assert_eq!(view.api_key_hint, None);
    assert_eq!(desk.sync_now().await.unwrap_err().code, Code::NotConfigured);

    // A key entered for the new address goes there, and only that key.
    let other = "cl_live_entered_for_the_recorder_77aa";
    desk.save_settings(recorder.url.clone(), None, Some(Secret::new(other)))
        .await
        .unwrap();
    let test = desk.test_connection().await.unwrap();
    assert!(!test.ok || test.can_read.is_empty(), "{test:?}");
    desk.shutdown().await;
    let seen = recorder.authorizations();
    assert!(!seen.is_empty(), "the recorder was asked with its own key");
    assert!(
        seen.iter().all(|a| a == &format!("Bearer {other}")),
        "only the key entered for it: {seen:?}"
    );
    assert!(seen.iter().all(|a| !a.contains(DESK_KEY)));
}

#[rstest::rstest]
#[case::remote("http://api.careloop.example")]
#[case::private_network("http://192.168.1.20:8787")]
#[case::lookalike("http://127.0.0.1.nip.example")]
#[case::not_an_address("api.careloop.example")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_a_key_must_not_travel_to_is_refused_beside_the_field(#[case] bad: &str) {
    let peer = Peer::start(config(DataSize::Small)).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk_at(
        &dir.path().join("loopdesk.db"),
        &peer.url(),
        Some(DESK_KEY),
        client_options(),
    )
    .await;
    let before = desk.get_settings().await.unwrap();
    let e = desk
        .save_settings(
            bad.into(),
            None,
            Some(Secret::new("cl_live_other_key_0000")),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::InvalidInput);
    let says = &e.fields.unwrap()["api_base_url"];
    assert!(says.contains("https://"), "{says}");
    assert!(!says.contains("relative URL"), "{says}");
    assert_eq!(
        desk.get_settings().await.unwrap(),
        before,
        "nothing changed"
    );
    let e = desk
        .save_bridge_settings(bad.into(), Some(Secret::new("dev_token_0000")))
        .await
        .unwrap_err();
    let says = &e.fields.unwrap()["bridge_url"];
    assert!(says.contains("https://"), "{says}");
    assert_eq!(
        desk.get_settings().await.unwrap(),
        before,
        "nothing changed"
    );
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_on_this_computer_may_be_plain_http() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = DeskConfig::new(Arc::new(MemorySecretStore::new()));
    cfg.sync = sync_options();
    let desk = Desk::open(store_at(&dir), cfg).await.unwrap();
    for ok in [
        "http://127.0.0.1:9",
        "http://127.45.6.7:9",
        "http://[::1]:9",
        "http://localhost:9",
        "https://api.careloop.example",
    ] {
        let view = desk.save_settings(ok.into(), None, None).await.unwrap();
        assert_eq!(view.api_base_url.as_deref(), Some(ok), "{ok}");
    }
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_token_is_never_sent_to_another_bridge() {
    let recorder = Recorder::start().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecretStore::new());
    let mut cfg = DeskConfig::new(secrets.clone());
    cfg.sync = sync_options();
    let desk = Desk::open(store_at(&dir), cfg).await.unwrap();
    let token = "dev_entered_for_the_first_bridge_1234";
    desk.save_bridge_settings("http://127.0.0.1:9".into(), Some(Secret::new(token)))
        .await
        .unwrap();
    assert!(secrets.get(DEVICE_TOKEN).unwrap().is_some());
    let view = desk
        .save_bridge_settings(recorder.url.clone(), None)
        .await
        .unwrap();
    assert_eq!(view.bridge_url.as_deref(), Some(recorder.url.as_str()));
    assert_eq!(view.device_token_hint, None);
    assert!(secrets.get(DEVICE_TOKEN).unwrap().is_none());
    let feed = desk.alert_feed_status().await.unwrap();
    assert_eq!(feed.state, FeedState::NotConfigured);
    // With a token of its own, the recorder is polled with that token only.
    let mine = "dev_entered_for_the_recorder_5678";
    desk.save_bridge_settings(recorder.url.clone(), Some(Secret::new(mine)))
        .await
        .unwrap();
    crate::alerts::until("a poll of the recorder", || {
        (!recorder.authorizations().is_empty()).then_some(())
    })
    .await;
    desk.shutdown().await;
    let seen = recorder.authorizations();
    assert!(
        seen.iter().all(|a| a == &format!("Bearer {mine}")),
        "{seen:?}"
    );
}

/// A keyring that refuses every change (as a locked keyring does), and reads what it holds.
#[derive(Debug)]
struct LockedKeyring(MemorySecretStore);

impl SecretStore for LockedKeyring {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        self.0.get(name)
    }
    fn set(&self, _: &str, _: &Secret) -> Result<(), SecretError> {
        Err(SecretError::Unavailable("the keyring is locked".into()))
    }
    fn delete(&self, _: &str) -> Result<(), SecretError> {
        Err(SecretError::Unavailable("the keyring is locked".into()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_the_keyring_refuses_changes_nothing_not_even_the_demo() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = DeskConfig::new(Arc::new(LockedKeyring(MemorySecretStore::new())));
    cfg.sync = sync_options();
    cfg.client = client_options();
    // The desk runs on a demo backend (the sandbox with its key in memory).
    cfg.demo = Some(DemoBackend::new(peer.url(), Secret::new(DESK_KEY)));
    let desk = Desk::open(store_at(&dir), cfg).await.unwrap();
    desk.sync_now().await.unwrap();
    let before = desk.get_settings().await.unwrap();
    assert!(before.demo);

    for key in [Some(Secret::new("cl_live_new_key_0000")), None] {
        let e = desk
            .save_settings("https://api.careloop.example".into(), None, key)
            .await
            .unwrap_err();
        assert_eq!(e.code, Code::Internal);
        assert!(e.message.contains("keyring"), "{}", e.message);
        assert_eq!(
            desk.get_settings().await.unwrap(),
            before,
            "nothing changed"
        );
        let status = desk.sync_status().await.unwrap();
        assert!(status.demo, "still on the demo");
        assert_eq!(status.connection, Connection::Online);
        desk.sync_now().await.unwrap();
    }
    let e = desk
        .save_bridge_settings(
            "https://bridge.example.org".into(),
            Some(Secret::new("dev_token_0000")),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::Internal);
    assert_eq!(
        desk.get_settings().await.unwrap(),
        before,
        "nothing changed"
    );
    desk.shutdown().await;
}
