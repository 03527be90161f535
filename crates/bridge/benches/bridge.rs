//! Bridge benchmarks (`cargo bench -p loopdesk-bridge`): runs the real `loopdesk-bridge` binary
//! on 127.0.0.1 over a SQLite file on disk and prints:
//!
//! 1. intake throughput: verified, durably stored (fsync'd) webhooks per second, one sender and
//!    64 concurrent senders;
//! 2. webhook-to-desk latency (p50, p99): a long-poll is held open, a webhook is posted, and the
//!    time until the poll returns it is measured;
//! 3. memory: the server's RSS (VmRSS of /proc/<pid>/status) idle and with 1,000 open long-polls,
//!    and how long waking all 1,000 with one event takes.
//!
//! 4. stores side by side: intake (1 and 64 senders) and webhook-to-desk latency on SQLite, on
//!    PostgreSQL with one bridge, and on PostgreSQL with two bridges (replicas) on one database
//!    (senders alternate between them; the desk polls one while the webhook goes to the other).
//!    PostgreSQL is a throw-away cluster of Debian's `postgresql` package (tests/it/pg.rs), with
//!    fsync on, on the same disk.
//!
//! Sizes can be changed with BENCH_INTAKE (default 4000), BENCH_LATENCY (300), BENCH_POLLS (1000),
//! and for part 4 BENCH_COMPARE_INTAKE (2000) and BENCH_COMPARE_LATENCY (200).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use loopdesk_bridge::schemes::sign_careloop;
use loopdesk_bridge::{AnyStore, Database, Scheme, Store};

#[path = "../tests/it/pg.rs"]
mod pg;
use serde_json::{json, Value};

struct Bridge {
    child: Child,
    base: String,
    /// Where `/metrics` is served.
    metrics: String,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(db: &Path) -> Bridge {
    start_on(&["--db".to_owned(), db.display().to_string()])
}

/// Starts the binary on the store `db_args` names (`--db FILE` or `--database-url URL`).
fn start_on(db_args: &[String]) -> Bridge {
    let mut child = Command::new(env!("CARGO_BIN_EXE_loopdesk-bridge"))
        .arg("serve")
        .args(db_args)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
            // Room for BENCH_POLLS waiting polls and the senders' connections.
            "--max-connections",
            "8192",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn loopdesk-bridge");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let v: Value = serde_json::from_str(&line).expect("listening JSON");
    Bridge {
        base: format!("http://{}", v["listening"].as_str().expect("address")),
        metrics: format!("http://{}", v["metrics"].as_str().expect("metrics address")),
        child,
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

struct Target {
    http: reqwest::Client,
    hook: String,
    secret: String,
}

impl Target {
    async fn post(&self, id: &str, ty: &str) {
        let occurred = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let body = json!({
            "id": id, "type": ty, "occurred_at": occurred,
            "organization_id": "org_bench",
            "data": {"incident_id": format!("inc_{id}"), "severity": "critical",
                     "resident_id": "res_1", "title": "Witnessed fall in lounge"}
        })
        .to_string();
        let sig = sign_careloop(
            &self.secret,
            chrono::Utc::now().timestamp(),
            body.as_bytes(),
        );
        let resp = self
            .http
            .post(&self.hook)
            .header("content-type", "application/json")
            .header("X-CareLoop-Event", ty)
            .header("X-CareLoop-Signature", sig)
            .body(body)
            .send()
            .await
            .expect("post webhook");
        assert!(
            resp.status().is_success(),
            "webhook refused: {}",
            resp.status()
        );
    }
}

async fn open_polls(http: &reqwest::Client, base: &str) -> f64 {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|l| l.strip_prefix("bridge_long_polls_open "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn wait_for_polls(http: &reqwest::Client, base: &str, n: f64) {
    while open_polls(http, base).await < n {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn intake(t: &Target, n: usize, concurrency: usize, prefix: &str) -> f64 {
    let started = Instant::now();
    futures::stream::iter(0..n)
        .map(|i| {
            let id = format!("{prefix}_{i}");
            async move { t.post(&id, "incident.created").await }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<()>>()
        .await;
    n as f64 / started.elapsed().as_secs_f64()
}

/// Intake spread over several bridges: delivery `i` goes to `targets[i % len]`.
async fn intake_over(targets: &[Target], n: usize, concurrency: usize, prefix: &str) -> f64 {
    let started = Instant::now();
    futures::stream::iter(0..n)
        .map(|i| {
            let id = format!("{prefix}_{i}");
            let t = &targets[i % targets.len()];
            async move { t.post(&id, "incident.created").await }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<()>>()
        .await;
    n as f64 / started.elapsed().as_secs_f64()
}

/// The cursor after every event `token` can read now.
async fn feed_end(http: &reqwest::Client, base: &str, token: &str) -> String {
    let mut after = "0".to_owned();
    loop {
        let page: Value = http
            .get(format!("{base}/v1/events?after={after}&limit=1000"))
            .bearer_auth(token)
            .send()
            .await
            .expect("feed")
            .json()
            .await
            .expect("feed JSON");
        let next = page["next_cursor"].as_str().unwrap_or("0").to_owned();
        if next == after {
            return after;
        }
        after = next;
    }
}

/// Part 4 for one store: `bridges` on it (one, or two replicas), its endpoint and device.
async fn compare(
    label: &str,
    bridges: &[Bridge],
    path: &str,
    secret: &str,
    token: &str,
    n_intake: usize,
    n_latency: usize,
) {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    let targets: Vec<Target> = bridges
        .iter()
        .map(|b| Target {
            http: http.clone(),
            hook: format!("{}{path}", b.base),
            secret: secret.to_owned(),
        })
        .collect();
    intake_over(&targets, 200, 16, &format!("{label}_warm")).await;
    let serial = intake_over(&targets, n_intake / 4, 1, &format!("{label}_serial")).await;
    let concurrent = intake_over(&targets, n_intake, 64, &format!("{label}_conc")).await;
    // The desk polls the first bridge; the webhook goes to the last (the other replica).
    let (reader, writer) = (&bridges[0], &targets[targets.len() - 1]);
    let mut after = feed_end(&http, &reader.base, token).await;
    let mut samples = Vec::with_capacity(n_latency);
    for i in 0..n_latency {
        let waiting = {
            let (http, base, token, after) = (
                http.clone(),
                reader.base.clone(),
                token.to_owned(),
                after.clone(),
            );
            tokio::spawn(async move {
                let page = poll(&http, &base, &token, &after).await;
                (Instant::now(), page)
            })
        };
        wait_for_polls(&http, &reader.metrics, 1.0).await;
        let sent = Instant::now();
        writer
            .post(&format!("{label}_lat_{i}"), "incident.critical")
            .await;
        let (received, page) = waiting.await.expect("poll task");
        assert_eq!(page["data"][0]["id"], format!("{label}_lat_{i}"));
        after = page["next_cursor"].as_str().unwrap_or("0").to_owned();
        samples.push(received - sent);
    }
    samples.sort();
    println!(
        "{label:<24} {serial:>9.0}/s {concurrent:>10.0}/s {:>9.2} ms {:>9.2} ms",
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.99)),
    );
}

/// Part 4: the same measures on SQLite, PostgreSQL with one bridge and with two.
async fn compare_stores(dir: &Path) {
    let n_intake = env_usize("BENCH_COMPARE_INTAKE", 2000);
    let n_latency = env_usize("BENCH_COMPARE_LATENCY", 200);
    println!();
    println!(
        "stores side by side ({n_intake} webhooks with 64 senders, {} with 1, {n_latency} latency samples):",
        n_intake / 4
    );
    println!(
        "{:<24} {:>11} {:>12} {:>12} {:>12}",
        "store", "1 sender", "64 senders", "p50", "p99"
    );
    let cluster = pg::PgCluster::start(pg::Settings {
        durable: true,
        tls: None,
    });
    let sqlite = Database::Sqlite(dir.join("compare.db"));
    let pg_one = Database::Postgres(cluster.create_database().await);
    let pg_two = Database::Postgres(cluster.create_database().await);
    for (label, db, replicas) in [
        ("sqlite", &sqlite, 1),
        ("postgresql, 1 bridge", &pg_one, 1),
        ("postgresql, 2 bridges", &pg_two, 2),
    ] {
        let store = AnyStore::open(db).await.expect("store");
        let ep = store
            .add_endpoint("org_bench", Scheme::CareLoop, None)
            .await
            .expect("endpoint");
        let dev = store
            .add_device("org_bench", "bench desk")
            .await
            .expect("device");
        drop(store);
        let args = match db {
            Database::Sqlite(p) => vec!["--db".to_owned(), p.display().to_string()],
            Database::Postgres(url) => vec!["--database-url".to_owned(), url.clone()],
        };
        let bridges: Vec<Bridge> = (0..replicas).map(|_| start_on(&args)).collect();
        compare(
            label, &bridges, &ep.path, &ep.secret, &dev.token, n_intake, n_latency,
        )
        .await;
    }
    println!(
        "PostgreSQL 15: a throw-away cluster in {}, fsync on, synchronous_commit on, same disk",
        cluster.dir().display()
    );
}

async fn poll(http: &reqwest::Client, base: &str, token: &str, after: &str) -> Value {
    http.get(format!("{base}/v1/events?after={after}&wait=30"))
        .bearer_auth(token)
        .send()
        .await
        .expect("poll")
        .json()
        .await
        .expect("poll JSON")
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let n_intake = env_usize("BENCH_INTAKE", 4000);
    let n_latency = env_usize("BENCH_LATENCY", 300);
    let n_polls = env_usize("BENCH_POLLS", 1000);

    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("bench.db");
    // One device per waiting poll, as desks are (a device has at most 2 waiting at once).
    let (ep, dev, desks) = {
        let store = Store::open(&db).expect("store");
        let desks: Vec<String> = (0..n_polls)
            .map(|i| {
                store
                    .add_device("org_bench", &format!("desk {i}"))
                    .expect("device")
                    .token
            })
            .collect();
        (
            store
                .add_endpoint("org_bench", Scheme::CareLoop, None)
                .expect("endpoint"),
            store.add_device("org_bench", "bench desk").expect("device"),
            desks,
        )
    };
    let bridge = start(&db);
    let pid = bridge.child.id();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(2048)
        .build()
        .expect("client");
    let t = Target {
        http: http.clone(),
        hook: format!("{}{}", bridge.base, ep.path),
        secret: ep.secret.clone(),
    };
    println!(
        "loopdesk-bridge benchmarks (SQLite WAL, synchronous=FULL, db in {})",
        dir.path().display()
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let idle_rss = rss_kib(pid);

    // 1. Intake throughput.
    let warm = intake(&t, 200, 16, "warm").await;
    let serial = intake(&t, n_intake / 4, 1, "serial").await;
    let concurrent = intake(&t, n_intake, 64, "conc").await;
    println!(
        "intake, 1 sender:    {serial:>8.0} webhooks/s ({} webhooks)",
        n_intake / 4
    );
    println!("intake, 64 senders:  {concurrent:>8.0} webhooks/s ({n_intake} webhooks; warm-up {warm:.0}/s)");

    // 2. Webhook-to-desk latency through the long-poll.
    let first: Value = http
        .get(format!("{}/v1/events?after=0&limit=1000", bridge.base))
        .bearer_auth(&dev.token)
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("feed JSON");
    let mut after = first["next_cursor"].as_str().unwrap_or("0").to_owned();
    // Skip to the end of the intake events.
    loop {
        let page: Value = http
            .get(format!(
                "{}/v1/events?after={after}&limit=1000",
                bridge.base
            ))
            .bearer_auth(&dev.token)
            .send()
            .await
            .expect("feed")
            .json()
            .await
            .expect("feed JSON");
        let next = page["next_cursor"].as_str().unwrap_or("0").to_owned();
        if next == after {
            break;
        }
        after = next;
    }
    let mut samples = Vec::with_capacity(n_latency);
    for i in 0..n_latency {
        let waiting = {
            let (http, base, token, after) = (
                http.clone(),
                bridge.base.clone(),
                dev.token.clone(),
                after.clone(),
            );
            tokio::spawn(async move {
                let page = poll(&http, &base, &token, &after).await;
                (Instant::now(), page)
            })
        };
        wait_for_polls(&http, &bridge.metrics, 1.0).await;
        let sent = Instant::now();
        t.post(&format!("lat_{i}"), "incident.critical").await;
        let (received, page) = waiting.await.expect("poll task");
        assert_eq!(page["data"][0]["id"], format!("lat_{i}"));
        after = page["next_cursor"].as_str().unwrap_or("0").to_owned();
        samples.push(received - sent);
    }
    samples.sort();
    println!(
        "webhook-to-desk latency over {n_latency} events: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.99)),
        ms(samples[samples.len() - 1])
    );

    // 3. Memory with many open long-polls, and waking them all.
    let before = rss_kib(pid);
    let polls: Vec<_> = desks
        .iter()
        .map(|token| {
            let (http, base, token, after) = (
                http.clone(),
                bridge.base.clone(),
                token.clone(),
                after.clone(),
            );
            tokio::spawn(async move {
                let page = poll(&http, &base, &token, &after).await;
                (Instant::now(), page)
            })
        })
        .collect();
    wait_for_polls(&http, &bridge.metrics, n_polls as f64).await;
    let held = rss_kib(pid);
    let sent = Instant::now();
    t.post("fanout", "visit.no_show").await;
    let mut last = sent;
    for p in polls {
        let (at, page) = p.await.expect("poll task");
        assert_eq!(page["data"][0]["id"], "fanout");
        last = last.max(at);
    }
    println!(
        "server RSS: idle {:.1} MiB, after the runs above {:.1} MiB, with {n_polls} open long-polls {:.1} MiB ({:.1} KiB per poll)",
        idle_rss as f64 / 1024.0,
        before as f64 / 1024.0,
        held as f64 / 1024.0,
        held.saturating_sub(before) as f64 / n_polls as f64
    );
    println!(
        "one webhook woke all {n_polls} long-polls in {:.1} ms",
        ms(last - sent)
    );
    drop(bridge);

    // 4. The stores side by side.
    compare_stores(dir.path()).await;
}
