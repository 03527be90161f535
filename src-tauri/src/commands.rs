//! Commands the UI invokes. Each converts types and delegates; behaviour lives in core.

use loopdesk_core::ipc::{AppInfo, CommandError, StartupState};
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
