//! What the locked kiosk and a receptionist must never be shown, and a scan for it.
//!
//! From the core's types (`loopdesk_core::store::repo::{people, care}`):
//!
//! * `Resident`: `room_number`, `date_of_birth`, `dnar_status`, `contacts`, `keyworker`, the
//!   `full_name` (the public name is "Maggie W.", `people::public_name`);
//! * `Contact` (family and next of kin): `phone`, `email`, `relationship`, `is_next_of_kin`;
//! * `Staff`: `phone`, `email` (a contact detail of anyone);
//! * `ResidentDetail`: `care_notes`; `CareNote`: `body`;
//! * `Incident`: `description`, `body_map`, `witnesses` (`statement`), `fall`;
//! * `Visit`: `notes`, `cancel_reason`; `VisitView`: `resident_name`.
//!
//! A field of one of those names anywhere in an answer is a leak, whatever its value. So is
//! any of the values themselves anywhere in any text (an alert's title that names the room, a
//! message that quotes a note): every resident's room as "Room 12", date of birth, full name
//! (unless a staff member has the same name: staff names are not private), every phone number
//! and email address of a contact or a staff member, every care note, incident description and
//! visit note on the desk.

use std::collections::{BTreeMap, BTreeSet};

use chrono::TimeDelta;
use loopdesk_core::desk::Desk;
use loopdesk_core::store::repo::{care, people, Page};
use serde_json::Value;

/// Field names that are private wherever they appear.
pub const PRIVATE_FIELDS: &[&str] = &[
    "room_number",
    "date_of_birth",
    "dob",
    "dnar_status",
    "contacts",
    "next_of_kin",
    "is_next_of_kin",
    "relationship",
    "phone",
    "email",
    "keyworker",
    "full_name",
    "care_notes",
    "body",
    "description",
    "body_map",
    "witnesses",
    "statement",
    "fall",
    "notes",
    "cancel_reason",
    "resident_name",
];

/// What a private value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A resident's full or display name.
    Name,
    /// A resident's room ("Room 12").
    Room,
    /// A date of birth.
    Birth,
    /// A phone number or email address.
    Contact,
    /// A care note, incident description or visit note (and what a test wrote).
    Note,
}

/// A private field or value found in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leak {
    /// A private field (`name`) at `at`, whatever its value.
    Field { at: String, name: String },
    /// A private value of `kind` said in the text at `at`.
    Value {
        at: String,
        kind: Kind,
        value: String,
        text: String,
    },
    /// A resuscitation decision.
    Resuscitation { at: String, text: String },
}

impl std::fmt::Display for Leak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Leak::Field { at, .. } => write!(f, "{at}: a private field"),
            Leak::Value {
                at,
                kind,
                value,
                text,
            } => write!(f, "{at}: says {value:?} ({kind:?}: {text:?})"),
            Leak::Resuscitation { at, text } => {
                write!(f, "{at}: a resuscitation decision ({text:?})")
            }
        }
    }
}

/// The private values on the desk (see the module's documentation).
#[derive(Debug, Default)]
pub struct PrivateValues {
    values: BTreeMap<String, Kind>,
}

impl PrivateValues {
    /// Reads them from the desk's data file (through the store).
    pub fn read(desk: &Desk) -> Self {
        desk.store()
            .read(|c| {
                let mut values = BTreeMap::new();
                let today = chrono::Utc::now().date_naive();
                let staff = people::list_staff(
                    c,
                    None,
                    Page {
                        limit: 10_000,
                        offset: 0,
                    },
                    today,
                )?;
                let staff_names: BTreeSet<String> = staff
                    .iter()
                    .flat_map(|s| [s.full_name.clone(), s.display_name()])
                    .collect();
                for s in &staff {
                    for contact in [&s.phone, &s.email].into_iter().flatten() {
                        values.insert(contact.clone(), Kind::Contact);
                    }
                }
                let residents = people::search_residents(
                    c,
                    &people::ResidentQuery::default(),
                    Page {
                        limit: 10_000,
                        offset: 0,
                    },
                )?;
                for r in &residents {
                    if let Some(room) = r.room_number.as_deref().map(str::trim) {
                        if !room.is_empty() {
                            values.insert(format!("Room {room}"), Kind::Room);
                        }
                    }
                    if let Some(dob) = r.date_of_birth {
                        values.insert(dob.format("%Y-%m-%d").to_string(), Kind::Birth);
                        values.insert(dob.format("%-d %B %Y").to_string(), Kind::Birth);
                    }
                    for name in [r.full_name.clone(), r.display_name()] {
                        if !staff_names.contains(&name) && name.contains(' ') {
                            values.insert(name, Kind::Name);
                        }
                    }
                    if let Some(full) = people::get_resident(c, &r.id)? {
                        for contact in full.contacts {
                            for c in [contact.phone, contact.email].into_iter().flatten() {
                                values.insert(c, Kind::Contact);
                            }
                        }
                    }
                    for note in care::care_notes_for_resident(c, &r.id)? {
                        values.insert(note.body, Kind::Note);
                    }
                }
                for i in care::incidents_since(c, None, chrono::Utc::now() - TimeDelta::days(3650))?
                {
                    if let Some(d) = i.description {
                        values.insert(d, Kind::Note);
                    }
                }
                let now = chrono::Utc::now();
                for v in care::visits_between(
                    c,
                    None,
                    now - TimeDelta::days(3650),
                    now + TimeDelta::days(3650),
                )? {
                    for note in [v.notes, v.cancel_reason].into_iter().flatten() {
                        values.insert(note, Kind::Note);
                    }
                }
                // Short values would be found by chance ("Yes"); every real one is longer.
                values.retain(|v, _| v.trim().chars().count() >= 6);
                Ok(Self { values })
            })
            .expect("the private values")
    }

    /// Adds a value (a care note the test wrote, say).
    pub fn insert(&mut self, value: impl Into<String>) {
        self.values.insert(value.into(), Kind::Note);
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Every private field and value in `answer`, with where it is.
    pub fn leaks(&self, answer: &Value) -> Vec<Leak> {
        let mut found = Vec::new();
        self.scan(answer, "$", &mut found);
        found
    }

    fn scan(&self, value: &Value, at: &str, found: &mut Vec<Leak>) {
        match value {
            Value::Object(fields) => {
                for (name, inner) in fields {
                    let here = format!("{at}.{name}");
                    if PRIVATE_FIELDS.contains(&name.as_str()) {
                        found.push(Leak::Field {
                            at: here.clone(),
                            name: name.clone(),
                        });
                    }
                    self.scan(inner, &here, found);
                }
            }
            Value::Array(items) => {
                for (i, inner) in items.iter().enumerate() {
                    self.scan(inner, &format!("{at}[{i}]"), found);
                }
            }
            Value::String(text) => {
                for (private, kind) in &self.values {
                    if says(text, private) {
                        found.push(Leak::Value {
                            at: at.to_owned(),
                            kind: *kind,
                            value: private.clone(),
                            text: text.clone(),
                        });
                    }
                }
                if matches!(text.as_str(), "dnar" | "for_resus") || text.contains("DNAR") {
                    found.push(Leak::Resuscitation {
                        at: at.to_owned(),
                        text: text.clone(),
                    });
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// Whether `text` says `value` as words of its own: "Room 12" is not in "Room 123", nor "Ann
/// Smith" in "Ann Smithson".
fn says(text: &str, value: &str) -> bool {
    text.match_indices(value).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + value.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{says, PrivateValues};

    #[test]
    fn a_value_counts_as_words_of_its_own() {
        assert!(says(
            "Missed visit: Ann Smith (Room 12), due 09:00",
            "Room 12"
        ));
        assert!(says("Ann Smith", "Ann Smith"));
        assert!(!says("Missed visit (Room 123)", "Room 12"));
        assert!(!says("Ann Smithson", "Ann Smith"));
        assert!(!says("Joanne Smith", "Anne Smith"));
    }

    #[test]
    fn the_scan_finds_private_fields_and_values_anywhere() {
        let mut private = PrivateValues::default();
        private.insert("Room 12");
        private.insert("07700 900123");
        assert!(private
            .leaks(&json!({"title": "Staff alert", "open": [{"id": 1}]}))
            .is_empty());
        let leaks = private.leaks(&json!({
            "open": [{"title": "Missed visit: Maggie Wilson (Room 12)"}],
            "resident": {"room_number": "12"},
            "contacts": [],
            "message": "call 07700 900123",
            "dnar": "dnar",
        }));
        assert_eq!(leaks.len(), 5, "{leaks:#?}");
    }
}
