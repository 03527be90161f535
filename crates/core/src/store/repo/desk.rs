//! Desk state: the outbox, bridge events and alerts, sync state, settings, the local audit log.

use chrono::{DateTime, Utc};
use rusqlite::{named_params, Connection, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
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
    tx.execute(
        "INSERT INTO outbox (client_id, op, entity, entity_id, payload, status, created_at,
                             updated_at)
         VALUES (:client_id, :op, :entity, :entity_id, :payload, 'pending', :at, :at)",
        named_params! {
            ":client_id": client_id, ":op": entry.op, ":entity": entry.entity,
            ":entity_id": entry.entity_id, ":payload": entry.payload.to_string(), ":at": Ts(at),
        },
    )?;
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
        created_at: get_ts(r, "created_at")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

pub fn get_outbox_entry(conn: &Connection, seq: i64) -> Result<Option<OutboxEntry>> {
    Ok(conn
        .query_row(
            "SELECT * FROM outbox WHERE seq = ?1",
            [seq],
            outbox_from_row,
        )
        .optional()?)
}

/// Entries with the given status, in the order they were written.
pub fn outbox_entries(conn: &Connection, status: OutboxStatus) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached("SELECT * FROM outbox WHERE status = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([status], outbox_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many entries have each status: (pending, needs attention).
pub fn outbox_counts(conn: &Connection) -> Result<(u32, u32)> {
    Ok(conn.query_row(
        "SELECT count(*) FILTER (WHERE status = 'pending'),
                count(*) FILTER (WHERE status = 'needs_attention') FROM outbox",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
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

/// A person fixed a parked entry: its new payload goes back in the queue at its place.
pub fn resubmit_outbox_entry(
    tx: &Transaction<'_>,
    seq: i64,
    payload: &serde_json::Value,
) -> Result<()> {
    let changed = tx.execute(
        "UPDATE outbox SET status = 'pending', payload = :payload, field_errors = NULL,
             last_error = NULL, next_attempt_at = NULL, updated_at = :at
         WHERE seq = :seq AND status = 'needs_attention'",
        named_params! {":payload": payload.to_string(), ":at": Ts(now()), ":seq": seq},
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

/// An event received from the polling bridge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BridgeEvent {
    pub id: String,
    pub cursor: String,
    pub source: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    #[serde(default)]
    pub resource_id: Option<String>,
    #[ts(type = "unknown")]
    pub data: serde_json::Value,
}

/// Stores an event unless its id is known; returns whether it was new.
pub fn insert_bridge_event(tx: &Transaction<'_>, e: &BridgeEvent) -> Result<bool> {
    let inserted = tx.execute(
        "INSERT INTO bridge_events (id, cursor, source, type, occurred_at, received_at,
                                    resource_id, data, stored_at)
         VALUES (:id, :cursor, :source, :type, :occurred_at, :received_at, :resource_id, :data,
                 :stored_at)
         ON CONFLICT (id) DO NOTHING",
        named_params! {
            ":id": e.id, ":cursor": e.cursor, ":source": e.source, ":type": e.kind,
            ":occurred_at": opt_ts(&e.occurred_at), ":received_at": Ts(e.received_at),
            ":resource_id": e.resource_id, ":data": e.data.to_string(), ":stored_at": Ts(now()),
        },
    )?;
    Ok(inserted > 0)
}

pub fn count_bridge_events(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("SELECT count(*) FROM bridge_events", [], |r| r.get(0))?)
}

/// An alert at the desk; it stays until a staff member acknowledges it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Alert {
    #[ts(type = "number")]
    pub id: i64,
    pub event_id: String,
    /// The event type that raised it (`incident.critical`, `visit.no_show`).
    pub kind: String,
    pub title: String,
    pub detail: Option<String>,
    pub location_id: Option<String>,
    pub resident_id: Option<String>,
    pub resource_id: Option<String>,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
}

/// What raises an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert<'a> {
    pub event_id: &'a str,
    pub kind: &'a str,
    pub title: &'a str,
    pub detail: Option<&'a str>,
    pub location_id: Option<&'a str>,
    pub resident_id: Option<&'a str>,
    pub resource_id: Option<&'a str>,
}

/// Raises an alert for an event (once per event); returns its id when it is new.
pub fn raise_alert(tx: &Transaction<'_>, a: &NewAlert<'_>) -> Result<Option<i64>> {
    let inserted = tx.execute(
        "INSERT INTO alerts (event_id, kind, title, detail, location_id, resident_id,
                             resource_id, raised_at)
         VALUES (:event_id, :kind, :title, :detail, :location_id, :resident_id, :resource_id,
                 :at)
         ON CONFLICT (event_id) DO NOTHING",
        named_params! {
            ":event_id": a.event_id, ":kind": a.kind, ":title": a.title, ":detail": a.detail,
            ":location_id": a.location_id, ":resident_id": a.resident_id,
            ":resource_id": a.resource_id, ":at": Ts(now()),
        },
    )?;
    Ok((inserted > 0).then(|| tx.last_insert_rowid()))
}

fn alert_from_row(r: &Row<'_>) -> rusqlite::Result<Alert> {
    Ok(Alert {
        id: r.get("id")?,
        event_id: r.get("event_id")?,
        kind: r.get("kind")?,
        title: r.get("title")?,
        detail: r.get("detail")?,
        location_id: r.get("location_id")?,
        resident_id: r.get("resident_id")?,
        resource_id: r.get("resource_id")?,
        raised_at: get_ts(r, "raised_at")?,
        acknowledged_at: get_opt_ts(r, "acknowledged_at")?,
        acknowledged_by: r.get("acknowledged_by")?,
    })
}

/// Alerts not yet acknowledged, oldest first (the oldest is the most urgent).
pub fn open_alerts(conn: &Connection) -> Result<Vec<Alert>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM alerts WHERE acknowledged_at IS NULL ORDER BY raised_at, id",
    )?;
    let rows = stmt.query_map([], alert_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Recent alerts, open and acknowledged, newest first.
pub fn recent_alerts(conn: &Connection, limit: u32) -> Result<Vec<Alert>> {
    let mut stmt =
        conn.prepare_cached("SELECT * FROM alerts ORDER BY raised_at DESC, id DESC LIMIT ?1")?;
    let rows = stmt.query_map([limit], alert_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A staff member acknowledges an alert; who and when are recorded, once.
pub fn acknowledge_alert(tx: &Transaction<'_>, id: i64, by: &str) -> Result<Alert> {
    if by.trim().is_empty() {
        return Err(StoreError::Invalid(
            "say who is acknowledging the alert".into(),
        ));
    }
    tx.execute(
        "UPDATE alerts SET acknowledged_at = ?1, acknowledged_by = ?2
         WHERE id = ?3 AND acknowledged_at IS NULL",
        rusqlite::params![Ts(now()), by.trim(), id],
    )?;
    tx.query_row("SELECT * FROM alerts WHERE id = ?1", [id], alert_from_row)
        .optional()?
        .ok_or(StoreError::NotFound {
            entity: "alert",
            id: id.to_string(),
        })
}

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

/// One line of the desk's own audit log.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who: a staff id, or `system`.
    pub actor: String,
    pub action: String,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    #[ts(type = "unknown")]
    pub detail: Option<serde_json::Value>,
}

/// Appends to the audit log (it cannot be changed or deleted afterwards).
pub fn audit(
    tx: &Transaction<'_>,
    actor: &str,
    action: &str,
    entity: Option<(&str, &str)>,
    detail: Option<&serde_json::Value>,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            Ts(now()),
            actor,
            action,
            entity.map(|e| e.0),
            entity.map(|e| e.1),
            detail.map(|d| d.to_string()),
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The newest audit entries, optionally for one entity.
pub fn audit_entries(
    conn: &Connection,
    entity: Option<(&str, &str)>,
    limit: u32,
) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM audit_log
         WHERE (:entity IS NULL OR (entity = :entity AND entity_id = :entity_id))
         ORDER BY id DESC LIMIT :limit",
    )?;
    let rows = stmt.query_map(
        named_params! {
            ":entity": entity.map(|e| e.0), ":entity_id": entity.map(|e| e.1), ":limit": limit,
        },
        |r| {
            let detail: Option<String> = r.get("detail")?;
            Ok(AuditEntry {
                id: r.get("id")?,
                at: get_ts(r, "at")?,
                actor: r.get("actor")?,
                action: r.get("action")?,
                entity: r.get("entity")?,
                entity_id: r.get("entity_id")?,
                detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
