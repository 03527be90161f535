//! Signed updates through the real tauri-plugin-updater on the mock runtime: the update
//! information (`latest.json`) and the file come from a local server on 127.0.0.1 that the test
//! starts, signed in the test with a minisign key made for this run (the key the demo build's
//! updater trusts through `LOOPDESK_UPDATE_TEST_PUBKEY`; a release build trusts only the key
//! built into it). Each bad answer is refused in plain words, and the app answers the next
//! command as before. The install replaces a stand-in for the AppImage only with a verified
//! file.

use std::io::Cursor;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use loopdesk::update_commands::{start_updates, UpdateOptions};
use loopdesk_core::store::repo::pins::DeskRole;
use minisign::KeyPair;
use serde_json::{json, Value};

use crate::{private_home, Backend, TestApp, Who};

/// A key pair made once per run.
struct TestKey {
    keys: KeyPair,
}

impl TestKey {
    fn new() -> Self {
        Self {
            keys: KeyPair::generate_unencrypted_keypair().expect("a key pair"),
        }
    }

    /// The public key as the updater takes it: the `.pub` file `tauri signer generate` writes,
    /// in base64.
    fn public(&self) -> String {
        let text = self.keys.pk.to_box().expect("the public key").to_string();
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    /// The signature of `data` as the `.sig` file the Tauri CLI writes (the version it is for
    /// in the trusted comment), in base64, as `latest.json` carries it.
    fn sign(&self, data: &[u8], version: &str) -> String {
        let comment = format!("timestamp:1764126000\tfile:Loopdesk.AppImage\tversion:{version}");
        let signature = minisign::sign(
            Some(&self.keys.pk),
            &self.keys.sk,
            Cursor::new(data),
            Some(&comment),
            Some("signature from tauri secret key"),
        )
        .expect("signs");
        base64::engine::general_purpose::STANDARD.encode(signature.to_string())
    }
}

fn trusted() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(TestKey::new)
}

/// The key the app trusts in this run (set as `LOOPDESK_UPDATE_TEST_PUBKEY` by
/// [`crate::private_home`] before anything starts).
pub fn trusted_test_key() -> String {
    trusted().public()
}

/// An AppImage as far as the updater looks: an ELF file.
fn appimage(tag: &[u8]) -> Vec<u8> {
    let mut bytes = b"\x7fELF\x02\x01\x01\x00".to_vec();
    bytes.extend_from_slice(tag);
    bytes.resize(64 * 1024, 0x5a);
    bytes
}

/// What the update server answers.
#[derive(Clone)]
enum Latest {
    /// `latest.json` with this body.
    Json(Value),
    /// This status and an empty body.
    Status(u16),
    /// Not JSON.
    Garbage,
    /// Never an answer.
    Silent,
}

#[derive(Clone)]
struct Scene {
    latest: Latest,
    /// The file at `/file`.
    file: Vec<u8>,
    /// Send the file's length, then half of it, then drop the connection.
    truncate: bool,
}

type Shared = Arc<Mutex<Scene>>;

async fn latest(State(scene): State<Shared>) -> Response {
    let latest = scene.lock().unwrap().latest.clone();
    match latest {
        Latest::Json(v) => axum::Json(v).into_response(),
        Latest::Status(s) => StatusCode::from_u16(s).unwrap().into_response(),
        Latest::Garbage => (
            [(header::CONTENT_TYPE, "application/json")],
            "<html><body>Welcome to nginx!</body></html>",
        )
            .into_response(),
        Latest::Silent => std::future::pending().await,
    }
}

async fn file(State(scene): State<Shared>) -> Response {
    let Scene { file, truncate, .. } = scene.lock().unwrap().clone();
    if !truncate {
        return file.into_response();
    }
    let len = file.len();
    let half = file[..len / 2].to_vec();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(half),
        Err(std::io::Error::other("the connection dropped")),
    ];
    Response::builder()
        .header(header::CONTENT_LENGTH, len)
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap()
}

/// The local update server: `/latest.json` and `/file`, on 127.0.0.1 port 0.
struct UpdateServer {
    base: String,
    scene: Shared,
}

impl UpdateServer {
    fn start() -> Self {
        let scene: Shared = Arc::new(Mutex::new(Scene {
            latest: Latest::Status(204),
            file: Vec::new(),
            truncate: false,
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/latest.json", get(latest))
            .route("/file", get(file))
            .with_state(scene.clone());
        tauri::async_runtime::spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("the listener");
            axum::serve(listener, app).await.expect("the update server");
        });
        Self { base, scene }
    }

    fn address(&self) -> String {
        format!("{}/latest.json", self.base)
    }

    /// Offers `version` with `file`, signed by `signature`.
    fn offer(&self, version: &str, file: Vec<u8>, signature: String) {
        let mut s = self.scene.lock().unwrap();
        s.latest = Latest::Json(json!({
            "version": version,
            "notes": "Faster visitor sign-in.",
            "pub_date": "2026-11-26T03:00:00Z",
            "platforms": {
                "linux-x86_64": { "signature": signature, "url": format!("{}/file", self.base) }
            }
        }));
        s.file = file;
        s.truncate = false;
    }

    fn answer(&self, latest: Latest) {
        self.scene.lock().unwrap().latest = latest;
    }

    fn truncate(&self) {
        self.scene.lock().unwrap().truncate = true;
    }
}

/// The app with the updater (no schedule: checks when asked), installing onto `target`.
fn app_with_updater(target: &std::path::Path) -> TestApp {
    private_home();
    let t = TestApp::start(Backend::Quiet);
    let mut options = UpdateOptions::new(&t.data_dir());
    // Short, so that the silent server is a quick test.
    options.timeout = Duration::from_secs(3);
    options.install_to = Some(target.to_path_buf());
    options.restart = false;
    options.schedule = false;
    start_updates(t.app.handle(), &t.desk, options);
    t
}

/// The state the update status says, and its message.
fn state_of(status: &Value) -> (&str, &str) {
    (
        status["state"]["state"].as_str().expect("a state"),
        status["message"].as_str().expect("a message"),
    )
}

/// The app still answers: the lock's status and the update status.
fn still_answers(t: &TestApp) {
    t.invoke("lock_status", json!({}))
        .expect("the app still answers");
    t.invoke("update_status", json!({}))
        .expect("the update status");
}

/// The newest audit lines about updates (action, detail).
fn update_audit(t: &TestApp) -> Vec<(String, Value)> {
    let entries = t
        .desk
        .store()
        .read(|c| loopdesk_core::store::repo::audit::audit_entries(c, None, 50))
        .expect("the audit log");
    entries
        .into_iter()
        .filter(|e| e.action.starts_with("update."))
        .map(|e| (e.action, e.detail.unwrap_or(Value::Null)))
        .collect()
}

#[test]
fn updates_are_offered_only_when_verified_and_every_bad_answer_is_refused_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("Loopdesk.AppImage");
    let installed = appimage(b"installed 0.1.0");
    std::fs::write(&target, &installed).unwrap();
    let t = app_with_updater(&target);
    let server = UpdateServer::start();

    // No address: no checks, said plainly.
    t.become_(Who::Staff(DeskRole::Manager));
    let status = t.invoke("update_status", json!({})).unwrap();
    assert_eq!(state_of(&status).0, "not_configured");
    assert!(state_of(&status).1.contains("No update address is set"));
    let e = t.invoke("check_for_update", json!({})).unwrap_err();
    assert_eq!(e["code"], "not_configured", "{e}");

    // Only managers set the address; only https (or http on this computer).
    t.become_(Who::Staff(DeskRole::Receptionist));
    let e = t
        .invoke(
            "save_update_settings",
            json!({"settings": {"address": server.address(), "quiet_time": "03:00"}}),
        )
        .unwrap_err();
    assert_eq!(e["code"], "forbidden", "{e}");
    t.become_(Who::Staff(DeskRole::Manager));
    let e = t
        .invoke(
            "save_update_settings",
            json!({"settings": {"address": "http://updates.example.org/latest.json", "quiet_time": "3am"}}),
        )
        .unwrap_err();
    assert_eq!(e["code"], "invalid_input", "{e}");
    assert!(e["fields"]["address"]
        .as_str()
        .unwrap()
        .contains("https://"));
    assert!(e["fields"]["quiet_time"]
        .as_str()
        .unwrap()
        .contains("03:00"));
    let status = t
        .invoke(
            "save_update_settings",
            json!({"settings": {"address": server.address(), "quiet_time": "03:00"}}),
        )
        .unwrap();
    assert_eq!(state_of(&status).0, "not_checked");
    assert_eq!(status["address"], server.address());

    let check = || {
        let status = t
            .invoke("check_for_update", json!({}))
            .expect("a check answers");
        still_answers(&t);
        status
    };
    let new = appimage(b"new 0.2.0");
    let key = trusted();

    // A correct update is offered, with its version and notes.
    server.offer("0.2.0", new.clone(), key.sign(&new, "0.2.0"));
    let status = check();
    assert_eq!(
        state_of(&status),
        ("ready", "Version 0.2.0 is ready to install.")
    );
    assert_eq!(status["state"]["version"], "0.2.0");
    assert_eq!(status["state"]["notes"], "Faster visitor sign-in.");
    assert_eq!(status["may_install"], true);
    assert!(status["checked"].as_str().unwrap().starts_with("today at "));
    let audit = update_audit(&t);
    assert_eq!(audit[0].0, "update.found");
    assert_eq!(audit[0].1["version"], "0.2.0");

    // Each bad answer: its state, the words that must be in its message.
    let mut tampered = new.clone();
    tampered[40_000] ^= 0x01;
    let other = TestKey::new();
    // (what, how the server answers, the problem, words of the message)
    type Case<'a> = (&'a str, Box<dyn Fn() + 'a>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            "a tampered file",
            Box::new(|| server.offer("0.2.0", tampered.clone(), key.sign(&new, "0.2.0"))),
            "bad_signature",
            "Version 0.2.0 was refused: the downloaded file does not match its signature",
        ),
        (
            "a signature by another key",
            Box::new(|| server.offer("0.2.0", new.clone(), other.sign(&new, "0.2.0"))),
            "wrong_key",
            "Version 0.2.0 was refused: it is not signed by Loopdesk's publisher",
        ),
        (
            "a signature for another version",
            Box::new(|| server.offer("0.3.0", new.clone(), key.sign(&new, "0.2.0"))),
            "bad_signature",
            "Version 0.3.0 was refused",
        ),
        (
            "a download cut short",
            Box::new(|| {
                server.offer("0.2.0", new.clone(), key.sign(&new, "0.2.0"));
                server.truncate();
            }),
            "truncated",
            "the download stopped before the whole file came",
        ),
        (
            "garbage",
            Box::new(|| server.answer(Latest::Garbage)),
            "garbage",
            "is not update information Loopdesk can read",
        ),
        (
            "JSON that is not update information",
            Box::new(|| server.answer(Latest::Json(json!({"hello": "world"})))),
            "garbage",
            "is not update information Loopdesk can read",
        ),
        (
            "404",
            Box::new(|| server.answer(Latest::Status(404))),
            "server_error",
            "answered with an error instead of an update",
        ),
        (
            "500",
            Box::new(|| server.answer(Latest::Status(500))),
            "server_error",
            "answered with an error instead of an update",
        ),
        (
            "no answer",
            Box::new(|| server.answer(Latest::Silent)),
            "timed_out",
            "did not answer in time",
        ),
        (
            "an older version",
            Box::new(|| server.offer("0.0.9", new.clone(), key.sign(&new, "0.0.9"))),
            "refused",
            "offers version 0.0.9, which is not newer than this Loopdesk (0.1.0)",
        ),
    ];
    for (what, serve, problem, words) in &cases {
        serve();
        let status = check();
        let (state, message) = state_of(&status);
        assert_eq!(state, "refused", "{what}: {status}");
        if *problem != "refused" {
            assert_eq!(status["state"]["problem"], *problem, "{what}: {status}");
        } else {
            assert_eq!(status["state"]["problem"], "not_newer", "{what}: {status}");
        }
        assert!(message.contains(words), "{what}: {message}");
        assert_eq!(status["may_install"], false, "{what}");
        assert_eq!(update_audit(&t)[0].0, "update.refused", "{what}");
        assert_eq!(
            std::fs::read(&target).unwrap(),
            installed,
            "{what}: untouched"
        );
    }

    // The same version as this one: nothing to install, and no refusal.
    let before = update_audit(&t).len();
    server.offer("0.1.0", new.clone(), key.sign(&new, "0.1.0"));
    let status = check();
    assert_eq!(
        state_of(&status),
        ("up_to_date", "Loopdesk 0.1.0 is the newest version.")
    );
    assert_eq!(update_audit(&t).len(), before);
    // 204: nothing new.
    server.answer(Latest::Status(204));
    assert_eq!(state_of(&check()).0, "up_to_date");

    // Install: never during an open form.
    server.offer("0.2.0", new.clone(), key.sign(&new, "0.2.0"));
    assert_eq!(state_of(&check()).0, "ready");
    t.invoke("set_form_open", json!({"open": true})).unwrap();
    let e = t.invoke("install_update", json!({})).unwrap_err();
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("Finish or close the open form"));
    t.invoke("set_form_open", json!({"open": false})).unwrap();

    // A file changed on disk after its check is verified again at install: refused, the
    // AppImage untouched.
    let waiting = t.data_dir().join("updates").join("loopdesk-0.2.0.update");
    std::fs::write(&waiting, &tampered).unwrap();
    let e = t.invoke("install_update", json!({})).unwrap_err();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("does not match its signature"),
        "{e}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), installed);
    assert_eq!(update_audit(&t)[0].0, "update.refused");
    still_answers(&t);

    // A verified one replaces it, keeping it executable, with an audit line.
    assert_eq!(state_of(&check()).0, "ready");
    let status = t.invoke("install_update", json!({})).expect("installs");
    assert_eq!(state_of(&status).0, "installed");
    assert_eq!(std::fs::read(&target).unwrap(), new);
    let audit = update_audit(&t);
    assert_eq!(audit[0].0, "update.installed");
    assert_eq!(audit[0].1["version"], "0.2.0");
    assert!(!waiting.exists(), "the download is removed once installed");
    still_answers(&t);
    t.stop();
}

/// A kiosk never installs from the banner: it waits for its quiet time.
#[test]
fn the_kiosk_installs_only_at_its_quiet_time() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("Loopdesk.AppImage");
    std::fs::write(&target, appimage(b"installed")).unwrap();
    let t = app_with_updater(&target);
    let server = UpdateServer::start();
    let new = appimage(b"new");
    server.offer("0.2.0", new.clone(), trusted().sign(&new, "0.2.0"));
    t.become_(Who::Staff(DeskRole::Manager));
    // A quiet time that is not now: three hours ahead in UTC is two or three hours ahead in
    // London, and the quiet window is two hours long.
    let quiet = (chrono::Utc::now() + chrono::TimeDelta::hours(3))
        .format("%H:%M")
        .to_string();
    t.invoke(
        "save_update_settings",
        json!({"settings": {"address": server.address(), "quiet_time": quiet}}),
    )
    .unwrap();
    t.invoke("set_kiosk_mode", json!({"enabled": true}))
        .unwrap();
    let status = t.invoke("check_for_update", json!({})).unwrap();
    assert_eq!(status["may_install"], false);
    assert!(state_of(&status)
        .1
        .contains(&format!("at its quiet time, {quiet}")));
    let e = t.invoke("install_update", json!({})).unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("quiet time"), "{e}");
    assert_ne!(std::fs::read(&target).unwrap(), new);
    t.invoke("set_kiosk_mode", json!({"enabled": false}))
        .unwrap();
    t.stop();
}

/// The key the app is built with is the one in `tauri.conf.json` (the plugin's configuration)
/// and a real minisign public key.
#[test]
fn the_built_in_key_is_the_configured_one() {
    let conf: Value =
        serde_json::from_str(include_str!("../../tauri.conf.json")).expect("tauri.conf.json");
    let key = loopdesk::update_commands::BUILT_IN_KEY.trim();
    assert_eq!(conf["plugins"]["updater"]["pubkey"], key);
    let text = base64::engine::general_purpose::STANDARD
        .decode(key)
        .expect("base64");
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.starts_with("untrusted comment: minisign public key"),
        "{text}"
    );
    minisign::PublicKeyBox::from_string(&text)
        .and_then(|b| b.into_public_key())
        .expect("a minisign public key");
    // The tests' key is not it.
    assert_ne!(trusted_test_key(), key);
}
