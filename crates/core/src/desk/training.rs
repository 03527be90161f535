//! The training matrix for managers (issue 14): who is expired or due, the rules of which
//! courses each role must hold, a staff member's training page, whether a shift lead may lead
//! the next shift, and renewals recorded here (saved at once with their outbox entry, pushed
//! to `POST /v1/staff/{id}/certifications`). Everything is read from this desk's file, on the
//! desk's clock and the home's calendar, so it works offline.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::clock;
use crate::ipc::{Code, CommandError};
use crate::outbox::{self, CertificationCreate};
use crate::store::repo::people::StaffRole;
use crate::store::repo::training::{self as repo_training, Certification};
use crate::store::repo::{self};
use crate::training::{
    self as model, CellStatus, HeldCertification, MatrixCell, MatrixFilter, MayLead,
    TrainingMatrix, TrainingRules,
};

use super::Desk;

/// The longest certificate reference kept (CareLoop's limit).
pub const MAX_CERTIFICATE_NUMBER: usize = 100;

/// The longest renewal period a manager may set, in months (ten years).
pub const MAX_RENEWAL_MONTHS: u32 = 120;

/// The rules as a manager saves them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SaveTrainingRules {
    /// The courses each role must hold (a role left out requires nothing).
    pub roles: Vec<model::RoleRequirement>,
    /// Renewal periods in months, per course (a course left out keeps its default).
    pub renewals: Vec<RenewalPeriod>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RenewalPeriod {
    pub course_id: String,
    pub months: u32,
}

/// A renewal or a new certification, as the form sends it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RecordCertification {
    pub staff_id: String,
    pub course_id: String,
    /// The date the course was completed, `YYYY-MM-DD`.
    pub completed_on: String,
    /// The expiry, `YYYY-MM-DD`; empty: the completion date plus the course's renewal period.
    #[serde(default)]
    #[ts(optional)]
    pub expires_on: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub certificate_number: Option<String>,
}

/// A course on a staff member's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StaffCourse {
    pub course_id: String,
    pub course_name: String,
    pub renewal_months: u32,
    pub cell: MatrixCell,
}

/// One certification in a staff member's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HistoryEntry {
    pub certification_id: String,
    pub course_id: String,
    pub course_name: String,
    pub issued_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub certificate_number: Option<String>,
    /// The certification in force for its course (else an older one this desk still holds).
    pub current: bool,
    pub pending: bool,
}

/// A staff member's training page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StaffTraining {
    pub staff_id: String,
    pub name: String,
    pub role: StaffRole,
    pub location_name: Option<String>,
    pub today: NaiveDate,
    /// Every course of the catalogue: required ones first, then by name.
    pub courses: Vec<StaffCourse>,
    pub history: Vec<HistoryEntry>,
    /// For a member of the shift lead role.
    pub may_lead: Option<MayLead>,
}

/// A renewal form's answer: the cell as it now is (pending until CareLoop has it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RecordedCertification {
    pub certification_id: String,
    pub expires_on: Option<NaiveDate>,
    pub cell: MatrixCell,
}

/// The home's calendar now: (today, the date 24 hours from now, the zone's name).
fn calendar(
    c: &rusqlite::Connection,
    now: DateTime<Utc>,
) -> crate::store::Result<(NaiveDate, NaiveDate, chrono_tz::Tz)> {
    let zone = repo::settings::home_zone(c)?;
    Ok((
        clock::date_in(zone, now),
        clock::date_in(zone, now + TimeDelta::hours(24)),
        zone,
    ))
}

fn field(name: &str, message: impl Into<String>) -> (String, String) {
    (name.to_owned(), message.into())
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

impl Desk {
    /// The training matrix as filtered, counted on today's date in the home's time zone.
    pub async fn training_matrix(
        &self,
        filter: MatrixFilter,
    ) -> Result<TrainingMatrix, CommandError> {
        let now = self.clock.now();
        let filter = clean_filter(filter)?;
        self.read(move |c| {
            let (today, _, zone) = calendar(c, now)?;
            let data = repo_training::matrix_data(c)?;
            Ok(model::build_matrix(&data, &filter, today, zone.name(), now))
        })
        .await
    }

    /// The rules in force (a manager's, else the default set) and each course's renewal period.
    pub async fn training_rules(&self) -> Result<TrainingRules, CommandError> {
        self.read(|c| {
            Ok(TrainingRules::resolve(
                &repo_training::list_courses(c)?,
                &repo_training::saved_rules(c)?,
            ))
        })
        .await
    }

    /// Saves which courses each role must hold and the renewal periods (checked whole: a
    /// period of zero, or an unknown course, changes nothing).
    pub async fn save_training_rules(
        &self,
        rules: SaveTrainingRules,
    ) -> Result<TrainingRules, CommandError> {
        let actor = self.actor().await?;
        self.save(move |tx| {
            let courses = repo_training::list_courses(tx)?;
            let known = |id: &str| courses.iter().any(|c| c.id == id);
            let mut errors = Vec::new();
            let mut renewals = Vec::new();
            for r in &rules.renewals {
                let key = format!("months.{}", r.course_id);
                if !known(&r.course_id) {
                    errors.push(field(&key, "This course is not in the catalogue"));
                } else if r.months == 0 {
                    errors.push(field(&key, "Enter a renewal period of at least 1 month"));
                } else if r.months > MAX_RENEWAL_MONTHS {
                    errors.push(field(
                        &key,
                        format!("Enter a renewal period of at most {MAX_RENEWAL_MONTHS} months"),
                    ));
                } else {
                    renewals.push((r.course_id.clone(), r.months));
                }
            }
            let mut requirements = Vec::new();
            for role in &rules.roles {
                for id in &role.course_ids {
                    if known(id) {
                        requirements.push((role.role, id.clone()));
                    } else {
                        errors.push(field(
                            &format!("courses.{}", role.role),
                            "A course chosen is not in the catalogue",
                        ));
                    }
                }
            }
            if !errors.is_empty() {
                return Err(CommandError::invalid_fields(
                    "Check the training rules",
                    errors,
                ));
            }
            repo_training::save_rules(tx, &requirements, &renewals, Some(&actor))?;
            repo::audit::audit(
                tx,
                &actor,
                "training.rules",
                None,
                Some(&json!({"requirements": requirements.len(), "renewals": renewals.len()})),
            )?;
            Ok(TrainingRules::resolve(
                &courses,
                &repo_training::saved_rules(tx)?,
            ))
        })
        .await
    }

    /// A staff member's training page: every course with its status, their certifications as
    /// far as this desk holds them, and, for a shift lead, whether they may lead.
    pub async fn staff_training(&self, staff_id: String) -> Result<StaffTraining, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            let Some(staff) = repo_training::matrix_staff(c, &staff_id)? else {
                return Ok(None);
            };
            let (today, shift_ends, _) = calendar(c, now)?;
            let courses = repo_training::list_courses(c)?;
            let rules = TrainingRules::resolve(&courses, &repo_training::saved_rules(c)?);
            let held = repo_training::held_by_staff(c, &staff_id)?;
            Ok(Some(staff_page(
                staff, &rules, &courses, &held, today, shift_ends,
            )))
        })
        .await?
        .ok_or_else(|| {
            CommandError::new(Code::NotFound, "This member of staff is not on this desk.")
        })
    }

    /// Whether each member of the shift lead role (of one home, or all) may lead the next
    /// shift: every course the role requires in date today and for the next 24 hours.
    pub async fn may_lead_list(
        &self,
        location_id: Option<String>,
    ) -> Result<Vec<MayLead>, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            let (today, shift_ends, _) = calendar(c, now)?;
            let data = repo_training::matrix_data(c)?;
            Ok(model::may_lead_list(
                &data,
                location_id.as_deref().filter(|l| !l.trim().is_empty()),
                today,
                shift_ends,
            ))
        })
        .await
    }

    /// Records a renewal or a new certification: checked as CareLoop would (errors per
    /// field), saved here at once with its outbox entry in one transaction, pushed when it can
    /// be. The cell shows it pending until CareLoop has it.
    pub async fn record_certification(
        &self,
        form: RecordCertification,
    ) -> Result<RecordedCertification, CommandError> {
        let now = self.clock.now();
        let actor = self.actor().await?;
        self.save(move |tx| {
            let (today, _, _) = calendar(tx, now)?;
            let courses = repo_training::list_courses(tx)?;
            let rules = TrainingRules::resolve(&courses, &repo_training::saved_rules(tx)?);
            let checked = check_record(tx, &form, &courses, &rules, today)?;
            let client_id = uuid::Uuid::new_v4().to_string();
            let cert = Certification {
                id: client_id.clone(),
                staff_id: checked.staff_id.clone(),
                course_id: checked.course_id.clone(),
                course_name: Some(checked.course_name.clone()),
                issued_on: checked.completed_on,
                expires_on: Some(checked.expires_on),
                status: None,
                certificate_number: checked.certificate_number.clone(),
                created_at: Some(now),
                updated_at: now,
            };
            repo_training::insert_local_certification(tx, &cert)?;
            outbox::enqueue_create(
                tx,
                &CertificationCreate,
                &client_id,
                CertificationCreate::payload(&cert),
            )?;
            repo::audit::audit(
                tx,
                &actor,
                "certification.record",
                Some(("certification", &client_id)),
                Some(&json!({
                    "staff_id": cert.staff_id, "course_id": cert.course_id,
                    "issued_on": cert.issued_on, "expires_on": cert.expires_on,
                })),
            )?;
            let staff = repo_training::matrix_staff(tx, &cert.staff_id)?;
            let required =
                staff.is_some_and(|s| rules.required(s.role).iter().any(|c| c == &cert.course_id));
            let held = HeldCertification {
                id: client_id.clone(),
                staff_id: cert.staff_id.clone(),
                course_id: cert.course_id.clone(),
                issued_on: cert.issued_on,
                expires_on: cert.expires_on,
                certificate_number: cert.certificate_number.clone(),
                pending: true,
            };
            Ok(RecordedCertification {
                certification_id: client_id,
                expires_on: cert.expires_on,
                cell: model::cell(&cert.course_id, required, Some(&held), today),
            })
        })
        .await
    }
}

/// A renewal form, checked.
struct CheckedRecord {
    staff_id: String,
    course_id: String,
    course_name: String,
    completed_on: NaiveDate,
    expires_on: NaiveDate,
    certificate_number: Option<String>,
}

/// Checks a renewal form field by field; every problem is answered beside its field.
fn check_record(
    c: &rusqlite::Connection,
    form: &RecordCertification,
    courses: &[repo::training::Course],
    rules: &TrainingRules,
    today: NaiveDate,
) -> Result<CheckedRecord, CommandError> {
    let mut errors = Vec::new();
    let staff_id = form.staff_id.trim().to_owned();
    if staff_id.is_empty() {
        errors.push(field("staff_id", "Choose the member of staff"));
    } else if repo_training::matrix_staff(c, &staff_id)?.is_none() {
        errors.push(field(
            "staff_id",
            "This member of staff is not on this desk",
        ));
    }
    let course_id = form.course_id.trim().to_owned();
    let course = courses.iter().find(|c| c.id == course_id);
    if course_id.is_empty() {
        errors.push(field("course_id", "Choose the course"));
    } else if course.is_none() {
        errors.push(field("course_id", "This course is not in the catalogue"));
    }
    let completed_on = if form.completed_on.trim().is_empty() {
        errors.push(field(
            "completed_on",
            "Enter the date the course was completed",
        ));
        None
    } else {
        match parse_day(&form.completed_on) {
            None => {
                errors.push(field(
                    "completed_on",
                    "Enter the date completed as a real date, for example 2026-03-27",
                ));
                None
            }
            Some(d) if d > today => {
                errors.push(field(
                    "completed_on",
                    format!(
                        "The date completed must be today ({}) or earlier",
                        clock::day_words(today, today)
                    ),
                ));
                None
            }
            Some(d) => Some(d),
        }
    };
    let typed_expiry = form
        .expires_on
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let expires_on = match typed_expiry {
        Some(text) => match parse_day(text) {
            None => {
                errors.push(field(
                    "expires_on",
                    "Enter the expiry date as a real date, for example 2027-03-27",
                ));
                None
            }
            Some(e) if completed_on.is_some_and(|d| e <= d) => {
                errors.push(field(
                    "expires_on",
                    "The expiry date must be after the date completed",
                ));
                None
            }
            Some(e) => Some(e),
        },
        None => match (course, completed_on) {
            (Some(course), Some(d)) => match rules.expiry_for(&course.id, d) {
                Some(e) if e > d => Some(e),
                _ => {
                    errors.push(field(
                        "expires_on",
                        "Enter the expiry date: the course has no renewal period",
                    ));
                    None
                }
            },
            _ => None,
        },
    };
    let certificate_number = form
        .certificate_number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if certificate_number
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_CERTIFICATE_NUMBER)
    {
        errors.push(field(
            "certificate_number",
            format!("Enter a certificate reference of at most {MAX_CERTIFICATE_NUMBER} characters"),
        ));
    }
    match (errors.is_empty(), course, completed_on, expires_on) {
        (true, Some(course), Some(completed_on), Some(expires_on)) => Ok(CheckedRecord {
            staff_id,
            course_id,
            course_name: course.name.clone(),
            completed_on,
            expires_on,
            certificate_number,
        }),
        _ => Err(CommandError::invalid_fields(
            "Check the certification",
            errors,
        )),
    }
}

/// Trims the filter's text and refuses a window other than 30, 60 or 90 days.
fn clean_filter(mut f: MatrixFilter) -> Result<MatrixFilter, CommandError> {
    let clean = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    f.location_id = clean(f.location_id);
    f.course_id = clean(f.course_id);
    if let Some(w) = f.window_days {
        if ![30, 60, 90].contains(&w) {
            return Err(CommandError::invalid_fields(
                "Check the filters",
                [field("window_days", "Choose 30, 60 or 90 days")],
            ));
        }
    }
    Ok(f)
}

fn staff_page(
    staff: model::MatrixStaff,
    rules: &TrainingRules,
    courses: &[repo::training::Course],
    held: &[HeldCertification],
    today: NaiveDate,
    shift_ends: NaiveDate,
) -> StaffTraining {
    let latest = model::latest_by_person_and_course(held);
    let required = rules.required(staff.role);
    let mut list: Vec<StaffCourse> = courses
        .iter()
        .map(|c| StaffCourse {
            course_id: c.id.clone(),
            course_name: c.name.clone(),
            renewal_months: rules.renewal_months(&c.id).unwrap_or(12),
            cell: model::cell(
                &c.id,
                required.contains(&c.id),
                latest.get(&(staff.id.as_str(), c.id.as_str())).copied(),
                today,
            ),
        })
        .collect();
    list.sort_by(|a, b| {
        (!a.cell.required, a.course_name.to_lowercase())
            .cmp(&(!b.cell.required, b.course_name.to_lowercase()))
    });
    let name_of = |id: &str| {
        courses
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| id.to_owned(), |c| c.name.clone())
    };
    let history = held
        .iter()
        .map(|h| HistoryEntry {
            certification_id: h.id.clone(),
            course_id: h.course_id.clone(),
            course_name: name_of(&h.course_id),
            issued_on: h.issued_on,
            expires_on: h.expires_on,
            certificate_number: h.certificate_number.clone(),
            current: latest
                .get(&(h.staff_id.as_str(), h.course_id.as_str()))
                .is_some_and(|l| l.id == h.id),
            pending: h.pending,
        })
        .collect();
    let may_lead = (staff.role == model::SHIFT_LEAD_ROLE)
        .then(|| model::may_lead(&staff, rules, courses, &latest, today, shift_ends));
    StaffTraining {
        staff_id: staff.id,
        name: staff.name,
        role: staff.role,
        location_name: staff.location_name,
        today,
        courses: list,
        history,
        may_lead,
    }
}

/// A cell in words for the CSV and the PDF: "Expired 3 Mar 2026", "Due today", "Never held".
pub fn cell_words(cell: &MatrixCell) -> String {
    let day = cell.expires_on.map(|e| e.format("%-d %b %Y").to_string());
    let mut words = match (cell.status, day) {
        (CellStatus::NeverHeld, _) => "Never held".to_owned(),
        (CellStatus::NotRequired, None) => "Not required".to_owned(),
        (CellStatus::NotRequired, Some(d)) => format!("Not required (expires {d})"),
        (CellStatus::Expired, Some(d)) => format!("Expired {d}"),
        (CellStatus::Valid, None) => "Valid (no expiry)".to_owned(),
        (status, Some(d)) => format!("{} {d}", status.words()),
        (status, None) => status.words().to_owned(),
    };
    if cell.pending {
        words.push_str(" (pending)");
    }
    words
}

// ---- notices ---------------------------------------------------------------------------------

/// The setting holding the home date the desk last looked for certifications entering the
/// 30-day window or expiring.
const NOTICES_CHECKED_ON: &str = "training_notices_checked_on";

/// How long a notice is listed.
const NOTICE_DAYS: i64 = 30;

/// A training notice for managers: a certification entering the 30-day window or expiring,
/// from CareLoop's webhook or raised by this desk (one notice however it was reported).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TrainingNotice {
    pub staff_id: String,
    pub name: String,
    pub course_id: String,
    pub course_name: String,
    /// `expiring` or `expired`.
    pub kind: String,
    pub expires_on: Option<NaiveDate>,
    /// "Fire safety expires on Tue 3 Mar — Maggie Wilson".
    pub title: String,
    pub at: DateTime<Utc>,
    /// Raised by this desk on its own clock (else by CareLoop).
    pub by_desk: bool,
}

impl Desk {
    /// Looks, on the desk's clock and the home's calendar, for certifications (required ones,
    /// the current certificate of each course) that entered the 30-day window or expired since
    /// the last look, and raises a notice for each, once. The first look only notes the day.
    /// Returns how many notices were raised.
    pub async fn check_training_notices(&self) -> Result<u32, CommandError> {
        let now = self.clock.now();
        // Most looks fall on the day already looked at: read first, so that they write nothing
        // (and ask the sync engine for no push).
        let looked_today = self
            .read(move |c| {
                let (today, _, _) = calendar(c, now)?;
                let last = repo::settings::get_setting(c, NOTICES_CHECKED_ON)?;
                Ok(last.as_deref().and_then(parse_day) == Some(today))
            })
            .await?;
        if looked_today {
            return Ok(0);
        }
        self.save(move |tx| {
            let (today, _, _) = calendar(tx, now)?;
            let last = repo::settings::get_setting(tx, NOTICES_CHECKED_ON)?
                .as_deref()
                .and_then(parse_day);
            repo::settings::set_setting(tx, NOTICES_CHECKED_ON, &today.to_string())?;
            let Some(last) = last.filter(|l| *l < today) else {
                return Ok(0);
            };
            let data = repo_training::matrix_data(tx)?;
            let m = model::build_matrix(&data, &MatrixFilter::default(), today, "", now);
            let mut raised = 0;
            for row in &m.rows {
                for cell in row.cells.iter().filter(|c| c.required) {
                    let Some(e) = cell.expires_on else { continue };
                    let first_expired = e.succ_opt().unwrap_or(e);
                    let first_due = e - TimeDelta::days(30);
                    let kind = if last < first_expired && first_expired <= today {
                        "expired"
                    } else if last < first_due && first_due <= today {
                        "expiring"
                    } else {
                        continue;
                    };
                    if repo_training::note_training_notice(
                        tx,
                        &row.staff_id,
                        &cell.course_id,
                        e,
                        kind,
                    )? {
                        raised += 1;
                    }
                }
            }
            if raised > 0 {
                repo::audit::audit(
                    tx,
                    "system",
                    "training.notices",
                    None,
                    Some(&json!({"raised": raised})),
                )?;
            }
            Ok(raised)
        })
        .await
    }

    /// The training notices of the last 30 days, newest first: CareLoop's `cert.expiring` and
    /// `cert.expired` webhooks and the desk's own, one per certification and kind, and only
    /// while that certificate is still the current one (a renewal settles it).
    pub async fn training_notices(&self) -> Result<Vec<TrainingNotice>, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            let (today, _, _) = calendar(c, now)?;
            let stored = repo_training::notices_since(c, now - TimeDelta::days(NOTICE_DAYS))?;
            let data = repo_training::matrix_data(c)?;
            let latest = model::latest_by_person_and_course(&data.held);
            let mut seen = std::collections::HashSet::new();
            let mut out = Vec::new();
            for n in stored {
                let current = latest.get(&(n.staff_id.as_str(), n.course_id.as_str()));
                let expires_on = n.expires_on.or(current.and_then(|h| h.expires_on));
                if current.is_some_and(|h| h.expires_on != expires_on) {
                    continue; // renewed since
                }
                if !seen.insert((n.staff_id.clone(), n.course_id.clone(), n.kind.clone())) {
                    continue;
                }
                let Some(staff) = data.staff.iter().find(|s| s.id == n.staff_id) else {
                    continue;
                };
                let course_name = data
                    .courses
                    .iter()
                    .find(|c| c.id == n.course_id)
                    .map_or_else(|| "A course".to_owned(), |c| c.name.clone());
                let when = expires_on.map(|e| clock::day_words(e, today));
                let title = match (n.kind.as_str(), when) {
                    ("expired", Some(w)) => {
                        format!("{course_name} expired on {w} — {}", staff.name)
                    }
                    ("expired", None) => format!("{course_name} has expired — {}", staff.name),
                    (_, Some(w)) => format!("{course_name} expires on {w} — {}", staff.name),
                    (_, None) => format!("{course_name} expires within 30 days — {}", staff.name),
                };
                out.push(TrainingNotice {
                    staff_id: n.staff_id,
                    name: staff.name.clone(),
                    course_id: n.course_id,
                    course_name,
                    kind: n.kind,
                    expires_on,
                    title,
                    at: n.at,
                    by_desk: n.by_desk,
                });
            }
            Ok(out)
        })
        .await
    }

    /// [`Desk::check_training_notices`], its failure logged (it is tried again a minute later).
    pub(super) async fn training_pass(&self) {
        if let Err(e) = self.check_training_notices().await {
            tracing::warn!(error = %e, "the training notices check failed; it is tried again");
        }
    }

    /// [`Desk::training_pass`] after the one at start ([`Desk::open`] waits for that one, so
    /// the first look is taken before any command): just after each midnight of the home's
    /// calendar, and at least hourly (a new time zone, the computer's clock set or asleep, a
    /// test's clock moved) — not each minute, as only a new day can raise a notice.
    pub(super) async fn training_loop(self: std::sync::Arc<Self>) {
        loop {
            let now = self.clock.now();
            let wait = self
                .read(move |c| {
                    let (_, tomorrow, zone) = calendar(c, now)?;
                    let midnight = clock::start_of_day(zone, tomorrow);
                    Ok((midnight - now).to_std().unwrap_or_default())
                })
                .await
                .unwrap_or(std::time::Duration::from_secs(60))
                .saturating_add(std::time::Duration::from_secs(1))
                .min(std::time::Duration::from_secs(3600));
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            self.training_pass().await;
        }
    }
}
