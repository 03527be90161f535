//! The state every request, layer and the webhook worker share ([`AppState`] behind [`S`]),
//! and the helpers handlers use to stamp what they create ([`now`], [`new_id`]). It depends on
//! no handler, layer or the webhook module, so all of them can depend on it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

use super::faults::{self, Faults};
use super::limits::Limiter;
use crate::clock::Clock;
use crate::config::WebhookTarget;
use crate::model::Ts;
use crate::store::Store;

pub type S = Arc<AppState>;

/// One sandbox's state: its data, clock and settings, and what the layers keep between
/// requests.
pub struct AppState {
    pub store: Store,
    pub clock: Clock,
    pub test_controls: bool,
    /// `Idempotency-Key` is honoured (see `SandboxConfig::honour_idempotency_keys`).
    pub honour_idempotency_keys: bool,
    /// The rate limits apply (see `SandboxConfig::rate_limits`).
    pub rate_limits: bool,
    pub time_scale: f64,
    pub no_show_grace: Duration,
    pub targets: Vec<WebhookTarget>,
    pub limiter: Mutex<Limiter>,
    /// Shared with the fault layer, which gets only this.
    pub faults: Arc<Mutex<Faults>>,
    /// Wakes the webhook worker and scanners (new event, clock advanced).
    pub wake: Notify,
    /// Idempotency records being produced, so that a concurrent duplicate is refused. The
    /// idempotency layer looks up a stored record and claims a slot here under this one lock.
    pub(super) inflight: Mutex<HashSet<String>>,
}

impl AppState {
    pub fn new(
        store: Store,
        clock: Clock,
        test_controls: bool,
        time_scale: f64,
        no_show_grace: Duration,
        targets: Vec<WebhookTarget>,
    ) -> Self {
        Self {
            store,
            clock,
            test_controls,
            honour_idempotency_keys: true,
            rate_limits: true,
            time_scale,
            no_show_grace,
            targets,
            limiter: Mutex::default(),
            faults: Arc::default(),
            wake: Notify::new(),
            inflight: Mutex::default(),
        }
    }

    /// A sandbox duration shortened by the time scale.
    pub fn scaled(&self, d: Duration) -> Duration {
        d.div_f64(self.time_scale)
    }

    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        faults::lock(&self.faults)
    }
}

/// Now on the sandbox clock.
pub fn now(s: &AppState) -> Ts {
    s.clock.now()
}

/// A new id: `prefix`, `_` and 16 random hex digits.
pub fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    )
}
