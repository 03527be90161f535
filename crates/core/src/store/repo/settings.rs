//! Desk settings that are not secret (addresses, this desk's home, cursors).

use rusqlite::{Connection, OptionalExtension, Transaction};

use super::{now, Ts};
use crate::store::{Result, StoreError};

/// Setting names that must never be stored here: secrets belong in the OS keyring.
const SECRET_WORDS: &[&str] = &["key", "token", "secret", "password", "pin"];

fn check_setting_name(key: &str) -> Result<()> {
    let lower = key.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    if key.trim().is_empty() || words.iter().any(|w| SECRET_WORDS.contains(w)) {
        return Err(StoreError::Invalid(format!(
            "setting {key:?} looks like a secret; secrets are kept in the OS keyring"
        )));
    }
    Ok(())
}

pub fn get_setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn set_setting(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
    check_setting_name(key)?;
    tx.execute(
        "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        rusqlite::params![key, value, Ts(now())],
    )?;
    Ok(())
}

pub fn delete_setting(tx: &Transaction<'_>, key: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM settings WHERE key = ?1", [key])? > 0)
}

/// The home's time zone (the IANA zone in the setting, Europe/London unless one is set).
pub fn home_zone(conn: &Connection) -> Result<chrono_tz::Tz> {
    Ok(crate::clock::parse_zone(
        get_setting(conn, crate::clock::TIME_ZONE_SETTING)?.as_deref(),
    ))
}
