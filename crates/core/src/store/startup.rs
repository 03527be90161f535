//! Opening the desk's data file at start-up, and what to tell the person when that fails.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use super::{
    encryption::{self, DataKey, FileKind, Step},
    unsent, Store, StoreError,
};
use crate::secrets::{SecretError, SecretStore, DATA_FILE_KEY};

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
    /// The data file's key cannot be used: the keyring is locked or unreachable, or it has no
    /// key (or another key) for an encrypted file. Nothing was changed. A person may start
    /// afresh: the file is moved aside (never deleted) and a new one made with a new key.
    DataKeyProblem {
        path: String,
        problem: KeyProblem,
        /// Writes that were waiting for CareLoop when the desk last ran, as kept beside the
        /// file (`unsent-writes`); `None` when that is not known.
        unsent_writes: Option<u32>,
    },
}

/// Why the data file's key cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "KeyProblem.ts")]
pub enum KeyProblem {
    /// The keyring is locked, or not reachable (no Secret Service, the person not signed in):
    /// unlocking it or signing in again may be all that is needed.
    KeyringUnavailable,
    /// The keyring answers but holds no key for the encrypted file: the key is gone (the
    /// keyring was reset, or the file came from another computer or user).
    KeyMissing,
    /// The keyring's key does not open the file (another key, or the file's first page is
    /// damaged).
    KeyRejected,
}

/// Opens `data_dir/loopdesk.db` for the app, encrypted with the key kept in `secrets`: creates
/// the folder, the key and an encrypted file when there is none; encrypts a plain file (from an
/// earlier Loopdesk) in place; migrates an older file; refuses a newer one untouched; moves a
/// corrupt one aside; and leaves an encrypted file whose key cannot be used untouched.
pub fn open_for_startup(
    data_dir: &Path,
    secrets: &dyn SecretStore,
) -> (Option<Store>, StartupState) {
    open_for_startup_with(data_dir, secrets, &|_| {})
}

/// As [`open_for_startup`]; `at` is called after each step of encrypting a plain file (tests
/// stop the process there).
pub fn open_for_startup_with(
    data_dir: &Path,
    secrets: &dyn SecretStore,
    at: &dyn Fn(Step),
) -> (Option<Store>, StartupState) {
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
    let opened = encryption::remove_leftovers(&path)
        .and_then(|()| encryption::file_kind(&path))
        .and_then(|kind| open_kind(&path, kind, secrets, at));
    match opened {
        Ok(Ok(store)) => {
            record_counts(&store);
            (Some(store), StartupState::Ready)
        }
        Ok(Err(problem)) => (None, key_problem(&path, problem)),
        Err(err) => (None, state_for_error(&path, err)),
    }
}

/// Opens the file of `kind` at `path` with its key, making (and keeping) a key first when the
/// file is new or plain; `Ok(Err(_))` when the key cannot be used.
fn open_kind(
    path: &Path,
    kind: FileKind,
    secrets: &dyn SecretStore,
    at: &dyn Fn(Step),
) -> Result<Result<Store, KeyProblem>, StoreError> {
    if kind == FileKind::NotADatabase {
        // Moved aside as corrupt by the caller; no key is needed to see that.
        return Err(StoreError::Corrupt {
            path: path.into(),
            reason: "it is not an SQLite database".into(),
        });
    }
    if kind == FileKind::Plain {
        // A plain file from a newer Loopdesk, or a damaged one, is refused as before, untouched
        // and with no key made for it.
        super::inspect_existing(path, super::latest_version(), None)?;
    }
    let key = match read_key(secrets) {
        Ok(key) => key,
        Err(problem) => return Ok(Err(problem)),
    };
    let key = match (kind, key) {
        (FileKind::Encrypted, None) => return Ok(Err(KeyProblem::KeyMissing)),
        (_, Some(key)) => key,
        (_, None) => match new_key(secrets) {
            Ok(key) => key,
            Err(e) => {
                tracing::error!(error = %e, "the data file's key could not be kept in the keyring");
                return Ok(Err(KeyProblem::KeyringUnavailable));
            }
        },
    };
    at(Step::KeyKept);
    if kind == FileKind::Plain {
        tracing::warn!(path = %path.display(), "encrypting the data file (plain until now)");
        encryption::encrypt_in_place(path, &key, at)?;
    }
    match Store::open_encrypted(path, &key) {
        Ok(store) => Ok(Ok(store)),
        Err(StoreError::KeyRejected { .. }) => Ok(Err(KeyProblem::KeyRejected)),
        Err(StoreError::Sqlite(e)) if is_not_a_database(&e) => Ok(Err(KeyProblem::KeyRejected)),
        Err(e) => Err(e),
    }
}

/// The key in the keyring: `Ok(None)` when there is none; a problem when the keyring cannot be
/// read or holds something that is not a key.
fn read_key(secrets: &dyn SecretStore) -> Result<Option<DataKey>, KeyProblem> {
    match secrets.get(DATA_FILE_KEY) {
        Ok(None) => Ok(None),
        Ok(Some(secret)) => DataKey::from_secret(secret).map(Some).ok_or_else(|| {
            tracing::error!("the keyring's data file key is not a key Loopdesk made");
            KeyProblem::KeyRejected
        }),
        Err(e) => {
            tracing::error!(error = %e, "the keyring cannot be read for the data file's key");
            Err(KeyProblem::KeyringUnavailable)
        }
    }
}

/// A new key, kept in the keyring and read back from it before any file is encrypted with it.
fn new_key(secrets: &dyn SecretStore) -> Result<DataKey, SecretError> {
    let key = DataKey::generate();
    secrets.set(DATA_FILE_KEY, key.secret())?;
    let back = secrets.get(DATA_FILE_KEY)?.and_then(DataKey::from_secret);
    if back.as_ref() != Some(&key) {
        return Err(SecretError::Unavailable(
            "the keyring did not give back the key it was given".into(),
        ));
    }
    tracing::info!("a new data file key is kept in the keyring");
    Ok(key)
}

fn key_problem(path: &Path, problem: KeyProblem) -> StartupState {
    let unsent_writes = unsent::read_unsent(path);
    tracing::error!(path = %path.display(), ?problem, ?unsent_writes,
        "the data file's key cannot be used; the file is left as it is");
    StartupState::DataKeyProblem {
        path: path.display().to_string(),
        problem,
        unsent_writes,
    }
}

/// Keeps the outbox's count beside the file as the store opens (the sync status keeps it after).
fn record_counts(store: &Store) {
    match store.read(super::repo::outbox::outbox_counts) {
        Ok((queued, attention)) => store.record_unsent(queued + attention),
        Err(e) => tracing::warn!(error = %e, "the outbox could not be counted"),
    }
}

/// After a corrupt file was moved aside and a person confirmed: creates a fresh, empty,
/// encrypted file (with the keyring's key, or a new one). Refuses if a file is (again) at the
/// path, so that nothing can be overwritten by mistake.
pub fn start_fresh(data_dir: &Path, secrets: &dyn SecretStore) -> Result<Store, StoreError> {
    let path = data_dir.join(DB_FILE_NAME);
    refuse_existing(&path)?;
    std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io {
        path: data_dir.into(),
        source,
    })?;
    let key = match read_key(secrets) {
        Ok(Some(key)) => key,
        Ok(None) | Err(KeyProblem::KeyRejected) => new_key(secrets)?,
        Err(_) => {
            return Err(StoreError::Keyring(SecretError::Unavailable(
                "the keyring cannot be read".into(),
            )))
        }
    };
    tracing::warn!(path = %path.display(), "creating a fresh data file after confirmation");
    let store = Store::open_encrypted(&path, &key)?;
    record_counts(&store);
    Ok(store)
}

/// How starting afresh went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Afresh {
    /// The data file opened after all, as at start-up: the keyring answered this time (the
    /// system may have just asked for its password) and its key opens the file. Nothing was
    /// moved and nothing is lost.
    Opened,
    /// A new key and a new, empty file; the old file, if there was one, is at `moved_to`.
    Started { moved_to: Option<PathBuf> },
}

/// After the key could not be used and a person confirmed. First the file is opened as at
/// start-up: when the keyring has been unlocked since and its key opens the file, that is all
/// (nothing is lost). When the keyring still cannot be read, nothing changes: a key it may hold
/// is never overwritten unseen. Otherwise a new key is made and kept in the keyring (first: if
/// the keyring cannot keep it, nothing changes; a key it held before is kept as
/// `data-file-key-replaced-<time>`), the file (and its WAL) is moved aside to
/// `loopdesk.db.no-key-<time>` (never deleted), and a new, empty encrypted file is made.
pub fn start_afresh_with_new_key(
    data_dir: &Path,
    secrets: &dyn SecretStore,
) -> Result<(Store, Afresh), StoreError> {
    let path = data_dir.join(DB_FILE_NAME);
    match open_for_startup(data_dir, secrets) {
        (Some(store), _) => {
            tracing::warn!(path = %path.display(),
                "the data file's key can be used after all; the file is opened, nothing is moved");
            return Ok((store, Afresh::Opened));
        }
        (
            None,
            StartupState::DataKeyProblem {
                problem: KeyProblem::KeyMissing | KeyProblem::KeyRejected,
                ..
            },
        ) => {}
        (
            None,
            StartupState::DataKeyProblem {
                problem: KeyProblem::KeyringUnavailable,
                ..
            },
        ) => {
            return Err(StoreError::Keyring(SecretError::Unavailable(
                "the keyring still cannot be read".into(),
            )))
        }
        (None, other) => {
            // The file changed since the explanation was shown (replaced, or a plain file found
            // damaged and moved aside as at start-up): nothing more is done now, and the next
            // start explains what it finds.
            tracing::error!(state = ?other, "not starting afresh: the data file's problem changed");
            return Err(StoreError::Invalid(
                "Loopdesk's data file has changed since this page was shown, so Loopdesk did \
                 not start afresh. Close Loopdesk and open it again."
                    .into(),
            ));
        }
    }
    // A key that did not open the file is not thrown away either: it is kept under another
    // name, beside the renamed file's time.
    let stamp = now_stamp();
    if let Some(old) = secrets.get(DATA_FILE_KEY)? {
        secrets.set(&format!("{DATA_FILE_KEY}-replaced-{stamp}"), &old)?;
        tracing::warn!("the keyring's earlier data file key is kept under another name");
    }
    let key = new_key(secrets)?;
    let moved = if path.exists() {
        let moved = move_aside_at(&path, "no-key", &stamp).map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
        tracing::warn!(path = %path.display(), moved_to = %moved.display(),
            "the data file whose key was lost is moved aside; starting afresh with a new key");
        Some(moved)
    } else {
        None
    };
    encryption::sync_dir(&path)?;
    let store = Store::open_encrypted(&path, &key)?;
    record_counts(&store);
    Ok((store, Afresh::Started { moved_to: moved }))
}

fn refuse_existing(path: &Path) -> Result<(), StoreError> {
    if path.exists() {
        return Err(StoreError::Invalid(format!(
            "{} exists; it will not be replaced",
            path.display()
        )));
    }
    Ok(())
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
            match move_aside(path, "corrupt") {
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

pub(super) fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// Renames the file (and its WAL/SHM companions) to `<name>.<label>-<UTC timestamp>`.
fn move_aside(path: &Path, label: &str) -> std::io::Result<PathBuf> {
    move_aside_at(path, label, &now_stamp())
}

fn now_stamp() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

/// As [`move_aside`], with the time given.
fn move_aside_at(path: &Path, label: &str, stamp: &str) -> std::io::Result<PathBuf> {
    let mut target = PathBuf::from(format!("{}.{label}-{stamp}", path.display()));
    let mut n = 1;
    while target.exists() {
        n += 1;
        target = PathBuf::from(format!("{}.{label}-{stamp}-{n}", path.display()));
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
