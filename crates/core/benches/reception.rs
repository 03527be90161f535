//! `cargo bench -p loopdesk-core --bench reception`: what reception's writes and the fire roll
//! call cost.
//!
//! * **Visitor sign-in round trip**: the kiosk's "Sign in" through the desk facade (the
//!   `sign_in_visitor` command's own path: the checks, the visitor's profile, the sign-in row
//!   with its sign-out code, its outbox entry and audit line in one transaction, committed with
//!   `synchronous=FULL`), timed from the call to the answer the kiosk shows; then the visitor
//!   taps their name to sign out (timed the same way). Beside them, in the same run, one plain
//!   `INSERT` + `COMMIT` (WAL, `synchronous=FULL`) in a file in the same folder, made just
//!   before each sign-in so that both meet the same disk. Each sign-in is a new visitor (a
//!   first visit: the most a sign-in writes).
//! * **Fire roll call**: `start_roll_call` (compose everyone in the building from the desk's
//!   file, store the snapshot, answer the view the console shows) with 300 residents, 100 staff
//!   signed in and 200 visitors on site; and its A4 PDF (made on the desk).
//!
//! The desk has no CareLoop set up, so nothing is sent: every write stays queued, as with the
//! network down.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use loopdesk_core::desk::reception::{SignInOutcome, VisitorSignInForm};
use loopdesk_core::desk::{settings, Desk, DeskConfig};
use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::store::repo::people::{
    self, DnarStatus, Location, Resident, ResidentStatus, Staff, StaffRole, StaffStatus,
};
use loopdesk_core::store::repo::{self, outbox, reception as rx};
use loopdesk_core::sync::SyncOptions;
use loopdesk_core::Store;

mod common;
use common::{bench_dir, figures, ms, ratio, Figures, PlainDb};

/// Sign-ins (and sign-outs) timed.
const SAMPLES: usize = 400;
/// Before timing starts (caches, the WAL file's first growth).
const WARM_UP: usize = 40;
/// Roll calls timed.
const ROLL_CALLS: usize = 100;
/// Roll call PDFs timed.
const PDFS: usize = 30;

const RESIDENTS: usize = 300;
const STAFF: usize = 100;
const VISITORS: usize = 200;

/// Three letters from `i` (`aaa`, `aab`, ...): distinct names that are still names.
fn letters(i: usize) -> String {
    let a = |n: usize| char::from(b'a' + (n % 26) as u8);
    [a(i / 676), a(i / 26), a(i)].iter().collect()
}

/// A first-time visitor `i` for resident `resident`.
fn visitor(i: usize, resident: &str) -> VisitorSignInForm {
    VisitorSignInForm {
        first_name: "Anna".into(),
        surname: format!("Hart-{}", letters(i)),
        phone: Some(format!("07700 9{i:05}")),
        visiting_kind: "resident".into(),
        visiting_id: Some(resident.into()),
        relationship: Some("granddaughter".into()),
        car_registration: Some("KX19 ABC".into()),
        ..VisitorSignInForm::default()
    }
}

/// A desk with its home, `residents` residents there and `staff` staff members, no CareLoop.
async fn desk(path: &Path, residents: usize, staff: usize) -> Arc<Desk> {
    let store = Arc::new(Store::open(path).unwrap());
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
            repo::settings::set_setting(tx, settings::LOCATION_ID, "loc_1")?;
            for i in 0..residents {
                people::upsert_resident(
                    tx,
                    &Resident {
                        id: format!("res_{i}"),
                        full_name: format!("Margaret Wilson-{}", letters(i)),
                        preferred_name: Some("Maggie".into()),
                        room_number: Some(format!("{}{:02}", 1 + i / 100, i % 100)),
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
            }
            for i in 0..staff {
                people::upsert_staff(
                    tx,
                    &Staff {
                        id: format!("stf_{i}"),
                        full_name: format!("Grace Hughes-{}", letters(i)),
                        preferred_name: None,
                        role: StaffRole::Carer,
                        email: None,
                        phone: None,
                        location_id: Some("loc_1".into()),
                        status: StaffStatus::Active,
                        certification_summary: None,
                        created_at: None,
                        updated_at: now,
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
    let mut config = DeskConfig::new(Arc::new(MemorySecretStore::default()));
    config.sync = SyncOptions {
        interval: None,
        push_on_write: false,
        ..SyncOptions::default()
    };
    Desk::open(store, config).await.unwrap()
}

fn signed_in(outcome: SignInOutcome) -> String {
    match outcome {
        SignInOutcome::SignedIn { confirmation } => confirmation.sign_in_id,
        other => panic!("not signed in: {other:?}"),
    }
}

/// Sign-in and sign-out round trips, one visitor after another, each beside a plain commit
/// made just before it (interleaved: the disk is as busy for both). Returns the plain commits,
/// the sign-ins and the sign-outs.
async fn sign_ins(dir: &Path) -> (Figures, Figures, Figures) {
    let desk = desk(&dir.join("sign-ins.db"), 1, 0).await;
    let mut plain_db = PlainDb::open(dir);
    let mut plain = Vec::with_capacity(SAMPLES);
    let mut ins = Vec::with_capacity(SAMPLES);
    let mut outs = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES + WARM_UP {
        let plain_took = plain_db.commit();
        let start = Instant::now();
        let id = signed_in(desk.sign_in_visitor(visitor(i, "res_0")).await.unwrap());
        let signed_in_after = start.elapsed();
        let start = Instant::now();
        desk.sign_out_visitor(id).await.unwrap();
        let signed_out_after = start.elapsed();
        if i >= WARM_UP {
            plain.push(plain_took);
            ins.push(signed_in_after);
            outs.push(signed_out_after);
        }
    }
    // Every sign-in and sign-out is committed with its outbox entry, waiting for CareLoop.
    let (queued, _) = desk.store().read(outbox::outbox_counts).unwrap();
    assert_eq!(queued as usize, 2 * (SAMPLES + WARM_UP));
    desk.shutdown().await;
    (figures(plain), figures(ins), figures(outs))
}

/// The roll call of 300 residents, 100 staff and 200 visitors, and its PDF.
async fn roll_calls(dir: &Path) -> (Figures, Figures, usize, usize) {
    let desk = desk(&dir.join("roll-call.db"), RESIDENTS, STAFF).await;
    let now = Utc::now();
    desk.store()
        .write(|tx| {
            for i in 0..STAFF {
                rx::staff_sign_in(tx, &format!("stf_{i}"), now)?;
            }
            Ok(())
        })
        .unwrap();
    for i in 0..VISITORS {
        let resident = format!("res_{}", i % RESIDENTS);
        signed_in(desk.sign_in_visitor(visitor(i, &resident)).await.unwrap());
    }
    let mut starts = Vec::with_capacity(ROLL_CALLS);
    let mut people = 0;
    let mut last = String::new();
    for i in 0..ROLL_CALLS + 5 {
        let start = Instant::now();
        let view = desk.start_roll_call().await.unwrap();
        let took = start.elapsed();
        people = view.in_building as usize;
        last = view.id;
        if i >= 5 {
            starts.push(took);
        }
    }
    let mut pdfs = Vec::with_capacity(PDFS);
    let mut bytes = 0;
    for i in 0..PDFS + 2 {
        let start = Instant::now();
        let pdf = desk.roll_call_pdf(last.clone()).await.unwrap();
        let took = start.elapsed();
        bytes = pdf.len();
        if i >= 2 {
            pdfs.push(took);
        }
    }
    desk.shutdown().await;
    (figures(starts), figures(pdfs), people, bytes)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not used here.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = bench_dir();

    println!(
        "reception's writes against a plain commit (WAL, synchronous=FULL), {SAMPLES} each, \
         interleaved:"
    );
    println!(
        "{:<32} {:>10} {:>10} {:>8} {:>8}",
        "", "p50", "p99", "p50 ×", "p99 ×"
    );
    let (plain, ins, outs) = runtime.block_on(sign_ins(dir.path()));
    println!(
        "{:<32} {:>10} {:>10}",
        "plain INSERT + COMMIT",
        ms(plain.p50),
        ms(plain.p99)
    );
    for (name, f) in [("visitor sign-in", ins), ("visitor sign-out (tap)", outs)] {
        println!(
            "{:<32} {:>10} {:>10} {:>8} {:>8}",
            name,
            ms(f.p50),
            ms(f.p99),
            ratio(f.p50, plain.p50),
            ratio(f.p99, plain.p99)
        );
    }

    let (starts, pdfs, people, bytes) = runtime.block_on(roll_calls(dir.path()));
    println!();
    println!(
        "fire roll call: {RESIDENTS} residents, {STAFF} staff on site, {VISITORS} visitors \
         ({people} in the building):"
    );
    println!("{:<32} {:>10} {:>10}", "", "p50", "p99");
    println!(
        "{:<32} {:>10} {:>10}",
        format!("start (compose + store), {ROLL_CALLS}×"),
        ms(starts.p50),
        ms(starts.p99)
    );
    println!(
        "{:<32} {:>10} {:>10}   {} kB",
        format!("A4 PDF, {PDFS}×"),
        ms(pdfs.p50),
        ms(pdfs.p99),
        bytes / 1024
    );
}
