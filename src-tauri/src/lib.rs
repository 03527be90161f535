//! The Loopdesk desktop app: a thin Tauri shell over `loopdesk-core`.
//!
//! It resolves the OS folders, starts logging, opens the local store, and maps commands to core.

mod commands;
mod state;

use tauri::Manager;

pub use state::AppState;

/// Builds and runs the app. Start-up failures never panic: they become a state that the UI
/// shows as a full-page explanation.
pub fn run() {
    let app = tauri::Builder::default()
        .setup(|app| {
            let state = AppState::start(app.handle());
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::startup_state,
            commands::app_info,
            commands::create_fresh_database,
        ])
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            // No window could be made (no display, broken WebKit): say so where a person or a
            // service manager will see it.
            eprintln!("Loopdesk could not start its window: {e}");
            std::process::exit(1);
        }
    }
}
