//! Reception (schema 7): returning visitors, visitor sign-ins with what only this desk keeps
//! (whom they visit, approval, sign-out code, how they left), health screening answers, staff
//! on site, residents out, what a shift lead records about a resident for reception, fire roll
//! calls, and the retention purge.

use chrono::{DateTime, Utc};
use rusqlite::{named_params, Connection, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{get_opt_ts, get_ts, opt_ts, string_enum, Ts};
use crate::store::Result;

string_enum!(
    /// Whom a visitor comes to see.
    VisitingKind {
        Resident => "resident",
        Staff => "staff",
        Other => "other",
    }
);

string_enum!(
    /// Whether a sign-in waits for a staff member (a resident whose visits need approval).
    Approval {
        NotNeeded => "not_needed",
        Pending => "pending",
        Approved => "approved",
        Declined => "declined",
    }
);

string_enum!(
    /// How a visitor left.
    SignOutKind {
        Visitor => "visitor",
        Code => "code",
        Staff => "staff",
        Automatic => "automatic",
        Declined => "declined",
    }
);

// ---- returning visitors ----------------------------------------------------------------------

/// A returning visitor's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorProfile {
    pub id: String,
    pub first_name: String,
    pub surname: String,
    pub phone: String,
    pub relationship: Option<String>,
    pub car_registration: Option<String>,
    pub company: Option<String>,
    pub last_visiting_kind: Option<VisitingKind>,
    pub last_visiting_id: Option<String>,
    pub last_purpose: Option<String>,
    pub policy_version: u32,
    pub confirm_failures: u32,
    pub confirm_closed_until: Option<DateTime<Utc>>,
    pub confirm_token: Option<String>,
    pub confirm_token_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

fn visitor_from_row(r: &Row<'_>) -> rusqlite::Result<VisitorProfile> {
    Ok(VisitorProfile {
        id: r.get("id")?,
        first_name: r.get("first_name")?,
        surname: r.get("surname")?,
        phone: r.get("phone")?,
        relationship: r.get("relationship")?,
        car_registration: r.get("car_registration")?,
        company: r.get("company")?,
        last_visiting_kind: r.get("last_visiting_kind")?,
        last_visiting_id: r.get("last_visiting_id")?,
        last_purpose: r.get("last_purpose")?,
        policy_version: r.get("policy_version")?,
        confirm_failures: r.get("confirm_failures")?,
        confirm_closed_until: get_opt_ts(r, "confirm_closed_until")?,
        confirm_token: r.get("confirm_token")?,
        confirm_token_until: get_opt_ts(r, "confirm_token_until")?,
        created_at: get_ts(r, "created_at")?,
        last_seen_at: get_ts(r, "last_seen_at")?,
    })
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'`.
fn like_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// Returning visitors whose first name, surname or "first surname" starts with `typed`
/// (case ignored), most recently seen first.
pub fn find_visitors(conn: &Connection, typed: &str, limit: u32) -> Result<Vec<VisitorProfile>> {
    let prefix = format!("{}%", like_escape(typed.trim()));
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM visitors
         WHERE first_name LIKE :p ESCAPE '\\' OR surname LIKE :p ESCAPE '\\'
            OR (first_name || ' ' || surname) LIKE :p ESCAPE '\\'
         ORDER BY last_seen_at DESC, id LIMIT :limit",
    )?;
    let rows = stmt.query_map(
        named_params! {":p": prefix, ":limit": limit},
        visitor_from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get_visitor(conn: &Connection, id: &str) -> Result<Option<VisitorProfile>> {
    Ok(conn
        .query_row(
            "SELECT * FROM visitors WHERE id = ?1",
            [id],
            visitor_from_row,
        )
        .optional()?)
}

/// The profile with this name (case ignored) and phone, if there is one.
pub fn visitor_by_identity(
    conn: &Connection,
    first_name: &str,
    surname: &str,
    phone: &str,
) -> Result<Option<VisitorProfile>> {
    Ok(conn
        .query_row(
            "SELECT * FROM visitors WHERE first_name = ?1 COLLATE NOCASE
               AND surname = ?2 COLLATE NOCASE AND phone = ?3
             ORDER BY last_seen_at DESC LIMIT 1",
            [first_name, surname, phone],
            visitor_from_row,
        )
        .optional()?)
}

/// Inserts or replaces a profile whole.
pub fn upsert_visitor(tx: &Transaction<'_>, v: &VisitorProfile) -> Result<()> {
    tx.execute(
        "INSERT INTO visitors (id, first_name, surname, phone, relationship, car_registration,
                               company, last_visiting_kind, last_visiting_id, last_purpose,
                               policy_version, confirm_failures, confirm_closed_until,
                               confirm_token, confirm_token_until, created_at, last_seen_at)
         VALUES (:id, :first, :surname, :phone, :rel, :car, :company, :kind, :vid, :purpose,
                 :policy, :failures, :closed, :token, :token_until, :created, :seen)
         ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name,
             surname = excluded.surname, phone = excluded.phone,
             relationship = excluded.relationship, car_registration = excluded.car_registration,
             company = excluded.company, last_visiting_kind = excluded.last_visiting_kind,
             last_visiting_id = excluded.last_visiting_id, last_purpose = excluded.last_purpose,
             policy_version = excluded.policy_version,
             confirm_failures = excluded.confirm_failures,
             confirm_closed_until = excluded.confirm_closed_until,
             confirm_token = excluded.confirm_token,
             confirm_token_until = excluded.confirm_token_until,
             last_seen_at = excluded.last_seen_at",
        named_params! {
            ":id": v.id, ":first": v.first_name, ":surname": v.surname, ":phone": v.phone,
            ":rel": v.relationship, ":car": v.car_registration, ":company": v.company,
            ":kind": v.last_visiting_kind, ":vid": v.last_visiting_id, ":purpose": v.last_purpose,
            ":policy": v.policy_version, ":failures": v.confirm_failures,
            ":closed": opt_ts(&v.confirm_closed_until), ":token": v.confirm_token,
            ":token_until": opt_ts(&v.confirm_token_until), ":created": Ts(v.created_at),
            ":seen": Ts(v.last_seen_at),
        },
    )?;
    Ok(())
}

// ---- visitor sign-ins ------------------------------------------------------------------------

/// A visitor sign-in as this desk keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInRow {
    pub id: String,
    pub client_id: Option<String>,
    pub location_id: String,
    pub visitor_id: Option<String>,
    pub visitor_name: String,
    pub first_name: Option<String>,
    pub visiting_kind: VisitingKind,
    pub visiting_resident_id: Option<String>,
    pub visiting_staff_id: Option<String>,
    pub company: Option<String>,
    pub purpose: String,
    pub relationship: Option<String>,
    pub phone: Option<String>,
    pub car_registration: Option<String>,
    pub signed_in_at: DateTime<Utc>,
    pub signed_out_at: Option<DateTime<Utc>>,
    pub sign_out_kind: Option<SignOutKind>,
    pub signed_out_by: Option<String>,
    pub sign_out_code: Option<String>,
    pub approval: Approval,
    pub approval_by: Option<String>,
    pub approval_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

fn sign_in_from_row(r: &Row<'_>) -> rusqlite::Result<SignInRow> {
    Ok(SignInRow {
        id: r.get("id")?,
        client_id: r.get("client_id")?,
        location_id: r.get("location_id")?,
        visitor_id: r.get("visitor_id")?,
        visitor_name: r.get("visitor_name")?,
        first_name: r.get("first_name")?,
        visiting_kind: r.get("visiting_kind")?,
        visiting_resident_id: r.get("visiting_resident_id")?,
        visiting_staff_id: r.get("visiting_staff_id")?,
        company: r.get("company")?,
        purpose: r.get("purpose")?,
        relationship: r.get("relationship")?,
        phone: r.get("phone")?,
        car_registration: r.get("car_registration")?,
        signed_in_at: get_ts(r, "signed_in_at")?,
        signed_out_at: get_opt_ts(r, "signed_out_at")?,
        sign_out_kind: r.get("sign_out_kind")?,
        signed_out_by: r.get("signed_out_by")?,
        sign_out_code: r.get("sign_out_code")?,
        approval: r.get("approval")?,
        approval_by: r.get("approval_by")?,
        approval_at: get_opt_ts(r, "approval_at")?,
        reviewed_at: get_opt_ts(r, "reviewed_at")?,
        reviewed_by: r.get("reviewed_by")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

/// Saves a new sign-in (its id is the client UUID, also its `client_id`).
pub fn insert_sign_in(tx: &Transaction<'_>, s: &SignInRow) -> Result<()> {
    tx.execute(
        "INSERT INTO visitor_sign_ins (id, client_id, location_id, visitor_id, visitor_name,
             first_name, visiting_kind, visiting_resident_id, visiting_staff_id, company, purpose,
             relationship, phone, car_registration, signed_in_at, signed_out_at, sign_out_kind,
             signed_out_by, sign_out_code, approval, approval_by, approval_at, created_at,
             updated_at)
         VALUES (:id, :client_id, :location_id, :visitor_id, :name, :first, :kind, :resident,
                 :staff, :company, :purpose, :rel, :phone, :car, :in, :out, :out_kind, :out_by,
                 :code, :approval, :approval_by, :approval_at, NULL, :updated)",
        named_params! {
            ":id": s.id, ":client_id": s.client_id, ":location_id": s.location_id,
            ":visitor_id": s.visitor_id, ":name": s.visitor_name, ":first": s.first_name,
            ":kind": s.visiting_kind, ":resident": s.visiting_resident_id,
            ":staff": s.visiting_staff_id, ":company": s.company, ":purpose": s.purpose,
            ":rel": s.relationship, ":phone": s.phone, ":car": s.car_registration,
            ":in": Ts(s.signed_in_at), ":out": opt_ts(&s.signed_out_at),
            ":out_kind": s.sign_out_kind, ":out_by": s.signed_out_by, ":code": s.sign_out_code,
            ":approval": s.approval, ":approval_by": s.approval_by,
            ":approval_at": opt_ts(&s.approval_at), ":updated": Ts(s.updated_at),
        },
    )?;
    Ok(())
}

/// A sign-in by its id now or the id it had when it was made here (a kiosk may hold either).
pub fn get_sign_in(conn: &Connection, id: &str) -> Result<Option<SignInRow>> {
    Ok(conn
        .query_row(
            "SELECT * FROM visitor_sign_ins WHERE (id = ?1 OR client_id = ?1)
               AND deleted_at IS NULL",
            [id],
            sign_in_from_row,
        )
        .optional()?)
}

/// Visitors in the building now (not signed out; waiting for approval included), at
/// `location` or everywhere, by sign-in time.
pub fn sign_ins_on_site(conn: &Connection, location: Option<&str>) -> Result<Vec<SignInRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM visitor_sign_ins
         WHERE signed_out_at IS NULL AND deleted_at IS NULL
           AND (:loc IS NULL OR location_id = :loc)
         ORDER BY signed_in_at, id",
    )?;
    let rows = stmt.query_map(named_params! {":loc": location}, sign_in_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The visitor on site with sign-out code `code`.
pub fn on_site_with_code(conn: &Connection, code: &str) -> Result<Option<SignInRow>> {
    Ok(conn
        .query_row(
            "SELECT * FROM visitor_sign_ins WHERE sign_out_code = ?1 AND signed_out_at IS NULL
               AND deleted_at IS NULL",
            [code],
            sign_in_from_row,
        )
        .optional()?)
}

/// Whether sign-out code `code` is in use by a visitor on site.
pub fn code_in_use(conn: &Connection, code: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM visitor_sign_ins
                        WHERE sign_out_code = ?1 AND signed_out_at IS NULL)",
        [code],
        |r| r.get(0),
    )?)
}

/// Signs a visitor out (once); false when they already were.
pub fn sign_out(
    tx: &Transaction<'_>,
    id: &str,
    at: DateTime<Utc>,
    kind: SignOutKind,
    by: Option<&str>,
) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE visitor_sign_ins SET signed_out_at = max(:at, signed_in_at), sign_out_kind = :kind,
             signed_out_by = :by, updated_at = :at
         WHERE id = :id AND signed_out_at IS NULL",
        named_params! {":id": id, ":at": Ts(at), ":kind": kind, ":by": by},
    )? > 0)
}

/// Records a staff member's answer to a sign-in waiting for approval (with its sign-out code
/// when approved).
pub fn set_approval(
    tx: &Transaction<'_>,
    id: &str,
    approval: Approval,
    by: &str,
    at: DateTime<Utc>,
    code: Option<&str>,
) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE visitor_sign_ins SET approval = :approval, approval_by = :by, approval_at = :at,
             sign_out_code = coalesce(:code, sign_out_code), updated_at = :at
         WHERE id = :id AND approval = 'pending'",
        named_params! {":id": id, ":approval": approval, ":by": by, ":at": Ts(at), ":code": code},
    )? > 0)
}

/// Sign-ins waiting for a staff member's approval, oldest first.
pub fn pending_approvals(conn: &Connection) -> Result<Vec<SignInRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM visitor_sign_ins WHERE approval = 'pending' AND signed_out_at IS NULL
           AND deleted_at IS NULL ORDER BY signed_in_at, id",
    )?;
    let rows = stmt.query_map([], sign_in_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What the visitor history is filtered by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Found anywhere in the name, company, purpose or car registration (case ignored).
    pub text: Option<String>,
    /// Signed in at or after.
    pub from: Option<DateTime<Utc>>,
    /// Signed in before.
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
    pub offset: u32,
}

/// Sign-ins matching `f`, newest first.
pub fn sign_in_history(conn: &Connection, f: &HistoryFilter) -> Result<Vec<SignInRow>> {
    let text = f
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| format!("%{}%", like_escape(t)));
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM visitor_sign_ins
         WHERE deleted_at IS NULL
           AND (:from IS NULL OR signed_in_at >= :from)
           AND (:to IS NULL OR signed_in_at < :to)
           AND (:text IS NULL OR visitor_name LIKE :text ESCAPE '\\'
                OR coalesce(company, '') LIKE :text ESCAPE '\\'
                OR purpose LIKE :text ESCAPE '\\'
                OR coalesce(car_registration, '') LIKE :text ESCAPE '\\')
         ORDER BY signed_in_at DESC, id LIMIT :limit OFFSET :offset",
    )?;
    let rows = stmt.query_map(
        named_params! {
            ":from": opt_ts(&f.from), ":to": opt_ts(&f.to), ":text": text,
            ":limit": f.limit, ":offset": f.offset,
        },
        sign_in_from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Visitors still on site who signed in before `cutoff` (the automatic sign-out).
pub fn due_for_automatic_sign_out(
    conn: &Connection,
    cutoff: DateTime<Utc>,
) -> Result<Vec<SignInRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM visitor_sign_ins WHERE signed_out_at IS NULL AND deleted_at IS NULL
           AND signed_in_at < ?1 ORDER BY signed_in_at, id",
    )?;
    let rows = stmt.query_map([Ts(cutoff)], sign_in_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Automatic sign-outs no staff member has looked at yet, oldest first.
pub fn unreviewed_automatic_sign_outs(conn: &Connection) -> Result<Vec<SignInRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM visitor_sign_ins WHERE sign_out_kind = 'automatic' AND reviewed_at IS NULL
           AND deleted_at IS NULL ORDER BY signed_out_at, signed_in_at, id",
    )?;
    let rows = stmt.query_map([], sign_in_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A staff member has looked at the automatic sign-outs: they leave the morning list.
pub fn mark_automatic_reviewed(tx: &Transaction<'_>, by: &str, at: DateTime<Utc>) -> Result<usize> {
    Ok(tx.execute(
        "UPDATE visitor_sign_ins SET reviewed_at = ?2, reviewed_by = ?1
         WHERE sign_out_kind = 'automatic' AND reviewed_at IS NULL",
        rusqlite::params![by, Ts(at)],
    )?)
}

// ---- screening -------------------------------------------------------------------------------

/// Keeps a visitor's screening answers (`answers`: JSON), with their sign-in if they were
/// signed in.
pub fn insert_screening(
    tx: &Transaction<'_>,
    sign_in_id: Option<&str>,
    visitor_label: &str,
    at: DateTime<Utc>,
    answers: &serde_json::Value,
    passed: bool,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO screening_answers (sign_in_id, visitor_label, answered_at, answers, passed)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![
            sign_in_id,
            visitor_label,
            Ts(at),
            answers.to_string(),
            passed
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// How many screening answers are kept.
pub fn count_screening(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("SELECT count(*) FROM screening_answers", [], |r| r.get(0))?)
}

// ---- staff on site ---------------------------------------------------------------------------

/// A staff member in the building.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffOnSite {
    pub staff_id: String,
    pub full_name: String,
    pub preferred_name: Option<String>,
    pub role: Option<String>,
    pub signed_in_at: DateTime<Utc>,
}

/// Staff signed in and not out, by name.
pub fn staff_on_site(conn: &Connection) -> Result<Vec<StaffOnSite>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.staff_id, p.signed_in_at, s.full_name, s.preferred_name, s.role
         FROM staff_presence p LEFT JOIN staff s ON s.id = p.staff_id
         WHERE p.signed_out_at IS NULL
         ORDER BY coalesce(s.full_name, p.staff_id) COLLATE NOCASE, p.staff_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(StaffOnSite {
            staff_id: r.get("staff_id")?,
            full_name: r
                .get::<_, Option<String>>("full_name")?
                .unwrap_or_else(|| "A former staff member".into()),
            preferred_name: r.get("preferred_name")?,
            role: r.get("role")?,
            signed_in_at: get_ts(r, "signed_in_at")?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When staff member `staff_id` signed in, if they are on site.
pub fn staff_signed_in_at(conn: &Connection, staff_id: &str) -> Result<Option<DateTime<Utc>>> {
    Ok(conn
        .query_row(
            "SELECT signed_in_at FROM staff_presence WHERE staff_id = ?1 AND signed_out_at IS NULL",
            [staff_id],
            |r| r.get::<_, Ts>(0),
        )
        .optional()?
        .map(|t| t.0))
}

pub fn staff_sign_in(tx: &Transaction<'_>, staff_id: &str, at: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "INSERT INTO staff_presence (staff_id, signed_in_at) VALUES (?1, ?2)",
        rusqlite::params![staff_id, Ts(at)],
    )?;
    Ok(())
}

/// Signs a staff member out (`by`: themselves or the receptionist); false if they were not in.
pub fn staff_sign_out(
    tx: &Transaction<'_>,
    staff_id: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE staff_presence SET signed_out_at = max(?2, signed_in_at), signed_out_by = ?3
         WHERE staff_id = ?1 AND signed_out_at IS NULL",
        rusqlite::params![staff_id, Ts(at), by],
    )? > 0)
}

// ---- residents out ---------------------------------------------------------------------------

/// A resident out of the building.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outing {
    pub id: String,
    pub resident_id: String,
    pub with_whom: String,
    pub out_at: DateTime<Utc>,
    pub out_by: String,
}

fn outing_from_row(r: &Row<'_>) -> rusqlite::Result<Outing> {
    Ok(Outing {
        id: r.get("id")?,
        resident_id: r.get("resident_id")?,
        with_whom: r.get("with_whom")?,
        out_at: get_ts(r, "out_at")?,
        out_by: r.get("out_by")?,
    })
}

pub fn resident_goes_out(tx: &Transaction<'_>, o: &Outing) -> Result<()> {
    tx.execute(
        "INSERT INTO resident_outings (id, resident_id, with_whom, out_at, out_by)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![o.id, o.resident_id, o.with_whom, Ts(o.out_at), o.out_by],
    )?;
    Ok(())
}

/// The resident is back; false when they were not out.
pub fn resident_back(
    tx: &Transaction<'_>,
    resident_id: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE resident_outings SET back_at = max(?2, out_at), back_by = ?3
         WHERE resident_id = ?1 AND back_at IS NULL",
        rusqlite::params![resident_id, Ts(at), by],
    )? > 0)
}

/// The resident's outing now, if they are out.
pub fn outing_of(conn: &Connection, resident_id: &str) -> Result<Option<Outing>> {
    Ok(conn
        .query_row(
            "SELECT * FROM resident_outings WHERE resident_id = ?1 AND back_at IS NULL",
            [resident_id],
            outing_from_row,
        )
        .optional()?)
}

/// Every resident out now, by time out.
pub fn outings_now(conn: &Connection) -> Result<Vec<Outing>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM resident_outings WHERE back_at IS NULL ORDER BY out_at, id",
    )?;
    let rows = stmt.query_map([], outing_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- what a shift lead records about a resident ----------------------------------------------

/// Reception's notes about a resident (set by a shift lead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ResidentReception {
    pub resident_id: String,
    /// Visits need a staff member's approval at the kiosk (no reason is kept or shown).
    pub visits_need_approval: bool,
    /// Personal evacuation notes, shown on the fire roll call.
    pub evacuation_notes: Option<String>,
    /// Who changed it last: stored as their staff id; the desk's answers give their name.
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub fn resident_reception(conn: &Connection, resident_id: &str) -> Result<ResidentReception> {
    Ok(conn
        .query_row(
            "SELECT * FROM resident_reception WHERE resident_id = ?1",
            [resident_id],
            |r| {
                Ok(ResidentReception {
                    resident_id: r.get("resident_id")?,
                    visits_need_approval: r.get("visits_need_approval")?,
                    evacuation_notes: r.get("evacuation_notes")?,
                    updated_by: r.get("updated_by")?,
                    updated_at: get_opt_ts(r, "updated_at")?,
                })
            },
        )
        .optional()?
        .unwrap_or(ResidentReception {
            resident_id: resident_id.to_owned(),
            visits_need_approval: false,
            evacuation_notes: None,
            updated_by: None,
            updated_at: None,
        }))
}

pub fn set_resident_reception(
    tx: &Transaction<'_>,
    resident_id: &str,
    visits_need_approval: bool,
    evacuation_notes: Option<&str>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO resident_reception (resident_id, visits_need_approval, evacuation_notes,
                                         updated_by, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (resident_id) DO UPDATE SET
             visits_need_approval = excluded.visits_need_approval,
             evacuation_notes = excluded.evacuation_notes, updated_by = excluded.updated_by,
             updated_at = excluded.updated_at",
        rusqlite::params![
            resident_id,
            visits_need_approval,
            evacuation_notes,
            by,
            Ts(at)
        ],
    )?;
    Ok(())
}

/// A current resident as the roll call lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollCallResident {
    pub id: String,
    pub full_name: String,
    pub preferred_name: Option<String>,
    pub room_number: Option<String>,
    pub evacuation_notes: Option<String>,
}

/// Current residents of `location` (or every home), by room then name.
pub fn current_residents(
    conn: &Connection,
    location: Option<&str>,
) -> Result<Vec<RollCallResident>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.full_name, r.preferred_name, r.room_number, x.evacuation_notes
         FROM residents r LEFT JOIN resident_reception x ON x.resident_id = r.id
         WHERE r.deleted_at IS NULL AND r.status = 'current'
           AND (:loc IS NULL OR r.location_id = :loc)
         ORDER BY length(coalesce(r.room_number, '')), r.room_number, r.full_name COLLATE NOCASE",
    )?;
    let rows = stmt.query_map(named_params! {":loc": location}, |r| {
        Ok(RollCallResident {
            id: r.get(0)?,
            full_name: r.get(1)?,
            preferred_name: r.get(2)?,
            room_number: r.get(3)?,
            evacuation_notes: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- fire roll calls -------------------------------------------------------------------------

/// A stored roll call: its snapshot (JSON) and who started it.
#[derive(Debug, Clone, PartialEq)]
pub struct RollCallRow {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub started_by: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub snapshot: serde_json::Value,
}

fn roll_call_from_row(r: &Row<'_>) -> rusqlite::Result<RollCallRow> {
    let snapshot: String = r.get("snapshot")?;
    Ok(RollCallRow {
        id: r.get("id")?,
        started_at: get_ts(r, "started_at")?,
        started_by: r.get("started_by")?,
        ended_at: get_opt_ts(r, "ended_at")?,
        snapshot: serde_json::from_str(&snapshot).unwrap_or(serde_json::Value::Null),
    })
}

pub fn insert_roll_call(tx: &Transaction<'_>, rc: &RollCallRow) -> Result<()> {
    tx.execute(
        "INSERT INTO roll_calls (id, started_at, started_by, snapshot) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![
            rc.id,
            Ts(rc.started_at),
            rc.started_by,
            rc.snapshot.to_string()
        ],
    )?;
    Ok(())
}

pub fn get_roll_call(conn: &Connection, id: &str) -> Result<Option<RollCallRow>> {
    Ok(conn
        .query_row(
            "SELECT * FROM roll_calls WHERE id = ?1",
            [id],
            roll_call_from_row,
        )
        .optional()?)
}

/// The newest roll call not yet ended.
pub fn open_roll_call(conn: &Connection) -> Result<Option<RollCallRow>> {
    Ok(conn
        .query_row(
            "SELECT * FROM roll_calls WHERE ended_at IS NULL ORDER BY started_at DESC LIMIT 1",
            [],
            roll_call_from_row,
        )
        .optional()?)
}

pub fn end_roll_call(tx: &Transaction<'_>, id: &str, at: DateTime<Utc>, by: &str) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE roll_calls SET ended_at = ?2, ended_by = ?3 WHERE id = ?1 AND ended_at IS NULL",
        rusqlite::params![id, Ts(at), by],
    )? > 0)
}

/// A marshal accounted for a person (once; again changes nothing).
pub fn tick(
    tx: &Transaction<'_>,
    roll_call: &str,
    person: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO roll_call_ticks (roll_call_id, person_key, ticked_at, ticked_by)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        rusqlite::params![roll_call, person, Ts(at), by],
    )?;
    Ok(())
}

pub fn untick(tx: &Transaction<'_>, roll_call: &str, person: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM roll_call_ticks WHERE roll_call_id = ?1 AND person_key = ?2",
        [roll_call, person],
    )?;
    Ok(())
}

/// The people ticked on a roll call: (person key, when).
pub fn ticks(conn: &Connection, roll_call: &str) -> Result<Vec<(String, DateTime<Utc>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT person_key, ticked_at FROM roll_call_ticks WHERE roll_call_id = ?1",
    )?;
    let rows = stmt.query_map([roll_call], |r| Ok((r.get(0)?, r.get::<_, Ts>(1)?.0)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- retention -------------------------------------------------------------------------------

/// What a purge deleted, by kind (counts only: never names).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Purged {
    pub sign_ins: u32,
    pub visitors: u32,
    pub screening_answers: u32,
    pub staff_movements: u32,
    pub resident_outings: u32,
    pub roll_calls: u32,
    pub notices: u32,
}

impl Purged {
    pub fn total(&self) -> u32 {
        self.sign_ins
            + self.visitors
            + self.screening_answers
            + self.staff_movements
            + self.resident_outings
            + self.roll_calls
            + self.notices
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Deletes visitor records (sign-ins that ended, profiles, staff movements, outings, roll
/// calls, reception notices) from before `records_before`, and screening answers from before
/// `screening_before`. A sign-in with a write still waiting for CareLoop is kept until it is
/// sent.
pub fn purge(
    tx: &Transaction<'_>,
    records_before: DateTime<Utc>,
    screening_before: DateTime<Utc>,
) -> Result<Purged> {
    let r = Ts(records_before);
    let s = Ts(screening_before);
    let screening_answers =
        count(tx.execute("DELETE FROM screening_answers WHERE answered_at < ?1", [s])?);
    let sign_ins = count(tx.execute(
        "DELETE FROM visitor_sign_ins
         WHERE signed_in_at < ?1 AND (signed_out_at IS NOT NULL OR deleted_at IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.entity = 'visitor_sign_in'
                           AND o.entity_id = visitor_sign_ins.id)",
        [r],
    )?);
    let visitors = count(tx.execute(
        "DELETE FROM visitors WHERE last_seen_at < ?1
           AND NOT EXISTS (SELECT 1 FROM visitor_sign_ins v WHERE v.visitor_id = visitors.id)",
        [r],
    )?);
    let staff_movements = count(tx.execute(
        "DELETE FROM staff_presence WHERE signed_out_at IS NOT NULL AND signed_in_at < ?1",
        [r],
    )?);
    let resident_outings = count(tx.execute(
        "DELETE FROM resident_outings WHERE back_at IS NOT NULL AND out_at < ?1",
        [r],
    )?);
    let roll_calls = count(tx.execute("DELETE FROM roll_calls WHERE started_at < ?1", [r])?);
    let notices = count(tx.execute(
        "DELETE FROM alerts WHERE kind LIKE 'reception.%' AND raised_at < ?1",
        [r],
    )?);
    Ok(Purged {
        sign_ins,
        visitors,
        screening_answers,
        staff_movements,
        resident_outings,
        roll_calls,
        notices,
    })
}

/// CareLoop acknowledged a sign-in or its sign-out: its times are kept. Nothing else of the
/// row is replaced (what reception keeps beside CareLoop's fields stays, and a sign-out made
/// here is never undone by an answer).
pub fn acknowledged_sign_in(
    tx: &Transaction<'_>,
    id: &str,
    created_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE visitor_sign_ins SET created_at = coalesce(?2, created_at), updated_at = ?3
         WHERE id = ?1",
        rusqlite::params![id, opt_ts(&created_at), Ts(updated_at)],
    )?;
    Ok(())
}
