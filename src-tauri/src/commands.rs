//! Commands the UI invokes. Each converts types and delegates; behaviour lives in core
//! (`loopdesk_core::desk::Desk`, one method per command of the same name).

use loopdesk_core::desk::{
    AttentionEntry, CareNoteView, ConnectionTest, DeskSummary, ResidentDetail, ScheduleVisit,
    SettingsView, VisitView,
};
use loopdesk_core::ipc::{AppInfo, CommandError, StartupState};
use loopdesk_core::secret::Secret;
use loopdesk_core::store::repo::people::{Location, Resident, ResidentStatus, Staff};
use loopdesk_core::sync::{SyncEvent, SyncStatus};
use tauri::ipc::Channel;
use tauri::State;

use crate::AppState;

#[tauri::command]
pub fn startup_state(state: State<'_, AppState>) -> StartupState {
    state.startup_state()
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    state.app_info()
}

#[tauri::command]
pub fn create_fresh_database(state: State<'_, AppState>) -> Result<StartupState, CommandError> {
    state.create_fresh_database()
}

#[tauri::command]
pub fn retry_startup(state: State<'_, AppState>) -> Result<StartupState, CommandError> {
    state.retry_startup()
}

#[tauri::command]
pub async fn search_residents(
    state: State<'_, AppState>,
    text: Option<String>,
    location_id: Option<String>,
    status: Option<ResidentStatus>,
    limit: Option<u32>,
) -> Result<Vec<Resident>, CommandError> {
    state
        .desk_as("search_residents")
        .await?
        .search_residents(text, location_id, status, limit)
        .await
}

#[tauri::command]
pub async fn get_resident(
    state: State<'_, AppState>,
    id: String,
) -> Result<ResidentDetail, CommandError> {
    state.desk_as("get_resident").await?.get_resident(id).await
}

#[tauri::command]
pub async fn add_care_note(
    state: State<'_, AppState>,
    resident_id: String,
    body: String,
    category: String,
) -> Result<CareNoteView, CommandError> {
    state
        .desk_as("add_care_note")
        .await?
        .add_care_note(resident_id, body, category)
        .await
}

#[tauri::command]
pub async fn list_locations(state: State<'_, AppState>) -> Result<Vec<Location>, CommandError> {
    state
        .desk_as("list_locations")
        .await?
        .list_locations()
        .await
}

#[tauri::command]
pub async fn list_staff(
    state: State<'_, AppState>,
    location_id: Option<String>,
) -> Result<Vec<Staff>, CommandError> {
    state
        .desk_as("list_staff")
        .await?
        .list_staff(location_id)
        .await
}

#[tauri::command]
pub async fn list_visits(
    state: State<'_, AppState>,
    from: String,
    to: String,
    location_id: Option<String>,
) -> Result<Vec<VisitView>, CommandError> {
    state
        .desk_as("list_visits")
        .await?
        .list_visits(from, to, location_id)
        .await
}

#[tauri::command]
pub async fn confirm_visit(
    state: State<'_, AppState>,
    id: String,
) -> Result<VisitView, CommandError> {
    state
        .desk_as("confirm_visit")
        .await?
        .confirm_visit(id)
        .await
}

#[tauri::command]
pub async fn complete_visit(
    state: State<'_, AppState>,
    id: String,
) -> Result<VisitView, CommandError> {
    state
        .desk_as("complete_visit")
        .await?
        .complete_visit(id)
        .await
}

#[tauri::command]
pub async fn cancel_visit(
    state: State<'_, AppState>,
    id: String,
    reason: String,
) -> Result<VisitView, CommandError> {
    state
        .desk_as("cancel_visit")
        .await?
        .cancel_visit(id, reason)
        .await
}

#[tauri::command]
#[allow(clippy::too_many_arguments)] // one argument per form field, as the contract names them
pub async fn schedule_visit(
    state: State<'_, AppState>,
    location_id: String,
    staff_user_id: String,
    resident_id: Option<String>,
    visit_type: String,
    starts_at: String,
    ends_at: String,
    notes: Option<String>,
    confirm_past: Option<bool>,
) -> Result<VisitView, CommandError> {
    state
        .desk_as("schedule_visit")
        .await?
        .schedule_visit(ScheduleVisit {
            location_id,
            staff_user_id,
            resident_id,
            visit_type,
            starts_at,
            ends_at,
            notes,
            confirm_past,
        })
        .await
}

#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus, CommandError> {
    state.desk_as("sync_status").await?.sync_status().await
}

/// Streams [`SyncEvent`]s to the window until it goes away.
#[tauri::command]
pub async fn watch_sync(
    state: State<'_, AppState>,
    on_event: Channel<SyncEvent>,
) -> Result<(), CommandError> {
    state
        .desk_as("watch_sync")
        .await?
        .forward_sync_events(move |event| on_event.send(event).is_ok());
    Ok(())
}

#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> Result<(), CommandError> {
    state.desk_as("sync_now").await?.sync_now().await
}

#[tauri::command]
pub async fn outbox_attention(
    state: State<'_, AppState>,
) -> Result<Vec<AttentionEntry>, CommandError> {
    state
        .desk_as("outbox_attention")
        .await?
        .outbox_attention()
        .await
}

#[tauri::command]
pub async fn resubmit_outbox_entry(
    state: State<'_, AppState>,
    seq: i64,
    payload: serde_json::Value,
) -> Result<(), CommandError> {
    state
        .desk_as("resubmit_outbox_entry")
        .await?
        .resubmit_outbox_entry(seq, payload)
        .await
}

/// Not in the first contract: gives up a refused write that cannot be fixed.
#[tauri::command]
pub async fn discard_outbox_entry(
    state: State<'_, AppState>,
    seq: i64,
) -> Result<(), CommandError> {
    state
        .desk_as("discard_outbox_entry")
        .await?
        .discard_outbox_entry(seq)
        .await
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, CommandError> {
    state.desk_as("get_settings").await?.get_settings().await
}

/// The key goes straight into a [`Secret`] (never logged) and on to the OS keyring.
#[tauri::command]
pub async fn save_settings(
    state: State<'_, AppState>,
    api_base_url: String,
    location_id: Option<String>,
    api_key: Option<String>,
) -> Result<SettingsView, CommandError> {
    state
        .desk_as("save_settings")
        .await?
        .save_settings(api_base_url, location_id, api_key.map(Secret::new))
        .await
}

#[tauri::command]
pub async fn test_connection(state: State<'_, AppState>) -> Result<ConnectionTest, CommandError> {
    state
        .desk_as("test_connection")
        .await?
        .test_connection()
        .await
}

/// "This desk": open alerts, visits overdue and due soon, writes waiting, certifications expired.
#[tauri::command]
pub async fn desk_summary(state: State<'_, AppState>) -> Result<DeskSummary, CommandError> {
    state.desk_as("desk_summary").await?.desk_summary().await
}
