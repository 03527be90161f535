//! What the sync engine keeps and needs beyond the per-table upserts: pull state per resource
//! (the `updated_since` cursor and the last outcome), which cached table a resource lives in,
//! whether an incoming copy is newer than the local one, sweeping rows the server no longer has
//! after a full refresh, and swapping a local id for the server's.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;
use ts_rs::TS;

use super::{get_opt_ts, now, Ts};
use crate::store::Result;

/// Pull state of one resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SyncState {
    pub resource: String,
    /// The `updated_since` cursor for the next incremental pull.
    pub cursor: Option<String>,
    pub last_full_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

fn sync_state_from_row(r: &Row<'_>) -> rusqlite::Result<SyncState> {
    Ok(SyncState {
        resource: r.get("resource")?,
        cursor: r.get("cursor")?,
        last_full_at: get_opt_ts(r, "last_full_at")?,
        last_success_at: get_opt_ts(r, "last_success_at")?,
        last_error: r.get("last_error")?,
        last_error_at: get_opt_ts(r, "last_error_at")?,
    })
}

pub fn get_sync_state(conn: &Connection, resource: &str) -> Result<SyncState> {
    Ok(conn
        .query_row(
            "SELECT * FROM sync_state WHERE resource = ?1",
            [resource],
            sync_state_from_row,
        )
        .optional()?
        .unwrap_or_else(|| SyncState {
            resource: resource.to_owned(),
            ..SyncState::default()
        }))
}

pub fn all_sync_states(conn: &Connection) -> Result<Vec<SyncState>> {
    let mut stmt = conn.prepare_cached("SELECT * FROM sync_state ORDER BY resource")?;
    let rows = stmt.query_map([], sync_state_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Saves the cursor after a page was stored (same transaction as the page).
pub fn set_sync_cursor(tx: &Transaction<'_>, resource: &str, cursor: Option<&str>) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_state (resource, cursor) VALUES (?1, ?2)
         ON CONFLICT (resource) DO UPDATE SET cursor = excluded.cursor",
        rusqlite::params![resource, cursor],
    )?;
    Ok(())
}

/// A pull of `resource` finished; `full` when it was a full refresh.
pub fn record_sync_success(tx: &Transaction<'_>, resource: &str, full: bool) -> Result<()> {
    let at = Ts(now());
    tx.execute(
        "INSERT INTO sync_state (resource, last_success_at, last_full_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (resource) DO UPDATE SET last_success_at = excluded.last_success_at,
             last_full_at = coalesce(excluded.last_full_at, last_full_at),
             last_error = NULL, last_error_at = NULL",
        rusqlite::params![resource, at, full.then_some(at)],
    )?;
    Ok(())
}

pub fn record_sync_error(tx: &Transaction<'_>, resource: &str, error: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_state (resource, last_error, last_error_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (resource) DO UPDATE SET last_error = excluded.last_error,
             last_error_at = excluded.last_error_at",
        rusqlite::params![resource, error, Ts(now())],
    )?;
    Ok(())
}

/// A cached table and the outbox entity name of its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    Locations,
    Staff,
    Courses,
    Residents,
    Certifications,
    Visits,
    Incidents,
    CareNotes,
    VisitorSignIns,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Self::Locations => "locations",
            Self::Staff => "staff",
            Self::Courses => "courses",
            Self::Residents => "residents",
            Self::Certifications => "certifications",
            Self::Visits => "visits",
            Self::Incidents => "incidents",
            Self::CareNotes => "care_notes",
            Self::VisitorSignIns => "visitor_sign_ins",
        }
    }

    /// The `entity` of outbox entries about rows of this table.
    pub fn entity(self) -> &'static str {
        match self {
            Self::Locations => "location",
            Self::Staff => "staff",
            Self::Courses => "course",
            Self::Residents => "resident",
            Self::Certifications => "certification",
            Self::Visits => "visit",
            Self::Incidents => "incident",
            Self::CareNotes => "care_note",
            Self::VisitorSignIns => "visitor_sign_in",
        }
    }

    /// Tables whose rows may be created on this desk (they have a `client_id` column).
    fn has_client_id(self) -> bool {
        !matches!(self, Self::Locations | Self::Staff | Self::Courses)
    }
}

/// The server `updated_at` of a cached row, if there is one.
pub fn local_updated_at(
    conn: &Connection,
    table: Table,
    id: &str,
) -> Result<Option<DateTime<Utc>>> {
    let sql = format!("SELECT updated_at FROM {} WHERE id = ?1", table.name());
    Ok(conn
        .query_row(&sql, [id], |r| r.get::<_, Ts>(0))
        .optional()?
        .map(|t| t.0))
}

/// Removes a row (and, through foreign keys, its children).
pub fn delete_row(tx: &Transaction<'_>, table: Table, id: &str) -> Result<bool> {
    let sql = format!("DELETE FROM {} WHERE id = ?1", table.name());
    Ok(tx.execute(&sql, [id])? > 0)
}

/// After a full refresh: removes rows of `table` (optionally only those matching `scope`,
/// e.g. one resident's care notes) whose id is not in `seen` and that have no write waiting in
/// the outbox. Returns how many were removed.
pub fn sweep(
    tx: &Transaction<'_>,
    table: Table,
    scope: Option<(&str, &str)>,
    seen: &HashSet<String>,
) -> Result<usize> {
    let ids: Vec<String> = {
        let (sql, param) = match scope {
            // Only fixed column names reach this function (see the callers).
            Some((column, value)) => (
                format!("SELECT id FROM {} WHERE {column} = ?1", table.name()),
                Some(value),
            ),
            None => (format!("SELECT id FROM {}", table.name()), None),
        };
        let mut stmt = tx.prepare(&sql)?;
        let rows = match param {
            Some(v) => stmt
                .query_map([v], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?,
            None => stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?,
        };
        rows
    };
    let mut removed = 0;
    for id in ids.iter().filter(|id| !seen.contains(*id)) {
        if super::outbox::has_unacknowledged_write(tx, table.entity(), id)? {
            continue;
        }
        if delete_row(tx, table, id)? {
            removed += 1;
        }
    }
    Ok(removed)
}

/// The server acknowledged a create: the row's temporary (client) id becomes the server id
/// everywhere it is used: the row itself (children follow through `ON UPDATE CASCADE`) and the
/// outbox entries that still refer to it. A copy of the server row that a pull stored in the
/// meantime is replaced by ours.
pub fn swap_id(tx: &Transaction<'_>, table: Table, local_id: &str, server_id: &str) -> Result<()> {
    if local_id == server_id {
        return Ok(());
    }
    delete_row(tx, table, server_id)?;
    let sql = if table.has_client_id() {
        format!(
            "UPDATE {} SET id = ?2, client_id = coalesce(client_id, ?1) WHERE id = ?1",
            table.name()
        )
    } else {
        format!("UPDATE {} SET id = ?2 WHERE id = ?1", table.name())
    };
    tx.execute(&sql, [local_id, server_id])?;
    tx.execute(
        "UPDATE outbox SET entity_id = ?3 WHERE entity = ?1 AND entity_id = ?2",
        [table.entity(), local_id, server_id],
    )?;
    if table == Table::Incidents {
        super::incidents::swap_incident_id(tx, local_id, server_id)?;
    }
    if table == Table::Residents {
        // Care notes and visits refer to residents by id without a constraint.
        tx.execute(
            "UPDATE care_notes SET resident_id = ?2 WHERE resident_id = ?1",
            [local_id, server_id],
        )?;
        tx.execute(
            "UPDATE visits SET resident_id = ?2 WHERE resident_id = ?1",
            [local_id, server_id],
        )?;
    }
    Ok(())
}

/// Forgets a resource's cursor and last full refresh: the next pull is a full refresh.
pub fn reset_sync_state(tx: &Transaction<'_>, resource: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_state (resource, cursor, last_full_at) VALUES (?1, NULL, NULL)
         ON CONFLICT (resource) DO UPDATE SET cursor = NULL, last_full_at = NULL",
        [resource],
    )?;
    Ok(())
}
