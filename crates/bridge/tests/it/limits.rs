//! Slow and greedy clients: timeouts, the connection cap, long-polls per device, page sizes.

use rstest::rstest;
use std::process::{Command, Stdio};
use std::time::Duration;

use loopdesk_bridge::store::NewEvent;
use loopdesk_bridge::{EventStore as _, Scheme};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::common::{
    client, delivery, ids, now, within, Backend, BridgeProcess, TestServer, POSTGRES, SQLITE,
};

const MIB: u64 = 1024 * 1024;

#[rstest]
#[tokio::test]
async fn concurrent_reads_of_large_events_keep_the_server_small(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = backend.fresh(dir.path()).await;
    let store = db.open().await;
    let dev = store.add_device("org_a", "desk").await.unwrap();
    // 400 events of 256 KiB (the largest body the intake takes): 100 MiB.
    let pad = "x".repeat(256 * 1024 - 16);
    let inserts = (0..400).map(|i| {
        store.insert_event(NewEvent {
            org: "org_a".into(),
            source: "lifeloop".into(),
            id: format!("big_{i}"),
            endpoint_id: "ep_x".into(),
            event_type: "resident.updated".into(),
            occurred_at: None,
            resource_id: None,
            data: format!(r#"{{"pad":"{pad}"}}"#),
            remember_until: None,
        })
    });
    for r in within("400 inserts", futures::future::join_all(inserts)).await {
        r.unwrap();
    }
    drop(store);

    let bridge = BridgeProcess::start(&db).await;
    let http = client();
    let started = bridge.status_bytes("VmRSS");
    // Four desks read with limit=1000 at once, ten pages each.
    let readers = (0..4).map(|_| {
        let (http, base, token) = (http.clone(), bridge.base.clone(), dev.token.clone());
        async move {
            let mut after = "0".to_owned();
            let mut read = 0;
            for _ in 0..10 {
                let resp = http
                    .get(format!("{base}/v1/events?after={after}&limit=1000"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), StatusCode::OK);
                let page: Value = resp.json().await.unwrap();
                let n = page["data"].as_array().unwrap().len();
                if n == 0 {
                    break;
                }
                read += n;
                after = page["next_cursor"].as_str().unwrap().to_owned();
            }
            read
        }
    });
    let read = within("four readers", futures::future::join_all(readers)).await;
    assert!(
        read.iter().all(|n| *n >= 10),
        "each reader read ten pages: {read:?}"
    );
    // The peak resident size of the server over its whole life, reads included.
    let peak = bridge.status_bytes("VmHWM");
    assert!(
        peak < 200 * MIB,
        "the server peaked at {} MiB (started at {} MiB)",
        peak / MIB,
        started / MIB
    );
}

/// Opens `n` connections to `addr` that each send the start of a request line and nothing more.
async fn half_sent_requests(addr: &str, n: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = within("a connection", TcpStream::connect(addr))
            .await
            .expect("connect");
        // The server may already have closed it to make room; that is fine.
        let _ = s.write_all(b"POST /hooks/ep_x HT").await;
        held.push(s);
    }
    held
}

/// Reads until the server closes the connection; what it sent before that.
async fn until_closed(stream: &mut tokio::net::tcp::OwnedReadHalf) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[rstest]
#[tokio::test]
async fn half_sent_requests_never_keep_a_genuine_webhook_out(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = backend.fresh(dir.path()).await;
    let log = dir.path().join("stderr.log");
    let (ep, dev) = {
        let store = db.open().await;
        (
            store
                .add_endpoint("org_a", Scheme::CareLoop, None)
                .await
                .unwrap(),
            store.add_device("org_a", "desk").await.unwrap(),
        )
    };
    // The real binary with 256 open files allowed, default limits: far fewer than the
    // connections below, so without a cap it runs out of file descriptors.
    const OPEN_FILES: usize = 256;
    let mut sh = Command::new("sh");
    sh.args([
        "-c",
        &format!("ulimit -n {OPEN_FILES} && exec \"$0\" \"$@\""),
        env!("CARGO_BIN_EXE_loopdesk-bridge"),
    ]);
    let stderr = Stdio::from(std::fs::File::create(&log).unwrap());
    let bridge = BridgeProcess::spawn(
        sh,
        &db,
        "warn",
        stderr,
        &["--metrics-listen", "127.0.0.1:0"],
    )
    .await;
    let addr = bridge.base.trim_start_matches("http://").to_owned();
    let held = half_sent_requests(&addr, 400).await;

    // A genuine delivery is acknowledged (bounded wait: it must not hang).
    let d = delivery(
        Scheme::CareLoop,
        &ep.secret,
        "evt_genuine",
        "incident.critical",
        now(),
    );
    let http = client();
    let req = http
        .post(format!("{}{}", bridge.base, ep.path))
        .body(d.body);
    let req = d.headers.iter().fold(req, |r, (k, v)| r.header(k, v));
    let resp = within("the genuine webhook", req.send()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = http
        .get(format!("{}/v1/events", bridge.base))
        .bearer_auth(&dev.token)
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&resp.json().await.unwrap()), vec!["evt_genuine"]);

    // It stayed within its file descriptors, closing the quiet connections to make room.
    let fds = std::fs::read_dir(format!("/proc/{}/fd", bridge.pid()))
        .unwrap()
        .count();
    assert!(fds < OPEN_FILES, "{fds} open files");
    let metrics = bridge.metrics_base.clone().unwrap();
    let text = http
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let open = crate::common::metric_value(&text, "bridge_connections_open");
    assert!(open < OPEN_FILES as f64, "{open} connections open");
    let evicted =
        crate::common::metric_value(&text, "bridge_connections_closed_total{reason=\"evicted\"}");
    assert!(evicted >= 100.0, "{evicted} evicted\n{text}");
    drop(held);
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(!log.contains("Too many open files"), "{log}");
}

#[rstest]
#[tokio::test]
async fn at_the_connection_cap_quiet_connections_make_room_and_busy_ones_stay(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::with_config(backend, |c| c.max_connections = 8).await;
    let ep = server
        .store
        .add_endpoint("org_a", Scheme::CareLoop, None)
        .await
        .unwrap();
    let dev = server.store.add_device("org_a", "desk").await.unwrap();
    // A long-poll (a request in progress) is never closed to make room.
    let poll = {
        let client = server.client.clone();
        let url = server.url("/v1/events?wait=30");
        let token = dev.token.clone();
        tokio::spawn(async move {
            let resp = client.get(url).bearer_auth(token).send().await.unwrap();
            resp.json::<Value>().await.unwrap()
        })
    };
    server.wait_for_open_polls(1.0).await;
    let held = half_sent_requests(&server.addr.to_string(), 40).await;
    let d = delivery(
        Scheme::CareLoop,
        &ep.secret,
        "evt_1",
        "incident.critical",
        now(),
    );
    let (status, body) = within("the genuine webhook", server.deliver(&ep.path, &d)).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("stored"))
    );
    assert_eq!(
        ids(&within("the long-poll", poll).await.unwrap()),
        vec!["evt_1"]
    );
    assert!(server.metric("bridge_connections_open").await <= 8.0);
    let evicted = server
        .metric("bridge_connections_closed_total{reason=\"evicted\"}")
        .await;
    assert!(evicted >= 32.0, "{evicted}");
    drop(held);
}

#[rstest]
#[tokio::test]
async fn a_request_head_that_trickles_in_is_cut_off_at_the_header_timeout(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::with_config(backend, |c| {
        c.header_timeout = Duration::from_secs(1);
        c.keep_alive_timeout = Duration::from_secs(60);
    })
    .await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    // One byte every 100 ms: never quiet, never a whole head.
    let trickle = tokio::spawn(async move {
        for b in b"GET /healthz HTTP/1.1\r\nX-Slow: ".iter().cycle() {
            if write.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    within(
        "the server closing the slow connection",
        until_closed(&mut read),
    )
    .await;
    trickle.abort();
    assert_eq!(
        server
            .metric("bridge_connections_closed_total{reason=\"header_timeout\"}")
            .await,
        1.0
    );
}

#[rstest]
#[tokio::test]
async fn idle_and_silent_connections_are_closed_at_the_keep_alive_timeout(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::with_config(backend, |c| {
        c.header_timeout = Duration::from_secs(60);
        c.keep_alive_timeout = Duration::from_secs(1);
    })
    .await;
    // After a response, an idle keep-alive connection.
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    write
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: bridge\r\n\r\n")
        .await
        .unwrap();
    let answer = within("the answer, then the close", until_closed(&mut read)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#"{"status":"ok","#), "{answer}");
    // A connection that never says anything.
    let silent = TcpStream::connect(server.addr).await.unwrap();
    let (mut read, _write) = silent.into_split();
    assert!(within("the silent one closing", until_closed(&mut read))
        .await
        .is_empty());
    assert_eq!(
        server
            .metric("bridge_connections_closed_total{reason=\"idle\"}")
            .await,
        2.0
    );
}

/// A connection whose long-poll outlasted the keep-alive timeout is closed one keep-alive timeout
/// after the poll is answered: the connection's task, asleep while the poll was held, is woken
/// by the request's end.
#[rstest]
#[tokio::test]
async fn a_connection_is_closed_a_keep_alive_timeout_after_its_long_poll_ends(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::with_config(backend, |c| {
        c.header_timeout = Duration::from_secs(60);
        c.keep_alive_timeout = Duration::from_secs(1);
    })
    .await;
    let dev = server.store.add_device("org_a", "desk").await.unwrap();
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let asked = tokio::time::Instant::now();
    write
        .write_all(
            format!(
                "GET /v1/events?wait=3 HTTP/1.1\r\nHost: bridge\r\nAuthorization: Bearer {}\r\n\r\n",
                dev.token
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let answer = within("the answer, then the close", until_closed(&mut read)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Held for its three seconds, then closed after one quiet second.
    assert!(asked.elapsed() >= Duration::from_secs(3));
    assert_eq!(
        server
            .metric("bridge_connections_closed_total{reason=\"idle\"}")
            .await,
        1.0
    );
}

#[rstest]
#[tokio::test]
async fn a_webhook_body_that_trickles_in_is_answered_408(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server =
        TestServer::with_config(backend, |c| c.body_timeout = Duration::from_secs(1)).await;
    let ep = server
        .store
        .add_endpoint("org_a", Scheme::LifeLoop, None)
        .await
        .unwrap();
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: bridge\r\nContent-Type: application/json\r\n\
         X-LifeLoop-Signature: {}\r\nContent-Length: 100\r\n\r\n{{\"eventId\":",
        ep.path,
        "ab".repeat(32)
    );
    write.write_all(head.as_bytes()).await.unwrap();
    let answer = within("the 408, then the close", until_closed(&mut read)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert_eq!(
        server
            .metric("bridge_webhooks_refused_total{reason=\"request_timeout\"}")
            .await,
        1.0
    );
}

/// CPU time (user + system, in clock ticks) the process `pid` has used, from `/proc/<pid>/stat`.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc stat");
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// A long-poll that outlasts the keep-alive timeout keeps its connection without the server
/// waking for it over and over: a held poll, the desk's normal state all day, costs next to no
/// CPU. (The connection's quiet-time deadline was once taken from its last byte even with the
/// poll in progress, so it had passed and woke the loop at once: one core spun for every wait.)
#[tokio::test]
async fn a_long_poll_held_past_the_keep_alive_timeout_does_not_spin() {
    let dir = tempfile::tempdir().unwrap();
    let db = SQLITE.fresh(dir.path()).await;
    let store = db.open().await;
    let dev = store.add_device("org_a", "desk").await.unwrap();
    drop(store);
    let bridge = BridgeProcess::start_args(&db, &["--keep-alive-timeout", "1"]).await;
    let http = client();
    let before = cpu_ticks(bridge.pid());
    // Nothing arrives: the poll is held for its whole wait, five keep-alive timeouts.
    let resp = within(
        "a held long-poll",
        http.get(format!("{}/v1/events?wait=5", bridge.base))
            .bearer_auth(&dev.token)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let page: Value = resp.json().await.unwrap();
    assert!(ids(&page).is_empty(), "{page}");
    let used = cpu_ticks(bridge.pid()) - before;
    // Spinning uses most of a core for the five seconds (hundreds of ticks at 100 a second);
    // a held poll uses a few. A full second is far above the one and far below the other.
    assert!(
        used < 100,
        "the bridge used {used} ticks of CPU while one poll was held"
    );
}
