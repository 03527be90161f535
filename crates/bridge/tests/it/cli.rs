//! The command line: admin commands print one JSON line each and refuse bad input cleanly.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use rstest::rstest;
use serde_json::Value;
use sha2::Digest as _;

use crate::common::WAIT_LIMIT;

/// Runs the binary to completion and captures its output; a run that does not finish within
/// [`WAIT_LIMIT`] is killed and fails the test.
pub(crate) fn bridge(args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_loopdesk-bridge"))
        .args(args)
        .env_remove("LOOPDESK_BRIDGE_DB")
        .env_remove("LOOPDESK_BRIDGE_DATABASE_URL")
        .env_remove("LOOPDESK_BRIDGE_SECRET")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run loopdesk-bridge");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(WAIT_LIMIT) {
        Ok(out) => out.expect("run loopdesk-bridge"),
        Err(_) => {
            // The thread still owns the child and reaps it once it is killed.
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("loopdesk-bridge {args:?} did not finish within {WAIT_LIMIT:?}");
        }
    }
}

fn lines(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn one(out: &Output) -> Value {
    let mut l = lines(out);
    assert_eq!(l.len(), 1, "exactly one JSON line");
    l.remove(0)
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

fn db_in(dir: &Path) -> String {
    dir.join("bridge.db").to_str().unwrap().to_owned()
}

#[rstest]
#[case("careloop")]
#[case("standard")]
#[case("lifeloop")]
#[case("loop")]
fn endpoint_add_prints_id_secret_and_path(#[case] scheme: &str) {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let v = one(&bridge(&[
        "endpoint", "add", "--db", &db, "--org", "org_a", "--scheme", scheme,
    ]));
    assert_eq!(keys(&v), ["endpoint_id", "path", "secret"]);
    let id = v["endpoint_id"].as_str().unwrap();
    assert_eq!(v["path"], format!("/hooks/{id}"));
    let secret = v["secret"].as_str().unwrap();
    if scheme == "standard" {
        let b64 = secret.strip_prefix("whsec_").expect("whsec_ prefix");
        let key = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert!(key.len() >= 24);
    } else {
        assert_eq!(hex::decode(secret).unwrap().len(), 32);
    }
    // Two endpoints never share a secret or an id.
    let w = one(&bridge(&[
        "endpoint", "add", "--db", &db, "--org", "org_a", "--scheme", scheme,
    ]));
    assert_ne!(v["secret"], w["secret"]);
    assert_ne!(v["endpoint_id"], w["endpoint_id"]);
}

#[test]
fn endpoint_add_keeps_a_given_secret_and_refuses_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let given = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    let v = one(&bridge(&[
        "endpoint", "add", "--db", &db, "--org", "org_a", "--scheme", "standard", "--secret", given,
    ]));
    assert_eq!(v["secret"], given);

    let bad = bridge(&[
        "endpoint",
        "add",
        "--db",
        &db,
        "--org",
        "org_a",
        "--scheme",
        "standard",
        "--secret",
        "whsec_!!not-base64!!",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("invalid secret"), "{err}");
    assert!(
        !err.contains("not-base64"),
        "the secret is never echoed: {err}"
    );
    assert!(bad.stdout.is_empty());

    let bad_org = bridge(&[
        "endpoint", "add", "--db", &db, "--org", "org a!", "--scheme", "loop",
    ]);
    assert_eq!(bad_org.status.code(), Some(1));
    let bad_scheme = bridge(&[
        "endpoint", "add", "--db", &db, "--org", "o", "--scheme", "svix",
    ]);
    assert_eq!(bad_scheme.status.code(), Some(2));
    // Only the good one was added.
    assert_eq!(lines(&bridge(&["endpoint", "list", "--db", &db])).len(), 1);
}

#[test]
fn endpoint_list_rotate_remove() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let a = one(&bridge(&[
        "endpoint", "add", "--db", &db, "--org", "org_a", "--scheme", "careloop",
    ]));
    let b = one(&bridge(&[
        "endpoint", "add", "--db", &db, "--org", "org_b", "--scheme", "loop",
    ]));
    let id_a = a["endpoint_id"].as_str().unwrap();

    let all = lines(&bridge(&["endpoint", "list", "--db", &db]));
    assert_eq!(all.len(), 2);
    for e in &all {
        assert!(e.get("secret").is_none(), "list never shows secrets: {e}");
        assert_eq!(
            keys(e),
            [
                "created_at",
                "endpoint_id",
                "org",
                "path",
                "previous_valid_until",
                "rotated_at",
                "scheme"
            ]
        );
    }
    let only_b = lines(&bridge(&[
        "endpoint", "list", "--db", &db, "--org", "org_b",
    ]));
    assert_eq!(only_b.len(), 1);
    assert_eq!(only_b[0]["endpoint_id"], b["endpoint_id"]);
    assert_eq!(only_b[0]["scheme"], "loop");

    let r = one(&bridge(&["endpoint", "rotate", "--db", &db, "--id", id_a]));
    assert_eq!(
        keys(&r),
        ["endpoint_id", "path", "previous_valid_until", "secret"]
    );
    assert_ne!(r["secret"], a["secret"]);
    let until =
        chrono::DateTime::parse_from_rfc3339(r["previous_valid_until"].as_str().unwrap()).unwrap();
    let hours =
        (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((23.9..=24.0).contains(&hours), "{hours}");
    let listed = lines(&bridge(&[
        "endpoint", "list", "--db", &db, "--org", "org_a",
    ]));
    assert_eq!(listed[0]["previous_valid_until"], r["previous_valid_until"]);

    let removed = one(&bridge(&["endpoint", "remove", "--db", &db, "--id", id_a]));
    assert_eq!(removed["status"], "removed");
    assert_eq!(lines(&bridge(&["endpoint", "list", "--db", &db])).len(), 1);
    let again = bridge(&["endpoint", "remove", "--db", &db, "--id", id_a]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not found"));
    let rotate_missing = bridge(&["endpoint", "rotate", "--db", &db, "--id", "ep_missing"]);
    assert_eq!(rotate_missing.status.code(), Some(1));
}

#[test]
fn device_add_list_revoke_and_the_token_is_only_stored_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let d = one(&bridge(&[
        "device",
        "add",
        "--db",
        &db,
        "--org",
        "org_a",
        "--name",
        "Front desk",
    ]));
    assert_eq!(keys(&d), ["device_id", "token"]);
    let token = d["token"].as_str().unwrap();
    assert!(token.len() >= 40);

    let listed = lines(&bridge(&["device", "list", "--db", &db]));
    assert_eq!(listed.len(), 1);
    assert_eq!(
        keys(&listed[0]),
        ["created_at", "device_id", "name", "org", "revoked_at"]
    );
    assert_eq!(listed[0]["name"], "Front desk");
    assert!(listed[0]["revoked_at"].is_null());

    // The token appears nowhere in the database files; its SHA-256 does.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let stored: String = conn
        .query_row("SELECT token_hash FROM devices", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, hex::encode(sha2::Sha256::digest(token.as_bytes())));
    drop(conn);
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
    }

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&db).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the database holds secrets: owner-only"
        );
    }

    let id = d["device_id"].as_str().unwrap();
    let r = one(&bridge(&["device", "revoke", "--db", &db, "--id", id]));
    assert_eq!(r["status"], "revoked");
    let listed = lines(&bridge(&["device", "list", "--db", &db, "--org", "org_a"]));
    assert!(listed[0]["revoked_at"].is_string());
    assert!(lines(&bridge(&["device", "list", "--db", &db, "--org", "org_b"])).is_empty());
    assert_eq!(
        bridge(&["device", "revoke", "--db", &db, "--id", "dev_nope"])
            .status
            .code(),
        Some(1)
    );
    let empty_name = bridge(&[
        "device", "add", "--db", &db, "--org", "org_a", "--name", " ",
    ]);
    assert_eq!(empty_name.status.code(), Some(1));
}

#[test]
fn a_database_from_a_newer_bridge_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    one(&bridge(&[
        "device", "add", "--db", &db, "--org", "org_a", "--name", "desk",
    ]));
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let out = bridge(&["device", "list", "--db", &db]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("migration"));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 99);
    let devices: i64 = conn
        .query_row("SELECT count(*) FROM devices", [], |r| r.get(0))
        .unwrap();
    assert_eq!(devices, 1);
}

#[test]
fn serve_refuses_an_unusable_database_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_db = dir.path().join("bridge.db");
    std::fs::write(
        &not_a_db,
        b"this is not a sqlite database, just some text. ".repeat(100),
    )
    .unwrap();
    let out = bridge(&[
        "serve",
        "--db",
        not_a_db.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error:"), "{err}");
    assert!(out.stdout.is_empty(), "nothing listened");
}
