//! The local store: one SQLite file, the truth on this desk.
//!
//! Opening is careful, because a desk's data file is a promise to people: a file from a newer
//! Loopdesk is refused untouched; a file that is not a readable SQLite database is kept (moved
//! aside, never deleted) and a fresh one is only created when a person confirms; a migration that
//! fails is rolled back and leaves the file as it was. The app's file is encrypted (SQLCipher,
//! see [`encryption`]); an encrypted file whose key cannot be read is never taken for a damaged
//! one.

mod checkpoint;
pub mod encryption;
mod migrations;
pub mod repo;
mod startup;
pub mod unsent;

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use rusqlite::{Connection, OpenFlags, Transaction};

pub use encryption::DataKey;
pub use migrations::{latest_version, migrations, migrations_with_extra, MIGRATION_FILES};
pub use startup::{
    open_for_startup, open_for_startup_with, start_afresh_with_new_key, start_fresh, Afresh,
    KeyProblem, StartupState, DB_FILE_NAME,
};

/// Errors of the local store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("could not update the data file: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error(
        "the data file {path} was saved by a newer Loopdesk (schema {found}, this version knows {supported})"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("the data file {path} is not a readable Loopdesk database: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// An encrypted file that the key given does not open (another key, or its first page
    /// damaged: the two cannot be told apart). Never treated as corrupt.
    #[error("the data file {path} does not open with the key in the keyring")]
    KeyRejected { path: PathBuf },
    /// The keyring could not keep or give the data file's key.
    #[error("the data file's key: {0}")]
    Keyring(#[from] crate::secrets::SecretError),
    /// A plain (unencrypted) file where an encrypted one was expected.
    #[error("the data file {path} is not encrypted")]
    NotEncrypted { path: PathBuf },
    #[error("file system error at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{entity} {id} was not found")]
    NotFound { entity: &'static str, id: String },
    #[error("invalid data: {0}")]
    Invalid(String),
    #[error("stored JSON could not be read: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open, migrated local store.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
    checkpointer: checkpoint::Checkpointer,
}

impl Store {
    /// Opens (creating if absent) a plain, unencrypted database at `path` and applies pending
    /// migrations: for tests and benchmarks that are not about encryption. The app opens its
    /// file with [`open_for_startup`], always encrypted.
    ///
    /// Refuses, without changing anything, a file written by a newer schema or a file that is not
    /// a readable SQLite database. Use [`open_for_startup`] for the start-up flow that also moves
    /// a corrupt file aside.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, &migrations())
    }

    /// Opens (creating if absent) the encrypted database at `path` with `key` and applies
    /// pending migrations. Refuses a plain file ([`StoreError::NotEncrypted`]: see
    /// [`encryption::encrypt_in_place`]) and a file the key does not open
    /// ([`StoreError::KeyRejected`]), changing nothing.
    pub fn open_encrypted(path: impl AsRef<Path>, key: &DataKey) -> Result<Self> {
        Self::open_with_key(path, Some(key), &migrations())
    }

    /// As [`Store::open`], with an explicit migration set (tests use it to prove that a failing
    /// migration rolls back).
    pub fn open_with(
        path: impl AsRef<Path>,
        migrations: &rusqlite_migration::Migrations<'_>,
    ) -> Result<Self> {
        Self::open_with_key(path, None, migrations)
    }

    /// As [`Store::open_encrypted`] (with a key) or [`Store::open`] (without), with an explicit
    /// migration set.
    pub fn open_with_key(
        path: impl AsRef<Path>,
        key: Option<&DataKey>,
        migrations: &rusqlite_migration::Migrations<'_>,
    ) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        inspect_existing(&path, latest_version_of(migrations), key)?;
        make_private(&path)?;
        let mut conn = Connection::open(&path)?;
        if let Some(key) = key {
            key.apply(&conn)?;
        }
        configure(&conn)?;
        migrations.to_latest(&mut conn)?;
        let checkpointer = checkpoint::Checkpointer::start(&path, key)?;
        tracing::info!(path = %path.display(), version = user_version(&conn)?,
            encrypted = key.is_some(), "local store open");
        Ok(Self {
            conn: Mutex::new(conn),
            path,
            checkpointer,
        })
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the number of writes waiting for CareLoop beside the file (see [`unsent`]).
    pub fn record_unsent(&self, count: u32) {
        unsent::record_unsent(&self.path, count);
    }

    /// The schema version of the open file (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<u32> {
        user_version(&self.lock())
    }

    /// Runs `f` with the connection.
    pub fn read<R>(&self, f: impl FnOnce(&Connection) -> Result<R>) -> Result<R> {
        f(&self.lock())
    }

    /// Runs `f` in one immediate transaction: all of it is committed, or none of it.
    pub fn write<R>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<R>) -> Result<R> {
        self.transact(f)
    }

    /// As [`Store::write`], with the caller's error type: any `Err` of `f` rolls the whole
    /// transaction back (a refused form changes nothing), `Ok` commits it.
    pub fn transact<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        drop(conn);
        self.checkpointer.committed();
        Ok(out)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-written transaction behind (SQLite
        // rolls it back when the Transaction is dropped), so the connection is still usable.
        crate::errors::lock(&self.conn)
    }
}

/// Runs a store function where it may block (SQLite commits wait for the disk): on the calling
/// worker thread of a multi-threaded runtime (`block_in_place`: the worker's other tasks move to
/// another thread, and the call is not handed to a second thread and back), else on the
/// blocking pool.
pub async fn blocking<R, E, F>(store: &Arc<Store>, f: F) -> Result<R, E>
where
    R: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: FnOnce(&Store) -> Result<R, E> + Send + 'static,
{
    use tokio::runtime::{Handle, RuntimeFlavor};
    if Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
        return tokio::task::block_in_place(|| f(store));
    }
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| StoreError::Invalid(format!("a background task failed: {e}")))?
}

/// The data file holds residents' health data: it (and SQLite's `-wal` and `-shm` files, which
/// SQLite creates with the main file's permissions) is readable and writable by its owner only.
/// A new file is created that way; an existing one is tightened (its content is not touched).
fn make_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let io = |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn latest_version_of(migrations: &rusqlite_migration::Migrations<'_>) -> u32 {
    // `pending_migrations` on a blank in-memory database counts them all.
    Connection::open_in_memory()
        .ok()
        .and_then(|c| migrations.pending_migrations(&c).ok())
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 64;

/// Pragmas every connection gets: WAL, foreign keys, and full fsync on commit (a sign-in or an
/// incident must survive a power cut).
fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    // Every statement a desk write makes stays prepared (rusqlite keeps 16 by default).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn user_version(conn: &Connection) -> Result<u32> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    u32::try_from(v).map_err(|_| StoreError::Invalid(format!("user_version {v} is out of range")))
}

/// Looks at an existing file read-only, changing nothing: is it SQLite (encrypted with `key`
/// when there is one), intact, and not newer than `supported`? An absent or empty file passes
/// (it becomes a new database).
fn inspect_existing(path: &Path, supported: u32, key: Option<&DataKey>) -> Result<()> {
    use encryption::FileKind;
    match (encryption::file_kind(path)?, key) {
        (FileKind::Absent, _) => return Ok(()),
        (FileKind::Plain, Some(_)) => return Err(StoreError::NotEncrypted { path: path.into() }),
        (FileKind::Encrypted, Some(key)) => return inspect_encrypted(path, supported, key),
        (FileKind::Plain, None) => {}
        (FileKind::Encrypted | FileKind::NotADatabase, _) => {
            return Err(StoreError::Corrupt {
                path: path.into(),
                reason: "it is not an SQLite database".into(),
            })
        }
    }
    let corrupt = |reason: String| StoreError::Corrupt {
        path: path.into(),
        reason,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| corrupt(e.to_string()))?;
    let found = user_version(&conn).map_err(|e| corrupt(e.to_string()))?;
    check_opened(&conn, path, found, supported)
}

/// What both inspections check once the file is open and its schema version `found` read: not
/// newer than this app knows, and SQLite's quick check passes.
fn check_opened(conn: &Connection, path: &Path, found: u32, supported: u32) -> Result<()> {
    if found > supported {
        return Err(StoreError::NewerSchema {
            path: path.into(),
            found,
            supported,
        });
    }
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| StoreError::Corrupt {
            path: path.into(),
            reason: e.to_string(),
        })?;
    if check != "ok" {
        return Err(StoreError::Corrupt {
            path: path.into(),
            reason: format!("integrity check failed: {check}"),
        });
    }
    Ok(())
}

/// [`inspect_existing`] for an encrypted file: a file the key does not open is
/// [`StoreError::KeyRejected`], never corrupt; one that opens but fails its check is corrupt.
fn inspect_encrypted(path: &Path, supported: u32, key: &DataKey) -> Result<()> {
    let rejected = || StoreError::KeyRejected { path: path.into() };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|_| rejected())?;
    key.apply(&conn)?;
    // The first read decrypts page 1: the key is right, or it is not.
    let found = match user_version(&conn) {
        Ok(v) => v,
        Err(StoreError::Sqlite(e)) if startup::is_not_a_database(&e) => return Err(rejected()),
        Err(e) => return Err(e),
    };
    check_opened(&conn, path, found, supported)
}
