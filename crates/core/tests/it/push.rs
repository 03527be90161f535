//! Pushing the outbox to a real sandbox: offline, restarts, lost answers, a killed process.

use std::time::Duration;

use loopdesk_core::desk::{Desk, ScheduleVisit};
use loopdesk_core::ipc::Code;
use loopdesk_core::store::repo::{self, care};
use loopdesk_core::sync::Connection;
use loopdesk_sandbox::{DataSize, SandboxConfig};
use reqwest::Method;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::peer::{self, client_options, config, desk_at, marker, Peer, TestDesk, DESK_KEY};

/// Some ids the desk knows after a first pull.
struct Known {
    location: String,
    staff: String,
    resident: String,
    /// Scheduled visits.
    visits: Vec<String>,
}

async fn known(desk: &Desk) -> Known {
    let location = desk.list_locations().await.unwrap()[0].id.clone();
    let staff = desk.list_staff(Some(location.clone())).await.unwrap()[0]
        .id
        .clone();
    let resident = desk
        .search_residents(None, Some(location.clone()), None, None)
        .await
        .unwrap()[0]
        .id
        .clone();
    let visits = desk
        .list_visits(
            "2000-01-01T00:00:00Z".into(),
            "2100-01-01T00:00:00Z".into(),
            None,
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|v| v.visit.status == care::VisitStatus::Scheduled)
        .map(|v| v.visit.id)
        .collect();
    Known {
        location,
        staff,
        resident,
        visits,
    }
}

fn new_visit(k: &Known, notes: &str) -> ScheduleVisit {
    ScheduleVisit {
        location_id: k.location.clone(),
        staff_user_id: k.staff.clone(),
        resident_id: Some(k.resident.clone()),
        visit_type: "wellbeing".into(),
        starts_at: crate::ahead(0, "09:00"),
        ends_at: crate::ahead(0, "09:30"),
        notes: Some(notes.into()),
        confirm_past: None,
    }
}

async fn server_visits_with(peer: &Peer, notes: &str) -> Vec<Value> {
    peer.all("/v1/visits", "")
        .await
        .into_iter()
        .filter(|v| v["notes"] == json!(notes))
        .collect()
}

async fn server_notes_with(peer: &Peer, resident: &str, body: &str) -> Vec<Value> {
    peer.all(&format!("/v1/residents/{resident}/care-notes"), "")
        .await
        .into_iter()
        .filter(|n| n["body"] == json!(body))
        .collect()
}

fn outbox_len(desk: &Desk) -> usize {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_writes_queue_survive_a_restart_and_go_out_in_order_when_the_server_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("loopdesk.db");
    let sandbox_config = SandboxConfig {
        data_file: Some(dir.path().join("sandbox.db")),
        ..config(DataSize::Small)
    };
    // The desk's server address is bound once, for the whole test. While no server accepts on
    // it, connections wait unanswered: the desk is offline.
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    socket.set_nonblocking(true).unwrap();
    let url = format!("http://{}", socket.local_addr().unwrap());
    let serve = |socket: &std::net::TcpListener| {
        let listener = tokio::net::TcpListener::from_std(socket.try_clone().unwrap()).unwrap();
        let token = CancellationToken::new();
        let task = tokio::spawn(loopdesk_sandbox::run(
            sandbox_config.clone(),
            listener,
            token.clone(),
        ));
        (token, task)
    };
    let offline_client = loopdesk_core::api::ClientOptions {
        request_timeout: Duration::from_millis(300),
        retries: 1,
        ..client_options()
    };

    // Online: a first pull.
    let (token, task) = serve(&socket);
    let desk = desk_at(&db, &url, Some(DESK_KEY), offline_client.clone()).await;
    desk.sync_now().await.unwrap();
    let k = known(&desk).await;
    token.cancel();
    task.await.unwrap().unwrap();

    // Offline: writes are kept, in order.
    let notes = marker("offline-visit");
    let body = marker("offline-note");
    let created = desk.schedule_visit(new_visit(&k, &notes)).await.unwrap();
    assert!(created.pending);
    desk.confirm_visit(created.visit.id.clone()).await.unwrap();
    desk.complete_visit(created.visit.id.clone()).await.unwrap();
    desk.add_care_note(k.resident.clone(), body.clone(), "mood".into())
        .await
        .unwrap();
    let cancelled = k.visits[0].clone();
    desk.cancel_visit(cancelled.clone(), "resident in hospital".into())
        .await
        .unwrap();
    let err = desk.sync_now().await.unwrap_err();
    assert_eq!(err.code, Code::Unavailable);
    let status = desk.sync_status().await.unwrap();
    assert_eq!(status.connection, Connection::Offline);
    assert_eq!(status.queued, 5);

    // The app restarts.
    desk.shutdown().await;
    drop(desk);
    let desk = desk_at(&db, &url, Some(DESK_KEY), offline_client).await;
    assert_eq!(desk.sync_status().await.unwrap().queued, 5);
    let local = desk
        .list_visits(crate::ahead(0, "00:00"), crate::ahead(1, "00:00"), None)
        .await
        .unwrap();
    let mine = local
        .iter()
        .find(|v| v.visit.notes.as_deref() == Some(&notes))
        .unwrap();
    assert!(mine.pending);
    assert_eq!(mine.visit.status, care::VisitStatus::Completed);

    // The server is back on the same address.
    let (token, task) = serve(&socket);
    let peer = Peer::attach_url(&url);
    desk.sync_now().await.unwrap();

    assert_eq!(outbox_len(&desk), 0);
    let on_server = server_visits_with(&peer, &notes).await;
    assert_eq!(on_server.len(), 1, "created exactly once");
    let server_id = on_server[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(on_server[0]["status"], "completed");
    assert_eq!(server_notes_with(&peer, &k.resident, &body).await.len(), 1);
    let w = peer.get(&format!("/v1/visits/{cancelled}")).await;
    assert_eq!(w["status"], "cancelled");
    assert_eq!(w["cancel_reason"], "resident in hospital");
    // Locally the visit now carries the server's id and is no longer pending.
    let local = desk
        .store()
        .read(|c| care::get_visit(c, &server_id))
        .unwrap()
        .unwrap();
    assert_eq!(local.status, care::VisitStatus::Completed);
    assert!(desk
        .store()
        .read(|c| care::get_visit(c, &created.visit.id))
        .unwrap()
        .is_none());

    // In the order they were made (requests left waiting while offline may arrive again,
    // harmlessly: same Idempotency-Key, same PATCH).
    let writes: Vec<String> = peer
        .desk_requests()
        .await
        .into_iter()
        .filter(|r| r["method"] != "GET" && r["status"].as_u64().unwrap() < 300)
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            )
        })
        .collect();
    let mut order = writes.clone();
    order.dedup();
    let note_path = format!("POST /v1/residents/{}/care-notes", k.resident);
    assert_eq!(
        order,
        vec![
            "POST /v1/visits".to_owned(),
            format!("PATCH /v1/visits/{server_id}"),
            note_path,
            format!("PATCH /v1/visits/{cancelled}"),
        ],
        "{writes:#?}"
    );
    token.cancel();
    task.await.unwrap().unwrap();
}

#[rstest::rstest]
#[case::keys_honoured(true)]
#[case::keys_ignored(false)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_answers_lost_after_commit_every_write_exists_exactly_once(#[case] honoured: bool) {
    let peer = Peer::start(SandboxConfig {
        honour_idempotency_keys: honoured,
        ..config(DataSize::Small)
    })
    .await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let k = known(&t.desk).await;
    let notes: Vec<String> = (0..3).map(|i| marker(&format!("lost-{i}"))).collect();
    for n in &notes {
        t.desk.schedule_visit(new_visit(&k, n)).await.unwrap();
    }
    let bodies: Vec<String> = (0..2).map(|i| marker(&format!("lost-note-{i}"))).collect();
    for b in &bodies {
        t.desk
            .add_care_note(k.resident.clone(), b.clone(), "general".into())
            .await
            .unwrap();
    }
    t.desk.confirm_visit(k.visits[0].clone()).await.unwrap();
    peer.control(Method::POST, "faults", json!({"drop_after_commit_next": 4}))
        .await;

    let mut cycles = 0;
    while t.desk.sync_now().await.is_err() {
        cycles += 1;
        assert!(cycles < 10, "the outbox drains once answers arrive again");
    }

    assert_eq!(outbox_len(&t.desk), 0);
    for n in &notes {
        assert_eq!(
            server_visits_with(&peer, n).await.len(),
            1,
            "{n} exactly once"
        );
    }
    for b in &bodies {
        assert_eq!(
            server_notes_with(&peer, &k.resident, b).await.len(),
            1,
            "{b} exactly once"
        );
    }
    assert_eq!(
        peer.get(&format!("/v1/visits/{}", k.visits[0])).await["status"],
        "confirmed"
    );
    // The faults really happened: four answers were lost after their write was committed...
    // (Posting no change answers the faults as they stand.)
    let faults = peer.control(Method::POST, "faults", json!({})).await;
    assert_eq!(faults["drop_after_commit_next"], 0, "{faults}");
    // ...and no write was sent twice: the desk looked for what each lost answer's write had
    // made, and adopted it.
    let sent = peer
        .desk_requests()
        .await
        .into_iter()
        .filter(|r| r["method"] != "GET")
        .count();
    assert_eq!(sent, notes.len() + bodies.len() + 1, "write requests");
}

/// Run as a child process by `a_push_killed_midway_is_finished_exactly_once_after_restart`:
/// opens the desk at `LOOPDESK_CHILD_DB` and pushes, printing the queue length as it shrinks,
/// until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by a_push_killed_midway_is_finished_exactly_once_after_restart"]
async fn child_pushes_until_killed() {
    let db = std::env::var("LOOPDESK_CHILD_DB").expect("LOOPDESK_CHILD_DB");
    let url = std::env::var("LOOPDESK_CHILD_URL").expect("LOOPDESK_CHILD_URL");
    let desk = desk_at(db.as_ref(), &url, Some(DESK_KEY), client_options()).await;
    let mut status = desk.status_watch();
    tokio::spawn({
        let desk = desk.clone();
        async move {
            loop {
                let _ = desk.sync_now().await;
            }
        }
    });
    loop {
        let queued = status.borrow_and_update().queued;
        println!("queued={queued}");
        status.changed().await.unwrap();
    }
}

#[rstest::rstest]
#[case::keys_honoured(true)]
#[case::keys_ignored(false)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_killed_midway_is_finished_exactly_once_after_restart(#[case] honoured: bool) {
    use tokio::io::AsyncBufReadExt;

    let peer = Peer::start(SandboxConfig {
        honour_idempotency_keys: honoured,
        ..config(DataSize::Small)
    })
    .await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let k = known(&t.desk).await;
    let notes: Vec<String> = (0..8).map(|i| marker(&format!("killed-{i}"))).collect();
    for n in &notes {
        t.desk.schedule_visit(new_visit(&k, n)).await.unwrap();
    }
    t.desk.shutdown().await;
    // Slow answers, and some lost after commit: the child is killed in the middle of it.
    peer.control(
        Method::POST,
        "faults",
        json!({"latency_ms": 150, "drop_after_commit_next": 3}),
    )
    .await;

    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "push::child_pushes_until_killed",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LOOPDESK_CHILD_DB", t.db())
        .env("LOOPDESK_CHILD_URL", peer.url())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    // Wait until the child has had some writes acknowledged, but not all (a child that hangs
    // fails the test, it does not hang it).
    let midway = async {
        loop {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("the child stopped early");
            if let Some(n) = line.strip_prefix("queued=") {
                let n: usize = n.parse().unwrap();
                if n > 0 && n <= notes.len() - 2 {
                    break;
                }
                assert!(n > 0, "the child finished before it could be killed");
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), midway)
        .await
        .expect("the child pushed some writes within two minutes");
    child.start_kill().unwrap(); // SIGKILL
    let exit = child.wait().await.unwrap();
    assert!(!exit.success());
    peer.control(Method::POST, "faults/clear", json!({})).await;

    // The app starts again on the same file and finishes the push.
    let desk = desk_at(&t.db(), &peer.url(), Some(DESK_KEY), client_options()).await;
    let left = desk.sync_status().await.unwrap().queued;
    assert!(left > 0 && (left as usize) < notes.len(), "{left} left");
    desk.sync_now().await.unwrap();
    assert_eq!(outbox_len(&desk), 0);
    for n in &notes {
        assert_eq!(
            server_visits_with(&peer, n).await.len(),
            1,
            "{n} exactly once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_go_out_on_their_own_when_online() {
    use loopdesk_core::desk::{Desk, DeskConfig};
    use loopdesk_core::secret::Secret;
    use loopdesk_core::secrets::MemorySecretStore;

    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let k = known(&t.desk).await;
    t.desk.shutdown().await;
    let store = std::sync::Arc::new(loopdesk_core::Store::open(t.db()).unwrap());
    let mut config = DeskConfig::new(std::sync::Arc::new(MemorySecretStore::with_api_key(
        Secret::new(DESK_KEY),
    )));
    config.sync = loopdesk_core::sync::SyncOptions {
        push_on_write: true,
        ..peer::sync_options()
    };
    config.client = client_options();
    let desk = Desk::open(store, config).await.unwrap();
    let mut status = desk.status_watch();

    let notes: Vec<String> = (0..5).map(|i| marker(&format!("auto-{i}"))).collect();
    for n in &notes {
        desk.schedule_visit(new_visit(&k, n)).await.unwrap();
    }
    // No sync_now: the writes themselves ask for a push (several writes, one push at a time).
    tokio::time::timeout(
        Duration::from_secs(60),
        status.wait_for(|s| s.queued == 0 && s.connection == Connection::Online),
    )
    .await
    .expect("the writes were pushed")
    .unwrap();
    for n in &notes {
        assert_eq!(server_visits_with(&peer, n).await.len(), 1, "{n}");
    }
    assert_eq!(outbox_len(&desk), 0);
}
