//! Residents: search, a resident's page, and care notes written at the desk.

use crate::ipc::{Code, CommandError};
use crate::outbox::{self, care_note_create, CareNoteCreate};
use crate::store::repo::care::{self, CareNote, CareNoteView};
use crate::store::repo::people::{self, Resident, ResidentQuery, ResidentStatus};
use crate::store::repo::{self, now, Page};

use super::settings;
use super::{Desk, ResidentDetail};

/// Signs care notes when no name was set for the desk.
pub const DEFAULT_AUTHOR: &str = "Front desk (Loopdesk)";

impl Desk {
    pub async fn search_residents(
        &self,
        text: Option<String>,
        location_id: Option<String>,
        status: Option<ResidentStatus>,
        limit: Option<u32>,
    ) -> Result<Vec<Resident>, CommandError> {
        let query = ResidentQuery {
            text,
            location_id: location_id.filter(|l| !l.trim().is_empty()),
            status,
        };
        let page = Page {
            limit: limit.unwrap_or(50).clamp(1, 500),
            offset: 0,
        };
        self.read(move |c| people::search_residents(c, &query, page))
            .await
    }

    /// A resident's page; also asks for their care notes to be refreshed in the background.
    pub async fn get_resident(&self, id: String) -> Result<ResidentDetail, CommandError> {
        let rid = id.clone();
        let detail = self
            .read(move |c| {
                let Some(resident) = people::get_resident(c, &rid)? else {
                    return Ok(None);
                };
                let location_name = match &resident.location_id {
                    Some(l) => people::location_name(c, l)?,
                    None => None,
                };
                let keyworker_name = match &resident.keyworker {
                    Some(k) => people::staff_name(c, &k.id)?,
                    None => None,
                };
                Ok(Some(ResidentDetail {
                    resident,
                    location_name,
                    keyworker_name,
                    care_notes: care::care_note_views(c, &rid)?,
                }))
            })
            .await?
            .ok_or_else(|| {
                CommandError::new(Code::NotFound, "This resident is not on this desk.")
            })?;
        if self.shared.backend().is_some() {
            self.engine.refresh_care_notes(&id);
        }
        Ok(detail)
    }

    /// Saves a care note here at once (row + outbox entry in one transaction); it goes to
    /// CareLoop when it can.
    pub async fn add_care_note(
        &self,
        resident_id: String,
        body: String,
        category: String,
    ) -> Result<CareNoteView, CommandError> {
        let (body, category) = care_note_create::check(&body, &category)?;
        // Signed by the unlocked staff member (the desk's name only while it is being set up).
        let signer = self
            .session()
            .await?
            .and_then(|s| Some((s.staff_id?, s.name)));
        let note = self
            .save(move |tx| {
                if !people::resident_exists(tx, &resident_id)? {
                    return Err(CommandError::new(
                        Code::NotFound,
                        format!("resident {resident_id} was not found"),
                    ));
                }
                let (author_staff_id, author) = match signer {
                    Some((id, name)) => (Some(id), name),
                    None => (
                        None,
                        repo::settings::get_setting(tx, settings::AUTHOR_NAME)?
                            .unwrap_or_else(|| DEFAULT_AUTHOR.to_owned()),
                    ),
                };
                let actor = author_staff_id.clone().unwrap_or_else(|| "setup".into());
                let client_id = uuid::Uuid::new_v4().to_string();
                let at = now();
                let note = CareNote {
                    id: client_id.clone(),
                    resident_id,
                    author_staff_id,
                    author_name: author,
                    category: category.as_str().to_owned(),
                    body,
                    recorded_at: at,
                    created_at: Some(at),
                    updated_at: at,
                };
                care::insert_local_care_note(tx, &note)?;
                outbox::enqueue_create(
                    tx,
                    &CareNoteCreate,
                    &client_id,
                    CareNoteCreate::payload(&note),
                )?;
                repo::audit::audit(
                    tx,
                    &actor,
                    "care_note.add",
                    Some(("care_note", &client_id)),
                    None,
                )?;
                Ok(note)
            })
            .await?;
        Ok(CareNoteView {
            note,
            pending: true,
        })
    }
}
