//! The main window on the desk: opened in kiosk mode (full screen, no decorations) when that is
//! on, kept open in kiosk mode unless a manager has unlocked the desk, and brought to the front
//! when Loopdesk is started a second time. What is decided lives in core
//! (`loopdesk_core::desk::kiosk`); this applies it to the window.

use std::hash::{Hash, Hasher};

use loopdesk_core::desk::kiosk::WindowPlan;
use tauri::plugin::TauriPlugin;
use tauri::{
    AppHandle, Manager, RunEvent, Runtime, WebviewWindow, WebviewWindowBuilder, WindowEvent,
};

use crate::AppState;

/// The main window's label (`tauri.conf.json`).
pub const MAIN: &str = "main";

/// Opens the main window as `tauri.conf.json` describes it (it is not created on its own:
/// `"create": false`), full screen without decorations in kiosk mode, so that it never shows
/// first as an ordinary window.
pub fn open_main_window<R: Runtime>(app: &AppHandle<R>) -> Result<(), Box<dyn std::error::Error>> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN)
        .cloned()
        .ok_or("tauri.conf.json describes no main window")?;
    let plan = plan_now(app);
    WebviewWindowBuilder::from_config(app, &config)?
        .fullscreen(plan.fullscreen)
        .decorations(plan.decorations)
        .build()?;
    if plan.fullscreen {
        tracing::info!("kiosk mode: the window opened full screen");
    }
    Ok(())
}

/// The plan the desk asks for (an ordinary window when the desk did not open).
fn plan_now<R: Runtime>(app: &AppHandle<R>) -> WindowPlan {
    app.try_state::<AppState>()
        .and_then(|s| s.desk().ok())
        .map_or(WindowPlan::for_kiosk_mode(false), |d| d.window_plan())
}

/// Shows `window` as `plan` says (when kiosk mode is turned on or off).
pub fn apply<R: Runtime>(window: &WebviewWindow<R>, plan: WindowPlan) -> tauri::Result<()> {
    // Decorations go before full screen, and come back after it, so the window never shows a
    // title bar over the full screen.
    if plan.fullscreen {
        window.set_decorations(plan.decorations)?;
        window.set_fullscreen(true)?;
    } else {
        window.set_fullscreen(false)?;
        window.set_decorations(plan.decorations)?;
    }
    Ok(())
}

/// The window asks to close (its close button, Alt+F4): in kiosk mode it stays open unless a
/// manager has unlocked the desk (`Desk::may_close_window`). Called from the app's event loop
/// (`App::run`), which every runtime sends the request to, the mock runtime of the tests too.
pub fn on_run_event<R: Runtime>(app: &AppHandle<R>, event: &RunEvent) {
    if let RunEvent::WindowEvent {
        label,
        event: WindowEvent::CloseRequested { api, .. },
        ..
    } = event
    {
        let may_close = label != MAIN
            || app
                .try_state::<AppState>()
                .and_then(|s| s.desk().ok())
                .is_none_or(|d| d.may_close_window());
        if !may_close {
            api.prevent_close();
            tracing::info!("kiosk mode: the window stays open until a manager unlocks the desk");
        }
    }
}

/// The single-instance plugin (registered first): a second launch ends at once, and the running
/// window comes to the front.
pub fn single_instance<R: Runtime>() -> TauriPlugin<R> {
    let mut builder =
        tauri_plugin_single_instance::Builder::new().callback(|app, _args, _cwd| focus(app));
    if let Some(id) = instance_id(std::env::var_os("LOOPDESK_DATA_DIR")) {
        builder = builder.dbus_id(id);
    }
    builder.build()
}

/// Brings the running window to the front (a second launch).
fn focus<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window(MAIN) else {
        tracing::warn!("second launch: there is no window to focus");
        return;
    };
    let shown = window
        .unminimize()
        .and_then(|()| window.show())
        .and_then(|()| window.set_focus());
    match shown {
        Ok(()) => tracing::info!("second launch: focused the running window"),
        Err(e) => {
            tracing::warn!(error = %e, "second launch: the running window could not be focused")
        }
    }
}

/// One Loopdesk per data folder. Normally that is one per computer user (the app's identifier
/// names it on the session bus); with `LOOPDESK_DATA_DIR` (tests, demos) the name says which
/// folder, so a test's app never hands over to a demo that is running beside it.
fn instance_id(data_dir: Option<std::ffi::OsString>) -> Option<String> {
    let dir = data_dir.filter(|d| !d.is_empty())?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut hasher);
    Some(format!("care.loopdesk.desk.d{:016x}", hasher.finish()))
}

#[cfg(test)]
mod tests {
    use super::instance_id;

    #[test]
    fn each_data_folder_has_its_own_instance() {
        assert_eq!(instance_id(None), None);
        assert_eq!(instance_id(Some("".into())), None);
        let a = instance_id(Some("/tmp/a".into())).unwrap();
        assert_eq!(instance_id(Some("/tmp/a".into())).unwrap(), a);
        assert_ne!(instance_id(Some("/tmp/b".into())).unwrap(), a);
        // A D-Bus name: dot-separated elements, none starting with a digit.
        assert!(a
            .split('.')
            .all(|e| e.starts_with(|c: char| c.is_ascii_alphabetic())
                && e.chars().all(|c| c.is_ascii_alphanumeric())));
    }
}
