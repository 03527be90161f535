//! Reception against a real SQLite file and a real sandbox: visitors signing in and out, the
//! returning visitor's phone digits, screening, approval, the automatic sign-out and the
//! retention purge on the desk's clock, staff with their PIN, the fire roll call with the
//! sandbox down, and sign-ins reaching CareLoop exactly once whatever happens to the network or
//! the process.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use loopdesk_core::clock::{Clock, OffsetClock};
use loopdesk_core::desk::reception::{
    HistoryQuery, ReceptionSettings, ReturningTicket, ScreeningWhen, SignInOutcome,
    VisitorSignInForm,
};
use loopdesk_core::desk::staff_lock::Access;
use loopdesk_core::desk::{settings, Desk, DeskConfig};
use loopdesk_core::ipc::{Code, CommandError};
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::store::repo::{self, pins::DeskRole, reception::SignOutKind};
use loopdesk_core::sync::SyncOptions;
use loopdesk_core::Store;
use loopdesk_sandbox::{DataSize, SandboxConfig};
use reqwest::Method;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::peer::{self, client_options, config, Peer, DESK_KEY};

pub(crate) struct Reception {
    pub desk: Arc<Desk>,
    pub clock: Arc<OffsetClock>,
    pub dir: tempfile::TempDir,
    pub location: String,
    /// Current residents of the desk's home: (id, full name, room).
    pub residents: Vec<(String, String, Option<String>)>,
    /// Active staff: (id, full name).
    pub staff: Vec<(String, String)>,
}

/// Opens a desk over `db` talking to `url`, on `clock`.
pub(crate) async fn open(
    db: &std::path::Path,
    url: &str,
    clock: Arc<OffsetClock>,
    push_on_write: bool,
    client: loopdesk_core::api::ClientOptions,
) -> Arc<Desk> {
    let store = Arc::new(Store::open(db).unwrap());
    let url = url.to_owned();
    store
        .write(|tx| repo::settings::set_setting(tx, settings::API_BASE_URL, &url))
        .unwrap();
    let mut config = DeskConfig::new(Arc::new(MemorySecretStore::with_api_key(Secret::new(
        DESK_KEY,
    ))));
    config.sync = SyncOptions {
        push_on_write,
        ..peer::sync_options()
    };
    config.client = client;
    config.clock = clock;
    Desk::open(store, config).await.unwrap()
}

/// A synced desk on its own clock, its home set, no PIN yet (the console is open: setting up).
pub(crate) async fn reception(url: &str) -> Reception {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(OffsetClock::new());
    let desk = open(
        &dir.path().join("loopdesk.db"),
        url,
        clock.clone(),
        false,
        client_options(),
    )
    .await;
    desk.sync_now().await.unwrap();
    let location = desk.list_locations().await.unwrap()[0].id.clone();
    let l = location.clone();
    desk.store()
        .write(|tx| repo::settings::set_setting(tx, settings::LOCATION_ID, &l))
        .unwrap();
    let residents = desk
        .search_residents(
            None,
            Some(location.clone()),
            Some(repo::people::ResidentStatus::Current),
            Some(500),
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.full_name.split_whitespace().count() >= 2)
        .map(|r| (r.id, r.full_name, r.room_number))
        .collect();
    let staff = desk
        .list_staff(Some(location.clone()))
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.status == repo::people::StaffStatus::Active)
        .map(|s| (s.id.clone(), s.full_name.clone()))
        .collect();
    Reception {
        desk,
        clock,
        dir,
        location,
        residents,
        staff,
    }
}

pub(crate) fn visiting_resident(first: &str, surname: &str, resident: &str) -> VisitorSignInForm {
    VisitorSignInForm {
        first_name: first.into(),
        surname: surname.into(),
        phone: Some("07700 900123".into()),
        visiting_kind: "resident".into(),
        visiting_id: Some(resident.into()),
        relationship: Some("daughter".into()),
        ..VisitorSignInForm::default()
    }
}

pub(crate) fn signed_in(
    outcome: SignInOutcome,
) -> loopdesk_core::desk::reception::SignInConfirmation {
    match outcome {
        SignInOutcome::SignedIn { confirmation } => confirmation,
        other => panic!("not signed in: {other:?}"),
    }
}

/// How many rows `table` has.
fn rows(desk: &Desk, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table}");
    desk.store()
        .read(move |c| Ok(c.query_row(&sql, [], |r| r.get(0))?))
        .unwrap()
}

fn queued(desk: &Desk) -> Vec<repo::outbox::OutboxEntry> {
    desk.store()
        .read(|c| repo::outbox::outbox_entries(c, repo::outbox::OutboxStatus::Pending))
        .unwrap()
}

fn fields(e: &CommandError) -> Vec<String> {
    e.fields
        .as_ref()
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default()
}

/// The sandbox's sign-ins whose visitor name is `name`.
async fn on_server(peer: &Peer, name: &str) -> Vec<Value> {
    peer.all("/v1/visitor-sign-ins", "")
        .await
        .into_iter()
        .filter(|v| v["visitor_name"] == json!(name))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_signs_in_and_out_and_careloop_has_it_once() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let (resident, full, _) = r.residents[0].clone();
    let c = signed_in(
        d.sign_in_visitor(visiting_resident("Jane", "Doe", &resident))
            .await
            .unwrap(),
    );
    assert_eq!(c.first_name, "Jane");
    assert!(c.signed_in_words.starts_with("today at "), "{c:?}");
    assert_eq!(c.sign_out_code.len(), 4);
    let family = full.split_whitespace().last().unwrap();
    assert!(
        c.visiting_label.ends_with(&format!(" {}.", &family[..1])),
        "{c:?}"
    );
    // The public list: first name and initial.
    let list = d.kiosk_on_site().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].label, "Jane D.");
    // One sign-in queued; the kiosk did not wait for CareLoop.
    assert_eq!(queued(d).len(), 1);
    // A code that matches nobody.
    let wrong = if c.sign_out_code == "9051" {
        "9052"
    } else {
        "9051"
    };
    let e = d.sign_out_with_code(wrong.into()).await.unwrap_err();
    assert_eq!(fields(&e), ["code"]);
    assert_eq!(d.kiosk_on_site().await.unwrap().len(), 1, "still signed in");
    d.sync_now().await.unwrap();
    let out = d.sign_out_with_code(c.sign_out_code.clone()).await.unwrap();
    assert_eq!(out.label, "Jane D.");
    assert!(d.kiosk_on_site().await.unwrap().is_empty());
    // Signing out twice is refused.
    assert!(d.sign_out_visitor(c.sign_in_id.clone()).await.is_err());
    d.sync_now().await.unwrap();
    assert!(queued(d).is_empty());
    let server = on_server(&peer, "Jane Doe").await;
    assert_eq!(server.len(), 1, "{server:#?}");
    assert_eq!(server[0]["visiting_resident_id"], json!(resident));
    assert_eq!(server[0]["location_id"], json!(r.location));
    assert!(server[0]["signed_out_at"].is_string());
    // Locally the row took CareLoop's id; the kiosk's id still finds it.
    let history = d.visitor_history(HistoryQuery::default()).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].sign_in_id, server[0]["id"].as_str().unwrap());
    assert_eq!(history[0].sign_out_kind, Some(SignOutKind::Code));
    assert!(!history[0].pending_sync);
    assert!(d.visitor_sign_in_status(c.sign_in_id).await.is_ok());
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_answered_beside_the_field_and_saves_nothing() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let resident = r.residents[0].0.clone();
    signed_in(
        d.sign_in_visitor(visiting_resident("Jane", "Doe", &resident))
            .await
            .unwrap(),
    );
    let before: Vec<i64> = [
        "visitor_sign_ins",
        "visitors",
        "outbox",
        "screening_answers",
        "audit_log",
    ]
    .iter()
    .map(|t| rows(d, t))
    .collect();
    let good = visiting_resident("Sam", "Green", &resident);
    let cases: Vec<(&str, VisitorSignInForm, &str)> = vec![
        (
            "empty name",
            VisitorSignInForm {
                first_name: " ".into(),
                ..good.clone()
            },
            "first_name",
        ),
        (
            "absurd name",
            VisitorSignInForm {
                surname: "zzzzzzzz".into(),
                ..good.clone()
            },
            "surname",
        ),
        (
            "digits in a name",
            VisitorSignInForm {
                first_name: "S4m".into(),
                ..good.clone()
            },
            "first_name",
        ),
        (
            "overlong name",
            VisitorSignInForm {
                surname: "G".repeat(51),
                ..good.clone()
            },
            "surname",
        ),
        (
            "unknown resident",
            VisitorSignInForm {
                visiting_id: Some("res_nobody".into()),
                ..good.clone()
            },
            "visiting_id",
        ),
        (
            "no relationship",
            VisitorSignInForm {
                relationship: None,
                ..good.clone()
            },
            "relationship",
        ),
        (
            "overlong relationship",
            VisitorSignInForm {
                relationship: Some("x".repeat(41)),
                ..good.clone()
            },
            "relationship",
        ),
        (
            "odd car registration",
            VisitorSignInForm {
                car_registration: Some("AB12<CD".into()),
                ..good.clone()
            },
            "car_registration",
        ),
        (
            "no phone",
            VisitorSignInForm {
                phone: None,
                ..good.clone()
            },
            "phone",
        ),
        (
            "whom not chosen",
            VisitorSignInForm {
                visiting_kind: "".into(),
                ..good.clone()
            },
            "visiting_kind",
        ),
        (
            "other without purpose",
            VisitorSignInForm {
                visiting_kind: "other".into(),
                visiting_id: None,
                ..good.clone()
            },
            "purpose",
        ),
        (
            "overlong purpose",
            VisitorSignInForm {
                visiting_kind: "other".into(),
                purpose: Some("p".repeat(101)),
                ..good.clone()
            },
            "purpose",
        ),
        (
            "already signed in",
            visiting_resident("jane", "DOE", &resident),
            "first_name",
        ),
        (
            "a made-up ticket",
            VisitorSignInForm {
                returning: Some(ReturningTicket {
                    visitor_id: "v".into(),
                    ticket: "t".into(),
                }),
                ..good.clone()
            },
            "returning",
        ),
    ];
    for (what, form, field) in cases {
        let e = d.sign_in_visitor(form).await.unwrap_err();
        assert_eq!(e.code, Code::InvalidInput, "{what}");
        assert!(fields(&e).contains(&field.to_owned()), "{what}: {e:?}");
        // Words for a person, beside the field.
        let words = &e.fields.as_ref().unwrap()[field];
        assert!(words.len() > 10 && !words.contains("_"), "{what}: {words}");
    }
    let after: Vec<i64> = [
        "visitor_sign_ins",
        "visitors",
        "outbox",
        "screening_answers",
        "audit_log",
    ]
    .iter()
    .map(|t| rows(d, t))
    .collect();
    assert_eq!(before, after, "nothing was saved");
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returning_visitor_is_offered_after_three_letters_and_confirmed_by_phone_digits() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let resident = r.residents[1].0.clone();
    let mut first = visiting_resident("Janet", "Doyle", &resident);
    first.car_registration = Some("ab12 cde".into());
    let c = signed_in(d.sign_in_visitor(first).await.unwrap());
    d.sign_out_visitor(c.sign_in_id).await.unwrap();

    assert!(d
        .find_returning_visitors("Ja".into())
        .await
        .unwrap()
        .is_empty());
    let found = d.find_returning_visitors("jan".into()).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].label, "Janet D.");
    assert!(d.find_returning_visitors("doy".into()).await.unwrap().len() == 1);
    // Nothing but the label and an opaque id: no phone, no surname.
    let shown = serde_json::to_string(&found).unwrap();
    assert!(
        !shown.contains("Doyle") && !shown.contains("900123"),
        "{shown}"
    );
    let id = found[0].visitor_id.clone();

    // Two wrong answers, then the right one.
    for _ in 0..2 {
        let e = d
            .confirm_returning_visitor(id.clone(), Secret::new("999"))
            .await
            .unwrap_err();
        assert!(e.message.contains("try again"), "{e:?}");
    }
    let unknown = d
        .confirm_returning_visitor("nobody".into(), Secret::new("123"))
        .await
        .unwrap_err();
    assert_eq!(
        unknown.message,
        "That does not match our records. Please try again."
    );
    let v = d
        .confirm_returning_visitor(id.clone(), Secret::new("123"))
        .await
        .unwrap();
    assert_eq!(v.first_name, "Janet");
    assert_eq!(v.relationship.as_deref(), Some("daughter"));
    assert_eq!(v.car_registration.as_deref(), Some("AB12 CDE"));
    assert_eq!(
        v.last_visited.as_ref().map(|p| p.id.as_str()),
        Some(resident.as_str())
    );
    assert!(!serde_json::to_string(&v).unwrap().contains("900123"));
    // Signed in with the ticket alone: no name or phone typed.
    let ticket = ReturningTicket {
        visitor_id: v.visitor_id.clone(),
        ticket: v.ticket.clone(),
    };
    let again = VisitorSignInForm {
        returning: Some(ticket.clone()),
        visiting_kind: "resident".into(),
        visiting_id: Some(resident.clone()),
        relationship: v.relationship.clone(),
        ..VisitorSignInForm::default()
    };
    let c2 = signed_in(d.sign_in_visitor(again.clone()).await.unwrap());
    assert_eq!(c2.first_name, "Janet");
    d.sign_out_visitor(c2.sign_in_id).await.unwrap();
    // A ticket is used once.
    let e = d.sign_in_visitor(again).await.unwrap_err();
    assert_eq!(fields(&e), ["returning"]);
    assert_eq!(rows(d, "visitors"), 1, "one profile for the same person");

    // Three wrong answers in a row: the quick way closes, even to the right digits.
    for i in 0..3 {
        let e = d
            .confirm_returning_visitor(id.clone(), Secret::new("000"))
            .await
            .unwrap_err();
        assert_eq!(e.message.contains("type your details"), i == 2, "{e:?}");
    }
    let e = d
        .confirm_returning_visitor(id.clone(), Secret::new("123"))
        .await
        .unwrap_err();
    assert!(e.message.contains("type your details"));
    // A day later on the desk's clock it opens again.
    r.clock.advance(Duration::from_secs(24 * 3600 + 60));
    d.confirm_returning_visitor(id, Secret::new("123"))
        .await
        .unwrap();
    d.shutdown().await;
}

fn outbreak_settings(s: ReceptionSettings) -> ReceptionSettings {
    ReceptionSettings {
        outbreak_mode: true,
        ..s
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yes_to_a_screening_question_signs_no_one_in_and_tells_staff() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let resident = r.residents[0].0.clone();
    // Off by default: no questions.
    let kiosk = d.kiosk_reception().await.unwrap();
    assert!(kiosk.screening_questions.is_empty());
    let s = d.get_reception_settings().await.unwrap();
    assert_eq!(s.screening_when, ScreeningWhen::Outbreak);
    assert_eq!(s.auto_sign_out_time, "23:59");
    assert_eq!(
        (s.visitor_retention_days, s.screening_retention_days),
        (90, 14)
    );
    d.save_reception_settings(outbreak_settings(s))
        .await
        .unwrap();
    let n = d.kiosk_reception().await.unwrap().screening_questions.len();
    assert_eq!(n, 3);

    let mut form = visiting_resident("Pat", "Cough", &resident);
    let e = d.sign_in_visitor(form.clone()).await.unwrap_err();
    assert_eq!(fields(&e), ["screening_answers"], "unanswered");
    form.screening_answers = vec![false, true, false];
    match d.sign_in_visitor(form.clone()).await.unwrap() {
        SignInOutcome::NotToday { guidance } => assert!(guidance.contains("do not visit")),
        other => panic!("{other:?}"),
    }
    assert_eq!(rows(d, "visitor_sign_ins"), 0);
    assert!(queued(d).is_empty());
    assert_eq!(rows(d, "screening_answers"), 1);
    let alerts = d.list_alerts().await.unwrap().open;
    let notice = alerts
        .iter()
        .find(|a| a.kind == "reception.screening")
        .expect("a notice for staff");
    assert!(
        notice.detail.as_deref().unwrap().contains("Pat C."),
        "{notice:?}"
    );
    // All "no": signed in, answers kept with the sign-in.
    form.screening_answers = vec![false, false, false];
    signed_in(d.sign_in_visitor(form).await.unwrap());
    assert_eq!(rows(d, "screening_answers"), 2);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_that_needs_approval_waits_for_staff_in_the_console() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let resident = r.residents[2].0.clone();
    let noted = d
        .set_resident_reception(resident.clone(), true, Some("Needs a wheelchair".into()))
        .await
        .unwrap();
    // Who changed it comes back by name, not by id.
    assert_eq!(
        noted.updated_by.as_deref(),
        Some("the person setting up this desk")
    );
    let outcome = d
        .sign_in_visitor(visiting_resident("Alex", "Waite", &resident))
        .await
        .unwrap();
    let SignInOutcome::WaitForStaff {
        sign_in_id,
        message,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert!(message.contains("a member of staff will come to you"));
    // Not signed in yet: nothing for CareLoop, not in the public list, a notice for staff.
    assert!(queued(d).is_empty());
    assert!(d.kiosk_on_site().await.unwrap().is_empty());
    assert!(d
        .list_alerts()
        .await
        .unwrap()
        .open
        .iter()
        .any(|a| a.kind == "reception.approval"));
    assert!(matches!(
        d.visitor_sign_in_status(sign_in_id.clone()).await.unwrap(),
        SignInOutcome::WaitForStaff { .. }
    ));
    let pending = d.pending_visitor_approvals().await.unwrap();
    assert_eq!(pending.len(), 1);
    let approved = d.approve_visitor(sign_in_id.clone()).await.unwrap();
    assert_eq!(approved.approval, repo::reception::Approval::Approved);
    let c = signed_in(d.visitor_sign_in_status(sign_in_id.clone()).await.unwrap());
    assert_eq!(c.sign_out_code.len(), 4);
    assert_eq!(queued(d).len(), 1, "queued for CareLoop once approved");
    assert!(
        d.list_alerts()
            .await
            .unwrap()
            .open
            .iter()
            .all(|a| a.kind != "reception.approval"),
        "the notice was answered"
    );
    assert!(d.approve_visitor(sign_in_id).await.is_err(), "once");
    // Another is declined: never signed in, nothing sent.
    let SignInOutcome::WaitForStaff { sign_in_id, .. } = d
        .sign_in_visitor(visiting_resident("Bo", "Decline", &resident))
        .await
        .unwrap()
    else {
        panic!()
    };
    d.decline_visitor(sign_in_id.clone()).await.unwrap();
    assert!(matches!(
        d.visitor_sign_in_status(sign_in_id).await.unwrap(),
        SignInOutcome::Declined { .. }
    ));
    assert_eq!(queued(d).len(), 1);
    d.sync_now().await.unwrap();
    assert_eq!(on_server(&peer, "Alex Waite").await.len(), 1);
    assert!(on_server(&peer, "Bo Decline").await.is_empty());
    d.shutdown().await;
}

/// The next `hh:mm` in London after `now`.
fn next_london(now: DateTime<Utc>, h: u32, m: u32) -> DateTime<Utc> {
    let london = chrono_tz::Europe::London;
    let day = now.with_timezone(&london).date_naive();
    let at = |d: chrono::NaiveDate| {
        london
            .from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    };
    if at(day) > now {
        at(day)
    } else {
        at(day.succ_opt().unwrap())
    }
}

fn advance_to(clock: &OffsetClock, at: DateTime<Utc>) {
    let by = (at - clock.now()).to_std().unwrap();
    clock.advance(by);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visitors_left_signed_in_are_signed_out_at_the_homes_time_and_listed_for_the_morning() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let resident = r.residents[0].0.clone();
    let c = signed_in(
        d.sign_in_visitor(visiting_resident("Nora", "Night", &resident))
            .await
            .unwrap(),
    );
    d.sync_now().await.unwrap();
    let cutoff = next_london(r.clock.now(), 23, 59);
    advance_to(&r.clock, cutoff - chrono::TimeDelta::seconds(1));
    d.sign_out_automatically().await.unwrap();
    assert_eq!(d.visitors_on_site().await.unwrap().len(), 1, "not yet");
    r.clock.advance(Duration::from_secs(2));
    d.sign_out_automatically().await.unwrap();
    assert!(d.visitors_on_site().await.unwrap().is_empty());
    let morning = d.automatic_sign_outs().await.unwrap();
    assert_eq!(morning.len(), 1);
    assert_eq!(morning[0].sign_out_kind, Some(SignOutKind::Automatic));
    assert_eq!(
        morning[0].signed_out_at,
        Some(cutoff),
        "at the set time, not when noticed"
    );
    assert!(d
        .list_alerts()
        .await
        .unwrap()
        .open
        .iter()
        .any(|a| a.kind == "reception.automatic_sign_out"));
    // Sent to CareLoop as signed out at that time.
    d.sync_now().await.unwrap();
    let server = on_server(&peer, "Nora Night").await;
    let out = server[0]["signed_out_at"].as_str().unwrap();
    assert_eq!(crate::t(out), cutoff);
    assert!(d.sign_out_visitor(c.sign_in_id).await.is_err());
    assert_eq!(d.review_automatic_sign_outs().await.unwrap(), 1);
    assert!(d.automatic_sign_outs().await.unwrap().is_empty());
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visitor_records_and_screening_answers_are_deleted_after_their_days_with_counts_only() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let resident = r.residents[0].0.clone();
    let s = d.get_reception_settings().await.unwrap();
    d.save_reception_settings(outbreak_settings(s))
        .await
        .unwrap();
    let mut form = visiting_resident("Rita", "Retention", &resident);
    form.screening_answers = vec![false; 3];
    let c = signed_in(d.sign_in_visitor(form).await.unwrap());
    d.sign_out_visitor(c.sign_in_id).await.unwrap();
    d.sync_now().await.unwrap();
    let day = Duration::from_secs(24 * 3600);

    // The desk's own daily purge may run in between: what is left is what counts, and the
    // audit log's counts add up.
    r.clock.advance(day * 14 - Duration::from_secs(60));
    d.purge_reception_records().await.unwrap();
    assert_eq!(rows(d, "screening_answers"), 1, "kept until 14 days");
    r.clock.advance(Duration::from_secs(120));
    d.purge_reception_records().await.unwrap();
    assert_eq!(rows(d, "screening_answers"), 0);
    assert_eq!(rows(d, "visitor_sign_ins"), 1);

    r.clock.advance(day * 76 - Duration::from_secs(120));
    d.purge_reception_records().await.unwrap();
    assert_eq!(rows(d, "visitor_sign_ins"), 1, "kept until 90 days");
    r.clock.advance(Duration::from_secs(120));
    d.purge_reception_records().await.unwrap();
    assert_eq!(rows(d, "visitor_sign_ins") + rows(d, "visitors"), 0);
    let purges: Vec<Value> = d
        .store()
        .read(|c| {
            Ok(repo::audit::audit_entries(c, None, 500)?
                .into_iter()
                .filter(|a| a.action == "reception.purge")
                .filter_map(|a| a.detail)
                .collect())
        })
        .unwrap();
    let sum = |k: &str| purges.iter().map(|p| p[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(
        (sum("sign_ins"), sum("visitors"), sum("screening_answers")),
        (1, 1, 1)
    );
    // The audit log says how many, never who.
    let audit: Vec<String> = d
        .store()
        .read(|c| {
            Ok(repo::audit::audit_entries(c, None, 500)?
                .into_iter()
                .map(|a| format!("{} {:?}", a.action, a.detail))
                .collect())
        })
        .unwrap();
    assert!(
        audit
            .iter()
            .all(|a| !a.contains("Rita") && !a.contains("Retention")),
        "{audit:#?}"
    );
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_answers_carry_nothing_private() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let (resident, full, room) = r.residents[3].clone();
    let family = full.split_whitespace().last().unwrap().to_owned();
    let detail = d.get_resident(resident.clone()).await.unwrap();
    let mut private: Vec<String> = vec![family.clone(), "07700".into(), "900123".into()];
    private.extend(room.clone().filter(|r| r.len() >= 3));
    private.extend(detail.resident.date_of_birth.map(|d| d.to_string()));
    private.extend(
        detail
            .resident
            .contacts
            .iter()
            .filter_map(|c| c.phone.clone()),
    );
    let typed = &full.split_whitespace().next().unwrap()[..3];
    let mut answers: Vec<String> = vec![
        serde_json::to_string(&d.kiosk_find_residents(typed.into()).await.unwrap()).unwrap(),
        serde_json::to_string(&d.kiosk_reception().await.unwrap()).unwrap(),
    ];
    let c = d
        .sign_in_visitor(visiting_resident("Kim", "Kiosk", &resident))
        .await
        .unwrap();
    answers.push(serde_json::to_string(&c).unwrap());
    answers.push(serde_json::to_string(&d.kiosk_on_site().await.unwrap()).unwrap());
    let v = d.find_returning_visitors("Kim".into()).await.unwrap();
    answers.push(serde_json::to_string(&v).unwrap());
    let found = d.kiosk_find_residents(typed.into()).await.unwrap();
    assert!(found.iter().any(|p| p.id == resident), "{found:?}");
    for a in &answers {
        for p in &private {
            assert!(!a.contains(p.as_str()), "{p:?} in {a}");
        }
        for word in ["dnar", "room", "date_of_birth", "contacts", "Kiosk\""] {
            assert!(!a.contains(word), "{word} in {a}");
        }
    }
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_sign_in_at_the_kiosk_with_their_pin_without_unlocking_the_console() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let manager = r.staff[0].0.clone();
    let carer = r.staff[1].0.clone();
    d.set_first_manager_pin(manager.clone(), Secret::new("58273619"))
        .await
        .unwrap();
    d.set_staff_pin(carer.clone(), Secret::new("4471"), DeskRole::Receptionist)
        .await
        .unwrap();
    d.lock_desk().await.unwrap();
    let e = d
        .kiosk_staff_sign_in(carer.clone(), Secret::new("1111"))
        .await
        .unwrap_err();
    assert!(
        e.fields.unwrap()["pin"].contains("4 tries left"),
        "the lock's counter"
    );
    let m = d
        .kiosk_staff_sign_in(carer.clone(), Secret::new("4471"))
        .await
        .unwrap();
    assert!(m.signed_in);
    assert!(m.label.ends_with('.'), "{m:?}");
    assert_eq!(
        d.authorize(Access::Staff(DeskRole::Receptionist))
            .await
            .unwrap_err()
            .code,
        Code::Locked,
        "the console stays locked"
    );
    assert!(
        d.kiosk_staff_sign_in(carer.clone(), Secret::new("4471"))
            .await
            .is_err(),
        "already in"
    );
    d.unlock(manager.clone(), Secret::new("58273619"))
        .await
        .unwrap();
    let on_site = d.staff_on_site().await.unwrap();
    assert_eq!(on_site.len(), 1);
    assert_eq!(on_site[0].staff_id, carer);
    d.lock_desk().await.unwrap();
    let out = d
        .kiosk_staff_sign_out(carer.clone(), Secret::new("4471"))
        .await
        .unwrap();
    assert!(!out.signed_in);
    assert!(d.staff_on_site().await.unwrap().is_empty());
    d.shutdown().await;
}

/// Serves the sandbox at one address that can go down and come back (the push test's way).
struct Switchable {
    socket: std::net::TcpListener,
    url: String,
    config: SandboxConfig,
    running: Option<(CancellationToken, tokio::task::JoinHandle<()>)>,
}

impl Switchable {
    fn new(config: SandboxConfig) -> Self {
        let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let url = format!("http://{}", socket.local_addr().unwrap());
        Self {
            socket,
            url,
            config,
            running: None,
        }
    }

    fn up(&mut self) {
        let listener = tokio::net::TcpListener::from_std(self.socket.try_clone().unwrap()).unwrap();
        let token = CancellationToken::new();
        let config = self.config.clone();
        let t = token.clone();
        let task = tokio::spawn(async move {
            loopdesk_sandbox::run(config, listener, t).await.unwrap();
        });
        self.running = Some((token, task));
    }

    async fn down(&mut self) {
        if let Some((token, task)) = self.running.take() {
            token.cancel();
            task.await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_made_offline_reach_careloop_exactly_once_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Switchable::new(SandboxConfig {
        data_file: Some(dir.path().join("sandbox.db")),
        ..config(DataSize::Small)
    });
    server.up();
    let r = reception(&server.url).await;
    let d = &r.desk;
    server.down().await;
    let resident = r.residents[0].0.clone();
    let names = ["Olive Offline", "Owen Offline", "Oscar Offline"];
    let mut ids = Vec::new();
    for n in names {
        let (first, last) = n.split_once(' ').unwrap();
        let c = signed_in(
            d.sign_in_visitor(visiting_resident(first, last, &resident))
                .await
                .unwrap(),
        );
        ids.push(c.sign_in_id);
    }
    // One leaves before CareLoop is back: the sign-out follows its sign-in.
    d.sign_out_visitor(ids[0].clone()).await.unwrap();
    assert_eq!(queued(d).len(), 4);
    assert!(d.sync_now().await.is_err());
    server.up();
    let peer = Peer::attach_url(&server.url);
    d.sync_now().await.unwrap();
    assert!(queued(d).is_empty());
    for n in names {
        let found = on_server(&peer, n).await;
        assert_eq!(found.len(), 1, "{n} exactly once");
        assert_eq!(found[0]["signed_out_at"].is_string(), n == names[0], "{n}");
    }
    d.shutdown().await;
    server.down().await;
}

#[rstest::rstest]
#[case::keys_honoured(true)]
#[case::keys_ignored(false)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_answers_lost_after_commit_each_sign_in_and_sign_out_happens_once(
    #[case] honoured: bool,
) {
    let peer = Peer::start(SandboxConfig {
        honour_idempotency_keys: honoured,
        ..config(DataSize::Small)
    })
    .await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let resident = r.residents[0].0.clone();
    let names = ["Lola Lost", "Leo Lost", "Liam Lost"];
    let mut ids = Vec::new();
    for n in names {
        let (first, last) = n.split_once(' ').unwrap();
        ids.push(
            signed_in(
                d.sign_in_visitor(visiting_resident(first, last, &resident))
                    .await
                    .unwrap(),
            )
            .sign_in_id,
        );
    }
    d.sign_out_visitor(ids[1].clone()).await.unwrap();
    peer.control(Method::POST, "faults", json!({"drop_after_commit_next": 4}))
        .await;
    let mut cycles = 0;
    while d.sync_now().await.is_err() {
        cycles += 1;
        assert!(cycles < 10, "the outbox drains once answers arrive again");
    }
    assert!(queued(d).is_empty());
    let faults = peer.control(Method::POST, "faults", json!({})).await;
    assert_eq!(faults["drop_after_commit_next"], 0, "{faults}");
    for n in names {
        let found = on_server(&peer, n).await;
        assert_eq!(found.len(), 1, "{n} exactly once");
        assert_eq!(found[0]["signed_out_at"].is_string(), n == names[1], "{n}");
    }
    let writes = peer
        .desk_requests()
        .await
        .into_iter()
        .filter(|r| r["method"] != "GET")
        .count();
    assert_eq!(writes, 4, "no write was sent twice");
    d.shutdown().await;
}

/// Run as a child process by `a_sign_in_survives_a_kill_right_after_it_and_reaches_careloop_once`:
/// signs visitors in on the desk at `LOOPDESK_CHILD_DB`, printing each as soon as "Sign in"
/// answered, pushing as it goes, until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process"]
async fn child_signs_in_until_killed() {
    let db = std::env::var("LOOPDESK_CHILD_DB").expect("LOOPDESK_CHILD_DB");
    let url = std::env::var("LOOPDESK_CHILD_URL").expect("LOOPDESK_CHILD_URL");
    let resident = std::env::var("LOOPDESK_CHILD_RESIDENT").unwrap();
    let desk = open(
        db.as_ref(),
        &url,
        Arc::new(OffsetClock::new()),
        true,
        client_options(),
    )
    .await;
    for i in 0.. {
        let last = format!("Killed{}", char::from(b'a' + (i % 26) as u8));
        let c = desk
            .sign_in_visitor(visiting_resident("Kit", &last, &resident))
            .await
            .unwrap();
        signed_in(c);
        println!("signed=Kit {last}");
    }
}

#[rstest::rstest]
#[case::keys_honoured(true)]
#[case::keys_ignored(false)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_survives_a_kill_right_after_it_and_reaches_careloop_once(
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
    let signed = crate::kill_child_after(
        &peer,
        "reception::child_signs_in_until_killed",
        &[
            ("LOOPDESK_CHILD_DB", &db_arg),
            ("LOOPDESK_CHILD_URL", &url),
            ("LOOPDESK_CHILD_RESIDENT", &resident),
        ],
        "signed=",
        3,
    )
    .await;

    let desk = open(
        &db,
        &peer.url(),
        Arc::new(OffsetClock::new()),
        false,
        client_options(),
    )
    .await;
    // Every sign-in the kiosk confirmed is here.
    let here: Vec<String> = desk
        .visitors_on_site()
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.visitor_name)
        .collect();
    for n in &signed {
        assert!(here.contains(n), "{n} was lost: {here:?}");
    }
    let mut cycles = 0;
    while desk.sync_now().await.is_err() {
        cycles += 1;
        assert!(cycles < 10);
    }
    assert!(queued(&desk).is_empty());
    for n in &here {
        assert_eq!(on_server(&peer, n).await.len(), 1, "{n} exactly once");
    }
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roll_call_lists_everyone_in_the_building_with_the_network_down() {
    let mut server = Switchable::new(config(DataSize::Small));
    server.up();
    let r = reception(&server.url).await;
    let d = &r.desk;
    let (manager, carer) = (r.staff[0].0.clone(), r.staff[1].0.clone());
    d.set_first_manager_pin(manager.clone(), Secret::new("58273619"))
        .await
        .unwrap();
    d.set_staff_pin(carer.clone(), Secret::new("4471"), DeskRole::Receptionist)
        .await
        .unwrap();
    let (out_resident, ..) = r.residents[0].clone();
    let (noted, ..) = r.residents[1].clone();
    d.set_resident_reception(
        noted.clone(),
        false,
        Some("Needs the evacuation chair".into()),
    )
    .await
    .unwrap();
    d.resident_goes_out(out_resident.clone(), "her son David".into())
        .await
        .unwrap();
    server.down().await;
    // CareLoop is down: the kiosk still signs people in, and the roll call needs nothing else.
    d.lock_desk().await.unwrap();
    let visitor = signed_in(
        d.sign_in_visitor(visiting_resident("Vera", "Visitor", &noted))
            .await
            .unwrap(),
    );
    d.kiosk_staff_sign_in(carer.clone(), Secret::new("4471"))
        .await
        .unwrap();
    d.unlock(carer.clone(), Secret::new("4471")).await.unwrap();
    let rc = d.start_roll_call().await.unwrap();
    assert_eq!(rc.visitors.len(), 1);
    assert_eq!(
        rc.visitors[0].key,
        format!("visitor:{}", visitor.sign_in_id)
    );
    assert_eq!(rc.visitors[0].name, "Vera Visitor");
    assert_eq!(rc.staff.len(), 1);
    assert_eq!(rc.staff[0].key, format!("staff:{carer}"));
    assert_eq!(rc.residents_out.len(), 1);
    assert_eq!(rc.residents_out[0].key, format!("resident:{out_resident}"));
    assert!(rc.residents_out[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("her son David"));
    assert_eq!(
        rc.residents_in.len(),
        r.residents.len() - 1,
        "everyone else is in"
    );
    assert!(rc
        .residents_in
        .iter()
        .all(|p| p.key != format!("resident:{out_resident}")));
    let with_notes = rc
        .residents_in
        .iter()
        .find(|p| p.key == format!("resident:{noted}"))
        .unwrap();
    assert_eq!(
        with_notes.notes.as_deref(),
        Some("Needs the evacuation chair")
    );
    assert!(
        with_notes.detail.as_deref().unwrap().starts_with("Room "),
        "{with_notes:?}"
    );
    assert!(
        rc.residents_freshness.contains("today at"),
        "{}",
        rc.residents_freshness
    );
    assert_eq!(rc.in_building as usize, 1 + 1 + r.residents.len() - 1);
    assert_eq!(rc.unaccounted, rc.in_building);
    // Ticks are kept per roll call.
    let rc2 = d
        .tick_roll_call(rc.id.clone(), rc.visitors[0].key.clone(), true)
        .await
        .unwrap();
    assert_eq!(rc2.unaccounted, rc.in_building - 1);
    assert!(rc2.visitors[0].accounted);
    assert!(d
        .tick_roll_call(rc.id.clone(), "visitor:nobody".into(), true)
        .await
        .is_err());
    assert_eq!(d.current_roll_call().await.unwrap().unwrap().accounted, 1);
    // The print: A4 pages, made here.
    let pdf = d.roll_call_pdf(rc.id.clone()).await.unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(pdf.starts_with(b"%PDF-"));
    let pages = text.matches("/MediaBox [0 0 595.28 841.89]").count();
    assert!(pages >= 1, "{pages} pages for {} people", rc.in_building);
    assert!(text.contains(&format!("/Count {pages}")));
    let saved = d
        .save_roll_call_pdf(rc.id.clone(), r.dir.path().join("Downloads"))
        .await
        .unwrap();
    assert!(saved.file_name.starts_with("fire-roll-call-") && saved.file_name.ends_with(".pdf"));
    assert_eq!(
        std::fs::read(&saved.path).unwrap().len() as u64,
        saved.bytes
    );
    // A new desk that never synced: the roll call says so.
    let fresh = tempfile::tempdir().unwrap();
    let never = open(
        &fresh.path().join("loopdesk.db"),
        &server.url,
        Arc::new(OffsetClock::new()),
        false,
        client_options(),
    )
    .await;
    let empty = never.start_roll_call().await.unwrap();
    assert!(
        empty.residents_freshness.contains("never"),
        "{}",
        empty.residents_freshness
    );
    assert_eq!(empty.in_building, 0);
    never.shutdown().await;
    d.end_roll_call(rc.id).await.unwrap();
    assert!(d.current_roll_call().await.unwrap().is_none());
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_is_searched_by_text_and_days_and_exported_as_csv() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = reception(&peer.url()).await;
    let d = &r.desk;
    let resident = r.residents[0].0.clone();
    let a = signed_in(
        d.sign_in_visitor(visiting_resident("Hana", "Hist", &resident))
            .await
            .unwrap(),
    );
    d.staff_sign_out_visitor(a.sign_in_id).await.unwrap();
    let contractor = VisitorSignInForm {
        first_name: "Carl".into(),
        surname: "Contractor".into(),
        phone: Some("+44 7700 900456".into()),
        visiting_kind: "other".into(),
        company: Some("=Acme Boilers".into()),
        purpose: Some("Boiler service".into()),
        car_registration: Some("ab12cde".into()),
        ..VisitorSignInForm::default()
    };
    signed_in(d.sign_in_visitor(contractor).await.unwrap());
    let all = d.visitor_history(HistoryQuery::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    let boiler = d
        .visitor_history(HistoryQuery {
            text: Some("boiler".into()),
            ..HistoryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(boiler.len(), 1);
    assert_eq!(boiler[0].visitor_name, "Carl Contractor");
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    let yesterday = today.pred_opt().unwrap().to_string();
    let none = d
        .visitor_history(HistoryQuery {
            from: Some(yesterday.clone()),
            to: Some(yesterday.clone()),
            ..HistoryQuery::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty());
    let e = d
        .visitor_history(HistoryQuery {
            from: Some("yesterday".into()),
            ..HistoryQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&e), ["from"]);
    let on_site = d.visitors_on_site().await.unwrap();
    assert_eq!(on_site.len(), 1);
    assert!(on_site[0].pending_sync);
    let saved = d
        .export_visitor_history(HistoryQuery::default(), r.dir.path().join("Downloads"))
        .await
        .unwrap();
    let csv = std::fs::read_to_string(&saved.path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("Signed in,Signed out,"));
    assert!(
        csv.contains("'=Acme Boilers"),
        "a formula stays text: {csv}"
    );
    assert!(csv.contains("By staff"));
    d.shutdown().await;
}
