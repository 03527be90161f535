//! The Loopdesk desktop app: a thin Tauri shell over `loopdesk-core`.
//!
//! It resolves the OS folders, starts logging, opens the local store and the desk (sync engine,
//! settings, OS keyring; the demo backend with `LOOPDESK_DEMO=1`), and maps commands to core.

// `app_commands!` takes one step per flag and per command: the list is longer than the
// default limit of 128.
#![recursion_limit = "512"]

mod alerts_commands;
mod command_list;
mod commands;
#[cfg(feature = "demo")]
mod demo_commands;
mod incident_commands;
mod kiosk_window;
mod reception_commands;
mod staff_lock_commands;
mod state;
mod training_commands;
pub mod update_commands;
mod window_commands;

use tauri::{Manager, Runtime};

pub use command_list::{level_of, Command, Level};
pub use kiosk_window::{on_run_event, MAIN};
pub use state::AppState;

use command_list::{KIOSK, MANAGER, RECEPTION, SHIFT_LEAD};

/// Builds and runs the app. Start-up failures never panic: they become a state that the UI
/// shows as a full-page explanation.
pub fn run() {
    let runtime = match desk_runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Loopdesk could not start: {e}");
            std::process::exit(1);
        }
    };
    tauri::async_runtime::set(runtime.handle().clone());
    // First: a second launch ends here, before anything else starts, and the running window
    // comes to the front.
    let builder = tauri::Builder::default()
        .plugin(kiosk_window::single_instance())
        .plugin(tauri_plugin_notification::init());
    let app = with_commands(builder)
        .setup(|app| {
            let state = AppState::start(app.handle());
            // Signed updates: a check at start, then every few hours (see update_commands), on
            // this desk and on one opened later (a fresh data file, a demo reset).
            let handle = app.handle().clone();
            let options = update_commands::UpdateOptions::new(&state.data_dir);
            state.on_desk_opened(std::sync::Arc::new(move |desk| {
                update_commands::start_updates(&handle, desk, options.clone());
            }));
            app.manage(state);
            kiosk_window::open_main_window(app.handle())?;
            alerts_commands::notify_raised_alerts(app.handle());
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|handle, event| {
            // In kiosk mode the window closes only for a manager.
            on_run_event(handle, &event);
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

/// The variable WebKitGTK is to be started with, if any, given the environment (`var`).
///
/// Loopdesk's screens are plain documents that change a line at a time (the Reception clock
/// once a minute), so on Linux WebKitGTK draws them in its web process without accelerated
/// compositing: with it, each small change was composited again through OpenGL, which on a PC
/// without a usable GPU (a thin client, a virtual machine, Xvfb) is software rendering and
/// doubled the window's idle CPU (README, "Measured figures"). A `WEBKIT_DISABLE_COMPOSITING_MODE`
/// already set is left as it is; `LOOPDESK_COMPOSITING=1` keeps compositing (some WebKit
/// versions look only at whether the variable is there, not at its value).
pub fn drawing_environment(
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Option<(&'static str, &'static str)> {
    const DISABLE: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    let keep = var("LOOPDESK_COMPOSITING").is_some_and(|v| v == "1");
    (cfg!(target_os = "linux") && var(DISABLE).is_none() && !keep).then_some((DISABLE, "1"))
}

/// How long a blocking thread with nothing to do is kept: longer than the desk's slowest
/// regular work (the sync cycle every minute; the bridge's long-poll every 25 s), so each round
/// of that work finds the thread the last one used.
const BLOCKING_KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// The runtime of the desk, its engines and (in the demo) its servers: Tauri's own, as Tauri
/// makes it, but with [`BLOCKING_KEEP_ALIVE`]. Every data-file read or write runs on a blocking
/// thread, and with tokio's 10 s a kiosk made and ended an OS thread for nearly each one,
/// every few seconds all day (README, "Measured figures").
fn desk_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_keep_alive(BLOCKING_KEEP_ALIVE)
        .build()
}

/// The app's commands and the plugins they use (start at login, the updater), on any runtime: [`run`] adds the
/// rest (and calls [`on_run_event`], the window's close rule, from its event loop); the tests put
/// them on Tauri's mock runtime with an [`AppState`] of their own.
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .app_name("Loopdesk")
                .build(),
        )
        .plugin(update_commands::plugin())
        .invoke_handler(handler())
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
    #[access(KIOSK)] commands::startup_state,
    #[access(KIOSK)] commands::app_info,
    #[access(KIOSK)] commands::create_fresh_database,
    #[access(KIOSK)] commands::retry_startup,
    #[access(SHIFT_LEAD)] commands::search_residents,
    #[access(SHIFT_LEAD)] commands::get_resident,
    #[access(SHIFT_LEAD)] commands::add_care_note,
    #[access(RECEPTION)] commands::list_locations,
    #[access(SHIFT_LEAD)] commands::list_staff,
    #[access(SHIFT_LEAD)] commands::list_visits,
    #[access(SHIFT_LEAD)] commands::confirm_visit,
    #[access(SHIFT_LEAD)] commands::complete_visit,
    #[access(SHIFT_LEAD)] commands::cancel_visit,
    #[access(SHIFT_LEAD)] commands::schedule_visit,
    #[access(KIOSK)] commands::sync_status,
    #[access(KIOSK)] commands::watch_sync,
    #[access(RECEPTION)] commands::sync_now,
    #[access(MANAGER)] commands::outbox_attention,
    #[access(MANAGER)] commands::resubmit_outbox_entry,
    #[access(MANAGER)] commands::discard_outbox_entry,
    #[access(MANAGER)] commands::get_settings,
    #[access(MANAGER)] commands::save_settings,
    #[access(MANAGER)] commands::test_connection,
    #[access(RECEPTION)] commands::desk_summary,
    #[access(RECEPTION)] alerts_commands::list_alerts,
    #[access(RECEPTION)] alerts_commands::acknowledge_alert,
    #[access(KIOSK)] alerts_commands::alert_feed_status,
    #[access(KIOSK)] alerts_commands::watch_alerts,
    #[access(MANAGER)] alerts_commands::save_bridge_settings,
    #[access(KIOSK)] staff_lock_commands::lock_status,
    #[access(KIOSK)] staff_lock_commands::watch_lock,
    #[access(KIOSK)] staff_lock_commands::pin_holders,
    #[access(KIOSK)] staff_lock_commands::unlock,
    #[access(RECEPTION)] staff_lock_commands::still_here,
    #[access(KIOSK)] staff_lock_commands::lock_desk,
    #[access(KIOSK)] staff_lock_commands::set_first_manager_pin,
    #[access(MANAGER)] staff_lock_commands::list_pins,
    #[access(MANAGER)] staff_lock_commands::set_staff_pin,
    #[access(MANAGER)] staff_lock_commands::set_staff_role,
    #[access(MANAGER)] staff_lock_commands::remove_staff_pin,
    #[access(MANAGER)] staff_lock_commands::set_idle_lock,
    #[access(MANAGER)] window_commands::get_window_options,
    #[access(MANAGER)] window_commands::set_kiosk_mode,
    #[access(MANAGER)] window_commands::set_start_at_login,
    #[access(MANAGER)] window_commands::quit_app,
    #[access(KIOSK)] reception_commands::kiosk_reception,
    #[access(KIOSK)] reception_commands::find_returning_visitors,
    #[access(KIOSK)] reception_commands::confirm_returning_visitor,
    #[access(KIOSK)] reception_commands::kiosk_find_residents,
    #[access(KIOSK)] reception_commands::kiosk_find_staff,
    #[access(KIOSK)] reception_commands::sign_in_visitor,
    #[access(KIOSK)] reception_commands::visitor_sign_in_status,
    #[access(KIOSK)] reception_commands::kiosk_on_site,
    #[access(KIOSK)] reception_commands::sign_out_visitor,
    #[access(KIOSK)] reception_commands::sign_out_with_code,
    #[access(KIOSK)] reception_commands::kiosk_staff_sign_in,
    #[access(KIOSK)] reception_commands::kiosk_staff_sign_out,
    #[access(RECEPTION)] reception_commands::visitors_on_site,
    #[access(RECEPTION)] reception_commands::staff_sign_out_visitor,
    #[access(RECEPTION)] reception_commands::pending_visitor_approvals,
    #[access(RECEPTION)] reception_commands::approve_visitor,
    #[access(RECEPTION)] reception_commands::decline_visitor,
    #[access(RECEPTION)] reception_commands::visitor_history,
    #[access(RECEPTION)] reception_commands::export_visitor_history,
    #[access(RECEPTION)] reception_commands::automatic_sign_outs,
    #[access(RECEPTION)] reception_commands::review_automatic_sign_outs,
    #[access(RECEPTION)] reception_commands::staff_on_site,
    #[access(RECEPTION)] reception_commands::staff_sign_out_staff,
    #[access(RECEPTION)] reception_commands::reception_find_residents,
    #[access(RECEPTION)] reception_commands::residents_out,
    #[access(RECEPTION)] reception_commands::resident_goes_out,
    #[access(RECEPTION)] reception_commands::resident_comes_back,
    #[access(RECEPTION)] reception_commands::start_roll_call,
    #[access(RECEPTION)] reception_commands::current_roll_call,
    #[access(RECEPTION)] reception_commands::get_roll_call,
    #[access(RECEPTION)] reception_commands::tick_roll_call,
    #[access(RECEPTION)] reception_commands::end_roll_call,
    #[access(RECEPTION)] reception_commands::save_roll_call_pdf,
    #[access(SHIFT_LEAD)] reception_commands::get_resident_reception,
    #[access(SHIFT_LEAD)] reception_commands::set_resident_reception,
    #[access(MANAGER)] reception_commands::get_reception_settings,
    #[access(MANAGER)] reception_commands::save_reception_settings,
    #[access(MANAGER)] reception_commands::purge_reception_records,
    #[access(SHIFT_LEAD)] incident_commands::incident_form_options,
    #[access(SHIFT_LEAD)] incident_commands::assess_incident,
    #[access(SHIFT_LEAD)] incident_commands::save_incident,
    #[access(SHIFT_LEAD)] incident_commands::get_incident,
    #[access(SHIFT_LEAD)] incident_commands::list_incidents,
    #[access(SHIFT_LEAD)] incident_commands::resident_incidents,
    #[access(SHIFT_LEAD)] incident_commands::save_incident_draft,
    #[access(SHIFT_LEAD)] incident_commands::list_incident_drafts,
    #[access(SHIFT_LEAD)] incident_commands::discard_incident_draft,
    #[access(SHIFT_LEAD)] incident_commands::set_incident_status,
    #[access(SHIFT_LEAD)] incident_commands::decide_incident_duty,
    #[access(MANAGER)] incident_commands::mark_duty_sent,
    #[access(SHIFT_LEAD)] incident_commands::record_observation,
    #[access(SHIFT_LEAD)] incident_commands::miss_observation,
    #[access(SHIFT_LEAD)] incident_commands::due_observations,
    #[access(SHIFT_LEAD)] incident_commands::get_observation_protocol,
    #[access(MANAGER)] incident_commands::save_observation_protocol,
    #[access(SHIFT_LEAD)] incident_commands::falls_register,
    #[access(SHIFT_LEAD)] incident_commands::export_falls_register,
    #[access(MANAGER)] training_commands::training_matrix,
    #[access(MANAGER)] training_commands::training_rules,
    #[access(MANAGER)] training_commands::save_training_rules,
    #[access(MANAGER)] training_commands::staff_training,
    #[access(SHIFT_LEAD)] training_commands::may_lead_list,
    #[access(MANAGER)] training_commands::record_certification,
    #[access(MANAGER)] training_commands::training_notices,
    #[access(MANAGER)] training_commands::save_training_matrix_csv,
    #[access(MANAGER)] training_commands::save_training_matrix_pdf,
    #[access(RECEPTION)] update_commands::update_status,
    #[access(MANAGER)] update_commands::save_update_settings,
    #[access(MANAGER)] update_commands::check_for_update,
    #[access(RECEPTION)] update_commands::install_update,
    #[access(KIOSK)] update_commands::set_form_open,
    #[demo] #[access(KIOSK)] demo_commands::set_demo_sandbox,
    #[demo] #[access(KIOSK)] demo_commands::demo_server_visit,
    #[demo] #[access(KIOSK)] demo_commands::trigger_demo_alert,
    #[demo] #[access(KIOSK)] demo_commands::set_demo_bridge,
    #[demo] #[access(MANAGER)] demo_commands::reset_demo_data,
    #[demo] #[access(KIOSK)] demo_commands::advance_demo_clock,
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::drawing_environment;

    fn with(vars: &[(&str, &str)]) -> Option<(&'static str, &'static str)> {
        drawing_environment(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| OsString::from(v))
        })
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn webkit_draws_without_compositing_unless_told_otherwise() {
        let off = Some(("WEBKIT_DISABLE_COMPOSITING_MODE", "1"));
        assert_eq!(with(&[]), off);
        assert_eq!(with(&[("LOOPDESK_COMPOSITING", "0")]), off);
        // A home's own setting is left as it is, whatever its value.
        assert_eq!(with(&[("WEBKIT_DISABLE_COMPOSITING_MODE", "0")]), None);
        assert_eq!(with(&[("WEBKIT_DISABLE_COMPOSITING_MODE", "1")]), None);
        assert_eq!(with(&[("LOOPDESK_COMPOSITING", "1")]), None);
    }
}
