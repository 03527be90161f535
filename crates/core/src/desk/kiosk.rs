//! The kiosk window: kiosk mode (full screen, no window decorations, closed only while a
//! manager has unlocked the desk) and "start Loopdesk when this computer starts". Both are
//! Settings a manager changes (the app's command list says so); the app shell applies them to
//! the window and the OS, and asks here whether the window may close.
//!
//! Kiosk mode is a desk setting (not secret). Whether Loopdesk starts at login is the OS's own
//! entry (the app shell reads and writes it); the desk only records who changed it.

use std::sync::atomic::Ordering;

use serde::Serialize;
use serde_json::json;
use ts_rs::TS;

use crate::errors::lock;
use crate::ipc::CommandError;
use crate::store::repo::{self, pins::DeskRole};

use super::Desk;

/// The setting holding kiosk mode (`on` or `off`; absent: off).
pub const KIOSK_MODE: &str = "kiosk_mode";

/// The window options on the Settings screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct WindowOptions {
    /// The window opens full screen without decorations and closes only for a manager.
    pub kiosk_mode: bool,
    /// Loopdesk starts when this computer starts (the OS's autostart entry).
    pub start_at_login: bool,
}

/// How the main window is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowPlan {
    pub fullscreen: bool,
    /// Title bar and borders (with their close button).
    pub decorations: bool,
}

impl WindowPlan {
    /// Kiosk mode: full screen, nothing to close it with; otherwise an ordinary window.
    pub const fn for_kiosk_mode(kiosk_mode: bool) -> Self {
        Self {
            fullscreen: kiosk_mode,
            decorations: !kiosk_mode,
        }
    }
}

fn parse(value: Option<&str>) -> bool {
    value.is_some_and(|v| v == "on")
}

impl Desk {
    /// Reads kiosk mode from the settings (when the desk opens).
    pub(super) async fn load_kiosk_mode(&self) -> Result<(), CommandError> {
        let value = self
            .read(|c| repo::settings::get_setting(c, KIOSK_MODE))
            .await?;
        self.kiosk_mode
            .store(parse(value.as_deref()), Ordering::SeqCst);
        Ok(())
    }

    /// Whether kiosk mode is on (read when the desk opened, changed only by
    /// [`Desk::set_kiosk_mode`]).
    pub fn kiosk_mode(&self) -> bool {
        self.kiosk_mode.load(Ordering::SeqCst)
    }

    /// How the main window should be shown now.
    pub fn window_plan(&self) -> WindowPlan {
        WindowPlan::for_kiosk_mode(self.kiosk_mode())
    }

    /// Turns kiosk mode on or off (managers; the app applies it to the window at once). Saved
    /// with who changed it in the audit log.
    pub async fn set_kiosk_mode(&self, enabled: bool) -> Result<bool, CommandError> {
        let actor = self.actor().await?;
        self.save(move |tx| {
            repo::settings::set_setting(tx, KIOSK_MODE, if enabled { "on" } else { "off" })?;
            repo::audit::audit(
                tx,
                &actor,
                "window.kiosk_mode",
                None,
                Some(&json!({"enabled": enabled})),
            )?;
            Ok(())
        })
        .await?;
        self.kiosk_mode.store(enabled, Ordering::SeqCst);
        tracing::info!(enabled, "kiosk mode changed");
        Ok(enabled)
    }

    /// Records that the OS's start-at-login entry was turned on or off (managers), and by whom.
    pub async fn start_at_login_changed(&self, enabled: bool) -> Result<(), CommandError> {
        let actor = self.actor().await?;
        self.save(move |tx| {
            repo::audit::audit(
                tx,
                &actor,
                "window.start_at_login",
                None,
                Some(&json!({"enabled": enabled})),
            )?;
            Ok(())
        })
        .await
    }

    /// Whether the window may close now (the person closed it, or pressed Alt+F4): always
    /// outside kiosk mode; in kiosk mode only while a manager has unlocked the desk, or while
    /// it is being set up (no PIN yet). Answered from memory, without waiting for the data
    /// file, because the window asks on its event loop.
    pub fn may_close_window(&self) -> bool {
        if !self.kiosk_mode() {
            return true;
        }
        let state = lock(&self.lock_state);
        !state.lock_enabled() || state.session_role() == Some(DeskRole::Manager)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kiosk_mode_is_full_screen_without_decorations() {
        assert_eq!(
            WindowPlan::for_kiosk_mode(true),
            WindowPlan {
                fullscreen: true,
                decorations: false
            }
        );
        assert_eq!(
            WindowPlan::for_kiosk_mode(false),
            WindowPlan {
                fullscreen: false,
                decorations: true
            }
        );
    }

    #[test]
    fn only_on_turns_it_on() {
        assert!(parse(Some("on")));
        for off in [None, Some("off"), Some(""), Some("yes"), Some("ON ")] {
            assert!(!parse(off), "{off:?}");
        }
    }
}
