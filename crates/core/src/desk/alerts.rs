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

    /// Acknowledged by the unlocked staff member (`by`, a typed name, only while the desk is
    /// being set up).
    pub async fn acknowledge_alert(&self, id: i64, by: String) -> Result<Alert, CommandError> {
        let by = match self.session().await? {
            Some(s) if s.staff_id.is_some() => s.name,
            _ => by,
        };
        self.alerts.acknowledge_alert(id, by).await
    }

    pub async fn alert_feed_status(&self) -> Result<AlertFeedStatus, CommandError> {
        self.alerts.alert_feed_status().await
    }

    /// Streams [`AlertEvent`]s to `send` until it returns `false` or the desk stops. While the
    /// desk is locked to the kiosk an alert goes out without its words and references (the
    /// kiosk shows only that staff alerts are open): nothing private reaches a public screen.
    pub fn forward_alert_events(
        self: &Arc<Self>,
        mut send: impl FnMut(AlertEvent) -> bool + Send + 'static,
    ) -> JoinHandle<()> {
        let desk = Arc::downgrade(self);
        self.alerts.forward_events(move |event| {
            let locked = desk.upgrade().is_none_or(|d| d.is_locked());
            send(if locked { redacted(event) } else { event })
        })
    }
}

/// An alert event as the locked kiosk may see it: its kind and id only.
fn redacted(event: AlertEvent) -> AlertEvent {
    let strip = |a: Alert| Alert {
        key: String::new(),
        event_id: None,
        title: "Staff alert".into(),
        detail: None,
        location_id: None,
        resident_id: None,
        resource_id: None,
        when_at: None,
        acknowledged_by: a.acknowledged_by.as_ref().map(|_| String::new()),
        ..a
    };
    match event {
        AlertEvent::Raised(a) => AlertEvent::Raised(strip(a)),
        AlertEvent::Acknowledged(a) => AlertEvent::Acknowledged(strip(a)),
        feed @ AlertEvent::Feed(_) => feed,
    }
}
