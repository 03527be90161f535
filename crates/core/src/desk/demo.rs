//! The demo backend (`LOOPDESK_DEMO=1`): an in-process CareLoop sandbox (medium size) with a
//! generated admin key that lives only in memory, so that a new user sees real data on first
//! start without configuring anything. Real settings, once saved, replace it.

use std::sync::Arc;

use loopdesk_sandbox::{DataSize, KeySpec, Sandbox, SandboxConfig, SandboxHandle};
use serde::Serialize;

use super::{settings, DemoBackend, Desk};
use crate::api::{ApiClient, ListQuery};
use crate::ipc::{Code, CommandError};
use crate::secret::Secret;
use crate::store::repo;
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
        .read(|c| repo::settings::get_setting(c, settings::API_BASE_URL))
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
            return start_in(size, Vec::new(), Some(data_file(dir)?)).await;
        }
    };
    let mut backend = start_in(size, vec![bridge.webhook.clone()], Some(data_file(dir)?)).await?;
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
    start_in(size, webhooks, None).await
}

/// The demo sandbox's data file in `dir`, removed first: every launch is a fresh demo (the
/// data is generated around today), and the file only keeps it across a stop and restart.
fn data_file(dir: &std::path::Path) -> Result<std::path::PathBuf, loopdesk_sandbox::Error> {
    let path = dir.join("demo-sandbox.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(path)
}

/// As [`start_sending_to`], keeping the sandbox's data in `data_file` (then it can be stopped
/// and restarted with the same data: [`DemoSandbox::set_running`]).
pub async fn start_in(
    size: DataSize,
    webhooks: Vec<loopdesk_sandbox::WebhookTarget>,
    data_file: Option<std::path::PathBuf>,
) -> Result<DemoBackend, loopdesk_sandbox::Error> {
    let token = format!("cl_demo_{}", uuid::Uuid::new_v4().simple());
    let mut config = SandboxConfig {
        size,
        test_controls: !webhooks.is_empty(),
        webhooks,
        keys: vec![KeySpec {
            token: token.clone(),
            scopes: vec!["admin".into()],
        }],
        data_file,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config.clone()).await?;
    tracing::info!(base_url = sandbox.base_url(), "demo backend started");
    let mut backend = DemoBackend::new(sandbox.base_url(), Secret::new(token));
    // A restart binds the same address, so the desk's settings stay right.
    config.listen = sandbox.local_addr();
    backend.guard = Some(Box::new(DemoSandbox {
        inner: Arc::new(tokio::sync::Mutex::new(Running {
            config,
            handle: Some(sandbox),
        })),
    }));
    Ok(backend)
}

/// The demo's sandbox, which the demo can stop (requests are then refused, as when the
/// network is down) and restart on the same address with the same data.
#[derive(Clone)]
pub struct DemoSandbox {
    inner: Arc<tokio::sync::Mutex<Running>>,
}

struct Running {
    config: SandboxConfig,
    handle: Option<SandboxHandle>,
}

impl DemoSandbox {
    /// Stops (`false`) or restarts (`true`) the sandbox; asking for the state it is in does
    /// nothing. Only a sandbox with a data file can be restarted (the data would be lost).
    pub async fn set_running(&self, running: bool) -> Result<(), loopdesk_sandbox::Error> {
        let mut inner = self.inner.lock().await;
        if running == inner.handle.is_some() {
            return Ok(());
        }
        if inner.config.data_file.is_none() {
            return Err(loopdesk_sandbox::Error::Config(
                "this demo sandbox keeps its data in memory and cannot be stopped and restarted"
                    .into(),
            ));
        }
        if running {
            let handle = Sandbox::start(inner.config.clone()).await?;
            tracing::info!(base_url = handle.base_url(), "demo backend restarted");
            inner.handle = Some(handle);
        } else if let Some(handle) = inner.handle.take() {
            handle.shutdown().await?;
            tracing::info!("demo backend stopped");
        }
        Ok(())
    }
}

/// A visit as the demo CareLoop has it (what the window tests check after a sync).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerVisit {
    pub id: String,
    pub status: String,
    /// How many changes (PATCH requests answered with success) the server logged for it.
    pub changes: u64,
}

fn demo_only() -> CommandError {
    CommandError::new(
        Code::InvalidInput,
        "This is only available in the demo (LOOPDESK_DEMO=1).",
    )
}

fn unavailable(e: impl std::fmt::Display) -> CommandError {
    tracing::warn!(error = %e, "demo sandbox request failed");
    CommandError::new(
        Code::Unavailable,
        format!("The demo CareLoop did not answer: {e}"),
    )
}

impl Desk {
    fn demo_sandbox(&self) -> Result<(DemoSandbox, String, Secret), CommandError> {
        let demo = self.demo.lock().unwrap_or_else(|p| p.into_inner());
        let backend = demo.as_ref().ok_or_else(demo_only)?;
        let sandbox = backend
            .guard
            .as_ref()
            .and_then(|g| g.downcast_ref::<DemoSandbox>())
            .ok_or_else(demo_only)?
            .clone();
        let key = backend.key().ok_or_else(demo_only)?;
        Ok((sandbox, backend.base_url.clone(), key))
    }

    /// Demo only: stops or restarts the demo sandbox (same address, same data), to show the
    /// desk working offline (the window tests use it).
    pub async fn set_demo_sandbox_running(&self, running: bool) -> Result<(), CommandError> {
        let (sandbox, _, _) = self.demo_sandbox()?;
        sandbox
            .set_running(running)
            .await
            .map_err(|e| CommandError::new(Code::Unavailable, e.to_string()))
    }

    /// Demo only: the visit `id` as the demo CareLoop has it, and how many changes it logged.
    pub async fn demo_server_visit(&self, id: String) -> Result<ServerVisit, CommandError> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(CommandError::invalid_fields(
                "Give a visit id",
                [("id".to_owned(), "Give a visit id (vis_…)".to_owned())],
            ));
        }
        let (_, base_url, key) = self.demo_sandbox()?;
        let client = ApiClient::new(
            &base_url,
            key,
            self.shared.gate.clone(),
            self.shared.client_options.clone(),
        )
        .map_err(unavailable)?;
        let visit = client
            .get::<serde_json::Value>(&format!("/v1/visits/{id}"))
            .await
            .map_err(unavailable)?
            .body;
        let status = visit
            .get("status")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let query = ListQuery {
            page: 1,
            page_size: 100,
            filters: vec![
                ("resource_type".into(), "visit".into()),
                ("resource_id".into(), id.clone()),
                ("method".into(), "PATCH".into()),
            ],
            ..ListQuery::default()
        };
        let log = client
            .list("/v1/audit-log", &query)
            .await
            .map_err(unavailable)?
            .body;
        let changes = log
            .data
            .iter()
            .filter(|e| {
                e.get("status")
                    .and_then(serde_json::Value::as_u64)
                    .is_some_and(|s| (200..300).contains(&s))
            })
            .count() as u64;
        Ok(ServerVisit {
            id,
            status,
            changes,
        })
    }
}
