//! The demo's CareLoop: an in-process sandbox on 127.0.0.1 with an admin key that lives only in
//! memory and in the sandbox's own data file. With a data file it can be stopped (requests are
//! then refused, as when the network is down) and restarted on the same address with the same
//! data, and a later start on the same file goes on with that data and key.

use std::net::SocketAddr;
use std::path::PathBuf;

use loopdesk_sandbox::{DataSize, KeySpec, Sandbox, SandboxConfig, SandboxHandle};

/// The demo sandbox, running or stopped.
pub struct DemoSandbox {
    config: SandboxConfig,
    handle: tokio::sync::Mutex<Option<SandboxHandle>>,
    base_url: String,
    key: String,
    made_fresh: bool,
}

impl DemoSandbox {
    /// Starts a sandbox of `size`, sending its webhooks to `webhooks` (then with the test
    /// controls on, which "Send a test alert" uses), keeping its data in `data_file` if given,
    /// on `listen` when given and free (else any free port).
    ///
    /// The admin key is `token`, or, when `token` is `None`, the key kept in `data_file` (a
    /// restart on the same data: the idempotency records of a write sent before are the key's,
    /// so a retry after the restart must come with the same key).
    pub async fn start(
        size: DataSize,
        token: Option<&str>,
        webhooks: Vec<loopdesk_sandbox::WebhookTarget>,
        data_file: Option<PathBuf>,
        listen: Option<SocketAddr>,
    ) -> Result<Self, loopdesk_sandbox::Error> {
        let made_fresh = data_file.as_ref().is_none_or(|f| !f.exists());
        let mut config = SandboxConfig {
            size,
            test_controls: !webhooks.is_empty(),
            webhooks,
            keys: token.map(|t| admin_key(t.to_owned())).into_iter().collect(),
            data_file,
            ..SandboxConfig::default()
        };
        let sandbox = match listen {
            Some(addr) => {
                let mut there = config.clone();
                there.listen = addr;
                match Sandbox::start(there).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::info!(%addr, error = %e, "demo backend takes another address");
                        Sandbox::start(config.clone()).await?
                    }
                }
            }
            None => Sandbox::start(config.clone()).await?,
        };
        let key = sandbox
            .keys()
            .iter()
            .find(|k| k.scopes.iter().any(|s| s == "admin"))
            .map(|k| k.token.clone())
            .ok_or_else(|| {
                loopdesk_sandbox::Error::Config("the demo sandbox has no admin key".into())
            })?;
        tracing::info!(
            base_url = sandbox.base_url(),
            made_fresh,
            "demo backend started"
        );
        // A restart binds the same address with the same key, so the desk's settings stay right.
        config.listen = sandbox.local_addr();
        config.keys = vec![admin_key(key.clone())];
        Ok(Self {
            base_url: sandbox.base_url().to_owned(),
            config,
            handle: tokio::sync::Mutex::new(Some(sandbox)),
            key,
            made_fresh,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address it listens on (also while stopped).
    pub fn addr(&self) -> SocketAddr {
        self.config.listen
    }

    /// The admin key the desk uses.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether its data was made at this start (no data file, or none yet).
    pub fn made_fresh(&self) -> bool {
        self.made_fresh
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

    /// Stops the sandbox for good (in memory or not), waiting until it has.
    pub async fn stop(&self) -> Result<(), loopdesk_sandbox::Error> {
        let h = self.handle.lock().await.take();
        if let Some(h) = h {
            h.shutdown().await?;
            tracing::info!("demo backend stopped");
        }
        Ok(())
    }
}

fn admin_key(token: String) -> KeySpec {
    KeySpec {
        token,
        scopes: vec!["admin".into()],
    }
}
