//! Draining the outbox: in order per entity, each entry once, acknowledged only by a 2xx.

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

/// What the server said to one entry.
enum Outcome {
    /// 2xx with the resource as the server now has it.
    Acknowledged(Value),
    /// Refused for good (422, 404, other 4xx): a person must look at it.
    Refused { message: String, fields: Value },
}

/// Sends every pending entry the outbox holds, oldest first, each through its operation.
///
/// * An entry CareLoop refused (422, 404, another 4xx) is parked as "needs attention"; it
///   holds back only the later entries of its own row. Other rows go on.
/// * An entry that failed in a way of its own (a 5xx, an unreadable 2xx, its own earlier
///   request still running there) waits before its next try (doubling, up to five minutes) and
///   holds back only its own row; the others go on.
/// * When CareLoop cannot be reached (or says to slow down), the push stops: the others would
///   fail the same way. 401/403 stop it too, until the key is fixed.
/// * Exactly once without relying on `Idempotency-Key` (which is still sent): before the first
///   request for an entry goes out, the entry records that it may reach CareLoop; from then on,
///   what it may have made is looked for (by the fields that identify it) before it is sent
///   again, and adopted if found.
pub async fn push(shared: &Shared, client: &ApiClient) -> Result<(), SyncError> {
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
    // Rows held back (by seq: only later entries of the row wait behind it).
    let mut blocked: Vec<(String, String, i64)> = parked
        .iter()
        .map(|e| (e.entity.clone(), e.entity_id.clone(), e.seq))
        .collect();
    let mut failed: Option<ApiError> = None;
    let now = shared.clock.now();
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
        // Listed as pending a moment ago (a discarded one is gone, above); one parked since is
        // left for a person.
        if entry.status != OutboxStatus::Pending {
            continue;
        }
        // Held back by an earlier entry of its row. (`<` or `<=` is the same here: an entry's
        // own seq joins `blocked` only after this check, and seqs are unique; make mutants
        // excludes that equivalent mutant, .cargo/mutants.toml.)
        if blocked
            .iter()
            .any(|(e, id, s)| *e == entry.entity && *id == entry.entity_id && *s < entry.seq)
        {
            continue;
        }
        let row = (entry.entity.clone(), entry.entity_id.clone(), seq);
        if entry.next_attempt_at.is_some_and(|at| at > now) {
            // Its turn has not come: its row waits with it. (`>` or `>=` differ only when the
            // retry time is this push's instant to the nanosecond, which no test can arrange on
            // the desk's clock; make mutants excludes that mutant, .cargo/mutants.toml.)
            blocked.push(row);
            continue;
        }
        match deliver(shared, client, &entry).await? {
            Ok(Outcome::Acknowledged(answer)) => {
                acknowledge(store, entry.clone(), answer).await?;
                shared.update_status(|_| {}).await;
            }
            Ok(Outcome::Refused { message, fields }) => {
                tracing::warn!(seq, op = %entry.op, %message, "CareLoop refused a write; it needs attention");
                db(store, move |s| {
                    s.write(|tx| repo::outbox::park_outbox_entry(tx, seq, &message, &fields))
                })
                .await?;
                blocked.push(row);
            }
            Err(e) => {
                let text = e.to_string();
                let stop =
                    e.is_auth() || e.is_unreachable() || matches!(e, ApiError::RateLimited { .. });
                let next = (!stop).then(|| now + retry_delay(entry.attempts));
                db(store, move |s| {
                    s.write(|tx| repo::outbox::record_outbox_retry(tx, seq, &text, next))
                })
                .await?;
                if stop {
                    return Err(SyncError::Api(e));
                }
                tracing::warn!(seq, op = %entry.op, error = %e, "a write failed; it is tried again later");
                blocked.push(row);
                failed.get_or_insert(e);
            }
        }
    }
    match failed {
        Some(e) => Err(SyncError::Api(e)),
        None => Ok(()),
    }
}

/// How long an entry that failed on its own waits before its next try: 2 s, doubling, at most
/// five minutes.
fn retry_delay(attempts: u32) -> chrono::TimeDelta {
    let secs = 2u64.saturating_mul(1u64 << attempts.min(10)).min(300);
    chrono::TimeDelta::seconds(i64::try_from(secs).unwrap_or(300))
}

/// Sends one entry, or adopts what an earlier request for it made. The outer error is the
/// store's; the inner one CareLoop's.
async fn deliver(
    shared: &Shared,
    client: &ApiClient,
    entry: &OutboxEntry,
) -> Result<Result<Outcome, ApiError>, SyncError> {
    let Some(op) = outbox::find(&entry.op) else {
        return Ok(Ok(Outcome::Refused {
            message: format!(
                "This version of Loopdesk cannot send a {:?} change.",
                entry.op
            ),
            fields: json!({}),
        }));
    };
    let request = match op.request(entry) {
        Ok(r) => r,
        Err(Refusal { message, fields }) => return Ok(Ok(Outcome::Refused { message, fields })),
    };
    if entry.sent_at.is_some() {
        // An earlier request may have made it: adopt that instead of making it twice.
        match op.find_existing(client, entry).await {
            Ok(Some(found)) => {
                tracing::info!(seq = entry.seq, op = %entry.op, "adopting what an earlier request made");
                return Ok(Ok(Outcome::Acknowledged(found)));
            }
            Ok(None) => {}
            Err(e) => return Ok(Err(e)),
        }
    } else {
        let (seq, at) = (entry.seq, shared.clock.now());
        db(&shared.store, move |s| {
            s.write(|tx| repo::outbox::mark_sent(tx, seq, at))
        })
        .await?;
    }
    let key = Some(entry.client_id.as_str());
    let result = client
        .send::<Value>(request.method, &request.path, &request.body, key)
        .await;
    Ok(match result {
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
        Err(e) => Err(e),
    })
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
