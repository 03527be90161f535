//! Demo-only commands (`LOOPDESK_DEMO=1`) that the UI has no button for: the window tests use
//! them to take the demo CareLoop down and check what it holds. Behaviour lives in
//! `loopdesk_core::desk::Desk`; these only delegate.

use loopdesk_core::desk::demo::ServerVisit;
use loopdesk_core::ipc::CommandError;
use tauri::State;

use crate::AppState;

/// Stops (`running: false`: requests are refused, as with no network) or restarts the demo
/// CareLoop on the same address with the same data.
#[tauri::command]
pub async fn set_demo_sandbox(
    state: State<'_, AppState>,
    running: bool,
) -> Result<(), CommandError> {
    state.desk()?.set_demo_sandbox_running(running).await
}

/// The visit `id` as the demo CareLoop has it, and how many changes it logged for it.
#[tauri::command]
pub async fn demo_server_visit(
    state: State<'_, AppState>,
    id: String,
) -> Result<ServerVisit, CommandError> {
    state.desk()?.demo_server_visit(id).await
}
