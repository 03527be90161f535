//! The test peer: a real loopdesk-sandbox on 127.0.0.1, a desk key and an inspector key (the
//! sandbox rate-limits per key, so the test's own look-ups never use the desk's allowance), and
//! desks over real SQLite files.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use loopdesk_core::api::ClientOptions;
use loopdesk_core::desk::{settings, Desk, DeskConfig};
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::store::repo;
use loopdesk_core::sync::SyncOptions;
use loopdesk_core::Store;
use loopdesk_sandbox::{DataSize, KeySpec, SandboxConfig, SandboxHandle};
use serde_json::{json, Value};

pub const DESK_KEY: &str = "cl_test_desk_0123456789abcdef4f9e";
pub const INSPECTOR_KEY: &str = "cl_test_inspector_0123456789abcdef";

pub fn keys(desk_scopes: &[&str]) -> Vec<KeySpec> {
    vec![
        KeySpec {
            token: DESK_KEY.into(),
            scopes: desk_scopes.iter().map(|s| s.to_string()).collect(),
        },
        KeySpec {
            token: INSPECTOR_KEY.into(),
            scopes: vec!["admin".into()],
        },
    ]
}

pub fn config(size: DataSize) -> SandboxConfig {
    SandboxConfig {
        size,
        keys: keys(&["admin"]),
        test_controls: true,
        ..SandboxConfig::default()
    }
}

/// A running sandbox and an HTTP client for looking at it.
pub struct Peer {
    pub sandbox: Option<SandboxHandle>,
    base: String,
    pub http: reqwest::Client,
}

impl Peer {
    pub async fn start(config: SandboxConfig) -> Self {
        let sandbox = loopdesk_sandbox::Sandbox::start(config).await.unwrap();
        let mut peer = Self::attach_url(sandbox.base_url());
        peer.sandbox = Some(sandbox);
        peer
    }

    /// A sandbox served elsewhere in the test (`loopdesk_sandbox::run`).
    pub fn attach_url(url: &str) -> Self {
        loopdesk_core::api::install_tls_provider();
        Self {
            sandbox: None,
            base: url.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self) -> String {
        self.base.clone()
    }

    /// The id the audit log shows for the desk key (the sandbox's rule).
    pub fn desk_key_id(&self) -> String {
        use sha2::Digest;
        format!(
            "key_{}",
            &hex::encode(sha2::Sha256::digest(DESK_KEY.as_bytes()))[..16]
        )
    }

    /// GET with the inspector key; retries the inspector's own 429s.
    pub async fn get(&self, path: &str) -> Value {
        loop {
            let resp = self
                .http
                .get(format!("{}{path}", self.url()))
                .bearer_auth(INSPECTOR_KEY)
                .send()
                .await
                .unwrap();
            if resp.status() == 429 {
                // Only the test's own look-ups get here (the desk has its own key): clear the
                // windows rather than wait.
                self.control(reqwest::Method::POST, "rate-limits/reset", json!({}))
                    .await;
                continue;
            }
            assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
            return resp.json().await.unwrap();
        }
    }

    /// Every item of a list (all pages), with the inspector key.
    pub async fn all(&self, path: &str, query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for page in 1.. {
            let sep = if query.is_empty() { "" } else { "&" };
            let v = self
                .get(&format!("{path}?page={page}&page_size=100{sep}{query}"))
                .await;
            let data = v["data"].as_array().unwrap().clone();
            let total = v["meta"]["total"].as_u64().unwrap() as usize;
            out.extend(data);
            if out.len() >= total || v["data"].as_array().unwrap().is_empty() {
                break;
            }
        }
        out
    }

    pub async fn total(&self, path: &str, query: &str) -> u64 {
        let v = self.get(&format!("{path}?page_size=1&{query}")).await;
        v["meta"]["total"].as_u64().unwrap()
    }

    /// A write with the inspector key (as another CareLoop user would make).
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.url()))
            .bearer_auth(INSPECTOR_KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// A test control (`/v1/_test/...`), with the inspector key (they need an admin key).
    pub async fn control(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .request(method, format!("{}/v1/_test/{path}", self.url()))
            .bearer_auth(INSPECTOR_KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success(),
            "control {path}: {}",
            resp.status()
        );
        resp.json().await.unwrap()
    }

    /// The desk key's requests, oldest first (the audit log is newest first).
    pub async fn desk_requests(&self) -> Vec<Value> {
        let key = self.desk_key_id();
        let mut all = self.all("/v1/audit-log", &format!("key_id={key}")).await;
        all.reverse();
        all
    }
}

/// Sync options for tests: no periodic cycle (tests call `sync_now`), windows wide enough to
/// hold all generated visits and incidents.
pub fn sync_options() -> SyncOptions {
    SyncOptions {
        interval: None,
        push_on_write: false,
        visits_back: chrono::TimeDelta::days(3650),
        visits_ahead: chrono::TimeDelta::days(3650),
        incidents_back: chrono::TimeDelta::days(3650),
        ..SyncOptions::default()
    }
}

pub fn client_options() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
        retries: 3,
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
    }
}

/// Opens (or reopens) a desk over the SQLite file at `db`, talking to `url` with `key`.
pub async fn desk_at(db: &Path, url: &str, key: Option<&str>, client: ClientOptions) -> Arc<Desk> {
    desk_syncing(db, url, key, client, sync_options()).await
}

/// As [`desk_at`], syncing with `sync`.
pub async fn desk_syncing(
    db: &Path,
    url: &str,
    key: Option<&str>,
    client: ClientOptions,
    sync: SyncOptions,
) -> Arc<Desk> {
    let store = Arc::new(Store::open(db).unwrap());
    let url = url.to_owned();
    store
        .write(|tx| repo::settings::set_setting(tx, settings::API_BASE_URL, &url))
        .unwrap();
    let secrets = match key {
        Some(k) => MemorySecretStore::with_api_key(Secret::new(k)),
        None => MemorySecretStore::new(),
    };
    let mut config = DeskConfig::new(Arc::new(secrets));
    config.sync = sync;
    config.client = client;
    Desk::open(store, config).await.unwrap()
}

/// A fresh desk in its own folder, synced with `peer`'s desk key.
pub struct TestDesk {
    pub desk: Arc<Desk>,
    pub dir: tempfile::TempDir,
}

impl TestDesk {
    pub async fn new(peer: &Peer) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let desk = desk_at(
            &dir.path().join("loopdesk.db"),
            &peer.url(),
            Some(DESK_KEY),
            client_options(),
        )
        .await;
        Self { desk, dir }
    }

    pub fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("loopdesk.db")
    }
}

/// Asserts that every field the desk keeps equals the server's.
pub fn assert_same_fields(what: &str, local: &Value, server: &Value) {
    let local = local.as_object().unwrap();
    for (k, v) in local {
        if v.is_null() && server.get(k).is_none() {
            continue;
        }
        assert_eq!(Some(v), server.get(k), "{what}: field {k} differs");
    }
}

/// A marker text unique to this test run.
pub fn marker(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

pub fn json_of<T: serde::Serialize>(t: &T) -> Value {
    json!(t)
}
