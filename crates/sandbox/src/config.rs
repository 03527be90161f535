//! What a sandbox is started with: the data size, the keys, the webhook targets and the rest of
//! [`SandboxConfig`] (the binary's flags), with the parsers for the `--size` and `--key` values.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};

/// How much data the generator makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataSize {
    /// 1 home, 40 residents.
    #[default]
    Small,
    /// 3 homes, 300 residents.
    Medium,
    /// 10 homes, 2,000 residents, 20,000 visits.
    Large,
}

impl FromStr for DataSize {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "small" => Ok(Self::Small),
            "medium" => Ok(Self::Medium),
            "large" => Ok(Self::Large),
            other => Err(Error::Config(format!(
                "size must be small, medium or large, not {other:?}"
            ))),
        }
    }
}

/// An API key to create: `TOKEN=SCOPE,SCOPE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    pub token: String,
    pub scopes: Vec<String>,
}

impl FromStr for KeySpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (token, scopes) = s
            .split_once('=')
            .ok_or_else(|| Error::Config(format!("key must look like TOKEN=SCOPE,SCOPE: {s:?}")))?;
        let scopes = scopes
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty());
        Ok(Self {
            token: token.trim().to_string(),
            scopes: scopes.collect(),
        })
    }
}

/// Where to deliver webhooks, and the secret to sign them with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub url: String,
    pub secret: String,
}

/// Sandbox configuration (the binary's flags).
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address `Sandbox::start` binds (port 0: any free port). `run` takes a listener instead.
    pub listen: SocketAddr,
    pub seed: u64,
    pub size: DataSize,
    /// Keys to accept. Empty: reuse the keys stored in `data_file`, or create one admin key.
    pub keys: Vec<KeySpec>,
    pub webhooks: Vec<WebhookTarget>,
    /// Divides the webhook retry schedule and the no-show grace period (must be > 0).
    pub time_scale: f64,
    /// Keep state in this SQLite file across restarts (in memory when `None`).
    pub data_file: Option<PathBuf>,
    /// Serve `/v1/_test/*` (never without this).
    pub test_controls: bool,
    /// How long after `starts_at` a scheduled, unconfirmed visit becomes a no-show
    /// (sandbox time; divided by `time_scale`).
    pub no_show_grace: Duration,
    /// Honour `Idempotency-Key` (an extension CareLoop's document does not promise). `false`
    /// behaves as an API without it: every request is processed, a repeated one creates again.
    pub honour_idempotency_keys: bool,
    /// Apply the documented rate limits (120 requests per minute and 30 in any 5 s per key).
    /// `false` lifts them, for conformance runs that send many requests with one key.
    pub rate_limits: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: 42,
            size: DataSize::Small,
            keys: Vec::new(),
            webhooks: Vec::new(),
            time_scale: 1.0,
            data_file: None,
            test_controls: false,
            no_show_grace: Duration::from_secs(15 * 60),
            honour_idempotency_keys: true,
            rate_limits: true,
        }
    }
}
