//! PostgreSQL: the admin commands against it, and its schema migrations (applied once when
//! bridges start at the same moment, a newer schema refused and left as it is).

use loopdesk_bridge::{Database, PgStore};
use serde_json::Value;

use crate::cli::bridge;
use crate::common::{within, POSTGRES};

fn url_of(db: &crate::common::TestDb) -> String {
    match &db.0 {
        Database::Postgres(url) => url.clone(),
        Database::Sqlite(_) => unreachable!("a PostgreSQL test database"),
    }
}

fn json_lines(out: &std::process::Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

async fn query_one_i64(url: &str, sql: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn the_admin_commands_work_against_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let db = POSTGRES.fresh(dir.path()).await;
    let url = url_of(&db);
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--database-url", url.as_str()]);
        bridge(&all)
    };
    let added = &json_lines(&run(&[
        "endpoint", "add", "--org", "org_a", "--scheme", "careloop",
    ]))[0];
    let id = added["endpoint_id"].as_str().unwrap().to_owned();
    assert_eq!(added["path"], format!("/hooks/{id}"));
    let listed = json_lines(&run(&["endpoint", "list", "--org", "org_a"]));
    assert_eq!(listed.len(), 1);
    assert!(listed[0].get("secret").is_none());
    let rotated = &json_lines(&run(&["endpoint", "rotate", "--id", &id]))[0];
    assert_ne!(rotated["secret"], added["secret"]);
    assert!(rotated["previous_valid_until"].is_string());
    assert_eq!(
        json_lines(&run(&["endpoint", "remove", "--id", &id]))[0]["status"],
        "removed"
    );
    assert!(json_lines(&run(&["endpoint", "list"])).is_empty());
    let missing = run(&["endpoint", "remove", "--id", &id]);
    assert_eq!(missing.status.code(), Some(1));

    let device = &json_lines(&run(&[
        "device", "add", "--org", "org_a", "--name", "Front",
    ]))[0];
    let dev_id = device["device_id"].as_str().unwrap().to_owned();
    assert!(device["token"].as_str().unwrap().starts_with("ldb_"));
    assert_eq!(
        json_lines(&run(&["device", "revoke", "--id", &dev_id]))[0]["status"],
        "revoked"
    );
    let devices = json_lines(&run(&["device", "list"]));
    assert_eq!(devices.len(), 1);
    assert!(devices[0]["revoked_at"].is_string());
    assert!(devices[0].get("token").is_none());

    // The URL can come from the environment instead (keeping the password out of `ps`).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loopdesk-bridge"))
        .args(["device", "list"])
        .env_remove("LOOPDESK_BRIDGE_DB")
        .env("LOOPDESK_BRIDGE_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert_eq!(json_lines(&out).len(), 1);
    // Naming both stores is a usage error.
    let both = bridge(&[
        "device",
        "list",
        "--database-url",
        &url,
        "--db",
        dir.path().join("x.db").to_str().unwrap(),
    ]);
    assert_eq!(both.status.code(), Some(2));
}

#[tokio::test]
async fn bridges_starting_at_once_on_a_new_database_migrate_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = url_of(&POSTGRES.fresh(dir.path()).await);
    let stores = within(
        "four stores connecting",
        futures::future::join_all((0..4).map(|_| PgStore::connect(&url))),
    )
    .await;
    for s in stores {
        s.expect("each connects, whichever migrated");
    }
    assert_eq!(
        query_one_i64(&url, "SELECT version::int8 FROM bridge_schema").await,
        1
    );
}

#[tokio::test]
async fn a_newer_schema_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let db = POSTGRES.fresh(dir.path()).await;
    let url = url_of(&db);
    let store = db.open().await;
    store.add_device("org_a", "desk").await.unwrap();
    drop(store);
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute("UPDATE bridge_schema SET version = 99")
        .await
        .unwrap();
    let out = bridge(&["serve", "--database-url", &url, "--listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("newer than this bridge"), "{err}");
    assert!(out.stdout.is_empty(), "nothing listened");
    assert_eq!(
        query_one_i64(&url, "SELECT version::int8 FROM bridge_schema").await,
        99
    );
    assert_eq!(query_one_i64(&url, "SELECT count(*) FROM devices").await, 1);
}

#[tokio::test]
async fn serve_refuses_an_unreachable_database_with_a_message() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/none");
    let out = bridge(&["serve", "--database-url", &url, "--listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error:"), "{err}");
    assert!(out.stdout.is_empty(), "nothing listened");
}
