//! `cargo bench -p loopdesk-core --bench sync`: the desk's first and incremental sync of the
//! large sandbox (requests used against the minimum, 429s, the desk's CPU time against wall
//! time) and resident search latency over 2,000 and 20,000 residents (a word start, a whole
//! word, the middle of a word, two words in any order, a room number).
//!
//! The sandbox runs in the same process on its own runtime; the desk runs on a runtime whose
//! threads are named `desk-*`, and the CPU time of those threads (from /proc, Linux) is the
//! client's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeDelta, Utc};
use criterion::{BenchmarkId, Criterion};
use loopdesk_core::desk::{settings, Desk, DeskConfig};
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::store::repo::{self, people, Page};
use loopdesk_core::sync::SyncOptions;
use loopdesk_core::Store;
use loopdesk_sandbox::{DataSize, KeySpec, Sandbox, SandboxConfig};
use serde_json::Value;

const DESK_KEY: &str = "cl_bench_desk_0000000000000000";
const INSPECTOR_KEY: &str = "cl_bench_inspector_000000000000";

/// CPU seconds used so far by this process's threads whose name starts with `prefix`.
fn cpu_seconds(prefix: &str) -> f64 {
    let mut ticks = 0u64;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the command name (which is in parentheses): utime is the 12th, stime
        // the 13th of those.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0);
        let stime: u64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
        ticks += utime + stime;
    }
    ticks as f64 / 100.0 // USER_HZ
}

struct Run {
    requests: usize,
    minimum: u64,
    limited: usize,
    wall: Duration,
    cpu: f64,
}

async fn audit(http: &reqwest::Client, base: &str, key_id: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for page in 1.. {
        let resp = http
            .get(format!(
                "{base}/v1/audit-log?key_id={key_id}&page={page}&page_size=100"
            ))
            .bearer_auth(INSPECTOR_KEY)
            .send()
            .await
            .unwrap();
        if resp.status() == 429 {
            http.post(format!("{base}/v1/_test/rate-limits/reset"))
                .bearer_auth(INSPECTOR_KEY)
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap();
            continue;
        }
        let v: Value = resp.json().await.unwrap();
        let data = v["data"].as_array().unwrap();
        let done = data.is_empty()
            || out.len() + data.len() >= v["meta"]["total"].as_u64().unwrap() as usize;
        out.extend(data.iter().cloned());
        if done {
            break;
        }
    }
    out
}

fn sync_benchmark() {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sandbox")
        .enable_all()
        .build()
        .unwrap();
    let desk_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("desk")
        .thread_keep_alive(Duration::from_secs(3600))
        .enable_all()
        .build()
        .unwrap();
    let sandbox = server_rt
        .block_on(Sandbox::start(SandboxConfig {
            size: DataSize::Large,
            keys: vec![
                KeySpec {
                    token: DESK_KEY.into(),
                    scopes: vec!["admin".into()],
                },
                KeySpec {
                    token: INSPECTOR_KEY.into(),
                    scopes: vec!["admin".into()],
                },
            ],
            test_controls: true,
            ..SandboxConfig::default()
        }))
        .unwrap();
    let base = sandbox.base_url().to_owned();
    let key_id = sandbox.keys()[0].id.clone();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("loopdesk.db")).unwrap());
    store
        .write(|tx| repo::settings::set_setting(tx, settings::API_BASE_URL, &base))
        .unwrap();
    let options = SyncOptions {
        interval: None,
        push_on_write: false,
        ..SyncOptions::default()
    };
    let http = reqwest::Client::new();

    let (first, second) = desk_rt.block_on(async {
        let mut config = DeskConfig::new(Arc::new(MemorySecretStore::with_api_key(Secret::new(DESK_KEY))));
        config.sync = options.clone();
        let desk = Desk::open(store.clone(), config).await.unwrap();

        // The minimum for a full pull: every item (with tombstones) of each list, 100 a page,
        // with the windows the desk uses.
        let now = Utc::now();
        let windows = [
            ("/v1/locations", String::new()),
            ("/v1/staff", String::new()),
            ("/v1/courses", String::new()),
            ("/v1/residents", String::new()),
            ("/v1/certifications", String::new()),
            ("/v1/visits", format!("&from={}&to={}",
                (now - options.visits_back).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                (now + options.visits_ahead).to_rfc3339_opts(chrono::SecondsFormat::Millis, true))),
            ("/v1/incidents", format!("&from={}",
                (now - options.incidents_back).to_rfc3339_opts(chrono::SecondsFormat::Millis, true))),
        ];
        let mut minimum = 0;
        for (path, extra) in &windows {
            let v: Value = http
                .get(format!("{base}{path}?page_size=1&updated_since=1970-01-01T00:00:00Z&include_deleted=true{extra}"))
                .bearer_auth(INSPECTOR_KEY)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            minimum += v["meta"]["total"].as_u64().unwrap().div_ceil(100).max(1);
        }

        let cpu0 = cpu_seconds("desk");
        let t0 = Instant::now();
        desk.sync_now().await.unwrap();
        let wall = t0.elapsed();
        let cpu = cpu_seconds("desk") - cpu0;
        let log = audit(&http, &base, &key_id).await;
        let first = Run {
            requests: log.len(),
            minimum,
            limited: log.iter().filter(|r| r["status"] == 429).count(),
            wall,
            cpu,
        };

        // Someone changes 150 residents on the server; the desk catches up.
        let residents: Value = http
            .get(format!("{base}/v1/residents?page_size=100&page=3"))
            .bearer_auth(INSPECTOR_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut changed = 0;
        for r in residents["data"].as_array().unwrap().iter().chain(
            http.get(format!("{base}/v1/residents?page_size=100&page=4"))
                .bearer_auth(INSPECTOR_KEY)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()["data"]
                .as_array()
                .unwrap()
                .iter()
                .take(50),
        ) {
            http.patch(format!("{base}/v1/_test/residents/{}", r["id"].as_str().unwrap()))
                .bearer_auth(INSPECTOR_KEY)
                .json(&serde_json::json!({"room_number": "B7"}))
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap();
            changed += 1;
        }
        let before = log.len();
        let cpu0 = cpu_seconds("desk");
        let t0 = Instant::now();
        desk.sync_now().await.unwrap();
        let wall = t0.elapsed();
        let cpu = cpu_seconds("desk") - cpu0;
        let log = audit(&http, &base, &key_id).await;
        let second = Run {
            requests: log.len() - before,
            // residents: 150 changes = 2 pages; the six other lists: one request each.
            minimum: (changed as u64).div_ceil(100) + 6,
            limited: log[before..].iter().filter(|r| r["status"] == 429).count(),
            wall,
            cpu,
        };
        desk.shutdown().await;
        (first, second)
    });

    println!();
    println!("sync of the large sandbox (page size 100, default windows)");
    println!("| sync | requests | minimum | 429s | wall | desk CPU |");
    println!("|---|---|---|---|---|---|");
    for (name, r) in [
        ("first (full)", &first),
        ("incremental (150 residents changed)", &second),
    ] {
        println!(
            "| {name} | {} | {} | {} | {:.1} s | {:.2} s |",
            r.requests,
            r.minimum,
            r.limited,
            r.wall.as_secs_f64(),
            r.cpu
        );
    }
    println!();
    drop(sandbox);
}

/// A store holding `n` residents with realistic names and rooms.
fn residents_store(n: usize) -> (tempfile::TempDir, Store) {
    const FIRST: &[&str] = &[
        "Margaret", "Arthur", "Edith", "Harold", "Joan", "Stanley", "Doris", "Albert", "Irene",
        "Walter", "Mary", "George",
    ];
    const LAST: &[&str] = &[
        "Wilson", "Patel", "Hughes", "O'Brien", "Clarke", "Nowak", "Evans", "Khan", "Murphy",
        "Green", "Shaw", "Begum", "Lloyd",
    ];
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("loopdesk.db")).unwrap();
    store
        .write(|tx| {
            for i in 0..n {
                let r = people::Resident {
                    id: format!("res_{i:08}"),
                    full_name: format!(
                        "{} {}{}",
                        FIRST[i % FIRST.len()],
                        LAST[(i / 7) % LAST.len()],
                        i / 91
                    ),
                    preferred_name: Some(FIRST[(i + 3) % FIRST.len()].to_owned()),
                    room_number: Some(format!("{}", i % 400 + 1)),
                    date_of_birth: NaiveDate::from_ymd_opt(1940, 1, 1),
                    status: people::ResidentStatus::Current,
                    dnar_status: people::DnarStatus::NotRecorded,
                    location_id: Some(format!("loc_{}", i % 10)),
                    keyworker: None,
                    contacts: Vec::new(),
                    admitted_at: None,
                    discharged_at: None,
                    created_at: None,
                    updated_at: Utc::now() - TimeDelta::days(1),
                };
                people::upsert_resident(tx, &r)?;
            }
            Ok(())
        })
        .unwrap();
    (dir, store)
}

fn search_benchmark(c: &mut Criterion) {
    let mut group = c.benchmark_group("resident search");
    for n in [2_000usize, 20_000] {
        let (_dir, store) = residents_store(n);
        for text in ["mar", "wilson", "ilso", "hughes mary", "12"] {
            let query = people::ResidentQuery {
                text: Some(text.into()),
                location_id: None,
                status: None,
            };
            group.bench_with_input(
                BenchmarkId::new(format!("{n} residents"), text),
                &query,
                |b, q| {
                    b.iter(|| {
                        store
                            .read(|c| {
                                people::search_residents(
                                    c,
                                    q,
                                    Page {
                                        limit: 50,
                                        offset: 0,
                                    },
                                )
                            })
                            .unwrap()
                    })
                },
            );
        }
    }
    group.finish();
}

fn main() {
    loopdesk_core::api::install_tls_provider();
    let mut c = Criterion::default().configure_from_args();
    search_benchmark(&mut c);
    if std::env::var_os("LOOPDESK_BENCH_SKIP_SYNC").is_none() {
        sync_benchmark();
    }
    c.final_summary();
}
