//! `loopdesk-core`: everything Loopdesk does, without a window.
//!
//! The Tauri app (`src-tauri`) only maps commands to the functions here and forwards events.

pub mod alerts;
pub mod api;
pub mod clock;
pub mod credentials;
pub mod desk;
pub mod errors;
pub mod events;
pub mod incidents;
pub mod ipc;
pub mod logging;
pub mod outbox;
pub mod print;
pub mod secret;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod training;
pub mod updates;

pub use store::{Store, StoreError};

/// The version of Loopdesk (the workspace version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where this desk keeps its data: `LOOPDESK_DATA_DIR` when set, otherwise `default` (the OS
/// app-data folder, which the app shell knows).
pub fn data_dir(default: std::path::PathBuf) -> std::path::PathBuf {
    match std::env::var_os("LOOPDESK_DATA_DIR") {
        Some(dir) if !dir.is_empty() => dir.into(),
        _ => default,
    }
}
