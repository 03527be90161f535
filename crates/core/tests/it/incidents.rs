//! Incidents and falls against a real SQLite file and a real sandbox: saved the instant Save is
//! pressed, kept through a `kill -9`, sent to CareLoop exactly once (answers lost after commit,
//! keys honoured or ignored), a refusal back on the form and a corrected resubmit, the duties
//! decided at entry, the post-fall observations on the desk's clock, the local critical alert
//! recognised in the later webhook, drafts, the list and the falls register.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use loopdesk_core::clock::{Clock, OffsetClock};
use loopdesk_core::desk::incidents::{
    FallAnswers, IncidentFilter, IncidentForm, IncidentSyncState, ObservationReading,
    ObservationState,
};
use loopdesk_core::desk::{settings, Desk, DeskConfig};
use loopdesk_core::incidents::duties::{self, DutyKind, Facts};
use loopdesk_core::ipc::{Code, CommandError};
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::{MemorySecretStore, SecretStore};
use loopdesk_core::store::repo;
use loopdesk_core::sync::SyncOptions;
use loopdesk_core::Store;
use loopdesk_sandbox::{DataSize, SandboxConfig};
use reqwest::Method;
use serde_json::{json, Value};

use crate::peer::{self, client_options, config, Peer, DESK_KEY};
use crate::reception::{open, reception};

fn ts(t: DateTime<Utc>) -> String {
    repo::ts(&t)
}

/// An unwitnessed fall of `resident` found on the floor `ago` before `now`, a bruised left hip.
fn fall(resident: &str, title: &str, at: DateTime<Utc>) -> IncidentForm {
    IncidentForm {
        subject: "resident".into(),
        resident_id: Some(resident.into()),
        kind: "fall".into(),
        severity: "moderate".into(),
        occurred_at: ts(at),
        place: "Lounge".into(),
        title: title.into(),
        description: Some("Found beside her chair.".into()),
        witnessed: false,
        body_regions: vec!["hip.left".into()],
        immediate_actions: Some("Helped up with the hoist; checked for injuries.".into()),
        notified: vec!["family".into()],
        fall: Some(FallAnswers {
            how: "found_on_floor".into(),
            ..FallAnswers::default()
        }),
        ..IncidentForm::default()
    }
}

fn fields(e: &CommandError) -> Vec<String> {
    e.fields
        .as_ref()
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default()
}

fn queued(desk: &Desk) -> Vec<repo::outbox::OutboxEntry> {
    desk.store()
        .read(|c| {
            let mut all = repo::outbox::outbox_entries(c, repo::outbox::OutboxStatus::Pending)?;
            all.extend(repo::outbox::outbox_entries(
                c,
                repo::outbox::OutboxStatus::NeedsAttention,
            )?);
            Ok(all)
        })
        .unwrap()
}

/// The sandbox's incidents with this title.
async fn on_server(peer: &Peer, title: &str) -> Vec<Value> {
    peer.all("/v1/incidents", "")
        .await
        .into_iter()
        .filter(|v| v["title"] == json!(title))
        .collect()
}

async fn drain(desk: &Desk) {
    let mut cycles = 0;
    while desk.sync_now().await.is_err() {
        cycles += 1;
        assert!(cycles < 10, "the outbox drains once answers arrive again");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_beside_each_field_and_changes_nothing() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let resident = r.residents[0].0.clone();
    let now = r.clock.now();
    let before = d.store().read(repo::digest::table_digests).unwrap();
    let cases: Vec<(&str, IncidentForm)> = vec![
        (
            "title",
            IncidentForm {
                title: " ".into(),
                ..fall(&resident, "x", now)
            },
        ),
        (
            "place",
            IncidentForm {
                place: "".into(),
                ..fall(&resident, "x", now)
            },
        ),
        (
            "type",
            IncidentForm {
                kind: "tumble".into(),
                ..fall(&resident, "x", now)
            },
        ),
        (
            "severity",
            IncidentForm {
                severity: "".into(),
                ..fall(&resident, "x", now)
            },
        ),
        (
            "subject",
            IncidentForm {
                subject: "".into(),
                ..fall(&resident, "x", now)
            },
        ),
        (
            "occurred_at",
            IncidentForm {
                occurred_at: "".into(),
                ..fall(&resident, "x", now)
            },
        ),
        (
            "occurred_at",
            IncidentForm {
                occurred_at: ts(now + TimeDelta::minutes(5)),
                ..fall(&resident, "x", now)
            },
        ),
        (
            "found_at",
            IncidentForm {
                found_at: Some(ts(now - TimeDelta::minutes(30))),
                ..fall(&resident, "x", now - TimeDelta::minutes(10))
            },
        ),
        (
            "resident_id",
            IncidentForm {
                resident_id: Some("res_nobody".into()),
                ..fall(&resident, "x", now)
            },
        ),
        (
            "body_regions",
            IncidentForm {
                body_regions: vec!["hip.middle".into()],
                ..fall(&resident, "x", now)
            },
        ),
        (
            "title",
            IncidentForm {
                title: "x".repeat(201),
                ..fall(&resident, "x", now)
            },
        ),
        (
            "description",
            IncidentForm {
                description: Some("x".repeat(10_001)),
                ..fall(&resident, "x", now)
            },
        ),
        (
            "witnesses",
            IncidentForm {
                witnessed: true,
                ..fall(&resident, "x", now)
            },
        ),
        (
            "fall_how",
            IncidentForm {
                fall: None,
                ..fall(&resident, "x", now)
            },
        ),
        (
            "person_name",
            IncidentForm {
                subject: "visitor".into(),
                ..fall(&resident, "x", now)
            },
        ),
        (
            "notified",
            IncidentForm {
                notified: vec!["the press".into()],
                ..fall(&resident, "x", now)
            },
        ),
    ];
    for (field, form) in cases {
        let e = d.save_incident(form, None, None).await.unwrap_err();
        assert_eq!(e.code, Code::InvalidInput, "{field}: {e:?}");
        assert_eq!(fields(&e), vec![field.to_owned()], "{field}: {e:?}");
        let words = &e.fields.as_ref().unwrap()[field];
        assert!(
            !words.is_empty() && !words.contains('_'),
            "{field}: {words}"
        );
    }
    let after = d.store().read(repo::digest::table_digests).unwrap();
    assert_eq!(before, after, "a refused form changed the file");
    // The same form, put right, is saved.
    d.save_incident(fall(&resident, "Put right", now), None, None)
        .await
        .unwrap();
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_edited_before_sync_is_one_entry_and_read_only_after() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let resident = r.residents[0].0.clone();
    let at = r.clock.now() - TimeDelta::minutes(20);
    let saved = d
        .save_incident(fall(&resident, "Edited fall", at), None, None)
        .await
        .unwrap();
    assert_eq!(saved.sync.state, IncidentSyncState::Pending);
    assert!(saved.editable);
    let mut form = saved.form.clone();
    form.title = "Edited fall, twice".into();
    form.severity = "high".into();
    let edited = d
        .save_incident(form.clone(), Some(saved.id.clone()), None)
        .await
        .unwrap();
    assert_eq!(edited.id, saved.id);
    let q = queued(d);
    assert_eq!(q.len(), 1, "one entry per incident: {q:?}");
    assert_eq!(q[0].payload["title"], "Edited fall, twice");
    assert_eq!(q[0].client_id, saved.id, "the key is the client UUID");
    d.sync_now().await.unwrap();
    assert!(on_server(&peer, "Edited fall").await.is_empty());
    let there = on_server(&peer, "Edited fall, twice").await;
    assert_eq!(there.len(), 1);
    assert_eq!(there[0]["severity"], "high");
    assert_eq!(
        there[0]["fall"]["was_witnessed"], false,
        "the desk sends the fall"
    );
    // Synced: the page follows the server id, the form is closed, status and duties are not.
    let server_id = there[0]["id"].as_str().unwrap().to_owned();
    let page = d.get_incident(saved.id.clone()).await.unwrap();
    assert_eq!(page.id, server_id);
    assert_eq!(page.sync.state, IncidentSyncState::Synced);
    assert!(!page.editable);
    assert!(
        !page.observations.is_empty(),
        "observations moved with the id"
    );
    let e = d
        .save_incident(form, Some(server_id.clone()), None)
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::InvalidInput);
    let page = d
        .set_incident_status(server_id.clone(), "under_review".into())
        .await
        .unwrap();
    assert_eq!(page.status, "under_review");
    d.sync_now().await.unwrap();
    let page = d.get_incident(server_id).await.unwrap();
    assert_eq!(
        page.status, "under_review",
        "a pull keeps the desk's status"
    );
    d.shutdown().await;
}

#[rstest::rstest]
#[case::keys_honoured(true)]
#[case::keys_ignored(false)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_answers_lost_after_commit_each_incident_is_made_once(#[case] honoured: bool) {
    let peer = Peer::start(SandboxConfig {
        honour_idempotency_keys: honoured,
        ..config(DataSize::Small)
    })
    .await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let resident = r.residents[0].0.clone();
    let at = r.clock.now() - TimeDelta::minutes(5);
    let titles = ["Lost answer one", "Lost answer two", "Lost answer three"];
    for t in titles {
        d.save_incident(fall(&resident, t, at), None, None)
            .await
            .unwrap();
    }
    peer.control(Method::POST, "faults", json!({"drop_after_commit_next": 3}))
        .await;
    drain(d).await;
    assert!(queued(d).is_empty());
    for t in titles {
        assert_eq!(on_server(&peer, t).await.len(), 1, "{t} exactly once");
    }
    let writes = peer
        .desk_requests()
        .await
        .into_iter()
        .filter(|r| r["method"] != "GET")
        .count();
    assert_eq!(writes, 3, "no incident was sent twice");
    let list = d.list_incidents(IncidentFilter::default()).await.unwrap();
    for t in titles {
        let mine: Vec<_> = list.iter().filter(|s| s.title == t).collect();
        assert_eq!(mine.len(), 1, "{t} listed once");
        assert_eq!(mine[0].sync, IncidentSyncState::Synced);
    }
    d.shutdown().await;
}

/// Run as a child process by `an_incident_survives_a_kill_right_after_save_and_reaches_careloop_once`:
/// logs falls on the desk at `LOOPDESK_CHILD_DB`, printing each as soon as Save answered,
/// pushing as it goes, until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process"]
async fn child_logs_incidents_until_killed() {
    let db = std::env::var("LOOPDESK_CHILD_DB").expect("LOOPDESK_CHILD_DB");
    let url = std::env::var("LOOPDESK_CHILD_URL").expect("LOOPDESK_CHILD_URL");
    let resident = std::env::var("LOOPDESK_CHILD_RESIDENT").unwrap();
    let clock = Arc::new(OffsetClock::new());
    let desk = open(db.as_ref(), &url, clock.clone(), true, client_options()).await;
    for i in 0.. {
        let title = format!("Killed fall {i}");
        let at = clock.now() - TimeDelta::minutes(1);
        let saved = desk
            .save_incident(fall(&resident, &title, at), None, None)
            .await
            .unwrap();
        println!("saved={}|{title}", saved.id);
    }
}

#[rstest::rstest]
#[case::keys_honoured(true)]
#[case::keys_ignored(false)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_survives_a_kill_right_after_save_and_reaches_careloop_once(
    #[case] honoured: bool,
) {
    let peer = Peer::start(SandboxConfig {
        honour_idempotency_keys: honoured,
        ..config(DataSize::Small)
    })
    .await;
    let r = reception(&peer.url()).await;
    let resident = r.residents[0].0.clone();
    let db = r.dir.path().join("loopdesk.db");
    r.desk.shutdown().await;
    let db_arg = db.to_string_lossy();
    let url = peer.url();
    let saved: Vec<(String, String)> = crate::kill_child_after(
        &peer,
        "incidents::child_logs_incidents_until_killed",
        &[
            ("LOOPDESK_CHILD_DB", &db_arg),
            ("LOOPDESK_CHILD_URL", &url),
            ("LOOPDESK_CHILD_RESIDENT", &resident),
        ],
        "saved=",
        3,
    )
    .await
    .into_iter()
    .map(|l| {
        let (id, title) = l.split_once('|').unwrap();
        (id.to_owned(), title.to_owned())
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
    // Every incident Save confirmed is here, with its form and its observations.
    for (id, title) in &saved {
        let page = desk.get_incident(id.clone()).await.unwrap();
        assert_eq!(&page.form.title, title);
        assert!(!page.observations.is_empty(), "{title}: its schedule");
    }
    let titles: Vec<String> = desk
        .list_incidents(IncidentFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.title.starts_with("Killed fall"))
        .map(|s| s.title)
        .collect();
    drain(&desk).await;
    assert!(queued(&desk).is_empty());
    for t in &titles {
        assert_eq!(on_server(&peer, t).await.len(), 1, "{t} exactly once");
    }
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_comes_back_to_the_form_and_the_correction_is_sent_once() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let resident = r.residents[0].0.clone();
    // This desk's clock is two hours fast: a time just past on it is in CareLoop's future.
    r.clock.advance(Duration::from_secs(2 * 3600));
    let at = r.clock.now() - TimeDelta::minutes(1);
    let saved = d
        .save_incident(fall(&resident, "Clock was fast", at), None, None)
        .await
        .unwrap();
    d.sync_now().await.unwrap();
    let page = d.get_incident(saved.id.clone()).await.unwrap();
    assert_eq!(page.sync.state, IncidentSyncState::NeedsAttention);
    assert!(page.editable, "back to the form");
    assert!(
        page.sync.fields.contains_key("occurred_at"),
        "{:?}",
        page.sync
    );
    assert!(page.sync.fields["occurred_at"].contains("future"));
    let list = d
        .list_incidents(IncidentFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.id == saved.id)
        .unwrap();
    assert_eq!(list.sync, IncidentSyncState::NeedsAttention);
    let refused_key = queued(d)[0].client_id.clone();
    // The person puts the time right (two hours and more ago by this desk's clock).
    let mut form = page.form.clone();
    form.occurred_at = ts(r.clock.now() - TimeDelta::hours(3));
    let again = d
        .save_incident(form, Some(saved.id.clone()), None)
        .await
        .unwrap();
    assert_eq!(again.sync.state, IncidentSyncState::Pending);
    let q = queued(d);
    assert_eq!(q.len(), 1);
    assert_ne!(
        q[0].client_id, refused_key,
        "the correction is another request"
    );
    d.sync_now().await.unwrap();
    assert_eq!(on_server(&peer, "Clock was fast").await.len(), 1);
    let page = d.get_incident(saved.id).await.unwrap();
    assert_eq!(page.sync.state, IncidentSyncState::Synced);
    d.shutdown().await;
}

fn facts() -> Facts {
    Facts {
        resident: true,
        kind: "fall".into(),
        severity: "low".into(),
        ..Facts::default()
    }
}

#[rstest::rstest]
// CQC Regulation 18(2)(a): an injury and hospital, a specified injury, or high with an injury.
#[case::moderate_injury_no_hospital(Facts { injured: true, severity: "moderate".into(), ..facts() }, DutyKind::CqcSeriousInjury, false)]
#[case::high_injury(Facts { injured: true, severity: "high".into(), ..facts() }, DutyKind::CqcSeriousInjury, true)]
#[case::high_without_injury(Facts { severity: "high".into(), ..facts() }, DutyKind::CqcSeriousInjury, false)]
#[case::hospital_with_injury(Facts { injured: true, hospital_transfer: true, ..facts() }, DutyKind::CqcSeriousInjury, true)]
#[case::specified_injury(Facts { specified_injury: true, ..facts() }, DutyKind::CqcSeriousInjury, true)]
#[case::not_a_resident(Facts { resident: false, injured: true, severity: "critical".into(), ..facts() }, DutyKind::CqcSeriousInjury, false)]
// Regulation 18(2)(e), (f) and Regulation 16.
#[case::safeguarding_type(Facts { kind: "safeguarding".into(), ..facts() }, DutyKind::CqcAbuse, true)]
#[case::abuse_alleged(Facts { abuse_suspected: true, ..facts() }, DutyKind::CqcAbuse, true)]
#[case::no_allegation(facts(), DutyKind::CqcAbuse, false)]
#[case::police(Facts { police_told: true, ..facts() }, DutyKind::CqcPolice, true)]
#[case::no_police(facts(), DutyKind::CqcPolice, false)]
#[case::death(Facts { died: true, ..facts() }, DutyKind::CqcDeath, true)]
#[case::death_of_a_visitor(Facts { died: true, resident: false, ..facts() }, DutyKind::CqcDeath, false)]
// RIDDOR: only when work activity, equipment or the premises contributed.
#[case::worker_specified(Facts { resident: false, worker: true, work_related: true, specified_injury: true, ..facts() }, DutyKind::RiddorDeathOrSpecified, true)]
#[case::worker_specified_not_work(Facts { resident: false, worker: true, specified_injury: true, ..facts() }, DutyKind::RiddorDeathOrSpecified, false)]
#[case::death_at_work(Facts { died: true, work_related: true, ..facts() }, DutyKind::RiddorDeathOrSpecified, true)]
#[case::over_seven(Facts { resident: false, worker: true, work_related: true, over_seven_day_incapacity: true, ..facts() }, DutyKind::RiddorOverSevenDay, true)]
#[case::over_seven_not_a_worker(Facts { work_related: true, over_seven_day_incapacity: true, ..facts() }, DutyKind::RiddorOverSevenDay, false)]
#[case::resident_to_hospital_premises(Facts { work_related: true, hospital_transfer: true, ..facts() }, DutyKind::RiddorNonWorkerHospital, true)]
#[case::resident_to_hospital_not_work(Facts { hospital_transfer: true, ..facts() }, DutyKind::RiddorNonWorkerHospital, false)]
#[case::worker_to_hospital(Facts { resident: false, worker: true, work_related: true, hospital_transfer: true, ..facts() }, DutyKind::RiddorNonWorkerHospital, false)]
// Safeguarding referral and duty of candour.
#[case::referral(Facts { abuse_suspected: true, resident: false, ..facts() }, DutyKind::SafeguardingReferral, true)]
#[case::no_referral(facts(), DutyKind::SafeguardingReferral, false)]
#[case::candour_low(facts(), DutyKind::DutyOfCandour, false)]
#[case::candour_moderate(Facts { severity: "moderate".into(), ..facts() }, DutyKind::DutyOfCandour, true)]
#[case::candour_near_miss(Facts { severity: "high".into(), kind: "near_miss".into(), ..facts() }, DutyKind::DutyOfCandour, false)]
#[case::candour_death(Facts { died: true, ..facts() }, DutyKind::DutyOfCandour, true)]
fn each_duty_applies_exactly_at_its_boundary(
    #[case] f: Facts,
    #[case] duty: DutyKind,
    #[case] applies: bool,
) {
    let got = duties::applying(&f).iter().any(|r| r.duty == duty);
    assert_eq!(got, applies, "{duty} for {f:?}");
}

#[rstest::rstest]
// The clocks go back on 26 Oct 2025: day 10 ends at midnight GMT.
#[case::october_10("2025-10-20T09:00:00Z", "specified", "2025-10-31T00:00:00Z")]
#[case::october_15("2025-10-20T09:00:00Z", "over_seven", "2025-11-05T00:00:00Z")]
// They go forward on 29 Mar 2026: day 10 ends at midnight BST, 23:00 UTC.
#[case::march_10("2026-03-20T12:00:00Z", "specified", "2026-03-30T23:00:00Z")]
#[case::march_15("2026-03-20T12:00:00Z", "over_seven", "2026-04-04T23:00:00Z")]
// 23:30 BST on 1 July (22:30 UTC): day 10 is 11 July, ending at midnight BST.
#[case::late_evening("2025-07-01T22:30:00Z", "specified", "2025-07-11T23:00:00Z")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn riddor_deadlines_are_the_homes_calendar_days_across_a_change_of_clocks(
    #[case] occurred: &str,
    #[case] answer: &str,
    #[case] due: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let desk = peer::desk_at(
        &dir.path().join("loopdesk.db"),
        "http://127.0.0.1:9",
        None,
        client_options(),
    )
    .await;
    let form = IncidentForm {
        subject: "staff".into(),
        person_name: Some("Sam Carter".into()),
        kind: "other".into(),
        severity: "high".into(),
        occurred_at: occurred.into(),
        work_related: true,
        specified_injury: answer == "specified",
        over_seven_day_incapacity: answer == "over_seven",
        ..IncidentForm::default()
    };
    let a = desk.assess_incident(form).await.unwrap();
    let riddor = a
        .duties
        .iter()
        .find(|d| d.duty.as_str().starts_with("riddor"))
        .expect("a RIDDOR duty");
    assert_eq!(riddor.due_at, Some(crate::t(due)), "{occurred} {answer}");
    assert!(
        riddor.clock_words.contains("overdue"),
        "{}",
        riddor.clock_words
    );
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duties_are_advised_at_entry_recorded_and_marked_sent_with_a_reference() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let resident = r.residents[1].0.clone();
    let at = r.clock.now() - TimeDelta::minutes(40);
    let mut form = IncidentForm {
        severity: "high".into(),
        hospital_transfer: true,
        work_related: true,
        notified: vec!["nhs_111_999".into(), "family".into()],
        fall: Some(FallAnswers {
            how: "found_on_floor".into(),
            head_injury: true,
            anticoagulants: true,
            neuro_obs_started: true,
        }),
        body_regions: vec!["head.back".into(), "hip.right".into()],
        ..fall(&resident, "Head injury on warfarin", at)
    };
    let a = d.assess_incident(form.clone()).await.unwrap();
    assert!(
        a.call_999.as_deref().unwrap().contains("999"),
        "999 at once"
    );
    assert!(a.starts_observations);
    let advised: Vec<DutyKind> = a.duties.iter().map(|d| d.duty).collect();
    assert_eq!(
        advised,
        vec![
            DutyKind::CqcSeriousInjury,
            DutyKind::RiddorNonWorkerHospital,
            DutyKind::DutyOfCandour
        ]
    );
    assert!(
        a.duties[0].clock_words.contains("40 min ago"),
        "{}",
        a.duties[0].clock_words
    );
    // Not every answer filled in yet: the advice still comes, nothing is checked.
    let partial = d
        .assess_incident(IncidentForm {
            title: String::new(),
            ..form.clone()
        })
        .await
        .unwrap();
    assert_eq!(partial.duties.len(), 3);
    form.decisions = vec![loopdesk_core::desk::incidents::DutyDecision {
        duty: "riddor_non_worker_hospital".into(),
        decision: "not_needed".into(),
        note: Some("The hoist was checked: it did not contribute".into()),
    }];
    let page = d.save_incident(form, None, None).await.unwrap();
    assert!(page.call_999.is_some());
    assert_eq!(page.duties.len(), 3);
    let riddor = page
        .duties
        .iter()
        .find(|x| x.duty == DutyKind::RiddorNonWorkerHospital)
        .unwrap();
    assert_eq!(riddor.decision.as_deref(), Some("not_needed"));
    assert!(!riddor.open);
    assert!(riddor.due_at.is_some());
    let cqc = page
        .duties
        .iter()
        .find(|x| x.duty == DutyKind::CqcSeriousInjury)
        .unwrap()
        .clone();
    assert!(cqc.open && cqc.due_at.is_none());
    let listed = d
        .list_incidents(IncidentFilter {
            open_duties: Some(true),
            ..IncidentFilter::default()
        })
        .await
        .unwrap();
    assert!(listed.iter().any(|s| s.id == page.id && s.open_duties == 2));
    // A manager marks the CQC notification sent; a blank reference is refused and saves nothing.
    let e = d
        .mark_duty_sent(cqc.id.clone(), " ".into())
        .await
        .unwrap_err();
    assert_eq!(fields(&e), vec!["reference".to_owned()]);
    let page = d
        .mark_duty_sent(cqc.id.clone(), "CQC-NOT-12345".into())
        .await
        .unwrap();
    let cqc = page.duties.iter().find(|x| x.id == cqc.id).unwrap();
    assert_eq!(cqc.reference.as_deref(), Some("CQC-NOT-12345"));
    assert!(!cqc.open && cqc.sent_at.is_some());
    assert!(d
        .mark_duty_sent(cqc.id.clone(), "again".into())
        .await
        .is_err());
    d.shutdown().await;
}

/// The open alerts of `kind`.
async fn open_alerts(d: &Desk, kind: &str) -> Vec<repo::alerts::Alert> {
    d.list_alerts()
        .await
        .unwrap()
        .open
        .into_iter()
        .filter(|a| a.kind == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_fall_observations_are_reminded_once_at_their_time_recorded_missed_and_kept() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = r.desk.clone();
    let resident = r.residents[0].0.clone();
    let start = r.clock.now();
    let page = d
        .save_incident(
            fall(&resident, "Unwitnessed fall", start - TimeDelta::minutes(5)),
            None,
            None,
        )
        .await
        .unwrap();
    let neuro: Vec<_> = page
        .observations
        .iter()
        .filter(|o| o.kind == "neuro")
        .collect();
    assert_eq!(
        neuro.len(),
        17,
        "every 30 min for 2 h, hourly for 4, 2-hourly to 24 h"
    );
    let first = neuro[0].due_at - start;
    assert!(first >= TimeDelta::minutes(29) && first <= TimeDelta::minutes(31));
    assert_eq!(
        page.observations
            .iter()
            .filter(|o| o.kind == "bruising")
            .count(),
        2
    );
    assert!(page
        .observations
        .iter()
        .all(|o| o.state == ObservationState::Upcoming));
    assert!(
        d.remind_due_observations().await.unwrap().is_empty(),
        "nothing due yet"
    );

    // 30 minutes on the desk's clock: the first is due, reminded once (by the desk's own task
    // too, which wakes when the clock moves).
    let mut events = d.alerts().watch();
    r.clock.advance(Duration::from_secs(31 * 60));
    let raised = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(loopdesk_core::alerts::AlertEvent::Raised(a)) = events.recv().await {
                if a.kind == "incident.observation_due" {
                    return a;
                }
            }
        }
    })
    .await
    .expect("the desk's task reminded the first observation");
    assert!(
        raised.title.contains("Neurological observation due"),
        "{}",
        raised.title
    );
    assert!(
        d.remind_due_observations().await.unwrap().is_empty(),
        "once"
    );
    assert_eq!(open_alerts(&d, "incident.observation_due").await.len(), 1);
    let due = d.due_observations().await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].observation.state, ObservationState::Due);
    // Recorded: its reminder closes.
    let e = d
        .record_observation(
            due[0].observation.id.clone(),
            ObservationReading {
                gcs: Some(2),
                ..ObservationReading::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(fields(&e), vec!["gcs".to_owned()]);
    let page = d
        .record_observation(
            due[0].observation.id.clone(),
            ObservationReading {
                pupils: Some("Equal and reactive".into()),
                gcs: Some(15),
                pulse: Some(78),
                ..ObservationReading::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.observations[0].state, ObservationState::Recorded);
    assert!(open_alerts(&d, "incident.observation_due").await.is_empty());

    // An hour later the second is overdue; it is missed with a reason.
    r.clock.advance(Duration::from_secs(30 * 60 + 20 * 60));
    let raised = d.remind_due_observations().await.unwrap();
    assert!(raised.len() <= 1);
    let due = d.due_observations().await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].observation.state, ObservationState::Overdue);
    let e = d
        .miss_observation(due[0].observation.id.clone(), "  ".into())
        .await
        .unwrap_err();
    assert_eq!(fields(&e), vec!["reason".to_owned()]);
    d.miss_observation(
        due[0].observation.id.clone(),
        "She was asleep; checked breathing".into(),
    )
    .await
    .unwrap();
    assert!(d.due_observations().await.unwrap().is_empty());

    // The desk is stopped; two more fall due meanwhile. At the next start each is reminded
    // once, and is still shown until it is resolved.
    let db = r.dir.path().join("loopdesk.db");
    d.shutdown().await;
    drop(d);
    drop(r.desk);
    r.clock.advance(Duration::from_secs(60 * 60));
    let d = open(&db, &peer.url(), r.clock.clone(), false, client_options()).await;
    let open_now = open_alerts(&d, "incident.observation_due").await;
    assert_eq!(open_now.len(), 2, "{open_now:?}");
    assert!(d.remind_due_observations().await.unwrap().is_empty());
    let due = d.due_observations().await.unwrap();
    assert_eq!(due.len(), 2);
    assert!(due.iter().all(|o| o.person.contains(' ')), "who it is for");
    let list = d.list_incidents(IncidentFilter::default()).await.unwrap();
    let mine = list.iter().find(|s| s.id == page.id).unwrap();
    assert!(mine.overdue_observations >= 1);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_incident_alerts_at_once_and_its_webhook_does_not_alert_again() {
    let bridge = crate::alerts::TestBridge::start().await;
    let peer = Peer::start(config(DataSize::Small)).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("loopdesk.db")).unwrap());
    let (url, burl) = (peer.url(), bridge.url.clone());
    store
        .write(move |tx| {
            repo::settings::set_setting(tx, settings::API_BASE_URL, &url)?;
            repo::settings::set_setting(tx, loopdesk_core::alerts::settings::BRIDGE_URL, &burl)
        })
        .unwrap();
    let secrets = MemorySecretStore::with_api_key(Secret::new(DESK_KEY));
    secrets
        .set(
            loopdesk_core::alerts::DEVICE_TOKEN,
            &Secret::new(bridge.token.clone()),
        )
        .unwrap();
    let mut config = DeskConfig::new(Arc::new(secrets));
    config.sync = SyncOptions {
        push_on_write: false,
        ..peer::sync_options()
    };
    config.client = client_options();
    config.alerts.wait = Duration::from_secs(1);
    config.alerts.retry_min = Duration::from_millis(20);
    config.alerts.retry_max = Duration::from_millis(160);
    let d = Desk::open(store.clone(), config).await.unwrap();
    d.sync_now().await.unwrap();
    let location = d.list_locations().await.unwrap()[0].id.clone();
    let l = location.clone();
    store
        .write(move |tx| repo::settings::set_setting(tx, settings::LOCATION_ID, &l))
        .unwrap();
    let resident = d
        .search_residents(None, Some(location.clone()), None, Some(5))
        .await
        .unwrap()[0]
        .id
        .clone();
    let now = Utc::now();
    let events = || {
        store
            .read(repo::bridge_events::count_bridge_events)
            .unwrap()
    };

    // One: the webhook comes after CareLoop's answer (the id is known by then).
    let mut watch = d.alerts().watch();
    let one = d
        .save_incident(
            IncidentForm {
                severity: "critical".into(),
                ..fall(&resident, "Critical fall, answered first", now)
            },
            None,
            None,
        )
        .await
        .unwrap();
    let mut raised_at_once = false;
    while let Ok(event) = watch.try_recv() {
        raised_at_once |= matches!(event, loopdesk_core::alerts::AlertEvent::Raised(ref a) if a.kind == "incident.critical");
    }
    assert!(raised_at_once, "raised at once, before any sync");
    assert_eq!(open_alerts(&d, "incident.critical").await.len(), 1);
    d.sync_now().await.unwrap();
    let server = on_server(&peer, "Critical fall, answered first").await;
    let server_id = server[0]["id"].as_str().unwrap().to_owned();
    let data = |id: &str, title: &str| {
        json!({"incident_id": id, "severity": "critical", "type": "fall",
               "resident_id": resident, "location_id": location, "title": title})
    };
    assert_eq!(
        bridge
            .post(
                "evt_one",
                "incident.critical",
                data(&server_id, "Critical fall, answered first")
            )
            .await,
        200
    );
    crate::alerts::until("the first webhook stored", || (events() == 1).then_some(())).await;
    let open = open_alerts(&d, "incident.critical").await;
    assert_eq!(open.len(), 1, "one incident, one alert: {open:?}");
    assert_eq!(open[0].resource_id.as_deref(), Some(server_id.as_str()));
    assert_eq!(d.get_incident(one.id).await.unwrap().id, server_id);

    // Two: the webhook comes before the desk has CareLoop's answer (pushed elsewhere, answer
    // lost): it is recognised by home, resident and title.
    d.save_incident(
        IncidentForm {
            severity: "critical".into(),
            ..fall(&resident, "Critical fall, webhook first", now)
        },
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(open_alerts(&d, "incident.critical").await.len(), 2);
    assert_eq!(
        bridge
            .post(
                "evt_two",
                "incident.critical",
                data("inc_notyetknown0001", "Critical fall, webhook first")
            )
            .await,
        200
    );
    crate::alerts::until("the second webhook stored", || {
        (events() == 2).then_some(())
    })
    .await;
    assert_eq!(
        open_alerts(&d, "incident.critical").await.len(),
        2,
        "not alerted twice"
    );
    // A critical incident this desk never saw still alerts.
    assert_eq!(
        bridge
            .post(
                "evt_three",
                "incident.critical",
                data("inc_elsewhere00001", "Somewhere else")
            )
            .await,
        200
    );
    crate::alerts::until("the third webhook stored", || (events() == 3).then_some(())).await;
    assert_eq!(open_alerts(&d, "incident.critical").await.len(), 3);

    // A safeguarding incident raises a notice for managers.
    d.save_incident(
        IncidentForm {
            kind: "safeguarding".into(),
            fall: None,
            abuse_suspected: true,
            ..fall(&resident, "Bruising explained by no one", now)
        },
        None,
        None,
    )
    .await
    .unwrap();
    let notices = open_alerts(&d, "incident.safeguarding").await;
    assert_eq!(notices.len(), 1);
    assert!(notices[0].title.contains("manager"));
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_survives_a_restart_and_goes_with_the_save() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let resident = r.residents[0].0.clone();
    let half = IncidentForm {
        title: String::new(),
        ..fall(&resident, "", r.clock.now())
    };
    let draft = r
        .desk
        .save_incident_draft(None, None, half.clone())
        .await
        .unwrap();
    let db = r.dir.path().join("loopdesk.db");
    r.desk.shutdown().await;
    drop(r.desk);
    let d = open(&db, &peer.url(), r.clock.clone(), false, client_options()).await;
    let drafts = d.list_incident_drafts().await.unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].id, draft.id);
    assert_eq!(drafts[0].form, half, "everything typed is there");
    // A refused save keeps the draft; a good one removes it.
    assert!(d
        .save_incident(half.clone(), None, Some(draft.id.clone()))
        .await
        .is_err());
    assert_eq!(d.list_incident_drafts().await.unwrap().len(), 1);
    d.save_incident(
        IncidentForm {
            title: "From the draft".into(),
            ..half
        },
        None,
        Some(draft.id),
    )
    .await
    .unwrap();
    assert!(d.list_incident_drafts().await.unwrap().is_empty());
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_falls_register_counts_sandbox_falls_by_month_and_home_and_finds_repeat_fallers() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    // A resident with two falls in 90 days (and one of them logged here, still unsent).
    let resident = r.residents[2].0.clone();
    let now = r.clock.now();
    d.save_incident(
        fall(&resident, "Register fall one", now - TimeDelta::days(40)),
        None,
        None,
    )
    .await
    .unwrap();
    d.sync_now().await.unwrap();
    d.save_incident(
        fall(&resident, "Register fall two", now - TimeDelta::days(3)),
        None,
        None,
    )
    .await
    .unwrap();

    // What the sandbox has, counted here independently (London months).
    let server: Vec<Value> = peer.all("/v1/incidents", "type=fall").await;
    let zone = chrono_tz::Europe::London;
    let mut months: std::collections::BTreeMap<(String, String), u32> = Default::default();
    let mut per_resident: std::collections::BTreeMap<String, Vec<DateTime<Utc>>> =
        Default::default();
    let mut all_falls: Vec<(String, Option<String>, DateTime<Utc>)> = server
        .iter()
        .map(|i| {
            (
                i["location_id"].as_str().unwrap().to_owned(),
                i["resident_id"].as_str().map(str::to_owned),
                crate::t(i["occurred_at"].as_str().unwrap()),
            )
        })
        .collect();
    all_falls.push((
        r.location.clone(),
        Some(resident.clone()),
        now - TimeDelta::days(3),
    ));
    for (loc, res, at) in &all_falls {
        let month = at.with_timezone(&zone).format("%Y-%m").to_string();
        *months.entry((month, loc.clone())).or_default() += 1;
        if let Some(res) = res {
            per_resident.entry(res.clone()).or_default().push(*at);
        }
    }
    let repeaters: std::collections::BTreeSet<String> = per_resident
        .iter()
        .filter(|(_, ts)| {
            ts.iter()
                .filter(|t| **t > now - TimeDelta::days(90) && **t <= now)
                .count()
                >= 2
        })
        .map(|(r, _)| r.clone())
        .collect();
    assert!(repeaters.contains(&resident));

    let register = d.falls_register().await.unwrap();
    let got: std::collections::BTreeMap<(String, String), u32> = register
        .months
        .iter()
        .map(|m| ((m.month.clone(), m.location_id.clone()), m.count))
        .collect();
    assert_eq!(got, months, "falls per month per home");
    let got_repeaters: std::collections::BTreeSet<String> = register
        .residents
        .iter()
        .filter(|r| r.repeat_faller)
        .map(|r| r.resident_id.clone())
        .collect();
    assert_eq!(got_repeaters, repeaters, "repeat fallers");
    assert!(register.residents[0].repeat_faller, "repeat fallers first");
    let total: usize = register.residents.iter().map(|r| r.falls.len()).sum();
    assert_eq!(total, all_falls.iter().filter(|f| f.1.is_some()).count());

    // The CSV: a header and one row per fall.
    let out = tempfile::tempdir().unwrap();
    let saved = d
        .export_falls_register(out.path().to_owned())
        .await
        .unwrap();
    let mut csv = csv::Reader::from_path(&saved.path).unwrap();
    assert_eq!(csv.headers().unwrap().get(0), Some("Date"));
    assert_eq!(csv.records().count(), all_falls.len());

    // The list filters, and the resident's 90 days.
    let mine = d.resident_incidents(resident.clone()).await.unwrap();
    assert!(mine.iter().any(|s| s.title == "Register fall one"));
    assert!(mine
        .iter()
        .all(|s| s.resident_id.as_deref() == Some(resident.as_str())));
    let falls = d
        .list_incidents(IncidentFilter {
            kind: Some("fall".into()),
            severity: Some("moderate".into()),
            resident_id: Some(resident.clone()),
            from: Some((now - TimeDelta::days(10)).date_naive().to_string()),
            ..IncidentFilter::default()
        })
        .await
        .unwrap();
    let titles: Vec<&str> = falls.iter().map(|s| s.title.as_str()).collect();
    assert!(titles.contains(&"Register fall two"), "{titles:?}");
    assert!(!titles.contains(&"Register fall one"), "{titles:?}");
    assert!(falls
        .iter()
        .all(|s| s.kind == "fall" && s.severity == "moderate"));
    let two = falls
        .iter()
        .find(|s| s.title == "Register fall two")
        .unwrap();
    assert_eq!(two.sync, IncidentSyncState::Pending);
    let e = d
        .list_incidents(IncidentFilter {
            from: Some("last week".into()),
            ..IncidentFilter::default()
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&e), vec!["from".to_owned()]);
    d.shutdown().await;
}
