//! Draining the outbox: in order per entity, each entry once, acknowledged only by a 2xx.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{json, Value};

use super::shared::Shared;
use super::SyncError;
use crate::api::{ApiClient, ApiError};
use crate::outbox::{self, Refusal};
use crate::store::blocking as db;
use crate::store::repo;
use crate::store::repo::outbox::{OutboxEntry, OutboxStatus};
use crate::Store;

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
    let Some(op) = outbox::find(&entry.op) else {
        return Ok(Outcome::Refused {
            message: format!(
                "This version of Loopdesk cannot send a {:?} change.",
                entry.op
            ),
            fields: json!({}),
        });
    };
    let request = match op.request(entry) {
        Ok(r) => r,
        Err(Refusal { message, fields }) => return Ok(Outcome::Refused { message, fields }),
    };
    let key = Some(entry.client_id.as_str());
    let result = client
        .send::<Value>(request.method, &request.path, &request.body, key)
        .await;
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

/// Records the server's answer and removes the entry, in one transaction: a create's row takes
/// the server's id (and so do later entries about it), and the row takes the server's copy
/// unless a later local change of it is still waiting (the row already shows that change).
async fn acknowledge(
    store: &Arc<Store>,
    entry: OutboxEntry,
    answer: Value,
) -> Result<(), SyncError> {
    db(store, move |s| {
        s.write(|tx| {
            let server_id = answer.get("id").and_then(Value::as_str).map(str::to_owned);
            repo::outbox::complete_outbox_entry(tx, entry.seq)?;
            if let Some(op) = outbox::find(&entry.op) {
                let table = op.table();
                if let (true, Some(server_id)) = (op.creates(), &server_id) {
                    repo::sync_state::swap_id(tx, table, &entry.entity_id, server_id)?;
                }
                let id = server_id.clone().unwrap_or_else(|| entry.entity_id.clone());
                if !repo::outbox::has_unacknowledged_write(tx, table.entity(), &id)? {
                    op.store_answer(tx, &answer)?;
                }
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
