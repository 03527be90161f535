//! Opening the desk's data file at start-up, and what to tell the person when that fails.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use super::{Store, StoreError};

/// The name of the database file in the data folder.
pub const DB_FILE_NAME: &str = "loopdesk.db";

/// How start-up went. Anything but `Ready` is shown as a full-page explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export, export_to = "StartupState.ts")]
pub enum StartupState {
    Ready,
    /// The file was written by a newer Loopdesk. Nothing was changed.
    NewerSchema {
        path: String,
        found_version: u32,
        supported_version: u32,
    },
    /// The file could not be read as a database. It was moved to `moved_to` (never deleted); a
    /// fresh file is created only when a person confirms.
    Corrupt {
        path: String,
        moved_to: Option<String>,
        message: String,
    },
    /// Updating the file to this version failed; it was rolled back and left as it was.
    MigrationFailed {
        path: String,
        message: String,
    },
    /// The data folder or file cannot be used at all (permissions, disk).
    Unavailable {
        path: String,
        message: String,
    },
}

/// Opens `data_dir/loopdesk.db` for the app: creates the folder and a new file when there is
/// none; migrates an older file; refuses a newer one untouched; moves a corrupt one aside.
pub fn open_for_startup(data_dir: &Path) -> (Option<Store>, StartupState) {
    let path = data_dir.join(DB_FILE_NAME);
    if let Err(e) = std::fs::create_dir_all(data_dir) {
        return (
            None,
            StartupState::Unavailable {
                path: data_dir.display().to_string(),
                message: format!("The data folder could not be created: {e}"),
            },
        );
    }
    match Store::open(&path) {
        Ok(store) => (Some(store), StartupState::Ready),
        Err(err) => (None, state_for_error(&path, err)),
    }
}

/// After a corrupt file was moved aside and a person confirmed: creates a fresh, empty file.
/// Refuses if a file is (again) at the path, so that nothing can be overwritten by mistake.
pub fn start_fresh(data_dir: &Path) -> Result<Store, StoreError> {
    let path = data_dir.join(DB_FILE_NAME);
    if path.exists() {
        return Err(StoreError::Invalid(format!(
            "{} exists; it will not be replaced",
            path.display()
        )));
    }
    std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io {
        path: data_dir.into(),
        source,
    })?;
    tracing::warn!(path = %path.display(), "creating a fresh data file after confirmation");
    Store::open(&path)
}

fn state_for_error(path: &Path, err: StoreError) -> StartupState {
    let shown = path.display().to_string();
    match err {
        StoreError::NewerSchema {
            found, supported, ..
        } => {
            tracing::error!(path = %shown, found, supported, "data file is from a newer Loopdesk");
            StartupState::NewerSchema {
                path: shown,
                found_version: found,
                supported_version: supported,
            }
        }
        StoreError::Corrupt { reason, .. } => {
            tracing::error!(path = %shown, %reason, "data file is not readable; moving it aside");
            match move_aside(path) {
                Ok(moved) => StartupState::Corrupt {
                    path: shown,
                    moved_to: Some(moved.display().to_string()),
                    message: reason,
                },
                Err(e) => StartupState::Unavailable {
                    path: shown,
                    message: format!(
                        "The data file cannot be read ({reason}) and could not be moved aside: {e}"
                    ),
                },
            }
        }
        StoreError::Migration(e) => {
            tracing::error!(path = %shown, error = %e, "migration failed and was rolled back");
            StartupState::MigrationFailed {
                path: shown,
                message: e.to_string(),
            }
        }
        // A file that opens but then fails a pragma is unreadable in practice.
        StoreError::Sqlite(e) if is_not_a_database(&e) => state_for_error(
            path,
            StoreError::Corrupt {
                path: path.into(),
                reason: e.to_string(),
            },
        ),
        other => {
            tracing::error!(path = %shown, error = %other, "data file unavailable");
            StartupState::Unavailable {
                path: shown,
                message: other.to_string(),
            }
        }
    }
}

fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// Renames the file (and its WAL/SHM companions) to `<name>.corrupt-<UTC timestamp>`.
fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut target = PathBuf::from(format!("{}.corrupt-{stamp}", path.display()));
    let mut n = 1;
    while target.exists() {
        n += 1;
        target = PathBuf::from(format!("{}.corrupt-{stamp}-{n}", path.display()));
    }
    std::fs::rename(path, &target)?;
    for suffix in ["-wal", "-shm"] {
        let companion = PathBuf::from(format!("{}{suffix}", path.display()));
        if companion.exists() {
            std::fs::rename(&companion, format!("{}{suffix}", target.display()))?;
        }
    }
    Ok(target)
}
