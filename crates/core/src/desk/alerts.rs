//! Alerts at the desk: the list, acknowledging, the feed's state and its events. The work is
//! the alerts service's ([`crate::alerts::Alerts`], owned by the desk); these are the commands.
//!
//! An alert's words name the resident and their room, and what happened: for a shift lead or a
//! manager. A receptionist sees what kind of alert it is and who it is about by their public
//! name ("Missed visit: Maggie W.", to fetch a shift lead); the locked kiosk only that staff
//! alerts are open.

use std::sync::Arc;

use tokio::task::JoinHandle;

use rusqlite::Connection;

use crate::alerts::compose::{INCIDENT_CRITICAL, VISIT_NO_SHOW};
use crate::alerts::{AlertEvent, AlertFeedStatus, AlertsView};
use crate::ipc::CommandError;
use crate::store::repo::alerts::Alert;
use crate::store::repo::people;

use super::Desk;

impl Desk {
    /// Open and recent alerts; below a shift lead, in their public words ([`public_alert`]).
    pub async fn list_alerts(&self) -> Result<AlertsView, CommandError> {
        let view = self.alerts.list_alerts().await?;
        if self.sees_private() {
            return Ok(view);
        }
        self.read(move |c| {
            Ok(AlertsView {
                open: public_alerts(c, view.open)?,
                recent: public_alerts(c, view.recent)?,
            })
        })
        .await
    }

    /// Acknowledged by the unlocked staff member (`by`, a typed name, only while the desk is
    /// being set up).
    pub async fn acknowledge_alert(&self, id: i64, by: String) -> Result<Alert, CommandError> {
        let by = match self.session().await? {
            Some(s) if s.staff_id.is_some() => s.name,
            _ => by,
        };
        let alert = self.alerts.acknowledge_alert(id, by).await?;
        if self.sees_private() {
            return Ok(alert);
        }
        self.read(move |c| public_alert(c, alert)).await
    }

    pub async fn alert_feed_status(&self) -> Result<AlertFeedStatus, CommandError> {
        self.alerts.alert_feed_status().await
    }

    /// Streams [`AlertEvent`]s to `send` until it returns `false` or the desk stops. Unless a
    /// shift lead or a manager has unlocked the desk, an alert goes out without its words and
    /// references (the kiosk shows only that staff alerts are open; a receptionist's list then
    /// says more, [`Desk::list_alerts`]): nothing private reaches a public screen.
    pub fn forward_alert_events(
        self: &Arc<Self>,
        mut send: impl FnMut(AlertEvent) -> bool + Send + 'static,
    ) -> JoinHandle<()> {
        let desk = Arc::downgrade(self);
        self.alerts.forward_events(move |event| {
            let private = desk.upgrade().is_some_and(|d| d.sees_private());
            send(if private { event } else { redacted(event) })
        })
    }
}

fn public_alerts(c: &Connection, alerts: Vec<Alert>) -> crate::store::Result<Vec<Alert>> {
    alerts.into_iter().map(|a| public_alert(c, a)).collect()
}

/// An alert as a receptionist may see it: its kind, the resident's public name ("Maggie W."),
/// when it was raised and acknowledged; not the room, what happened, the place or the
/// references.
fn public_alert(c: &Connection, alert: Alert) -> crate::store::Result<Alert> {
    let who = match &alert.resident_id {
        Some(id) => people::resident_public_name(c, id)?,
        None => None,
    };
    let what = match alert.kind.as_str() {
        INCIDENT_CRITICAL => "Critical incident",
        VISIT_NO_SHOW => "Missed visit",
        crate::alerts::compose::OBSERVATION_DUE => "Observation due",
        crate::alerts::compose::SAFEGUARDING_NOTICE => "Safeguarding notice",
        _ => "Staff alert",
    };
    Ok(Alert {
        key: String::new(),
        event_id: None,
        title: match who {
            Some(who) => format!("{what}: {who}"),
            None => what.to_owned(),
        },
        detail: Some("A shift lead or a manager can see what happened: tell one now.".into()),
        location_id: None,
        resident_id: None,
        resource_id: None,
        when_at: None,
        ..alert
    })
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
