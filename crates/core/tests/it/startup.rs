use std::fs;

use loopdesk_core::secrets::MemorySecretStore;
use loopdesk_core::store::{
    latest_version, migrations_with_extra, open_for_startup, start_fresh, StartupState,
    DB_FILE_NAME,
};
use loopdesk_core::{Store, StoreError};
use rusqlite::Connection;

#[test]
fn a_new_folder_gets_a_migrated_database_with_the_durability_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/data");
    let (store, state) = open_for_startup(&data, &MemorySecretStore::new());
    assert_eq!(state, StartupState::Ready);
    let store = store.unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version());
    assert!(latest_version() >= 1);
    store
        .read(|c| {
            let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            let fk: i64 = c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
            let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
            assert_eq!(mode, "wal");
            assert_eq!(fk, 1);
            assert_eq!(sync, 2, "synchronous=FULL");
            Ok(())
        })
        .unwrap();
    assert!(data.join(DB_FILE_NAME).exists());
}

#[test]
fn the_first_migration_holds_every_table_of_the_design() {
    let ts = crate::test_store();
    let tables: Vec<String> = ts
        .store
        .read(|c| {
            let mut stmt = c.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
            let names = stmt.query_map([], |r| r.get(0))?;
            Ok(names.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap();
    for wanted in [
        "locations",
        "residents",
        "resident_contacts",
        "staff",
        "courses",
        "certifications",
        "visits",
        "incidents",
        "incident_body_map",
        "incident_witnesses",
        "care_notes",
        "visitor_sign_ins",
        "outbox",
        "alerts",
        "bridge_events",
        "sync_state",
        "settings",
        "audit_log",
    ] {
        assert!(tables.iter().any(|t| t == wanted), "missing table {wanted}");
    }
}

#[test]
fn reopening_keeps_data_and_does_not_migrate_again() {
    let ts = crate::test_store();
    let path = ts.store.path().to_path_buf();
    ts.store
        .write(|tx| loopdesk_core::store::repo::settings::set_setting(tx, "location_id", "loc_1"))
        .unwrap();
    drop(ts.store);
    let again = Store::open(&path).unwrap();
    let value = again
        .read(|c| loopdesk_core::store::repo::settings::get_setting(c, "location_id"))
        .unwrap();
    assert_eq!(value.as_deref(), Some("loc_1"));
    assert_eq!(again.schema_version().unwrap(), latest_version());
}

#[test]
fn a_newer_schema_is_refused_and_the_file_is_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 999;")
            .unwrap();
    }
    let before = fs::read(&path).unwrap();
    let (store, state) = open_for_startup(dir.path(), &MemorySecretStore::new());
    assert!(store.is_none());
    assert_eq!(
        state,
        StartupState::NewerSchema {
            path: path.display().to_string(),
            found_version: 999,
            supported_version: latest_version(),
        }
    );
    assert_eq!(
        fs::read(&path).unwrap(),
        before,
        "the file must be unchanged"
    );
    let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "nothing else was created beside it");
}

#[rstest::rstest]
#[case::random_bytes(b"this is a spreadsheet, not a database\n".repeat(200))]
#[case::truncated_header(b"SQLite format".to_vec())]
fn a_file_that_is_not_a_database_is_moved_aside_never_deleted(#[case] content: Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    fs::write(&path, &content).unwrap();

    let (store, state) = open_for_startup(dir.path(), &MemorySecretStore::new());
    assert!(
        store.is_none(),
        "no database may be opened without confirmation"
    );
    let StartupState::Corrupt { moved_to, .. } = state else {
        panic!("expected corrupt, got {state:?}");
    };
    let moved_to = moved_to.expect("the file was moved");
    assert!(moved_to.contains(".corrupt-"), "{moved_to}");
    assert_eq!(fs::read(&moved_to).unwrap(), content, "kept byte for byte");
    assert!(!path.exists(), "no fresh file before the person confirms");

    let fresh = start_fresh(dir.path(), &MemorySecretStore::new()).unwrap();
    assert_eq!(fresh.schema_version().unwrap(), latest_version());
    assert_eq!(fs::read(&moved_to).unwrap(), content, "still kept");
}

#[test]
fn a_damaged_database_page_is_detected_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode = DELETE; CREATE TABLE t (x TEXT);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             INSERT INTO t SELECT printf('row %d with some text to fill pages', i) FROM n;
             CREATE INDEX t_x ON t (x);",
        )
        .unwrap();
    }
    let mut bytes = fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 4 * page);
    for b in &mut bytes[2 * page..3 * page] {
        *b = 0x5a;
    }
    fs::write(&path, &bytes).unwrap();
    let (store, state) = open_for_startup(dir.path(), &MemorySecretStore::new());
    assert!(store.is_none());
    assert!(matches!(state, StartupState::Corrupt { .. }), "{state:?}");
}

#[test]
fn start_fresh_never_replaces_an_existing_file() {
    let ts = crate::test_store();
    let err = start_fresh(ts.dir.path(), &MemorySecretStore::new()).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
}

#[test]
fn a_failed_migration_rolls_back_and_leaves_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    {
        let store = Store::open(&path).unwrap();
        store
            .write(|tx| loopdesk_core::store::repo::settings::set_setting(tx, "home", "Avery Park"))
            .unwrap();
    }
    // Two new steps: the first succeeds on its own, the second fails. Neither may remain.
    let broken = migrations_with_extra(&[
        "CREATE TABLE new_feature (id INTEGER PRIMARY KEY);",
        "ALTER TABLE no_such_table ADD COLUMN oops TEXT;",
    ]);
    let err = Store::open_with(&path, &broken).unwrap_err();
    assert!(matches!(err, StoreError::Migration(_)), "{err}");

    let c = Connection::open(&path).unwrap();
    let version: u32 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, latest_version());
    let has_new: bool = c
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'new_feature')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!has_new, "the successful step was rolled back too");
    let home: String = c
        .query_row("SELECT value FROM settings WHERE key = 'home'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(home, "Avery Park");
}

#[test]
fn a_version_1_file_keeps_its_alerts_and_gets_keys_and_outbox_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    // A file as Loopdesk wrote it before schema 2, with alerts and a queue.
    {
        let mut c = Connection::open(&path).unwrap();
        let v1 = rusqlite_migration::Migrations::new(vec![rusqlite_migration::M::up(
            loopdesk_core::store::MIGRATION_FILES[0].1,
        )]);
        v1.to_latest(&mut c).unwrap();
        c.execute_batch(
            "INSERT INTO bridge_events (id, cursor, source, type, received_at, data, stored_at)
             VALUES ('evt_1', '1', 'careloop', 'incident.critical', '2026-11-01T00:00:00.000Z',
                     '{}', '2026-11-01T00:00:00.000Z'),
                    ('evt_2', '2', 'careloop', 'incident.critical', '2026-11-01T00:00:00.000Z',
                     '{}', '2026-11-01T00:00:00.000Z'),
                    ('evt_3', '3', 'careloop', 'visit.no_show', '2026-11-01T00:00:00.000Z',
                     '{}', '2026-11-01T00:00:00.000Z');
             INSERT INTO alerts (event_id, kind, title, resource_id, raised_at, acknowledged_at,
                                 acknowledged_by)
             VALUES ('evt_1', 'incident.critical', 'Fall', 'inc_1', '2026-11-01T00:00:00.000Z',
                     '2026-11-01T00:05:00.000Z', 'Priya Shah'),
                    ('evt_2', 'incident.critical', 'Fall again', 'inc_1',
                     '2026-11-01T00:01:00.000Z', NULL, NULL),
                    ('evt_3', 'visit.no_show', 'Missed visit', 'vis_1',
                     '2026-11-01T00:02:00.000Z', NULL, NULL);
             INSERT INTO outbox (client_id, op, entity, entity_id, payload, status, created_at,
                                 updated_at)
             VALUES ('c1', 'visit.update', 'visit', 'vis_1', '{}', 'pending', 'x', 'x'),
                    ('c2', 'visit.update', 'visit', 'vis_2', '{}', 'pending', 'x', 'x'),
                    ('c3', 'care_note.create', 'care_note', 'c3', '{}', 'needs_attention',
                     'x', 'x');",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version());
    let keys: Vec<(String, Option<String>, bool)> = store
        .read(|c| {
            let mut stmt = c.prepare(
                "SELECT alert_key, event_id, acknowledged_at IS NOT NULL FROM alerts ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap();
    assert_eq!(
        keys,
        [
            ("incident:inc_1".to_owned(), Some("evt_1".to_owned()), true),
            ("event:evt_2".to_owned(), Some("evt_2".to_owned()), false),
            ("event:evt_3".to_owned(), Some("evt_3".to_owned()), false),
        ]
    );
    let counts = store.read(loopdesk_core::store::repo::outbox::outbox_counts);
    assert_eq!(counts.unwrap(), (2, 1));
}

#[test]
fn the_outbox_counts_follow_every_insert_update_and_delete() {
    use loopdesk_core::store::repo::outbox::{self, NewOutboxEntry};
    let ts = crate::test_store();
    let entry = |id: &str| NewOutboxEntry {
        op: "visit.update",
        entity: "visit",
        entity_id: "vis_1",
        payload: serde_json::json!({"n": id}),
    };
    let counts = || ts.store.read(outbox::outbox_counts).unwrap();
    assert_eq!(counts(), (0, 0));
    let a = ts
        .store
        .write(|tx| outbox::enqueue(tx, &entry("a")))
        .unwrap();
    let b = ts
        .store
        .write(|tx| outbox::enqueue(tx, &entry("b")))
        .unwrap();
    assert_eq!(counts(), (2, 0));
    ts.store
        .write(|tx| outbox::park_outbox_entry(tx, a.seq, "no", &serde_json::json!({})))
        .unwrap();
    assert_eq!(counts(), (1, 1));
    // A retry changes the attempt count, not the status: the counts stay.
    ts.store
        .write(|tx| outbox::record_outbox_retry(tx, b.seq, "later", None))
        .unwrap();
    assert_eq!(counts(), (1, 1));
    ts.store
        .write(|tx| outbox::resubmit_outbox_entry(tx, a.seq, &serde_json::json!({})))
        .unwrap();
    assert_eq!(counts(), (2, 0));
    ts.store
        .write(|tx| outbox::complete_outbox_entry(tx, b.seq))
        .unwrap();
    assert_eq!(counts(), (1, 0));
    // A transaction that fails changes no count.
    let failed: Result<(), StoreError> = ts.store.write(|tx| {
        outbox::enqueue(tx, &entry("c"))?;
        Err(StoreError::Invalid("the form was refused".into()))
    });
    assert!(failed.is_err());
    assert_eq!(counts(), (1, 0));
}

#[cfg(unix)]
#[test]
fn the_data_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    let store = Store::open(&path).unwrap();
    store
        .write(|tx| {
            loopdesk_core::store::repo::settings::set_setting(tx, "desk_location_id", "loc_1")
        })
        .unwrap();
    for file in [DB_FILE_NAME, "loopdesk.db-wal", "loopdesk.db-shm"] {
        let p = dir.path().join(file);
        assert!(p.exists(), "{file}");
        assert_eq!(mode(&p), 0o600, "{file}");
    }
    drop(store);
    // A file an earlier version left readable by everyone is tightened on the next open.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    drop(store);
}
