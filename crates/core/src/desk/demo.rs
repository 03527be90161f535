//! The demo backend (`LOOPDESK_DEMO=1`): an in-process CareLoop sandbox (medium size) with a
//! generated admin key that lives only in memory, so that a new user sees real data on first
//! start without configuring anything. Real settings, once saved, replace it.

use std::sync::Arc;

use loopdesk_sandbox::{DataSize, KeySpec, Sandbox, SandboxConfig};

use super::{settings, DemoBackend};
use crate::secret::Secret;
use crate::store::repo::desk as drepo;
use crate::Store;

/// Whether the person asked for the demo (`LOOPDESK_DEMO=1`).
pub fn requested() -> bool {
    std::env::var("LOOPDESK_DEMO").is_ok_and(|v| v.trim() == "1")
}

/// Starts the demo sandbox when the demo was requested and no real API address is saved.
/// The key is generated here and never written anywhere (not to the keyring, not to SQLite).
pub async fn backend_if_requested(
    store: &Arc<Store>,
) -> Result<Option<DemoBackend>, loopdesk_sandbox::Error> {
    let configured = store
        .read(|c| drepo::get_setting(c, settings::API_BASE_URL))
        .ok()
        .flatten()
        .is_some();
    if !requested() || configured {
        return Ok(None);
    }
    let dir = store
        .path()
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    start_with_alerts(DataSize::Medium, &dir).await.map(Some)
}

/// Starts the demo sandbox and the demo alert bridge (file in `dir`) it sends its webhooks to
/// (see [`crate::alerts::demo`]). Without a bridge the demo still works, without alerts.
pub async fn start_with_alerts(
    size: DataSize,
    dir: &std::path::Path,
) -> Result<DemoBackend, loopdesk_sandbox::Error> {
    let bridge = match crate::alerts::demo::DemoBridge::start(dir).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "demo alert bridge did not start; demo without alerts");
            return start(size).await;
        }
    };
    let mut backend = start_sending_to(size, vec![bridge.webhook.clone()]).await?;
    backend.alerts = Some(bridge.feed(backend.base_url.clone()));
    Ok(backend)
}

/// Starts a sandbox of `size` on 127.0.0.1 (any free port) with a fresh admin key.
pub async fn start(size: DataSize) -> Result<DemoBackend, loopdesk_sandbox::Error> {
    start_sending_to(size, Vec::new()).await
}

/// As [`start`], sending webhooks to `webhooks` (then with the test controls on, which the
/// demo's "Send a test alert" uses).
pub async fn start_sending_to(
    size: DataSize,
    webhooks: Vec<loopdesk_sandbox::WebhookTarget>,
) -> Result<DemoBackend, loopdesk_sandbox::Error> {
    let token = format!("cl_demo_{}", uuid::Uuid::new_v4().simple());
    let sandbox = Sandbox::start(SandboxConfig {
        size,
        test_controls: !webhooks.is_empty(),
        webhooks,
        keys: vec![KeySpec {
            token: token.clone(),
            scopes: vec!["admin".into()],
        }],
        ..SandboxConfig::default()
    })
    .await?;
    tracing::info!(base_url = sandbox.base_url(), "demo backend started");
    let mut backend = DemoBackend::new(sandbox.base_url(), Secret::new(token));
    backend.guard = Some(Box::new(sandbox));
    Ok(backend)
}
