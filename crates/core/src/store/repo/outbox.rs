//! The outbox: local writes waiting for CareLoop, in the order they were made. An entry is
//! written in the same transaction as its domain row and leaves only when the server
//! acknowledged it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{named_params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;
use ts_rs::TS;

use super::{get_opt_ts, get_ts, now, opt_ts, string_enum, Ts};
use crate::store::{Result, StoreError};

string_enum!(
    /// `needs_attention`: the server refused the write (422); a person must fix and resubmit it.
    OutboxStatus {
        Pending => "pending",
        NeedsAttention => "needs_attention",
    }
);

/// A local write waiting for the server.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct OutboxEntry {
    /// The order of writes on this desk.
    #[ts(type = "number")]
    pub seq: i64,
    /// The client UUID: the entry's `Idempotency-Key`.
    pub client_id: String,
    /// What to do, e.g. `visit.confirm`, `care_note.create`.
    pub op: String,
    pub entity: String,
    pub entity_id: String,
    #[ts(type = "unknown")]
    pub payload: serde_json::Value,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    #[ts(type = "Record<string, string> | null")]
    pub field_errors: Option<serde_json::Value>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When a request for it may first have reached CareLoop (set before it is sent): from
    /// then on, what it may have made is looked for before it is sent again.
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new outbox entry; written with [`enqueue`] in the same transaction as its domain row.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutboxEntry<'a> {
    pub op: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub payload: serde_json::Value,
}

/// Adds a write to the outbox; returns the stored entry with its fresh client UUID.
pub fn enqueue(tx: &Transaction<'_>, entry: &NewOutboxEntry<'_>) -> Result<OutboxEntry> {
    enqueue_with_client_id(tx, entry, &uuid::Uuid::new_v4().to_string())
}

/// As [`enqueue`], with a client UUID chosen by the caller (a create uses the UUID it gave the
/// new row as the row's temporary id, so that both carry the same one).
pub fn enqueue_with_client_id(
    tx: &Transaction<'_>,
    entry: &NewOutboxEntry<'_>,
    client_id: &str,
) -> Result<OutboxEntry> {
    let at = now();
    tx.prepare_cached(
        "INSERT INTO outbox (client_id, op, entity, entity_id, payload, status, created_at,
                             updated_at)
         VALUES (:client_id, :op, :entity, :entity_id, :payload, 'pending', :at, :at)",
    )?
    .execute(named_params! {
            ":client_id": client_id, ":op": entry.op, ":entity": entry.entity,
            ":entity_id": entry.entity_id, ":payload": entry.payload.to_string(), ":at": Ts(at),
    })?;
    let seq = tx.last_insert_rowid();
    get_outbox_entry(tx, seq)?.ok_or(StoreError::NotFound {
        entity: "outbox entry",
        id: seq.to_string(),
    })
}

fn outbox_from_row(r: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let payload: String = r.get("payload")?;
    let field_errors: Option<String> = r.get("field_errors")?;
    let to_json = |s: &str| {
        serde_json::from_str(s).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
    };
    Ok(OutboxEntry {
        seq: r.get("seq")?,
        client_id: r.get("client_id")?,
        op: r.get("op")?,
        entity: r.get("entity")?,
        entity_id: r.get("entity_id")?,
        payload: to_json(&payload)?,
        status: r.get("status")?,
        attempts: r.get("attempts")?,
        last_error: r.get("last_error")?,
        field_errors: field_errors.as_deref().map(to_json).transpose()?,
        next_attempt_at: get_opt_ts(r, "next_attempt_at")?,
        sent_at: get_opt_ts(r, "sent_at")?,
        created_at: get_ts(r, "created_at")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

pub fn get_outbox_entry(conn: &Connection, seq: i64) -> Result<Option<OutboxEntry>> {
    Ok(conn
        .prepare_cached("SELECT * FROM outbox WHERE seq = ?1")?
        .query_row([seq], outbox_from_row)
        .optional()?)
}

/// Entries with the given status, in the order they were written.
pub fn outbox_entries(conn: &Connection, status: OutboxStatus) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached("SELECT * FROM outbox WHERE status = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([status], outbox_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many entries have each status: (pending, needs attention). Kept by triggers in the
/// transaction of every change, so this reads two rows however long the queue is.
pub fn outbox_counts(conn: &Connection) -> Result<(u32, u32)> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(sum(n) FILTER (WHERE status = 'pending'), 0),
                    coalesce(sum(n) FILTER (WHERE status = 'needs_attention'), 0)
             FROM outbox_counts",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// Removes entry `seq` and every later entry of the same row (a create given up takes the
/// changes made to its row after it).
pub fn discard_entity_from(
    tx: &Transaction<'_>,
    entity: &str,
    entity_id: &str,
    seq: i64,
) -> Result<usize> {
    Ok(tx.execute(
        "DELETE FROM outbox WHERE entity = ?1 AND entity_id = ?2 AND seq >= ?3",
        rusqlite::params![entity, entity_id, seq],
    )?)
}

/// Whether an entity has a write the server has not acknowledged (a pull must not overwrite it).
pub fn has_unacknowledged_write(conn: &Connection, entity: &str, entity_id: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE entity = ?1 AND entity_id = ?2)",
        [entity, entity_id],
        |r| r.get(0),
    )?)
}

/// Records a failed attempt that will be retried (network, 5xx, 429).
pub fn record_outbox_retry(
    tx: &Transaction<'_>,
    seq: i64,
    error: &str,
    next_attempt_at: Option<DateTime<Utc>>,
) -> Result<()> {
    let changed = tx.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = :error,
             next_attempt_at = :next, updated_at = :at WHERE seq = :seq",
        named_params! {
            ":error": error, ":next": opt_ts(&next_attempt_at), ":at": Ts(now()), ":seq": seq,
        },
    )?;
    not_found_if_zero(changed, seq)
}

/// Parks an entry the server refused (422) with its per-field error codes.
pub fn park_outbox_entry(
    tx: &Transaction<'_>,
    seq: i64,
    message: &str,
    field_errors: &serde_json::Value,
) -> Result<()> {
    let changed = tx.execute(
        "UPDATE outbox SET status = 'needs_attention', attempts = attempts + 1,
             last_error = :message, field_errors = :fields, next_attempt_at = NULL,
             updated_at = :at WHERE seq = :seq",
        named_params! {
            ":message": message, ":fields": field_errors.to_string(), ":at": Ts(now()),
            ":seq": seq,
        },
    )?;
    not_found_if_zero(changed, seq)
}

/// A person fixed a parked entry: its new payload goes back in the queue at its place, under a
/// new client UUID (its next `Idempotency-Key`: the corrected request is another request, and
/// must not collide with the refused one).
pub fn resubmit_outbox_entry(
    tx: &Transaction<'_>,
    seq: i64,
    payload: &serde_json::Value,
) -> Result<()> {
    let changed = tx.execute(
        "UPDATE outbox SET status = 'pending', payload = :payload, field_errors = NULL,
             last_error = NULL, next_attempt_at = NULL, client_id = :key, updated_at = :at
         WHERE seq = :seq AND status = 'needs_attention'",
        named_params! {
            ":payload": payload.to_string(), ":key": uuid::Uuid::new_v4().to_string(),
            ":at": Ts(now()), ":seq": seq,
        },
    )?;
    not_found_if_zero(changed, seq)
}

/// A request for entry `seq` is about to go out: records (once) that it may reach CareLoop.
pub fn mark_sent(tx: &Transaction<'_>, seq: i64, at: DateTime<Utc>) -> Result<()> {
    let changed = tx.execute(
        "UPDATE outbox SET sent_at = coalesce(sent_at, ?2) WHERE seq = ?1",
        rusqlite::params![seq, Ts(at)],
    )?;
    not_found_if_zero(changed, seq)
}

/// The server acknowledged the entry (2xx): it leaves the outbox. Call in the transaction that
/// records the server's answer.
pub fn complete_outbox_entry(tx: &Transaction<'_>, seq: i64) -> Result<()> {
    let changed = tx.execute("DELETE FROM outbox WHERE seq = ?1", [seq])?;
    not_found_if_zero(changed, seq)
}

fn not_found_if_zero(changed: usize, seq: i64) -> Result<()> {
    if changed == 0 {
        return Err(StoreError::NotFound {
            entity: "outbox entry",
            id: seq.to_string(),
        });
    }
    Ok(())
}

/// Ids of `entity` rows with a write the server has not acknowledged.
pub fn pending_ids(conn: &Connection, entity: &str) -> Result<HashSet<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT entity_id FROM outbox WHERE entity = ?1")?;
    let rows = stmt.query_map([entity], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The entries about one row, in order.
pub fn entries_for(conn: &Connection, entity: &str, entity_id: &str) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn
        .prepare_cached("SELECT * FROM outbox WHERE entity = ?1 AND entity_id = ?2 ORDER BY seq")?;
    let rows = stmt.query_map([entity, entity_id], outbox_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An edit before the entry was ever sent: its payload is replaced in place (same key: no
/// request has used it). False when it was sent meanwhile (or is not pending).
pub fn replace_unsent_payload(
    tx: &Transaction<'_>,
    seq: i64,
    payload: &serde_json::Value,
) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE outbox SET payload = ?2, updated_at = ?3
         WHERE seq = ?1 AND status = 'pending' AND sent_at IS NULL",
        rusqlite::params![seq, payload.to_string(), Ts(now())],
    )? > 0)
}
