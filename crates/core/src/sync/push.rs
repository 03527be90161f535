//! Draining the outbox: in order per entity, each entry once, acknowledged only by a 2xx.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{json, Value};

use super::engine::Shared;
use super::{db, SyncError};
use crate::api::{ApiClient, ApiError};
use crate::store::repo::outbox::{OutboxEntry, OutboxStatus};
use crate::store::repo::sync_state::Table;
use crate::store::repo::{self, care};
use crate::Store;

/// The operations this desk writes to the outbox.
pub mod ops {
    pub const VISIT_CREATE: &str = "visit.create";
    pub const VISIT_UPDATE: &str = "visit.update";
    pub const CARE_NOTE_CREATE: &str = "care_note.create";
}

/// How a push went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    pub sent: u32,
    pub parked: u32,
}

/// What the server said to one entry.
enum Outcome {
    /// 2xx with the resource as the server now has it.
    Acknowledged(Value),
    /// Refused for good (422, 404, other 4xx): a person must look at it.
    Refused { message: String, fields: Value },
}

/// Sends every pending entry the outbox holds, oldest first. An entity with a refused entry
/// is held back (its later entries wait), others go on. Stops at the first network/server
/// error (the entry stays queued) and at 401/403 (pushing stops until the key is fixed).
pub async fn push(shared: &Shared, client: &ApiClient) -> Result<PushReport, SyncError> {
    let store = &shared.store;
    let (pending, parked) = db(store, |s| {
        s.read(|c| {
            Ok((
                repo::outbox::outbox_entries(c, OutboxStatus::Pending)?,
                repo::outbox::outbox_entries(c, OutboxStatus::NeedsAttention)?,
            ))
        })
    })
    .await?;
    // Entities held back by a refused entry (by seq: only later entries wait behind it).
    let mut blocked: Vec<(String, String, i64)> = parked
        .iter()
        .map(|e| (e.entity.clone(), e.entity_id.clone(), e.seq))
        .collect();
    let mut report = PushReport::default();
    let mut done: HashSet<i64> = HashSet::new();
    for listed in pending {
        // Re-read: an earlier create may have swapped this entry's entity id.
        let seq = listed.seq;
        let Some(entry) = db(store, move |s| {
            s.read(|c| repo::outbox::get_outbox_entry(c, seq))
        })
        .await?
        else {
            continue;
        };
        if entry.status != OutboxStatus::Pending || done.contains(&seq) {
            continue;
        }
        if blocked
            .iter()
            .any(|(e, id, s)| *e == entry.entity && *id == entry.entity_id && *s < entry.seq)
        {
            continue;
        }
        match send(client, &entry).await {
            Ok(Outcome::Acknowledged(answer)) => {
                acknowledge(store, entry.clone(), answer).await?;
                shared.update_status(|_| {}).await;
                report.sent += 1;
                done.insert(seq);
            }
            Ok(Outcome::Refused { message, fields }) => {
                tracing::warn!(seq, op = %entry.op, %message, "CareLoop refused a write; it needs attention");
                db(store, move |s| {
                    s.write(|tx| repo::outbox::park_outbox_entry(tx, seq, &message, &fields))
                })
                .await?;
                blocked.push((entry.entity.clone(), entry.entity_id.clone(), seq));
                report.parked += 1;
            }
            Err(e) => {
                let text = e.to_string();
                db(store, move |s| {
                    s.write(|tx| repo::outbox::record_outbox_retry(tx, seq, &text, None))
                })
                .await?;
                return Err(SyncError::Api(e));
            }
        }
    }
    Ok(report)
}

async fn send(client: &ApiClient, entry: &OutboxEntry) -> Result<Outcome, ApiError> {
    let key = Some(entry.client_id.as_str());
    let result = match entry.op.as_str() {
        ops::VISIT_CREATE => {
            client
                .post::<Value>("/v1/visits", &entry.payload, key)
                .await
        }
        ops::VISIT_UPDATE => {
            let path = format!("/v1/visits/{}", encode(&entry.entity_id));
            client.patch::<Value>(&path, &entry.payload, key).await
        }
        ops::CARE_NOTE_CREATE => {
            let mut body = entry.payload.clone();
            let resident = body
                .as_object_mut()
                .and_then(|o| o.remove("resident_id"))
                .and_then(|v| v.as_str().map(str::to_owned));
            let Some(resident) = resident else {
                return Ok(Outcome::Refused {
                    message: "The care note does not say which resident it is for.".into(),
                    fields: json!({"resident_id": "required"}),
                });
            };
            let path = format!("/v1/residents/{}/care-notes", encode(&resident));
            client.post::<Value>(&path, &body, key).await
        }
        other => {
            return Ok(Outcome::Refused {
                message: format!("This version of Loopdesk cannot send a {other:?} change."),
                fields: json!({}),
            })
        }
    };
    match result {
        Ok(answer) => Ok(Outcome::Acknowledged(answer.body)),
        Err(ApiError::Validation { message, fields }) => Ok(Outcome::Refused {
            message,
            fields: json!(fields),
        }),
        Err(ApiError::NotFound { message }) => Ok(Outcome::Refused {
            message: format!("CareLoop no longer has what this change is about ({message})."),
            fields: json!({}),
        }),
        Err(e @ ApiError::Rejected { .. }) if !e.is_transient() => Ok(Outcome::Refused {
            message: e.to_string(),
            fields: json!({}),
        }),
        Err(e @ ApiError::Decode(_)) => Ok(Outcome::Refused {
            message: format!("CareLoop accepted this change but its answer could not be read: {e}"),
            fields: json!({}),
        }),
        Err(e) => Err(e),
    }
}

/// Ids are the server's (`vis_…`) or ours (UUIDs): both are path-safe, but never trust that.
fn encode(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .collect()
}

/// Records the server's answer and removes the entry, in one transaction.
async fn acknowledge(
    store: &Arc<Store>,
    entry: OutboxEntry,
    answer: Value,
) -> Result<(), SyncError> {
    db(store, move |s| {
        s.write(|tx| {
            let table = match entry.op.as_str() {
                ops::VISIT_CREATE | ops::VISIT_UPDATE => Some(Table::Visits),
                ops::CARE_NOTE_CREATE => Some(Table::CareNotes),
                _ => None,
            };
            if let Some(table) = table {
                let server_id = answer.get("id").and_then(Value::as_str).map(str::to_owned);
                if let (true, Some(server_id)) = (entry.op.ends_with(".create"), &server_id) {
                    repo::sync_state::swap_id(tx, table, &entry.entity_id, server_id)?;
                }
                let id = server_id.unwrap_or_else(|| entry.entity_id.clone());
                repo::outbox::complete_outbox_entry(tx, entry.seq)?;
                // Later local changes to the same row are still waiting: keep the local row
                // as it is (it already shows them).
                if !repo::outbox::has_unacknowledged_write(tx, table.entity(), &id)? {
                    match table {
                        Table::Visits => {
                            if let Ok(v) = serde_json::from_value::<care::Visit>(answer.clone()) {
                                care::upsert_visit(tx, &v)?;
                            }
                        }
                        Table::CareNotes => {
                            if let Ok(n) = serde_json::from_value::<care::CareNote>(answer.clone())
                            {
                                care::upsert_care_note(tx, &n)?;
                            }
                        }
                        _ => {}
                    }
                }
            } else {
                repo::outbox::complete_outbox_entry(tx, entry.seq)?;
            }
            repo::audit::audit(
                tx,
                "sync",
                "outbox.acknowledged",
                Some((entry.entity.as_str(), entry.entity_id.as_str())),
                Some(&json!({"op": entry.op, "seq": entry.seq, "server_id": answer.get("id")})),
            )?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}
