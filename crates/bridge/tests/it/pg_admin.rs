//! PostgreSQL: the admin commands against it, its schema migrations (applied once when bridges
//! start at the same moment, a newer schema refused and left as it is), and TLS.

use loopdesk_bridge::{Database, PgStore};
use serde_json::Value;

use crate::cli::bridge;
use crate::common::{client, within, BridgeProcess, TestDb, POSTGRES};
use crate::pg::{PgCluster, Settings};

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

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `sslmode=require`: the bridge talks TLS to the database and verifies its certificate (here
/// against a test CA named by `SSL_CERT_FILE`; without it, the system's roots refuse it).
#[tokio::test]
async fn with_sslmode_require_the_database_is_reached_over_verified_tls() {
    use std::os::unix::fs::PermissionsExt as _;
    let certs = tempfile::tempdir().unwrap();
    let d = certs.path();
    // The server (as the postgres user) reads its certificate and key from here.
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        d,
        &[
            &["req", "-x509"],
            &ec[..],
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=loopdesk test CA",
                "-days",
                "2",
            ],
        ]
        .concat(),
    );
    openssl(
        d,
        &[
            &["req"],
            &ec[..],
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat(),
    );
    std::fs::write(d.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
    let (cert, key) = (d.join("server.pem"), d.join("server.key"));
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    PgCluster::give(&cert);
    PgCluster::give(&key);
    let settings = Settings {
        durable: false,
        tls: Some((cert, key)),
    };
    let cluster = tokio::task::spawn_blocking(move || PgCluster::start(settings))
        .await
        .unwrap();
    let url = format!("{}?sslmode=require", cluster.url("postgres"));

    // The test CA is trusted: the bridge starts, answers, and its connections are TLS.
    let mut trusting = std::process::Command::new(env!("CARGO_BIN_EXE_loopdesk-bridge"));
    trusting
        .env("SSL_CERT_FILE", d.join("ca.pem"))
        .env_remove("SSL_CERT_DIR");
    let db = TestDb(Database::Postgres(url.clone()));
    let bridge =
        BridgeProcess::spawn(trusting, &db, "warn", std::process::Stdio::null(), &[]).await;
    let health = client()
        .get(format!("{}/healthz", bridge.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    let plain = format!("{}?sslmode=disable", cluster.url("postgres"));
    let (tls, all) = {
        let (c, connection) = tokio_postgres::connect(&plain, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let row = c
            .query_one(
                "SELECT count(*) FILTER (WHERE s.ssl), count(*)
                 FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
                 WHERE a.application_name LIKE 'loopdesk-bridge%'",
                &[],
            )
            .await
            .unwrap();
        (row.get::<_, i64>(0), row.get::<_, i64>(1))
    };
    assert!(all >= 1, "the bridge is connected");
    assert_eq!(tls, all, "every bridge connection uses TLS");
    drop(bridge);

    // The system's roots do not know the test CA: refused at start-up, nothing listens.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loopdesk-bridge"))
        .args(["serve", "--database-url", &url, "--listen", "127.0.0.1:0"])
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .env_remove("LOOPDESK_BRIDGE_DB")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("certificate"),
        "refused for its certificate: {err}"
    );
    assert!(out.stdout.is_empty(), "nothing listened");
}
