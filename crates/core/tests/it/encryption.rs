//! The data file encrypted at rest: what is on disk, where the key is (and is not), the
//! plain-to-encrypted upgrade under `kill -9` at each of its steps, and what happens when the key
//! cannot be used.
//!
//! Tests that are not about the keyring keep the key in memory ([`MemorySecretStore`]); the
//! upgrade's child processes need a key that outlives them, so they keep it in a small file
//! store of this test ([`FileSecrets`], outside the data folder) instead of the session's
//! keyring.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use chrono::NaiveDate;
use loopdesk_core::desk::{Desk, DeskConfig};
use loopdesk_core::logging;
use loopdesk_core::secret::Secret;
use loopdesk_core::secrets::{MemorySecretStore, SecretError, SecretStore, DATA_FILE_KEY};
use loopdesk_core::store::encryption::{self, FileKind, Step};
use loopdesk_core::store::repo::care::{upsert_care_note, CareNote};
use loopdesk_core::store::repo::outbox::{self, NewOutboxEntry};
use loopdesk_core::store::repo::people::*;
use loopdesk_core::store::repo::Page;
use loopdesk_core::store::unsent::{read_unsent, UNSENT_FILE_NAME};
use loopdesk_core::store::{
    open_for_startup, open_for_startup_with, start_afresh_with_new_key, Afresh, KeyProblem,
    StartupState, DB_FILE_NAME,
};
use loopdesk_core::Store;

use crate::t;

const NAMES: [&str; 4] = [
    "Margaret Wilson",
    "Maggie",
    "Arthur Pemberton",
    "Priya Shah",
];
const NOTE: &str = "Refused breakfast; daughter Ann visiting at four";

fn resident(id: &str, name: &str, preferred: &str, dnar: DnarStatus) -> Resident {
    Resident {
        id: id.into(),
        full_name: name.into(),
        preferred_name: Some(preferred.into()),
        room_number: Some("12".into()),
        date_of_birth: NaiveDate::from_ymd_opt(1942, 3, 12),
        status: ResidentStatus::Current,
        dnar_status: dnar,
        location_id: None,
        keyworker: Some(PersonRef {
            id: "stf_1".into(),
            full_name: "Priya Shah".into(),
        }),
        contacts: vec![],
        admitted_at: Some(t("2024-01-05T10:00:00Z")),
        discharged_at: None,
        created_at: Some(t("2024-01-05T10:00:00Z")),
        updated_at: t("2026-11-01T09:00:00Z"),
    }
}

/// Residents (one DNAR), a care note and three unsent writes (two queued, one refused).
fn write_people(store: &Store) {
    store
        .write(|tx| {
            upsert_resident(
                tx,
                &resident("res_1", "Margaret Wilson", "Maggie", DnarStatus::Dnar),
            )?;
            upsert_resident(
                tx,
                &resident("res_2", "Arthur Pemberton", "Art", DnarStatus::ForResus),
            )?;
            upsert_care_note(
                tx,
                &CareNote {
                    id: "not_1".into(),
                    resident_id: "res_1".into(),
                    author_staff_id: None,
                    author_name: "Priya Shah".into(),
                    category: "general".into(),
                    body: NOTE.into(),
                    recorded_at: t("2026-11-21T10:00:00Z"),
                    created_at: None,
                    updated_at: t("2026-11-21T10:00:00Z"),
                },
            )?;
            for n in 0..3 {
                let entry = outbox::enqueue(
                    tx,
                    &NewOutboxEntry {
                        op: "visit.update",
                        entity: "visit",
                        entity_id: "vis_1",
                        payload: serde_json::json!({ "n": n }),
                    },
                )?;
                if n == 2 {
                    outbox::park_outbox_entry(tx, entry.seq, "no", &serde_json::json!({}))?;
                }
            }
            Ok(())
        })
        .unwrap();
}

/// The rows [`write_people`] wrote are all there, and the trigram search finds them.
fn assert_people(store: &Store) {
    assert_eq!(store.read(count_residents).unwrap(), 2);
    let found: Vec<String> = store
        .read(|c| {
            search_residents(
                c,
                &ResidentQuery {
                    text: Some("wils".into()),
                    location_id: None,
                    status: None,
                },
                Page::default(),
            )
        })
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(found, ["res_1"], "the FTS5 trigram search works");
    let r = store.read(|c| get_resident(c, "res_1")).unwrap().unwrap();
    assert_eq!(r.dnar_status, DnarStatus::Dnar);
    let notes = store
        .read(|c| loopdesk_core::store::repo::care::care_notes_for_resident(c, "res_1"))
        .unwrap();
    assert_eq!(notes[0].body, NOTE);
    assert_eq!(store.read(outbox::outbox_counts).unwrap(), (2, 1));
}

/// Every file in `dir` (not in folders below it), by name, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn plain_connection_cannot_read(path: &Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    let err = c
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase),
        "{err}"
    );
}

fn ready(data: &Path, secrets: &dyn SecretStore) -> Store {
    let (store, state) = open_for_startup(data, secrets);
    assert_eq!(state, StartupState::Ready);
    store.unwrap()
}

#[test]
fn the_file_and_its_wal_hold_no_name_dnar_status_or_note_and_need_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemorySecretStore::new();
    let store = ready(dir.path(), &secrets);
    write_people(&store);
    assert_people(&store);

    // While the desk runs, with the changes still in the WAL, and after it closed.
    let db = dir.path().join(DB_FILE_NAME);
    let check = |when: &str| {
        let on_disk = files(dir.path());
        assert!(on_disk.contains_key(DB_FILE_NAME), "{when}");
        for (name, bytes) in &on_disk {
            if name == UNSENT_FILE_NAME {
                let text = String::from_utf8(bytes.clone()).unwrap();
                assert!(
                    text.ends_with('\n') && text.trim_end().parse::<u32>().is_ok(),
                    "the side file holds only a count: {text:?}"
                );
                continue;
            }
            for text in NAMES
                .iter()
                .chain([&NOTE, &"dnar", &"for_resus", &"residents"])
            {
                assert!(
                    !contains(bytes, text.as_bytes()),
                    "{when}: {name} holds {text:?} in plain text"
                );
            }
        }
    };
    assert!(
        dir.path().join(format!("{DB_FILE_NAME}-wal")).exists(),
        "the WAL is there to be checked"
    );
    check("while open");
    assert_eq!(encryption::file_kind(&db).unwrap(), FileKind::Encrypted);
    plain_connection_cannot_read(&db);
    drop(store);
    check("after closing");
    plain_connection_cannot_read(&db);

    // The key opens it again, with everything in it.
    assert_people(&ready(dir.path(), &secrets));
}

#[test]
fn a_desk_write_keeps_the_count_of_unsent_writes_beside_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::new());
    let store = Arc::new(ready(dir.path(), secrets.as_ref()));
    write_people(&store);
    let db = store.path().to_path_buf();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut config = DeskConfig::new(secrets.clone());
        config.sync = crate::peer::sync_options();
        let desk = Desk::open(store.clone(), config).await.unwrap();
        desk.add_care_note(
            "res_1".into(),
            "Walked to the garden".into(),
            "general".into(),
        )
        .await
        .unwrap();
        // Written a moment after the write, while the desk runs.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while read_unsent(&db) != Some(4) {
            assert!(
                std::time::Instant::now() < deadline,
                "3 before, and the note: {:?}",
                read_unsent(&db)
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // Two more, and the desk stops at once: the file has the last count all the same.
        for body in ["Had a nap", "Read the paper"] {
            desk.add_care_note("res_1".into(), body.into(), "general".into())
                .await
                .unwrap();
        }
        desk.shutdown().await;
        assert_eq!(read_unsent(&db), Some(6));
    });
}

/// A secret store that cannot be reached, like a locked keyring.
#[derive(Debug)]
struct LockedKeyring;

impl SecretStore for LockedKeyring {
    fn get(&self, _: &str) -> Result<Option<Secret>, SecretError> {
        Err(SecretError::Unavailable("the collection is locked".into()))
    }
    fn set(&self, _: &str, _: &Secret) -> Result<(), SecretError> {
        Err(SecretError::Unavailable("the collection is locked".into()))
    }
    fn delete(&self, _: &str) -> Result<(), SecretError> {
        Err(SecretError::Unavailable("the collection is locked".into()))
    }
}

/// A data folder with an encrypted file holding [`write_people`]'s rows, closed.
fn encrypted_folder() -> (tempfile::TempDir, MemorySecretStore) {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemorySecretStore::new();
    write_people(&ready(dir.path(), &secrets));
    // Opened again, the side file has the count the file holds.
    drop(ready(dir.path(), &secrets));
    (dir, secrets)
}

#[rstest::rstest]
#[case::key_missing(KeyProblem::KeyMissing)]
#[case::keyring_locked(KeyProblem::KeyringUnavailable)]
#[case::another_key(KeyProblem::KeyRejected)]
fn a_key_that_cannot_be_used_is_explained_and_the_file_is_left_as_it_was(
    #[case] problem: KeyProblem,
) {
    let (dir, secrets) = encrypted_folder();
    let before = files(dir.path());
    let other = MemorySecretStore::new();
    let another_key = MemorySecretStore::new();
    another_key
        .set(DATA_FILE_KEY, encryption::DataKey::generate().secret())
        .unwrap();
    let keyring: &dyn SecretStore = match problem {
        KeyProblem::KeyMissing => &other,
        KeyProblem::KeyringUnavailable => &LockedKeyring,
        KeyProblem::KeyRejected => &another_key,
    };
    for _ in 0..2 {
        let (store, state) = open_for_startup(dir.path(), keyring);
        assert!(store.is_none());
        assert_eq!(
            state,
            StartupState::DataKeyProblem {
                path: dir.path().join(DB_FILE_NAME).display().to_string(),
                problem,
                unsent_writes: Some(3),
            }
        );
        assert_eq!(
            files(dir.path()),
            before,
            "byte for byte, nothing moved or added"
        );
    }
    // A missing key never made a new one either.
    assert!(other.get(DATA_FILE_KEY).unwrap().is_none());
    // The right key still opens it.
    assert_people(&ready(dir.path(), &secrets));
}

#[test]
fn whole_pages_that_are_not_plain_sqlite_are_never_moved_aside_without_a_key() {
    // An encrypted file cannot be told from noise without its key: without one, it is a key
    // problem (kept where it is), never "corrupt" (moved aside).
    let dir = tempfile::tempdir().unwrap();
    let noise: Vec<u8> = (0..8192u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(dir.path().join(DB_FILE_NAME), &noise).unwrap();
    let (_, state) = open_for_startup(dir.path(), &MemorySecretStore::new());
    assert!(
        matches!(
            state,
            StartupState::DataKeyProblem {
                problem: KeyProblem::KeyMissing,
                unsent_writes: None,
                ..
            }
        ),
        "{state:?}"
    );
    assert_eq!(files(dir.path()).len(), 1);
    assert_eq!(std::fs::read(dir.path().join(DB_FILE_NAME)).unwrap(), noise);
}

/// Where starting afresh moved the old file (it must have moved one).
fn moved_aside(afresh: Afresh) -> PathBuf {
    match afresh {
        Afresh::Started {
            moved_to: Some(moved),
        } => moved,
        other => panic!("the old file was moved aside: {other:?}"),
    }
}

#[test]
fn starting_afresh_moves_the_file_aside_and_makes_a_new_key() {
    let (dir, _secrets) = encrypted_folder();
    let db = dir.path().join(DB_FILE_NAME);
    let old = std::fs::read(&db).unwrap();
    let keyring = MemorySecretStore::new();
    let (_, state) = open_for_startup(dir.path(), &keyring);
    assert!(matches!(
        state,
        StartupState::DataKeyProblem {
            unsent_writes: Some(3),
            ..
        }
    ));

    // A keyring that cannot keep the new key: nothing moves.
    let err = start_afresh_with_new_key(dir.path(), &LockedKeyring).unwrap_err();
    assert!(
        matches!(err, loopdesk_core::StoreError::Keyring(_)),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), old);

    let (store, afresh) = start_afresh_with_new_key(dir.path(), &keyring).unwrap();
    let moved = moved_aside(afresh);
    assert!(
        moved.to_string_lossy().contains("loopdesk.db.no-key-"),
        "{}",
        moved.display()
    );
    assert_eq!(std::fs::read(&moved).unwrap(), old, "kept byte for byte");
    assert_eq!(store.read(count_residents).unwrap(), 0);
    assert_eq!(read_unsent(&db), Some(0));
    assert!(keyring.get(DATA_FILE_KEY).unwrap().is_some());
    drop(store);
    // The new file opens with the new key; the old one is still there.
    drop(ready(dir.path(), &keyring));
    assert!(moved.exists());
}

#[test]
fn starting_afresh_after_a_key_that_did_not_open_the_file_keeps_that_key_too() {
    let (dir, _secrets) = encrypted_folder();
    let keyring = MemorySecretStore::new();
    let wrong = encryption::DataKey::generate();
    keyring.set(DATA_FILE_KEY, wrong.secret()).unwrap();
    let (_, state) = open_for_startup(dir.path(), &keyring);
    assert!(matches!(
        state,
        StartupState::DataKeyProblem {
            problem: KeyProblem::KeyRejected,
            ..
        }
    ));
    let (store, afresh) = start_afresh_with_new_key(dir.path(), &keyring).unwrap();
    let moved = moved_aside(afresh);
    let new = keyring.get(DATA_FILE_KEY).unwrap().unwrap();
    assert_ne!(new.expose(), wrong.secret().expose());
    let stamp = moved
        .to_string_lossy()
        .rsplit("no-key-")
        .next()
        .unwrap()
        .to_owned();
    let kept = keyring
        .get(&format!("{DATA_FILE_KEY}-replaced-{stamp}"))
        .unwrap()
        .expect("the earlier key is kept under another name");
    assert_eq!(kept.expose(), wrong.secret().expose());
    drop(store);
}

/// A keyring that cannot be read but would take a write (one that asks for its password only
/// when written to, say).
#[derive(Debug, Default)]
struct UnreadableKeyring(MemorySecretStore);

impl SecretStore for UnreadableKeyring {
    fn get(&self, _: &str) -> Result<Option<Secret>, SecretError> {
        Err(SecretError::Unavailable("the collection is locked".into()))
    }
    fn set(&self, name: &str, value: &Secret) -> Result<(), SecretError> {
        self.0.set(name, value)
    }
    fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.0.delete(name)
    }
}

#[test]
fn starting_afresh_with_the_keyring_still_locked_changes_nothing_and_overwrites_no_key() {
    let (dir, secrets) = encrypted_folder();
    let before = files(dir.path());
    let (_, state) = open_for_startup(dir.path(), &LockedKeyring);
    assert!(matches!(
        state,
        StartupState::DataKeyProblem {
            problem: KeyProblem::KeyringUnavailable,
            unsent_writes: Some(3),
            ..
        }
    ));
    // The keyring holds the right key, but cannot be read; it would take a new one.
    let keyring = UnreadableKeyring::default();
    let right = secrets.get(DATA_FILE_KEY).unwrap().unwrap();
    keyring.0.set(DATA_FILE_KEY, &right).unwrap();

    for locked in [&LockedKeyring as &dyn SecretStore, &keyring] {
        let err = start_afresh_with_new_key(dir.path(), locked).unwrap_err();
        assert!(
            matches!(err, loopdesk_core::StoreError::Keyring(_)),
            "{err}"
        );
        assert_eq!(files(dir.path()), before, "byte for byte, nothing moved");
    }
    assert_eq!(
        keyring.0.get(DATA_FILE_KEY).unwrap().unwrap().expose(),
        right.expose(),
        "the key it could not read was not replaced"
    );
    assert_people(&ready(dir.path(), &secrets));
}

#[test]
fn starting_afresh_once_the_keyring_opens_opens_the_file_and_loses_nothing() {
    let (dir, secrets) = encrypted_folder();
    let before = files(dir.path());
    let (_, state) = open_for_startup(dir.path(), &LockedKeyring);
    assert!(matches!(state, StartupState::DataKeyProblem { .. }));
    // The person confirmed; the system asked for the keyring's password and it opened.
    let (store, afresh) = start_afresh_with_new_key(dir.path(), &secrets).unwrap();
    assert_eq!(afresh, Afresh::Opened);
    assert_people(&store);
    drop(store);
    let after = files(dir.path());
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "nothing moved aside"
    );
}

#[test]
fn a_locked_keyring_at_first_start_makes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let (store, state) = open_for_startup(dir.path(), &LockedKeyring);
    assert!(store.is_none());
    assert!(matches!(
        state,
        StartupState::DataKeyProblem {
            problem: KeyProblem::KeyringUnavailable,
            ..
        }
    ));
    assert!(files(dir.path()).is_empty());
}

// --- the plain-to-encrypted upgrade, and the key's whereabouts, in child processes ----------

/// Secrets in a file, written durably: a key that outlives a killed process. Test-only.
#[derive(Debug)]
struct FileSecrets(PathBuf);

impl FileSecrets {
    fn all(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(&self.0)
            .map(|s| serde_json::from_str(&s).unwrap())
            .unwrap_or_default()
    }
}

impl SecretStore for FileSecrets {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        Ok(self.all().get(name).map(Secret::new))
    }
    fn set(&self, name: &str, value: &Secret) -> Result<(), SecretError> {
        use std::io::Write as _;
        let mut all = self.all();
        all.insert(name.into(), value.expose().into());
        let temp = self.0.with_extension("tmp");
        let mut f = std::fs::File::create(&temp).unwrap();
        f.write_all(serde_json::to_string(&all).unwrap().as_bytes())
            .unwrap();
        f.sync_all().unwrap();
        std::fs::rename(&temp, &self.0).unwrap();
        Ok(())
    }
    fn delete(&self, name: &str) -> Result<(), SecretError> {
        let mut all = self.all();
        all.remove(name);
        std::fs::write(&self.0, serde_json::to_string(&all).unwrap()).unwrap();
        Ok(())
    }
}

const CHILD: &str = "encryption::upgrade_child";

/// The child: opens the data folder as the app does (encrypting a plain file), killing itself
/// with `kill -9` right after the step named in `LOOPDESK_CHILD_KILL_AT`.
#[test]
#[ignore = "run by the upgrade tests in their own processes"]
fn upgrade_child() {
    let (Some(data), Some(keys)) = (
        std::env::var_os("LOOPDESK_CHILD_DATA_DIR"),
        std::env::var_os("LOOPDESK_CHILD_KEYS"),
    ) else {
        return;
    };
    let _logs = std::env::var_os("LOOPDESK_CHILD_LOG_DIR")
        .map(|dir| logging::init(Path::new(&dir)).unwrap());
    let kill_at = std::env::var("LOOPDESK_CHILD_KILL_AT").unwrap_or_default();
    let at = |step: Step| {
        if step.name() == kill_at {
            let _ = std::process::Command::new("kill")
                .args(["-9", &std::process::id().to_string()])
                .status();
            // SIGKILL has arrived before `kill` returns; nothing runs after it.
            std::thread::sleep(Duration::from_secs(60));
        }
    };
    let (store, state) = open_for_startup_with(Path::new(&data), &FileSecrets(keys.into()), &at);
    assert_eq!(state, StartupState::Ready);
    let store = store.unwrap();
    // The app's first write after the upgrade, so the WAL has something in it too.
    store
        .write(|tx| loopdesk_core::store::repo::settings::set_setting(tx, "home", "Avery Park"))
        .unwrap();
    drop(store);
    println!("child done");
}

struct ChildRun {
    killed: bool,
    stdout: String,
    stderr: String,
}

fn run_child(data: &Path, keys: &Path, kill_at: &str, logs: Option<&Path>) -> ChildRun {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        CHILD,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("LOOPDESK_CHILD_DATA_DIR", data)
    .env("LOOPDESK_CHILD_KEYS", keys)
    .env("LOOPDESK_CHILD_KILL_AT", kill_at)
    .env("RUST_LOG", "trace");
    if let Some(logs) = logs {
        cmd.env("LOOPDESK_CHILD_LOG_DIR", logs);
    }
    let out = cmd.output().unwrap();
    use std::os::unix::process::ExitStatusExt as _;
    let run = ChildRun {
        killed: out.status.signal() == Some(9),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        run.killed || (out.status.success() && run.stdout.contains("child done")),
        "the child failed ({:?}):\n{}\n{}",
        out.status,
        run.stdout,
        run.stderr
    );
    run
}

/// A plain data file as an earlier Loopdesk left it after a `kill -9`: rows in the main file
/// and more still in its WAL (copied while the store was open, as a kill would leave them).
fn plain_folder() -> tempfile::TempDir {
    let source = tempfile::tempdir().unwrap();
    let store = Store::open(source.path().join(DB_FILE_NAME)).unwrap();
    write_people(&store);
    store
        .write(|tx| loopdesk_core::store::repo::settings::set_setting(tx, "last", "in the wal"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in [DB_FILE_NAME.to_owned(), format!("{DB_FILE_NAME}-wal")] {
        std::fs::copy(source.path().join(&name), dir.path().join(&name)).unwrap();
    }
    drop(store);
    assert!(
        std::fs::metadata(dir.path().join(format!("{DB_FILE_NAME}-wal")))
            .unwrap()
            .len()
            > 0
    );
    assert_eq!(
        encryption::file_kind(&dir.path().join(DB_FILE_NAME)).unwrap(),
        FileKind::Plain
    );
    dir
}

#[test]
fn the_upgrade_to_an_encrypted_file_survives_a_kill_at_every_step() {
    for step in Step::ALL {
        let dir = plain_folder();
        let keys_dir = tempfile::tempdir().unwrap();
        let keys = keys_dir.path().join("keys.json");
        let db = dir.path().join(DB_FILE_NAME);

        let run = run_child(dir.path(), &keys, step.name(), None);
        assert!(run.killed, "killed at {step:?}:\n{}", run.stderr);

        // Right after the kill, the file at the path is the whole plain one or the whole
        // encrypted one, and an encrypted one's key is in the keyring.
        match encryption::file_kind(&db).unwrap() {
            FileKind::Plain => {
                let c = rusqlite::Connection::open(&db).unwrap();
                let n: i64 = c
                    .query_row("SELECT count(*) FROM residents", [], |r| r.get(0))
                    .unwrap();
                assert_eq!(n, 2, "killed at {step:?}");
            }
            FileKind::Encrypted => {
                assert!(
                    FileSecrets(keys.clone())
                        .get(DATA_FILE_KEY)
                        .unwrap()
                        .is_some(),
                    "killed at {step:?}: an encrypted file whose key is not kept"
                );
                assert!(
                    matches!(step, Step::Renamed | Step::Done),
                    "encrypted before the rename, at {step:?}"
                );
            }
            other => panic!("killed at {step:?}: the data file is {other:?}"),
        }

        // The next start finishes the job, and everything is there.
        let secrets = FileSecrets(keys.clone());
        let (store, state) = open_for_startup(dir.path(), &secrets);
        assert_eq!(state, StartupState::Ready, "after a kill at {step:?}");
        let store = store.unwrap();
        assert_people(&store);
        let last = store
            .read(|c| loopdesk_core::store::repo::settings::get_setting(c, "last"))
            .unwrap();
        assert_eq!(
            last.as_deref(),
            Some("in the wal"),
            "after a kill at {step:?}"
        );
        drop(store);
        assert_eq!(encryption::file_kind(&db).unwrap(), FileKind::Encrypted);
        assert!(
            !encryption::temp_path(&db).exists(),
            "after a kill at {step:?}"
        );
        plain_connection_cannot_read(&db);
    }
}

#[test]
fn the_key_is_in_no_file_of_the_data_folder_and_no_log_line() {
    let dir = plain_folder();
    let keys_dir = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let keys = keys_dir.path().join("keys.json");
    // Upgrade, then a second start on the encrypted file, both logging everything.
    let first = run_child(dir.path(), &keys, "", Some(logs.path()));
    let second = run_child(dir.path(), &keys, "", Some(logs.path()));
    let key = FileSecrets(keys).get(DATA_FILE_KEY).unwrap().unwrap();
    let hex = key.expose().to_owned();
    let raw: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();

    let mut log = String::new();
    for (_, bytes) in files(logs.path()) {
        log.push_str(&String::from_utf8_lossy(&bytes));
    }
    assert!(
        log.contains("the data file is now encrypted"),
        "the run was logged:\n{log}"
    );
    let said = [
        log,
        first.stdout,
        first.stderr,
        second.stdout,
        second.stderr,
    ]
    .concat()
    .to_lowercase();
    let on_disk = files(dir.path());
    assert!(on_disk.contains_key(DB_FILE_NAME));
    let chars: Vec<char> = hex.chars().collect();
    for window in chars.windows(12) {
        let part: String = window.iter().collect();
        assert!(!said.contains(&part), "the key was logged: {part}");
        for (name, bytes) in &on_disk {
            assert!(
                !contains(&bytes.to_ascii_lowercase(), part.as_bytes()),
                "the key is in {name}"
            );
        }
    }
    for (name, bytes) in &on_disk {
        for window in raw.windows(8) {
            assert!(!contains(bytes, window), "the raw key is in {name}");
        }
    }
}
