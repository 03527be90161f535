//! Incidents logged at this desk beyond CareLoop's copy (`care` holds that): the desk's record
//! of the full form, drafts, notification duties and post-fall observations (schema 8).

use chrono::{DateTime, Utc};
use rusqlite::{named_params, Connection, OptionalExtension, Row, Transaction};
use serde_json::Value;

use super::{get_opt_ts, get_ts, opt_ts, Ts};
use crate::store::{Result, StoreError};

fn json_col(r: &Row<'_>, col: &str) -> rusqlite::Result<Value> {
    let s: String = r.get(col)?;
    serde_json::from_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// The desk's record of an incident logged here.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRecord {
    pub incident_id: String,
    pub client_id: String,
    /// The form as saved (`desk::incidents::IncidentForm`).
    pub form: Value,
    pub desk_type: String,
    pub location_id: String,
    pub resident_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub call_999: bool,
    pub local_status: Option<String>,
    pub status_changed_by: Option<String>,
    pub status_changed_at: Option<DateTime<Utc>>,
    pub logged_by: String,
    pub logged_at: DateTime<Utc>,
}

fn record_from_row(r: &Row<'_>) -> rusqlite::Result<IncidentRecord> {
    Ok(IncidentRecord {
        incident_id: r.get("incident_id")?,
        client_id: r.get("client_id")?,
        form: json_col(r, "form")?,
        desk_type: r.get("desk_type")?,
        location_id: r.get("location_id")?,
        resident_id: r.get("resident_id")?,
        occurred_at: get_ts(r, "occurred_at")?,
        call_999: r.get("call_999")?,
        local_status: r.get("local_status")?,
        status_changed_by: r.get("status_changed_by")?,
        status_changed_at: get_opt_ts(r, "status_changed_at")?,
        logged_by: r.get("logged_by")?,
        logged_at: get_ts(r, "logged_at")?,
    })
}

/// Writes the record (a new one, or the form of one edited before it reached CareLoop).
pub fn put_record(tx: &Transaction<'_>, r: &IncidentRecord) -> Result<()> {
    tx.execute(
        "INSERT INTO incident_records (incident_id, client_id, form, desk_type, location_id,
                                       resident_id, occurred_at, call_999, logged_by, logged_at,
                                       updated_at)
         VALUES (:id, :client_id, :form, :desk_type, :location_id, :resident_id, :occurred_at,
                 :call_999, :logged_by, :logged_at, :at)
         ON CONFLICT (incident_id) DO UPDATE SET form = excluded.form,
             desk_type = excluded.desk_type, location_id = excluded.location_id,
             resident_id = excluded.resident_id, occurred_at = excluded.occurred_at,
             call_999 = excluded.call_999, updated_at = excluded.updated_at",
        named_params! {
            ":id": r.incident_id, ":client_id": r.client_id, ":form": r.form.to_string(),
            ":desk_type": r.desk_type, ":location_id": r.location_id,
            ":resident_id": r.resident_id, ":occurred_at": Ts(r.occurred_at),
            ":call_999": r.call_999, ":logged_by": r.logged_by, ":logged_at": Ts(r.logged_at),
            ":at": Ts(super::now()),
        },
    )?;
    Ok(())
}

/// The record of incident `id` (its current id, or the client id it was saved under).
pub fn get_record(c: &Connection, id: &str) -> Result<Option<IncidentRecord>> {
    Ok(c.query_row(
        "SELECT * FROM incident_records WHERE incident_id = ?1 OR client_id = ?1
         ORDER BY incident_id = ?1 DESC LIMIT 1",
        [id],
        record_from_row,
    )
    .optional()?)
}

/// Every record, newest first.
pub fn all_records(c: &Connection) -> Result<Vec<IncidentRecord>> {
    let mut stmt = c.prepare_cached("SELECT * FROM incident_records ORDER BY occurred_at DESC")?;
    let rows = stmt.query_map([], record_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Sets the status on this desk (CareLoop has no endpoint to change it).
pub fn set_local_status(
    tx: &Transaction<'_>,
    id: &str,
    status: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE incident_records SET local_status = ?2, status_changed_by = ?3,
             status_changed_at = ?4, updated_at = ?4 WHERE incident_id = ?1",
        rusqlite::params![id, status, by, Ts(at)],
    )? > 0)
}

/// CareLoop gave incident `local_id` its id: the desk's rows follow (the record, its duties,
/// observations and drafts), and so do the alerts about it.
pub fn swap_incident_id(tx: &Transaction<'_>, local_id: &str, server_id: &str) -> Result<()> {
    for sql in [
        "UPDATE incident_records SET incident_id = ?2 WHERE incident_id = ?1",
        "UPDATE incident_duties SET incident_id = ?2 WHERE incident_id = ?1",
        "UPDATE incident_observations SET incident_id = ?2 WHERE incident_id = ?1",
        "UPDATE incident_drafts SET incident_id = ?2 WHERE incident_id = ?1",
        "UPDATE alerts SET resource_id = ?2 WHERE resource_id = ?1",
    ] {
        tx.execute(sql, [local_id, server_id])?;
    }
    super::alerts::rekey_incident(tx, local_id, server_id)
}

/// An `incident.critical` webhook about `server_id`, which this desk does not have: the
/// incident logged here and still waiting for CareLoop's answer that it is (same home,
/// resident and title), if any.
pub fn local_twin(c: &Connection, server_id: &str, data: &Value) -> Result<Option<String>> {
    let known: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM incidents WHERE id = ?1)",
        [server_id],
        |r| r.get(0),
    )?;
    if known {
        return Ok(None);
    }
    let text = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(title), Some(location)) = (text("title"), text("location_id")) else {
        return Ok(None);
    };
    Ok(c.query_row(
        "SELECT r.incident_id FROM incident_records r
           JOIN incidents i ON i.id = r.incident_id
          WHERE r.incident_id = r.client_id AND i.title = ?1 AND i.location_id = ?2
            AND i.resident_id IS ?3 AND i.severity = 'critical'
            AND EXISTS (SELECT 1 FROM outbox o WHERE o.entity = 'incident'
                          AND o.entity_id = r.incident_id)
          ORDER BY r.logged_at LIMIT 1",
        rusqlite::params![title, location, text("resident_id")],
        |r| r.get(0),
    )
    .optional()?)
}

// ---- drafts ---------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct DraftRow {
    pub id: String,
    pub incident_id: Option<String>,
    pub form: Value,
    pub saved_by: String,
    pub saved_at: DateTime<Utc>,
}

fn draft_from_row(r: &Row<'_>) -> rusqlite::Result<DraftRow> {
    Ok(DraftRow {
        id: r.get("id")?,
        incident_id: r.get("incident_id")?,
        form: json_col(r, "form")?,
        saved_by: r.get("saved_by")?,
        saved_at: get_ts(r, "saved_at")?,
    })
}

pub fn put_draft(tx: &Transaction<'_>, d: &DraftRow) -> Result<()> {
    tx.execute(
        "INSERT INTO incident_drafts (id, incident_id, form, saved_by, saved_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET incident_id = excluded.incident_id,
             form = excluded.form, saved_by = excluded.saved_by, saved_at = excluded.saved_at",
        rusqlite::params![
            d.id,
            d.incident_id,
            d.form.to_string(),
            d.saved_by,
            Ts(d.saved_at)
        ],
    )?;
    Ok(())
}

pub fn get_draft(c: &Connection, id: &str) -> Result<Option<DraftRow>> {
    Ok(c.query_row(
        "SELECT * FROM incident_drafts WHERE id = ?1",
        [id],
        draft_from_row,
    )
    .optional()?)
}

/// Drafts, the latest first.
pub fn drafts(c: &Connection) -> Result<Vec<DraftRow>> {
    let mut stmt = c.prepare_cached("SELECT * FROM incident_drafts ORDER BY saved_at DESC")?;
    let rows = stmt.query_map([], draft_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn delete_draft(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM incident_drafts WHERE id = ?1", [id])? > 0)
}

// ---- duties -----------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct DutyRow {
    pub id: String,
    pub incident_id: String,
    pub duty: String,
    pub why: String,
    pub due_at: Option<DateTime<Utc>>,
    pub decision: Option<String>,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub sent_by: Option<String>,
    pub reference: Option<String>,
}

fn duty_from_row(r: &Row<'_>) -> rusqlite::Result<DutyRow> {
    Ok(DutyRow {
        id: r.get("id")?,
        incident_id: r.get("incident_id")?,
        duty: r.get("duty")?,
        why: r.get("why")?,
        due_at: get_opt_ts(r, "due_at")?,
        decision: r.get("decision")?,
        decision_note: r.get("decision_note")?,
        decided_by: r.get("decided_by")?,
        decided_at: get_opt_ts(r, "decided_at")?,
        sent_at: get_opt_ts(r, "sent_at")?,
        sent_by: r.get("sent_by")?,
        reference: r.get("reference")?,
    })
}

/// A duty the rules advise, with the person's decision if they made one.
pub struct AdvisedDuty<'a> {
    pub duty: &'a str,
    pub why: &'a str,
    pub due_at: Option<DateTime<Utc>>,
    pub decision: Option<(&'a str, Option<&'a str>)>,
}

/// Sets the duties the rules advise for incident `id` now: new ones are added, the reason and
/// clock of the others follow the form, a decision given replaces the one recorded, and duties
/// no longer advised go unless a manager already marked them sent.
pub fn put_advised_duties(
    tx: &Transaction<'_>,
    id: &str,
    advised: &[AdvisedDuty<'_>],
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let keep: Vec<&str> = advised.iter().map(|a| a.duty).collect();
    for d in duties_of(tx, id)? {
        if !keep.contains(&d.duty.as_str()) && d.sent_at.is_none() {
            tx.execute("DELETE FROM incident_duties WHERE id = ?1", [&d.id])?;
        }
    }
    for a in advised {
        tx.execute(
            "INSERT INTO incident_duties (id, incident_id, duty, why, due_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (incident_id, duty) DO UPDATE SET why = excluded.why,
                 due_at = excluded.due_at",
            rusqlite::params![
                uuid::Uuid::new_v4().to_string(),
                id,
                a.duty,
                a.why,
                opt_ts(&a.due_at),
                Ts(at)
            ],
        )?;
        if let Some((decision, note)) = a.decision {
            tx.execute(
                "UPDATE incident_duties SET decision = ?3, decision_note = ?4, decided_by = ?5,
                     decided_at = ?6
                 WHERE incident_id = ?1 AND duty = ?2
                   AND (decision IS NOT ?3 OR decision_note IS NOT ?4)",
                rusqlite::params![id, a.duty, decision, note, by, Ts(at)],
            )?;
        }
    }
    Ok(())
}

pub fn duties_of(c: &Connection, id: &str) -> Result<Vec<DutyRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT * FROM incident_duties WHERE incident_id = ?1 ORDER BY created_at, duty",
    )?;
    let rows = stmt.query_map([id], duty_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get_duty(c: &Connection, duty_id: &str) -> Result<Option<DutyRow>> {
    Ok(c.query_row(
        "SELECT * FROM incident_duties WHERE id = ?1",
        [duty_id],
        duty_from_row,
    )
    .optional()?)
}

pub fn decide_duty(
    tx: &Transaction<'_>,
    duty_id: &str,
    decision: &str,
    note: Option<&str>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let n = tx.execute(
        "UPDATE incident_duties SET decision = ?2, decision_note = ?3, decided_by = ?4,
             decided_at = ?5 WHERE id = ?1",
        rusqlite::params![duty_id, decision, note, by, Ts(at)],
    )?;
    found(n, "duty", duty_id)
}

pub fn mark_duty_sent(
    tx: &Transaction<'_>,
    duty_id: &str,
    reference: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let n = tx.execute(
        "UPDATE incident_duties SET sent_at = ?2, sent_by = ?3, reference = ?4,
             decision = coalesce(decision, 'will_notify'), decided_by = coalesce(decided_by, ?3),
             decided_at = coalesce(decided_at, ?2)
         WHERE id = ?1",
        rusqlite::params![duty_id, Ts(at), by, reference],
    )?;
    found(n, "duty", duty_id)
}

/// Open duties (not sent, not decided "not needed") per incident.
pub fn open_duty_counts(c: &Connection) -> Result<std::collections::HashMap<String, u32>> {
    let mut stmt = c.prepare_cached(
        "SELECT incident_id, count(*) FROM incident_duties
          WHERE sent_at IS NULL AND decision IS NOT 'not_needed' GROUP BY incident_id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn found(n: usize, entity: &'static str, id: &str) -> Result<()> {
    if n == 0 {
        return Err(StoreError::NotFound {
            entity,
            id: id.to_owned(),
        });
    }
    Ok(())
}

// ---- observations -----------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct ObservationRow {
    pub id: String,
    pub incident_id: String,
    pub kind: String,
    pub due_at: DateTime<Utc>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub pupils: Option<String>,
    pub gcs: Option<u8>,
    pub avpu: Option<String>,
    pub pulse: Option<u16>,
    pub notes: Option<String>,
    pub missed_reason: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

fn observation_from_row(r: &Row<'_>) -> rusqlite::Result<ObservationRow> {
    Ok(ObservationRow {
        id: r.get("id")?,
        incident_id: r.get("incident_id")?,
        kind: r.get("kind")?,
        due_at: get_ts(r, "due_at")?,
        reminded_at: get_opt_ts(r, "reminded_at")?,
        outcome: r.get("outcome")?,
        pupils: r.get("pupils")?,
        gcs: r.get("gcs")?,
        avpu: r.get("avpu")?,
        pulse: r.get("pulse")?,
        notes: r.get("notes")?,
        missed_reason: r.get("missed_reason")?,
        resolved_by: r.get("resolved_by")?,
        resolved_at: get_opt_ts(r, "resolved_at")?,
    })
}

pub fn has_schedule(c: &Connection, id: &str) -> Result<bool> {
    Ok(c.query_row(
        "SELECT EXISTS (SELECT 1 FROM incident_observations WHERE incident_id = ?1)",
        [id],
        |r| r.get(0),
    )?)
}

pub fn add_observation(
    tx: &Transaction<'_>,
    incident_id: &str,
    kind: &str,
    due_at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO incident_observations (id, incident_id, kind, due_at) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![
            uuid::Uuid::new_v4().to_string(),
            incident_id,
            kind,
            Ts(due_at)
        ],
    )?;
    Ok(())
}

pub fn observations_of(c: &Connection, id: &str) -> Result<Vec<ObservationRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT * FROM incident_observations WHERE incident_id = ?1 ORDER BY due_at, kind",
    )?;
    let rows = stmt.query_map([id], observation_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get_observation(c: &Connection, id: &str) -> Result<Option<ObservationRow>> {
    Ok(c.query_row(
        "SELECT * FROM incident_observations WHERE id = ?1",
        [id],
        observation_from_row,
    )
    .optional()?)
}

/// Observations due by `now` and not yet recorded or missed, the earliest first.
pub fn unresolved_due(c: &Connection, now: DateTime<Utc>) -> Result<Vec<ObservationRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT * FROM incident_observations WHERE outcome IS NULL AND due_at <= ?1
         ORDER BY due_at, kind",
    )?;
    let rows = stmt.query_map([Ts(now)], observation_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The next time an unresolved observation falls due without its reminder yet.
pub fn next_unreminded(c: &Connection) -> Result<Option<DateTime<Utc>>> {
    Ok(c.query_row(
        "SELECT min(due_at) FROM incident_observations
          WHERE outcome IS NULL AND reminded_at IS NULL",
        [],
        |r| r.get::<_, Option<Ts>>(0),
    )?
    .map(|t| t.0))
}

pub fn set_reminded(tx: &Transaction<'_>, id: &str, at: DateTime<Utc>) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE incident_observations SET reminded_at = ?2 WHERE id = ?1 AND reminded_at IS NULL",
        rusqlite::params![id, Ts(at)],
    )? > 0)
}

/// What was observed.
pub struct Reading<'a> {
    pub pupils: Option<&'a str>,
    pub gcs: Option<u8>,
    pub avpu: Option<&'a str>,
    pub pulse: Option<u16>,
    pub notes: Option<&'a str>,
}

pub fn record_observation(
    tx: &Transaction<'_>,
    id: &str,
    r: &Reading<'_>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE incident_observations SET outcome = 'recorded', pupils = :pupils, gcs = :gcs,
             avpu = :avpu, pulse = :pulse, notes = :notes, resolved_by = :by, resolved_at = :at
         WHERE id = :id AND outcome IS NULL",
        named_params! {
            ":pupils": r.pupils, ":gcs": r.gcs, ":avpu": r.avpu, ":pulse": r.pulse,
            ":notes": r.notes, ":by": by, ":at": Ts(at), ":id": id,
        },
    )? > 0)
}

pub fn miss_observation(
    tx: &Transaction<'_>,
    id: &str,
    reason: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE incident_observations SET outcome = 'missed', missed_reason = ?2,
             resolved_by = ?3, resolved_at = ?4
         WHERE id = ?1 AND outcome IS NULL",
        rusqlite::params![id, reason, by, Ts(at)],
    )? > 0)
}
