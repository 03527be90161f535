//! The training matrix (issue 14) against a real sandbox: the matrix, counts and "may lead a
//! shift" against CareLoop's data and against rules a manager sets, renewals recorded here
//! reaching CareLoop exactly once (answers lost, the desk killed), and bad input refused
//! beside its field.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, TimeDelta};
use loopdesk_core::clock::{self, OffsetClock};
use loopdesk_core::desk::training::{RecordCertification, RenewalPeriod, SaveTrainingRules};
use loopdesk_core::desk::Desk;
use loopdesk_core::ipc::{Code, CommandError};
use loopdesk_core::store::repo;
use loopdesk_core::training::{CellStatus, MatrixFilter, MatrixSort, RoleRequirement};
use loopdesk_sandbox::{DataSize, SandboxConfig};
use reqwest::Method;
use serde_json::{json, Value};

use crate::peer::{client_options, config, Peer, TestDesk};
use crate::reception::open;

fn today() -> NaiveDate {
    clock::date_in(clock::DEFAULT_TIME_ZONE, clock::now())
}

fn day(v: &Value) -> Option<NaiveDate> {
    v.as_str().and_then(|s| s.parse().ok())
}

fn fields(e: &CommandError) -> Vec<String> {
    let mut f: Vec<String> = e
        .fields
        .as_ref()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    f.sort();
    f
}

fn queued(desk: &Desk) -> usize {
    desk.store()
        .read(|c| {
            Ok(
                repo::outbox::outbox_entries(c, repo::outbox::OutboxStatus::Pending)?.len()
                    + repo::outbox::outbox_entries(c, repo::outbox::OutboxStatus::NeedsAttention)?
                        .len(),
            )
        })
        .unwrap()
}

/// CareLoop's staff, courses and live certifications, as the inspector reads them.
struct Server {
    staff: Vec<Value>,
    courses: Vec<Value>,
    certs: Vec<Value>,
}

impl Server {
    async fn read(peer: &Peer) -> Self {
        Self {
            staff: peer.all("/v1/staff", "").await,
            courses: peer.all("/v1/courses", "").await,
            certs: peer.all("/v1/certifications", "").await,
        }
    }

    fn course_named(&self, words: &str) -> String {
        self.courses
            .iter()
            .find(|c| c["name"].as_str().unwrap().to_lowercase().contains(words))
            .unwrap_or_else(|| panic!("no course {words}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The expiry of the latest certification of (staff, course).
    fn expiry(&self, staff: &str, course: &str) -> Option<NaiveDate> {
        self.certs
            .iter()
            .filter(|c| c["staff_id"] == staff && c["course_id"] == course)
            .max_by_key(|c| c["issued_on"].as_str().map(str::to_owned))
            .and_then(|c| day(&c["expires_on"]))
    }

    fn active(&self) -> impl Iterator<Item = &Value> {
        self.staff.iter().filter(|s| s["status"] == "active")
    }
}

/// The default rules, written out here independently of the desk: the core subjects for
/// everyone, medication for senior carers, nurses and shift leads, food hygiene for the kitchen.
fn default_required(server: &Server, role: &str) -> HashSet<String> {
    let mut ids: HashSet<String> = [
        "moving and handling",
        "fire safety",
        "safeguarding",
        "infection control",
        "basic life support",
    ]
    .iter()
    .map(|w| server.course_named(w))
    .collect();
    if matches!(role, "senior_carer" | "nurse" | "shift_lead") {
        ids.insert(server.course_named("medication"));
    }
    if role == "kitchen" {
        ids.insert(server.course_named("food hygiene"));
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_matrix_and_its_counts_follow_careloops_certifications_on_the_homes_calendar() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let server = Server::read(&peer).await;
    let today = today();

    let rules = t.desk.training_rules().await.unwrap();
    assert!(!rules.configured);
    // The catalogue has no health and safety, equality and diversity or Oliver McGowan course:
    // the desk says so rather than requiring what nobody can hold.
    assert_eq!(
        rules.missing_defaults,
        [
            "Health and safety",
            "Equality and diversity",
            "The Oliver McGowan training on learning disability and autism"
        ]
    );
    let food = server.course_named("food hygiene");
    assert_eq!(
        rules
            .courses
            .iter()
            .find(|c| c.course_id == food)
            .unwrap()
            .months,
        36
    );

    let m = t
        .desk
        .training_matrix(MatrixFilter::default())
        .await
        .unwrap();
    assert_eq!(m.today, today);
    assert_eq!(m.courses.len(), server.courses.len());
    assert_eq!(m.rows.len(), server.active().count());
    let mut expired = 0;
    let mut due_30 = 0;
    let mut required = 0;
    for s in server.active() {
        let id = s["id"].as_str().unwrap();
        let row = m.rows.iter().find(|r| r.staff_id == id).unwrap();
        let need = default_required(&server, s["role"].as_str().unwrap());
        for (course, cell) in m.courses.iter().zip(&row.cells) {
            assert_eq!(cell.course_id, course.id);
            assert_eq!(
                cell.required,
                need.contains(&course.id),
                "{id} {}",
                course.name
            );
            let expiry = server.expiry(id, &course.id);
            assert_eq!(cell.expires_on, expiry, "{id} {}", course.name);
            if !cell.required {
                assert_eq!(cell.status, CellStatus::NotRequired);
                continue;
            }
            required += 1;
            let left = expiry.map(|e| (e - today).num_days());
            match left {
                None => assert_eq!(cell.status, CellStatus::NeverHeld),
                Some(l) if l < 0 => {
                    expired += 1;
                    assert_eq!(cell.status, CellStatus::Expired);
                }
                Some(l) if l <= 30 => {
                    due_30 += 1;
                    assert!(matches!(
                        cell.status,
                        CellStatus::DueToday | CellStatus::Due30
                    ));
                }
                Some(l) if l <= 90 => {
                    assert!(matches!(cell.status, CellStatus::Due60 | CellStatus::Due90))
                }
                Some(_) => assert_eq!(cell.status, CellStatus::Valid),
            }
        }
    }
    assert_eq!(m.counts.required, required);
    assert_eq!(m.counts.expired, expired);
    assert_eq!(m.counts.due_today + m.counts.due_30, due_30);
    assert!(expired > 0 && due_30 > 0, "the sandbox spreads expiries");
    assert!(
        m.counts
            .summary
            .starts_with(&format!("{expired} expired, {due_30} due in 30 days")),
        "{}",
        m.counts.summary
    );
    let homes_required: u32 = m.homes.iter().map(|h| h.required).sum();
    assert_eq!(homes_required, required);
    for h in &m.homes {
        assert_eq!(h.percent_in_date, h.in_date * 100 / h.required.max(1));
    }

    // Filters: status, window, home, role, course; the counts follow home, role and course.
    let only_expired = t
        .desk
        .training_matrix(MatrixFilter {
            status: Some(CellStatus::Expired),
            ..MatrixFilter::default()
        })
        .await
        .unwrap();
    assert!(!only_expired.rows.is_empty());
    assert!(only_expired.rows.len() < m.rows.len());
    assert!(only_expired
        .rows
        .iter()
        .all(|r| r.cells.iter().any(|c| c.status == CellStatus::Expired)));
    assert_eq!(
        only_expired.counts, m.counts,
        "counts are of the whole list"
    );

    let home = m.homes[0].location_id.clone().unwrap();
    let kitchen = t
        .desk
        .training_matrix(MatrixFilter {
            location_id: Some(home.clone()),
            role: Some(repo::people::StaffRole::Kitchen),
            course_id: Some(food.clone()),
            window_days: Some(90),
            sort: Some(MatrixSort::SoonestExpiry),
            ..MatrixFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(kitchen.courses.len(), 1);
    for r in &kitchen.rows {
        assert_eq!(r.role, repo::people::StaffRole::Kitchen);
        assert_eq!(r.location_id.as_deref(), Some(home.as_str()));
        assert!(r.cells[0].days_left.is_some_and(|d| (0..=90).contains(&d)));
    }
    let expiries: Vec<_> = kitchen.rows.iter().map(|r| r.soonest_expiry).collect();
    let mut sorted = expiries.clone();
    sorted.sort();
    assert_eq!(expiries, sorted, "soonest expiry first");
    let err = t
        .desk
        .training_matrix(MatrixFilter {
            window_days: Some(45),
            ..MatrixFilter::default()
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&err), ["window_days"]);
    t.desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managers_rules_decide_what_is_required_and_a_period_of_zero_is_refused() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let server = Server::read(&peer).await;
    let eol = server.course_named("end of life");
    let fire = server.course_named("fire safety");

    // A period of zero (and an unknown course) is refused beside its field; nothing changes.
    let before = t.desk.training_rules().await.unwrap();
    let err = t
        .desk
        .save_training_rules(SaveTrainingRules {
            roles: vec![],
            renewals: vec![
                RenewalPeriod {
                    course_id: fire.clone(),
                    months: 0,
                },
                RenewalPeriod {
                    course_id: "crs_nope".into(),
                    months: 12,
                },
            ],
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, Code::InvalidInput);
    assert_eq!(
        fields(&err),
        [format!("months.{fire}"), "months.crs_nope".into()]
    );
    assert_eq!(t.desk.training_rules().await.unwrap(), before);

    // Carers must hold end of life care (nobody has it) and fire safety, renewed every 6 months.
    let rules = t
        .desk
        .save_training_rules(SaveTrainingRules {
            roles: vec![RoleRequirement {
                role: repo::people::StaffRole::Carer,
                course_ids: vec![eol.clone(), fire.clone()],
            }],
            renewals: vec![RenewalPeriod {
                course_id: fire.clone(),
                months: 6,
            }],
        })
        .await
        .unwrap();
    assert!(rules.configured);
    assert_eq!(
        rules
            .courses
            .iter()
            .find(|c| c.course_id == fire)
            .unwrap()
            .months,
        6
    );
    let m = t
        .desk
        .training_matrix(MatrixFilter::default())
        .await
        .unwrap();
    let carers = server.active().filter(|s| s["role"] == "carer").count() as u32;
    assert!(carers > 0);
    assert_eq!(m.counts.never_held, carers);
    assert_eq!(
        m.counts.required,
        2 * carers,
        "only carers require anything now"
    );
    let eol_col = m.courses.iter().position(|c| c.id == eol).unwrap();
    for r in &m.rows {
        let want = if r.role == repo::people::StaffRole::Carer {
            CellStatus::NeverHeld
        } else {
            CellStatus::NotRequired
        };
        assert_eq!(r.cells[eol_col].status, want, "{}", r.name);
    }
    // The expiry of a renewal follows the new period.
    let carer = m
        .rows
        .iter()
        .find(|r| r.role == repo::people::StaffRole::Carer)
        .unwrap();
    let done = today() - TimeDelta::days(1);
    let rec = t
        .desk
        .record_certification(RecordCertification {
            staff_id: carer.staff_id.clone(),
            course_id: fire.clone(),
            completed_on: done.to_string(),
            ..RecordCertification::default()
        })
        .await
        .unwrap();
    assert_eq!(
        rec.expires_on,
        done.checked_add_months(chrono::Months::new(6))
    );
    assert!(rec.cell.pending && rec.cell.required);
    t.desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shift_lead_may_lead_only_with_every_course_in_date_for_the_next_24_hours() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let server = Server::read(&peer).await;
    let today = today();
    let leads: Vec<&Value> = server
        .active()
        .filter(|s| s["role"] == "shift_lead")
        .collect();
    assert!(leads.len() >= 2);
    let need = default_required(&server, "shift_lead");

    // Make one lead's fire safety expire today, in CareLoop (as another user would).
    let lead = leads[0]["id"].as_str().unwrap().to_owned();
    let fire = server.course_named("fire safety");
    let (status, body) = peer
        .send(
            Method::POST,
            &format!("/v1/staff/{lead}/certifications"),
            json!({
                "course_id": fire,
                "issued_on": (today - TimeDelta::days(365)).to_string(),
                "expires_on": today.to_string(),
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    t.desk.sync_now().await.unwrap();
    let server = Server::read(&peer).await;

    let list = t.desk.may_lead_list(None).await.unwrap();
    assert_eq!(list.len(), leads.len());
    for m in &list {
        let tomorrow = today + TimeDelta::days(1);
        let ok = need
            .iter()
            .all(|c| server.expiry(&m.staff_id, c).is_some_and(|e| e >= tomorrow));
        assert_eq!(m.may_lead, ok, "{}: {:?}", m.name, m.reasons);
        assert_eq!(m.reasons.is_empty(), ok);
    }
    let this = list.iter().find(|m| m.staff_id == lead).unwrap();
    assert!(!this.may_lead);
    assert!(
        this.reasons
            .iter()
            .any(|r| r == "Fire safety expires today, before the next 24 hours are over"),
        "{:?}",
        this.reasons
    );
    // The same answer on the staff member's page.
    let page = t.desk.staff_training(lead.clone()).await.unwrap();
    assert_eq!(page.may_lead.as_ref(), Some(this));
    let fire_row = page.courses.iter().find(|c| c.course_id == fire).unwrap();
    assert_eq!(fire_row.cell.status, CellStatus::DueToday);
    assert!(page
        .history
        .iter()
        .any(|h| h.course_id == fire && h.current));

    // A renewal recorded here (not yet sent) lets them lead again.
    t.desk
        .record_certification(RecordCertification {
            staff_id: lead.clone(),
            course_id: fire.clone(),
            completed_on: today.to_string(),
            certificate_number: Some("FS-RENEWED-1".into()),
            ..RecordCertification::default()
        })
        .await
        .unwrap();
    let again = t.desk.may_lead_list(None).await.unwrap();
    let this = again.iter().find(|m| m.staff_id == lead).unwrap();
    assert_eq!(this.may_lead, this.reasons.is_empty());
    assert!(!this.reasons.iter().any(|r| r.starts_with("Fire safety")));
    t.desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_renewals_are_refused_beside_the_field_and_save_nothing() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let server = Server::read(&peer).await;
    let staff = server.active().next().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let fire = server.course_named("fire safety");
    let today = today();
    let good = RecordCertification {
        staff_id: staff.clone(),
        course_id: fire.clone(),
        completed_on: today.to_string(),
        expires_on: None,
        certificate_number: None,
    };
    let cases: Vec<(&str, RecordCertification, Vec<&str>)> = vec![
        (
            "completed tomorrow",
            RecordCertification {
                completed_on: (today + TimeDelta::days(1)).to_string(),
                ..good.clone()
            },
            vec!["completed_on"],
        ),
        (
            "expiry before completion",
            RecordCertification {
                expires_on: Some((today - TimeDelta::days(1)).to_string()),
                ..good.clone()
            },
            vec!["expires_on"],
        ),
        (
            "expiry on the day completed",
            RecordCertification {
                expires_on: Some(today.to_string()),
                ..good.clone()
            },
            vec!["expires_on"],
        ),
        (
            "unknown course",
            RecordCertification {
                course_id: "crs_nope".into(),
                ..good.clone()
            },
            vec!["course_id"],
        ),
        (
            "unknown staff",
            RecordCertification {
                staff_id: "stf_nope".into(),
                ..good.clone()
            },
            vec!["staff_id"],
        ),
        (
            "not a date",
            RecordCertification {
                completed_on: "31/02/2026".into(),
                ..good.clone()
            },
            vec!["completed_on"],
        ),
        (
            "everything wrong",
            RecordCertification {
                staff_id: String::new(),
                course_id: String::new(),
                completed_on: String::new(),
                expires_on: None,
                certificate_number: Some("x".repeat(101)),
            },
            vec![
                "certificate_number",
                "completed_on",
                "course_id",
                "staff_id",
            ],
        ),
    ];
    let digest = || t.desk.store().read(repo::digest::table_digests).unwrap();
    let before = digest();
    for (what, form, want) in cases {
        let err = t.desk.record_certification(form).await.unwrap_err();
        assert_eq!(err.code, Code::InvalidInput, "{what}");
        assert_eq!(fields(&err), want, "{what}: {err:?}");
        for f in want {
            assert!(!err.fields.as_ref().unwrap()[f].is_empty(), "{what}");
        }
    }
    assert_eq!(digest(), before, "a refused form changes nothing");
    assert_eq!(queued(&t.desk), 0);
    // The good form is saved, with its expiry from the catalogue (fire safety: 12 months).
    let rec = t.desk.record_certification(good).await.unwrap();
    assert_eq!(
        rec.expires_on,
        today.checked_add_months(chrono::Months::new(12))
    );
    assert_eq!(queued(&t.desk), 1);
    t.desk.shutdown().await;
}

/// A renewal, its cell pending, then synced: the matrix shows the new status, and CareLoop has
/// the certification exactly once though the answers were lost after commit.
#[rstest::rstest]
#[case::keys_honoured(true)]
#[case::keys_ignored(false)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_with_its_answer_lost_reaches_careloop_exactly_once(#[case] honoured: bool) {
    let peer = Peer::start(SandboxConfig {
        honour_idempotency_keys: honoured,
        ..config(DataSize::Small)
    })
    .await;
    let t = TestDesk::new(&peer).await;
    let d = &t.desk;
    d.sync_now().await.unwrap();
    let m = d
        .training_matrix(MatrixFilter {
            status: Some(CellStatus::Expired),
            ..MatrixFilter::default()
        })
        .await
        .unwrap();
    let row = &m.rows[0];
    let (col, _) = row
        .cells
        .iter()
        .enumerate()
        .find(|(_, c)| c.status == CellStatus::Expired)
        .unwrap();
    let course = m.courses[col].id.clone();
    let number = format!("LOST-{}", uuid::Uuid::new_v4().simple());
    let rec = d
        .record_certification(RecordCertification {
            staff_id: row.staff_id.clone(),
            course_id: course.clone(),
            completed_on: today().to_string(),
            certificate_number: Some(number.clone()),
            ..RecordCertification::default()
        })
        .await
        .unwrap();
    assert!(rec.cell.pending);
    assert_eq!(rec.cell.status, CellStatus::Valid);
    let cell_now = |m: &loopdesk_core::training::TrainingMatrix| {
        let r = m.rows.iter().find(|r| r.staff_id == row.staff_id).unwrap();
        r.cells[col].clone()
    };
    let pending = cell_now(&d.training_matrix(MatrixFilter::default()).await.unwrap());
    assert!(pending.pending);
    assert_eq!(pending.status, CellStatus::Valid);

    peer.control(Method::POST, "faults", json!({"drop_after_commit_next": 2}))
        .await;
    let mut cycles = 0;
    while d.sync_now().await.is_err() {
        cycles += 1;
        assert!(cycles < 10, "the outbox drains once answers arrive again");
    }
    // The sync that drained it may have pulled before the push ended: once more.
    d.sync_now().await.unwrap();
    assert_eq!(queued(d), 0);
    let on_server: Vec<Value> = peer
        .all(
            &format!("/v1/staff/{}/certifications", row.staff_id),
            &format!("course_id={course}"),
        )
        .await;
    assert_eq!(on_server.len(), 1, "{on_server:?}");
    assert_eq!(on_server[0]["certificate_number"], number.as_str());
    let posts = peer
        .desk_requests()
        .await
        .into_iter()
        .filter(|r| r["method"] == "POST")
        .count();
    assert_eq!(posts, 1, "the renewal was not sent twice");
    let synced = cell_now(&d.training_matrix(MatrixFilter::default()).await.unwrap());
    assert!(!synced.pending);
    assert_eq!(synced.status, CellStatus::Valid);
    assert_eq!(
        synced.certification_id.as_deref(),
        on_server[0]["id"].as_str(),
        "the cell is CareLoop's certification now"
    );
    d.shutdown().await;
}

/// Run as a child process by `a_renewal_survives_a_kill_and_reaches_careloop_once`: records
/// renewals on the desk at `LOOPDESK_CHILD_DB`, printing each once the form answered, pushing
/// as it goes, until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process"]
async fn child_records_renewals_until_killed() {
    let db = std::env::var("LOOPDESK_CHILD_DB").expect("LOOPDESK_CHILD_DB");
    let url = std::env::var("LOOPDESK_CHILD_URL").expect("LOOPDESK_CHILD_URL");
    let course = std::env::var("LOOPDESK_CHILD_COURSE").unwrap();
    let staff: Vec<String> = std::env::var("LOOPDESK_CHILD_STAFF")
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let desk = open(
        db.as_ref(),
        &url,
        Arc::new(OffsetClock::new()),
        true,
        client_options(),
    )
    .await;
    for (i, s) in staff.iter().cycle().enumerate() {
        let number = format!("KILL-{i}");
        desk.record_certification(RecordCertification {
            staff_id: s.clone(),
            course_id: course.clone(),
            completed_on: today().to_string(),
            certificate_number: Some(number.clone()),
            ..RecordCertification::default()
        })
        .await
        .unwrap();
        println!("recorded={s}={number}");
    }
}

#[rstest::rstest]
#[case::keys_honoured(true)]
#[case::keys_ignored(false)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_survives_a_kill_and_reaches_careloop_once(#[case] honoured: bool) {
    let peer = Peer::start(SandboxConfig {
        honour_idempotency_keys: honoured,
        ..config(DataSize::Small)
    })
    .await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let server = Server::read(&peer).await;
    let course = server.course_named("fire safety");
    let staff: Vec<String> = server
        .active()
        .take(40)
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    let db = t.db();
    t.desk.shutdown().await;
    let db_arg = db.to_string_lossy();
    let url = peer.url();
    let staff_arg = staff.join(",");
    let recorded: Vec<(String, String)> = crate::kill_child_after(
        &peer,
        "training::child_records_renewals_until_killed",
        &[
            ("LOOPDESK_CHILD_DB", &db_arg),
            ("LOOPDESK_CHILD_URL", &url),
            ("LOOPDESK_CHILD_COURSE", &course),
            ("LOOPDESK_CHILD_STAFF", &staff_arg),
        ],
        "recorded=",
        3,
    )
    .await
    .into_iter()
    .map(|r| {
        let (s, n) = r.split_once('=').unwrap();
        (s.to_owned(), n.to_owned())
    })
    .collect();

    let desk = open(
        &db,
        &peer.url(),
        Arc::new(OffsetClock::new()),
        false,
        client_options(),
    )
    .await;
    // Every renewal the form confirmed is here.
    for (s, n) in &recorded {
        let page = desk.staff_training(s.clone()).await.unwrap();
        assert!(
            page.history
                .iter()
                .any(|h| h.certificate_number.as_deref() == Some(n.as_str())),
            "{n} was lost"
        );
    }
    let mut cycles = 0;
    while desk.sync_now().await.is_err() {
        cycles += 1;
        assert!(cycles < 10);
    }
    assert_eq!(queued(&desk), 0);
    let mut numbers: HashMap<String, usize> = HashMap::new();
    for c in peer
        .all(
            "/v1/certifications",
            &format!("course_id={course}&include_deleted=true"),
        )
        .await
    {
        if let Some(n) = c["certificate_number"]
            .as_str()
            .filter(|n| n.starts_with("KILL-"))
        {
            *numbers.entry(n.to_owned()).or_default() += 1;
        }
    }
    for (_, n) in &recorded {
        assert_eq!(numbers.get(n), Some(&1), "{n} exactly once on CareLoop");
    }
    assert!(numbers.values().all(|c| *c == 1), "{numbers:?}");
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_raises_its_own_notice_once_as_certifications_enter_the_window_or_expire() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(OffsetClock::new());
    let db = dir.path().join("loopdesk.db");
    let d = open(&db, &peer.url(), clock.clone(), false, client_options()).await;
    d.sync_now().await.unwrap();
    // Nothing is announced for what was already due when the desk first looked.
    assert_eq!(d.check_training_notices().await.unwrap(), 0);
    assert!(d.training_notices().await.unwrap().is_empty());
    let m = d.training_matrix(MatrixFilter::default()).await.unwrap();
    let mut expiring = HashSet::new();
    let mut expired = HashSet::new();
    for r in &m.rows {
        for c in r.cells.iter().filter(|c| c.required) {
            match c.days_left {
                Some(31..=40) => expiring.insert((r.staff_id.clone(), c.course_id.clone())),
                Some(0..=9) => expired.insert((r.staff_id.clone(), c.course_id.clone())),
                _ => false,
            };
        }
    }
    assert!(!expiring.is_empty() && !expired.is_empty());
    // Offline (the sandbox is gone) for ten days, on the desk's own clock.
    drop(peer);
    clock.advance(Duration::from_secs(10 * 24 * 3600));
    let raised = d.check_training_notices().await.unwrap();
    assert_eq!(raised as usize, expiring.len() + expired.len());
    assert_eq!(d.check_training_notices().await.unwrap(), 0, "once");
    let notices = d.training_notices().await.unwrap();
    assert_eq!(notices.len(), raised as usize);
    for n in &notices {
        assert!(n.by_desk);
        let key = (n.staff_id.clone(), n.course_id.clone());
        match n.kind.as_str() {
            "expiring" => assert!(expiring.contains(&key), "{n:?}"),
            "expired" => {
                assert!(expired.contains(&key), "{n:?}");
                assert!(n.title.contains(" expired on "), "{}", n.title);
            }
            other => panic!("kind {other}"),
        }
    }
    // Notices, not alerts: nothing for the alerts bar.
    assert!(d.list_alerts().await.unwrap().open.is_empty());
    // A reopened desk does not raise them again.
    d.shutdown().await;
    drop(d);
    let d = open(
        &db,
        "http://127.0.0.1:9",
        clock.clone(),
        false,
        client_options(),
    )
    .await;
    assert_eq!(d.check_training_notices().await.unwrap(), 0);
    assert_eq!(d.training_notices().await.unwrap().len(), notices.len());
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn careloops_cert_webhooks_refresh_certifications_and_show_as_notices_not_alerts() {
    use loopdesk_core::alerts::{settings as alert_settings, AlertsConfig, DEVICE_TOKEN};
    use loopdesk_core::desk::DeskConfig;
    use loopdesk_core::secret::Secret;
    use loopdesk_core::secrets::{MemorySecretStore, SecretStore};

    let peer = Peer::start(config(DataSize::Small)).await;
    let bridge = crate::alerts::TestBridge::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(loopdesk_core::Store::open(dir.path().join("loopdesk.db")).unwrap());
    store
        .write(|tx| {
            repo::settings::set_setting(
                tx,
                loopdesk_core::desk::settings::API_BASE_URL,
                &peer.url(),
            )?;
            repo::settings::set_setting(tx, alert_settings::BRIDGE_URL, &bridge.url)
        })
        .unwrap();
    let secrets = MemorySecretStore::with_api_key(Secret::new(crate::peer::DESK_KEY));
    secrets
        .set(DEVICE_TOKEN, &Secret::new(bridge.token.clone()))
        .unwrap();
    let mut config = DeskConfig::new(Arc::new(secrets));
    config.sync = crate::peer::sync_options();
    config.client = client_options();
    config.alerts = AlertsConfig {
        wait: Duration::from_secs(1),
        retry_min: Duration::from_millis(20),
        retry_max: Duration::from_millis(160),
        ..AlertsConfig::default()
    };
    let d = Desk::open(store, config).await.unwrap();
    d.sync_now().await.unwrap();

    // Another CareLoop user records a fire safety certificate that expires in 20 days.
    let server = Server::read(&peer).await;
    let staff = server.active().next().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let fire = server.course_named("fire safety");
    let today = today();
    let expires = today + TimeDelta::days(20);
    let (status, cert) = peer
        .send(
            Method::POST,
            &format!("/v1/staff/{staff}/certifications"),
            json!({
                "course_id": fire, "issued_on": (today - TimeDelta::days(345)).to_string(),
                "expires_on": expires.to_string(),
            }),
        )
        .await;
    assert_eq!(status, 201, "{cert}");
    // CareLoop announces it through the bridge.
    let data = json!({
        "certification_id": cert["id"], "staff_id": staff, "course_id": fire,
        "course_name": "Fire safety", "expires_on": expires.to_string(),
    });
    assert_eq!(bridge.post("evt_cert_1", "cert.expiring", data).await, 200);

    // Generous deadlines: each wait ends as soon as the thing is there.
    let notice = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let notices = d.training_notices().await.unwrap();
            if let Some(n) = notices.into_iter().find(|n| n.staff_id == staff) {
                break n;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the notice arrives");
    assert!(!notice.by_desk);
    assert_eq!(notice.kind, "expiring");
    assert_eq!(notice.expires_on, Some(expires));
    assert!(
        notice.title.starts_with("Fire safety expires on "),
        "{}",
        notice.title
    );
    // The webhook refreshed the certifications: the matrix has CareLoop's new expiry.
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let page = d.staff_training(staff.clone()).await.unwrap();
            let cell = &page
                .courses
                .iter()
                .find(|c| c.course_id == fire)
                .unwrap()
                .cell;
            if cell.expires_on == Some(expires) {
                assert_eq!(cell.status, CellStatus::Due30);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the certifications are refreshed");
    assert!(
        d.list_alerts().await.unwrap().open.is_empty(),
        "a notice, not an alert"
    );
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_filtered_matrix_exports_to_csv_and_a_landscape_pdf_offline() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    drop(peer); // made on the desk, offline
    let filter = MatrixFilter {
        status: Some(CellStatus::Expired),
        sort: Some(MatrixSort::SoonestExpiry),
        ..MatrixFilter::default()
    };
    let m = t.desk.training_matrix(filter.clone()).await.unwrap();
    assert!(!m.rows.is_empty());

    let saved = t
        .desk
        .save_training_matrix_csv(filter.clone(), t.dir.path().join("Downloads"))
        .await
        .unwrap();
    assert!(saved.file_name.starts_with("training-matrix-") && saved.file_name.ends_with(".csv"));
    let bytes = std::fs::read(&saved.path).unwrap();
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header.len(), 3 + 2 * m.courses.len());
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), m.rows.len());
    for (rec, row) in rows.iter().zip(&m.rows) {
        assert_eq!(&rec[0], row.name);
        for (i, (course, cell)) in m.courses.iter().zip(&row.cells).enumerate() {
            assert_eq!(header[3 + 2 * i], format!("{} status", course.name));
            assert_eq!(&rec[3 + 2 * i], cell.status.words());
            let expires: Option<NaiveDate> = rec[4 + 2 * i].parse().ok();
            assert_eq!(expires, cell.expires_on);
        }
        assert!(
            rec.iter().any(|f| f == "Expired"),
            "only rows with an expired cell"
        );
    }

    let pdf = t.desk.training_matrix_pdf(filter.clone()).await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/MediaBox [0 0 841.89 595.28]").count();
    assert!(pages >= 1, "A4 landscape pages");
    assert!(text.contains(&format!("/Count {pages}")));
    assert!(
        text.contains("(Training matrix)"),
        "the heading is the document's title"
    );
    let saved = t
        .desk
        .save_training_matrix_pdf(filter, t.dir.path().join("Downloads"))
        .await
        .unwrap();
    assert!(saved.file_name.ends_with(".pdf"));
    assert_eq!(std::fs::metadata(&saved.path).unwrap().len(), saved.bytes);
    t.desk.shutdown().await;
}
