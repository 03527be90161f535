//! `cargo bench -p loopdesk-core --bench training`: the training matrix of 2,000 staff by 20
//! courses, built from the desk's file.
//!
//! The desk holds 4 homes, 2,000 active staff in all 7 roles, the 20 courses of a catalogue
//! (the 10 subjects of the default rules for UK adult social care and 10 more), and about 16
//! certifications a person (4 in 5 of the first 10 courses held, 1 in 4 of the others; half of
//! those held with an older certification the newer one replaced): 31,586 in all, with
//! expiries from 60 days ago to a renewal period ahead.
//! Timed: `Desk::training_matrix` (the `training_matrix` command's own path: read everything
//! the matrix needs from SQLite, work out each cell's status on the home's calendar, the counts
//! and the percentage in date per home, and answer the matrix), from the call to the answer;
//! unfiltered (all 40,000 cells), and filtered as a manager would look (one home, "expired").

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, TimeDelta, Utc};
use loopdesk_core::desk::{settings, Desk, DeskConfig};
use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::store::repo;
use loopdesk_core::store::repo::people::{self, Location, Staff, StaffRole, StaffStatus};
use loopdesk_core::store::repo::training::{self, Certification, Course, CourseScope};
use loopdesk_core::sync::SyncOptions;
use loopdesk_core::training::{CellStatus, MatrixFilter};
use loopdesk_core::Store;

// Shared with the other benches; this one uses only some of it.
#[allow(dead_code)]
mod common;
use common::{bench_dir, figures, ms};

const STAFF: usize = 2_000;
const HOMES: usize = 4;
/// Matrices built and timed, each way.
const SAMPLES: usize = 60;
const WARM_UP: usize = 5;

const COURSES: [(&str, Option<u32>); 20] = [
    ("Moving and handling", Some(12)),
    ("Fire safety", Some(12)),
    ("Safeguarding adults", Some(36)),
    ("Infection prevention and control", Some(12)),
    ("Basic life support", Some(12)),
    ("Health and safety", Some(36)),
    ("Equality and diversity", Some(36)),
    (
        "The Oliver McGowan training on learning disability and autism",
        None,
    ),
    ("Medication", Some(12)),
    ("Food hygiene", Some(36)),
    ("Dementia awareness", Some(36)),
    ("First aid", Some(36)),
    ("End of life care", None),
    ("Oral health in care homes", None),
    ("Nutrition and hydration", Some(24)),
    ("Mental capacity and DoLS", Some(24)),
    ("Falls prevention", Some(24)),
    ("Person-centred care", None),
    ("Record keeping", Some(36)),
    ("Pressure area care", Some(24)),
];

const ROLES: [StaffRole; 7] = [
    StaffRole::Carer,
    StaffRole::SeniorCarer,
    StaffRole::Nurse,
    StaffRole::ShiftLead,
    StaffRole::Manager,
    StaffRole::Housekeeping,
    StaffRole::Kitchen,
];

/// A small, fixed pseudo-random sequence (the same desk every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// The desk's file with the homes, staff, courses and certifications; returns how many
/// certifications it holds.
fn fill(store: &Store, today: NaiveDate) -> usize {
    let now = Utc::now();
    let mut rng = Lcg(14);
    let mut certifications = 0;
    store
        .write(|tx| {
            for h in 0..HOMES {
                people::upsert_location(
                    tx,
                    &Location {
                        id: format!("loc_{h}"),
                        name: format!("Home {h}"),
                        address: None,
                        created_at: None,
                        updated_at: now,
                    },
                )?;
            }
            repo::settings::set_setting(tx, settings::LOCATION_ID, "loc_0")?;
            for (i, (name, months)) in COURSES.iter().enumerate() {
                training::upsert_course(
                    tx,
                    &Course {
                        id: format!("crs_{i:02}"),
                        name: (*name).into(),
                        code: None,
                        scope: CourseScope::System,
                        mandatory: i < 10,
                        validity_months: *months,
                        created_at: None,
                        updated_at: now,
                    },
                )?;
            }
            for s in 0..STAFF {
                people::upsert_staff(
                    tx,
                    &Staff {
                        id: format!("stf_{s:04}"),
                        full_name: format!("Staff member {s:04}"),
                        preferred_name: None,
                        role: ROLES[s % ROLES.len()],
                        email: None,
                        phone: None,
                        location_id: Some(format!("loc_{}", s % HOMES)),
                        status: StaffStatus::Active,
                        certification_summary: None,
                        created_at: None,
                        updated_at: now,
                    },
                )?;
                for (c, (_, months)) in COURSES.iter().enumerate() {
                    // 4 in 5 of the first 10 courses held; 1 in 4 of the others.
                    let held = if c < 10 {
                        rng.next(5) < 4
                    } else {
                        rng.next(4) == 0
                    };
                    if !held {
                        continue;
                    }
                    let months = i64::from(months.unwrap_or(12));
                    // Expiry between 60 days ago and the period ahead.
                    let expires =
                        today + TimeDelta::days(rng.next(months as u64 * 30 + 60) as i64 - 60);
                    let issued = expires - TimeDelta::days(months * 30);
                    let history = if rng.next(2) == 0 { 2 } else { 1 };
                    for k in 0..history {
                        let back = TimeDelta::days(k * months * 30);
                        training::upsert_certification(
                            tx,
                            &Certification {
                                id: format!("crt_{s:04}_{c:02}_{k}"),
                                staff_id: format!("stf_{s:04}"),
                                course_id: format!("crs_{c:02}"),
                                course_name: None,
                                issued_on: issued - back,
                                expires_on: Some(expires - back),
                                status: None,
                                certificate_number: Some(format!("C-{s}-{c}-{k}")),
                                created_at: None,
                                updated_at: now,
                            },
                        )?;
                        certifications += 1;
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    certifications
}

async fn desk(path: &Path) -> (Arc<Desk>, usize) {
    let store = Arc::new(Store::open(path).unwrap());
    let certifications = fill(&store, Utc::now().date_naive());
    let mut config = DeskConfig::new(Arc::new(MemorySecretStore::default()));
    config.sync = SyncOptions {
        interval: None,
        push_on_write: false,
        ..SyncOptions::default()
    };
    (Desk::open(store, config).await.unwrap(), certifications)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = bench_dir();
    runtime.block_on(async {
        let (desk, certifications) = desk(&dir.path().join("training.db")).await;
        println!(
            "training matrix, {STAFF} staff × {} courses, {certifications} certifications, \
             {SAMPLES} builds each:",
            COURSES.len()
        );
        println!("{:<40} {:>10} {:>10}", "", "p50", "p99");
        let ways = [
            (
                "whole matrix (all homes, no filter)",
                MatrixFilter::default(),
            ),
            (
                "one home, expired",
                MatrixFilter {
                    location_id: Some("loc_1".into()),
                    status: Some(CellStatus::Expired),
                    ..MatrixFilter::default()
                },
            ),
        ];
        for (name, filter) in ways {
            let mut took = Vec::with_capacity(SAMPLES);
            let mut cells = 0;
            for i in 0..SAMPLES + WARM_UP {
                let start = Instant::now();
                let matrix = desk.training_matrix(filter.clone()).await.unwrap();
                let elapsed = start.elapsed();
                cells = matrix.rows.iter().map(|r| r.cells.len()).sum::<usize>();
                if i >= WARM_UP {
                    took.push(elapsed);
                }
            }
            assert!(cells > 0, "{name}: an empty matrix");
            let f = figures(took);
            println!(
                "{:<40} {:>10} {:>10}   ({cells} cells)",
                name,
                ms(f.p50),
                ms(f.p99)
            );
        }
        desk.shutdown().await;
    });
}
