//! Waiting long-polls by device: at most [`crate::Config::max_polls_per_device`] each (a new one
//! replaces the oldest, which is answered at once), and all of a device's ended at once when it
//! is revoked ([`revocation_loop`] notices revocations made by another process, e.g. the CLI).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::locks::lock;
use crate::metrics::Metrics;
use crate::store::EventStore;

/// Why a waiting poll was told to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollEnd {
    /// A newer poll of the same device took its place: answer with an empty page.
    Replaced,
    /// The device was revoked: answer 401.
    Revoked,
}

type Waiters = VecDeque<(u64, oneshot::Sender<PollEnd>)>;

/// The long-polls waiting now, oldest first, by device id.
pub(crate) struct Polls {
    max_per_device: usize,
    next_id: AtomicU64,
    waiting: Mutex<HashMap<String, Waiters>>,
    metrics: Metrics,
}

/// A poll's place among the waiting ones; leaving it (drop) takes it off the list.
pub(crate) struct Waiting<'a> {
    polls: &'a Polls,
    device: String,
    id: u64,
    /// Resolves when the poll must end now.
    pub end: oneshot::Receiver<PollEnd>,
}

impl Polls {
    pub(crate) fn new(max_per_device: usize, metrics: Metrics) -> Self {
        Polls {
            max_per_device: max_per_device.max(1),
            next_id: AtomicU64::new(0),
            waiting: Mutex::new(HashMap::new()),
            metrics,
        }
    }

    /// Adds a waiting poll of `device`; if the device already has as many as allowed, its
    /// oldest is told to end ([`PollEnd::Replaced`]).
    pub(crate) fn wait(&self, device: &str) -> Waiting<'_> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        let mut waiting = lock(&self.waiting);
        let list = waiting.entry(device.to_owned()).or_default();
        while list.len() >= self.max_per_device {
            if let Some((_, oldest)) = list.pop_front() {
                let _ = oldest.send(PollEnd::Replaced);
                self.metrics.long_polls_replaced.inc();
            }
        }
        list.push_back((id, tx));
        Waiting {
            polls: self,
            device: device.to_owned(),
            id,
            end: rx,
        }
    }

    /// The devices with waiting polls.
    pub(crate) fn devices(&self) -> Vec<String> {
        lock(&self.waiting).keys().cloned().collect()
    }

    /// Ends every waiting poll of `device` with [`PollEnd::Revoked`]; returns how many.
    pub(crate) fn revoke(&self, device: &str) -> usize {
        let ended = lock(&self.waiting).remove(device).unwrap_or_default();
        let n = ended.len();
        for (_, tx) in ended {
            self.metrics.long_polls_revoked.inc();
            let _ = tx.send(PollEnd::Revoked);
        }
        n
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut waiting = lock(&self.polls.waiting);
        if let Some(list) = waiting.get_mut(&self.device) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                waiting.remove(&self.device);
            }
        }
    }
}

/// Every `every`, checks that the devices with waiting polls are still allowed, and ends the
/// polls of those that are not (revoked, or gone) with 401. Only devices with waiting polls are
/// looked up, in one query; with none waiting, nothing is.
pub(crate) async fn revocation_loop(
    store: Arc<dyn EventStore>,
    polls: Arc<Polls>,
    every: Duration,
    stop: CancellationToken,
) {
    let every = every.max(Duration::from_millis(10));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let devices = polls.devices();
        if devices.is_empty() {
            continue;
        }
        match store.active_devices(devices.clone()).await {
            Ok(active) => end_revoked(&polls, devices, &active),
            Err(e) => tracing::error!(error = %e, "checking waiting polls' devices failed"),
        }
    }
}

fn end_revoked(polls: &Polls, devices: Vec<String>, active: &HashSet<String>) {
    for device in devices.into_iter().filter(|d| !active.contains(d)) {
        let n = polls.revoke(&device);
        tracing::info!(device = ?device, polls = n, "revoked device's waiting polls ended");
    }
}
