//! The outbox operations against a real sandbox: which entries a refused one holds back, which
//! refusals park an entry, and what an acknowledgement does to the local row. Each test pins a
//! behaviour of `sync::push` and the operations that mutation testing (`make mutants`) checks.

use std::sync::Arc;
use std::time::Duration;

use loopdesk_core::clock::{Clock, OffsetClock};
use loopdesk_core::desk::{Desk, DeskConfig};
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::store::repo::{self, care};
use loopdesk_core::sync::{Connection, SyncOptions};
use loopdesk_core::Store;
use loopdesk_sandbox::DataSize;
use reqwest::Method;
use serde_json::{json, Value};

use crate::peer::{self, client_options, config, marker, Peer, TestDesk, DESK_KEY};

/// A desk that has pulled everything once, reopened so that each write is pushed on its own
/// (and nothing is pulled after it: what the row shows is what the push left there).
async fn pushing_desk(peer: &Peer) -> (Arc<Desk>, tempfile::TempDir) {
    let t = TestDesk::new(peer).await;
    t.desk.sync_now().await.unwrap();
    t.desk.shutdown().await;
    let store = Arc::new(Store::open(t.db()).unwrap());
    let mut config = DeskConfig::new(Arc::new(MemorySecretStore::with_api_key(Secret::new(
        DESK_KEY,
    ))));
    config.sync = SyncOptions {
        push_on_write: true,
        ..peer::sync_options()
    };
    config.client = client_options();
    let desk = Desk::open(store, config).await.unwrap();
    (desk, t.dir)
}

/// Waits until nothing is pending and the last push succeeded.
async fn pushed(desk: &Desk) {
    let mut status = desk.status_watch();
    tokio::time::timeout(
        Duration::from_secs(60),
        status.wait_for(|s| s.queued == 0 && s.connection == Connection::Online),
    )
    .await
    .expect("the writes were pushed within a minute")
    .unwrap();
}

/// CareLoop answers its next `count` requests with `status` (0: no more failures).
async fn fail_next(peer: &Peer, count: u32, status: u16) {
    peer.control(
        Method::POST,
        "faults",
        json!({"fail_next": {"count": count, "status": status}}),
    )
    .await;
}

async fn scheduled_visits(desk: &Desk, n: usize) -> Vec<care::Visit> {
    let visits: Vec<_> = desk
        .list_visits(
            "2000-01-01T00:00:00Z".into(),
            "2100-01-01T00:00:00Z".into(),
            None,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.visit)
        // Two days ahead at least: tests move the sandbox's clock a day on.
        .filter(|v| {
            v.status == care::VisitStatus::Scheduled
                && v.starts_at > chrono::Utc::now() + chrono::TimeDelta::days(2)
        })
        .take(n)
        .collect();
    assert_eq!(
        visits.len(),
        n,
        "the sandbox has {n} future scheduled visits"
    );
    visits
}

fn local_visit(desk: &Desk, id: &str) -> care::Visit {
    desk.store()
        .read(|c| care::get_visit(c, id))
        .unwrap()
        .unwrap()
}

fn entries(desk: &Desk) -> Vec<repo::outbox::OutboxEntry> {
    desk.store()
        .read(|c| {
            let mut all = repo::outbox::outbox_entries(c, repo::outbox::OutboxStatus::Pending)?;
            all.extend(repo::outbox::outbox_entries(
                c,
                repo::outbox::OutboxStatus::NeedsAttention,
            )?);
            all.sort_by_key(|e| e.seq);
            Ok(all)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_entry_holds_back_only_the_later_changes_of_its_own_row() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let d = &t.desk;
    let [a, b] = <[care::Visit; 2]>::try_from(scheduled_visits(d, 2).await).unwrap();

    // Queued in this order: A confirmed, B confirmed, A completed.
    d.confirm_visit(a.id.clone()).await.unwrap();
    d.confirm_visit(b.id.clone()).await.unwrap();
    d.complete_visit(a.id.clone()).await.unwrap();
    // CareLoop refuses the first request for good (400: not a retryable failure).
    fail_next(&peer, 1, 400).await;
    d.sync_now().await.unwrap();

    // B, another row of the same kind queued after the refusal, went through...
    let server_b = peer.get(&format!("/v1/visits/{}", b.id)).await;
    assert_eq!(server_b["status"], "confirmed");
    // ...A's later change waits behind its refused one, and A is as it was on CareLoop.
    let server_a = peer.get(&format!("/v1/visits/{}", a.id)).await;
    assert_eq!(server_a["status"], "scheduled");
    let left = entries(d);
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.iter().all(|e| e.entity_id == a.id));
    let parked = &left[0];
    assert_eq!(parked.status, repo::outbox::OutboxStatus::NeedsAttention);
    assert_eq!(parked.payload["status"], "confirmed");
    assert!(
        parked
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("400")),
        "{parked:?}"
    );
    assert_eq!(left[1].status, repo::outbox::OutboxStatus::Pending);
    let status = d.sync_status().await.unwrap();
    assert_eq!((status.queued, status.needs_attention), (1, 1));

    // Another push does not send A's later change either.
    d.sync_now().await.unwrap();
    let server_a = peer.get(&format!("/v1/visits/{}", a.id)).await;
    assert_eq!(server_a["status"], "scheduled");
}

#[rstest::rstest]
#[case::conflict(409)]
#[case::gone(410)]
#[case::bad_request(400)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_that_is_not_422_or_404_is_parked_not_retried_for_ever(#[case] status: u16) {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let d = &t.desk;
    let body = marker("refused");
    let resident = d.search_residents(None, None, None, Some(1)).await.unwrap()[0]
        .id
        .clone();
    d.add_care_note(resident, body, "mood".into())
        .await
        .unwrap();
    fail_next(&peer, 1, status).await;
    // The push finishes (the pull after it runs too) instead of failing on a retryable error.
    d.sync_now().await.unwrap();
    let left = entries(d);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].status, repo::outbox::OutboxStatus::NeedsAttention);
    assert_eq!(left[0].attempts, 1, "sent once, not retried");
    let status_now = d.sync_status().await.unwrap();
    assert_eq!(status_now.connection, Connection::Online);
    assert_eq!(status_now.needs_attention, 1);
}

/// Discarding a refused change (not a create) gives the row back to CareLoop: the row stays,
/// only that entry goes, and the next pull shows the row as CareLoop has it. (A create's row
/// would go with it: `a_refused_create_can_be_discarded_with_what_depends_on_it`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discarded_refused_change_keeps_the_row_and_shows_careloops_version() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let d = &t.desk;
    let [v] = <[care::Visit; 1]>::try_from(scheduled_visits(d, 1).await).unwrap();
    // Cancelled on CareLoop meanwhile: confirming it there is refused (422).
    let (status, _) = peer
        .send(
            Method::PATCH,
            &format!("/v1/visits/{}", v.id),
            json!({"status": "cancelled", "cancel_reason": "family visit"}),
        )
        .await;
    assert_eq!(status, 200);
    d.confirm_visit(v.id.clone()).await.unwrap();
    d.sync_now().await.unwrap();
    let parked = d.outbox_attention().await.unwrap().remove(0);
    assert_eq!(parked.entry.entity_id, v.id);

    d.discard_outbox_entry(parked.entry.seq).await.unwrap();

    assert!(entries(d).is_empty());
    let kept = local_visit(d, &v.id);
    assert_eq!(
        kept.status,
        care::VisitStatus::Confirmed,
        "until the next pull"
    );
    d.sync_now().await.unwrap();
    let now = local_visit(d, &v.id);
    assert_eq!(
        now.status,
        care::VisitStatus::Cancelled,
        "CareLoop's version"
    );
    assert_eq!(now.cancel_reason.as_deref(), Some("family visit"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_change_leaves_the_servers_copy_in_the_row() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let (desk, _dir) = pushing_desk(&peer).await;
    let [v] = <[care::Visit; 1]>::try_from(scheduled_visits(&desk, 1).await).unwrap();
    // The sandbox's clock runs a day ahead: what it stamps cannot be the desk's own time.
    peer.control(Method::POST, "clock/advance", json!({"seconds": 86_400}))
        .await;
    desk.confirm_visit(v.id.clone()).await.unwrap();
    pushed(&desk).await;

    let server = peer.get(&format!("/v1/visits/{}", v.id)).await;
    let local = local_visit(&desk, &v.id);
    assert_eq!(server["status"], "confirmed");
    assert_eq!(local.status, care::VisitStatus::Confirmed);
    assert_eq!(
        json!(repo::ts(&local.updated_at)),
        server["updated_at"],
        "the row took CareLoop's copy"
    );
    assert_eq!(
        local.confirmed_at.map(|t| json!(repo::ts(&t))),
        Some(server["confirmed_at"].clone())
    );
    assert!(entries(&desk).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_care_note_takes_the_servers_id_and_copy() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let (desk, _dir) = pushing_desk(&peer).await;
    let resident = desk
        .search_residents(None, None, None, Some(1))
        .await
        .unwrap()[0]
        .id
        .clone();
    peer.control(Method::POST, "clock/advance", json!({"seconds": 86_400}))
        .await;
    let body = marker("acknowledged");
    let local = desk
        .add_care_note(resident.clone(), body.clone(), "health".into())
        .await
        .unwrap();
    assert!(local.pending);
    pushed(&desk).await;

    let on_server: Vec<Value> = peer
        .all(&format!("/v1/residents/{resident}/care-notes"), "")
        .await
        .into_iter()
        .filter(|n| n["body"] == json!(body))
        .collect();
    assert_eq!(on_server.len(), 1);
    let server = &on_server[0];
    let page = desk.get_resident(resident.clone()).await.unwrap();
    let mine: Vec<_> = page
        .care_notes
        .iter()
        .filter(|n| n.note.body == body)
        .collect();
    assert_eq!(mine.len(), 1, "one note, under the server's id");
    let note = mine[0];
    assert!(!note.pending);
    assert_eq!(json!(note.note.id), server["id"]);
    assert_ne!(note.note.id, local.note.id);
    assert_eq!(json!(repo::ts(&note.note.updated_at)), server["updated_at"]);
    assert_eq!(
        note.note.created_at.map(|t| json!(repo::ts(&t))),
        Some(server["created_at"].clone())
    );
}

/// A desk on its own clock (to move past an entry's retry delay without waiting), synced once.
async fn desk_on_clock(peer: &Peer) -> (Arc<Desk>, Arc<OffsetClock>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("loopdesk.db")).unwrap());
    store
        .write(|tx| {
            repo::settings::set_setting(
                tx,
                loopdesk_core::desk::settings::API_BASE_URL,
                &peer.url(),
            )
        })
        .unwrap();
    let clock = Arc::new(OffsetClock::new());
    let mut config = DeskConfig::new(Arc::new(MemorySecretStore::with_api_key(Secret::new(
        DESK_KEY,
    ))));
    config.sync = peer::sync_options();
    config.client = client_options();
    config.clock = clock.clone();
    let desk = Desk::open(store, config).await.unwrap();
    desk.sync_now().await.unwrap();
    (desk, clock, dir)
}

async fn two_residents(desk: &Desk) -> (String, String) {
    let r = desk
        .search_residents(None, None, None, Some(2))
        .await
        .unwrap();
    (r[0].id.clone(), r[1].id.clone())
}

async fn notes_on_server(peer: &Peer, resident: &str, body: &str) -> usize {
    peer.all(&format!("/v1/residents/{resident}/care-notes"), "")
        .await
        .iter()
        .filter(|n| n["body"] == json!(body))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_that_fails_on_its_own_waits_its_turn_and_holds_back_no_other_row() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let (desk, clock, _dir) = desk_on_clock(&peer).await;
    let (r1, r2) = two_residents(&desk).await;
    let (a, b) = (marker("fails-first"), marker("goes-through"));
    desk.add_care_note(r1.clone(), a.clone(), "mood".into())
        .await
        .unwrap();
    desk.add_care_note(r2.clone(), b.clone(), "mood".into())
        .await
        .unwrap();
    // CareLoop fails the first request with a 500 (it did nothing).
    fail_next(&peer, 1, 500).await;
    let e = desk.sync_now().await.unwrap_err();
    assert_eq!(e.code, loopdesk_core::ipc::Code::Unavailable);
    assert_eq!(
        notes_on_server(&peer, &r2, &b).await,
        1,
        "the other row went on"
    );
    assert_eq!(notes_on_server(&peer, &r1, &a).await, 0);
    let left = entries(&desk);
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0].status,
        repo::outbox::OutboxStatus::Pending,
        "not parked"
    );
    assert!(left[0].next_attempt_at.is_some_and(|t| t > clock.now()));

    // Its turn has not come: another push leaves it.
    let _ = desk.sync_now().await;
    assert_eq!(notes_on_server(&peer, &r1, &a).await, 0);
    // Once it has, it goes, once.
    clock.advance(Duration::from_secs(3));
    desk.sync_now().await.unwrap();
    assert_eq!(notes_on_server(&peer, &r1, &a).await, 1);
    assert!(entries(&desk).is_empty());
    desk.shutdown().await;
}

/// An entry that keeps failing on its own waits twice as long after each failure, up to five
/// minutes: a CareLoop in trouble is not asked again and again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_failure_of_its_own_doubles_the_wait_up_to_five_minutes() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let (desk, clock, _dir) = desk_on_clock(&peer).await;
    let (r1, _) = two_residents(&desk).await;
    let body = marker("keeps-failing");
    desk.add_care_note(r1.clone(), body.clone(), "mood".into())
        .await
        .unwrap();
    let mut waits = Vec::new();
    // CareLoop answers every request with a 500 until told otherwise.
    fail_next(&peer, 1000, 500).await;
    for _ in 0..10 {
        let at = clock.now();
        assert!(desk.sync_now().await.is_err());
        let entry = entries(&desk).remove(0);
        let next = entry.next_attempt_at.expect("it waits for its next try");
        waits.push((next - at).num_seconds());
        // Its turn: the next push tries it again.
        let until = (next - clock.now()).to_std().unwrap_or_default();
        clock.advance(until + Duration::from_secs(1));
    }
    assert_eq!(
        waits,
        [2, 4, 8, 16, 32, 64, 128, 256, 300, 300],
        "{waits:?}"
    );
    fail_next(&peer, 0, 500).await;
    desk.sync_now().await.unwrap();
    assert_eq!(notes_on_server(&peer, &r1, &body).await, 1);
    desk.shutdown().await;
}

#[rstest::rstest]
#[case::keys_honoured(true)]
#[case::keys_ignored(false)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_success_whose_answer_cannot_be_read_is_kept_and_adopted_not_refused(
    #[case] honoured: bool,
) {
    let peer = Peer::start(loopdesk_sandbox::SandboxConfig {
        honour_idempotency_keys: honoured,
        ..config(DataSize::Small)
    })
    .await;
    let (desk, clock, _dir) = desk_on_clock(&peer).await;
    let (r1, _) = two_residents(&desk).await;
    let body = marker("garbled");
    let local = desk
        .add_care_note(r1.clone(), body.clone(), "health".into())
        .await
        .unwrap();
    // CareLoop saves it, then its answer arrives as a page that is not JSON.
    peer.control(
        Method::POST,
        "faults",
        json!({"garble_after_commit_next": 1}),
    )
    .await;
    assert!(desk.sync_now().await.is_err());
    assert_eq!(notes_on_server(&peer, &r1, &body).await, 1);
    let left = entries(&desk);
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0].status,
        repo::outbox::OutboxStatus::Pending,
        "CareLoop has it: it is not 'refused'"
    );
    assert_eq!(desk.sync_status().await.unwrap().needs_attention, 0);
    clock.advance(Duration::from_secs(3));
    desk.sync_now().await.unwrap();
    assert!(entries(&desk).is_empty(), "adopted");
    assert_eq!(notes_on_server(&peer, &r1, &body).await, 1, "exactly once");
    let page = desk.get_resident(r1).await.unwrap();
    let note = page
        .care_notes
        .iter()
        .find(|n| n.note.body == body)
        .unwrap();
    assert!(!note.pending);
    assert_ne!(note.note.id, local.note.id, "it took CareLoop's id");
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn its_own_key_in_use_on_careloop_holds_back_no_other_row() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let (desk, _clock, _dir) = desk_on_clock(&peer).await;
    let (r1, r2) = two_residents(&desk).await;
    let (a, b) = (marker("key-taken"), marker("goes-on"));
    desk.add_care_note(r1.clone(), a.clone(), "mood".into())
        .await
        .unwrap();
    desk.add_care_note(r2.clone(), b.clone(), "mood".into())
        .await
        .unwrap();
    // The entry's Idempotency-Key is already in use on CareLoop for another body (409
    // idempotency_conflict, as while an earlier request with it is still running there).
    let key = entries(&desk)[0].client_id.clone();
    let taken = peer
        .http
        .post(format!("{}/v1/residents/{r1}/care-notes", peer.url()))
        .bearer_auth(DESK_KEY)
        .header("Idempotency-Key", &key)
        .json(&json!({"category": "general", "body": "another request", "author_name": "X"}))
        .send()
        .await
        .unwrap();
    assert!(taken.status().is_success());
    assert!(desk.sync_now().await.is_err());
    assert_eq!(
        notes_on_server(&peer, &r2, &b).await,
        1,
        "the other row went on"
    );
    let left = entries(&desk);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].status, repo::outbox::OutboxStatus::Pending);
    assert!(
        left[0].next_attempt_at.is_some(),
        "it waits, and tries again later"
    );
    desk.shutdown().await;
}

/// A refused write of a kind that has no form to correct it (here a visitor's sign-in) is sent
/// again as it was: the same payload goes back in the queue and CareLoop has the sign-in once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_sign_in_sent_again_as_it_was_reaches_careloop_once() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let r = crate::reception::reception(&peer.url()).await;
    let d = &r.desk;
    let (resident, _, _) = r.residents[0].clone();
    crate::reception::signed_in(
        d.sign_in_visitor(crate::reception::visiting_resident(
            "Quentina", "Zebedee", &resident,
        ))
        .await
        .unwrap(),
    );
    fail_next(&peer, 1, 400).await;
    d.sync_now().await.unwrap();
    let parked = d.outbox_attention().await.unwrap().remove(0);
    let sent = parked.entry.payload.clone();
    assert_eq!(sent["visitor_name"], "Quentina Zebedee", "{sent}");

    d.resubmit_outbox_entry(parked.entry.seq, sent.clone())
        .await
        .unwrap();
    let queued = entries(d);
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].status, repo::outbox::OutboxStatus::Pending);
    assert_eq!(queued[0].payload, sent, "queued as it was");
    d.sync_now().await.unwrap();

    assert!(entries(d).is_empty());
    let on_careloop: Vec<Value> = peer
        .all("/v1/visitor-sign-ins", "")
        .await
        .into_iter()
        .filter(|v| v["visitor_name"] == "Quentina Zebedee")
        .collect();
    assert_eq!(on_careloop.len(), 1, "{on_careloop:?}");
}
