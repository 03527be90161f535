//! `loopdesk-sandbox`: a faithful local implementation of the CareLoop REST API and its signed
//! webhooks, for demos and tests. See `README.md` and `MODEL.md`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), loopdesk_sandbox::Error> {
//! use loopdesk_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! println!("{} {}", sandbox.base_url(), sandbox.keys()[0].token);
//! sandbox.shutdown().await?;
//! # Ok(()) }
//! ```

pub mod clock;
mod config;
mod conn;
mod error;
pub mod gen;
pub mod http;
pub mod model;
pub mod store;
pub mod webhooks;

pub use config::{DataSize, KeySpec, SandboxConfig, WebhookTarget};
pub use error::{Error, Result};

use std::net::SocketAddr;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::conn::{ConnInfo, KillableListener};
use crate::http::state::{AppState, S};
use crate::store::{ApiKey, Store};

/// A key as printed on start and returned by [`SandboxHandle::keys`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key id the audit log shows (`key_…`).
    #[serde(skip)]
    pub id: String,
    pub token: String,
    pub scopes: Vec<String>,
}

struct Prepared {
    state: S,
    keys: Vec<KeyInfo>,
    org_id: String,
}

fn key_id(token: &str) -> String {
    format!(
        "key_{}",
        &hex::encode(Sha256::digest(token.as_bytes()))[..16]
    )
}

fn prepare(config: &SandboxConfig) -> Result<Prepared> {
    // reqwest is built without a default crypto provider; install ring once per process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    if !(config.time_scale.is_finite() && config.time_scale > 0.0) {
        return Err(Error::Config("time scale must be a positive number".into()));
    }
    let known: Vec<&str> = http::SCOPES.iter().map(|s| s.0).collect();
    for k in &config.keys {
        if k.token.is_empty() {
            return Err(Error::Config("a key's token must not be empty".into()));
        }
        if let Some(bad) = k.scopes.iter().find(|s| !known.contains(&s.as_str())) {
            return Err(Error::Config(format!(
                "unknown scope {bad:?}; known scopes: {}",
                known.join(", ")
            )));
        }
    }
    for w in &config.webhooks {
        let url = reqwest::Url::parse(&w.url)
            .map_err(|e| Error::Config(format!("webhook URL {:?}: {e}", w.url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "webhook URL {:?} must be http or https",
                w.url
            )));
        }
        if w.secret.is_empty() {
            return Err(Error::Config("a webhook secret must not be empty".into()));
        }
    }
    let clock = Clock::new();
    let now = clock.now();
    let fresh = || gen::generate(config.seed, config.size, now);
    let store = match &config.data_file {
        Some(path) => Store::open(path, fresh)?.0,
        None => Store::in_memory(fresh()),
    };
    let stored_keys = store.read(|db| db.meta.keys.clone());
    let keys: Vec<ApiKey> = if !config.keys.is_empty() {
        config
            .keys
            .iter()
            .map(|k| ApiKey {
                id: key_id(&k.token),
                token: k.token.clone(),
                scopes: k.scopes.clone(),
                // A key keeps its age across restarts.
                created_at: stored_keys
                    .iter()
                    .find(|s| s.token == k.token)
                    .and_then(|s| s.created_at)
                    .or(Some(now)),
            })
            .collect()
    } else if !stored_keys.is_empty() {
        stored_keys.clone()
    } else {
        let token = format!("cl_test_{}", uuid::Uuid::new_v4().simple());
        vec![ApiKey {
            id: key_id(&token),
            token,
            scopes: vec!["admin".into()],
            created_at: Some(now),
        }]
    };
    if keys != stored_keys {
        store.set_keys(keys.clone())?;
    }
    let org_id = store.read(|db| db.meta.org_id.clone());
    let mut state = AppState::new(
        store,
        clock,
        config.test_controls,
        config.time_scale,
        config.no_show_grace,
        config.webhooks.clone(),
    );
    state.honour_idempotency_keys = config.honour_idempotency_keys;
    state.rate_limits = config.rate_limits;
    let state = Arc::new(state);
    let keys = keys
        .into_iter()
        .map(|k| KeyInfo {
            id: k.id,
            token: k.token,
            scopes: k.scopes,
        })
        .collect();
    Ok(Prepared {
        state,
        keys,
        org_id,
    })
}

async fn serve(state: S, listener: TcpListener, shutdown: CancellationToken) -> Result<()> {
    let worker = tokio::spawn(webhooks::worker(state.clone(), shutdown.clone()));
    let app = http::router(state).into_make_service_with_connect_info::<ConnInfo>();
    let served = axum::serve(KillableListener(listener), app)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await;
    shutdown.cancel();
    let _ = worker.await;
    served.map_err(Error::from)
}

/// Serves the sandbox on `listener` until `shutdown` is cancelled.
pub async fn run(
    config: SandboxConfig,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<()> {
    let p = prepare(&config)?;
    serve(p.state, listener, shutdown).await
}

/// Starts sandboxes in-process.
pub struct Sandbox;

impl Sandbox {
    /// Binds `config.listen`, prepares the data and serves in a background task.
    pub async fn start(config: SandboxConfig) -> Result<SandboxHandle> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let p = prepare(&config)?;
        let token = CancellationToken::new();
        let task = tokio::spawn(serve(p.state, listener, token.clone()));
        Ok(SandboxHandle {
            base_url: format!("http://{addr}"),
            addr,
            keys: p.keys,
            org_id: p.org_id,
            token,
            task: Some(task),
        })
    }
}

/// A running sandbox. Dropping it stops the server too; `shutdown` waits for it.
pub struct SandboxHandle {
    base_url: String,
    addr: SocketAddr,
    keys: Vec<KeyInfo>,
    org_id: String,
    token: CancellationToken,
    task: Option<JoinHandle<Result<()>>>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:<port>` (the API is under `/v1`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The keys the sandbox accepts.
    pub fn keys(&self) -> &[KeyInfo] {
        &self.keys
    }

    /// The organisation id (`org_…`) used in webhook events.
    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// Stops accepting requests, finishes the ones in flight and stops the webhook worker.
    pub async fn shutdown(mut self) -> Result<()> {
        self.token.cancel();
        match self.task.take() {
            Some(task) => task.await.map_err(|e| Error::Task(e.to_string()))?,
            None => Ok(()),
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.token.cancel();
    }
}
