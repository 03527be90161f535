//! The writes CareLoop refused ("needs attention"): listed in words, corrected and sent again,
//! or given up.

use serde_json::{json, Value};

use crate::ipc::{Code, CommandError};
use crate::outbox;
use crate::store::repo;
use crate::store::repo::outbox::OutboxStatus;
use crate::sync::Resource;

use super::{AttentionEntry, Desk};

impl Desk {
    pub async fn outbox_attention(&self) -> Result<Vec<AttentionEntry>, CommandError> {
        self.read(|c| {
            repo::outbox::outbox_entries(c, OutboxStatus::NeedsAttention)?
                .into_iter()
                .map(|entry| {
                    let description = match outbox::find(&entry.op) {
                        Some(op) => op.describe(c, &entry)?,
                        None => format!("A {} change", entry.op),
                    };
                    Ok(AttentionEntry { description, entry })
                })
                .collect()
        })
        .await
    }

    /// A person corrected a refused write: it goes back in the queue at its place, and the
    /// local row shows the correction. A correction that does not pass the form's checks
    /// changes nothing.
    pub async fn resubmit_outbox_entry(
        &self,
        seq: i64,
        payload: Value,
    ) -> Result<(), CommandError> {
        if !payload.is_object() {
            return Err(CommandError::new(
                Code::InvalidInput,
                "The corrected change must be a JSON object.",
            ));
        }
        let actor = self.actor().await?;
        self.save(move |tx| {
            let entry = refused_entry(tx, seq, "This change is not waiting for a correction.")?;
            let op = outbox::find(&entry.op).ok_or_else(|| outbox::unknown(&entry.op))?;
            let payload = op.fix(tx, &entry, payload)?;
            repo::outbox::resubmit_outbox_entry(tx, seq, &payload)?;
            repo::audit::audit(
                tx,
                &actor,
                "outbox.resubmit",
                Some((&entry.entity, &entry.entity_id)),
                None,
            )?;
            Ok(())
        })
        .await
    }

    /// A person gives up a refused write that cannot be fixed (e.g. the visit was deleted on
    /// CareLoop). Recorded in the audit log. A create takes its later changes and its local row
    /// with it (they never reached CareLoop); for a change, the next pull of that resource is a
    /// full refresh, so the desk shows CareLoop's version again.
    pub async fn discard_outbox_entry(&self, seq: i64) -> Result<(), CommandError> {
        let actor = self.actor().await?;
        self.save(move |tx| {
            let entry = refused_entry(tx, seq, "Only a change CareLoop refused can be discarded.")?;
            let op = outbox::find(&entry.op);
            let table = op.map(|op| op.table());
            if op.is_some_and(|op| op.creates()) {
                repo::outbox::discard_entity_from(tx, &entry.entity, &entry.entity_id, seq)?;
                if let Some(table) = table {
                    if !repo::outbox::has_unacknowledged_write(
                        tx,
                        table.entity(),
                        &entry.entity_id,
                    )? {
                        repo::sync_state::delete_row(tx, table, &entry.entity_id)?;
                    }
                }
            } else {
                repo::outbox::complete_outbox_entry(tx, seq)?;
                if let Some(resource) = table.and_then(Resource::of_table) {
                    repo::sync_state::reset_sync_state(tx, resource.name())?;
                }
            }
            repo::audit::audit(
                tx,
                &actor,
                "outbox.discard",
                Some((&entry.entity, &entry.entity_id)),
                Some(&json!({"op": entry.op, "seq": seq, "payload": entry.payload})),
            )?;
            Ok(())
        })
        .await
    }
}

/// The refused entry `seq`, or `not_found` with `message`.
fn refused_entry(
    c: &rusqlite::Connection,
    seq: i64,
    message: &str,
) -> Result<repo::outbox::OutboxEntry, CommandError> {
    repo::outbox::get_outbox_entry(c, seq)?
        .filter(|e| e.status == OutboxStatus::NeedsAttention)
        .ok_or_else(|| CommandError::new(Code::NotFound, message))
}
