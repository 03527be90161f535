//! The staff lock's commands: the PIN pad and the lock on the kiosk, PIN management for
//! managers. Behaviour lives in `loopdesk_core::desk::staff_lock`; these convert and delegate.
//! A PIN goes straight into a [`Secret`] (never logged, never stored but as its hash).

use loopdesk_core::desk::staff_lock::{LockEvent, LockStatus};
use loopdesk_core::ipc::CommandError;
use loopdesk_core::secret::Secret;
use loopdesk_core::store::repo::pins::{DeskRole, PinHolder};
use tauri::ipc::Channel;
use tauri::State;

use crate::AppState;

#[tauri::command]
pub async fn lock_status(state: State<'_, AppState>) -> Result<LockStatus, CommandError> {
    state.desk_as("lock_status").await?.lock_status().await
}

/// Streams the lock's changes (unlocked, locked, locked when idle) to the window.
#[tauri::command]
pub async fn watch_lock(
    state: State<'_, AppState>,
    on_event: Channel<LockEvent>,
) -> Result<(), CommandError> {
    state
        .desk_as("watch_lock")
        .await?
        .forward_lock_events(move |event| on_event.send(event).is_ok());
    Ok(())
}

/// The names of the staff who can unlock this desk (the PIN pad's list).
#[tauri::command]
pub async fn pin_holders(state: State<'_, AppState>) -> Result<Vec<PinHolder>, CommandError> {
    state.desk_as("pin_holders").await?.pin_holders().await
}

#[tauri::command]
pub async fn unlock(
    state: State<'_, AppState>,
    staff_id: String,
    pin: String,
) -> Result<LockStatus, CommandError> {
    state
        .desk_as("unlock")
        .await?
        .unlock(staff_id, Secret::new(pin))
        .await
}

/// The person is still at the desk (typing, reading): the idle time starts again.
#[tauri::command]
pub async fn still_here(state: State<'_, AppState>) -> Result<LockStatus, CommandError> {
    state.desk_as("still_here").await?.still_here().await
}

#[tauri::command]
pub async fn lock_desk(state: State<'_, AppState>) -> Result<LockStatus, CommandError> {
    state.desk_as("lock_desk").await?.lock_desk().await
}

/// The first manager's PIN, while the desk is being set up.
#[tauri::command]
pub async fn set_first_manager_pin(
    state: State<'_, AppState>,
    staff_id: String,
    pin: String,
) -> Result<LockStatus, CommandError> {
    state
        .desk_as("set_first_manager_pin")
        .await?
        .set_first_manager_pin(staff_id, Secret::new(pin))
        .await
}

#[tauri::command]
pub async fn list_pins(state: State<'_, AppState>) -> Result<Vec<PinHolder>, CommandError> {
    state.desk_as("list_pins").await?.list_pins().await
}

#[tauri::command]
pub async fn set_staff_pin(
    state: State<'_, AppState>,
    staff_id: String,
    pin: String,
    role: DeskRole,
) -> Result<PinHolder, CommandError> {
    state
        .desk_as("set_staff_pin")
        .await?
        .set_staff_pin(staff_id, Secret::new(pin), role)
        .await
}

#[tauri::command]
pub async fn set_staff_role(
    state: State<'_, AppState>,
    staff_id: String,
    role: DeskRole,
) -> Result<PinHolder, CommandError> {
    state
        .desk_as("set_staff_role")
        .await?
        .set_staff_role(staff_id, role)
        .await
}

#[tauri::command]
pub async fn remove_staff_pin(
    state: State<'_, AppState>,
    staff_id: String,
) -> Result<(), CommandError> {
    state
        .desk_as("remove_staff_pin")
        .await?
        .remove_staff_pin(staff_id)
        .await
}

#[tauri::command]
pub async fn set_idle_lock(
    state: State<'_, AppState>,
    minutes: u32,
) -> Result<LockStatus, CommandError> {
    state
        .desk_as("set_idle_lock")
        .await?
        .set_idle_lock(minutes)
        .await
}
