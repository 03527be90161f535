//! Visits, incidents (with body map, witnesses and falls data), care notes, visitor sign-ins.

use chrono::{DateTime, Utc};
use rusqlite::{named_params, Connection, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{get_opt_ts, get_ts, opt_ts, string_enum, Ts};
use crate::store::{Result, StoreError};

string_enum!(
    VisitStatus {
        Scheduled => "scheduled",
        Confirmed => "confirmed",
        Completed => "completed",
        Cancelled => "cancelled",
        NoShow => "no_show",
    }
);

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Visit {
    pub id: String,
    pub location_id: String,
    #[serde(default)]
    pub staff_user_id: Option<String>,
    #[serde(default)]
    pub resident_id: Option<String>,
    pub visit_type: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: VisitStatus,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub confirmed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub cancelled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub cancel_reason: Option<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
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
    /// Who at this desk last changed it.
    pub changed_by: Option<String>,
}

pub fn upsert_visit(tx: &Transaction<'_>, v: &Visit) -> Result<()> {
    if v.ends_at <= v.starts_at {
        return Err(StoreError::Invalid(format!(
            "visit {}: the end must be after the start",
            v.id
        )));
    }
    tx.execute(
        "INSERT INTO visits (id, location_id, staff_user_id, resident_id, visit_type, starts_at,
                             ends_at, status, notes, confirmed_at, completed_at, cancelled_at,
                             cancel_reason, created_at, updated_at, deleted_at)
         VALUES (:id, :location_id, :staff, :resident, :type, :starts, :ends, :status, :notes,
                 :confirmed, :completed, :cancelled, :reason, :created_at, :updated_at, NULL)
         ON CONFLICT (id) DO UPDATE SET location_id = excluded.location_id,
             staff_user_id = excluded.staff_user_id, resident_id = excluded.resident_id,
             visit_type = excluded.visit_type, starts_at = excluded.starts_at,
             ends_at = excluded.ends_at, status = excluded.status, notes = excluded.notes,
             confirmed_at = excluded.confirmed_at, completed_at = excluded.completed_at,
             cancelled_at = excluded.cancelled_at, cancel_reason = excluded.cancel_reason,
             created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = NULL",
        named_params! {
            ":id": v.id, ":location_id": v.location_id, ":staff": v.staff_user_id,
            ":resident": v.resident_id, ":type": v.visit_type, ":starts": Ts(v.starts_at),
            ":ends": Ts(v.ends_at), ":status": v.status, ":notes": v.notes,
            ":confirmed": opt_ts(&v.confirmed_at), ":completed": opt_ts(&v.completed_at),
            ":cancelled": opt_ts(&v.cancelled_at), ":reason": v.cancel_reason,
            ":created_at": opt_ts(&v.created_at), ":updated_at": Ts(v.updated_at),
        },
    )?;
    Ok(())
}

fn visit_from_row(r: &Row<'_>) -> rusqlite::Result<Visit> {
    Ok(Visit {
        id: r.get("id")?,
        location_id: r.get("location_id")?,
        staff_user_id: r.get("staff_user_id")?,
        resident_id: r.get("resident_id")?,
        visit_type: r.get("visit_type")?,
        starts_at: get_ts(r, "starts_at")?,
        ends_at: get_ts(r, "ends_at")?,
        status: r.get("status")?,
        notes: r.get("notes")?,
        confirmed_at: get_opt_ts(r, "confirmed_at")?,
        completed_at: get_opt_ts(r, "completed_at")?,
        cancelled_at: get_opt_ts(r, "cancelled_at")?,
        cancel_reason: r.get("cancel_reason")?,
        created_at: get_opt_ts(r, "created_at")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

pub fn get_visit(conn: &Connection, id: &str) -> Result<Option<Visit>> {
    Ok(conn
        .prepare_cached("SELECT * FROM visits WHERE id = ?1 AND deleted_at IS NULL")?
        .query_row([id], visit_from_row)
        .optional()?)
}

/// Visits starting in `[from, to)`, for one location or all, in start order.
pub fn visits_between(
    conn: &Connection,
    location_id: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Visit>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM visits WHERE deleted_at IS NULL
           AND (:location_id IS NULL OR location_id = :location_id)
           AND starts_at >= :from AND starts_at < :to
         ORDER BY starts_at, id",
    )?;
    let rows = stmt.query_map(
        named_params! {":location_id": location_id, ":from": Ts(from), ":to": Ts(to)},
        visit_from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Who at this desk last changed visit `id` (confirmed, completed, cancelled, scheduled it).
/// A status change made on this desk (confirmed, completed, cancelled): the status, its time
/// and reason, and who made it, in one statement that leaves the visit's indexed columns alone.
pub fn record_visit_change(tx: &Transaction<'_>, v: &Visit, by: Option<&str>) -> Result<()> {
    let changed = tx
        .prepare_cached(
            "UPDATE visits SET status = :status, confirmed_at = :confirmed,
                 completed_at = :completed, cancelled_at = :cancelled, cancel_reason = :reason,
                 changed_by = :by
             WHERE id = :id AND deleted_at IS NULL",
        )?
        .execute(named_params! {
            ":id": v.id, ":status": v.status, ":confirmed": opt_ts(&v.confirmed_at),
            ":completed": opt_ts(&v.completed_at), ":cancelled": opt_ts(&v.cancelled_at),
            ":reason": v.cancel_reason, ":by": by,
        })?;
    if changed == 0 {
        return Err(StoreError::NotFound {
            entity: "visit",
            id: v.id.clone(),
        });
    }
    Ok(())
}

pub fn set_changed_by(tx: &Transaction<'_>, id: &str, by: Option<&str>) -> Result<()> {
    tx.execute(
        "UPDATE visits SET changed_by = ?2 WHERE id = ?1",
        rusqlite::params![id, by],
    )?;
    Ok(())
}

/// A visit scheduled on this desk: its id is the client UUID until CareLoop gives its own.
pub fn insert_local_visit(tx: &Transaction<'_>, v: &Visit) -> Result<()> {
    upsert_visit(tx, v)?;
    tx.execute("UPDATE visits SET client_id = ?1 WHERE id = ?1", [&v.id])?;
    Ok(())
}

const VISIT_VIEW_SELECT: &str = "SELECT v.*,
        s.full_name AS staff_full, s.preferred_name AS staff_preferred,
        r.full_name AS resident_full, r.preferred_name AS resident_preferred,
        EXISTS (SELECT 1 FROM outbox o WHERE o.entity = 'visit' AND o.entity_id = v.id)
            AS pending
     FROM visits v
     LEFT JOIN staff s ON s.id = v.staff_user_id
     LEFT JOIN residents r ON r.id = v.resident_id";

fn visit_view_from_row(r: &Row<'_>) -> rusqlite::Result<VisitView> {
    let name = |full: &str, preferred: &str| -> rusqlite::Result<Option<String>> {
        let full: Option<String> = r.get(full)?;
        let preferred: Option<String> = r.get(preferred)?;
        Ok(full.map(|f| super::people::display_name(&f, preferred.as_deref())))
    };
    Ok(VisitView {
        visit: visit_from_row(r)?,
        staff_name: name("staff_full", "staff_preferred")?,
        resident_name: name("resident_full", "resident_preferred")?,
        pending: r.get("pending")?,
        changed_by: r.get("changed_by")?,
    })
}

/// Visits starting in `[from, to)` as the list shows them, for one location or all, in start
/// order.
pub fn visit_views_between(
    conn: &Connection,
    location_id: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<VisitView>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{VISIT_VIEW_SELECT} WHERE v.deleted_at IS NULL
           AND (:location_id IS NULL OR v.location_id = :location_id)
           AND v.starts_at >= :from AND v.starts_at < :to
         ORDER BY v.starts_at, v.id"
    ))?;
    let rows = stmt.query_map(
        named_params! {":location_id": location_id, ":from": Ts(from), ":to": Ts(to)},
        visit_view_from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many visits (of one home, or all) are overdue or due soon.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisitCounts {
    /// Scheduled (not confirmed) visits that started in `[since, now]`.
    pub overdue: u32,
    /// Scheduled or confirmed visits starting in `(now, soon]`.
    pub due_soon: u32,
}

/// Counts the visits "This desk" leads with.
pub fn visit_counts(
    conn: &Connection,
    location_id: Option<&str>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    soon: DateTime<Utc>,
) -> Result<VisitCounts> {
    Ok(conn.query_row(
        "SELECT
             coalesce(sum(status = 'scheduled' AND starts_at >= :since AND starts_at <= :now), 0),
             coalesce(sum(status IN ('scheduled', 'confirmed')
                          AND starts_at > :now AND starts_at <= :soon), 0)
         FROM visits
         WHERE deleted_at IS NULL AND (:location_id IS NULL OR location_id = :location_id)
           AND starts_at >= :since AND starts_at <= :soon",
        named_params! {
            ":since": Ts(since), ":now": Ts(now), ":soon": Ts(soon), ":location_id": location_id,
        },
        |r| {
            Ok(VisitCounts {
                overdue: r.get(0)?,
                due_soon: r.get(1)?,
            })
        },
    )?)
}

/// One visit as the list shows it.
pub fn visit_view(conn: &Connection, id: &str) -> Result<Option<VisitView>> {
    Ok(conn
        .prepare_cached(&format!(
            "{VISIT_VIEW_SELECT} WHERE v.id = ?1 AND v.deleted_at IS NULL"
        ))?
        .query_row([id], visit_view_from_row)
        .optional()?)
}

pub fn delete_visit(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM visits WHERE id = ?1", [id])? > 0)
}

string_enum!(
    IncidentType {
        Fall => "fall",
        MedicationError => "medication_error",
        Behaviour => "behaviour",
        Safeguarding => "safeguarding",
        PressureInjury => "pressure_injury",
        Other => "other",
    }
);

string_enum!(
    Severity {
        Low => "low",
        Moderate => "moderate",
        High => "high",
        Critical => "critical",
    }
);

string_enum!(
    IncidentStatus {
        Open => "open",
        UnderReview => "under_review",
        Closed => "closed",
    }
);

string_enum!(
    BodySide {
        Left => "left",
        Right => "right",
        Front => "front",
        Back => "back",
    }
);

string_enum!(
    FallInjury {
        None => "none",
        Minor => "minor",
        Major => "major",
    }
);

/// A marked region on the body map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BodyMapRegion {
    pub region: String,
    #[serde(default)]
    pub side: Option<BodySide>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Witness {
    pub name: String,
    #[serde(default)]
    pub staff_id: Option<String>,
    #[serde(default)]
    pub statement: Option<String>,
}

/// Falls-register data of an incident of type `fall`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FallDetails {
    pub place: String,
    pub was_witnessed: bool,
    pub injury: FallInjury,
    pub hospital_transfer: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Incident {
    pub id: String,
    pub location_id: String,
    #[serde(default)]
    pub resident_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: IncidentType,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub reported_by_staff_id: Option<String>,
    #[serde(default)]
    pub body_map: Vec<BodyMapRegion>,
    #[serde(default)]
    pub witnesses: Vec<Witness>,
    #[serde(default)]
    pub fall: Option<FallDetails>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// Inserts or replaces an incident with its body map and witnesses (replaced whole).
pub fn upsert_incident(tx: &Transaction<'_>, i: &Incident) -> Result<()> {
    let fall = i.fall.as_ref();
    tx.execute(
        "INSERT INTO incidents (id, location_id, resident_id, type, severity, status, title,
                                description, occurred_at, reported_by_staff_id, fall_place,
                                fall_was_witnessed, fall_injury, fall_hospital_transfer,
                                created_at, updated_at, deleted_at)
         VALUES (:id, :location_id, :resident_id, :type, :severity, :status, :title,
                 :description, :occurred_at, :reported_by, :fall_place, :fall_witnessed,
                 :fall_injury, :fall_transfer, :created_at, :updated_at, NULL)
         ON CONFLICT (id) DO UPDATE SET location_id = excluded.location_id,
             resident_id = excluded.resident_id, type = excluded.type,
             severity = excluded.severity, status = excluded.status, title = excluded.title,
             description = excluded.description, occurred_at = excluded.occurred_at,
             reported_by_staff_id = excluded.reported_by_staff_id,
             fall_place = excluded.fall_place, fall_was_witnessed = excluded.fall_was_witnessed,
             fall_injury = excluded.fall_injury,
             fall_hospital_transfer = excluded.fall_hospital_transfer,
             created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = NULL",
        named_params! {
            ":id": i.id, ":location_id": i.location_id, ":resident_id": i.resident_id,
            ":type": i.kind, ":severity": i.severity, ":status": i.status, ":title": i.title,
            ":description": i.description, ":occurred_at": Ts(i.occurred_at),
            ":reported_by": i.reported_by_staff_id,
            ":fall_place": fall.map(|f| &f.place),
            ":fall_witnessed": fall.map(|f| f.was_witnessed),
            ":fall_injury": fall.map(|f| f.injury),
            ":fall_transfer": fall.map(|f| f.hospital_transfer),
            ":created_at": opt_ts(&i.created_at), ":updated_at": Ts(i.updated_at),
        },
    )?;
    tx.execute(
        "DELETE FROM incident_body_map WHERE incident_id = ?1",
        [&i.id],
    )?;
    tx.execute(
        "DELETE FROM incident_witnesses WHERE incident_id = ?1",
        [&i.id],
    )?;
    let mut region = tx.prepare_cached(
        "INSERT INTO incident_body_map (incident_id, position, region, side, note)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (n, b) in i.body_map.iter().enumerate() {
        region.execute(rusqlite::params![i.id, n as i64, b.region, b.side, b.note])?;
    }
    let mut witness = tx.prepare_cached(
        "INSERT INTO incident_witnesses (incident_id, position, name, staff_id, statement)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (n, w) in i.witnesses.iter().enumerate() {
        witness.execute(rusqlite::params![
            i.id,
            n as i64,
            w.name,
            w.staff_id,
            w.statement
        ])?;
    }
    Ok(())
}

fn incident_from_row(r: &Row<'_>) -> rusqlite::Result<Incident> {
    let place: Option<String> = r.get("fall_place")?;
    let fall = match place {
        Some(place) => Some(FallDetails {
            place,
            was_witnessed: r
                .get::<_, Option<bool>>("fall_was_witnessed")?
                .unwrap_or(false),
            injury: r
                .get::<_, Option<FallInjury>>("fall_injury")?
                .unwrap_or(FallInjury::None),
            hospital_transfer: r
                .get::<_, Option<bool>>("fall_hospital_transfer")?
                .unwrap_or(false),
        }),
        None => None,
    };
    Ok(Incident {
        id: r.get("id")?,
        location_id: r.get("location_id")?,
        resident_id: r.get("resident_id")?,
        kind: r.get("type")?,
        severity: r.get("severity")?,
        status: r.get("status")?,
        title: r.get("title")?,
        description: r.get("description")?,
        occurred_at: get_ts(r, "occurred_at")?,
        reported_by_staff_id: r.get("reported_by_staff_id")?,
        body_map: Vec::new(),
        witnesses: Vec::new(),
        fall,
        created_at: get_opt_ts(r, "created_at")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

/// One incident with its body map and witnesses.
pub fn get_incident(conn: &Connection, id: &str) -> Result<Option<Incident>> {
    let Some(mut incident) = conn
        .query_row(
            "SELECT * FROM incidents WHERE id = ?1 AND deleted_at IS NULL",
            [id],
            incident_from_row,
        )
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT region, side, note FROM incident_body_map WHERE incident_id = ?1 ORDER BY position",
    )?;
    incident.body_map = stmt
        .query_map([id], |r| {
            Ok(BodyMapRegion {
                region: r.get(0)?,
                side: r.get(1)?,
                note: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT name, staff_id, statement FROM incident_witnesses WHERE incident_id = ?1
         ORDER BY position",
    )?;
    incident.witnesses = stmt
        .query_map([id], |r| {
            Ok(Witness {
                name: r.get(0)?,
                staff_id: r.get(1)?,
                statement: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(incident))
}

/// Incidents since `since`, newest first (body map and witnesses not loaded).
pub fn incidents_since(
    conn: &Connection,
    location_id: Option<&str>,
    since: DateTime<Utc>,
) -> Result<Vec<Incident>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM incidents WHERE deleted_at IS NULL
           AND (:location_id IS NULL OR location_id = :location_id) AND occurred_at >= :since
         ORDER BY occurred_at DESC, id",
    )?;
    let rows = stmt.query_map(
        named_params! {":location_id": location_id, ":since": Ts(since)},
        incident_from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn delete_incident(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM incidents WHERE id = ?1", [id])? > 0)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CareNote {
    pub id: String,
    pub resident_id: String,
    #[serde(default)]
    pub author_staff_id: Option<String>,
    pub author_name: String,
    pub category: String,
    pub body: String,
    pub recorded_at: DateTime<Utc>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

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

pub fn upsert_care_note(tx: &Transaction<'_>, n: &CareNote) -> Result<()> {
    put_care_note(tx, n, None)
}

/// Inserts or updates a care note; `client_id` is set on insert only (a note written here),
/// and an update leaves it as it is.
fn put_care_note(tx: &Transaction<'_>, n: &CareNote, client_id: Option<&str>) -> Result<()> {
    if n.body.trim().is_empty() {
        return Err(StoreError::Invalid("a care note cannot be empty".into()));
    }
    tx.prepare_cached(
        "INSERT INTO care_notes (id, client_id, resident_id, author_staff_id, author_name,
                                 category, body, recorded_at, created_at, updated_at, deleted_at)
         VALUES (:id, :client_id, :resident_id, :author_id, :author_name, :category, :body,
                 :recorded_at, :created_at, :updated_at, NULL)
         ON CONFLICT (id) DO UPDATE SET resident_id = excluded.resident_id,
             author_staff_id = excluded.author_staff_id, author_name = excluded.author_name,
             category = excluded.category, body = excluded.body,
             recorded_at = excluded.recorded_at, created_at = excluded.created_at,
             updated_at = excluded.updated_at, deleted_at = NULL",
    )?
    .execute(named_params! {
        ":id": n.id, ":client_id": client_id, ":resident_id": n.resident_id,
        ":author_id": n.author_staff_id, ":author_name": n.author_name,
        ":category": n.category, ":body": n.body, ":recorded_at": Ts(n.recorded_at),
        ":created_at": opt_ts(&n.created_at), ":updated_at": Ts(n.updated_at),
    })?;
    Ok(())
}

fn care_note_from_row(r: &Row<'_>) -> rusqlite::Result<CareNote> {
    Ok(CareNote {
        id: r.get("id")?,
        resident_id: r.get("resident_id")?,
        author_staff_id: r.get("author_staff_id")?,
        author_name: r.get("author_name")?,
        category: r.get("category")?,
        body: r.get("body")?,
        recorded_at: get_ts(r, "recorded_at")?,
        created_at: get_opt_ts(r, "created_at")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

/// A care note written on this desk: its id is the client UUID until CareLoop gives its own.
pub fn insert_local_care_note(tx: &Transaction<'_>, n: &CareNote) -> Result<()> {
    put_care_note(tx, n, Some(&n.id))
}

/// A resident's care-notes timeline, newest first.
pub fn care_notes_for_resident(conn: &Connection, resident_id: &str) -> Result<Vec<CareNote>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM care_notes WHERE resident_id = ?1 AND deleted_at IS NULL
         ORDER BY recorded_at DESC, id",
    )?;
    let rows = stmt.query_map([resident_id], care_note_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A resident's care-notes timeline, newest first, each saying whether CareLoop has it yet.
pub fn care_note_views(conn: &Connection, resident_id: &str) -> Result<Vec<CareNoteView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT n.*, EXISTS (SELECT 1 FROM outbox o
                             WHERE o.entity = 'care_note' AND o.entity_id = n.id) AS pending
         FROM care_notes n WHERE n.resident_id = ?1 AND n.deleted_at IS NULL
         ORDER BY n.recorded_at DESC, n.id",
    )?;
    let rows = stmt.query_map([resident_id], |r| {
        Ok(CareNoteView {
            note: care_note_from_row(r)?,
            pending: r.get("pending")?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VisitorSignIn {
    pub id: String,
    pub location_id: String,
    pub visitor_name: String,
    #[serde(default)]
    pub visiting_resident_id: Option<String>,
    pub purpose: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub car_registration: Option<String>,
    pub signed_in_at: DateTime<Utc>,
    #[serde(default)]
    pub signed_out_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A sign-in as CareLoop has it. A sign-out made elsewhere is kept as made by staff (schema 7
/// says how each sign-out happened; CareLoop does not).
pub fn upsert_visitor_sign_in(tx: &Transaction<'_>, v: &VisitorSignIn) -> Result<()> {
    if v.visitor_name.trim().is_empty() {
        return Err(StoreError::Invalid("the visitor's name is needed".into()));
    }
    if v.signed_out_at.is_some_and(|out| out < v.signed_in_at) {
        return Err(StoreError::Invalid(
            "signing out cannot be before signing in".into(),
        ));
    }
    tx.execute(
        "INSERT INTO visitor_sign_ins (id, location_id, visitor_name, visiting_resident_id,
                                       purpose, phone, car_registration, signed_in_at,
                                       signed_out_at, sign_out_kind, created_at, updated_at,
                                       deleted_at)
         VALUES (:id, :location_id, :name, :resident, :purpose, :phone, :car, :in, :out,
                 CASE WHEN :out IS NULL THEN NULL ELSE 'staff' END, :created_at, :updated_at,
                 NULL)
         ON CONFLICT (id) DO UPDATE SET location_id = excluded.location_id,
             visitor_name = excluded.visitor_name,
             visiting_resident_id = excluded.visiting_resident_id, purpose = excluded.purpose,
             phone = excluded.phone, car_registration = excluded.car_registration,
             signed_in_at = excluded.signed_in_at, signed_out_at = excluded.signed_out_at,
             sign_out_kind = CASE WHEN excluded.signed_out_at IS NULL THEN NULL
                                  ELSE COALESCE(visitor_sign_ins.sign_out_kind,
                                                excluded.sign_out_kind) END,
             created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = NULL",
        named_params! {
            ":id": v.id, ":location_id": v.location_id, ":name": v.visitor_name,
            ":resident": v.visiting_resident_id, ":purpose": v.purpose, ":phone": v.phone,
            ":car": v.car_registration, ":in": Ts(v.signed_in_at), ":out": opt_ts(&v.signed_out_at),
            ":created_at": opt_ts(&v.created_at), ":updated_at": Ts(v.updated_at),
        },
    )?;
    Ok(())
}

/// Visitors signed in and not yet out at a location: the fire roll call.
pub fn visitors_on_site(conn: &Connection, location_id: &str) -> Result<Vec<VisitorSignIn>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM visitor_sign_ins WHERE location_id = ?1 AND signed_out_at IS NULL
           AND deleted_at IS NULL ORDER BY signed_in_at, id",
    )?;
    let rows = stmt.query_map([location_id], |r| {
        Ok(VisitorSignIn {
            id: r.get("id")?,
            location_id: r.get("location_id")?,
            visitor_name: r.get("visitor_name")?,
            visiting_resident_id: r.get("visiting_resident_id")?,
            purpose: r.get("purpose")?,
            phone: r.get("phone")?,
            car_registration: r.get("car_registration")?,
            signed_in_at: get_ts(r, "signed_in_at")?,
            signed_out_at: get_opt_ts(r, "signed_out_at")?,
            created_at: get_opt_ts(r, "created_at")?,
            updated_at: get_ts(r, "updated_at")?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A person corrected a refused care note that was written here: its text and category.
pub fn correct_care_note(tx: &Transaction<'_>, id: &str, body: &str, category: &str) -> Result<()> {
    tx.execute(
        "UPDATE care_notes SET body = ?2, category = ?3 WHERE id = ?1",
        rusqlite::params![id, body, category],
    )?;
    Ok(())
}

/// The fields of a visit a person scheduled here (see [`correct_scheduled_visit`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledFields {
    pub location_id: String,
    pub staff_user_id: String,
    pub resident_id: Option<String>,
    pub visit_type: VisitType,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub notes: Option<String>,
}

/// A person corrected a refused visit that was scheduled here.
pub fn correct_scheduled_visit(tx: &Transaction<'_>, id: &str, f: &ScheduledFields) -> Result<()> {
    tx.execute(
        "UPDATE visits SET location_id = ?2, staff_user_id = ?3, resident_id = ?4,
             visit_type = ?5, starts_at = ?6, ends_at = ?7, notes = ?8 WHERE id = ?1",
        rusqlite::params![
            id,
            f.location_id,
            f.staff_user_id,
            f.resident_id,
            f.visit_type.as_str(),
            Ts(f.starts_at),
            Ts(f.ends_at),
            f.notes
        ],
    )?;
    Ok(())
}
