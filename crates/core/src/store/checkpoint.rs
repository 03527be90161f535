//! The WAL's pages moved into the data file on a thread of the store's own, not in a person's
//! write.
//!
//! SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages: a
//! desk write (its row, outbox entry, audit line, the indexes of each: about 14 pages) met it
//! about once every 70 writes and waited several milliseconds for it, which was the slowest 1 %
//! of desk writes. So every [`CHECKPOINT_EVERY`] commits the store wakes this thread, which runs
//! a `PASSIVE` checkpoint on a second connection to the same file: it copies what is committed
//! without blocking a write (SQLite's own rules), and the next write starts the WAL afresh.
//!
//! SQLite's automatic checkpoint stays on the store's connection as the backstop: a pull that
//! writes thousands of rows in one transaction, or this thread falling behind, still keeps the
//! WAL bounded. A checkpoint that fails is logged and tried again at the next wake; it loses
//! nothing (the pages stay in the WAL, which SQLite reads).

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::thread::JoinHandle;

use rusqlite::Connection;

use super::{configure, DataKey, Result};

/// Commits between two wakes of the checkpoint thread (about 200 pages of desk writes).
pub const CHECKPOINT_EVERY: u32 = 16;

/// The checkpoint thread of one open store; stopped (and waited for) when dropped.
#[derive(Debug)]
pub(super) struct Checkpointer {
    wake: Option<SyncSender<()>>,
    commits: AtomicU32,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens the second connection (with `key` for an encrypted file) and starts its thread.
    pub(super) fn start(path: &Path, key: Option<&DataKey>) -> Result<Self> {
        let conn = Connection::open(path)?;
        if let Some(key) = key {
            key.apply(&conn)?;
        }
        configure(&conn)?;
        // At most one wake waiting: a wake while a checkpoint runs is served by the next one.
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("loopdesk-checkpoint".into())
            .spawn(move || {
                while woken.recv().is_ok() {
                    let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                        Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                    });
                    match done {
                        Ok((in_wal, copied)) => {
                            tracing::trace!(in_wal, copied, "WAL checkpoint");
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "a WAL checkpoint failed; tried again later")
                        }
                    }
                }
            })
            .map_err(|e| super::StoreError::Io {
                path: path.to_path_buf(),
                source: e,
            })?;
        Ok(Self {
            wake: Some(wake),
            commits: AtomicU32::new(0),
            thread: Some(thread),
        })
    }

    /// Called after each commit of the store's connection: every [`CHECKPOINT_EVERY`]th wakes
    /// the thread (never waits for it).
    pub(super) fn committed(&self) {
        let n = self.commits.fetch_add(1, Ordering::Relaxed) + 1;
        if n % CHECKPOINT_EVERY == 0 {
            if let Some(wake) = &self.wake {
                match wake.try_send(()) {
                    Ok(()) | Err(TrySendError::Full(())) => {}
                    Err(TrySendError::Disconnected(())) => {
                        tracing::warn!("the WAL checkpoint thread has stopped");
                    }
                }
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // The thread ends when its channel closes; a checkpoint under way finishes first, so
        // nothing touches the file once the store is gone.
        drop(self.wake.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::CHECKPOINT_EVERY;
    use crate::store::repo;
    use crate::Store;

    /// The data file alone (a copy without its WAL): how many of the test's rows it holds. A
    /// copy taken while a checkpoint writes may be torn: then none.
    fn rows_in_the_file_itself(db: &std::path::Path, copy: &std::path::Path) -> i64 {
        std::fs::copy(db, copy).unwrap();
        for suffix in ["-wal", "-shm"] {
            let mut p = copy.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
        rusqlite::Connection::open(copy)
            .and_then(|c| {
                c.query_row(
                    "SELECT count(*) FROM settings WHERE key LIKE 'checkpoint-%'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap_or(0)
    }

    #[test]
    fn small_writes_reach_the_data_file_itself_without_waiting_for_a_full_wal() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("loopdesk.db");
        let store = Store::open(&db).unwrap();
        let writes = i64::from(CHECKPOINT_EVERY);
        for i in 0..writes {
            store
                .write(|tx| repo::settings::set_setting(tx, &format!("checkpoint-{i}"), "x"))
                .unwrap();
        }
        // A few pages, far below SQLite's own 1,000-page checkpoint: only the store's thread
        // moves them into the file.
        let deadline = Instant::now() + Duration::from_secs(30);
        let copy = dir.path().join("copy.db");
        loop {
            let found = rows_in_the_file_itself(&db, &copy);
            if found == writes {
                break;
            }
            assert!(Instant::now() < deadline, "{found} of {writes} in the file");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Dropping the store stops its thread; the file is whole and opens as usual.
        drop(store);
        let store = Store::open(&db).unwrap();
        let kept: i64 = store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM settings WHERE key LIKE 'checkpoint-%'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(kept, writes);
    }
}
