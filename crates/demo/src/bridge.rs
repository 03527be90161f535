//! The demo's alert bridge: an in-process `loopdesk-bridge` on 127.0.0.1 with a fresh SQLite
//! file in the data folder, a `careloop` endpoint for the demo CareLoop's webhooks and a device
//! whose token lives only in memory (never in the keyring). It can be stopped and started again
//! on the same address and file, to show what a broken feed looks like.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use loopdesk_bridge::{Config, Scheme};
use loopdesk_core::secret::Secret;
use loopdesk_sandbox::WebhookTarget;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The demo bridge's file in the data folder (replaced at every demo start).
pub const DB_FILE: &str = "demo-bridge.db";
/// The organisation the demo bridge files events under.
pub const ORG: &str = "loopdesk_demo";

/// A running demo bridge.
pub struct DemoBridge {
    addr: SocketAddr,
    db: PathBuf,
    running: tokio::sync::Mutex<Option<(CancellationToken, JoinHandle<()>)>>,
    /// The desk's device token.
    pub token: Secret,
    /// Where the demo CareLoop sends its webhooks, with the endpoint's secret.
    pub webhook: WebhookTarget,
}

impl std::fmt::Debug for DemoBridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoBridge")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl DemoBridge {
    /// Starts a bridge with a fresh file `dir/demo-bridge.db`, one `careloop` endpoint and one
    /// device.
    pub async fn start(dir: &Path) -> Result<Self, String> {
        let db = dir.join(DB_FILE);
        crate::remove_with_wal(&db)
            .map_err(|e| format!("cannot replace the demo bridge file: {e}"))?;
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
        let url = format!("http://{addr}");
        let bridge = Self {
            addr,
            db,
            running: tokio::sync::Mutex::new(None),
            token: Secret::new(device.token),
            webhook: WebhookTarget {
                url: format!("{url}{}", endpoint.path),
                secret: endpoint.secret,
            },
        };
        bridge.set_running(true).await?;
        Ok(bridge)
    }

    /// The bridge's address, for the desk.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts (`true`) or stops (`false`) the bridge, on the same address and file.
    pub async fn set_running(&self, running: bool) -> Result<(), String> {
        let mut current = self.running.lock().await;
        if running == current.is_some() {
            return Ok(());
        }
        if let Some((token, task)) = current.take() {
            token.cancel();
            let _ = task.await;
            tracing::info!(addr = %self.addr, "demo bridge stopped");
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
        *current = Some((token, task));
        tracing::info!(addr = %self.addr, "demo bridge running");
        Ok(())
    }
}

impl Drop for DemoBridge {
    fn drop(&mut self) {
        if let Ok(mut r) = self.running.try_lock() {
            if let Some((token, _)) = r.take() {
                token.cancel();
            }
        }
    }
}
