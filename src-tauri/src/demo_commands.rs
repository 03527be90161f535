//! Demo-only commands (a build with the `demo` feature, `LOOPDESK_DEMO=1`): "Send a test alert"
//! and "Reset demo data" in Settings, and what the window tests use to take the demo CareLoop or
//! bridge down, check what CareLoop holds and move the desk's clock. Behaviour lives in
//! `loopdesk_demo::Demo`; these only delegate.

use loopdesk_core::ipc::{Code, CommandError};
use loopdesk_demo::{Demo, ServerVisit};
use tauri::{AppHandle, Runtime, State};

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

/// "Reset demo data": the demo starts afresh, as on its first day; the demo CareLoop's data and
/// this desk's data file (which on the demo holds only the demo's) are deleted. Refused, changing
/// nothing, when a real CareLoop or bridge is set up. The window reloads afterwards.
#[tauri::command]
pub async fn reset_demo_data<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<(), CommandError> {
    // Only a manager (or anyone before the first manager PIN is set) may wipe the desk's data.
    state.desk_as("reset_demo_data").await?;
    let reset = state.reset_demo().await;
    // A new desk (after a reset, or after one that failed half-way): its alerts notify too.
    if !matches!(&reset, Err(e) if e.code == Code::InvalidInput) {
        crate::alerts_commands::notify_raised_alerts(&app);
    }
    reset
}

/// Moves the desk's clock `minutes` forward (never back) and has the desk look at the time
/// again: the window tests reach the idle lock this way instead of waiting. Everything on the
/// desk's clock sees the jump: the alerts feed looks late until its next poll, and times the
/// desk gives (a pause's end) are that far ahead of the window's clock.
#[tauri::command]
pub async fn advance_demo_clock(
    state: State<'_, AppState>,
    minutes: u32,
) -> Result<(), CommandError> {
    if !(1..=24 * 60).contains(&minutes) {
        return Err(CommandError::invalid_fields(
            "Check the minutes",
            [(
                "minutes".to_owned(),
                "Move the clock 1 to 1,440 minutes".to_owned(),
            )],
        ));
    }
    demo(&state)?.advance_clock(std::time::Duration::from_secs(u64::from(minutes) * 60));
    state.desk()?.clock_moved();
    Ok(())
}
