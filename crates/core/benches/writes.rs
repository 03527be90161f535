//! `cargo bench -p loopdesk-core --bench writes`: what a desk write costs, beside one plain
//! SQLite commit on the same disk in the same run.
//!
//! Each kind of write is made through the desk facade (the command's own path: checks, the row,
//! its outbox entry and audit line in one transaction, the sync bar's counts) with 0 and 4,000
//! entries already queued, and timed end to end; the baseline is `INSERT` + `COMMIT` of one row
//! in a separate file with the same pragmas (WAL, `synchronous=FULL`) in the same folder, one
//! made just before each desk write (interleaved, so that the disk's slow moments fall on both
//! alike; timed in blocks, the plain commit's own p99 moved 8-fold between runs). The goal is at
//! most 2 times the baseline at p99, and nothing that grows with the queue.
//!
//! The desk has no CareLoop set up, so nothing is sent; every write stays queued.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use loopdesk_core::desk::{Desk, DeskConfig};
use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::store::repo::outbox::{self, NewOutboxEntry};
use loopdesk_core::store::repo::people::{DnarStatus, Location, Resident, ResidentStatus};
use loopdesk_core::store::repo::{care, people};
use loopdesk_core::sync::SyncOptions;
use loopdesk_core::Store;

mod common;
use common::{bench_dir, figures, ms, ratio, PlainDb};

/// Writes timed per kind and queue length (the p99 is then the 30th slowest).
const SAMPLES: usize = 3_000;
/// Milliseconds between one pair (plain commit, desk write) and the next.
const PAUSE_MS: u64 = 5;
/// Writes before timing starts (caches, the WAL file's first growth).
const WARM_UP: usize = 40;

fn seed(store: &Store, queued: usize, visits: usize) -> Vec<String> {
    let now = Utc::now();
    store
        .write(|tx| {
            people::upsert_location(
                tx,
                &Location {
                    id: "loc_1".into(),
                    name: "Avery Park".into(),
                    address: None,
                    created_at: None,
                    updated_at: now,
                },
            )?;
            people::upsert_resident(
                tx,
                &Resident {
                    id: "res_1".into(),
                    full_name: "Margaret Wilson".into(),
                    preferred_name: Some("Maggie".into()),
                    room_number: Some("12".into()),
                    date_of_birth: None,
                    status: ResidentStatus::Current,
                    dnar_status: DnarStatus::NotRecorded,
                    location_id: Some("loc_1".into()),
                    keyworker: None,
                    contacts: vec![],
                    admitted_at: None,
                    discharged_at: None,
                    created_at: None,
                    updated_at: now,
                },
            )?;
            for i in 0..queued {
                outbox::enqueue(
                    tx,
                    &NewOutboxEntry {
                        op: "visit.update",
                        entity: "visit",
                        entity_id: &format!("vis_queued_{i}"),
                        payload: serde_json::json!({"status": "confirmed"}),
                    },
                )?;
            }
            let mut ids = Vec::with_capacity(visits);
            for i in 0..visits {
                let id = format!("vis_bench_{i}");
                let starts = now + TimeDelta::hours(1 + i as i64);
                care::upsert_visit(
                    tx,
                    &care::Visit {
                        id: id.clone(),
                        location_id: "loc_1".into(),
                        staff_user_id: None,
                        resident_id: Some("res_1".into()),
                        visit_type: "wellbeing".into(),
                        starts_at: starts,
                        ends_at: starts + TimeDelta::minutes(30),
                        status: care::VisitStatus::Scheduled,
                        notes: None,
                        confirmed_at: None,
                        completed_at: None,
                        cancelled_at: None,
                        cancel_reason: None,
                        created_at: None,
                        updated_at: now,
                    },
                )?;
                ids.push(id);
            }
            Ok(ids)
        })
        .unwrap()
}

/// A pause before each pair: what a desk write leaves to do in the background (the store's
/// checkpoint every 16 commits) is not then timed as part of the next plain commit. A person's
/// writes are seconds apart; back to back, the plain commit made right after a care note was
/// twice as slow as the one made after a visit confirmation.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(PAUSE_MS)).await;
}

/// Times of one kind of write: the desk's, and the plain commits made just before each.
struct Timed {
    plain: Vec<Duration>,
    desk: Vec<Duration>,
}

impl Timed {
    fn new() -> Self {
        Self {
            plain: Vec::with_capacity(SAMPLES),
            desk: Vec::with_capacity(SAMPLES),
        }
    }

    fn keep(&mut self, i: usize, plain: Duration, desk: Duration) {
        if i >= WARM_UP {
            self.plain.push(plain);
            self.desk.push(desk);
        }
    }
}

async fn desk_writes(dir: &Path, queued: usize) -> (Timed, Timed) {
    let mut plain_db = PlainDb::open(dir);
    let store = Arc::new(Store::open(dir.join(format!("desk-{queued}.db"))).unwrap());
    let visits = seed(&store, queued, SAMPLES + WARM_UP);
    let mut config = DeskConfig::new(Arc::new(MemorySecretStore::default()));
    config.sync = SyncOptions {
        interval: None,
        push_on_write: false,
        ..SyncOptions::default()
    };
    let desk = Desk::open(store, config).await.unwrap();

    let mut notes = Timed::new();
    for i in 0..SAMPLES + WARM_UP {
        settle().await;
        let plain = plain_db.commit();
        let start = Instant::now();
        desk.add_care_note(
            "res_1".into(),
            format!("Had a good lunch ({i})"),
            "nutrition".into(),
        )
        .await
        .unwrap();
        notes.keep(i, plain, start.elapsed());
    }
    let mut confirms = Timed::new();
    for (i, id) in visits.into_iter().enumerate() {
        settle().await;
        let plain = plain_db.commit();
        let start = Instant::now();
        desk.confirm_visit(id).await.unwrap();
        confirms.keep(i, plain, start.elapsed());
    }
    desk.shutdown().await;
    (notes, confirms)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not used here.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = bench_dir();

    println!("desk writes against a plain commit (WAL, synchronous=FULL), {SAMPLES} each:");
    println!(
        "{:<32} {:>10} {:>10} {:>8} {:>8}",
        "", "p50", "p99", "p50 ×", "p99 ×"
    );
    for queued in [0, 4_000] {
        let (notes, confirms) = runtime.block_on(desk_writes(dir.path(), queued));
        for (name, timed) in [("care note", notes), ("visit confirmation", confirms)] {
            let plain = figures(timed.plain);
            let f = figures(timed.desk);
            println!(
                "{:<32} {:>10} {:>10}",
                "  plain INSERT + COMMIT beside it",
                ms(plain.p50),
                ms(plain.p99)
            );
            println!(
                "{:<32} {:>10} {:>10} {:>8} {:>8}",
                format!("{name}, {queued} queued"),
                ms(f.p50),
                ms(f.p99),
                ratio(f.p50, plain.p50),
                ratio(f.p99, plain.p99)
            );
        }
    }
}
