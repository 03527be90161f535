// Prevents an additional console window on Windows in release.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Before any thread or WebKit starts (see `loopdesk::drawing_environment`).
    if let Some((name, value)) = loopdesk::drawing_environment(|name| std::env::var_os(name)) {
        std::env::set_var(name, value);
    }
    loopdesk::run();
}
