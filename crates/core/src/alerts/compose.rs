//! What an alert says: composed from the event's data and the desk's own cache, so that it reads
//! at a glance ("Critical incident: Witnessed fall in lounge — Margaret Wilson (Room 12)").

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::Value;

use crate::store::repo::alerts::WHEN;
use crate::store::repo::{care, people};

use crate::store::Result;

/// The event types that raise an alert.
pub const INCIDENT_CRITICAL: &str = "incident.critical";
pub const VISIT_NO_SHOW: &str = "visit.no_show";

/// Whether an event of this type raises an alert.
/// An observation of a post-fall schedule is due (raised by this desk, a banner only).
pub const OBSERVATION_DUE: &str = "incident.observation_due";
/// A safeguarding incident was logged on this desk: a notice for managers.
pub const SAFEGUARDING_NOTICE: &str = "incident.safeguarding";

/// What the OS notification says for an alert of `kind`, or `None` when it is a banner only
/// (an observation due is a reminder, not a critical alert). It names only the kind: a
/// notification may show on a visitor-facing screen.
pub fn os_notification(kind: &str) -> Option<&'static str> {
    match kind {
        INCIDENT_CRITICAL => Some("Critical incident: see Loopdesk now."),
        VISIT_NO_SHOW => Some("Missed visit: see Loopdesk now."),
        OBSERVATION_DUE => None,
        _ => Some("See Loopdesk now."),
    }
}

pub fn raises_alert(kind: &str) -> bool {
    kind == INCIDENT_CRITICAL || kind == VISIT_NO_SHOW
}

/// The cached resource an event of this type changes, if any.
pub fn resource_for(kind: &str) -> Option<crate::sync::Resource> {
    use crate::sync::Resource;
    let family = kind.split('.').next().unwrap_or("");
    match family {
        // A completed course is a new certification for the staff member.
        "cert" | "course" => Some(Resource::Certifications),
        "resident" => Some(Resource::Residents),
        "visit" => Some(Resource::Visits),
        "incident" | "fall" => Some(Resource::Incidents),
        _ => None,
    }
}

/// An alert's words and references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub title: String,
    pub detail: Option<String>,
    pub location_id: Option<String>,
    pub resident_id: Option<String>,
    pub resource_id: Option<String>,
    /// The time the alert is about; the title and detail say it where they hold
    /// [`WHEN`] (in words when the alert is read).
    pub when_at: Option<DateTime<Utc>>,
}

/// The provider's event payload: CareLoop wraps it as `{"id", "type", "data": {...}}`; other
/// providers may send it flat.
pub fn payload(body: &Value) -> &Value {
    match body.get("data") {
        Some(inner) if inner.is_object() => inner,
        _ => body,
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn words(code: &str) -> String {
    let spaced = code.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

fn time_of(at: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc))
}

/// "Maggie Wilson (Room 12)", from the cache (the one way a person is named).
fn resident_label(c: &Connection, id: Option<&str>) -> Result<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    Ok(people::resident_named(c, id)?.map(|n| match n.room {
        Some(room) => format!("{} (Room {room})", n.name),
        None => n.name,
    }))
}

fn staff_name(c: &Connection, id: Option<&str>) -> Result<Option<String>> {
    id.map_or(Ok(None), |id| people::staff_name(c, id))
}

fn location_name(c: &Connection, id: Option<&str>) -> Result<Option<String>> {
    id.map_or(Ok(None), |id| people::location_name(c, id))
}

/// Composes the alert for an event of `kind` with provider body `body`.
pub fn compose(
    c: &Connection,
    kind: &str,
    body: &Value,
    resource_id: Option<&str>,
) -> Result<Composed> {
    let p = payload(body);
    match kind {
        INCIDENT_CRITICAL => incident(c, p, resource_id),
        _ => no_show(c, p, resource_id),
    }
}

fn incident(c: &Connection, p: &Value, resource_id: Option<&str>) -> Result<Composed> {
    let id = text(p, "incident_id").or_else(|| resource_id.map(str::to_owned));
    // The cache may know the incident already (the event may also be older than the cache).
    let cached = match &id {
        Some(id) => care::get_incident(c, id)?,
        None => None,
    };
    let title = text(p, "title").or_else(|| cached.as_ref().map(|i| i.title.clone()));
    let kind = text(p, "type").or_else(|| cached.as_ref().map(|i| i.kind.to_string()));
    let resident_id =
        text(p, "resident_id").or_else(|| cached.as_ref().and_then(|i| i.resident_id.clone()));
    let location_id =
        text(p, "location_id").or_else(|| cached.as_ref().map(|i| i.location_id.clone()));
    let when_at = text(p, "occurred_at")
        .as_deref()
        .and_then(time_of)
        .or_else(|| cached.as_ref().map(|i| i.occurred_at));

    let what = title
        .clone()
        .or_else(|| kind.as_deref().map(words))
        .unwrap_or_else(|| "details in CareLoop".to_owned());
    let who = resident_label(c, resident_id.as_deref())?;
    let title = match &who {
        Some(who) => format!("Critical incident: {what} — {who}"),
        None => format!("Critical incident: {what}"),
    };
    let mut detail = Vec::new();
    if let Some(k) = &kind {
        detail.push(words(k));
    }
    if let Some(place) = location_name(c, location_id.as_deref())? {
        detail.push(format!("at {place}"));
    }
    let mut detail = detail.join(" ");
    if when_at.is_some() {
        if !detail.is_empty() {
            detail.push_str(", ");
        }
        detail.push_str(&format!("reported for {WHEN}"));
    }
    if !detail.is_empty() {
        detail.push_str(". ");
    }
    detail.push_str("Check on the resident and follow the incident procedure.");
    Ok(Composed {
        title,
        detail: Some(detail),
        location_id,
        resident_id,
        resource_id: id,
        when_at,
    })
}

fn no_show(c: &Connection, p: &Value, resource_id: Option<&str>) -> Result<Composed> {
    let id = text(p, "visit_id").or_else(|| resource_id.map(str::to_owned));
    let cached = match &id {
        Some(id) => care::get_visit(c, id)?,
        None => None,
    };
    let staff_id =
        text(p, "staff_user_id").or_else(|| cached.as_ref().and_then(|v| v.staff_user_id.clone()));
    let resident_id =
        text(p, "resident_id").or_else(|| cached.as_ref().and_then(|v| v.resident_id.clone()));
    let location_id =
        text(p, "location_id").or_else(|| cached.as_ref().map(|v| v.location_id.clone()));
    let visit_type =
        text(p, "visit_type").or_else(|| cached.as_ref().map(|v| v.visit_type.clone()));
    let when_at = text(p, "starts_at")
        .as_deref()
        .and_then(time_of)
        .or_else(|| cached.as_ref().map(|v| v.starts_at));
    let staff = staff_name(c, staff_id.as_deref())?;
    let who = resident_label(c, resident_id.as_deref())?;
    let title = match (&who, when_at) {
        (Some(who), Some(_)) => format!("Missed visit: {who}, due {WHEN}"),
        (Some(who), None) => format!("Missed visit: {who}"),
        (None, Some(_)) => format!("Missed visit due {WHEN}"),
        (None, None) => "Missed visit".to_owned(),
    };
    let mut detail = match &staff {
        Some(s) => format!("{s} has not arrived"),
        None => "The carer has not arrived".to_owned(),
    };
    if let Some(t) = &visit_type {
        detail.push_str(&format!(" for the {} visit", words(t).to_lowercase()));
    }
    if let Some(place) = location_name(c, location_id.as_deref())? {
        detail.push_str(&format!(" at {place}"));
    }
    detail.push_str(". Arrange cover and check on the resident.");
    Ok(Composed {
        title,
        detail: Some(detail),
        location_id,
        resident_id,
        resource_id: id,
        when_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::Resource;

    #[test]
    fn event_types_map_to_the_cache_they_change() {
        let cases = [
            ("cert.expiring", Some(Resource::Certifications)),
            ("cert.expired", Some(Resource::Certifications)),
            ("course.completed", Some(Resource::Certifications)),
            ("resident.updated", Some(Resource::Residents)),
            ("visit.no_show", Some(Resource::Visits)),
            ("incident.created", Some(Resource::Incidents)),
            ("incident.critical", Some(Resource::Incidents)),
            ("fall.logged", Some(Resource::Incidents)),
            ("kiosk.sign_in", None),
            ("message.received", None),
            ("", None),
        ];
        for (kind, want) in cases {
            assert_eq!(resource_for(kind), want, "{kind}");
        }
        assert!(raises_alert("incident.critical") && raises_alert("visit.no_show"));
        assert!(!raises_alert("incident.created") && !raises_alert("fall.logged"));
    }

    #[test]
    fn words_read_as_a_sentence() {
        assert_eq!(words("personal_care"), "Personal care");
        assert_eq!(words(""), "");
    }

    #[test]
    fn payload_unwraps_careloop_bodies_and_keeps_flat_ones() {
        let wrapped = serde_json::json!({"id": "evt_1", "data": {"visit_id": "vis_1"}});
        assert_eq!(payload(&wrapped)["visit_id"], "vis_1");
        let flat = serde_json::json!({"visit_id": "vis_2"});
        assert_eq!(payload(&flat)["visit_id"], "vis_2");
    }
}
