//! The demo's CareLoop: an in-process sandbox on 127.0.0.1 with a generated admin key that lives
//! only in memory. With a data file it can be stopped (requests are then refused, as when the
//! network is down) and restarted on the same address with the same data.

use loopdesk_sandbox::{DataSize, KeySpec, Sandbox, SandboxConfig, SandboxHandle};

/// The demo sandbox, running or stopped.
pub struct DemoSandbox {
    config: SandboxConfig,
    handle: tokio::sync::Mutex<Option<SandboxHandle>>,
    base_url: String,
}

impl DemoSandbox {
    /// Starts a sandbox of `size` with the admin key `token`, sending its webhooks to
    /// `webhooks` (then with the test controls on, which "Send a test alert" uses), keeping its
    /// data in `data_file` if given.
    pub async fn start(
        size: DataSize,
        token: &str,
        webhooks: Vec<loopdesk_sandbox::WebhookTarget>,
        data_file: Option<std::path::PathBuf>,
    ) -> Result<Self, loopdesk_sandbox::Error> {
        let mut config = SandboxConfig {
            size,
            test_controls: !webhooks.is_empty(),
            webhooks,
            keys: vec![KeySpec {
                token: token.to_owned(),
                scopes: vec!["admin".into()],
            }],
            data_file,
            ..SandboxConfig::default()
        };
        let sandbox = Sandbox::start(config.clone()).await?;
        tracing::info!(base_url = sandbox.base_url(), "demo backend started");
        // A restart binds the same address, so the desk's settings stay right.
        config.listen = sandbox.local_addr();
        Ok(Self {
            base_url: sandbox.base_url().to_owned(),
            config,
            handle: tokio::sync::Mutex::new(Some(sandbox)),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Stops (`false`) or restarts (`true`) the sandbox; asking for the state it is in does
    /// nothing. Only a sandbox with a data file can be restarted (the data would be lost).
    pub async fn set_running(&self, running: bool) -> Result<(), loopdesk_sandbox::Error> {
        let mut handle = self.handle.lock().await;
        if running == handle.is_some() {
            return Ok(());
        }
        if self.config.data_file.is_none() {
            return Err(loopdesk_sandbox::Error::Config(
                "this demo sandbox keeps its data in memory and cannot be stopped and restarted"
                    .into(),
            ));
        }
        if running {
            let started = Sandbox::start(self.config.clone()).await?;
            tracing::info!(base_url = started.base_url(), "demo backend restarted");
            *handle = Some(started);
        } else if let Some(h) = handle.take() {
            h.shutdown().await?;
            tracing::info!("demo backend stopped");
        }
        Ok(())
    }
}
