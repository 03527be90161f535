//! The sync bar: status, its events, and "Sync now".

use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::ipc::CommandError;
use crate::sync::{Resource, SyncEvent, SyncStatus};

use super::settings::sync_error;
use super::Desk;

impl Desk {
    pub async fn sync_status(&self) -> Result<SyncStatus, CommandError> {
        self.shared.update_status(|_| {}).await;
        Ok(self.shared.status.borrow().clone())
    }

    /// Events for the sync bar: subscribe, then send [`Desk::sync_status`] first.
    pub fn watch_sync(&self) -> broadcast::Receiver<SyncEvent> {
        self.shared.events.subscribe()
    }

    /// Streams sync events to `send` (the app passes a Tauri channel): the current status
    /// first, then every event, until `send` returns `false` (the window went away) or the desk
    /// stops. A slow receiver that missed events gets the current status again.
    pub fn forward_sync_events(
        self: &Arc<Self>,
        send: impl FnMut(SyncEvent) -> bool + Send + 'static,
    ) -> JoinHandle<()> {
        let desk = self.clone();
        crate::events::forward(
            self.shared.events.subscribe(),
            self.shutdown.clone(),
            move || {
                let desk = desk.clone();
                async move { desk.sync_status().await.ok().map(SyncEvent::Status) }
            },
            send,
        )
    }

    /// A watch of the status (the latest value only), for Rust callers and tests.
    pub fn status_watch(&self) -> tokio::sync::watch::Receiver<SyncStatus> {
        self.shared.status.subscribe()
    }

    pub async fn sync_now(&self) -> Result<(), CommandError> {
        self.engine.sync_now().await.map_err(sync_error)
    }

    /// Asks the engine to pull one resource soon (the alerts poller calls this).
    pub fn request_refresh(&self, resource: Resource) {
        self.engine.request_refresh(resource);
    }
}
