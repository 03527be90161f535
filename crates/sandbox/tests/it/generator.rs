//! The deterministic data generator.

use chrono::{TimeZone, Utc};
use loopdesk_sandbox::gen::generate;
use loopdesk_sandbox::model::*;
use loopdesk_sandbox::DataSize;
use rstest::rstest;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 30, 0).unwrap()
}

fn residents_json(seed: u64) -> String {
    let db = generate(seed, DataSize::Small, now());
    serde_json::to_string(&db.residents.all().collect::<Vec<_>>()).unwrap()
}

#[test]
fn same_seed_same_data_other_seed_other_data() {
    assert_eq!(residents_json(42), residents_json(42));
    assert_ne!(residents_json(42), residents_json(43));
}

#[rstest]
#[case(DataSize::Small, 1, 40)]
#[case(DataSize::Medium, 3, 300)]
#[case(DataSize::Large, 10, 2000)]
fn sizes(#[case] size: DataSize, #[case] homes: usize, #[case] residents: usize) {
    let db = generate(1, size, now());
    assert_eq!(db.locations.len_live(), homes);
    assert_eq!(db.residents.len_live(), residents);
    assert_eq!(db.visits.len_live(), residents * 10);
    assert!(db.staff.len_live() >= residents / 2);
    assert_eq!(db.certifications.len_live(), db.staff.len_live() * 9);
}

#[test]
fn realistic_mix() {
    let db = generate(42, DataSize::Medium, now());
    let today = now().date_naive();
    let rs: Vec<&Resident> = db.residents.live().collect();
    for d in [
        DnarStatus::Dnar,
        DnarStatus::ForResus,
        DnarStatus::NotRecorded,
    ] {
        assert!(rs.iter().any(|r| r.dnar_status == d), "{d:?}");
    }
    // A nickname for some, the first name for the others.
    assert!(rs
        .iter()
        .any(|r| !r.full_name.starts_with(&r.preferred_name)));
    assert!(rs.iter().all(|r| !r.preferred_name.is_empty()));
    assert!(rs
        .iter()
        .all(|r| !r.contacts.is_empty()
            && r.contacts.iter().filter(|c| c.is_next_of_kin).count() == 1));
    assert!(rs
        .iter()
        .all(|r| (today - r.date_of_birth).num_days() > 69 * 365));
    assert!(rs.iter().filter(|r| r.keyworker.is_some()).count() > rs.len() / 2);
    let roles: std::collections::BTreeSet<String> =
        db.staff.live().map(|s| format!("{:?}", s.role)).collect();
    assert_eq!(roles.len(), 7, "{roles:?}");
    let mut buckets = [0; 5];
    for c in db.certifications.live() {
        let left = (c.expires_on - today).num_days();
        buckets[match left {
            l if l < 0 => 0,
            0..=30 => 1,
            31..=60 => 2,
            61..=90 => 3,
            _ => 4,
        }] += 1;
    }
    assert!(buckets.iter().all(|b| *b > 0), "{buckets:?}");
    let (past, future): (Vec<&Visit>, Vec<&Visit>) =
        db.visits.live().partition(|v| v.starts_at <= now());
    assert!(past
        .iter()
        .all(|v| v.starts_at >= now() - chrono::TimeDelta::days(7)));
    assert!(future
        .iter()
        .all(|v| v.starts_at <= now() + chrono::TimeDelta::days(7)));
    assert!(future
        .iter()
        .all(|v| matches!(v.status, VisitStatus::Scheduled | VisitStatus::Confirmed)));
    assert!(past
        .iter()
        .all(|v| !matches!(v.status, VisitStatus::Scheduled | VisitStatus::Confirmed)));
    assert!(db
        .incidents
        .live()
        .any(|i| i.incident_type == IncidentType::Fall && i.fall.is_some()));
    assert!(db.care_notes.len_live() > 0);
}

#[test]
fn generated_shapes_are_pinned() {
    let db = generate(42, DataSize::Small, now());
    let resident = db.residents.live().next().unwrap();
    let staff = db.staff.live().next().unwrap();
    let visit = db.visits.live().next().unwrap();
    let incident = db.incidents.live().find(|i| i.fall.is_some()).unwrap();
    let cert = db.certifications.live().next().unwrap();
    insta::assert_json_snapshot!("resident", resident);
    insta::assert_json_snapshot!("staff", staff);
    insta::assert_json_snapshot!("visit", visit);
    insta::assert_json_snapshot!("fall_incident", incident);
    insta::assert_json_snapshot!("certification", cert);
}
