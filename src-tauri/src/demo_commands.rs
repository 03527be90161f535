//! Demo-only commands (a build with the `demo` feature, `LOOPDESK_DEMO=1`): "Send a test alert"
//! in Settings, and what the window tests use to take the demo CareLoop or bridge down and
//! check what CareLoop holds. Behaviour lives in `loopdesk_demo::Demo`; these only delegate.

use loopdesk_core::ipc::{Code, CommandError};
use loopdesk_demo::{Demo, ServerVisit};
use tauri::State;

use crate::AppState;

fn demo(state: &AppState) -> Result<Demo, CommandError> {
    state.demo().ok_or_else(|| {
        CommandError::new(
            Code::InvalidInput,
            "This is only available in the demo (LOOPDESK_DEMO=1).",
        )
    })
}

/// Stops (`running: false`: requests are refused, as with no network) or restarts the demo
/// CareLoop on the same address with the same data.
#[tauri::command]
pub async fn set_demo_sandbox(
    state: State<'_, AppState>,
    running: bool,
) -> Result<(), CommandError> {
    demo(&state)?.set_sandbox_running(running).await
}

/// The visit `id` as the demo CareLoop has it, and how many changes it logged for it.
#[tauri::command]
pub async fn demo_server_visit(
    state: State<'_, AppState>,
    id: String,
) -> Result<ServerVisit, CommandError> {
    demo(&state)?.server_visit(id).await
}

/// The demo CareLoop sends `kind` (`incident.critical` or `visit.no_show`).
#[tauri::command]
pub async fn trigger_demo_alert(
    state: State<'_, AppState>,
    kind: String,
) -> Result<(), CommandError> {
    demo(&state)?.trigger_alert(kind).await
}

/// Stops (`running: false`) or restarts the demo bridge, to show the "alerts are not arriving"
/// warning (the window tests use it).
#[tauri::command]
pub async fn set_demo_bridge(
    state: State<'_, AppState>,
    running: bool,
) -> Result<(), CommandError> {
    demo(&state)?.set_bridge_running(running).await
}
