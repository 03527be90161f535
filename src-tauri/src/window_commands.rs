//! The window options on the Settings screen (managers): kiosk mode, starting Loopdesk when this
//! computer starts, and closing Loopdesk. Kiosk mode is the desk's (`loopdesk_core::desk::kiosk`);
//! the start-at-login entry is the OS's own, kept by tauri-plugin-autostart (on Linux a
//! `.desktop` file in `~/.config/autostart`).

use loopdesk_core::desk::kiosk::WindowOptions;
use loopdesk_core::ipc::{Code, CommandError};
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_autostart::AutoLaunchManager;

use crate::kiosk_window::{self, MAIN};
use crate::AppState;

#[tauri::command]
pub async fn get_window_options<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<WindowOptions, CommandError> {
    let desk = state.desk_as("get_window_options").await?;
    Ok(WindowOptions {
        kiosk_mode: desk.kiosk_mode(),
        start_at_login: start_at_login(&app)?,
    })
}

/// Turns kiosk mode on or off, and shows the window so at once.
#[tauri::command]
pub async fn set_kiosk_mode<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    enabled: bool,
) -> Result<WindowOptions, CommandError> {
    let desk = state.desk_as("set_kiosk_mode").await?;
    desk.set_kiosk_mode(enabled).await?;
    if let Some(window) = app.get_webview_window(MAIN) {
        if let Err(e) = kiosk_window::apply(&window, desk.window_plan()) {
            tracing::warn!(error = %e, "the window could not change to the new kiosk mode");
        }
    }
    Ok(WindowOptions {
        kiosk_mode: desk.kiosk_mode(),
        start_at_login: start_at_login(&app)?,
    })
}

/// Adds or removes the OS's entry that starts Loopdesk when this computer starts.
#[tauri::command]
pub async fn set_start_at_login<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    enabled: bool,
) -> Result<WindowOptions, CommandError> {
    let desk = state.desk_as("set_start_at_login").await?;
    let autostart = autostart(&app)?;
    let changed = if enabled {
        autostart.enable()
    } else {
        autostart.disable()
    };
    changed.map_err(|e| {
        tracing::error!(error = %e, enabled, "the start-at-login entry could not be changed");
        CommandError::new(
            Code::Unavailable,
            "This computer did not let Loopdesk change whether it starts when the computer \
             starts. Tell your IT contact.",
        )
    })?;
    desk.start_at_login_changed(enabled).await?;
    Ok(WindowOptions {
        kiosk_mode: desk.kiosk_mode(),
        start_at_login: start_at_login(&app)?,
    })
}

/// Closes Loopdesk (a manager, also in kiosk mode: the window's close rule lets a manager
/// close it).
#[tauri::command]
pub async fn quit_app<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<(), CommandError> {
    state.desk_as("quit_app").await?;
    tracing::info!("a manager closed Loopdesk");
    if let Some(window) = app.get_webview_window(MAIN) {
        window.close().map_err(|e| {
            tracing::error!(error = %e, "the window could not be closed");
            CommandError::new(Code::Internal, "Loopdesk could not close its window.")
        })?;
    }
    Ok(())
}

fn autostart<R: Runtime>(app: &AppHandle<R>) -> Result<State<'_, AutoLaunchManager>, CommandError> {
    app.try_state::<AutoLaunchManager>().ok_or_else(|| {
        CommandError::new(
            Code::Unavailable,
            "Starting with the computer is not available in this build of Loopdesk.",
        )
    })
}

/// Whether the OS starts Loopdesk when the computer starts.
fn start_at_login<R: Runtime>(app: &AppHandle<R>) -> Result<bool, CommandError> {
    autostart(app)?.is_enabled().map_err(|e| {
        tracing::error!(error = %e, "the start-at-login entry could not be read");
        CommandError::new(
            Code::Unavailable,
            "Loopdesk could not find out whether it starts when this computer starts.",
        )
    })
}
