//! Locations (care homes), staff, residents and their contacts.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{named_params, Connection, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{get_opt_ts, get_ts, opt_ts, string_enum, Page, Ts};
use crate::store::Result;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Location {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

pub fn upsert_location(tx: &Transaction<'_>, l: &Location) -> Result<()> {
    tx.execute(
        "INSERT INTO locations (id, name, address, created_at, updated_at, deleted_at)
         VALUES (:id, :name, :address, :created_at, :updated_at, NULL)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address,
             created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = NULL",
        named_params! {
            ":id": l.id, ":name": l.name, ":address": l.address,
            ":created_at": opt_ts(&l.created_at), ":updated_at": Ts(l.updated_at),
        },
    )?;
    Ok(())
}

pub fn list_locations(conn: &Connection) -> Result<Vec<Location>> {
    let mut stmt = conn
        .prepare("SELECT * FROM locations WHERE deleted_at IS NULL ORDER BY name COLLATE NOCASE")?;
    let rows = stmt.query_map([], |r| {
        Ok(Location {
            id: r.get("id")?,
            name: r.get("name")?,
            address: r.get("address")?,
            created_at: get_opt_ts(r, "created_at")?,
            updated_at: get_ts(r, "updated_at")?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn delete_location(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM locations WHERE id = ?1", [id])? > 0)
}

string_enum!(
    /// A staff member's role.
    StaffRole {
        Carer => "carer",
        SeniorCarer => "senior_carer",
        Nurse => "nurse",
        ShiftLead => "shift_lead",
        Manager => "manager",
        Housekeeping => "housekeeping",
        Kitchen => "kitchen",
    }
);

string_enum!(
    StaffStatus {
        Active => "active",
        Inactive => "inactive",
    }
);

/// The server's count of a staff member's certifications by expiry band.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CertificationSummary {
    pub total: u32,
    pub valid: u32,
    pub expiring_30: u32,
    pub expiring_60: u32,
    pub expiring_90: u32,
    pub expired: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Staff {
    pub id: String,
    pub full_name: String,
    #[serde(default)]
    pub preferred_name: Option<String>,
    pub role: StaffRole,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub location_id: Option<String>,
    pub status: StaffStatus,
    #[serde(default)]
    pub certification_summary: Option<CertificationSummary>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// Inserts or replaces a staff member. Their certification summary is not stored: it is
/// counted from the certifications when read (see [`list_staff`]).
pub fn upsert_staff(tx: &Transaction<'_>, s: &Staff) -> Result<()> {
    tx.execute(
        "INSERT INTO staff (id, full_name, preferred_name, role, email, phone, location_id, status,
                            cert_summary, created_at, updated_at, deleted_at)
         VALUES (:id, :full_name, :preferred_name, :role, :email, :phone, :location_id, :status,
                 NULL, :created_at, :updated_at, NULL)
         ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name,
             preferred_name = excluded.preferred_name, role = excluded.role,
             email = excluded.email, phone = excluded.phone, location_id = excluded.location_id,
             status = excluded.status, cert_summary = NULL,
             created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = NULL",
        named_params! {
            ":id": s.id, ":full_name": s.full_name, ":preferred_name": s.preferred_name,
            ":role": s.role, ":email": s.email, ":phone": s.phone, ":location_id": s.location_id,
            ":status": s.status,
            ":created_at": opt_ts(&s.created_at), ":updated_at": Ts(s.updated_at),
        },
    )?;
    Ok(())
}

/// The staff columns with each member's certification summary on `:today`, counted from the
/// expiry dates on this desk (CareLoop's summary goes stale while the desk is offline): one per
/// live certification, by days left (negative: expired; 0–30; 31–60; 61–90; more, or no expiry:
/// valid).
const STAFF_SELECT: &str = "SELECT s.*, coalesce(c.total, 0) AS cert_total,
        coalesce(c.valid, 0) AS cert_valid, coalesce(c.e30, 0) AS cert_30,
        coalesce(c.e60, 0) AS cert_60, coalesce(c.e90, 0) AS cert_90,
        coalesce(c.expired, 0) AS cert_expired
     FROM staff s LEFT JOIN (
         SELECT staff_id, count(*) AS total,
                sum(left_days IS NULL OR left_days > 90) AS valid,
                sum(left_days BETWEEN 0 AND 30) AS e30,
                sum(left_days BETWEEN 31 AND 60) AS e60,
                sum(left_days BETWEEN 61 AND 90) AS e90,
                sum(left_days < 0) AS expired
         FROM (SELECT staff_id,
                      CAST(round(julianday(expires_on) - julianday(:today)) AS INTEGER)
                          AS left_days
               FROM certifications WHERE deleted_at IS NULL)
         GROUP BY staff_id
     ) c ON c.staff_id = s.id";

fn staff_from_row(r: &Row<'_>) -> rusqlite::Result<Staff> {
    let summary = CertificationSummary {
        total: r.get("cert_total")?,
        valid: r.get("cert_valid")?,
        expiring_30: r.get("cert_30")?,
        expiring_60: r.get("cert_60")?,
        expiring_90: r.get("cert_90")?,
        expired: r.get("cert_expired")?,
    };
    Ok(Staff {
        id: r.get("id")?,
        full_name: r.get("full_name")?,
        preferred_name: r.get("preferred_name")?,
        role: r.get("role")?,
        email: r.get("email")?,
        phone: r.get("phone")?,
        location_id: r.get("location_id")?,
        status: r.get("status")?,
        certification_summary: Some(summary),
        created_at: get_opt_ts(r, "created_at")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

/// Staff member `id`, with their certification summary on `today`.
pub fn get_staff(conn: &Connection, id: &str, today: NaiveDate) -> Result<Option<Staff>> {
    Ok(conn
        .query_row(
            &format!("{STAFF_SELECT} WHERE s.id = :id AND s.deleted_at IS NULL"),
            named_params! {":id": id, ":today": date(today)},
            staff_from_row,
        )
        .optional()?)
}

/// The staff directory, optionally for one location, by name, with each member's certification
/// summary on `today`.
pub fn list_staff(
    conn: &Connection,
    location_id: Option<&str>,
    page: Page,
    today: NaiveDate,
) -> Result<Vec<Staff>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{STAFF_SELECT} WHERE s.deleted_at IS NULL
           AND (:location_id IS NULL OR s.location_id = :location_id)
         ORDER BY s.full_name COLLATE NOCASE, s.id LIMIT :limit OFFSET :offset"
    ))?;
    let rows = stmt.query_map(
        named_params! {
            ":location_id": location_id, ":limit": page.limit, ":offset": page.offset,
            ":today": date(today),
        },
        staff_from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn delete_staff(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM staff WHERE id = ?1", [id])? > 0)
}

string_enum!(
    ResidentStatus {
        Current => "current",
        Discharged => "discharged",
        Deceased => "deceased",
    }
);

string_enum!(
    /// Whether to attempt resuscitation. Shown prominently on a resident's page.
    DnarStatus {
        ForResus => "for_resus",
        Dnar => "dnar",
        NotRecorded => "not_recorded",
    }
);

/// A reference to a person by id and name (a resident's keyworker).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PersonRef {
    pub id: String,
    pub full_name: String,
}

/// How a person (resident or staff member) is named on every screen: the name they like to be
/// called by with their family name ("Maggie Wilson" for Margaret Wilson who goes by Maggie),
/// or the full name when there is no preferred name. Blank preferred names do not count.
pub fn display_name(full_name: &str, preferred_name: Option<&str>) -> String {
    let full = full_name.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(preferred) = preferred_name
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
    else {
        return full;
    };
    match full.rsplit_once(' ') {
        Some((_, family))
            if !preferred
                .split(' ')
                .any(|w| w.to_lowercase() == family.to_lowercase()) =>
        {
            format!("{preferred} {family}")
        }
        _ => preferred,
    }
}

/// How a resident is named where the public may see it (the locked kiosk) and to a
/// receptionist: the name they go by and the first letter of their family name ("Maggie W."
/// for Margaret Wilson who goes by Maggie), and nothing else about them.
pub fn public_name(full_name: &str, preferred_name: Option<&str>) -> String {
    let full: Vec<&str> = full_name.split_whitespace().collect();
    let given = preferred_name
        .and_then(|p| p.split_whitespace().next())
        .or_else(|| full.first().copied())
        .unwrap_or_default();
    match full.split_last() {
        Some((family, rest)) if !rest.is_empty() => {
            let initial: String = family
                .chars()
                .next()
                .map(|c| c.to_uppercase().collect())
                .unwrap_or_default();
            format!("{given} {initial}.")
        }
        _ => given.to_owned(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Contact {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub relationship: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub is_next_of_kin: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Resident {
    pub id: String,
    pub full_name: String,
    #[serde(default)]
    pub preferred_name: Option<String>,
    #[serde(default)]
    pub room_number: Option<String>,
    #[serde(default)]
    pub date_of_birth: Option<NaiveDate>,
    pub status: ResidentStatus,
    pub dnar_status: DnarStatus,
    #[serde(default)]
    pub location_id: Option<String>,
    #[serde(default)]
    pub keyworker: Option<PersonRef>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub admitted_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub discharged_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// Inserts or replaces a resident and their contacts (the contact list is replaced whole).
pub fn upsert_resident(tx: &Transaction<'_>, r: &Resident) -> Result<()> {
    tx.execute(
        "INSERT INTO residents (id, full_name, preferred_name, room_number, date_of_birth, status,
                                dnar_status, location_id, keyworker_id, admitted_at,
                                discharged_at, created_at, updated_at, deleted_at)
         VALUES (:id, :full_name, :preferred_name, :room_number, :dob, :status, :dnar,
                 :location_id, :keyworker_id, :admitted_at, :discharged_at, :created_at,
                 :updated_at, NULL)
         ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name,
             preferred_name = excluded.preferred_name, room_number = excluded.room_number,
             date_of_birth = excluded.date_of_birth, status = excluded.status,
             dnar_status = excluded.dnar_status, location_id = excluded.location_id,
             keyworker_id = excluded.keyworker_id, admitted_at = excluded.admitted_at,
             discharged_at = excluded.discharged_at, created_at = excluded.created_at,
             updated_at = excluded.updated_at, deleted_at = NULL",
        named_params! {
            ":id": r.id, ":full_name": r.full_name, ":preferred_name": r.preferred_name,
            ":room_number": r.room_number,
            ":dob": r.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string()),
            ":status": r.status, ":dnar": r.dnar_status, ":location_id": r.location_id,
            ":keyworker_id": r.keyworker.as_ref().map(|k| &k.id),
            ":admitted_at": opt_ts(&r.admitted_at), ":discharged_at": opt_ts(&r.discharged_at),
            ":created_at": opt_ts(&r.created_at), ":updated_at": Ts(r.updated_at),
        },
    )?;
    tx.execute(
        "DELETE FROM resident_contacts WHERE resident_id = ?1",
        [&r.id],
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO resident_contacts (id, resident_id, name, relationship, phone, email,
                                        is_next_of_kin, position)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (i, c) in r.contacts.iter().enumerate() {
        insert.execute(rusqlite::params![
            c.id,
            r.id,
            c.name,
            c.relationship,
            c.phone,
            c.email,
            c.is_next_of_kin,
            i as i64
        ])?;
    }
    Ok(())
}

const RESIDENT_SELECT: &str = "SELECT r.*, s.full_name AS keyworker_name
     FROM residents r LEFT JOIN staff s ON s.id = r.keyworker_id";

fn resident_from_row(r: &Row<'_>) -> rusqlite::Result<Resident> {
    let keyworker_id: Option<String> = r.get("keyworker_id")?;
    let keyworker_name: Option<String> = r.get("keyworker_name")?;
    let dob: Option<String> = r.get("date_of_birth")?;
    Ok(Resident {
        id: r.get("id")?,
        full_name: r.get("full_name")?,
        preferred_name: r.get("preferred_name")?,
        room_number: r.get("room_number")?,
        date_of_birth: dob.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
        status: r.get("status")?,
        dnar_status: r.get("dnar_status")?,
        location_id: r.get("location_id")?,
        keyworker: keyworker_id.map(|id| PersonRef {
            full_name: keyworker_name.unwrap_or_default(),
            id,
        }),
        contacts: Vec::new(),
        admitted_at: get_opt_ts(r, "admitted_at")?,
        discharged_at: get_opt_ts(r, "discharged_at")?,
        created_at: get_opt_ts(r, "created_at")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

fn contacts_of(conn: &Connection, resident_id: &str) -> Result<Vec<Contact>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM resident_contacts WHERE resident_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([resident_id], |r| {
        Ok(Contact {
            id: r.get("id")?,
            name: r.get("name")?,
            relationship: r.get("relationship")?,
            phone: r.get("phone")?,
            email: r.get("email")?,
            is_next_of_kin: r.get("is_next_of_kin")?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One resident with keyworker and contacts.
/// Whether a resident (not deleted) with this id is on the desk: what a write about them checks
/// first, without reading their record.
pub fn resident_exists(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM residents WHERE id = ?1 AND deleted_at IS NULL")?
        .exists([id])?)
}

pub fn get_resident(conn: &Connection, id: &str) -> Result<Option<Resident>> {
    let found = conn
        .query_row(
            &format!("{RESIDENT_SELECT} WHERE r.id = ?1 AND r.deleted_at IS NULL"),
            [id],
            resident_from_row,
        )
        .optional()?;
    match found {
        Some(mut r) => {
            r.contacts = contacts_of(conn, &r.id)?;
            Ok(Some(r))
        }
        None => Ok(None),
    }
}

/// What the resident search box asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResidentQuery {
    /// Every word must be found, in any order, anywhere in the full name, the preferred name or
    /// the room number (accents and case ignored).
    pub text: Option<String>,
    pub location_id: Option<String>,
    pub status: Option<ResidentStatus>,
}

/// The typed words: FTS5 trigram phrases for words of three characters or more (substring
/// matches through the index), the shorter ones for a direct match.
fn search_words(text: Option<&str>) -> (Option<String>, Vec<String>) {
    let words: Vec<String> = text
        .unwrap_or("")
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| !matches!(c, '%' | '_' | '\\' | '"'))
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let (long, short): (Vec<String>, Vec<String>) =
        words.into_iter().partition(|w| w.chars().count() >= 3);
    let fts = (!long.is_empty()).then(|| {
        long.iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" AND ")
    });
    (fts, short)
}

/// Residents matching `query`, by name (contacts not loaded: open one with [`get_resident`]).
pub fn search_residents(
    conn: &Connection,
    query: &ResidentQuery,
    page: Page,
) -> Result<Vec<Resident>> {
    let (fts, short) = search_words(query.text.as_deref());
    // Words under three characters (a room "3A", initials) are looked for directly.
    let mut short_sql = String::new();
    for i in 0..short.len() {
        short_sql.push_str(&format!(
            " AND (lower(r.full_name) LIKE '%' || :s{i} || '%'
                   OR lower(coalesce(r.preferred_name, '')) LIKE '%' || :s{i} || '%'
                   OR lower(coalesce(r.room_number, '')) LIKE '%' || :s{i} || '%')"
        ));
    }
    let sql = format!(
        "{RESIDENT_SELECT}
         WHERE r.deleted_at IS NULL
           AND (:location_id IS NULL OR r.location_id = :location_id)
           AND (:status IS NULL OR r.status = :status)
           AND (:fts IS NULL
                OR r.rowid IN (SELECT rowid FROM residents_search WHERE residents_search MATCH :fts))
           {short_sql}
         ORDER BY r.full_name COLLATE NOCASE, r.id
         LIMIT :limit OFFSET :offset"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let names: Vec<String> = (0..short.len()).map(|i| format!(":s{i}")).collect();
    let mut params: Vec<(&str, &dyn rusqlite::ToSql)> = vec![
        (":location_id", &query.location_id),
        (":status", &query.status),
        (":fts", &fts),
        (":limit", &page.limit),
        (":offset", &page.offset),
    ];
    for (name, word) in names.iter().zip(&short) {
        params.push((name.as_str(), word));
    }
    let rows = stmt.query_map(params.as_slice(), resident_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Removes a resident the server deleted (contacts go with it).
pub fn delete_resident(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM residents WHERE id = ?1", [id])? > 0)
}

pub fn count_residents(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT count(*) FROM residents WHERE deleted_at IS NULL",
        [],
        |r| r.get(0),
    )?)
}

impl Resident {
    /// See [`display_name`].
    pub fn display_name(&self) -> String {
        display_name(&self.full_name, self.preferred_name.as_deref())
    }
}

impl Staff {
    /// See [`display_name`].
    pub fn display_name(&self) -> String {
        display_name(&self.full_name, self.preferred_name.as_deref())
    }
}

/// A person's name to show ([`display_name`]) and, for a resident, their room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    pub room: Option<String>,
}

/// The name (and room) of resident `id`, from the cache.
pub fn resident_named(conn: &Connection, id: &str) -> Result<Option<Named>> {
    Ok(conn
        .query_row(
            "SELECT full_name, preferred_name, room_number FROM residents WHERE id = ?1",
            [id],
            |r| {
                let full: String = r.get(0)?;
                let preferred: Option<String> = r.get(1)?;
                let room: Option<String> = r.get(2)?;
                Ok(Named {
                    name: display_name(&full, preferred.as_deref()),
                    room: room.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()),
                })
            },
        )
        .optional()?)
}

/// Resident `id` as the public may see them ([`public_name`]), from the cache.
pub fn resident_public_name(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT full_name, preferred_name FROM residents WHERE id = ?1",
            [id],
            |r| {
                let full: String = r.get(0)?;
                let preferred: Option<String> = r.get(1)?;
                Ok(public_name(&full, preferred.as_deref()))
            },
        )
        .optional()?)
}

/// The name of staff member `id`, from the cache.
pub fn staff_name(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT full_name, preferred_name FROM staff WHERE id = ?1",
            [id],
            |r| {
                let full: String = r.get(0)?;
                let preferred: Option<String> = r.get(1)?;
                Ok(display_name(&full, preferred.as_deref()))
            },
        )
        .optional()?)
}

/// The full and preferred names of staff member `id` if they are active (not deleted, not left):
/// whom a kiosk visitor may say they are visiting.
pub fn active_staff_names(conn: &Connection, id: &str) -> Result<Option<(String, Option<String>)>> {
    Ok(conn
        .query_row(
            "SELECT full_name, preferred_name FROM staff WHERE id = ?1 AND deleted_at IS NULL
               AND status = 'active'",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// The name of location (home) `id`.
pub fn location_name(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT name FROM locations WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Whether a live (not deleted) row `id` is in the cache: `table` is one of the people tables.
pub fn exists(conn: &Connection, table: PeopleTable, id: &str) -> Result<bool> {
    let sql = match table {
        PeopleTable::Locations => {
            "SELECT EXISTS (SELECT 1 FROM locations WHERE id = ?1 AND deleted_at IS NULL)"
        }
        PeopleTable::Staff => {
            "SELECT EXISTS (SELECT 1 FROM staff WHERE id = ?1 AND deleted_at IS NULL)"
        }
        PeopleTable::Residents => {
            "SELECT EXISTS (SELECT 1 FROM residents WHERE id = ?1 AND deleted_at IS NULL)"
        }
    };
    Ok(conn.query_row(sql, [id], |r| r.get(0))?)
}

/// The tables [`exists`] looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeopleTable {
    Locations,
    Staff,
    Residents,
}

#[cfg(test)]
mod tests {
    use super::{display_name, public_name};

    #[test]
    fn the_public_sees_the_name_a_resident_goes_by_and_an_initial() {
        let cases = [
            ("Margaret Wilson", Some("Maggie"), "Maggie W."),
            ("Margaret Anne Wilson", None, "Margaret W."),
            ("Margaret Wilson", Some("Maggie Wilson"), "Maggie W."),
            ("Margaret Wilson", Some("  "), "Margaret W."),
            ("  harold  greenwood ", Some(" Harry "), "Harry G."),
            ("Siobhán Ó Briain", None, "Siobhán B."),
            ("Cher", None, "Cher"),
            ("Cher", Some("Cherry"), "Cherry"),
            ("", None, ""),
        ];
        for (full, preferred, want) in cases {
            assert_eq!(public_name(full, preferred), want, "{full:?} {preferred:?}");
        }
    }

    #[test]
    fn one_rule_names_a_person_everywhere() {
        let cases = [
            ("Margaret Wilson", Some("Maggie"), "Maggie Wilson"),
            (
                "Margaret Anne Wilson",
                Some("Margaret Wilson"),
                "Margaret Wilson",
            ),
            ("Margaret Wilson", Some("  "), "Margaret Wilson"),
            ("Margaret Wilson", Some(""), "Margaret Wilson"),
            ("Margaret Wilson", None, "Margaret Wilson"),
            ("Margaret Wilson", Some("Maggie WILSON"), "Maggie WILSON"),
            ("  Cher  ", None, "Cher"),
            ("Cher", Some("Cherry"), "Cherry"),
            ("Harold  Greenwood", Some(" Harry "), "Harry Greenwood"),
        ];
        for (full, preferred, want) in cases {
            assert_eq!(
                display_name(full, preferred),
                want,
                "{full:?} {preferred:?}"
            );
        }
    }
}
