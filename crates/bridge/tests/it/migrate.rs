//! A database written by the first schema keeps working after the migrations: desks' cursors
//! still mean what they meant, and stored ids are still duplicates after their purge.

use loopdesk_bridge::store::{FeedQuery, Inserted, NewEvent};
use loopdesk_bridge::{EventStore as _, Store};

use crate::common::within;

/// A database as the first bridge release wrote it: events of two organisations, interleaved.
fn first_schema_database(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(include_str!("../../migrations/0001_init.sql"))
        .unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    for (i, org) in ["org_a", "org_b", "org_a", "org_b", "org_b"]
        .iter()
        .enumerate()
    {
        conn.execute(
            "INSERT INTO events (org, source, event_id, endpoint_id, type, received_at,
                 received_unix_ms, data)
             VALUES (?1, 'careloop', ?2, 'ep_1', 't', '2026-11-25T10:00:00.000Z', ?3, '{}')",
            rusqlite::params![org, format!("evt_{i}"), 1_795_000_000_000_i64 + i as i64],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO devices (id, org, name, token_hash, created_at)
         VALUES ('dev_c', 'org_c', 'desk', 'x', '2026-11-25T10:00:00.000Z')",
        [],
    )
    .unwrap();
}

fn event(org: &str, id: &str) -> NewEvent {
    NewEvent {
        org: org.into(),
        source: "careloop".into(),
        id: id.into(),
        endpoint_id: "ep_1".into(),
        event_type: "t".into(),
        occurred_at: None,
        resource_id: None,
        data: "{}".into(),
        remember_until: None,
    }
}

async fn cursors_after(store: &Store, org: &str, after: i64) -> Vec<(i64, String)> {
    let q = FeedQuery {
        org: org.into(),
        after,
        types: None,
        limit: 100,
        max_bytes: 1 << 20,
    };
    within("a feed query", store.events_after(q))
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.cursor, e.id))
        .collect()
}

#[tokio::test]
async fn a_first_schema_database_keeps_its_cursors_and_its_ids() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bridge.db");
    first_schema_database(&db);
    let store = Store::open(&db).unwrap();

    // The events keep the cursors their desks were given (the global order of the time).
    let a = cursors_after(&store, "org_a", 0).await;
    assert_eq!(a, vec![(1, "evt_0".into()), (3, "evt_2".into())]);
    assert_eq!(cursors_after(&store, "org_b", 2).await.len(), 2);
    // Every organisation known then continues above the highest cursor issued then (5), so no
    // desk's stored cursor is ahead and none skips an event; a new organisation starts at 1.
    for org in ["org_a", "org_b", "org_c"] {
        assert_eq!(store.latest_cursor(org).await.unwrap(), 5, "{org}");
        let got = within("an insert", store.insert_event(event(org, "evt_new")))
            .await
            .unwrap();
        assert_eq!(got, Inserted::Stored(6), "{org}");
    }
    let got = within("an insert", store.insert_event(event("org_d", "evt_new")))
        .await
        .unwrap();
    assert_eq!(got, Inserted::Stored(1));

    // The ids stored before the migration are remembered past their purge.
    let later = chrono::Utc::now() + chrono::Duration::days(3650);
    within("the purge", store.purge_received_before(later))
        .await
        .unwrap();
    assert_eq!(store.forget_seen_ids(later).await.unwrap(), 0);
    let again = within("an insert", store.insert_event(event("org_a", "evt_0")))
        .await
        .unwrap();
    assert_eq!(again, Inserted::Duplicate);
}
