//! Alert commands (the alerts contract) and the OS notification for a raised alert. Behaviour
//! lives in `loopdesk_core::alerts::Alerts` (owned by the desk); these only convert and delegate.
//!
//! The in-app banner is the source of truth: Linux notifications cannot be clicked, and a
//! notification may show on a visitor-facing kiosk, so it names only the kind of alert.

use loopdesk_core::alerts::{AlertEvent, AlertFeedStatus, AlertsView};
use loopdesk_core::desk::SettingsView;
use loopdesk_core::ipc::CommandError;
use loopdesk_core::secret::Secret;
use loopdesk_core::store::repo::alerts::Alert;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_notification::NotificationExt;

use crate::AppState;

#[tauri::command]
pub async fn list_alerts(state: State<'_, AppState>) -> Result<AlertsView, CommandError> {
    state.desk_as("list_alerts").await?.list_alerts().await
}

/// `by`: the name of the staff member acknowledging.
#[tauri::command]
pub async fn acknowledge_alert(
    state: State<'_, AppState>,
    id: i64,
    by: String,
) -> Result<Alert, CommandError> {
    state
        .desk_as("acknowledge_alert")
        .await?
        .acknowledge_alert(id, by)
        .await
}

#[tauri::command]
pub async fn alert_feed_status(
    state: State<'_, AppState>,
) -> Result<AlertFeedStatus, CommandError> {
    state
        .desk_as("alert_feed_status")
        .await?
        .alert_feed_status()
        .await
}

/// Streams [`AlertEvent`]s to the window until it goes away.
#[tauri::command]
pub async fn watch_alerts(
    state: State<'_, AppState>,
    on_event: Channel<AlertEvent>,
) -> Result<(), CommandError> {
    state
        .desk_as("watch_alerts")
        .await?
        .forward_alert_events(move |event| on_event.send(event).is_ok());
    Ok(())
}

/// The token goes straight into a [`Secret`] (never logged) and on to the OS keyring.
#[tauri::command]
pub async fn save_bridge_settings(
    state: State<'_, AppState>,
    bridge_url: String,
    device_token: Option<String>,
) -> Result<SettingsView, CommandError> {
    state
        .desk_as("save_bridge_settings")
        .await?
        .save_bridge_settings(bridge_url, device_token.map(Secret::new))
        .await
}

/// Shows an OS notification for every alert raised while the app runs.
pub fn notify_raised_alerts<R: Runtime>(app: &AppHandle<R>) {
    let Ok(desk) = app.state::<AppState>().desk() else {
        return;
    };
    let app = app.clone();
    let alerts = desk.alerts().clone();
    // `forward_events` spawns on the Tokio runtime Tauri runs.
    tauri::async_runtime::spawn(async move {
        alerts.forward_events(move |event| {
            if let AlertEvent::Raised(alert) = event {
                // A due observation is a banner, not an OS-level alert.
                let Some(body) = loopdesk_core::alerts::compose::os_notification(&alert.kind)
                else {
                    return true;
                };
                let shown = app
                    .notification()
                    .builder()
                    .title("Loopdesk staff alert")
                    .body(body)
                    .show();
                if let Err(e) = shown {
                    tracing::warn!(error = %e, "the OS notification could not be shown");
                }
            }
            true
        });
    });
}
