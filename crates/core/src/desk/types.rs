//! The types the desk's commands take and return (TypeScript bindings are generated).

use serde::Serialize;
use ts_rs::TS;

pub use crate::api::connection_test::ConnectionTest;
pub use crate::outbox::visit_create::ScheduleVisit;
pub use crate::store::repo::care::{CareNoteView, VisitView};
use crate::store::repo::outbox::OutboxEntry;
use crate::store::repo::people::Resident;

/// A resident's page.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ResidentDetail {
    pub resident: Resident,
    pub location_name: Option<String>,
    /// The keyworker's name as every screen shows a person ([`display_name`]).
    ///
    /// [`display_name`]: crate::store::repo::people::display_name
    pub keyworker_name: Option<String>,
    /// Newest first.
    pub care_notes: Vec<CareNoteView>,
}

/// A write CareLoop refused, for the "needs attention" list.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct AttentionEntry {
    #[serde(flatten)]
    #[ts(flatten)]
    pub entry: OutboxEntry,
    /// What the write was, in words ("Confirm the 09:00 personal care visit for Maggie").
    pub description: String,
}

/// The settings screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SettingsView {
    pub api_base_url: Option<String>,
    pub location_id: Option<String>,
    /// "…4f9e": the most that is ever shown of the key.
    pub api_key_hint: Option<String>,
    /// The built-in demo backend is in use.
    pub demo: bool,
    /// The alert bridge's address.
    pub bridge_url: Option<String>,
    /// "…4f9e": the most that is ever shown of the device token.
    pub device_token_hint: Option<String>,
}
