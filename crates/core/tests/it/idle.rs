//! What the desk costs while nothing happens: the kiosk runs all day and syncs once a minute, so
//! a cycle that finds nothing new must write (and show) as little as possible.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use loopdesk_core::sync::{SyncEvent, SyncOptions};
use loopdesk_sandbox::DataSize;
use reqwest::Method;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};

use crate::peer::{
    client_options, config, desk_at, desk_syncing, sync_options, Peer, TestDesk, DESK_KEY,
};

/// Pages appended to the data file's write-ahead log (its header is 32 bytes, each page
/// 24 + 4,096).
fn wal_pages(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    let len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    len.saturating_sub(32) / (24 + 4096)
}

/// Moves everything written so far into the data file and empties its log.
fn checkpoint(db: &Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    let (busy, _, _): (i64, i64, i64) = c
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(busy, 0, "the checkpoint ran");
    assert_eq!(wal_pages(db), 0);
}

fn last_successes(t: &TestDesk) -> Vec<(String, Option<String>)> {
    t.desk
        .store()
        .read(|c| {
            let mut stmt =
                c.prepare("SELECT resource, last_success_at FROM sync_state ORDER BY resource")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_that_finds_nothing_new_writes_one_page_and_tells_the_window_once() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let before = last_successes(&t);
    assert_eq!(before.len(), 7);
    checkpoint(&t.db());
    let mut events = t.desk.watch_sync();

    t.desk.sync_now().await.unwrap();

    // One small write for the seven resources together (it was a transaction each: seven
    // pages, each fsynced).
    let pages = wal_pages(&t.db());
    assert!(pages <= 1, "the idle cycle wrote {pages} pages");
    // Still recorded: the sync bar's "Last synced" and the roll call's freshness move on.
    let after = last_successes(&t);
    for ((resource, was), (_, now)) in before.iter().zip(&after) {
        assert!(now > was, "{resource}: last success {was:?} then {now:?}");
    }
    // No progress for pages with nothing on them, and no status: only `last_success_at` moved,
    // which the window is told at most every five minutes while online (it says "Last synced
    // just now" meanwhile); the desk's own status has it at once.
    let mut progress = 0;
    let mut statuses = 0;
    while let Ok(e) = events.try_recv() {
        match e {
            SyncEvent::Progress(_) => progress += 1,
            SyncEvent::Status(_) => statuses += 1,
        }
    }
    assert_eq!(
        progress, 0,
        "no progress shown for an empty incremental pull"
    );
    assert_eq!(statuses, 0, "no status event for an idle cycle");
    let shown = t.desk.sync_status().await.unwrap().resources;
    let shown: Vec<_> = shown.iter().map(|r| r.last_success_at).collect();
    assert!(shown.iter().all(Option::is_some), "{shown:?}");

    // A change on the server still arrives with the next cycle, with its progress.
    let resident = peer.all("/v1/residents", "").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    peer.control(
        Method::PATCH,
        &format!("residents/{resident}"),
        json!({"room_number": "77C"}),
    )
    .await;
    t.desk.sync_now().await.unwrap();
    let room: String = t
        .desk
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT room_number FROM residents WHERE id = ?1",
                [&resident],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(room, "77C");
    let mut residents_progress = 0;
    while let Ok(e) = events.try_recv() {
        if matches!(&e, SyncEvent::Progress(p) if p.resource == "residents") {
            residents_progress += 1;
        }
    }
    assert_eq!(residents_progress, 1);
    t.desk.shutdown().await;
}

/// The incremental pulls (`updated_since=`) the desk has made, by list path.
async fn incremental_pulls(peer: &Peer) -> std::collections::BTreeMap<String, usize> {
    let mut pulls = std::collections::BTreeMap::new();
    for r in peer.desk_requests().await {
        let path = r["path"].as_str().unwrap();
        if r["method"] == "GET" && path.contains("updated_since=") {
            let list = path.split('?').next().unwrap().to_owned();
            *pulls.entry(list).or_insert(0) += 1;
        }
    }
    pulls
}

fn residents(pulls: &std::collections::BTreeMap<String, usize>) -> usize {
    pulls.get("/v1/residents").copied().unwrap_or(0)
}

/// [`incremental_pulls`] once residents have been pulled incrementally at least `n` times.
async fn pulls_once_residents_pulled(
    peer: &Peer,
    n: usize,
) -> std::collections::BTreeMap<String, usize> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let pulls = incremental_pulls(peer).await;
        if residents(&pulls) >= n {
            return pulls;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no pull {n}: {pulls:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_periodic_cycle_pulls_what_changes_seldom_less_often_and_sync_now_pulls_all() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let dir = tempfile::tempdir().unwrap();
    let sync = SyncOptions {
        interval: Some(Duration::from_millis(100)),
        seldom_interval: Duration::from_secs(3600),
        ..sync_options()
    };
    let db = dir.path().join("loopdesk.db");
    let desk = desk_syncing(&db, &peer.url(), Some(DESK_KEY), client_options(), sync).await;
    let seldom = [
        "/v1/locations",
        "/v1/staff",
        "/v1/courses",
        "/v1/certifications",
    ];

    // Once the desk has started (its first cycles pull everything), the periodic cycles pull
    // residents, visits and incidents each time, and nothing that changes seldom.
    let started = pulls_once_residents_pulled(&peer, 2).await;
    let pulls = pulls_once_residents_pulled(&peer, residents(&started) + 3).await;
    for list in seldom {
        assert_eq!(
            pulls.get(list),
            started.get(list),
            "{list} pulled again: {pulls:?}"
        );
    }
    for list in ["/v1/visits", "/v1/incidents"] {
        assert!(
            pulls.get(list) > started.get(list),
            "{list} not pulled: {pulls:?}"
        );
    }

    // "Sync now" pulls everything at once.
    desk.sync_now().await.unwrap();
    let after = incremental_pulls(&peer).await;
    for list in seldom {
        assert!(
            after.get(list) > pulls.get(list),
            "{list} not pulled: {after:?}"
        );
    }
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_success_of_an_idle_cycle_survives_a_restart() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("loopdesk.db");
    let desk = desk_at(&db, &peer.url(), Some(DESK_KEY), client_options()).await;
    desk.sync_now().await.unwrap();
    desk.sync_now().await.unwrap();
    let idle = desk.sync_status().await.unwrap().resources;
    desk.shutdown().await;
    drop(desk);

    let desk = desk_at(&db, &peer.url(), Some(DESK_KEY), client_options()).await;
    let reopened = desk.sync_status().await.unwrap().resources;
    assert_eq!(
        reopened, idle,
        "what the idle cycle recorded is in the file"
    );
    desk.shutdown().await;
}

/// A TCP relay to `to` that counts the connections made through it.
async fn counting_relay(to: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let to = to.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(&to).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (format!("http://{addr}"), count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cycles_share_one_client_and_its_connection() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let sandbox = peer.url().trim_start_matches("http://").to_owned();
    let (url, connections) = counting_relay(sandbox).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk_at(
        &dir.path().join("loopdesk.db"),
        &url,
        Some(DESK_KEY),
        client_options(),
    )
    .await;
    desk.sync_now().await.unwrap();
    let first = connections.load(Ordering::SeqCst);
    assert!(first >= 1);
    for _ in 0..3 {
        desk.sync_now().await.unwrap();
    }
    // A new client each cycle read every root certificate again and opened a new connection.
    assert_eq!(
        connections.load(Ordering::SeqCst),
        first,
        "later cycles reuse the first cycle's connection"
    );
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_training_look_on_a_day_already_looked_at_writes_nothing() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    // The desk looked at start; a later look the same day (once a minute, it was) wrote the
    // day again and asked the engine for a push.
    t.desk.check_training_notices().await.unwrap();
    checkpoint(&t.db());
    let mut events = t.desk.watch_sync();
    for _ in 0..3 {
        assert_eq!(t.desk.check_training_notices().await.unwrap(), 0);
    }
    assert_eq!(wal_pages(&t.db()), 0, "the same day's look wrote nothing");
    assert!(events.try_recv().is_err(), "and told the window nothing");
    t.desk.shutdown().await;
}
