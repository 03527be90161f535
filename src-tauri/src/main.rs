// Prevents an additional console window on Windows in release.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Loopdesk's screens are plain documents that change a line at a time (the Reception clock
    // once a minute), so WebKitGTK draws them in its web process without accelerated
    // compositing: with it, each small change was composited again through OpenGL, which on a
    // PC without a usable GPU (a thin client, a virtual machine, Xvfb) is software rendering
    // and doubled the window's idle CPU (README, "Measured figures"). A home that wants it back
    // sets WEBKIT_DISABLE_COMPOSITING_MODE=0. Set here, before any thread or WebKit starts.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    loopdesk::run();
}
