//! `care_note.create`: a care note written on this desk, `POST
//! /v1/residents/{resident_id}/care-notes`.
//!
//! Recognised on CareLoop (after a lost answer) as the resident's note with the same
//! `recorded_at` (the desk's own time, to the millisecond, which CareLoop keeps as sent), body
//! and category.

use rusqlite::{Connection, Transaction};
use serde_json::{json, Value};

use super::{find_in_list, invalid, path_segment, text, time, Lookup, Operation, Refusal, Request};
use crate::api::ApiClient;
use crate::ipc::CommandError;
use crate::store::repo::care::{self, CareNote, NoteCategory};
use crate::store::repo::outbox::OutboxEntry;
use crate::store::repo::people;
use crate::store::repo::sync_state::Table;
use crate::store::Result as StoreResult;

/// The longest care note, in characters.
pub const MAX_BODY: usize = 10_000;

pub struct CareNoteCreate;

impl CareNoteCreate {
    /// The queued payload: the resident (for the path) and the body CareLoop takes.
    pub fn payload(note: &CareNote) -> Value {
        let mut p = json!({
            "resident_id": note.resident_id,
            "category": note.category,
            "body": note.body,
            "author_name": note.author_name,
            "recorded_at": crate::store::repo::ts(&note.recorded_at),
        });
        if let Some(staff) = &note.author_staff_id {
            p["author_staff_id"] = json!(staff);
        }
        p
    }
}

/// Checks a note's body and category as the form does; returns them tidied.
pub fn check(body: &str, category: &str) -> Result<(String, NoteCategory), CommandError> {
    let body = body.trim();
    let mut fields = Vec::new();
    if body.is_empty() {
        fields.push(("body", "Write the note".to_owned()));
    } else if body.chars().count() > MAX_BODY {
        fields.push(("body", "Write 10,000 characters or fewer".to_owned()));
    }
    let category: Option<NoteCategory> = category.parse().ok();
    if category.is_none() {
        fields.push(("category", "Choose a category".to_owned()));
    }
    match category {
        Some(category) if fields.is_empty() => Ok((body.to_owned(), category)),
        _ => Err(invalid("Check the care note", fields)),
    }
}

impl Operation for CareNoteCreate {
    fn name(&self) -> &'static str {
        "care_note.create"
    }

    fn table(&self) -> Table {
        Table::CareNotes
    }

    fn creates(&self) -> bool {
        true
    }

    fn request(&self, entry: &OutboxEntry) -> Result<Request, Refusal> {
        let mut body = entry.payload.clone();
        let resident = body
            .as_object_mut()
            .and_then(|o| o.remove("resident_id"))
            .and_then(|v| v.as_str().map(str::to_owned));
        let Some(resident) = resident else {
            return Err(Refusal {
                message: "The care note does not say which resident it is for.".into(),
                fields: json!({"resident_id": "required"}),
            });
        };
        Ok(Request::post(
            format!("/v1/residents/{}/care-notes", path_segment(&resident)),
            body,
        ))
    }

    fn store_answer(&self, tx: &Transaction<'_>, answer: &Value) -> StoreResult<()> {
        if let Ok(n) = serde_json::from_value::<CareNote>(answer.clone()) {
            care::upsert_care_note(tx, &n)?;
        }
        Ok(())
    }

    fn fix(
        &self,
        tx: &Transaction<'_>,
        entry: &OutboxEntry,
        payload: Value,
    ) -> Result<Value, CommandError> {
        let body = text(&payload, "body").unwrap_or_default();
        let category = text(&payload, "category").unwrap_or_default();
        // The queued payload keeps the person's text as they wrote it; the check is the form's.
        let mut fields = Vec::new();
        if body.trim().is_empty() {
            fields.push(("body", "Write the note".to_owned()));
        }
        if category.parse::<NoteCategory>().is_err() {
            fields.push(("category", "Choose a category".to_owned()));
        }
        if !fields.is_empty() {
            return Err(invalid("Check the care note", fields));
        }
        care::correct_care_note(tx, &entry.entity_id, body.trim(), &category)?;
        Ok(payload)
    }

    fn find_existing<'a>(&'a self, client: &'a ApiClient, entry: &'a OutboxEntry) -> Lookup<'a> {
        Box::pin(async move {
            let p = &entry.payload;
            let (Some(resident), Some(recorded)) = (text(p, "resident_id"), time(p, "recorded_at"))
            else {
                return Ok(None);
            };
            find_in_list(
                client,
                &format!("/v1/residents/{}/care-notes", path_segment(&resident)),
                match text(p, "category") {
                    Some(c) => vec![("category".to_owned(), c)],
                    None => vec![],
                },
                |n| {
                    time(n, "recorded_at") == Some(recorded)
                        && n.get("body") == p.get("body")
                        && n.get("category") == p.get("category")
                },
                // Newest first: past our note's time, none can be ours.
                |n| time(n, "recorded_at").is_some_and(|t| t < recorded),
            )
            .await
            .map(|found| found.into_iter().next())
        })
    }

    fn describe(&self, c: &Connection, entry: &OutboxEntry) -> StoreResult<String> {
        let who = match text(&entry.payload, "resident_id") {
            Some(id) => people::resident_named(c, &id)?.map(|n| n.name),
            None => None,
        };
        Ok(format!(
            "Care note for {}",
            who.unwrap_or_else(|| "a resident".into())
        ))
    }
}
