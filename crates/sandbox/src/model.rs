//! The CareLoop resources the sandbox serves. Shapes follow `MODEL.md`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Timestamps are RFC 3339 UTC with a trailing `Z`.
pub type Ts = DateTime<Utc>;

/// A stored resource: it has an id, an `updated_at` and, once deleted, a `deleted_at`.
pub trait Resource: Clone + Serialize + serde::de::DeserializeOwned + Send + 'static {
    /// The collection name used in storage and the audit log.
    const KIND: &'static str;
    fn id(&self) -> &str;
    fn updated_at(&self) -> Ts;
    fn deleted_at(&self) -> Option<Ts>;
    fn set_updated_at(&mut self, at: Ts);
    fn set_deleted_at(&mut self, at: Ts);
}

/// Implements [`Resource`] for a struct with `id`, `updated_at` and `deleted_at` fields.
macro_rules! resource {
    ($t:ty, $kind:literal) => {
        impl $crate::model::Resource for $t {
            const KIND: &'static str = $kind;
            fn id(&self) -> &str {
                &self.id
            }
            fn updated_at(&self) -> $crate::model::Ts {
                self.updated_at
            }
            fn deleted_at(&self) -> Option<$crate::model::Ts> {
                self.deleted_at
            }
            fn set_updated_at(&mut self, at: $crate::model::Ts) {
                self.updated_at = at;
            }
            fn set_deleted_at(&mut self, at: $crate::model::Ts) {
                self.deleted_at = Some(at);
            }
        }
    };
}
pub(crate) use resource;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Location {
    #[schema(example = "loc_3f2a9c1e0b7d4a55")]
    pub id: String,
    pub name: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Present only on tombstones (`include_deleted=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}
resource!(Location, "location");

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ResidentStatus {
    Current,
    Discharged,
    Deceased,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DnarStatus {
    ForResus,
    Dnar,
    NotRecorded,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct LocationRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct StaffRef {
    pub id: String,
    pub full_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Contact {
    #[schema(example = "con_5b1c0d9e2f3a4b6c")]
    pub id: String,
    pub name: String,
    pub relationship: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub is_next_of_kin: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Resident {
    #[schema(example = "res_8e7b0c1d2e3f4a5b")]
    pub id: String,
    #[schema(example = "Margaret Wilson")]
    pub full_name: String,
    #[schema(example = "Maggie")]
    pub preferred_name: String,
    #[schema(example = "12")]
    pub room_number: String,
    pub date_of_birth: NaiveDate,
    pub status: ResidentStatus,
    pub dnar_status: DnarStatus,
    pub location: LocationRef,
    pub location_id: String,
    pub keyworker: Option<StaffRef>,
    pub contacts: Vec<Contact>,
    pub admitted_at: DateTime<Utc>,
    pub discharged_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Present only on tombstones (`include_deleted=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}
resource!(Resident, "resident");

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    Carer,
    SeniorCarer,
    Nurse,
    ShiftLead,
    Manager,
    Housekeeping,
    Kitchen,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StaffStatus {
    Active,
    Inactive,
}

/// Counts of the staff member's current certifications (one per course, the latest),
/// computed against the sandbox clock when the staff member is read.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CertificationSummary {
    pub total: u32,
    /// Not expired and more than 90 days from expiry.
    pub valid: u32,
    /// Expires within the next 30 days.
    pub expiring_30: u32,
    /// Expires in 31 to 60 days.
    pub expiring_60: u32,
    /// Expires in 61 to 90 days.
    pub expiring_90: u32,
    pub expired: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Staff {
    #[schema(example = "stf_1a2b3c4d5e6f7a8b")]
    pub id: String,
    pub full_name: String,
    pub preferred_name: String,
    pub role: StaffRole,
    pub email: String,
    pub phone: String,
    pub location_id: String,
    pub status: StaffStatus,
    pub certification_summary: CertificationSummary,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Present only on tombstones (`include_deleted=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}
resource!(Staff, "staff");

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CourseScope {
    System,
    Organization,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Course {
    #[schema(example = "crs_0f1e2d3c4b5a6978")]
    pub id: String,
    pub name: String,
    pub code: String,
    pub scope: CourseScope,
    pub mandatory: bool,
    pub validity_months: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Present only on tombstones (`include_deleted=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}
resource!(Course, "course");

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CertificationStatus {
    Valid,
    /// Expires within 90 days.
    Expiring,
    Expired,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Certification {
    #[schema(example = "crt_9a8b7c6d5e4f3a2b")]
    pub id: String,
    pub staff_id: String,
    pub course_id: String,
    pub course_name: String,
    pub issued_on: NaiveDate,
    /// The last day on which the certification is valid.
    pub expires_on: NaiveDate,
    /// Computed against the sandbox clock's date when read.
    pub status: CertificationStatus,
    pub certificate_number: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Present only on tombstones (`include_deleted=true`); a renewed certification is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}
resource!(Certification, "certification");

impl Certification {
    pub fn status_on(&self, today: NaiveDate) -> CertificationStatus {
        if self.expires_on < today {
            CertificationStatus::Expired
        } else if (self.expires_on - today).num_days() <= 90 {
            CertificationStatus::Expiring
        } else {
            CertificationStatus::Valid
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VisitType {
    PersonalCare,
    Medication,
    Meal,
    Wellbeing,
    NightCheck,
    Social,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    Scheduled,
    Confirmed,
    Completed,
    Cancelled,
    NoShow,
}

impl VisitStatus {
    /// Whether a client may move a visit from `self` to `to` (same status is a no-op).
    pub fn can_become(self, to: VisitStatus) -> bool {
        use VisitStatus::*;
        self == to
            || matches!(
                (self, to),
                (Scheduled, Confirmed)
                    | (Scheduled, Completed)
                    | (Scheduled, Cancelled)
                    | (Confirmed, Completed)
                    | (Confirmed, Cancelled)
            )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Visit {
    #[schema(example = "vis_4c3b2a1f0e9d8c7b")]
    pub id: String,
    pub location_id: String,
    pub staff_user_id: String,
    pub resident_id: Option<String>,
    pub visit_type: VisitType,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: VisitStatus,
    pub notes: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Present only on tombstones (`include_deleted=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}
resource!(Visit, "visit");

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IncidentType {
    Fall,
    MedicationError,
    Behaviour,
    Safeguarding,
    PressureInjury,
    Other,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Moderate,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Open,
    UnderReview,
    Closed,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BodySide {
    Left,
    Right,
    Front,
    Back,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct BodyMapEntry {
    #[schema(example = "left_hip")]
    pub region: String,
    pub side: Option<BodySide>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Witness {
    pub name: String,
    pub staff_id: Option<String>,
    pub statement: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Injury {
    None,
    Minor,
    Major,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct FallDetails {
    #[schema(example = "lounge")]
    pub place: String,
    pub was_witnessed: bool,
    pub injury: Injury,
    pub hospital_transfer: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Incident {
    #[schema(example = "inc_7d6c5b4a3f2e1d0c")]
    pub id: String,
    pub location_id: String,
    pub resident_id: Option<String>,
    #[serde(rename = "type")]
    pub incident_type: IncidentType,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub title: String,
    pub description: String,
    pub occurred_at: DateTime<Utc>,
    pub reported_by_staff_id: Option<String>,
    pub body_map: Vec<BodyMapEntry>,
    pub witnesses: Vec<Witness>,
    /// Only for a fall, where it is optional (this sandbox's extension; null when not given).
    pub fall: Option<FallDetails>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Present only on tombstones (`include_deleted=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}
resource!(Incident, "incident");

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NoteCategory {
    General,
    PersonalCare,
    Nutrition,
    Mood,
    Health,
    Family,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CareNote {
    #[schema(example = "not_2b3c4d5e6f7a8b9c")]
    pub id: String,
    pub resident_id: String,
    pub author_staff_id: Option<String>,
    pub author_name: String,
    pub category: NoteCategory,
    pub body: String,
    pub recorded_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Present only on tombstones (`include_deleted=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}
resource!(CareNote, "care_note");

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct VisitorSignIn {
    #[schema(example = "vsi_6e5d4c3b2a190817")]
    pub id: String,
    pub location_id: String,
    pub visitor_name: String,
    pub visiting_resident_id: Option<String>,
    pub purpose: String,
    pub phone: Option<String>,
    pub car_registration: Option<String>,
    pub signed_in_at: DateTime<Utc>,
    pub signed_out_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Present only on tombstones (`include_deleted=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}
resource!(VisitorSignIn, "visitor_sign_in");

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct AuditEntry {
    #[schema(example = "aud_0a1b2c3d4e5f6a7b")]
    pub id: String,
    pub at: DateTime<Utc>,
    pub key_id: String,
    pub ip: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// Never set: audit entries are not deleted. Present for the common list shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Resource for AuditEntry {
    const KIND: &'static str = "audit_log";
    fn id(&self) -> &str {
        &self.id
    }
    fn updated_at(&self) -> Ts {
        self.at
    }
    fn deleted_at(&self) -> Option<Ts> {
        self.deleted_at
    }
    fn set_updated_at(&mut self, _at: Ts) {}
    fn set_deleted_at(&mut self, at: Ts) {
        self.deleted_at = Some(at);
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct WebhookDelivery {
    #[schema(example = "dlv_5e1f2a3b4c5d6e7f")]
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub url: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Present only on tombstones (`include_deleted=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}
resource!(WebhookDelivery, "webhook_delivery");

/// A webhook event body, exactly the document's shape.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct WebhookEvent {
    #[schema(example = "evt_1c2d3e4f5a6b7c8d")]
    pub id: String,
    #[serde(rename = "type")]
    #[schema(example = "incident.critical")]
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    pub organization_id: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// The documented webhook event types.
pub const EVENT_TYPES: &[&str] = &[
    "incident.critical",
    "incident.created",
    "fall.logged",
    "cert.expiring",
    "cert.expired",
    "course.completed",
    "resident.admitted",
    "resident.discharged",
    "visit.confirmed",
    "visit.no_show",
    "kiosk.visitor.signed_in",
    "family.message.sent",
];

/// List metadata.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PageMeta {
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}
