//! The desk facade: local rules, 401/403/422, settings and "Test connection".

use std::sync::Arc;
use std::time::Duration;

use loopdesk_core::desk::{Desk, DeskConfig, ScheduleVisit};
use loopdesk_core::ipc::Code;
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::{MemorySecretStore, SecretStore, API_KEY};
use loopdesk_core::store::repo::{self, care};
use loopdesk_core::sync::Connection;
use loopdesk_core::Store;
use loopdesk_sandbox::{DataSize, KeySpec, SandboxConfig};
use reqwest::Method;
use serde_json::json;

use crate::peer::{
    client_options, config, desk_at, keys, marker, sync_options, Peer, TestDesk, DESK_KEY,
    INSPECTOR_KEY,
};

fn outbox(desk: &Desk) -> Vec<repo::outbox::OutboxEntry> {
    desk.store()
        .read(|c| {
            let mut v = repo::outbox::outbox_entries(c, repo::outbox::OutboxStatus::Pending)?;
            v.extend(repo::outbox::outbox_entries(
                c,
                repo::outbox::OutboxStatus::NeedsAttention,
            )?);
            Ok(v)
        })
        .unwrap()
}

async fn a_visit(desk: &Desk, status: care::VisitStatus) -> care::Visit {
    desk.list_visits(
        "2000-01-01T00:00:00Z".into(),
        "2100-01-01T00:00:00Z".into(),
        None,
    )
    .await
    .unwrap()
    .into_iter()
    .find(|v| v.visit.status == status)
    .unwrap()
    .visit
}

fn schedule(location: &str, staff: &str, notes: &str) -> ScheduleVisit {
    ScheduleVisit {
        location_id: location.into(),
        staff_user_id: staff.into(),
        resident_id: None,
        visit_type: "medication".into(),
        starts_at: crate::ahead(0, "09:00"),
        ends_at: crate::ahead(0, "10:00"),
        notes: Some(notes.into()),
        confirm_past: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_rules_refuse_bad_input_clearly_and_change_nothing() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let d = &t.desk;
    let cancelled = a_visit(d, care::VisitStatus::Cancelled).await;
    let completed = a_visit(d, care::VisitStatus::Completed).await;
    let scheduled = a_visit(d, care::VisitStatus::Scheduled).await;
    let location = d.list_locations().await.unwrap()[0].id.clone();
    let staff = d.list_staff(None).await.unwrap()[0].id.clone();
    let resident = d.search_residents(None, None, None, Some(1)).await.unwrap()[0]
        .id
        .clone();

    let e = d.complete_visit(cancelled.id.clone()).await.unwrap_err();
    assert_eq!(e.code, Code::InvalidInput);
    assert_eq!(e.message, "A visit that is cancelled cannot be completed.");
    let e = d.confirm_visit(completed.id.clone()).await.unwrap_err();
    assert_eq!(e.message, "A visit that is completed cannot be confirmed.");
    let e = d
        .cancel_visit(scheduled.id.clone(), "  ".into())
        .await
        .unwrap_err();
    assert_eq!(
        e.fields.unwrap()["reason"],
        "Enter why the visit is cancelled"
    );
    let e = d
        .cancel_visit(scheduled.id.clone(), "x".repeat(1001))
        .await
        .unwrap_err();
    assert_eq!(
        e.fields.unwrap()["reason"],
        "Enter a reason of 1,000 characters or fewer"
    );
    let e = d.confirm_visit("vis_nope".into()).await.unwrap_err();
    assert_eq!(e.code, Code::NotFound);

    let mut bad = schedule(&location, &staff, "x");
    bad.ends_at = crate::ahead(0, "08:00");
    bad.visit_type = "dancing".into();
    bad.staff_user_id = "stf_nobody".into();
    let e = d.schedule_visit(bad).await.unwrap_err();
    assert_eq!(e.code, Code::InvalidInput);
    let fields = e.fields.unwrap();
    assert_eq!(fields["ends_at"], "The end must be after the start");
    assert!(fields.contains_key("visit_type") && fields.contains_key("staff_user_id"));
    let mut bad = schedule(&location, &staff, "x");
    bad.starts_at = "tomorrow".into();
    assert!(d
        .schedule_visit(bad)
        .await
        .unwrap_err()
        .fields
        .unwrap()
        .contains_key("starts_at"));

    let e = d
        .add_care_note(resident.clone(), " \n ".into(), "mood".into())
        .await
        .unwrap_err();
    assert!(e.fields.unwrap().contains_key("body"));
    let e = d
        .add_care_note(resident.clone(), "ok".into(), "gossip".into())
        .await
        .unwrap_err();
    assert!(e.fields.unwrap().contains_key("category"));
    let e = d
        .add_care_note("res_nobody".into(), "ok".into(), "mood".into())
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::NotFound);
    let e = d
        .list_visits("yesterday".into(), "2100-01-01T00:00:00Z".into(), None)
        .await
        .unwrap_err();
    assert!(e.fields.unwrap().contains_key("from"));

    assert!(outbox(d).is_empty(), "nothing was queued");
    assert_eq!(a_visit(d, care::VisitStatus::Cancelled).await, cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_key_stops_pushing_and_says_so() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let visit = a_visit(&t.desk, care::VisitStatus::Scheduled).await;
    t.desk.shutdown().await;
    let desk = desk_at(
        &t.db(),
        &peer.url(),
        Some("cl_test_revoked_key_000000"),
        client_options(),
    )
    .await;
    desk.confirm_visit(visit.id.clone()).await.unwrap();

    let e = desk.sync_now().await.unwrap_err();
    assert_eq!(e.code, Code::AuthFailed);
    let status = desk.sync_status().await.unwrap();
    assert_eq!(status.connection, Connection::AuthFailed);
    assert!(status.message.unwrap().starts_with("API key invalid"));
    assert_eq!(status.queued, 1);
    let entries = outbox(&desk);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].status, repo::outbox::OutboxStatus::Pending);
    assert!(entries[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("API key invalid"));
    assert_eq!(
        peer.get(&format!("/v1/visits/{}", visit.id)).await["status"],
        "scheduled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_without_write_scope_keeps_the_write_and_a_pull_never_overwrites_it() {
    let reader = &[
        "read:residents",
        "read:staff",
        "read:visits",
        "read:incidents",
        "read:courses",
    ];
    let peer = Peer::start(SandboxConfig {
        keys: keys(reader),
        ..config(DataSize::Small)
    })
    .await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let mine = a_visit(&t.desk, care::VisitStatus::Scheduled).await;
    let other = t
        .desk
        .list_visits(
            "2000-01-01T00:00:00Z".into(),
            "2100-01-01T00:00:00Z".into(),
            None,
        )
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.visit.id != mine.id && v.visit.status == care::VisitStatus::Scheduled)
        .unwrap()
        .visit;
    t.desk.confirm_visit(mine.id.clone()).await.unwrap();
    // Meanwhile, on the server, both visits change.
    for id in [&mine.id, &other.id] {
        peer.control(
            Method::PATCH,
            &format!("visits/{id}"),
            json!({"notes": "changed on the server"}),
        )
        .await;
    }

    let e = t.desk.sync_now().await.unwrap_err();
    assert_eq!(e.code, Code::AuthFailed);
    assert_eq!(e.message, "API key lacks scope write:visits");
    let status = t.desk.sync_status().await.unwrap();
    assert_eq!(status.connection, Connection::AuthFailed);
    assert_eq!(
        status.message.as_deref(),
        Some("API key lacks scope write:visits")
    );

    let local = |id: String| {
        let store = t.desk.store().clone();
        store
            .read(move |c| care::get_visit(c, &id))
            .unwrap()
            .unwrap()
    };
    // The pull ran (the other visit changed) but left the pending one as the desk has it.
    assert_eq!(
        local(other.id.clone()).notes.as_deref(),
        Some("changed on the server")
    );
    let kept = local(mine.id.clone());
    assert_eq!(kept.status, care::VisitStatus::Confirmed);
    assert_eq!(kept.notes, mine.notes);
    let views = t
        .desk
        .list_visits(
            "2000-01-01T00:00:00Z".into(),
            "2100-01-01T00:00:00Z".into(),
            None,
        )
        .await
        .unwrap();
    assert!(
        views
            .iter()
            .find(|v| v.visit.id == mine.id)
            .unwrap()
            .pending
    );
    assert_eq!(outbox(&t.desk).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_write_needs_attention_holds_back_its_entity_and_can_be_fixed() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let d = &t.desk;
    let location = d.list_locations().await.unwrap()[0].id.clone();
    let staff = d.list_staff(Some(location.clone())).await.unwrap();
    let (gone, stays) = (staff[0].id.clone(), staff[1].id.clone());
    let resident = d.search_residents(None, None, None, Some(1)).await.unwrap()[0]
        .id
        .clone();
    // The staff member leaves on the server; this desk does not know yet.
    peer.control(Method::DELETE, &format!("staff/{gone}"), json!({}))
        .await;
    let notes = marker("parked");
    let v = d
        .schedule_visit(schedule(&location, &gone, &notes))
        .await
        .unwrap();
    d.confirm_visit(v.visit.id.clone()).await.unwrap();
    let body = marker("goes-through");
    d.add_care_note(resident.clone(), body.clone(), "health".into())
        .await
        .unwrap();

    d.sync_now().await.unwrap();

    let status = d.sync_status().await.unwrap();
    assert_eq!((status.queued, status.needs_attention), (1, 1));
    let attention = d.outbox_attention().await.unwrap();
    assert_eq!(attention.len(), 1);
    let parked = &attention[0];
    assert_eq!(parked.entry.op, "visit.create");
    assert_eq!(
        parked.entry.field_errors,
        Some(json!({"staff_user_id": "not_found"}))
    );
    assert!(
        parked
            .description
            .starts_with("Schedule a medication visit"),
        "{}",
        parked.description
    );
    assert!(parked
        .entry
        .last_error
        .as_deref()
        .unwrap()
        .contains("staff_user_id"));
    // The other entity went through; the parked one's confirm waits behind it.
    let server_notes = peer
        .all(&format!("/v1/residents/{resident}/care-notes"), "")
        .await;
    assert_eq!(
        server_notes
            .iter()
            .filter(|n| n["body"] == json!(body))
            .count(),
        1
    );
    assert!(peer
        .all("/v1/visits", "")
        .await
        .iter()
        .all(|s| s["notes"] != json!(notes)));

    // Only a parked entry can be resubmitted; a bad correction is refused.
    let e = d
        .resubmit_outbox_entry(parked.entry.seq + 1, json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::NotFound);
    let mut fixed = parked.entry.payload.clone();
    fixed["staff_user_id"] = json!("stf_nobody");
    let e = d
        .resubmit_outbox_entry(parked.entry.seq, fixed.clone())
        .await
        .unwrap_err();
    assert!(e.fields.unwrap().contains_key("staff_user_id"));
    fixed["staff_user_id"] = json!(stays);
    d.resubmit_outbox_entry(parked.entry.seq, fixed)
        .await
        .unwrap();
    // The corrected request is another request: it goes out under a new Idempotency-Key, so
    // it cannot collide with the refused one.
    let again = outbox(d)
        .into_iter()
        .find(|e| e.seq == parked.entry.seq)
        .unwrap();
    assert_ne!(again.client_id, parked.entry.client_id);
    d.sync_now().await.unwrap();

    assert!(outbox(d).is_empty());
    let on_server: Vec<_> = peer
        .all("/v1/visits", "")
        .await
        .into_iter()
        .filter(|s| s["notes"] == json!(notes))
        .collect();
    assert_eq!(on_server.len(), 1);
    assert_eq!(on_server[0]["staff_user_id"], json!(stays));
    assert_eq!(on_server[0]["status"], "confirmed");
    let status = d.sync_status().await.unwrap();
    assert_eq!((status.queued, status.needs_attention), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_says_what_the_key_can_read_and_write_and_creates_nothing() {
    let limited = "cl_test_limited_0123456789abcdef";
    let mut keys = keys(&["admin"]);
    keys.push(KeySpec {
        token: limited.into(),
        scopes: vec!["read:residents".into(), "write:care-notes".into()],
    });
    let peer = Peer::start(SandboxConfig {
        keys,
        ..config(DataSize::Small)
    })
    .await;
    let visits_before = peer.total("/v1/visits", "").await;
    let dir = tempfile::tempdir().unwrap();
    let url = peer.url();
    let open = |key: &'static str, n: usize| {
        let (db, url) = (dir.path().join(format!("{n}.db")), url.clone());
        async move { desk_at(&db, &url, Some(key), client_options()).await }
    };

    let admin = open(DESK_KEY, 0).await.test_connection().await.unwrap();
    assert!(admin.ok, "{}", admin.message);
    assert_eq!(
        admin.can_read,
        [
            "locations",
            "residents",
            "staff",
            "certifications",
            "courses",
            "visits",
            "incidents"
        ]
    );
    assert_eq!(
        admin.can_write,
        [
            "visits",
            "care_notes",
            "incidents",
            "certifications",
            "visitor_sign_ins"
        ]
    );
    let some = open(limited, 1).await.test_connection().await.unwrap();
    assert!(some.ok);
    assert_eq!(some.can_read, ["locations", "residents"]);
    assert_eq!(some.can_write, ["care_notes"]);
    assert_eq!(
        some.message,
        "Connected. This key can read locations, residents and write care notes."
    );
    let wrong = open("cl_test_wrong_0000000000000", 2)
        .await
        .test_connection()
        .await
        .unwrap();
    assert!(!wrong.ok);
    assert!(wrong.message.starts_with("API key invalid"));

    assert_eq!(
        peer.total("/v1/visits", "").await,
        visits_before,
        "nothing was created"
    );
    let _ = INSPECTOR_KEY;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_keep_the_key_in_the_secret_store_only() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("loopdesk.db");
    let secrets = Arc::new(MemorySecretStore::new());
    let mut config = DeskConfig::new(secrets.clone());
    config.sync = sync_options();
    config.client = client_options();
    let desk = Desk::open(Arc::new(Store::open(&db).unwrap()), config)
        .await
        .unwrap();

    assert_eq!(
        desk.sync_status().await.unwrap().connection,
        Connection::NotConfigured
    );
    assert_eq!(desk.sync_now().await.unwrap_err().code, Code::NotConfigured);
    let not_yet = desk.test_connection().await.unwrap();
    assert!(!not_yet.ok);
    let e = desk
        .save_settings("careloop dot com".into(), None, Some(Secret::new(DESK_KEY)))
        .await
        .unwrap_err();
    assert!(e.fields.unwrap().contains_key("api_base_url"));
    assert!(
        secrets.get(API_KEY).unwrap().is_none(),
        "a refused save stores nothing"
    );

    let mut status = desk.status_watch();
    let view = desk
        .save_settings(
            peer.url(),
            Some("loc_x".into()),
            Some(Secret::new(DESK_KEY)),
        )
        .await
        .unwrap();
    assert_eq!(view.api_key_hint.as_deref(), Some("…4f9e"));
    assert_eq!(view.api_base_url.as_deref(), Some(peer.url().as_str()));
    assert_eq!(view.location_id.as_deref(), Some("loc_x"));
    assert!(!view.demo);
    assert_eq!(secrets.get(API_KEY).unwrap().unwrap().expose(), DESK_KEY);
    // Saving starts a sync with the new settings.
    tokio::time::timeout(
        Duration::from_secs(60),
        status.wait_for(|s| s.connection == Connection::Online),
    )
    .await
    .expect("the desk came online")
    .unwrap();
    // A later save without a key keeps the stored one.
    let view = desk.save_settings(peer.url(), None, None).await.unwrap();
    assert_eq!(view.api_key_hint.as_deref(), Some("…4f9e"));
    assert_eq!(view.location_id, None);
    desk.shutdown().await;

    // The key is nowhere in the data file (nor its write-ahead log).
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes
            .windows(DESK_KEY.len())
            .any(|w| w == DESK_KEY.as_bytes()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_a_resident_refreshes_their_care_notes_in_the_background() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let resident = t
        .desk
        .search_residents(None, None, None, Some(1))
        .await
        .unwrap()[0]
        .id
        .clone();
    let body = marker("written-elsewhere");
    let (status, _) = peer
        .send(
            Method::POST,
            &format!("/v1/residents/{resident}/care-notes"),
            json!({"category": "family", "body": body, "author_name": "Nurse Jo"}),
        )
        .await;
    assert_eq!(status, 201);
    let first = t.desk.get_resident(resident.clone()).await.unwrap();
    assert!(first.location_name.is_some());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let detail = t.desk.get_resident(resident.clone()).await.unwrap();
        if let Some(n) = detail.care_notes.iter().find(|n| n.note.body == body) {
            assert!(!n.pending);
            assert_eq!(n.note.author_name, "Nurse Jo");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the note never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_create_can_be_discarded_with_what_depends_on_it() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let d = &t.desk;
    let location = d.list_locations().await.unwrap()[0].id.clone();
    let gone = d.list_staff(Some(location.clone())).await.unwrap()[0]
        .id
        .clone();
    peer.control(Method::DELETE, &format!("staff/{gone}"), json!({}))
        .await;
    let notes = marker("discarded");
    let v = d
        .schedule_visit(schedule(&location, &gone, &notes))
        .await
        .unwrap();
    d.confirm_visit(v.visit.id.clone()).await.unwrap();
    d.sync_now().await.unwrap();
    let parked = d.outbox_attention().await.unwrap().remove(0);
    // A pending entry is not discarded.
    let pending = outbox(d)
        .into_iter()
        .find(|e| e.status == repo::outbox::OutboxStatus::Pending)
        .unwrap();
    assert_eq!(
        d.discard_outbox_entry(pending.seq).await.unwrap_err().code,
        Code::NotFound
    );

    d.discard_outbox_entry(parked.entry.seq).await.unwrap();

    assert!(
        outbox(d).is_empty(),
        "the create and the confirm behind it are gone"
    );
    let store = d.store().clone();
    let id = v.visit.id.clone();
    assert!(store
        .read(move |c| care::get_visit(c, &id))
        .unwrap()
        .is_none());
    let status = d.sync_status().await.unwrap();
    assert_eq!((status.queued, status.needs_attention), (0, 0));
    let audit = store
        .read(|c| repo::audit::audit_entries(c, None, 5))
        .unwrap();
    assert!(audit.iter().any(|a| a.action == "outbox.discard"));
    d.sync_now().await.unwrap();
    assert!(peer
        .all("/v1/visits", "")
        .await
        .iter()
        .all(|s| s["notes"] != json!(notes)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_that_is_set_up_says_connecting_until_careloop_answers() {
    // A listener that accepts connections but never answers: CareLoop has not replied yet.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecretStore::new());
    let mut config = DeskConfig::new(secrets.clone());
    config.sync = sync_options();
    config.client = client_options();
    let desk = Desk::open(
        Arc::new(Store::open(dir.path().join("loopdesk.db")).unwrap()),
        config,
    )
    .await
    .unwrap();
    assert_eq!(
        desk.sync_status().await.unwrap().connection,
        Connection::NotConfigured
    );
    desk.save_settings(url, None, Some(Secret::new(DESK_KEY)))
        .await
        .unwrap();
    let status = desk.sync_status().await.unwrap();
    assert_eq!(
        status.connection,
        Connection::Connecting,
        "set up but not yet answered is neither 'not set up' nor 'online'"
    );
    assert_eq!(status.message, None);
    desk.shutdown().await;
}

#[rstest::rstest]
#[case::a_year_long("2025-01-01T10:00:00Z", "2026-01-01T10:00:00Z", "ends_at", "24 hours")]
#[case::a_day_and_a_minute("2026-12-01T10:00:00Z", "2026-12-02T10:01:00Z", "ends_at", "24 hours")]
#[case::year_9999(
    "9999-12-31T10:00:00Z",
    "9999-12-31T11:00:00Z",
    "starts_at",
    "a year ahead"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impossible_visits_are_refused_beside_the_field(
    #[case] starts: &str,
    #[case] ends: &str,
    #[case] field: &str,
    #[case] says: &str,
) {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let d = &t.desk;
    let location = d.list_locations().await.unwrap()[0].id.clone();
    let staff = d.list_staff(None).await.unwrap()[0].id.clone();
    let mut visit = schedule(&location, &staff, "impossible");
    visit.starts_at = starts.into();
    visit.ends_at = ends.into();
    visit.confirm_past = Some(true);
    let e = d.schedule_visit(visit).await.unwrap_err();
    assert_eq!(e.code, Code::InvalidInput);
    let fields = e.fields.unwrap();
    assert!(fields[field].contains(says), "{fields:?}");
    assert!(outbox(d).is_empty(), "nothing was queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_that_started_in_the_past_is_saved_only_once_confirmed_and_is_no_missed_visit() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let d = &t.desk;
    let location = d.list_locations().await.unwrap()[0].id.clone();
    let staff = d.list_staff(None).await.unwrap()[0].id.clone();
    let notes = marker("happened");
    let mut visit = schedule(&location, &staff, &notes);
    let started = chrono::Utc::now() - chrono::TimeDelta::hours(3);
    visit.starts_at = loopdesk_core::store::repo::ts(&started);
    visit.ends_at = loopdesk_core::store::repo::ts(&(started + chrono::TimeDelta::hours(1)));
    // Asked first, saved nothing.
    let e = d.schedule_visit(visit.clone()).await.unwrap_err();
    assert_eq!(e.code, Code::NeedsConfirmation);
    // Three hours ago is yesterday just after midnight in the home (Europe/London).
    let home =
        |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&chrono_tz::Europe::London).date_naive();
    let day = if home(started) == home(chrono::Utc::now()) {
        "today at"
    } else {
        "yesterday at"
    };
    assert!(e.message.contains(day), "{day}: {}", e.message);
    assert!(e.fields.unwrap().contains_key("starts_at"));
    assert!(outbox(d).is_empty());
    // Confirmed: saved, and CareLoop takes it without calling it a missed visit.
    visit.confirm_past = Some(true);
    d.schedule_visit(visit).await.unwrap();
    d.sync_now().await.unwrap();
    peer.control(Method::POST, "clock/advance", json!({"seconds": 3600}))
        .await;
    let on_server: Vec<_> = peer
        .all("/v1/visits", "")
        .await
        .into_iter()
        .filter(|v| v["notes"] == json!(notes))
        .collect();
    assert_eq!(on_server.len(), 1);
    assert_eq!(on_server[0]["status"], "scheduled", "not a no-show");
}
