//! The data file encrypted at rest (SQLCipher): the key, telling an encrypted file from a plain
//! one, and encrypting a plain file in place in one step that cannot leave half a file.
//!
//! The key is 256 random bits from the OS's generator, kept only in the OS keyring (the
//! [`SecretStore`](crate::secrets::SecretStore) entry [`DATA_FILE_KEY`](crate::secrets::DATA_FILE_KEY))
//! as 64 hex digits, and given to SQLCipher raw (`PRAGMA key = "x'…'"`), so opening pays no key
//! derivation. It never reaches a log line, an error message, SQLite or the window: [`DataKey`]
//! formats as `DataKey(…)`, and the one statement that holds it is kept in a zeroised string.

use std::{
    fmt,
    fs::File,
    io::Read as _,
    path::{Path, PathBuf},
};

use rand::RngCore as _;
use rusqlite::Connection;
use secrecy::{ExposeSecret as _, SecretString};

use super::{Result, StoreError};
use crate::secret::Secret;

/// The 256-bit key of the data file.
#[derive(Clone)]
pub struct DataKey(Secret);

impl DataKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        bytes.fill(0);
        Self(Secret::new(hex))
    }

    /// The key as the keyring keeps it; `None` when the entry is not a key Loopdesk made (64 hex
    /// digits).
    pub fn from_secret(secret: Secret) -> Option<Self> {
        let s = secret.expose();
        (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then_some(Self(secret))
    }

    /// The key as the keyring keeps it.
    pub fn secret(&self) -> &Secret {
        &self.0
    }

    /// The SQL literal SQLCipher reads as a raw key: `"x'<hex>'"`.
    fn literal(&self) -> SecretString {
        SecretString::from(format!("\"x'{}'\"", self.0.expose()))
    }

    /// Gives the key to a connection that has not read the file yet.
    pub(super) fn apply(&self, conn: &Connection) -> Result<()> {
        let sql = SecretString::from(format!("PRAGMA key = {};", self.literal().expose_secret()));
        conn.execute_batch(sql.expose_secret())
            .map_err(|_| StoreError::Invalid("SQLCipher refused the key statement".into()))
    }
}

impl PartialEq for DataKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.expose().eq_ignore_ascii_case(other.0.expose())
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not even Secret's four-character hint: that would be 16 bits of the key.
        f.write_str("DataKey(…)")
    }
}

/// What is at the data file's path, by its first bytes (read only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// No file, or an empty one: a new database.
    Absent,
    /// A plain SQLite database (`SQLite format 3\0`), as Loopdesk wrote it before encryption.
    Plain,
    /// Not plain, and a whole number of pages: an encrypted database (or something that cannot
    /// be told from one without its key).
    Encrypted,
    /// Neither: not a database at all.
    NotADatabase,
}

pub(super) const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Looks at the file's first bytes and length.
pub fn file_kind(path: &Path) -> Result<FileKind> {
    let io = |source| StoreError::Io {
        path: path.into(),
        source,
    };
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileKind::Absent),
        Err(e) => return Err(io(e)),
    };
    let len = file.metadata().map_err(io)?.len();
    if len == 0 {
        return Ok(FileKind::Absent);
    }
    let mut header = [0u8; 16];
    if file.read_exact(&mut header).is_ok() && &header == SQLITE_HEADER {
        return Ok(FileKind::Plain);
    }
    // A database is whole pages, and pages are at least 512 bytes (a power of two): an
    // encrypted file always is, so a file that is not cannot be one.
    Ok(if len >= 512 && len % 512 == 0 {
        FileKind::Encrypted
    } else {
        FileKind::NotADatabase
    })
}

/// The steps of [`encrypt_in_place`], named for tests that stop the process at each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The key is in the keyring (and was read back); nothing on disk has changed yet.
    KeyKept,
    /// The plain file's WAL is checkpointed into it and switched off (it is one file now).
    Checkpointed,
    /// The temporary file is attached with the key: it exists, empty or partly written.
    Attached,
    /// Everything is copied into the temporary file, not yet flushed to disk.
    Exported,
    /// The temporary file is on disk.
    Synced,
    /// The temporary file has replaced the plain one.
    Renamed,
    /// The folder's entry for it is on disk: done.
    Done,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::KeyKept,
        Step::Checkpointed,
        Step::Attached,
        Step::Exported,
        Step::Synced,
        Step::Renamed,
        Step::Done,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Step::KeyKept => "key-kept",
            Step::Checkpointed => "checkpointed",
            Step::Attached => "attached",
            Step::Exported => "exported",
            Step::Synced => "synced",
            Step::Renamed => "renamed",
            Step::Done => "done",
        }
    }
}

/// The temporary file an encryption writes before it replaces the data file.
pub fn temp_path(path: &Path) -> PathBuf {
    sibling(path, ".encrypting")
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Removes what an interrupted encryption left (the temporary file and its journal). Only the
/// rename makes the temporary file the data file, so while it exists under its own name the
/// plain file is still the data file and the work is simply done again.
pub fn remove_leftovers(path: &Path) -> Result<()> {
    let temp = temp_path(path);
    for file in [
        temp.clone(),
        sibling(&temp, "-journal"),
        sibling(&temp, "-wal"),
        sibling(&temp, "-shm"),
    ] {
        match std::fs::remove_file(&file) {
            Ok(()) => {
                tracing::warn!(file = %file.display(), "removed what an interrupted encryption of the data file left")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(StoreError::Io { path: file, source }),
        }
    }
    Ok(())
}

/// Encrypts the plain database at `path` with `key`, in place: a copy is written beside it
/// (`sqlcipher_export`), flushed to disk, and renamed over it, then the folder is flushed. At
/// any moment the file at `path` is either the whole plain database or the whole encrypted one.
/// The key must already be in the keyring (the caller stores it and reads it back first), so
/// an encrypted file never exists whose key is not kept. `at` is called after each [`Step`]
/// (tests stop the process there).
pub fn encrypt_in_place(path: &Path, key: &DataKey, at: &dyn Fn(Step)) -> Result<()> {
    remove_leftovers(path)?;
    let copied = copy_encrypted(path, key, at);
    if copied.is_err() {
        // The plain file is still the data file: the half-made copy goes.
        let _ = remove_leftovers(path);
    }
    copied?;
    replace_with_copy(path, at)
}

/// Writes the encrypted copy of the plain file at `path` beside it and flushes it to disk.
fn copy_encrypted(path: &Path, key: &DataKey, at: &dyn Fn(Step)) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let temp = temp_path(path);
    let conn = Connection::open(path)?;
    // Everything into the main file, and the WAL switched off (and deleted by SQLite): after the
    // rename no plain WAL may stand beside the encrypted file.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(StoreError::Invalid(format!(
            "the data file stayed in journal mode {mode}"
        )));
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    at(Step::Checkpointed);

    let attach = SecretString::from(format!(
        "ATTACH DATABASE '{}' AS encrypted KEY {};",
        temp.display().to_string().replace('\'', "''"),
        key.literal().expose_secret()
    ));
    // Its error never carries the statement (rusqlite can quote the SQL it refused): the key
    // is in it.
    conn.execute_batch(attach.expose_secret()).map_err(|e| {
        StoreError::Invalid(format!(
            "the encrypted copy could not be made ({:?})",
            e.sqlite_error_code()
        ))
    })?;
    at(Step::Attached);
    conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    conn.execute_batch(&format!("PRAGMA encrypted.user_version = {version};"))?;
    conn.execute_batch("DETACH DATABASE encrypted;")?;
    drop(conn);
    at(Step::Exported);

    File::open(&temp)
        .and_then(|f| f.sync_all())
        .map_err(io(&temp))?;
    at(Step::Synced);
    Ok(())
}

/// Puts the flushed copy in the plain file's place (one rename) and flushes the folder.
fn replace_with_copy(path: &Path, at: &dyn Fn(Step)) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let temp = temp_path(path);

    // No plain companion may outlive the plain file: the WAL is gone with journal_mode=DELETE;
    // the shared-memory index (no data of its own) is removed so the new file starts clean.
    for suffix in ["-wal", "-shm"] {
        let companion = sibling(path, suffix);
        match std::fs::metadata(&companion) {
            Ok(m) if suffix == "-wal" && m.len() > 0 => {
                return Err(StoreError::Invalid(
                    "the data file's WAL still holds changes after a checkpoint".into(),
                ));
            }
            Ok(_) => std::fs::remove_file(&companion).map_err(io(&companion))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&companion)(e)),
        }
    }
    std::fs::rename(&temp, path).map_err(io(path))?;
    at(Step::Renamed);
    sync_dir(path)?;
    at(Step::Done);
    tracing::info!(path = %path.display(), "the data file is now encrypted");
    Ok(())
}

/// Flushes the folder holding `path`, so a rename in it survives a power cut.
pub(super) fn sync_dir(path: &Path) -> Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| StoreError::Io {
                path: dir.into(),
                source,
            })?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_hex_and_never_formatted() {
        let a = DataKey::generate();
        let b = DataKey::generate();
        assert_ne!(a, b);
        assert_eq!(a.secret().expose().len(), 64);
        assert!(DataKey::from_secret(a.secret().clone()).is_some());
        assert!(DataKey::from_secret(Secret::new("not a key")).is_none());
        let shown = format!("{a:?}");
        assert_eq!(shown, "DataKey(…)");
        let tail = &a.secret().expose()[60..];
        assert!(!shown.contains(tail));
    }
}
