//! Deterministic, realistic seed data. Everything is derived from the seed and from `now`
//! (the sandbox's start time): the same seed gives the same records at the same relative times.

use chrono::{Datelike, DurationRound, Months, NaiveDate, TimeDelta, Timelike};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::config::DataSize;
use crate::model::*;
use crate::store::{Db, Meta};

const RESIDENT_FEMALE: &[(&str, &[&str])] = &[
    ("Margaret", &["Maggie", "Peggy", "Meg"]),
    ("Dorothy", &["Dot", "Dotty"]),
    ("Joan", &[]),
    ("Patricia", &["Pat", "Trish"]),
    ("Jean", &[]),
    ("Barbara", &["Babs", "Barb"]),
    ("Elizabeth", &["Betty", "Liz", "Beth"]),
    ("Doreen", &[]),
    ("Eileen", &[]),
    ("Sheila", &[]),
    ("Brenda", &[]),
    ("Maureen", &["Mo"]),
    ("Irene", &["Renee"]),
    ("Audrey", &[]),
    ("Shirley", &[]),
    ("Pamela", &["Pam"]),
    ("Sylvia", &[]),
    ("Elsie", &[]),
    ("Edna", &[]),
    ("Kathleen", &["Kath", "Kathy"]),
    ("Mary", &["Molly"]),
    ("Joyce", &[]),
    ("Vera", &[]),
    ("Winifred", &["Winnie"]),
    ("Gladys", &[]),
    ("Hilda", &[]),
    ("Evelyn", &["Eve"]),
    ("Marjorie", &["Marge"]),
    ("Gwendoline", &["Gwen"]),
    ("Rosemary", &["Rose"]),
];

const RESIDENT_MALE: &[(&str, &[&str])] = &[
    ("George", &[]),
    ("Arthur", &["Art"]),
    ("Albert", &["Bert", "Albie"]),
    ("Frank", &[]),
    ("Harold", &["Harry"]),
    ("Kenneth", &["Ken", "Kenny"]),
    ("Ronald", &["Ron", "Ronnie"]),
    ("Dennis", &[]),
    ("Leonard", &["Len", "Lenny"]),
    ("Stanley", &["Stan"]),
    ("Walter", &["Wally"]),
    ("Bernard", &["Bernie"]),
    ("Eric", &[]),
    ("Roy", &[]),
    ("Derek", &["Del"]),
    ("Norman", &["Norm"]),
    ("Raymond", &["Ray"]),
    ("Peter", &["Pete"]),
    ("William", &["Bill", "Billy"]),
    ("Thomas", &["Tom", "Tommy"]),
    ("Frederick", &["Fred", "Freddie"]),
    ("Douglas", &["Doug", "Dougie"]),
    ("Gordon", &[]),
    ("Robert", &["Bob", "Bobby"]),
    ("Edward", &["Ted", "Eddie"]),
];

#[rustfmt::skip]
const FEMALE_FIRST: &[&str] = &[
    "Emma", "Sophie", "Chloe", "Jessica", "Olivia", "Hannah", "Amy", "Lauren", "Rebecca",
    "Charlotte", "Priya", "Aisha", "Grace", "Megan", "Zainab", "Ngozi", "Maria", "Agnieszka",
    "Katarzyna", "Joy", "Blessing", "Sarah", "Laura", "Gemma", "Kirsty", "Stacey", "Leanne",
    "Claire", "Helen", "Karen", "Julie", "Nicola", "Susan",
];

#[rustfmt::skip]
const MALE_FIRST: &[&str] = &[
    "James", "Daniel", "Oliver", "Jack", "Mohammed", "Ryan", "Adam", "Samuel", "Kwame", "Tomasz",
    "Joseph", "Liam", "Connor", "Imran", "Rajesh", "Chidi", "Marcus", "Paul", "Mark", "Stephen",
    "David", "Andrew", "Gary",
];

const SURNAMES: &[&str] = &[
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Marshall",
    "Anderson",
    "Simpson",
    "Ellis",
    "Adams",
    "Singh",
    "Begum",
    "Wilkinson",
    "Foster",
    "Chapman",
    "Powell",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Ali",
    "Hunt",
    "Hussain",
    "Campbell",
    "Matthews",
    "Owen",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Barker",
    "Fisher",
    "Stevens",
    "Jenkins",
    "Murray",
    "Dixon",
    "Harvey",
    "Graham",
    "Pearson",
    "Ahmed",
    "Fletcher",
    "Walsh",
    "Kaur",
    "Gibson",
    "Howard",
    "Andrews",
    "Stewart",
    "Elliott",
    "Reynolds",
    "Saunders",
    "Payne",
    "Fox",
    "Ford",
    "Pearce",
    "Day",
    "Brooks",
    "West",
    "Lawrence",
    "Cole",
    "Atkinson",
    "Bradley",
    "Spencer",
    "Gill",
    "Dawson",
    "Ball",
    "Burton",
    "O'Brien",
    "Watts",
    "Rose",
    "Booth",
    "Perry",
    "Ryan",
    "Grant",
    "Wells",
    "Armstrong",
    "Francis",
    "Rees",
    "Hayes",
    "Hart",
    "Hudson",
    "Newman",
    "Barrett",
    "Webster",
    "Hunter",
    "Gregory",
    "Carr",
    "Lowe",
    "Page",
    "Marsh",
    "Riley",
    "Dunn",
    "Woods",
    "Parsons",
    "Berry",
    "Stone",
    "Reid",
    "Holland",
    "Hawkins",
    "Harding",
    "Porter",
    "Robertson",
    "Newton",
    "Oliver",
    "Reed",
    "Kennedy",
    "McDonald",
    "O'Connor",
    "Okafor",
    "Nowak",
    "Kowalski",
    "Mensah",
    "Osei",
    "Adeyemi",
];

const HOMES: &[&str] = &[
    "Avery Park",
    "Willow Bank House",
    "Rosewood Court",
    "The Laurels",
    "Meadowview",
    "Beech House",
    "Oakleigh Lodge",
    "Hazelmere",
    "St Anne's Court",
    "Cedar Grange",
    "Ashfield House",
    "Bramley Court",
];

const TOWNS: &[(&str, &str)] = &[
    ("Harrogate", "HG"),
    ("York", "YO"),
    ("Leeds", "LS"),
    ("Bath", "BA"),
    ("Chester", "CH"),
    ("Norwich", "NR"),
    ("Exeter", "EX"),
    ("Shrewsbury", "SY"),
    ("Lincoln", "LN"),
    ("Cheltenham", "GL"),
    ("Durham", "DH"),
    ("Stockport", "SK"),
];

const STREETS: &[&str] = &[
    "Church Lane",
    "Station Road",
    "Park Avenue",
    "Mill Lane",
    "The Green",
    "Victoria Road",
    "Orchard Way",
    "Queen's Drive",
    "Manor Road",
    "Elm Grove",
    "School Lane",
    "Westfield Road",
];

const RELATIONSHIPS: &[&str] = &[
    "daughter",
    "son",
    "niece",
    "nephew",
    "granddaughter",
    "grandson",
    "wife",
    "husband",
    "friend",
];

/// (name, code, validity_months)
pub const MANDATORY_COURSES: &[(&str, &str, u32)] = &[
    ("Moving and handling", "MH", 12),
    ("Fire safety", "FS", 12),
    ("Safeguarding adults", "SGA", 36),
    ("Medication", "MED", 12),
    ("Infection control", "IPC", 12),
    ("First aid", "FA", 36),
    ("Food hygiene", "FH", 36),
    ("Dementia awareness", "DEM", 36),
    ("Basic life support", "BLS", 12),
];

const ORG_COURSES: &[(&str, &str, u32)] = &[
    ("Oral health in care homes", "ORAL", 24),
    ("End of life care", "EOLC", 36),
];

const NOTE_BODIES: &[(NoteCategory, &str)] = &[
    (
        NoteCategory::General,
        "Settled well today, chatted with other residents in the lounge.",
    ),
    (
        NoteCategory::PersonalCare,
        "Assisted with a shower this morning; skin intact, no concerns.",
    ),
    (
        NoteCategory::Nutrition,
        "Ate most of lunch (roast chicken), two cups of tea. Fluids encouraged.",
    ),
    (
        NoteCategory::Mood,
        "A little low this afternoon, asked about family. Reassured, watched a film.",
    ),
    (
        NoteCategory::Health,
        "Observations taken: BP 132/80, temperature 36.8. GP review not needed.",
    ),
    (
        NoteCategory::Family,
        "Daughter phoned to say she will visit on Sunday with the grandchildren.",
    ),
    (
        NoteCategory::General,
        "Joined the afternoon singing group and enjoyed it.",
    ),
    (
        NoteCategory::Health,
        "Complained of a sore knee; paracetamol given as prescribed, to monitor.",
    ),
];

struct Gen {
    rng: StdRng,
    now: Ts,
}

impl Gen {
    fn id(&mut self, prefix: &str) -> String {
        format!("{prefix}_{:016x}", self.rng.gen::<u64>())
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.rng.gen_range(0..xs.len())]
    }
    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }
    fn ago_days(&mut self, min: i64, max: i64) -> Ts {
        let secs = self.rng.gen_range(min * 86_400..=max * 86_400);
        self.now - TimeDelta::seconds(secs)
    }
    fn phone(&mut self) -> String {
        format!(
            "07{:03} {:06}",
            self.rng.gen_range(700..1000),
            self.rng.gen_range(0..1_000_000)
        )
    }
}

fn today(now: Ts) -> NaiveDate {
    now.date_naive()
}

/// Generates a complete organisation for `seed` and `size`, anchored at `now`.
pub fn generate(seed: u64, size: DataSize, now: Ts) -> Db {
    let now = now.duration_trunc(TimeDelta::seconds(1)).unwrap_or(now);
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
        now,
    };
    let (homes, residents_total) = match size {
        DataSize::Small => (1usize, 40usize),
        DataSize::Medium => (3, 300),
        DataSize::Large => (10, 2000),
    };
    let mut db = Db::default();
    db.meta = Meta {
        org_id: g.id("org"),
        ..Meta::default()
    };
    let org_created = now - TimeDelta::days(900);

    // Locations.
    let mut home_names: Vec<&str> = HOMES.to_vec();
    home_names.shuffle(&mut g.rng);
    let mut locations = Vec::new();
    for name in home_names.iter().take(homes) {
        let (town, pc) = *g.pick(TOWNS);
        let address = format!(
            "{} {}, {} {}{} {}{}{}",
            g.rng.gen_range(1..120),
            g.pick(STREETS),
            town,
            pc,
            g.rng.gen_range(1..20),
            g.rng.gen_range(1..10),
            (b'A' + g.rng.gen_range(0..26u8)) as char,
            (b'A' + g.rng.gen_range(0..26u8)) as char,
        );
        let loc = Location {
            id: g.id("loc"),
            name: (*name).to_string(),
            address,
            created_at: org_created,
            updated_at: org_created,
            deleted_at: None,
        };
        locations.push(loc.clone());
        db.locations.insert(loc);
    }

    // Courses.
    let mut courses = Vec::new();
    for (i, (name, code, months)) in MANDATORY_COURSES.iter().chain(ORG_COURSES).enumerate() {
        let system = i < MANDATORY_COURSES.len();
        let c = Course {
            id: g.id("crs"),
            name: (*name).to_string(),
            code: (*code).to_string(),
            scope: if system {
                CourseScope::System
            } else {
                CourseScope::Organization
            },
            mandatory: system,
            validity_months: *months,
            created_at: org_created,
            updated_at: org_created,
            deleted_at: None,
        };
        courses.push(c.clone());
        db.courses.insert(c);
    }

    // Staff: about three for every four residents, spread over the homes.
    let per_home_residents = residents_total / homes;
    let mut staff_by_home: Vec<Vec<(String, String, StaffRole)>> = vec![Vec::new(); homes];
    let today = today(now);
    for (h, loc) in locations.iter().enumerate() {
        let n_staff = per_home_residents * 3 / 4;
        for i in 0..n_staff {
            let role = match i {
                0 => StaffRole::Manager,
                1..=3 => StaffRole::ShiftLead,
                _ => *g.pick(&[
                    StaffRole::Carer,
                    StaffRole::Carer,
                    StaffRole::Carer,
                    StaffRole::Carer,
                    StaffRole::SeniorCarer,
                    StaffRole::SeniorCarer,
                    StaffRole::Nurse,
                    StaffRole::Housekeeping,
                    StaffRole::Kitchen,
                ]),
            };
            let first = if g.chance(0.8) {
                *g.pick(FEMALE_FIRST)
            } else {
                *g.pick(MALE_FIRST)
            };
            let last = *g.pick(SURNAMES);
            let full_name = format!("{first} {last}");
            let created = g.ago_days(30, 800);
            let id = g.id("stf");
            let email = format!(
                "{}.{}{}@{}.example",
                first.to_lowercase(),
                last.to_lowercase().replace('\'', ""),
                g.rng.gen_range(1..100),
                loc.name.to_lowercase().replace([' ', '\''], "")
            );
            let st = Staff {
                id: id.clone(),
                full_name: full_name.clone(),
                preferred_name: first.to_string(),
                role,
                email,
                phone: g.phone(),
                location_id: loc.id.clone(),
                status: if g.chance(0.05) {
                    StaffStatus::Inactive
                } else {
                    StaffStatus::Active
                },
                certification_summary: CertificationSummary::default(),
                created_at: created,
                updated_at: created,
                deleted_at: None,
            };
            staff_by_home[h].push((id.clone(), full_name, role));
            db.staff.insert(st);

            // Certifications: every mandatory course, spread over the expiry buckets.
            for c in courses.iter().filter(|c| c.mandatory) {
                let bucket = g.rng.gen_range(0..100);
                let days_left: i64 = match bucket {
                    0..=7 => -g.rng.gen_range(1..200),
                    8..=15 => g.rng.gen_range(0..=30),
                    16..=23 => g.rng.gen_range(31..=60),
                    24..=31 => g.rng.gen_range(61..=90),
                    _ => g
                        .rng
                        .gen_range(91..(i64::from(c.validity_months) * 30).max(92)),
                };
                let expires_on = today + TimeDelta::days(days_left);
                let issued_on = expires_on
                    .checked_sub_months(Months::new(c.validity_months))
                    .unwrap_or(expires_on);
                let issued_ts = issued_on
                    .and_hms_opt(10, 0, 0)
                    .map(|d| d.and_utc())
                    .unwrap_or(now)
                    .min(now);
                let cert = Certification {
                    id: g.id("crt"),
                    staff_id: id.clone(),
                    course_id: c.id.clone(),
                    course_name: c.name.clone(),
                    issued_on,
                    expires_on,
                    status: CertificationStatus::Valid,
                    certificate_number: Some(format!(
                        "{}-{}-{:05}",
                        c.code,
                        issued_on.year(),
                        g.rng.gen_range(0..100_000)
                    )),
                    created_at: issued_ts,
                    updated_at: issued_ts,
                    deleted_at: None,
                };
                // What has already happened before the sandbox started is not announced.
                if days_left <= 30 {
                    db.meta.expiring_sent.insert(cert.id.clone());
                }
                if days_left < 0 {
                    db.meta.expired_sent.insert(cert.id.clone());
                }
                db.certifications.insert(cert);
            }
        }
    }

    // Residents, with contacts and keyworkers.
    let mut residents_by_home: Vec<Vec<String>> = vec![Vec::new(); homes];
    for (h, loc) in locations.iter().enumerate() {
        let carers: Vec<&(String, String, StaffRole)> = staff_by_home[h]
            .iter()
            .filter(|s| {
                matches!(
                    s.2,
                    StaffRole::Carer | StaffRole::SeniorCarer | StaffRole::Nurse
                )
            })
            .collect();
        for i in 0..per_home_residents {
            let (first, nicks) = if g.chance(0.62) {
                *g.pick(RESIDENT_FEMALE)
            } else {
                *g.pick(RESIDENT_MALE)
            };
            let last = *g.pick(SURNAMES);
            let preferred = if !nicks.is_empty() && g.chance(0.5) {
                Some((*g.pick(nicks)).to_string())
            } else {
                None
            };
            let age_days = g.rng.gen_range(70 * 365..101 * 365);
            let dob = today - TimeDelta::days(age_days);
            let admitted = g.ago_days(10, 2000);
            let discharged = g.chance(0.06);
            let status = if discharged {
                if g.chance(0.5) {
                    ResidentStatus::Discharged
                } else {
                    ResidentStatus::Deceased
                }
            } else {
                ResidentStatus::Current
            };
            let discharged_at = discharged.then(|| g.ago_days(1, 9));
            let dnar_status = match g.rng.gen_range(0..10) {
                0..=3 => DnarStatus::Dnar,
                4..=7 => DnarStatus::ForResus,
                _ => DnarStatus::NotRecorded,
            };
            let keyworker = if carers.is_empty() || g.chance(0.05) {
                None
            } else {
                let k = carers[g.rng.gen_range(0..carers.len())];
                Some(StaffRef {
                    id: k.0.clone(),
                    full_name: k.1.clone(),
                })
            };
            let mut contacts = Vec::new();
            for c in 0..g.rng.gen_range(1..=3) {
                let rel = *g.pick(RELATIONSHIPS);
                let female = match rel {
                    "daughter" | "niece" | "granddaughter" | "wife" => true,
                    "son" | "nephew" | "grandson" | "husband" => false,
                    _ => g.chance(0.5),
                };
                let cfirst = if female {
                    *g.pick(FEMALE_FIRST)
                } else {
                    *g.pick(MALE_FIRST)
                };
                let clast = if matches!(rel, "daughter" | "niece" | "granddaughter" | "friend")
                    && g.chance(0.5)
                {
                    *g.pick(SURNAMES)
                } else {
                    last
                };
                let phone = Some(g.phone());
                let email = if g.chance(0.6) {
                    Some(format!(
                        "{}.{}@example.co.uk",
                        cfirst.to_lowercase(),
                        clast.to_lowercase().replace('\'', "")
                    ))
                } else {
                    None
                };
                contacts.push(Contact {
                    id: g.id("con"),
                    name: format!("{cfirst} {clast}"),
                    relationship: rel.to_string(),
                    phone,
                    email,
                    is_next_of_kin: c == 0,
                });
            }
            let updated = discharged_at
                .unwrap_or(admitted)
                .max(g.ago_days(0, 30).min(now));
            let floor = i / 20;
            let r = Resident {
                id: g.id("res"),
                full_name: format!("{first} {last}"),
                preferred_name: preferred.unwrap_or_else(|| first.to_string()),
                room_number: format!(
                    "{}{:02}",
                    if floor == 0 {
                        String::new()
                    } else {
                        floor.to_string()
                    },
                    i % 20 + 1
                ),
                date_of_birth: dob,
                status,
                dnar_status,
                location: LocationRef {
                    id: loc.id.clone(),
                    name: loc.name.clone(),
                },
                location_id: loc.id.clone(),
                keyworker,
                contacts,
                admitted_at: admitted,
                discharged_at,
                created_at: admitted,
                updated_at: updated.max(admitted),
                deleted_at: None,
            };
            if status == ResidentStatus::Current {
                residents_by_home[h].push(r.id.clone());
            }
            db.residents.insert(r);
        }
    }

    // Visits over the last and the next week: ten per resident place.
    for (h, loc) in locations.iter().enumerate() {
        let carers: Vec<&(String, String, StaffRole)> = staff_by_home[h]
            .iter()
            .filter(|s| {
                !matches!(
                    s.2,
                    StaffRole::Housekeeping | StaffRole::Kitchen | StaffRole::Manager
                )
            })
            .collect();
        if carers.is_empty() {
            continue;
        }
        let base = now.duration_trunc(TimeDelta::minutes(15)).unwrap_or(now);
        let home_residents = &residents_by_home[h];
        if home_residents.is_empty() {
            continue;
        }
        for _ in 0..per_home_residents * 10 {
            let res_id = &home_residents[g.rng.gen_range(0..home_residents.len())];
            {
                let slot = g.rng.gen_range(-7 * 96..7 * 96);
                let starts_at = base + TimeDelta::minutes(15 * slot);
                let hour = starts_at.hour();
                let visit_type = match hour {
                    22..=23 | 0..=5 => VisitType::NightCheck,
                    8 | 12 | 17 => VisitType::Meal,
                    7 | 9 | 21 => *g.pick(&[VisitType::PersonalCare, VisitType::Medication]),
                    _ => *g.pick(&[
                        VisitType::Wellbeing,
                        VisitType::Social,
                        VisitType::PersonalCare,
                        VisitType::Medication,
                    ]),
                };
                let ends_at = starts_at + TimeDelta::minutes(*g.pick(&[15, 30, 30, 45, 60]));
                let staff = carers[g.rng.gen_range(0..carers.len())];
                let created = starts_at - TimeDelta::days(g.rng.gen_range(1..14));
                let created = created.min(now);
                let mut v = Visit {
                    id: g.id("vis"),
                    location_id: loc.id.clone(),
                    staff_user_id: staff.0.clone(),
                    resident_id: Some(res_id.clone()),
                    visit_type,
                    starts_at,
                    ends_at,
                    status: VisitStatus::Scheduled,
                    notes: None,
                    confirmed_at: None,
                    completed_at: None,
                    cancelled_at: None,
                    cancel_reason: None,
                    created_at: created,
                    updated_at: created,
                    deleted_at: None,
                };
                if starts_at <= now {
                    let roll = g.rng.gen_range(0..100);
                    if roll < 88 {
                        v.status = VisitStatus::Completed;
                        v.confirmed_at = Some(starts_at - TimeDelta::minutes(30));
                        v.completed_at = Some(ends_at.min(now));
                        v.notes = Some("Completed as planned.".to_string());
                    } else if roll < 96 {
                        v.status = VisitStatus::Cancelled;
                        v.cancelled_at = Some(starts_at - TimeDelta::hours(3));
                        v.cancel_reason = Some(
                            (*g.pick(&[
                                "Resident in hospital",
                                "Resident declined",
                                "Rescheduled",
                            ]))
                            .to_string(),
                        );
                    } else {
                        v.status = VisitStatus::NoShow;
                    }
                } else if starts_at - now < TimeDelta::hours(24) && g.chance(0.6) {
                    v.status = VisitStatus::Confirmed;
                    v.confirmed_at = Some((starts_at - TimeDelta::hours(20)).max(created).min(now));
                }
                v.updated_at = [
                    Some(v.created_at),
                    v.confirmed_at,
                    v.completed_at,
                    v.cancelled_at,
                ]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(created)
                .min(now);
                db.visits.insert(v);
            }
        }
    }

    // Incidents: roughly one for every four residents, over the last 60 days.
    let all_residents: Vec<(String, String)> = locations
        .iter()
        .enumerate()
        .flat_map(|(h, l)| {
            residents_by_home[h]
                .iter()
                .map(move |r| (r.clone(), l.id.clone()))
        })
        .collect();
    let titles: &[(IncidentType, &str)] = &[
        (IncidentType::Fall, "Unwitnessed fall in bedroom"),
        (IncidentType::Fall, "Witnessed fall in lounge"),
        (IncidentType::Fall, "Slipped in en-suite bathroom"),
        (
            IncidentType::MedicationError,
            "Evening medication given late",
        ),
        (
            IncidentType::Behaviour,
            "Verbal aggression towards another resident",
        ),
        (
            IncidentType::Safeguarding,
            "Unexplained bruising noticed during personal care",
        ),
        (
            IncidentType::PressureInjury,
            "Grade 2 pressure injury on sacrum",
        ),
        (IncidentType::Other, "Resident found in garden after dark"),
    ];
    for _ in 0..(all_residents.len() / 4).max(1) {
        if all_residents.is_empty() {
            break;
        }
        let (res_id, loc_id) = all_residents[g.rng.gen_range(0..all_residents.len())].clone();
        let h = locations.iter().position(|l| l.id == loc_id).unwrap_or(0);
        let (itype, title) = *g.pick(titles);
        let severity = match g.rng.gen_range(0..20) {
            0 => Severity::Critical,
            1..=3 => Severity::High,
            4..=10 => Severity::Moderate,
            _ => Severity::Low,
        };
        let occurred_at = g.ago_days(0, 60);
        let reporter = staff_by_home[h]
            .get(g.rng.gen_range(0..staff_by_home[h].len().max(1)))
            .cloned();
        let witnesses = if itype == IncidentType::Fall && title.starts_with("Witnessed") {
            vec![Witness {
                name: reporter
                    .as_ref()
                    .map(|r| r.1.clone())
                    .unwrap_or_else(|| "Night carer".into()),
                staff_id: reporter.as_ref().map(|r| r.0.clone()),
                statement: Some(
                    "Saw the resident lose balance while standing from the chair.".into(),
                ),
            }]
        } else {
            Vec::new()
        };
        let fall = (itype == IncidentType::Fall).then(|| FallDetails {
            place: if title.contains("lounge") {
                "lounge".into()
            } else if title.contains("bathroom") {
                "en-suite bathroom".into()
            } else {
                "bedroom".into()
            },
            was_witnessed: !witnesses.is_empty(),
            injury: *g.pick(&[Injury::None, Injury::None, Injury::Minor, Injury::Major]),
            hospital_transfer: severity == Severity::Critical,
        });
        let body_map = if matches!(
            itype,
            IncidentType::Fall | IncidentType::Safeguarding | IncidentType::PressureInjury
        ) {
            vec![BodyMapEntry {
                region: (*g.pick(&["head", "hip", "forearm", "knee", "sacrum", "shoulder"])).into(),
                side: Some(*g.pick(&[
                    BodySide::Left,
                    BodySide::Right,
                    BodySide::Front,
                    BodySide::Back,
                ])),
                note: Some("Redness, no broken skin".into()),
            }]
        } else {
            Vec::new()
        };
        let status = if occurred_at < now - TimeDelta::days(14) {
            IncidentStatus::Closed
        } else if g.chance(0.5) {
            IncidentStatus::UnderReview
        } else {
            IncidentStatus::Open
        };
        let inc = Incident {
            id: g.id("inc"),
            location_id: loc_id,
            resident_id: Some(res_id),
            incident_type: itype,
            severity,
            status,
            title: title.into(),
            description: format!(
                "{title}. Observations recorded, family informed, care plan reviewed."
            ),
            occurred_at,
            reported_by_staff_id: reporter.map(|r| r.0),
            body_map,
            witnesses,
            fall,
            created_at: occurred_at + TimeDelta::minutes(20),
            updated_at: (occurred_at + TimeDelta::minutes(20)).min(now),
            deleted_at: None,
        };
        db.incidents.insert(inc);
    }

    // Care notes: three per current resident over the last week.
    for (res_id, loc_id) in &all_residents {
        let h = locations.iter().position(|l| &l.id == loc_id).unwrap_or(0);
        for _ in 0..3 {
            let (category, body) = *g.pick(NOTE_BODIES);
            let author = staff_by_home[h]
                .get(g.rng.gen_range(0..staff_by_home[h].len().max(1)))
                .cloned();
            let at = g.ago_days(0, 7);
            db.care_notes.insert(CareNote {
                id: g.id("not"),
                resident_id: res_id.clone(),
                author_staff_id: author.as_ref().map(|a| a.0.clone()),
                author_name: author.map(|a| a.1).unwrap_or_else(|| "Agency carer".into()),
                category,
                body: body.into(),
                recorded_at: at,
                created_at: at,
                updated_at: at,
                deleted_at: None,
            });
        }
    }

    // Visitor sign-ins today: some still on site.
    for (i, (res_id, loc_id)) in all_residents
        .iter()
        .take((all_residents.len() / 5).max(1))
        .enumerate()
    {
        let at = now - TimeDelta::minutes(g.rng.gen_range(10..480));
        let out = if i % 3 == 0 {
            None
        } else {
            Some((at + TimeDelta::minutes(g.rng.gen_range(20..120))).min(now))
        };
        db.visitor_sign_ins.insert(VisitorSignIn {
            id: g.id("vsi"),
            location_id: loc_id.clone(),
            visitor_name: format!("{} {}", g.pick(FEMALE_FIRST), g.pick(SURNAMES)),
            visiting_resident_id: Some(res_id.clone()),
            purpose: "Family visit".into(),
            phone: Some(g.phone()),
            car_registration: None,
            signed_in_at: at,
            signed_out_at: out,
            created_at: at,
            updated_at: out.unwrap_or(at),
            deleted_at: None,
        });
    }

    db.meta.last_stamp = Some(now);
    db
}
