//! The types the desk's commands take and return (TypeScript bindings are generated).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::store::repo::care::{CareNote, Visit};
use crate::store::repo::outbox::OutboxEntry;
use crate::store::repo::people::Resident;
use crate::store::repo::string_enum;

string_enum!(
    /// What a visit is for.
    VisitType {
        PersonalCare => "personal_care",
        Medication => "medication",
        Meal => "meal",
        Wellbeing => "wellbeing",
        NightCheck => "night_check",
        Social => "social",
    }
);

string_enum!(
    /// What a care note is about.
    NoteCategory {
        General => "general",
        PersonalCare => "personal_care",
        Nutrition => "nutrition",
        Mood => "mood",
        Health => "health",
        Family => "family",
    }
);

/// A care note on a resident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct CareNoteView {
    #[serde(flatten)]
    #[ts(flatten)]
    pub note: CareNote,
    /// Not yet acknowledged by CareLoop.
    pub pending: bool,
}

/// A resident's page.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ResidentDetail {
    pub resident: Resident,
    pub location_name: Option<String>,
    /// Newest first.
    pub care_notes: Vec<CareNoteView>,
}

/// A visit with the names the list shows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct VisitView {
    #[serde(flatten)]
    #[ts(flatten)]
    pub visit: Visit,
    pub staff_name: Option<String>,
    pub resident_name: Option<String>,
    /// A change made here is not yet acknowledged by CareLoop.
    pub pending: bool,
}

/// A new visit, as the schedule form sends it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct ScheduleVisit {
    pub location_id: String,
    pub staff_user_id: String,
    #[serde(default)]
    pub resident_id: Option<String>,
    pub visit_type: String,
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339.
    pub ends_at: String,
    #[serde(default)]
    pub notes: Option<String>,
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

/// The result of "Test connection".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ConnectionTest {
    pub ok: bool,
    pub message: String,
    /// Resources the key may read (`residents`, `staff`, ...).
    pub can_read: Vec<String>,
    /// Resources the key may write (`visits`, `care_notes`, ...).
    pub can_write: Vec<String>,
}
