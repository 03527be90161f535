//! The demo's alert feed (`LOOPDESK_DEMO=1`): an in-process `loopdesk-bridge` on 127.0.0.1 with
//! a fresh SQLite file in the data folder, a `careloop` endpoint for the demo CareLoop's webhooks
//! and a device whose token lives only in memory (never in the keyring).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use loopdesk_bridge::{Config, Scheme};
use loopdesk_sandbox::WebhookTarget;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{DemoControl, DemoFeed, DemoFuture};
use crate::secret::Secret;

/// The demo bridge's file in the data folder (replaced at every demo start).
pub const DB_FILE: &str = "demo-bridge.db";
/// The organisation the demo bridge files events under.
pub const ORG: &str = "loopdesk_demo";

/// `LOOPDESK_ALERTS_STALE_SECS`: in the demo only, a shorter "not arriving" threshold, to
/// show (and test) the warning without waiting 90 seconds.
pub fn stale_after_from_env() -> Option<Duration> {
    std::env::var("LOOPDESK_ALERTS_STALE_SECS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s >= 3)
        .map(Duration::from_secs)
}

/// A bridge server that can be stopped and started again on the same address and file.
struct Server {
    addr: SocketAddr,
    db: PathBuf,
    running: tokio::sync::Mutex<Option<(CancellationToken, JoinHandle<()>)>>,
}

impl Server {
    async fn start(&self) -> Result<(), String> {
        let mut running = self.running.lock().await;
        if running.is_some() {
            return Ok(());
        }
        let listener = TcpListener::bind(self.addr)
            .await
            .map_err(|e| format!("the demo bridge cannot listen on {}: {e}", self.addr))?;
        let token = CancellationToken::new();
        let config = Config::new(&self.db);
        let t = token.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = loopdesk_bridge::run(config, listener, t).await {
                tracing::error!(error = %e, "demo bridge stopped with an error");
            }
        });
        *running = Some((token, task));
        tracing::info!(addr = %self.addr, "demo bridge running");
        Ok(())
    }

    async fn stop(&self) {
        let taken = self.running.lock().await.take();
        if let Some((token, task)) = taken {
            token.cancel();
            let _ = task.await;
            tracing::info!(addr = %self.addr, "demo bridge stopped");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(mut r) = self.running.try_lock() {
            if let Some((token, _)) = r.take() {
                token.cancel();
            }
        }
    }
}

/// A running demo bridge, before the sandbox that sends to it exists.
pub struct DemoBridge {
    server: Arc<Server>,
    url: String,
    token: Secret,
    /// Where the demo CareLoop sends its webhooks, with the endpoint's secret.
    pub webhook: WebhookTarget,
}

impl std::fmt::Debug for DemoBridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoBridge")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl DemoBridge {
    /// Starts a bridge with a fresh file `dir/demo-bridge.db`, one `careloop` endpoint and one
    /// device.
    pub async fn start(dir: &Path) -> Result<Self, String> {
        let db = dir.join(DB_FILE);
        for suffix in ["", "-wal", "-shm"] {
            let mut p = db.clone().into_os_string();
            p.push(suffix);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot replace the demo bridge file: {e}")),
            }
        }
        let (endpoint, device) = {
            let db = db.clone();
            tokio::task::spawn_blocking(move || {
                let store = loopdesk_bridge::Store::open(&db).map_err(|e| e.to_string())?;
                let endpoint = store
                    .add_endpoint(ORG, Scheme::CareLoop, None)
                    .map_err(|e| e.to_string())?;
                let device = store
                    .add_device(ORG, "Loopdesk demo desk")
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>((endpoint, device))
            })
            .await
            .map_err(|e| e.to_string())??
        };
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("the demo bridge cannot listen: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("the demo bridge has no address: {e}"))?;
        drop(listener);
        let server = Arc::new(Server {
            addr,
            db,
            running: tokio::sync::Mutex::new(None),
        });
        server.start().await?;
        let url = format!("http://{addr}");
        Ok(Self {
            webhook: WebhookTarget {
                url: format!("{url}{}", endpoint.path),
                secret: endpoint.secret,
            },
            server,
            url,
            token: Secret::new(device.token),
        })
    }

    /// The feed for the desk, with the demo CareLoop at `sandbox_url` (test controls on) as the
    /// way to trigger events.
    pub fn feed(self, sandbox_url: String) -> DemoFeed {
        DemoFeed {
            bridge_url: self.url,
            token: self.token,
            control: Arc::new(Control {
                server: self.server,
                sandbox_url,
                client: reqwest::Client::new(),
            }),
            stale_after: stale_after_from_env(),
        }
    }
}

struct Control {
    server: Arc<Server>,
    sandbox_url: String,
    client: reqwest::Client,
}

impl DemoControl for Control {
    fn trigger(&self, kind: &str) -> DemoFuture<'_> {
        let kind = kind.to_owned();
        Box::pin(async move {
            let r = self
                .client
                .post(format!("{}/v1/_test/events", self.sandbox_url))
                .json(&serde_json::json!({ "type": kind }))
                .send()
                .await
                .map_err(|e| format!("the demo CareLoop cannot be reached ({e})"))?;
            if r.status().is_success() {
                Ok(())
            } else {
                Err(format!("the demo CareLoop answered {}", r.status()))
            }
        })
    }

    fn set_bridge_running(&self, running: bool) -> DemoFuture<'_> {
        Box::pin(async move {
            if running {
                self.server.start().await
            } else {
                self.server.stop().await;
                Ok(())
            }
        })
    }
}
