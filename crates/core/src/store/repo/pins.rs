//! Staff PINs (their Argon2id hashes only) and roles at this desk, and the wrong-PIN count.

use chrono::{DateTime, Utc};
use rusqlite::{named_params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::people::display_name;
use super::{get_opt_ts, now, opt_ts, string_enum, Ts};
use crate::store::Result;

string_enum!(
    /// What a staff member may do at this desk once they have unlocked it.
    DeskRole {
        Receptionist => "receptionist",
        ShiftLead => "shift_lead",
        Manager => "manager",
    }
);

impl DeskRole {
    /// Receptionist < shift lead < manager: each may do what the ones before may.
    pub fn rank(self) -> u8 {
        match self {
            Self::Receptionist => 1,
            Self::ShiftLead => 2,
            Self::Manager => 3,
        }
    }

    /// In words, for a person.
    pub fn words(self) -> &'static str {
        match self {
            Self::Receptionist => "receptionist",
            Self::ShiftLead => "shift lead",
            Self::Manager => "manager",
        }
    }
}

/// A staff member with a PIN at this desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PinHolder {
    pub staff_id: String,
    /// As every screen names a person.
    pub name: String,
    pub role: DeskRole,
}

/// A stored PIN: its holder and its hash (never shown, never logged).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredPin {
    pub holder: PinHolder,
    pub hash: String,
}

impl std::fmt::Debug for StoredPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredPin")
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

const SELECT: &str = "SELECT p.staff_id, p.role, p.pin_hash, s.full_name, s.preferred_name
     FROM staff_pins p JOIN staff s ON s.id = p.staff_id";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredPin> {
    let full: String = r.get(3)?;
    let preferred: Option<String> = r.get(4)?;
    Ok(StoredPin {
        holder: PinHolder {
            staff_id: r.get(0)?,
            name: display_name(&full, preferred.as_deref()),
            role: r.get(1)?,
        },
        hash: r.get(2)?,
    })
}

/// Every PIN at this desk, by name.
pub fn all_pins(conn: &Connection) -> Result<Vec<StoredPin>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} ORDER BY s.full_name COLLATE NOCASE, p.staff_id"
    ))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The PIN of staff member `staff_id`, if they have one.
pub fn pin_of(conn: &Connection, staff_id: &str) -> Result<Option<StoredPin>> {
    Ok(conn
        .query_row(
            &format!("{SELECT} WHERE p.staff_id = ?1"),
            [staff_id],
            from_row,
        )
        .optional()?)
}

/// How many PINs there are, and of managers.
pub fn pin_counts(conn: &Connection) -> Result<(u32, u32)> {
    Ok(conn.query_row(
        "SELECT count(*), coalesce(sum(role = 'manager'), 0) FROM staff_pins",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Sets (adds or replaces) staff member `staff_id`'s PIN hash and role.
pub fn set_pin(tx: &Transaction<'_>, staff_id: &str, role: DeskRole, hash: &str) -> Result<()> {
    let at = Ts(now());
    tx.execute(
        "INSERT INTO staff_pins (staff_id, role, pin_hash, created_at, updated_at)
         VALUES (:staff_id, :role, :hash, :at, :at)
         ON CONFLICT (staff_id) DO UPDATE SET role = excluded.role,
             pin_hash = excluded.pin_hash, updated_at = excluded.updated_at",
        named_params! {":staff_id": staff_id, ":role": role, ":hash": hash, ":at": at},
    )?;
    Ok(())
}

/// Changes a PIN holder's role; false when they have no PIN.
pub fn set_role(tx: &Transaction<'_>, staff_id: &str, role: DeskRole) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE staff_pins SET role = ?2, updated_at = ?3 WHERE staff_id = ?1",
        rusqlite::params![staff_id, role, Ts(now())],
    )? > 0)
}

/// Removes staff member `staff_id`'s PIN; false when they had none.
pub fn remove_pin(tx: &Transaction<'_>, staff_id: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM staff_pins WHERE staff_id = ?1", [staff_id])? > 0)
}

/// Wrong PINs in a row and the lock-out they caused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    pub failures: u32,
    /// Lock-outs in a row (the next one lasts twice as long).
    pub lockouts: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

pub fn attempts(conn: &Connection) -> Result<Attempts> {
    Ok(conn.query_row(
        "SELECT failures, lockouts, locked_until FROM pin_attempts WHERE id = 1",
        [],
        |r| {
            Ok(Attempts {
                failures: r.get(0)?,
                lockouts: r.get(1)?,
                locked_until: get_opt_ts(r, "locked_until")?,
            })
        },
    )?)
}

pub fn set_attempts(tx: &Transaction<'_>, a: &Attempts) -> Result<()> {
    tx.execute(
        "UPDATE pin_attempts SET failures = ?1, lockouts = ?2, locked_until = ?3 WHERE id = 1",
        rusqlite::params![a.failures, a.lockouts, opt_ts(&a.locked_until)],
    )?;
    Ok(())
}
