//! The window tests call only commands the app has: every name passed to `invoke` in
//! `tests/window/*.rs` and `tests/src/*.rs` is in the app's command list, which `cargo test -p
//! loopdesk` writes to `ui/src/bindings/commands.json` from `src-tauri/src/lib.rs`. Without
//! this a misspelt name shows only as a window test failing on an unknown command, minutes in.

use std::path::{Path, PathBuf};

use loopdesk_e2e::window::workspace_root;

/// The command names in the list.
fn listed_commands() -> Vec<String> {
    let path = workspace_root().join("ui/src/bindings/commands.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (cargo test -p loopdesk writes it)", path.display()));
    let list: serde_json::Value = serde_json::from_str(&text).expect("the list is JSON");
    list["commands"]
        .as_array()
        .expect("a list of commands")
        .iter()
        .map(|c| c["name"].as_str().expect("a command name").to_owned())
        .collect()
}

/// The names given as a string literal to `.invoke(` (Rust's `app.invoke("name", …)`, the
/// page's `window.__TAURI_INTERNALS__.invoke('name', …)`), with their line numbers. A name that
/// is not a literal (the harness's own `invoke` passes `arguments[0]` on) is not a call to check.
fn invoked_names(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (at, _) in source.match_indices(".invoke(") {
        let after = source[at + ".invoke(".len()..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let Some(name) = after[1..].split(quote).next() else {
            continue;
        };
        let line = source[..at].matches('\n').count() + 1;
        found.push((line, name.to_owned()));
    }
    found
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_window_tests_invoke_only_commands_the_app_has() {
    let listed = listed_commands();
    assert!(
        listed.len() > 20,
        "the list has the app's commands: {listed:?}"
    );
    let root = workspace_root();
    let mut checked = 0;
    let mut unknown = Vec::new();
    for dir in ["tests/window", "tests/src"] {
        for file in rust_files(&root.join(dir)) {
            if file.ends_with("tests/window/commands.rs") {
                // This file: its own examples are not calls.
                continue;
            }
            let source = std::fs::read_to_string(&file).unwrap();
            for (line, name) in invoked_names(&source) {
                checked += 1;
                if !listed.contains(&name) {
                    let file = file.strip_prefix(&root).unwrap_or(&file).display();
                    unknown.push(format!("{file}:{line}: {name}"));
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "the window tests invoke commands the app does not have (not in \
         ui/src/bindings/commands.json):\n{}",
        unknown.join("\n")
    );
    // The scan found the calls there are (sync_status, search_residents, the demo's, …).
    assert!(checked >= 5, "only {checked} invoked names found");
}

#[test]
fn invoked_names_are_found_in_both_languages_and_across_lines() {
    let source = "let a = app.invoke(\"sync_status\", json!({}));\n\
        window.__TAURI_INTERNALS__\n    .invoke( 'list_visits', {})\n\
        app.invoke(\n  \"set_demo_bridge\",\n)\n\
        window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])";
    assert_eq!(
        invoked_names(source),
        [
            (1, "sync_status".to_owned()),
            (3, "list_visits".to_owned()),
            (4, "set_demo_bridge".to_owned()),
        ]
    );
}
