//! Alerts raised at the desk; each stays until a staff member acknowledges it.

use chrono::{DateTime, Utc};
use rusqlite::{named_params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;
use ts_rs::TS;

use super::{get_opt_ts, get_ts, now, opt_ts, Ts};
use crate::clock;
use crate::store::{Result, StoreError};

/// An alert at the desk; it stays until a staff member acknowledges it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Alert {
    #[ts(type = "number")]
    pub id: i64,
    /// What the alert is about (`incident:<id>`, `event:<bridge event id>`): one thing, one
    /// alert, however many ways it was reported.
    pub key: String,
    /// The bridge event that raised it; none when this desk raised it itself.
    pub event_id: Option<String>,
    /// The event type that raised it (`incident.critical`, `visit.no_show`).
    pub kind: String,
    pub title: String,
    pub detail: Option<String>,
    pub location_id: Option<String>,
    pub resident_id: Option<String>,
    pub resource_id: Option<String>,
    /// The time the alert is about (a missed visit's start, an incident's time), if known.
    pub when_at: Option<DateTime<Utc>>,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
}

/// Where a title or detail says [`Alert::when_at`] in words (written when the alert is read).
pub const WHEN: &str = "{when}";

/// The key of the alert about incident `id`.
pub fn incident_key(id: &str) -> String {
    format!("incident:{id}")
}

/// The key of an alert about bridge event `id` (when nothing better identifies it).
pub fn event_key(id: &str) -> String {
    format!("event:{id}")
}

/// What raises an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert<'a> {
    /// See [`Alert::key`].
    pub key: &'a str,
    /// The bridge event that raised it, or `None` when raised on this desk.
    pub event_id: Option<&'a str>,
    pub kind: &'a str,
    pub title: &'a str,
    pub detail: Option<&'a str>,
    pub location_id: Option<&'a str>,
    pub resident_id: Option<&'a str>,
    pub resource_id: Option<&'a str>,
    /// See [`Alert::when_at`]; the title and detail say it where they hold [`WHEN`].
    pub when_at: Option<DateTime<Utc>>,
}

/// Raises an alert (once per key, and once per bridge event); returns its id when it is new.
pub fn raise_alert(tx: &Transaction<'_>, a: &NewAlert<'_>) -> Result<Option<i64>> {
    let inserted = tx.execute(
        "INSERT INTO alerts (alert_key, source, event_id, kind, title, detail, location_id,
                             resident_id, resource_id, when_at, raised_at)
         VALUES (:key, :source, :event_id, :kind, :title, :detail, :location_id, :resident_id,
                 :resource_id, :when_at, :at)
         ON CONFLICT DO NOTHING",
        named_params! {
            ":key": a.key, ":source": if a.event_id.is_some() { "bridge" } else { "local" },
            ":event_id": a.event_id, ":kind": a.kind, ":title": a.title, ":detail": a.detail,
            ":location_id": a.location_id, ":resident_id": a.resident_id,
            ":resource_id": a.resource_id, ":when_at": opt_ts(&a.when_at), ":at": Ts(now()),
        },
    )?;
    Ok((inserted > 0).then(|| tx.last_insert_rowid()))
}

/// A row created on this desk got its server id: an alert keyed by the old id follows it (unless
/// one keyed by the server id is already there, from a webhook that came first).
pub fn rekey_incident(tx: &Transaction<'_>, local_id: &str, server_id: &str) -> Result<()> {
    tx.execute(
        "UPDATE OR IGNORE alerts SET alert_key = ?2, resource_id = ?3 WHERE alert_key = ?1",
        [&incident_key(local_id), &incident_key(server_id), server_id],
    )?;
    Ok(())
}

/// Closes the open alert with this key (its cause was dealt with on the desk, e.g. an
/// observation recorded); the alert when one was open.
pub fn acknowledge_by_key(tx: &Transaction<'_>, key: &str, by: &str) -> Result<Option<Alert>> {
    let id: Option<i64> = tx
        .query_row(
            "SELECT id FROM alerts WHERE alert_key = ?1 AND acknowledged_at IS NULL",
            [key],
            |r| r.get(0),
        )
        .optional()?;
    id.map(|id| acknowledge_alert(tx, id, by)).transpose()
}

/// The alert with this key, if any.
pub fn alert_by_key(conn: &Connection, key: &str) -> Result<Option<Alert>> {
    Ok(conn
        .query_row(
            "SELECT * FROM alerts WHERE alert_key = ?1",
            [key],
            alert_from_row,
        )
        .optional()?)
}

fn alert_from_row(r: &Row<'_>) -> rusqlite::Result<Alert> {
    Ok(Alert {
        id: r.get("id")?,
        key: r.get("alert_key")?,
        event_id: r.get("event_id")?,
        kind: r.get("kind")?,
        title: r.get("title")?,
        detail: r.get("detail")?,
        location_id: r.get("location_id")?,
        resident_id: r.get("resident_id")?,
        resource_id: r.get("resource_id")?,
        when_at: get_opt_ts(r, "when_at")?,
        raised_at: get_ts(r, "raised_at")?,
        acknowledged_at: get_opt_ts(r, "acknowledged_at")?,
        acknowledged_by: r.get("acknowledged_by")?,
    })
}

/// Writes an alert's time in words, as of `now` in the home's time zone.
fn render(conn: &Connection, now: DateTime<Utc>) -> Result<impl Fn(Alert) -> Alert> {
    let zone = super::settings::home_zone(conn)?;
    Ok(move |mut a: Alert| {
        let words = match a.when_at {
            Some(at) => clock::when(at, now, zone),
            None => "an unknown time".to_owned(),
        };
        a.title = a.title.replace(WHEN, &words);
        a.detail = a.detail.map(|d| d.replace(WHEN, &words));
        a
    })
}

/// How many alerts are not yet acknowledged.
pub fn count_open_alerts(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT count(*) FROM alerts WHERE acknowledged_at IS NULL",
        [],
        |r| r.get(0),
    )?)
}

/// Open alerts: all, and of those critical incidents.
pub fn open_counts(conn: &Connection) -> Result<(u32, u32)> {
    Ok(conn.query_row(
        "SELECT count(*), coalesce(sum(kind = 'incident.critical'), 0)
         FROM alerts WHERE acknowledged_at IS NULL",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// How urgent an alert of `kind` is: lower first (critical incidents, then missed visits).
const URGENCY: &str =
    "CASE kind WHEN 'incident.critical' THEN 0 WHEN 'visit.no_show' THEN 1 ELSE 2 END";

/// Alerts not yet acknowledged, most urgent first: critical incidents, then missed visits, then
/// the rest; the newest first within each.
pub fn open_alerts(conn: &Connection) -> Result<Vec<Alert>> {
    open_alerts_at(conn, now())
}

/// As [`open_alerts`], their times in words as of `now`.
pub fn open_alerts_at(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<Alert>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT * FROM alerts WHERE acknowledged_at IS NULL
         ORDER BY {URGENCY}, raised_at DESC, id DESC"
    ))?;
    let rows = stmt.query_map([], alert_from_row)?;
    let render = render(conn, now)?;
    Ok(rows
        .map(|r| r.map(&render))
        .collect::<rusqlite::Result<_>>()?)
}

/// Recent alerts, open and acknowledged, newest first.
pub fn recent_alerts(conn: &Connection, limit: u32) -> Result<Vec<Alert>> {
    recent_alerts_at(conn, limit, now())
}

/// As [`recent_alerts`], their times in words as of `now`.
pub fn recent_alerts_at(conn: &Connection, limit: u32, now: DateTime<Utc>) -> Result<Vec<Alert>> {
    let mut stmt =
        conn.prepare_cached("SELECT * FROM alerts ORDER BY raised_at DESC, id DESC LIMIT ?1")?;
    let rows = stmt.query_map([limit], alert_from_row)?;
    let render = render(conn, now)?;
    Ok(rows
        .map(|r| r.map(&render))
        .collect::<rusqlite::Result<_>>()?)
}

/// A staff member acknowledges an alert; who and when are recorded, once.
pub fn acknowledge_alert(tx: &Transaction<'_>, id: i64, by: &str) -> Result<Alert> {
    if by.trim().is_empty() {
        return Err(StoreError::Invalid(
            "say who is acknowledging the alert".into(),
        ));
    }
    tx.execute(
        "UPDATE alerts SET acknowledged_at = ?1, acknowledged_by = ?2
         WHERE id = ?3 AND acknowledged_at IS NULL",
        rusqlite::params![Ts(now()), by.trim(), id],
    )?;
    let render = render(tx, now())?;
    tx.query_row("SELECT * FROM alerts WHERE id = ?1", [id], alert_from_row)
        .optional()?
        .map(render)
        .ok_or(StoreError::NotFound {
            entity: "alert",
            id: id.to_string(),
        })
}
