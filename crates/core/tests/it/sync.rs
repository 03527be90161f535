//! Pulling from a real sandbox into a real SQLite file.

use std::collections::{BTreeSet, HashMap};

use loopdesk_core::store::repo::{self, care, people, training};
use loopdesk_core::sync::{Connection, SyncEvent};
use loopdesk_sandbox::DataSize;
use reqwest::Method;
use serde_json::{json, Value};

use crate::peer::{assert_same_fields, config, json_of, Peer, TestDesk};

/// (resource name, list path, local table)
const RESOURCES: &[(&str, &str, &str)] = &[
    ("locations", "/v1/locations", "locations"),
    ("staff", "/v1/staff", "staff"),
    ("courses", "/v1/courses", "courses"),
    ("residents", "/v1/residents", "residents"),
    ("certifications", "/v1/certifications", "certifications"),
    ("visits", "/v1/visits", "visits"),
    ("incidents", "/v1/incidents", "incidents"),
];

fn local_ids(t: &TestDesk, table: &str) -> BTreeSet<String> {
    let table = table.to_owned();
    t.desk
        .store()
        .read(|c| {
            let mut stmt =
                c.prepare(&format!("SELECT id FROM {table} WHERE deleted_at IS NULL"))?;
            let ids = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(ids)
        })
        .unwrap()
}

async fn server_ids(peer: &Peer, path: &str) -> BTreeSet<String> {
    peer.all(path, "")
        .await
        .into_iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_pull_of_a_medium_sandbox_is_exact_minimal_and_never_rate_limited() {
    let peer = Peer::start(config(DataSize::Medium)).await;
    let t = TestDesk::new(&peer).await;
    let mut events = t.desk.watch_sync();

    t.desk.sync_now().await.unwrap();

    // Exactly the server's data, resource by resource.
    let mut expected_requests = 0;
    for (name, path, table) in RESOURCES {
        let server = server_ids(&peer, path).await;
        assert!(!server.is_empty(), "{name}: the sandbox has data");
        assert_eq!(
            local_ids(&t, table),
            server,
            "{name}: local ids are the server's"
        );
        // What a full pull has to read: every item with its tombstones, 100 per page.
        let total = peer
            .total(
                path,
                "updated_since=1970-01-01T00:00:00Z&include_deleted=true",
            )
            .await;
        expected_requests += total.div_ceil(100).max(1);
    }

    // Field by field, a sample of each resource. Certification statuses and staff summaries are
    // counted on the desk, on the day the sandbox counts them (its clock's UTC date).
    let today = chrono::Utc::now().date_naive();
    let store = t.desk.store().clone();
    for path in ["/v1/residents", "/v1/staff", "/v1/visits", "/v1/incidents"] {
        let items = peer.all(path, "").await;
        for server in items.iter().step_by(items.len() / 5 + 1) {
            let id = server["id"].as_str().unwrap().to_owned();
            let local = store
                .read(|c| {
                    Ok(match path {
                        "/v1/residents" => json_of(&people::get_resident(c, &id)?.unwrap()),
                        "/v1/staff" => json_of(&people::get_staff(c, &id, today)?.unwrap()),
                        "/v1/visits" => json_of(&care::get_visit(c, &id)?.unwrap()),
                        _ => json_of(&care::get_incident(c, &id)?.unwrap()),
                    })
                })
                .unwrap();
            assert_same_fields(&format!("{path}/{id}"), &local, server);
        }
    }
    let server_certs = peer.all("/v1/certifications", "").await;
    for server in server_certs.iter().step_by(97) {
        let id = server["id"].as_str().unwrap().to_owned();
        let local = store
            .read(|c| {
                Ok(json_of(
                    &training::get_certification(c, &id, today)?.unwrap(),
                ))
            })
            .unwrap();
        assert_same_fields(&format!("certification {id}"), &local, server);
    }
    let courses: HashMap<String, Value> = store
        .read(training::list_courses)
        .unwrap()
        .into_iter()
        .map(|c| (c.id.clone(), json_of(&c)))
        .collect();
    for server in peer.all("/v1/courses", "").await {
        assert_same_fields("course", &courses[server["id"].as_str().unwrap()], &server);
    }
    let server_locations = peer.all("/v1/locations", "").await;
    for local in store.read(people::list_locations).unwrap() {
        let server = server_locations
            .iter()
            .find(|s| s["id"] == json!(local.id))
            .unwrap();
        assert_same_fields("location", &json_of(&local), server);
    }

    // The minimum number of requests for the page size, and not one 429.
    let requests = peer.desk_requests().await;
    let limited = requests.iter().filter(|r| r["status"] == 429).count();
    assert_eq!(
        limited, 0,
        "the client-side limiter kept the desk under the limits"
    );
    assert!(
        requests.len() > 30,
        "the pull is longer than one burst window allows ({} requests)",
        requests.len()
    );
    assert_eq!(requests.len() as u64, expected_requests);

    // Progress was reported per page, ending at the total; the status says online.
    let mut residents_progress = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let SyncEvent::Progress(p) = e {
            if p.resource == "residents" {
                residents_progress.push((p.done, p.total));
            }
        }
    }
    let total = peer
        .total(
            "/v1/residents",
            "updated_since=1970-01-01T00:00:00Z&include_deleted=true",
        )
        .await as u32;
    let expected: Vec<(u32, u32)> = (1..=total.div_ceil(100))
        .map(|k| ((k * 100).min(total), total))
        .collect();
    assert_eq!(residents_progress, expected);
    let status = t.desk.sync_status().await.unwrap();
    assert_eq!(status.connection, Connection::Online);
    assert!(status.progress.is_none());
    assert_eq!(status.resources.len(), RESOURCES.len());
    assert!(status.resources.iter().all(|r| r.last_success_at.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_pull_converges_after_server_changes_and_deletions() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let first = peer.desk_requests().await.len();

    // Another CareLoop user changes things.
    let residents = peer.all("/v1/residents", "").await;
    let moved = residents[0]["id"].as_str().unwrap().to_owned();
    let gone = residents[1]["id"].as_str().unwrap().to_owned();
    peer.control(
        Method::PATCH,
        &format!("residents/{moved}"),
        json!({"room_number": "99B"}),
    )
    .await;
    peer.control(Method::DELETE, &format!("residents/{gone}"), json!({}))
        .await;
    let staff = peer.all("/v1/staff", "").await;
    let left = staff[0]["id"].as_str().unwrap().to_owned();
    peer.control(Method::DELETE, &format!("staff/{left}"), json!({}))
        .await;
    let location = peer.all("/v1/locations", "").await[0]["id"].clone();
    let (status, created) = peer
        .send(
            Method::POST,
            "/v1/visits",
            json!({"location_id": location, "staff_user_id": staff[1]["id"],
                   "visit_type": "social", "starts_at": crate::ahead(0, "10:00"),
                   "ends_at": crate::ahead(0, "11:00"), "notes": "added elsewhere"}),
        )
        .await;
    assert_eq!(status, 201);

    t.desk.sync_now().await.unwrap();

    for (name, path, table) in RESOURCES {
        assert_eq!(
            local_ids(&t, table),
            server_ids(&peer, path).await,
            "{name} converged"
        );
    }
    let store = t.desk.store();
    let r = store
        .read(|c| people::get_resident(c, &moved))
        .unwrap()
        .unwrap();
    assert_eq!(r.room_number.as_deref(), Some("99B"));
    assert!(store
        .read(|c| people::get_resident(c, &gone))
        .unwrap()
        .is_none());
    let v = store
        .read(|c| care::get_visit(c, created["id"].as_str().unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(v.notes.as_deref(), Some("added elsewhere"));

    // Incremental: one request per resource (every change fits in one page).
    let second = peer.desk_requests().await;
    let incremental = &second[first..];
    assert_eq!(incremental.len(), RESOURCES.len(), "{incremental:#?}");
    assert!(incremental
        .iter()
        .all(|r| r["path"].as_str().unwrap().contains("updated_since=")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_cursor_means_a_full_refresh_that_removes_what_the_server_no_longer_has() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let t = TestDesk::new(&peer).await;
    t.desk.sync_now().await.unwrap();
    let store = t.desk.store();
    // A row the server never had, and a cursor the server cannot use.
    let mut ghost = store
        .read(|c| people::search_residents(c, &Default::default(), Default::default()))
        .unwrap()
        .remove(0);
    ghost.id = "res_ghost".into();
    ghost.contacts.clear();
    store
        .write(|tx| {
            people::upsert_resident(tx, &ghost)?;
            repo::sync_state::set_sync_cursor(tx, "residents", Some("not-a-time"))
        })
        .unwrap();

    t.desk.sync_now().await.unwrap();

    assert!(store
        .read(|c| people::get_resident(c, "res_ghost"))
        .unwrap()
        .is_none());
    assert_eq!(
        local_ids(&t, "residents"),
        server_ids(&peer, "/v1/residents").await
    );
    let state = store
        .read(|c| repo::sync_state::get_sync_state(c, "residents"))
        .unwrap();
    assert!(state.last_full_at.is_some());
    assert!(chrono::DateTime::parse_from_rfc3339(state.cursor.as_deref().unwrap()).is_ok());
    // The server refused the cursor once (422), then the full refresh followed.
    let requests = peer.desk_requests().await;
    assert!(requests
        .iter()
        .any(|r| r["status"] == 422 && r["path"].as_str().unwrap().contains("not-a-time")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_says_offline_at_the_first_failed_request_not_at_the_end_of_a_cycle() {
    let mut peer = Peer::start(config(DataSize::Small)).await;
    let dir = tempfile::tempdir().unwrap();
    // Slow retries: a cycle against a CareLoop that went away lasts minutes.
    let slow = loopdesk_core::api::ClientOptions {
        retries: 5,
        min_backoff: std::time::Duration::from_secs(60),
        max_backoff: std::time::Duration::from_secs(120),
        ..crate::peer::client_options()
    };
    let desk = crate::peer::desk_at(
        &dir.path().join("loopdesk.db"),
        &peer.url(),
        Some(crate::peer::DESK_KEY),
        slow,
    )
    .await;
    desk.sync_now().await.unwrap();
    assert_eq!(
        desk.sync_status().await.unwrap().connection,
        Connection::Online
    );
    let resident = desk
        .search_residents(None, None, None, Some(1))
        .await
        .unwrap()[0]
        .id
        .clone();
    peer.sandbox.take().unwrap().shutdown().await.unwrap();

    desk.add_care_note(resident, "written offline".into(), "mood".into())
        .await
        .unwrap();
    let sync = {
        let desk = desk.clone();
        tokio::spawn(async move { desk.sync_now().await })
    };
    let mut status = desk.status_watch();
    let offline = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        status.wait_for(|s| s.connection == Connection::Offline),
    )
    .await
    .expect("offline within seconds, while the cycle still retries")
    .unwrap()
    .clone();
    assert_eq!(offline.queued, 1, "one waiting to send");
    assert!(!sync.is_finished(), "the cycle is still going");
    sync.abort();
    desk.shutdown().await;
}
