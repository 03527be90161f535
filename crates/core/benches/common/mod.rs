//! What the benches share: percentiles, the plain SQLite commit they are measured beside, the
//! folder they write in, and how figures are printed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub struct Figures {
    pub p50: Duration,
    pub p99: Duration,
}

pub fn figures(mut d: Vec<Duration>) -> Figures {
    d.sort_unstable();
    Figures {
        p50: percentile(&d, 0.50),
        p99: percentile(&d, 0.99),
    }
}

/// A file with one table, WAL and `synchronous=FULL`, for the plain commit the desk's writes
/// are measured beside. Its files are removed when dropped.
pub struct PlainDb {
    conn: Option<rusqlite::Connection>,
    path: PathBuf,
    next: u64,
}

impl PlainDb {
    pub fn open(dir: &Path) -> Self {
        let path = dir.join("plain.db");
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        c.pragma_update(None, "synchronous", "FULL").unwrap();
        c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            .unwrap();
        Self {
            conn: Some(c),
            path,
            next: 0,
        }
    }

    /// One row, `INSERT` + `COMMIT`: the least a durable write costs on this disk. Returns how
    /// long it took.
    pub fn commit(&mut self) -> Duration {
        self.next += 1;
        let sql = format!(
            "BEGIN IMMEDIATE; INSERT INTO t (body) VALUES ('note {}'); COMMIT;",
            self.next
        );
        let c = self.conn.as_ref().unwrap();
        let start = Instant::now();
        c.execute_batch(&sql).unwrap();
        start.elapsed()
    }
}

impl Drop for PlainDb {
    fn drop(&mut self) {
        drop(self.conn.take());
        std::fs::remove_file(&self.path).ok();
        for suffix in ["-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            std::fs::remove_file(p).ok();
        }
    }
}

/// A fresh folder on the disk of the build folder (the desk's data folder is on the same disk
/// here), not in a RAM-backed /tmp. Removed when dropped.
pub fn bench_dir() -> tempfile::TempDir {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::current_dir().unwrap().join("target"));
    std::fs::create_dir_all(&base).unwrap();
    tempfile::tempdir_in(&base).unwrap()
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64())
}
