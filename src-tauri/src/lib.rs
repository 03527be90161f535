//! The Loopdesk desktop app: a thin Tauri shell over `loopdesk-core`.
//!
//! It resolves the OS folders, starts logging, opens the local store and the desk (sync engine,
//! settings, OS keyring; the demo backend with `LOOPDESK_DEMO=1`), and maps commands to core.

mod alerts_commands;
mod command_list;
mod commands;
#[cfg(feature = "demo")]
mod demo_commands;
mod state;

use tauri::Manager;

pub use command_list::Command;
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

/// The app's commands, listed once. From the list it makes `handler()` (`tauri::generate_handler!`
/// over it, a `#[demo]` command only in a build with the `demo` feature) and [`COMMANDS`], which `cargo test` writes to `ui/src/bindings/commands.json`, where the UI's
/// tests and the window tests check the commands they call against it.
///
/// An entry is `module::command`, with what is particular to the command before it: `#[flag]`
/// or `#[flag(value)]` calls `Command::flag(value)` on its [`Command`]. Something new to say
/// about every command (an access level, say) is a field of [`Command`] with a method to set
/// it; of the flags only `demo` changes the handler.
macro_rules! app_commands {
    (@handler [$($done:tt)*]) => {
        tauri::generate_handler![$($done)*]
    };
    (@handler [$($done:tt)*] #[demo] $($rest:tt)*) => {
        app_commands!(@handler [$($done)* #[cfg(feature = "demo")]] $($rest)*)
    };
    (@handler [$($done:tt)*] #[$flag:ident $($value:tt)?] $($rest:tt)*) => {
        app_commands!(@handler [$($done)*] $($rest)*)
    };
    (@handler [$($done:tt)*] $module:ident :: $name:ident, $($rest:tt)*) => {
        app_commands!(@handler [$($done)* $module::$name,] $($rest)*)
    };
    ($($(#[$flag:ident $(($($value:tt)*))?])* $module:ident :: $name:ident),* $(,)?) => {
        /// Every command of the app in the order registered, the demo's included whatever the
        /// build (each says whether it is demo-only).
        pub const COMMANDS: &[Command] = &[
            $(Command::new(stringify!($name)) $(.$flag($($($value)*)?))*,)*
        ];

        fn handler<R: tauri::Runtime>(
        ) -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            app_commands!(@handler [] $($(#[$flag $(($($value)*))?])* $module::$name,)*)
        }
    };
}

app_commands! {
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
    commands::desk_summary,
    alerts_commands::list_alerts,
    alerts_commands::acknowledge_alert,
    alerts_commands::alert_feed_status,
    alerts_commands::watch_alerts,
    alerts_commands::save_bridge_settings,
    #[demo] demo_commands::set_demo_sandbox,
    #[demo] demo_commands::demo_server_visit,
    #[demo] demo_commands::trigger_demo_alert,
    #[demo] demo_commands::set_demo_bridge,
    #[demo] demo_commands::reset_demo_data,
}
