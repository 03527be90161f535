//! The training catalogue and staff certifications.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{named_params, Connection, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{get_opt_ts, get_ts, opt_ts, string_enum, Ts};
use crate::store::Result;

string_enum!(
    CourseScope {
        System => "system",
        Organization => "organization",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Course {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub code: Option<String>,
    pub scope: CourseScope,
    #[serde(default)]
    pub mandatory: bool,
    #[serde(default)]
    pub validity_months: Option<u32>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

pub fn upsert_course(tx: &Transaction<'_>, c: &Course) -> Result<()> {
    tx.execute(
        "INSERT INTO courses (id, name, code, scope, mandatory, validity_months, created_at,
                              updated_at, deleted_at)
         VALUES (:id, :name, :code, :scope, :mandatory, :validity, :created_at, :updated_at, NULL)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, code = excluded.code,
             scope = excluded.scope, mandatory = excluded.mandatory,
             validity_months = excluded.validity_months, created_at = excluded.created_at,
             updated_at = excluded.updated_at, deleted_at = NULL",
        named_params! {
            ":id": c.id, ":name": c.name, ":code": c.code, ":scope": c.scope,
            ":mandatory": c.mandatory, ":validity": c.validity_months,
            ":created_at": opt_ts(&c.created_at), ":updated_at": Ts(c.updated_at),
        },
    )?;
    Ok(())
}

pub fn list_courses(conn: &Connection) -> Result<Vec<Course>> {
    let mut stmt = conn.prepare(
        "SELECT * FROM courses WHERE deleted_at IS NULL ORDER BY mandatory DESC, name COLLATE NOCASE",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Course {
            id: r.get("id")?,
            name: r.get("name")?,
            code: r.get("code")?,
            scope: r.get("scope")?,
            mandatory: r.get("mandatory")?,
            validity_months: r.get("validity_months")?,
            created_at: get_opt_ts(r, "created_at")?,
            updated_at: get_ts(r, "updated_at")?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn delete_course(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM courses WHERE id = ?1", [id])? > 0)
}

string_enum!(
    /// A certification on a calendar date: expired after its expiry date, expiring in the 90
    /// days up to and including it (CareLoop's rule), valid before that or without an expiry.
    CertificationStatus {
        Valid => "valid",
        Expiring => "expiring",
        Expired => "expired",
    }
);

/// How many days before its expiry a certification counts as expiring.
pub const EXPIRING_DAYS: i64 = 90;

impl CertificationStatus {
    /// The status on `today` of a certification that expires on `expires_on`.
    pub fn on(expires_on: Option<NaiveDate>, today: NaiveDate) -> Self {
        match expires_on.map(|e| (e - today).num_days()) {
            Some(left) if left < 0 => Self::Expired,
            Some(left) if left <= EXPIRING_DAYS => Self::Expiring,
            _ => Self::Valid,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Certification {
    pub id: String,
    pub staff_id: String,
    pub course_id: String,
    #[serde(default)]
    pub course_name: Option<String>,
    pub issued_on: NaiveDate,
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    #[serde(default)]
    pub status: Option<CertificationStatus>,
    #[serde(default)]
    pub certificate_number: Option<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

fn date(d: &NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
}

pub fn upsert_certification(tx: &Transaction<'_>, c: &Certification) -> Result<()> {
    tx.execute(
        "INSERT INTO certifications (id, staff_id, course_id, course_name, issued_on, expires_on,
                                     status, certificate_number, created_at, updated_at, deleted_at)
         VALUES (:id, :staff_id, :course_id, :course_name, :issued_on, :expires_on, :status,
                 :number, :created_at, :updated_at, NULL)
         ON CONFLICT (id) DO UPDATE SET staff_id = excluded.staff_id,
             course_id = excluded.course_id, course_name = excluded.course_name,
             issued_on = excluded.issued_on, expires_on = excluded.expires_on,
             status = excluded.status, certificate_number = excluded.certificate_number,
             created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = NULL",
        named_params! {
            ":id": c.id, ":staff_id": c.staff_id, ":course_id": c.course_id,
            ":course_name": c.course_name, ":issued_on": date(&c.issued_on),
            ":expires_on": c.expires_on.as_ref().map(date), ":status": c.status,
            ":number": c.certificate_number,
            ":created_at": opt_ts(&c.created_at), ":updated_at": Ts(c.updated_at),
        },
    )?;
    Ok(())
}

/// A stored certification with its status on `today` (the status CareLoop sent goes stale
/// while the desk is offline; the expiry date does not).
fn certification_from_row(r: &Row<'_>, today: NaiveDate) -> rusqlite::Result<Certification> {
    let expires_on = parse_date(r.get("expires_on")?);
    Ok(Certification {
        id: r.get("id")?,
        staff_id: r.get("staff_id")?,
        course_id: r.get("course_id")?,
        course_name: r.get("course_name")?,
        issued_on: parse_date(r.get("issued_on")?).unwrap_or_default(),
        expires_on,
        status: Some(CertificationStatus::on(expires_on, today)),
        certificate_number: r.get("certificate_number")?,
        created_at: get_opt_ts(r, "created_at")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

/// Certification `id` with its status on `today`.
pub fn get_certification(
    conn: &Connection,
    id: &str,
    today: NaiveDate,
) -> Result<Option<Certification>> {
    Ok(conn
        .query_row(
            "SELECT * FROM certifications WHERE id = ?1 AND deleted_at IS NULL",
            [id],
            |r| certification_from_row(r, today),
        )
        .optional()?)
}

/// A staff member's certifications with their status on `today`, soonest expiry first.
pub fn certifications_for_staff(
    conn: &Connection,
    staff_id: &str,
    today: NaiveDate,
) -> Result<Vec<Certification>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM certifications WHERE staff_id = ?1 AND deleted_at IS NULL
         ORDER BY expires_on IS NULL, expires_on, course_name",
    )?;
    let rows = stmt.query_map([staff_id], |r| certification_from_row(r, today))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Certifications expiring before `before` (already expired included), soonest first, with
/// their status on `today`.
pub fn certifications_expiring_before(
    conn: &Connection,
    before: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<Certification>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM certifications WHERE deleted_at IS NULL AND expires_on < ?1
         ORDER BY expires_on, staff_id",
    )?;
    let rows = stmt.query_map([date(&before)], |r| certification_from_row(r, today))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn delete_certification(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM certifications WHERE id = ?1", [id])? > 0)
}

/// Live certifications past their expiry date on `today`, of the staff of one home (or all).
pub fn count_expired(
    conn: &Connection,
    location_id: Option<&str>,
    today: NaiveDate,
) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT count(*) FROM certifications c JOIN staff s ON s.id = c.staff_id
         WHERE c.deleted_at IS NULL AND s.deleted_at IS NULL AND s.status = 'active'
           AND c.expires_on < :today
           AND (:location_id IS NULL OR s.location_id = :location_id)",
        named_params! {":today": date(&today), ":location_id": location_id},
        |r| r.get(0),
    )?)
}

// ---- The training matrix (issue 14) ----

use crate::store::repo::people::StaffRole;
use crate::training::{HeldCertification, MatrixData, MatrixStaff, SavedRules};

/// The rules a manager saved on this desk (none: the default set applies).
pub fn saved_rules(conn: &Connection) -> Result<SavedRules> {
    let configured: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM training_rules_state)",
        [],
        |r| r.get(0),
    )?;
    let requirements = if configured {
        let mut stmt = conn.prepare_cached("SELECT role, course_id FROM training_requirements")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, StaffRole>(0)?, r.get::<_, String>(1)?))
        })?;
        Some(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    } else {
        None
    };
    let mut stmt = conn.prepare_cached("SELECT course_id, months FROM training_renewal_periods")?;
    let renewal_months = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(SavedRules {
        requirements,
        renewal_months,
    })
}

/// Replaces the rules: the courses each role requires and the renewal periods that differ
/// from the default.
pub fn save_rules(
    tx: &Transaction<'_>,
    requirements: &[(StaffRole, String)],
    renewal_months: &[(String, u32)],
    by: Option<&str>,
) -> Result<()> {
    tx.execute("DELETE FROM training_requirements", [])?;
    tx.execute("DELETE FROM training_renewal_periods", [])?;
    for (role, course) in requirements {
        tx.execute(
            "INSERT OR IGNORE INTO training_requirements (role, course_id) VALUES (?1, ?2)",
            rusqlite::params![role, course],
        )?;
    }
    for (course, months) in renewal_months {
        tx.execute(
            "INSERT OR REPLACE INTO training_renewal_periods (course_id, months) VALUES (?1, ?2)",
            rusqlite::params![course, months],
        )?;
    }
    tx.execute(
        "INSERT INTO training_rules_state (id, configured_at, configured_by) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET configured_at = excluded.configured_at,
             configured_by = excluded.configured_by",
        rusqlite::params![Ts(super::now()), by],
    )?;
    Ok(())
}

fn held_from_row(r: &Row<'_>) -> rusqlite::Result<HeldCertification> {
    Ok(HeldCertification {
        id: r.get("id")?,
        staff_id: r.get("staff_id")?,
        course_id: r.get("course_id")?,
        issued_on: parse_date(r.get("issued_on")?).unwrap_or_default(),
        expires_on: parse_date(r.get("expires_on")?),
        certificate_number: r.get("certificate_number")?,
        pending: r.get("pending")?,
    })
}

const HELD_SELECT: &str = "SELECT c.id, c.staff_id, c.course_id, c.issued_on, c.expires_on,
        c.certificate_number,
        EXISTS (SELECT 1 FROM outbox o WHERE o.entity = 'certification' AND o.entity_id = c.id)
            AS pending
    FROM certifications c WHERE c.deleted_at IS NULL";

/// Everything the training matrix is built from: the active staff with their home, the
/// catalogue, every live certification (with whether it waits to reach CareLoop), the saved
/// rules and when certifications were last pulled.
pub fn matrix_data(conn: &Connection) -> Result<MatrixData> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.full_name, s.preferred_name, s.role, s.location_id, l.name AS home
         FROM staff s LEFT JOIN locations l ON l.id = s.location_id AND l.deleted_at IS NULL
         WHERE s.deleted_at IS NULL AND s.status = 'active'",
    )?;
    let staff = stmt
        .query_map([], |r| {
            let full: String = r.get("full_name")?;
            let preferred: Option<String> = r.get("preferred_name")?;
            Ok(MatrixStaff {
                id: r.get("id")?,
                name: super::people::display_name(&full, preferred.as_deref()),
                role: r.get("role")?,
                location_id: r.get("location_id")?,
                location_name: r.get("home")?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare_cached(HELD_SELECT)?;
    let held = stmt
        .query_map([], held_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(MatrixData {
        staff,
        courses: list_courses(conn)?,
        held,
        saved_rules: saved_rules(conn)?,
        data_as_of: super::sync_state::get_sync_state(conn, "certifications")?.last_success_at,
    })
}

/// One staff member's certifications, newest first, each with whether it waits to reach
/// CareLoop: their history as far as this desk holds it.
pub fn held_by_staff(conn: &Connection, staff_id: &str) -> Result<Vec<HeldCertification>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{HELD_SELECT} AND c.staff_id = ?1 ORDER BY c.issued_on DESC, c.expires_on DESC"
    ))?;
    let rows = stmt.query_map([staff_id], held_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A course of the catalogue, if it is there.
pub fn get_course(conn: &Connection, id: &str) -> Result<Option<Course>> {
    Ok(list_courses(conn)?.into_iter().find(|c| c.id == id))
}

/// Saves a certification recorded on this desk (its id is the client UUID until CareLoop's
/// answer swaps it).
pub fn insert_local_certification(tx: &Transaction<'_>, c: &Certification) -> Result<()> {
    upsert_certification(tx, c)?;
    tx.execute(
        "UPDATE certifications SET client_id = ?1 WHERE id = ?1",
        [&c.id],
    )?;
    Ok(())
}

/// Records that the desk raised its notice about (staff, course, expiry, kind); `false` when
/// it had already been raised.
pub fn note_training_notice(
    tx: &Transaction<'_>,
    staff_id: &str,
    course_id: &str,
    expires_on: NaiveDate,
    kind: &str,
) -> Result<bool> {
    Ok(tx.execute(
        "INSERT OR IGNORE INTO training_notices (staff_id, course_id, expires_on, kind, raised_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![
            staff_id,
            course_id,
            date(&expires_on),
            kind,
            Ts(super::now())
        ],
    )? > 0)
}

/// A staff member's name as every screen shows it, if they are on this desk.
pub fn staff_name(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT full_name, preferred_name FROM staff WHERE id = ?1 AND deleted_at IS NULL",
            [id],
            |r| {
                Ok(super::people::display_name(
                    &r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?.as_deref(),
                ))
            },
        )
        .optional()?)
}

/// A staff member on this desk as the training pages need them (active or not).
pub fn matrix_staff(conn: &Connection, id: &str) -> Result<Option<MatrixStaff>> {
    Ok(conn
        .query_row(
            "SELECT s.id, s.full_name, s.preferred_name, s.role, s.location_id, l.name AS home
             FROM staff s LEFT JOIN locations l ON l.id = s.location_id AND l.deleted_at IS NULL
             WHERE s.id = ?1 AND s.deleted_at IS NULL",
            [id],
            |r| {
                let full: String = r.get("full_name")?;
                let preferred: Option<String> = r.get("preferred_name")?;
                Ok(MatrixStaff {
                    id: r.get("id")?,
                    name: super::people::display_name(&full, preferred.as_deref()),
                    role: r.get("role")?,
                    location_id: r.get("location_id")?,
                    location_name: r.get("home")?,
                })
            },
        )
        .optional()?)
}

/// A training notice as stored: CareLoop's `cert.expiring`/`cert.expired` webhook, or the
/// desk's own.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredNotice {
    pub staff_id: String,
    pub course_id: String,
    pub expires_on: Option<NaiveDate>,
    /// `expiring` or `expired`.
    pub kind: String,
    pub at: DateTime<Utc>,
    /// Raised by this desk (else by CareLoop's webhook).
    pub by_desk: bool,
}

/// The training notices received or raised since `since`, newest first.
pub fn notices_since(conn: &Connection, since: DateTime<Utc>) -> Result<Vec<StoredNotice>> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT type, data, received_at FROM bridge_events
         WHERE type IN ('cert.expiring', 'cert.expired') AND received_at >= ?1",
    )?;
    let rows = stmt.query_map([Ts(since)], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            get_ts(r, "received_at")?,
        ))
    })?;
    for row in rows {
        let (kind, data, at) = row?;
        let body: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
        let p = crate::alerts::compose::payload(&body);
        let field = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let (Some(staff_id), Some(course_id)) = (field("staff_id"), field("course_id")) else {
            continue;
        };
        out.push(StoredNotice {
            staff_id,
            course_id,
            expires_on: parse_date(field("expires_on")),
            kind: kind.trim_start_matches("cert.").to_owned(),
            at,
            by_desk: false,
        });
    }
    let mut stmt = conn.prepare_cached(
        "SELECT staff_id, course_id, expires_on, kind, raised_at FROM training_notices
         WHERE raised_at >= ?1",
    )?;
    let rows = stmt.query_map([Ts(since)], |r| {
        Ok(StoredNotice {
            staff_id: r.get(0)?,
            course_id: r.get(1)?,
            expires_on: parse_date(r.get(2)?),
            kind: r.get(3)?,
            at: get_ts(r, "raised_at")?,
            by_desk: true,
        })
    })?;
    for n in rows {
        out.push(n?);
    }
    out.sort_by_key(|n| std::cmp::Reverse(n.at));
    Ok(out)
}
