//! What the app says about each of its commands ([`crate::COMMANDS`], listed with the handler in
//! `lib.rs`). `cargo test` writes the list to `ui/src/bindings/commands.json`, where the UI's
//! tests (`ui/src/lib/commands.test.ts`) and the window tests (`tests/window/commands.rs`) check
//! that they call nothing else and that the UI wraps, and its mock answers, every command.

use loopdesk_core::desk::staff_lock::Access;
use loopdesk_core::store::repo::pins::DeskRole;
use serde::Serialize;

/// Who may call a command (`#[access(…)]` in the list): checked in Rust by the command itself
/// (`AppState::desk_as`), proven for every command and every role by a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The locked kiosk too: nothing private.
    Kiosk,
    Receptionist,
    ShiftLead,
    Manager,
}

impl Level {
    /// What the desk checks.
    pub const fn access(self) -> Access {
        match self {
            Self::Kiosk => Access::Kiosk,
            Self::Receptionist => Access::Staff(DeskRole::Receptionist),
            Self::ShiftLead => Access::Staff(DeskRole::ShiftLead),
            Self::Manager => Access::Staff(DeskRole::Manager),
        }
    }
}

pub const KIOSK: Level = Level::Kiosk;
pub const RECEPTION: Level = Level::Receptionist;
pub const SHIFT_LEAD: Level = Level::ShiftLead;
pub const MANAGER: Level = Level::Manager;

/// One command of the app, as the webview calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Command {
    /// The name the webview invokes: the function's (no command is renamed).
    pub name: &'static str,
    /// Registered only in a build with the `demo` feature (`#[demo]` in the list).
    pub demo: bool,
    /// Who may call it; every command says (a test checks).
    pub access: Option<Level>,
}

impl Command {
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            demo: false,
            access: None,
        }
    }

    /// `#[demo]`: only in a build with the `demo` feature.
    pub const fn demo(self) -> Self {
        Self { demo: true, ..self }
    }

    /// `#[access(LEVEL)]`: who may call it.
    pub const fn access(self, level: Level) -> Self {
        Self {
            access: Some(level),
            ..self
        }
    }
}

/// The level the list gives command `name` (the command checks it itself; see
/// `AppState::desk_as`).
pub fn level_of(name: &str) -> Option<Level> {
    crate::COMMANDS
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.access)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use crate::COMMANDS;

    /// `ui/src/bindings`, where ts-rs writes the types (`TS_RS_EXPORT_DIR`, set in
    /// `.cargo/config.toml`).
    fn bindings_dir() -> PathBuf {
        std::env::var_os("TS_RS_EXPORT_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings"))
    }

    /// The list as JSON, one command a line.
    fn commands_json() -> String {
        let lines: Vec<String> = COMMANDS
            .iter()
            .map(|c| format!("    {}", serde_json::to_string(c).unwrap()))
            .collect();
        format!(
            "{{\n  \"about\": {},\n  \"commands\": [\n{}\n  ]\n}}\n",
            serde_json::to_string(
                "The app's Tauri commands, written by `cargo test -p loopdesk` from the list in \
                 src-tauri/src/lib.rs: do not edit. demo: only in a build with the demo feature."
            )
            .unwrap(),
            lines.join(",\n")
        )
    }

    #[test]
    fn writes_the_command_list_for_the_ui_and_the_window_tests() {
        let path = bindings_dir().join("commands.json");
        let json = commands_json();
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(
            parsed["commands"].as_array().map(Vec::len),
            Some(COMMANDS.len())
        );
        // Written only when it changed, as ts-rs does; `make test` fails when the committed
        // file differs.
        if std::fs::read_to_string(&path).ok().as_deref() != Some(json.as_str()) {
            std::fs::write(&path, json).unwrap();
        }
    }

    #[test]
    fn every_command_says_who_may_call_it() {
        let silent: Vec<&str> = COMMANDS
            .iter()
            .filter(|c| c.access.is_none())
            .map(|c| c.name)
            .collect();
        assert!(silent.is_empty(), "add #[access(…)] to: {silent:?}");
    }

    #[test]
    fn each_command_is_listed_once() {
        let mut names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "a command is listed twice");
    }

    /// Every `#[tauri::command]` in the app is in the list under its function's name (an
    /// unlisted one would also be dead code), and none is renamed, which would make the listed
    /// name not the one the webview calls.
    #[test]
    fn the_list_names_every_command_function_as_the_webview_calls_it() {
        let sources = [
            include_str!("commands.rs"),
            include_str!("alerts_commands.rs"),
            include_str!("staff_lock_commands.rs"),
            include_str!("demo_commands.rs"),
            include_str!("window_commands.rs"),
            include_str!("reception_commands.rs"),
            include_str!("incident_commands.rs"),
            include_str!("training_commands.rs"),
            include_str!("update_commands.rs"),
        ];
        let mut found = Vec::new();
        for source in sources {
            let mut lines = source.lines().map(str::trim);
            while let Some(line) = lines.next() {
                if !line.starts_with("#[tauri::command") {
                    continue;
                }
                assert_eq!(
                    line, "#[tauri::command]",
                    "commands are not renamed or configured"
                );
                // The function, after any other attributes.
                let name = lines
                    .by_ref()
                    .find_map(|line| line.split_once("fn "))
                    .and_then(|(_, rest)| rest.split(['(', '<']).next())
                    .expect("a function after #[tauri::command]");
                found.push(name.to_owned());
            }
        }
        let listed: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        for name in &found {
            assert!(
                listed.contains(&name.as_str()),
                "{name} is not in the command list"
            );
        }
        assert_eq!(
            found.len(),
            listed.len(),
            "the list names a command that does not exist"
        );
    }
}
