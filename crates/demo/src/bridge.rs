//! The demo's alert bridge: an in-process `loopdesk-bridge` on 127.0.0.1 with its SQLite file in
//! the data folder, a `careloop` endpoint for the demo CareLoop's webhooks and a device whose
//! token lives only in memory (never in the keyring). It can be stopped and started again on the
//! same address and file, to show what a broken feed looks like.
//!
//! The file is kept from one start to the next, with the events it received: the desk's feed
//! cursor stays valid and nothing is fetched twice. The bridge keeps the endpoint's secret but
//! gives it back to no one, and keeps only a hash of a device's token, so each start gives the
//! endpoint a new secret (the old one ends at once) and the desk a new device (the last run's is
//! revoked). The feed is the organisation's, not a device's, so the desk's cursor goes on.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use loopdesk_bridge::{Config, Scheme};
use loopdesk_core::secret::Secret;
use loopdesk_sandbox::WebhookTarget;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The demo bridge's file in the data folder (kept until the demo is reset).
pub const DB_FILE: &str = "demo-bridge.db";
/// The organisation the demo bridge files events under.
pub const ORG: &str = "loopdesk_demo";
/// How often the demo bridge checks that the devices of waiting polls are still allowed.
const REVOCATION_CHECK: Duration = Duration::from_secs(60 * 60);

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
    /// Starts the bridge on `dir/demo-bridge.db` (made when not there) with one `careloop`
    /// endpoint and one device, on `listen` when given and free (else any free port).
    pub async fn start(dir: &Path, listen: Option<SocketAddr>) -> Result<Self, String> {
        let db = dir.join(DB_FILE);
        let (path, secret, token) = {
            let db = db.clone();
            tokio::task::spawn_blocking(move || prepare(&db).map_err(|e| e.to_string()))
                .await
                .map_err(|e| e.to_string())??
        };
        let addr = free_address(listen).await?;
        let url = format!("http://{addr}");
        let bridge = Self {
            addr,
            db,
            running: tokio::sync::Mutex::new(None),
            token: Secret::new(token),
            webhook: WebhookTarget {
                url: format!("{url}{path}"),
                secret,
            },
        };
        bridge.set_running(true).await?;
        Ok(bridge)
    }

    /// The bridge's address, for the desk.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on (also while stopped).
    pub fn addr(&self) -> SocketAddr {
        self.addr
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
        let mut config = Config::new(&self.db);
        // A device is revoked only here, before the bridge starts (the last run's, in
        // `prepare`); nothing revokes the desk's device while it polls. The bridge's check of
        // waiting polls' devices, every second by default, would read the file 86,400 times a
        // day on a kiosk for nothing.
        config.revocation_check = REVOCATION_CHECK;
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

/// Opens (or makes) the bridge file and readies its endpoint and device for this run: the
/// intake path, the endpoint's secret and the device token.
fn prepare(db: &Path) -> loopdesk_bridge::Result<(String, String, String)> {
    let store = loopdesk_bridge::Store::open(db)?;
    let kept = store
        .list_endpoints(Some(ORG))?
        .into_iter()
        .find(|e| e.scheme == Scheme::CareLoop);
    let (path, secret) = match kept {
        // Webhooks the demo CareLoop still has to send are signed with the new secret.
        Some(e) => {
            let r = store.rotate_endpoint_with_grace(&e.endpoint_id, None, Duration::ZERO)?;
            (r.path, r.secret)
        }
        None => {
            let e = store.add_endpoint(ORG, Scheme::CareLoop, None)?;
            (e.path, e.secret)
        }
    };
    for d in store.list_devices(Some(ORG))? {
        if d.revoked_at.is_none() {
            store.revoke_device(&d.device_id)?;
        }
    }
    let device = store.add_device(ORG, "Loopdesk demo desk")?;
    Ok((path, secret, device.token))
}

/// `wanted` when it can be listened on, else any free port on 127.0.0.1.
async fn free_address(wanted: Option<SocketAddr>) -> Result<SocketAddr, String> {
    if let Some(addr) = wanted {
        match TcpListener::bind(addr).await {
            Ok(_) => return Ok(addr),
            Err(e) => tracing::info!(%addr, error = %e, "demo bridge takes another address"),
        }
    }
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("the demo bridge cannot listen: {e}"))?;
    listener
        .local_addr()
        .map_err(|e| format!("the demo bridge has no address: {e}"))
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
