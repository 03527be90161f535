//! The desk's own audit log: who did what, when. Append-only.

use chrono::{DateTime, Utc};
use rusqlite::{named_params, Connection, Transaction};
use serde::Serialize;
use ts_rs::TS;

use super::{get_ts, now, Ts};
use crate::store::Result;

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
    tx.prepare_cached(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(rusqlite::params![
        Ts(now()),
        actor,
        action,
        entity.map(|e| e.0),
        entity.map(|e| e.1),
        detail.map(|d| d.to_string()),
    ])?;
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
