//! Events received from the polling bridge, each stored once.

use chrono::{DateTime, Utc};
use rusqlite::{named_params, Connection, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{now, opt_ts, Ts};
use crate::store::Result;

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
