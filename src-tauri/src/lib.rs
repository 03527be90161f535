//! The Loopdesk desktop app: a thin Tauri shell over `loopdesk-core`.
//!
//! It resolves the OS folders, starts logging, opens the local store and the desk (sync engine,
//! settings, OS keyring; the demo backend with `LOOPDESK_DEMO=1`), and maps commands to core.

mod alerts_commands;
mod commands;
#[cfg(feature = "demo")]
mod demo_commands;
mod state;

use tauri::Manager;

pub use state::AppState;

/// Builds and runs the app. Start-up failures never panic: they become a state that the UI
/// shows as a full-page explanation.
pub fn run() {
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let state = AppState::start(app.handle());
            app.manage(state);
            alerts_commands::notify_raised_alerts(app.handle());
            Ok(())
        })
        .invoke_handler(handler())
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                // Stop the sync engine cleanly: work in flight is kept for next time.
                handle.state::<AppState>().shutdown();
            }
        }),
        Err(e) => {
            // No window could be made (no display, broken WebKit): say so where a person or a
            // service manager will see it.
            eprintln!("Loopdesk could not start its window: {e}");
            std::process::exit(1);
        }
    }
}

/// The commands of the app, and the demo's in a build with the `demo` feature.
macro_rules! handler {
    ($($extra:path),* $(,)?) => {
        tauri::generate_handler![
            commands::startup_state,
            commands::app_info,
            commands::create_fresh_database,
            commands::search_residents,
            commands::get_resident,
            commands::add_care_note,
            commands::list_locations,
            commands::list_staff,
            commands::list_visits,
            commands::confirm_visit,
            commands::complete_visit,
            commands::cancel_visit,
            commands::schedule_visit,
            commands::sync_status,
            commands::watch_sync,
            commands::sync_now,
            commands::outbox_attention,
            commands::resubmit_outbox_entry,
            commands::discard_outbox_entry,
            commands::get_settings,
            commands::save_settings,
            commands::test_connection,
            alerts_commands::list_alerts,
            alerts_commands::acknowledge_alert,
            alerts_commands::alert_feed_status,
            alerts_commands::watch_alerts,
            alerts_commands::save_bridge_settings,
            $($extra),*
        ]
    };
}

#[cfg(not(feature = "demo"))]
fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    handler!()
}

#[cfg(feature = "demo")]
fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    handler!(
        demo_commands::set_demo_sandbox,
        demo_commands::demo_server_visit,
        demo_commands::trigger_demo_alert,
        demo_commands::set_demo_bridge,
    )
}
