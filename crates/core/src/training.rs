//! The training matrix (issue 14), without SQL or a window: which courses each role must hold
//! ([`Rules`]), each cell's status on a calendar date ([`CellStatus::on`]), the matrix with its
//! filters and counts ([`build_matrix`]) and whether a shift lead may lead the next shift
//! ([`may_lead`]).
//!
//! Dates are calendar dates in the home's time zone: a certificate expiring today is "due
//! today", not expired, and a change of clocks moves nothing (only whole days are compared).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::store::repo::people::StaffRole;
use crate::store::repo::training::Course;

/// A cell of the matrix on a calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CellStatus {
    /// Past its expiry date.
    Expired,
    /// Expires today (still in date until the day ends).
    DueToday,
    /// Expires in 1 to 30 days.
    #[serde(rename = "due_30")]
    Due30,
    /// Expires in 31 to 60 days.
    #[serde(rename = "due_60")]
    Due60,
    /// Expires in 61 to 90 days.
    #[serde(rename = "due_90")]
    Due90,
    /// In date for more than 90 days, or without an expiry.
    Valid,
    /// The role requires the course and the person has never held it.
    NeverHeld,
    /// The role does not require the course.
    NotRequired,
}

impl CellStatus {
    pub const ALL: [CellStatus; 8] = [
        Self::Expired,
        Self::DueToday,
        Self::Due30,
        Self::Due60,
        Self::Due90,
        Self::Valid,
        Self::NeverHeld,
        Self::NotRequired,
    ];

    /// The status on `today` of a certification held that expires on `expires_on`.
    pub fn on(expires_on: Option<NaiveDate>, today: NaiveDate) -> Self {
        match expires_on.map(|e| (e - today).num_days()) {
            None => Self::Valid,
            Some(left) if left < 0 => Self::Expired,
            Some(0) => Self::DueToday,
            Some(1..=30) => Self::Due30,
            Some(31..=60) => Self::Due60,
            Some(61..=90) => Self::Due90,
            Some(_) => Self::Valid,
        }
    }

    /// In date on the day (a certificate due today still is).
    pub fn in_date(self) -> bool {
        !matches!(self, Self::Expired | Self::NeverHeld)
    }

    /// The status in words, as the legend and the CSV say it.
    pub fn words(self) -> &'static str {
        match self {
            Self::Expired => "Expired",
            Self::DueToday => "Due today",
            Self::Due30 => "Due within 30 days",
            Self::Due60 => "Due within 60 days",
            Self::Due90 => "Due within 90 days",
            Self::Valid => "Valid",
            Self::NeverHeld => "Never held",
            Self::NotRequired => "Not required",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::DueToday => "due_today",
            Self::Due30 => "due_30",
            Self::Due60 => "due_60",
            Self::Due90 => "due_90",
            Self::Valid => "valid",
            Self::NeverHeld => "never_held",
            Self::NotRequired => "not_required",
        }
    }
}

impl std::str::FromStr for CellStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown status {s:?}"))
    }
}

/// The default set for UK adult social care: (subject, words that find it in the catalogue,
/// roles that must hold it; empty = every role).
pub const DEFAULT_SUBJECTS: &[(&str, &[&str], &[StaffRole])] = &[
    ("Moving and handling", &["moving and handling"], &[]),
    ("Fire safety", &["fire safety"], &[]),
    ("Safeguarding adults", &["safeguarding"], &[]),
    (
        "Infection prevention and control",
        &["infection prevention", "infection control"],
        &[],
    ),
    ("Basic life support", &["basic life support"], &[]),
    ("Health and safety", &["health and safety"], &[]),
    ("Equality and diversity", &["equality"], &[]),
    (
        "The Oliver McGowan training on learning disability and autism",
        &["oliver mcgowan"],
        &[],
    ),
    (
        "Medication",
        &["medication"],
        &[
            StaffRole::SeniorCarer,
            StaffRole::Nurse,
            StaffRole::ShiftLead,
        ],
    ),
    ("Food hygiene", &["food hygiene"], &[StaffRole::Kitchen]),
];

/// The role whose members may lead a shift.
pub const SHIFT_LEAD_ROLE: StaffRole = StaffRole::ShiftLead;

/// A course's renewal period when neither a manager nor the catalogue says: a year, three
/// years for food hygiene.
pub fn fallback_renewal_months(course_name: &str) -> u32 {
    if course_name.to_lowercase().contains("food hygiene") {
        36
    } else {
        12
    }
}

/// The catalogue course a default subject is, if the catalogue has it.
fn find_course<'a>(courses: &'a [Course], words: &[&str]) -> Option<&'a Course> {
    courses.iter().find(|c| {
        let name = c.name.to_lowercase();
        words.iter().any(|w| name.contains(w))
    })
}

/// Which courses each role must hold and each course's renewal period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TrainingRules {
    /// Set by a manager on this desk (else the default set).
    pub configured: bool,
    /// One entry per role, every role listed.
    pub roles: Vec<RoleRequirement>,
    /// One entry per course of the catalogue.
    pub courses: Vec<CourseRenewal>,
    /// Subjects of the default set that CareLoop's catalogue does not have (so nobody can be
    /// required to hold them until it does).
    pub missing_defaults: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RoleRequirement {
    pub role: StaffRole,
    pub course_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CourseRenewal {
    pub course_id: String,
    pub name: String,
    /// The renewal period in use.
    pub months: u32,
    /// What it would be without a manager's change (the catalogue's validity, else the
    /// fallback).
    pub default_months: u32,
}

/// What a manager saved, as the store keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SavedRules {
    /// `None`: no manager has set the rules; the default set applies.
    pub requirements: Option<Vec<(StaffRole, String)>>,
    pub renewal_months: HashMap<String, u32>,
}

impl TrainingRules {
    /// The rules in force: a manager's, else the default set matched against `courses`.
    pub fn resolve(courses: &[Course], saved: &SavedRules) -> Self {
        let mut by_role: BTreeMap<&'static str, (StaffRole, BTreeSet<String>)> = StaffRole::ALL
            .iter()
            .map(|r| (r.as_str(), (*r, BTreeSet::new())))
            .collect();
        let mut missing_defaults = Vec::new();
        let known: BTreeSet<&str> = courses.iter().map(|c| c.id.as_str()).collect();
        match &saved.requirements {
            Some(reqs) => {
                for (role, course) in reqs {
                    if known.contains(course.as_str()) {
                        if let Some(e) = by_role.get_mut(role.as_str()) {
                            e.1.insert(course.clone());
                        }
                    }
                }
            }
            None => {
                for (subject, words, roles) in DEFAULT_SUBJECTS {
                    let Some(course) = find_course(courses, words) else {
                        missing_defaults.push((*subject).to_owned());
                        continue;
                    };
                    for (_, (role, set)) in by_role.iter_mut() {
                        if roles.is_empty() || roles.contains(role) {
                            set.insert(course.id.clone());
                        }
                    }
                }
            }
        }
        // Roles in the order of the enum, courses in the catalogue's order.
        let order: HashMap<&str, usize> = courses
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        let roles = StaffRole::ALL
            .iter()
            .map(|r| {
                let mut ids: Vec<String> = by_role[r.as_str()].1.iter().cloned().collect();
                ids.sort_by_key(|id| order.get(id.as_str()).copied());
                RoleRequirement {
                    role: *r,
                    course_ids: ids,
                }
            })
            .collect();
        let courses = courses
            .iter()
            .map(|c| {
                let default_months = c
                    .validity_months
                    .filter(|m| *m > 0)
                    .unwrap_or_else(|| fallback_renewal_months(&c.name));
                CourseRenewal {
                    course_id: c.id.clone(),
                    name: c.name.clone(),
                    months: saved
                        .renewal_months
                        .get(&c.id)
                        .copied()
                        .filter(|m| *m > 0)
                        .unwrap_or(default_months),
                    default_months,
                }
            })
            .collect();
        Self {
            configured: saved.requirements.is_some(),
            roles,
            courses,
            missing_defaults,
        }
    }

    /// The courses `role` must hold.
    pub fn required(&self, role: StaffRole) -> &[String] {
        self.roles
            .iter()
            .find(|r| r.role == role)
            .map(|r| r.course_ids.as_slice())
            .unwrap_or(&[])
    }

    /// `course_id`'s renewal period in months.
    pub fn renewal_months(&self, course_id: &str) -> Option<u32> {
        self.courses
            .iter()
            .find(|c| c.course_id == course_id)
            .map(|c| c.months)
    }

    /// The expiry of a course completed on `completed_on`: its renewal period later (the last
    /// day of a shorter month when the day does not exist: 29 February + 1 year = 28 February).
    pub fn expiry_for(&self, course_id: &str, completed_on: NaiveDate) -> Option<NaiveDate> {
        let months = self.renewal_months(course_id)?;
        completed_on.checked_add_months(Months::new(months))
    }
}

/// A staff member as the matrix needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixStaff {
    pub id: String,
    pub name: String,
    pub role: StaffRole,
    pub location_id: Option<String>,
    pub location_name: Option<String>,
}

/// A staff member's current certification of a course (the latest they hold).
#[derive(Debug, Clone, PartialEq)]
pub struct HeldCertification {
    pub id: String,
    pub staff_id: String,
    pub course_id: String,
    pub issued_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub certificate_number: Option<String>,
    /// Recorded on this desk and not yet acknowledged by CareLoop.
    pub pending: bool,
}

/// Everything the matrix is built from, as read from the local store.
#[derive(Debug, Clone, Default)]
pub struct MatrixData {
    pub staff: Vec<MatrixStaff>,
    pub courses: Vec<Course>,
    /// The latest certification per staff member and course.
    pub held: Vec<HeldCertification>,
    pub saved_rules: SavedRules,
    /// When certifications were last pulled from CareLoop.
    pub data_as_of: Option<DateTime<Utc>>,
}

/// How the rows are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum MatrixSort {
    /// By name.
    #[default]
    Name,
    /// Soonest required expiry first (never held counts as soonest).
    SoonestExpiry,
}

/// The matrix's filters. Home, role and course narrow what is counted; window and status only
/// which rows are listed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MatrixFilter {
    #[serde(default)]
    #[ts(optional)]
    pub location_id: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub role: Option<StaffRole>,
    #[serde(default)]
    #[ts(optional)]
    pub course_id: Option<String>,
    /// Rows with a required course expiring within this many days (30, 60 or 90), today
    /// included.
    #[serde(default)]
    #[ts(optional)]
    pub window_days: Option<u32>,
    /// Rows with a cell of this status.
    #[serde(default)]
    #[ts(optional)]
    pub status: Option<CellStatus>,
    #[serde(default)]
    #[ts(optional)]
    pub sort: Option<MatrixSort>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MatrixCourse {
    pub id: String,
    pub name: String,
    pub renewal_months: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MatrixCell {
    pub course_id: String,
    pub status: CellStatus,
    pub required: bool,
    pub expires_on: Option<NaiveDate>,
    pub issued_on: Option<NaiveDate>,
    /// Days from today to the expiry (negative once expired).
    #[ts(type = "number | null")]
    pub days_left: Option<i64>,
    pub certification_id: Option<String>,
    pub certificate_number: Option<String>,
    /// A renewal recorded here that CareLoop has not acknowledged yet.
    pub pending: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MatrixRow {
    pub staff_id: String,
    pub name: String,
    pub role: StaffRole,
    pub location_id: Option<String>,
    pub location_name: Option<String>,
    /// One per column, in the order of [`TrainingMatrix::courses`].
    pub cells: Vec<MatrixCell>,
    /// The soonest expiry of a required course.
    pub soonest_expiry: Option<NaiveDate>,
}

/// Required cells by status (each cell counted once), of the rows the home, role and course
/// filters keep.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MatrixCounts {
    pub staff: u32,
    pub required: u32,
    pub expired: u32,
    pub due_today: u32,
    pub due_30: u32,
    pub due_60: u32,
    pub due_90: u32,
    pub valid: u32,
    pub never_held: u32,
    pub in_date: u32,
    pub pending: u32,
    /// In date, per cent of required (100 when nothing is required).
    pub percent_in_date: u32,
    /// "4 expired, 11 due in 30 days, 2 never held".
    pub summary: String,
}

impl MatrixCounts {
    fn add(&mut self, cell: &MatrixCell) {
        if !cell.required {
            return;
        }
        self.required += 1;
        match cell.status {
            CellStatus::Expired => self.expired += 1,
            CellStatus::DueToday => self.due_today += 1,
            CellStatus::Due30 => self.due_30 += 1,
            CellStatus::Due60 => self.due_60 += 1,
            CellStatus::Due90 => self.due_90 += 1,
            CellStatus::Valid => self.valid += 1,
            CellStatus::NeverHeld => self.never_held += 1,
            CellStatus::NotRequired => {}
        }
        if cell.status.in_date() {
            self.in_date += 1;
        }
        if cell.pending {
            self.pending += 1;
        }
    }

    fn finish(&mut self) {
        self.percent_in_date = percent(self.in_date, self.required);
        let mut parts = vec![format!("{} expired", self.expired)];
        // "due in 30 days" includes today.
        parts.push(format!("{} due in 30 days", self.due_today + self.due_30));
        parts.push(format!(
            "{} due in 31 to 90 days",
            self.due_60 + self.due_90
        ));
        parts.push(format!("{} never held", self.never_held));
        self.summary = parts.join(", ");
    }
}

fn percent(part: u32, whole: u32) -> u32 {
    if whole == 0 {
        100
    } else {
        // Rounded down: 99.6 % in date is not "100 %".
        u32::try_from(u64::from(part) * 100 / u64::from(whole)).unwrap_or(100)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HomeInDate {
    pub location_id: Option<String>,
    pub location_name: String,
    pub required: u32,
    pub in_date: u32,
    pub percent_in_date: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TrainingMatrix {
    /// The home's calendar date the statuses are counted on.
    pub today: NaiveDate,
    pub time_zone: String,
    pub produced_at: DateTime<Utc>,
    /// When certifications were last pulled from CareLoop (`None`: never).
    pub data_as_of: Option<DateTime<Utc>>,
    pub filter: MatrixFilter,
    pub courses: Vec<MatrixCourse>,
    pub rows: Vec<MatrixRow>,
    pub counts: MatrixCounts,
    /// Per home, of the rows the role and course filters keep.
    pub homes: Vec<HomeInDate>,
}

/// The cell of `course` for a person of `role` holding `held` (if anything), on `today`.
pub fn cell(
    course_id: &str,
    required: bool,
    held: Option<&HeldCertification>,
    today: NaiveDate,
) -> MatrixCell {
    let status = match (held, required) {
        (_, false) => CellStatus::NotRequired,
        (None, true) => CellStatus::NeverHeld,
        (Some(h), true) => CellStatus::on(h.expires_on, today),
    };
    MatrixCell {
        course_id: course_id.to_owned(),
        status,
        required,
        expires_on: held.and_then(|h| h.expires_on),
        issued_on: held.map(|h| h.issued_on),
        days_left: held
            .and_then(|h| h.expires_on)
            .map(|e| (e - today).num_days()),
        certification_id: held.map(|h| h.id.clone()),
        certificate_number: held.and_then(|h| h.certificate_number.clone()),
        pending: held.is_some_and(|h| h.pending),
    }
}

/// The latest certification per (staff, course) of `held`: the latest completed, then the
/// latest expiry.
pub fn latest_by_person_and_course(
    held: &[HeldCertification],
) -> HashMap<(&str, &str), &HeldCertification> {
    let mut map: HashMap<(&str, &str), &HeldCertification> = HashMap::with_capacity(held.len());
    for h in held {
        let key = (h.staff_id.as_str(), h.course_id.as_str());
        match map.get(&key) {
            Some(other) if (other.issued_on, other.expires_on) >= (h.issued_on, h.expires_on) => {}
            _ => {
                map.insert(key, h);
            }
        }
    }
    map
}

/// The matrix on `today`, filtered and counted.
pub fn build_matrix(
    data: &MatrixData,
    filter: &MatrixFilter,
    today: NaiveDate,
    time_zone: &str,
    produced_at: DateTime<Utc>,
) -> TrainingMatrix {
    let rules = TrainingRules::resolve(&data.courses, &data.saved_rules);
    let columns: Vec<&Course> = data
        .courses
        .iter()
        .filter(|c| filter.course_id.as_ref().is_none_or(|id| &c.id == id))
        .collect();
    let latest = latest_by_person_and_course(&data.held);
    let required: HashMap<StaffRole, BTreeSet<&str>> = rules
        .roles
        .iter()
        .map(|r| (r.role, r.course_ids.iter().map(String::as_str).collect()))
        .collect();

    let mut counts = MatrixCounts::default();
    let mut homes: BTreeMap<Option<String>, HomeInDate> = BTreeMap::new();
    let mut rows = Vec::new();
    for s in &data.staff {
        if filter.role.is_some_and(|r| r != s.role) {
            continue;
        }
        let need = &required[&s.role];
        let cells: Vec<MatrixCell> = columns
            .iter()
            .map(|c| {
                cell(
                    &c.id,
                    need.contains(c.id.as_str()),
                    latest.get(&(s.id.as_str(), c.id.as_str())).copied(),
                    today,
                )
            })
            .collect();
        let home = homes
            .entry(s.location_id.clone())
            .or_insert_with(|| HomeInDate {
                location_id: s.location_id.clone(),
                location_name: s
                    .location_name
                    .clone()
                    .unwrap_or_else(|| "No home".to_owned()),
                required: 0,
                in_date: 0,
                percent_in_date: 100,
            });
        for c in cells.iter().filter(|c| c.required) {
            home.required += 1;
            home.in_date += u32::from(c.status.in_date());
        }
        if filter
            .location_id
            .as_ref()
            .is_some_and(|l| s.location_id.as_ref() != Some(l))
        {
            continue;
        }
        counts.staff += 1;
        cells.iter().for_each(|c| counts.add(c));
        let listed = filter
            .status
            .is_none_or(|st| cells.iter().any(|c| c.status == st))
            && filter.window_days.is_none_or(|w| {
                cells.iter().any(|c| {
                    c.required && c.days_left.is_some_and(|d| (0..=i64::from(w)).contains(&d))
                })
            });
        if !listed {
            continue;
        }
        let soonest_expiry = cells
            .iter()
            .filter(|c| c.required)
            .filter_map(|c| c.expires_on)
            .min();
        rows.push(MatrixRow {
            staff_id: s.id.clone(),
            name: s.name.clone(),
            role: s.role,
            location_id: s.location_id.clone(),
            location_name: s.location_name.clone(),
            cells,
            soonest_expiry,
        });
    }
    counts.finish();
    match filter.sort.unwrap_or_default() {
        MatrixSort::Name => rows.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then_with(|| a.staff_id.cmp(&b.staff_id))
        }),
        MatrixSort::SoonestExpiry => rows.sort_by(|a, b| {
            let never = |r: &MatrixRow| !r.cells.iter().any(|c| c.status == CellStatus::NeverHeld);
            // Never held first, then the soonest expiry, then those with nothing due.
            (
                never(a),
                a.soonest_expiry.is_none(),
                a.soonest_expiry,
                &a.name,
            )
                .cmp(&(
                    never(b),
                    b.soonest_expiry.is_none(),
                    b.soonest_expiry,
                    &b.name,
                ))
        }),
    }
    let homes = homes
        .into_values()
        .map(|mut h| {
            h.percent_in_date = percent(h.in_date, h.required);
            h
        })
        .collect();
    TrainingMatrix {
        today,
        time_zone: time_zone.to_owned(),
        produced_at,
        data_as_of: data.data_as_of,
        filter: filter.clone(),
        courses: columns
            .iter()
            .map(|c| MatrixCourse {
                id: c.id.clone(),
                name: c.name.clone(),
                renewal_months: rules.renewal_months(&c.id).unwrap_or(12),
            })
            .collect(),
        rows,
        counts,
        homes,
    }
}

/// Whether a shift lead may lead the next shift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MayLead {
    pub staff_id: String,
    pub name: String,
    pub location_id: Option<String>,
    pub location_name: Option<String>,
    pub may_lead: bool,
    /// Why not, one line per course ("Fire safety expired on Tue 3 Mar").
    pub reasons: Vec<String>,
    /// The first day a required course is no longer in date.
    pub in_date_until: Option<NaiveDate>,
}

/// Whether `staff` may lead a shift: every course the shift lead role requires in date today
/// and on `shift_ends_on` (the home's date 24 hours from now), with the reasons when not.
pub fn may_lead(
    staff: &MatrixStaff,
    rules: &TrainingRules,
    courses: &[Course],
    latest: &HashMap<(&str, &str), &HeldCertification>,
    today: NaiveDate,
    shift_ends_on: NaiveDate,
) -> MayLead {
    let mut reasons = Vec::new();
    let mut until: Option<NaiveDate> = None;
    for course_id in rules.required(SHIFT_LEAD_ROLE) {
        let name = courses
            .iter()
            .find(|c| &c.id == course_id)
            .map_or(course_id.as_str(), |c| c.name.as_str());
        match latest.get(&(staff.id.as_str(), course_id.as_str())) {
            None => reasons.push(format!("{name}: never held")),
            Some(h) => match h.expires_on {
                None => {}
                Some(e) if e < today => reasons.push(format!(
                    "{name} expired on {}",
                    crate::clock::day_words(e, today)
                )),
                Some(e) if e < shift_ends_on => reasons.push(format!(
                    "{name} expires {}, before the next 24 hours are over",
                    if e == today {
                        "today".to_owned()
                    } else {
                        format!("on {}", crate::clock::day_words(e, today))
                    }
                )),
                Some(e) => {
                    let day_after = e.succ_opt().unwrap_or(e);
                    until = Some(until.map_or(day_after, |u| u.min(day_after)));
                }
            },
        }
    }
    MayLead {
        staff_id: staff.id.clone(),
        name: staff.name.clone(),
        location_id: staff.location_id.clone(),
        location_name: staff.location_name.clone(),
        may_lead: reasons.is_empty(),
        reasons,
        in_date_until: until,
    }
}

/// [`may_lead`] for every member of the shift lead role in `data` (of one home, or all), by
/// name.
pub fn may_lead_list(
    data: &MatrixData,
    location_id: Option<&str>,
    today: NaiveDate,
    shift_ends_on: NaiveDate,
) -> Vec<MayLead> {
    let rules = TrainingRules::resolve(&data.courses, &data.saved_rules);
    let latest = latest_by_person_and_course(&data.held);
    let mut out: Vec<MayLead> = data
        .staff
        .iter()
        .filter(|s| s.role == SHIFT_LEAD_ROLE)
        .filter(|s| location_id.is_none_or(|l| s.location_id.as_deref() == Some(l)))
        .map(|s| may_lead(s, &rules, &data.courses, &latest, today, shift_ends_on))
        .collect();
    out.sort_by_key(|a| a.name.to_lowercase());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[rstest::rstest]
    #[case::expired_yesterday("2026-03-09", "2026-03-10", CellStatus::Expired)]
    #[case::expires_today("2026-03-10", "2026-03-10", CellStatus::DueToday)]
    #[case::expires_tomorrow("2026-03-11", "2026-03-10", CellStatus::Due30)]
    #[case::in_30_days("2026-04-09", "2026-03-10", CellStatus::Due30)]
    #[case::in_31_days("2026-04-10", "2026-03-10", CellStatus::Due60)]
    #[case::in_60_days("2026-05-09", "2026-03-10", CellStatus::Due60)]
    #[case::in_61_days("2026-05-10", "2026-03-10", CellStatus::Due90)]
    #[case::in_90_days("2026-06-08", "2026-03-10", CellStatus::Due90)]
    #[case::in_91_days("2026-06-09", "2026-03-10", CellStatus::Valid)]
    // Leap day: 29 Feb 2028 is a day like any other.
    #[case::leap_day_today("2028-02-29", "2028-02-29", CellStatus::DueToday)]
    #[case::leap_day_tomorrow("2028-02-29", "2028-02-28", CellStatus::Due30)]
    #[case::after_leap_day("2028-02-29", "2028-03-01", CellStatus::Expired)]
    #[case::thirty_days_over_leap_day("2028-03-30", "2028-02-29", CellStatus::Due30)]
    #[case::thirty_one_days_over_leap_day("2028-03-31", "2028-02-29", CellStatus::Due60)]
    fn the_status_is_counted_in_whole_calendar_days(
        #[case] expires: &str,
        #[case] today: &str,
        #[case] want: CellStatus,
    ) {
        assert_eq!(CellStatus::on(Some(d(expires)), d(today)), want);
    }

    /// The home's date at an instant, then the status: across the clock changes of 2026
    /// (forward on 29 March at 01:00 UTC, back on 25 October at 01:00 UTC) nothing moves.
    #[rstest::rstest]
    #[case::march_last_minute_of_the_day(
        "2026-03-28T23:59:59Z",
        "2026-03-28",
        CellStatus::DueToday
    )]
    #[case::march_just_after_midnight("2026-03-29T00:00:00Z", "2026-03-28", CellStatus::Expired)]
    #[case::march_after_the_change("2026-03-29T01:30:00Z", "2026-03-29", CellStatus::DueToday)]
    #[case::march_summer_night("2026-03-29T23:30:00Z", "2026-03-30", CellStatus::DueToday)]
    #[case::march_tomorrow_in_summer_time("2026-03-29T22:59:59Z", "2026-03-30", CellStatus::Due30)]
    #[case::october_bst_midnight("2026-10-24T23:00:00Z", "2026-10-24", CellStatus::Expired)]
    #[case::october_before_bst_midnight("2026-10-24T22:59:59Z", "2026-10-24", CellStatus::DueToday)]
    #[case::october_the_repeated_hour("2026-10-25T01:30:00Z", "2026-10-25", CellStatus::DueToday)]
    #[case::october_late_evening_gmt("2026-10-25T23:59:59Z", "2026-10-25", CellStatus::DueToday)]
    #[case::october_in_30_days("2026-10-25T12:00:00Z", "2026-11-24", CellStatus::Due30)]
    #[case::october_in_31_days("2026-10-25T12:00:00Z", "2026-11-25", CellStatus::Due60)]
    fn the_status_uses_the_homes_date_across_clock_changes(
        #[case] now: &str,
        #[case] expires: &str,
        #[case] want: CellStatus,
    ) {
        let now = DateTime::parse_from_rfc3339(now)
            .unwrap()
            .with_timezone(&Utc);
        let today = crate::clock::date_in(crate::clock::DEFAULT_TIME_ZONE, now);
        assert_eq!(
            CellStatus::on(Some(d(expires)), today),
            want,
            "today {today}"
        );
    }

    #[test]
    fn statuses_are_sent_by_their_names() {
        for s in CellStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(s.as_str().parse::<CellStatus>(), Ok(s));
        }
    }

    #[test]
    fn without_an_expiry_a_certification_stays_valid() {
        assert_eq!(CellStatus::on(None, d("2026-01-01")), CellStatus::Valid);
    }

    #[test]
    fn a_renewal_period_from_a_leap_day_ends_on_the_last_day_of_february() {
        let course = |id: &str, name: &str, months: Option<u32>| Course {
            id: id.into(),
            name: name.into(),
            code: None,
            scope: crate::store::repo::training::CourseScope::System,
            mandatory: true,
            validity_months: months,
            created_at: None,
            updated_at: Utc::now(),
        };
        let courses = [
            course("fs", "Fire safety", Some(12)),
            course("fh", "Food hygiene", None),
            course("x", "Something new", None),
        ];
        let rules = TrainingRules::resolve(&courses, &SavedRules::default());
        assert_eq!(
            rules.expiry_for("fs", d("2028-02-29")),
            Some(d("2029-02-28"))
        );
        assert_eq!(rules.renewal_months("fh"), Some(36));
        assert_eq!(rules.renewal_months("x"), Some(12));
        assert_eq!(rules.required(StaffRole::Kitchen), ["fs", "fh"]);
        assert_eq!(rules.required(StaffRole::Carer), ["fs"]);
        assert!(rules
            .missing_defaults
            .contains(&"Health and safety".to_owned()));
    }
}
