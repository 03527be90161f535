//! How many writes are waiting for CareLoop, kept beside the data file in plain text.
//!
//! When the data file's key is lost, the file cannot be read, yet the person deciding whether
//! to start afresh must be told how many writes that would lose. So the desk keeps that one
//! number in `unsent-writes` in the data folder: a decimal number and a newline, nothing else
//! (no names, no ids, no times). It is written when the store opens, and half a second after
//! the outbox's counts change (`sync::shared`, once for a burst of writes, off the command's
//! path) and when the desk stops, by writing a temporary file and renaming it over the old one,
//! so it is always a whole number. It is not flushed to disk on each change: after a crash or
//! a power cut it may be a burst of writes behind, or missing (then "not known").

use std::path::{Path, PathBuf};

/// The side file's name in the data folder.
pub const UNSENT_FILE_NAME: &str = "unsent-writes";

/// The side file for the data file at `db_path`.
pub fn unsent_path(db_path: &Path) -> PathBuf {
    db_path.with_file_name(UNSENT_FILE_NAME)
}

/// Writes `count` for the data file at `db_path`. Failures are logged, never raised: the count
/// is a help for a rare decision, not a record.
pub fn record_unsent(db_path: &Path, count: u32) {
    let path = unsent_path(db_path);
    let temp = path.with_extension("tmp");
    let written =
        std::fs::write(&temp, format!("{count}\n")).and_then(|()| std::fs::rename(&temp, &path));
    if let Err(e) = written {
        tracing::warn!(file = %path.display(), error = %e, "the count of unsent writes could not be kept");
    }
}

/// The count last written for the data file at `db_path`, if there is a readable one.
pub fn read_unsent(db_path: &Path) -> Option<u32> {
    std::fs::read_to_string(unsent_path(db_path))
        .ok()?
        .trim()
        .parse()
        .ok()
}
