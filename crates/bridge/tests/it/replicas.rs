//! Several bridges (replicas) on one PostgreSQL database: wake-ups across replicas, dedupe of
//! the same event sent to two at once, `kill -9` of one under load, the database restarted
//! under load, and commit-ordered cursors under concurrent commits.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use loopdesk_bridge::pg::LISTEN_APPLICATION_NAME;
use loopdesk_bridge::store::{FeedQuery, Inserted, NewEvent};
use loopdesk_bridge::{EventStore as _, PgStore, Scheme};
use rand::Rng as _;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{
    client, delivery, ids, metric_value, now, within, BridgeProcess, Delivery, TestDb, POSTGRES,
};
use crate::pg::{PgCluster, Settings};

/// A database with one CareLoop endpoint and one device of `org_a`.
struct Shared {
    db: TestDb,
    path: String,
    secret: String,
    token: String,
}

async fn shared_db(db: TestDb) -> Shared {
    let store = db.open().await;
    let ep = store
        .add_endpoint("org_a", Scheme::CareLoop, None)
        .await
        .unwrap();
    let dev = store.add_device("org_a", "desk").await.unwrap();
    Shared {
        db,
        path: ep.path,
        secret: ep.secret,
        token: dev.token,
    }
}

async fn replica(db: &TestDb) -> BridgeProcess {
    BridgeProcess::start_args(db, &["--metrics-listen", "127.0.0.1:0"]).await
}

/// Posts `d` to `base + path`; `None` when no answer came (connection refused or cut).
async fn post(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    d: &Delivery,
) -> Option<(StatusCode, Value)> {
    let mut req = http.post(format!("{base}{path}")).body(d.body.clone());
    for (k, v) in &d.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let resp = req.send().await.ok()?;
    let status = resp.status();
    Some((status, resp.json().await.unwrap_or(Value::Null)))
}

async fn get(http: &reqwest::Client, url: &str, token: &str) -> Option<(StatusCode, Value)> {
    let resp = http.get(url).bearer_auth(token).send().await.ok()?;
    let status = resp.status();
    Some((status, resp.json().await.unwrap_or(Value::Null)))
}

async fn open_polls(http: &reqwest::Client, bridge: &BridgeProcess) -> f64 {
    let metrics = bridge
        .metrics_base
        .as_ref()
        .expect("started with --metrics-listen");
    let text = http
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    metric_value(&text, "bridge_long_polls_open")
}

/// Waits until `bridge` holds `n` long-polls (readiness, not a fixed time).
async fn wait_for_open_polls(http: &reqwest::Client, bridge: &BridgeProcess, n: f64) {
    within("the long-poll to be held", async {
        while open_polls(http, bridge).await < n {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await;
}

/// Every event of the feed from the start, following `next_cursor`.
async fn whole_feed(http: &reqwest::Client, base: &str, token: &str) -> Vec<(i64, String)> {
    let mut after = 0i64;
    let mut out = Vec::new();
    loop {
        let url = format!("{base}/v1/events?after={after}&limit=1000");
        let (status, page) = get(http, &url, token).await.expect("a feed answer");
        assert_eq!(status, StatusCode::OK, "{page}");
        let events = page["data"].as_array().unwrap().clone();
        if events.is_empty() {
            return out;
        }
        for e in events {
            let c: i64 = e["cursor"].as_str().unwrap().parse().unwrap();
            out.push((c, e["id"].as_str().unwrap().to_owned()));
        }
        after = out.last().unwrap().0;
    }
}

/// Each acknowledged id in `feed` exactly once, and cursors strictly increasing.
fn assert_complete_once_in_order(feed: &[(i64, String)], acked: &HashSet<String>) {
    for w in feed.windows(2) {
        assert!(w[0].0 < w[1].0, "cursors not increasing: {w:?}");
    }
    let mut seen = HashSet::new();
    for (_, id) in feed {
        assert!(seen.insert(id.clone()), "{id} served twice");
    }
    for id in acked {
        assert!(
            seen.contains(id),
            "acknowledged {id} is missing from the feed"
        );
    }
}

#[tokio::test]
async fn a_poll_held_by_one_replica_is_answered_by_a_post_to_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared_db(POSTGRES.fresh(dir.path()).await).await;
    let (a, b) = tokio::join!(replica(&s.db), replica(&s.db));
    let http = client();
    let poll = {
        let (http, url, token) = (
            http.clone(),
            format!("{}/v1/events?wait=30", a.base),
            s.token.clone(),
        );
        tokio::spawn(async move { get(&http, &url, &token).await })
    };
    wait_for_open_polls(&http, &a, 1.0).await;
    let d = delivery(
        Scheme::CareLoop,
        &s.secret,
        "evt_x",
        "incident.critical",
        now(),
    );
    let (status, body) = post(&http, &b.base, &s.path, &d).await.expect("an answer");
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("stored"))
    );
    // Answered with the event, not at the end of the wait with an empty page.
    let (status, page) = within("the poll", poll).await.unwrap().expect("an answer");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&page), vec!["evt_x"]);
}

#[tokio::test]
async fn the_same_event_posted_to_both_replicas_at_once_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared_db(POSTGRES.fresh(dir.path()).await).await;
    let (a, b) = tokio::join!(replica(&s.db), replica(&s.db));
    let http = client();
    for round in 0..40 {
        let id = format!("evt_{round}");
        let d = delivery(Scheme::CareLoop, &s.secret, &id, "incident.critical", now());
        let (ra, rb) = tokio::join!(
            post(&http, &a.base, &s.path, &d),
            post(&http, &b.base, &s.path, &d)
        );
        let (ra, rb) = (ra.expect("answer from A"), rb.expect("answer from B"));
        assert_eq!((ra.0, rb.0), (StatusCode::OK, StatusCode::OK));
        let mut results = [
            ra.1["status"].as_str().unwrap().to_owned(),
            rb.1["status"].as_str().unwrap().to_owned(),
        ];
        results.sort();
        assert_eq!(results, ["duplicate", "stored"], "{id}");
    }
    let feed = whole_feed(&http, &a.base, &s.token).await;
    assert_eq!(feed.len(), 40);
    let acked: HashSet<String> = (0..40).map(|r| format!("evt_{r}")).collect();
    assert_complete_once_in_order(&feed, &acked);
}

#[tokio::test]
async fn kill_dash_nine_of_one_replica_under_load_loses_nothing() {
    const SENDERS: usize = 64;
    const PER_SENDER: usize = 6;
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(shared_db(POSTGRES.fresh(dir.path()).await).await);
    let (mut a, b) = tokio::join!(replica(&s.db), replica(&s.db));
    let (a_base, b_base) = (a.base.clone(), b.base.clone());
    let http = client();

    // A desk follows the feed on A with long-polls and moves to B when A stops answering.
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let desk = {
        let (http, s, a_base, b_base) = (http.clone(), s.clone(), a_base.clone(), b_base.clone());
        tokio::spawn(async move {
            let mut base = a_base;
            let mut after = 0i64;
            let mut seen: Vec<(i64, String)> = Vec::new();
            loop {
                let finished = *done_rx.borrow();
                let url = format!("{base}/v1/events?after={after}&limit=100&wait=1");
                match get(&http, &url, &s.token).await {
                    Some((StatusCode::OK, page)) => {
                        let events = page["data"].as_array().unwrap().clone();
                        if events.is_empty() && finished {
                            return seen;
                        }
                        for e in events {
                            let c: i64 = e["cursor"].as_str().unwrap().parse().unwrap();
                            seen.push((c, e["id"].as_str().unwrap().to_owned()));
                            after = c;
                        }
                    }
                    // A was killed: carry on at B from the same cursor.
                    _ => base = b_base.clone(),
                }
            }
        })
    };

    // 64 senders, each posting its events to A and B in turn; a delivery that gets no 200 is
    // sent again to the other replica, as a provider's retry through a load balancer would.
    let senders: Vec<_> = (0..SENDERS)
        .map(|n| {
            let (http, s, a_base, b_base, acked) = (
                http.clone(),
                s.clone(),
                a_base.clone(),
                b_base.clone(),
                acked_tx.clone(),
            );
            tokio::spawn(async move {
                for k in 0..PER_SENDER {
                    let id = format!("evt_{n}_{k}");
                    let d = delivery(Scheme::CareLoop, &s.secret, &id, "incident.critical", now());
                    let mut target = (n + k) % 2;
                    loop {
                        let base = if target == 0 { &a_base } else { &b_base };
                        if let Some((StatusCode::OK, _)) = post(&http, base, &s.path, &d).await {
                            let _ = acked.send(id);
                            break;
                        }
                        target = 1;
                    }
                }
            })
        })
        .collect();
    drop(acked_tx);
    let mut acked = HashSet::new();
    let mut killed = false;
    while let Some(id) = within("the acknowledgements", acked_rx.recv()).await {
        acked.insert(id);
        if acked.len() >= SENDERS * PER_SENDER / 3 && !killed {
            a.kill().await;
            killed = true;
        }
    }
    assert!(killed);
    for t in senders {
        within("a sender", t).await.unwrap();
    }
    assert_eq!(acked.len(), SENDERS * PER_SENDER);
    done_tx.send_replace(true);
    let followed = within("the desk following the feed", desk).await.unwrap();
    assert_complete_once_in_order(&followed, &acked);
    assert_eq!(followed.len(), acked.len());
    let feed = whole_feed(&http, &b_base, &s.token).await;
    assert_complete_once_in_order(&feed, &acked);
    assert_eq!(feed.len(), acked.len());
}

#[tokio::test]
async fn a_database_restart_under_load_gets_503s_then_recovers_and_loses_nothing() {
    let cluster = Arc::new(
        tokio::task::spawn_blocking(|| PgCluster::start(Settings::default()))
            .await
            .unwrap(),
    );
    let s = Arc::new(
        shared_db(TestDb(loopdesk_bridge::Database::Postgres(
            cluster.create_database().await,
        )))
        .await,
    );
    let (a, b) = tokio::join!(replica(&s.db), replica(&s.db));
    let bases = [a.base.clone(), b.base.clone()];
    let http = client();

    // Eight senders post without pause until told to stop, alternating replicas.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let senders: Vec<_> = (0..8)
        .map(|n| {
            let (http, s, bases, acked, stop) = (
                http.clone(),
                s.clone(),
                bases.clone(),
                acked_tx.clone(),
                stop_rx.clone(),
            );
            tokio::spawn(async move {
                let mut k = 0usize;
                while !*stop.borrow() {
                    let id = format!("evt_{n}_{k}");
                    let d = delivery(Scheme::CareLoop, &s.secret, &id, "incident.critical", now());
                    let r = post(&http, &bases[k % 2], &s.path, &d).await;
                    match r {
                        Some((StatusCode::OK, _)) => {
                            let _ = acked.send(id);
                        }
                        Some((StatusCode::SERVICE_UNAVAILABLE, body)) => {
                            assert_eq!(body["error"]["code"], "store_unavailable");
                        }
                        other => panic!("unexpected answer {other:?}"),
                    }
                    k += 1;
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    drop(acked_tx);
    let mut acked = HashSet::new();
    while acked.len() < 50 {
        acked.insert(within("acknowledgements", acked_rx.recv()).await.unwrap());
    }

    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.kill()).await.unwrap();
    // Down: both replicas answer 503 to intake, feed and health.
    for base in &bases {
        let d = delivery(
            Scheme::CareLoop,
            &s.secret,
            "evt_down",
            "incident.critical",
            now(),
        );
        let (status, body) = post(&http, base, &s.path, &d).await.expect("an answer");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        let (status, _) = get(&http, &format!("{base}/v1/events"), &s.token)
            .await
            .expect("an answer");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let resp = http.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.restart())
        .await
        .unwrap();
    // Back without restarting the bridges: wait until both say so.
    for base in &bases {
        within("the replica to recover", async {
            loop {
                let r = http.get(format!("{base}/healthz")).send().await;
                if r.is_ok_and(|r| r.status() == StatusCode::OK) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    }
    let before = acked.len();
    while acked.len() < before + 50 {
        acked.insert(
            within("acknowledgements after the restart", acked_rx.recv())
                .await
                .unwrap(),
        );
    }
    // Wake-ups across replicas work again: a poll held by A is answered by a post to B.
    let feed_now = whole_feed(&http, &bases[0], &s.token).await;
    let after = feed_now.last().map_or(0, |e| e.0);
    stop_tx.send_replace(true);
    for t in senders {
        within("a sender", t).await.unwrap();
    }
    while let Some(id) = acked_rx.recv().await {
        acked.insert(id);
    }
    let poll = {
        let (http, url, token) = (
            http.clone(),
            format!(
                "{}/v1/events?wait=30&after={}",
                bases[0],
                whole_feed(&http, &bases[0], &s.token)
                    .await
                    .last()
                    .map_or(after, |e| e.0)
            ),
            s.token.clone(),
        );
        tokio::spawn(async move { get(&http, &url, &token).await })
    };
    wait_for_open_polls(&http, &a, 1.0).await;
    let d = delivery(
        Scheme::CareLoop,
        &s.secret,
        "evt_after",
        "incident.critical",
        now(),
    );
    let (status, _) = post(&http, &bases[1], &s.path, &d)
        .await
        .expect("an answer");
    assert_eq!(status, StatusCode::OK);
    let (_, page) = within("the poll", poll).await.unwrap().expect("an answer");
    assert_eq!(ids(&page), vec!["evt_after"]);
    acked.insert("evt_after".into());

    let feed = whole_feed(&http, &bases[1], &s.token).await;
    assert_complete_once_in_order(&feed, &acked);
    drop((a, b));
}

#[tokio::test]
async fn a_lost_wake_up_connection_costs_a_re_read_not_the_wait() {
    let dir = tempfile::tempdir().unwrap();
    let s = shared_db(POSTGRES.fresh(dir.path()).await).await;
    let (a, b) = tokio::join!(replica(&s.db), replica(&s.db));
    let http = client();
    let url = match &s.db.0 {
        loopdesk_bridge::Database::Postgres(url) => url.clone(),
        loopdesk_bridge::Database::Sqlite(_) => unreachable!(),
    };
    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    for round in 0..5 {
        let poll = {
            let (http, url, token) = (
                http.clone(),
                format!("{}/v1/events?wait=30&after={round}", a.base),
                s.token.clone(),
            );
            tokio::spawn(async move { get(&http, &url, &token).await })
        };
        wait_for_open_polls(&http, &a, 1.0).await;
        // Both bridges listening (again, after the previous round's cut)...
        within("both bridges to listen", async {
            loop {
                let n: i64 = admin
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity
                         WHERE datname = current_database() AND application_name = $1",
                        &[&LISTEN_APPLICATION_NAME],
                    )
                    .await
                    .unwrap()
                    .get(0);
                if n == 2 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        // ...cut every bridge's LISTEN connection, then post at once to the other replica.
        let cut = admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND application_name = $1",
                &[&LISTEN_APPLICATION_NAME],
            )
            .await
            .unwrap();
        assert_eq!(cut.len(), 2, "both LISTEN connections cut");
        let id = format!("evt_{round}");
        let d = delivery(Scheme::CareLoop, &s.secret, &id, "incident.critical", now());
        let (status, _) = post(&http, &b.base, &s.path, &d).await.expect("an answer");
        assert_eq!(status, StatusCode::OK);
        let (status, page) = within("the poll", poll).await.unwrap().expect("an answer");
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&page), vec![id]);
    }
}

/// Two stores (as two replicas) commit events of two organisations concurrently in random
/// amounts while a reader per organisation reads the feed in a tight loop: no reader ever
/// passes a cursor that commits later. With cursors issued before the commit and no ordering
/// (a plain sequence), a reader would move past a cursor still uncommitted and never see it.
#[tokio::test]
async fn a_tight_loop_reader_never_skips_an_event_under_concurrent_commits() {
    let dir = tempfile::tempdir().unwrap();
    let db = POSTGRES.fresh(dir.path()).await;
    let url = match &db.0 {
        loopdesk_bridge::Database::Postgres(url) => url.clone(),
        loopdesk_bridge::Database::Sqlite(_) => unreachable!(),
    };
    let replicas = [
        Arc::new(PgStore::connect(&url).await.unwrap()),
        Arc::new(PgStore::connect(&url).await.unwrap()),
    ];
    let orgs = ["org_a", "org_b"];
    let mut rng = rand::thread_rng();
    for round in 0..25 {
        let writers = rng.gen_range(2..=12usize);
        let per_writer = rng.gen_range(1..=8usize);
        let done = Arc::new(tokio::sync::Semaphore::new(0));
        // The readers start after what earlier rounds committed, and before any writer.
        let mut starts = Vec::new();
        for org in orgs {
            starts.push(replicas[0].latest_cursor(org).await.unwrap());
        }
        let readers: Vec<_> = orgs
            .into_iter()
            .enumerate()
            .map(|(i, org)| {
                let store = replicas[i % 2].clone();
                let done = done.clone();
                let mut after = starts[i];
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    loop {
                        let writers_done = done.available_permits() == writers;
                        let page = store
                            .events_after(FeedQuery {
                                org: org.into(),
                                after,
                                types: None,
                                limit: 1000,
                                max_bytes: 1 << 20,
                            })
                            .await
                            .unwrap();
                        for e in &page {
                            assert!(e.cursor > after);
                            seen.push(e.cursor);
                            after = e.cursor;
                        }
                        if page.is_empty() && writers_done {
                            return seen;
                        }
                    }
                })
            })
            .collect();
        let mut tasks = Vec::new();
        for w in 0..writers {
            let store = replicas[w % 2].clone();
            let done = done.clone();
            let seed: u64 = rng.gen();
            tasks.push(tokio::spawn(async move {
                let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
                let mut stored = Vec::new();
                for k in 0..per_writer {
                    let org = orgs[rng.gen_range(0..2)];
                    for _ in 0..rng.gen_range(0..3) {
                        tokio::task::yield_now().await;
                    }
                    let got = store
                        .insert_event(NewEvent {
                            org: org.into(),
                            source: "loop".into(),
                            id: format!("r{round}_w{w}_{k}"),
                            endpoint_id: "ep_x".into(),
                            event_type: "t".into(),
                            occurred_at: None,
                            resource_id: None,
                            data: "{}".into(),
                            remember_until: None,
                        })
                        .await
                        .unwrap();
                    match got {
                        Inserted::Stored(c) => stored.push((org, c)),
                        Inserted::Duplicate => panic!("a new id was a duplicate"),
                    }
                }
                done.add_permits(1);
                stored
            }));
        }
        let mut stored: HashMap<&str, Vec<i64>> = HashMap::new();
        for t in tasks {
            for (org, c) in within("a writer", t).await.unwrap() {
                stored.entry(org).or_default().push(c);
            }
        }
        for (i, r) in readers.into_iter().enumerate() {
            let seen = within("a reader", r).await.unwrap();
            let mut expected = stored.remove(orgs[i]).unwrap_or_default();
            expected.sort_unstable();
            assert_eq!(
                seen, expected,
                "round {round}: the reader of {} skipped or reordered cursors",
                orgs[i]
            );
        }
    }
}
