//! Alerts at the desk: the list, acknowledging, the feed's state and its events. The work is
//! the alerts service's ([`crate::alerts::Alerts`], owned by the desk); these are the commands.

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::alerts::{AlertEvent, AlertFeedStatus, AlertsView};
use crate::ipc::CommandError;
use crate::store::repo::alerts::Alert;

use super::Desk;

impl Desk {
    pub async fn list_alerts(&self) -> Result<AlertsView, CommandError> {
        self.alerts.list_alerts().await
    }

    /// `by`: the name of the staff member acknowledging.
    pub async fn acknowledge_alert(&self, id: i64, by: String) -> Result<Alert, CommandError> {
        self.alerts.acknowledge_alert(id, by).await
    }

    pub async fn alert_feed_status(&self) -> Result<AlertFeedStatus, CommandError> {
        self.alerts.alert_feed_status().await
    }

    /// Streams [`AlertEvent`]s to `send` until it returns `false` or the desk stops.
    pub fn forward_alert_events(
        self: &Arc<Self>,
        send: impl FnMut(AlertEvent) -> bool + Send + 'static,
    ) -> JoinHandle<()> {
        self.alerts.forward_events(send)
    }
}
