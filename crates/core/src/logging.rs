//! Logging: human-readable lines to stderr and to a daily-rotated file in the log folder.
//!
//! Secrets never reach a log: they travel as [`crate::secret::Secret`], whose formatting shows
//! only a hint. A test greps the log file of a run that handled one.

use std::path::{Path, PathBuf};

use tracing_appender::{non_blocking::WorkerGuard, rolling};
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

/// Keeps the file writer alive; logs are flushed when it is dropped.
#[must_use = "logs stop being written when the guard is dropped"]
pub struct LogGuard {
    _file: WorkerGuard,
    pub dir: PathBuf,
}

/// How many daily files to keep.
const KEEP_DAYS: usize = 14;
pub const LOG_FILE_PREFIX: &str = "loopdesk";

/// Where logs go: `LOOPDESK_LOG_DIR`; else `<LOOPDESK_DATA_DIR>/logs` when the data folder is
/// overridden (tests, demos: everything of one run in one place); else the OS log folder.
pub fn log_dir(os_default: PathBuf) -> PathBuf {
    if let Some(dir) = std::env::var_os("LOOPDESK_LOG_DIR").filter(|d| !d.is_empty()) {
        return dir.into();
    }
    if let Some(dir) = std::env::var_os("LOOPDESK_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("logs");
    }
    os_default
}

/// A layer writing to a daily-rotated file in `dir`, and the guard that flushes it.
pub fn file_layer<S>(dir: &Path) -> std::io::Result<(impl Layer<S>, WorkerGuard)>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    std::fs::create_dir_all(dir)?;
    let appender = rolling::Builder::new()
        .rotation(rolling::Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .filename_suffix("log")
        .max_log_files(KEEP_DAYS)
        .build(dir)
        .map_err(std::io::Error::other)?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    Ok((fmt::layer().with_ansi(false).with_writer(writer), guard))
}

/// Installs the global subscriber: stderr + daily file in `dir`. Level from `RUST_LOG`
/// (default `info`).
pub fn init(dir: &Path) -> std::io::Result<LogGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (file, guard) = file_layer(dir)?;
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(file)
        .try_init()
        .map_err(std::io::Error::other)?;
    Ok(LogGuard {
        _file: guard,
        dir: dir.to_path_buf(),
    })
}
