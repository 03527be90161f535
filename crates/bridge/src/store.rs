//! Storage: the [`EventStore`] trait the server uses, and [`Store`], its SQLite implementation,
//! which also carries the admin functions (endpoints and devices).
//!
//! SQLite runs in WAL mode with `synchronous=FULL`: an insert is on disk when its commit returns,
//! and only then is a webhook acknowledged. All event inserts go through one writer thread that
//! commits whatever has queued up in a single transaction (group commit), so many concurrent
//! deliveries share one fsync. Reads use a small pool of connections on blocking threads.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::future::BoxFuture;
use rand::RngCore as _;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::{oneshot, watch};

use crate::error::{invalid, Error, Result};
use crate::locks::lock;
use crate::schemes::{signing_key, Scheme, STANDARD_SECRET_PREFIX};

/// How long the previous secret keeps verifying after `endpoint rotate`.
pub const ROTATION_GRACE: Duration = Duration::from_secs(24 * 60 * 60);
/// The most events deleted in one transaction by the retention purge.
pub(crate) const PURGE_CHUNK: i64 = 2000;
/// The most events written in one transaction.
pub(crate) const MAX_BATCH: usize = 512;
/// The most store reads at once (and reader connections kept). Bounds the open files and the
/// memory that pages being read take, whatever the number of requests.
pub(crate) const MAX_READERS: usize = 8;
/// The most device ids looked up in one query by [`EventStore::active_devices`].
const ACTIVE_DEVICES_CHUNK: usize = 200;
pub(crate) const MAX_ORG_LEN: usize = 128;
pub(crate) const MAX_NAME_LEN: usize = 200;
const MAX_SECRET_LEN: usize = 1024;

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../migrations/0001_init.sql")),
        M::up(include_str!("../migrations/0002_seen_event_ids.sql")),
        M::up(include_str!("../migrations/0003_org_cursors.sql")),
    ])
}

/// An endpoint as the intake needs it: whom it belongs to and which keys verify it now.
#[derive(Debug, Clone)]
pub struct EndpointAuth {
    /// The endpoint id (the `{endpoint_id}` of `/hooks/{endpoint_id}`).
    pub id: String,
    /// The organisation its events belong to.
    pub org: String,
    /// How its deliveries are signed.
    pub scheme: Scheme,
    /// HMAC keys that verify now: the current secret's, and the previous one's during a rotation.
    pub keys: Vec<Vec<u8>>,
}

impl EndpointAuth {
    /// The endpoint as either store reads it from its `endpoints` row: `None` (logged) when the
    /// scheme is unknown. The previous secret verifies until it expires; a secret that cannot
    /// make a key is logged and left out.
    pub(crate) fn from_row(
        id: String,
        org: String,
        scheme: &str,
        secret: String,
        previous: Option<String>,
        previous_expires_at: Option<i64>,
    ) -> Option<Self> {
        let Ok(scheme) = scheme.parse::<Scheme>() else {
            tracing::error!(endpoint = ?id, "endpoint has an unknown scheme");
            return None;
        };
        let now = Utc::now().timestamp_millis();
        let mut secrets = vec![secret];
        if let (Some(p), Some(e)) = (previous, previous_expires_at) {
            if e > now {
                secrets.push(p);
            }
        }
        let mut keys = Vec::with_capacity(2);
        for s in secrets {
            match signing_key(scheme, &s) {
                Ok(k) => keys.push(k),
                Err(_) => tracing::error!(endpoint = ?id, "endpoint has an unusable secret"),
            }
        }
        Some(Self {
            id,
            org,
            scheme,
            keys,
        })
    }
}

/// A device allowed to read the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuth {
    /// The device id.
    pub id: String,
    /// The only organisation whose events it may read.
    pub org: String,
}

/// A verified event to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Owner organisation (the endpoint's).
    pub org: String,
    /// The scheme it came through (`careloop`, `standard`, ...): with `org` and `id` the dedupe key.
    pub source: String,
    /// The provider's event id.
    pub id: String,
    /// The endpoint that received it.
    pub endpoint_id: String,
    /// Event type.
    pub event_type: String,
    /// When it happened, as the provider said.
    pub occurred_at: Option<String>,
    /// The resource it is about.
    pub resource_id: Option<String>,
    /// The raw JSON body as received.
    pub data: String,
    /// Until when its id must be remembered for dedupe, after the event itself is purged; `None`
    /// for ever. See [`crate::api::hooks`] for how the intake chooses it.
    pub remember_until: Option<DateTime<Utc>>,
}

/// What an insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// A new event, durably stored at this cursor (of its organisation's feed).
    Stored(i64),
    /// The event id was seen before (the event may since have been purged); nothing was written.
    Duplicate,
}

/// A stored event as the feed serves it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Its position in its organisation's feed.
    pub cursor: i64,
    /// The provider's event id.
    pub id: String,
    /// Owner organisation.
    pub org: String,
    /// Scheme it came through.
    pub source: String,
    /// Event type.
    pub event_type: String,
    /// When it happened, as the provider said.
    pub occurred_at: Option<String>,
    /// When the bridge stored it (RFC 3339, UTC, milliseconds).
    pub received_at: String,
    /// The resource it is about.
    pub resource_id: Option<String>,
    /// The raw JSON body as received.
    pub data: String,
}

impl StoredEvent {
    /// About how many bytes the event takes in a feed page: its body and fields, plus the JSON
    /// around them.
    pub fn size(&self) -> usize {
        event_size(
            self.data.len(),
            [
                &self.id,
                &self.org,
                &self.source,
                &self.event_type,
                &self.received_at,
            ],
            [self.occurred_at.as_deref(), self.resource_id.as_deref()],
        )
    }
}

/// The JSON of a feed event around its values: keys, quotes, the cursor.
pub(crate) const EVENT_JSON_OVERHEAD: usize = 160;

fn event_size(data: usize, fields: [&str; 5], optional: [Option<&str>; 2]) -> usize {
    let fields: usize = fields.iter().map(|f| f.len()).sum();
    let optional: usize = optional.iter().map(|f| f.map_or(4, str::len)).sum();
    data + fields + optional + EVENT_JSON_OVERHEAD
}

/// A page request of the feed.
#[derive(Debug, Clone)]
pub struct FeedQuery {
    /// The organisation to read (always the device's own).
    pub org: String,
    /// Return events with a cursor greater than this.
    pub after: i64,
    /// Only these types, when given.
    pub types: Option<Vec<String>>,
    /// At most this many.
    pub limit: u32,
    /// At most about this many bytes of events (see [`StoredEvent::size`]): the page ends before
    /// the event that would pass it. Its first event is returned whatever its size.
    pub max_bytes: usize,
}

/// Storage behind the server. The SQLite [`Store`] implements it, and so does
/// [`crate::pg::PgStore`] (PostgreSQL, several bridges on one database, with LISTEN/NOTIFY behind
/// [`EventStore::subscribe`]).
pub trait EventStore: Send + Sync + 'static {
    /// The endpoint and the keys that verify its deliveries now; `None` if unknown.
    fn endpoint(&self, id: &str) -> BoxFuture<'_, Result<Option<EndpointAuth>>>;
    /// The device holding this bearer token; `None` if unknown or revoked.
    fn device_for_token(&self, token: &str) -> BoxFuture<'_, Result<Option<DeviceAuth>>>;
    /// Which of these device ids are still allowed (known and not revoked). Revocations made by
    /// another process (the CLI) are seen.
    fn active_devices(&self, ids: Vec<String>) -> BoxFuture<'_, Result<HashSet<String>>>;
    /// Stores an event durably (or finds it already stored). Returns once committed.
    fn insert_event(&self, event: NewEvent) -> BoxFuture<'_, Result<Inserted>>;
    /// Events of `query.org` after `query.after`, oldest first.
    fn events_after(&self, query: FeedQuery) -> BoxFuture<'_, Result<Vec<StoredEvent>>>;
    /// A receiver that changes whenever a new event of `org` is committed.
    fn subscribe(&self, org: &str) -> watch::Receiver<i64>;
    /// Deletes events received before `cutoff`; returns how many.
    fn purge_received_before(&self, cutoff: DateTime<Utc>) -> BoxFuture<'_, Result<u64>>;
    /// Forgets the remembered event ids whose `remember_until` is before `now`; returns how many.
    fn forget_seen_ids(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64>>;
    /// The highest cursor ever issued to `org` (0 when none). Cursors count per organisation,
    /// so they tell nothing of other organisations' volume. A device's cursor above it comes
    /// from another (reset or replaced) store.
    fn latest_cursor(&self, org: &str) -> BoxFuture<'_, Result<i64>>;
    /// Checks that the store answers.
    fn ping(&self) -> BoxFuture<'_, Result<()>>;
    /// What kind of store this is, as `/healthz` reports it (`sqlite`, `postgresql`).
    fn kind(&self) -> &'static str {
        "custom"
    }
}

/// Printed by `endpoint add`: where to point the provider and the secret to give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointCreated {
    /// The new endpoint's id.
    pub endpoint_id: String,
    /// The signing secret (given or generated). Shown once here; never logged.
    pub secret: String,
    /// The intake path, `/hooks/{endpoint_id}`.
    pub path: String,
}

/// Printed by `endpoint rotate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointRotated {
    /// The endpoint's id.
    pub endpoint_id: String,
    /// The new signing secret.
    pub secret: String,
    /// The intake path.
    pub path: String,
    /// Until when the previous secret still verifies (RFC 3339).
    pub previous_valid_until: String,
}

/// One line of `endpoint list` (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointInfo {
    /// The endpoint's id.
    pub endpoint_id: String,
    /// Owner organisation.
    pub org: String,
    /// Signature scheme.
    pub scheme: Scheme,
    /// The intake path.
    pub path: String,
    /// When it was added.
    pub created_at: String,
    /// When its secret was last rotated.
    pub rotated_at: Option<String>,
    /// Until when the previous secret verifies, if a rotation is in its grace period.
    pub previous_valid_until: Option<String>,
}

/// Printed by `device add`: the token is shown once and stored only as a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceCreated {
    /// The new device's id.
    pub device_id: String,
    /// Its bearer token for `GET /v1/events`.
    pub token: String,
}

/// One line of `device list` (no tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceInfo {
    /// The device's id.
    pub device_id: String,
    /// Its organisation.
    pub org: String,
    /// Its name.
    pub name: String,
    /// When it was added.
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// Per-organisation wake-ups for long-polls.
#[derive(Default)]
pub(crate) struct Notifier {
    orgs: Mutex<HashMap<String, watch::Sender<i64>>>,
}

impl Notifier {
    pub(crate) fn subscribe(&self, org: &str) -> watch::Receiver<i64> {
        let mut orgs = lock(&self.orgs);
        orgs.entry(org.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    pub(crate) fn notify(&self, org: &str, cursor: i64) {
        let orgs = lock(&self.orgs);
        if let Some(tx) = orgs.get(org) {
            tx.send_replace(cursor);
        }
    }

    /// Wakes the long-polls of `org` (they read the feed again) without a known cursor.
    pub(crate) fn wake(&self, org: &str) {
        let orgs = lock(&self.orgs);
        if let Some(tx) = orgs.get(org) {
            tx.send_modify(|_| {});
        }
    }

    /// Wakes every waiting long-poll: used when wake-ups may have been missed (e.g. another
    /// bridge's, while the connection that carries them was down). Organisations nobody waits
    /// for any more are forgotten here.
    pub(crate) fn wake_all(&self) {
        let mut orgs = lock(&self.orgs);
        orgs.retain(|_, tx| tx.receiver_count() > 0);
        for tx in orgs.values() {
            tx.send_modify(|_| {});
        }
    }
}

struct WriteReq {
    event: NewEvent,
    reply: oneshot::Sender<Result<Inserted>>,
}

struct Inner {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    /// One permit per store read running on a blocking thread ([`MAX_READERS`]).
    reads: Arc<tokio::sync::Semaphore>,
    notifier: Arc<Notifier>,
    writer: Option<mpsc::Sender<WriteReq>>,
    writer_thread: Option<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel lets the writer finish what is queued, then stop.
        self.writer.take();
        if let Some(t) = self.writer_thread.take() {
            let _ = t.join();
        }
    }
}

/// The SQLite store. Cheap to clone; all clones share the connections and the writer.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish()
    }
}

fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

pub(crate) fn now_rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// SHA-256 hex of a device token (tokens are 256-bit random, so a plain hash suffices).
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(crate) fn hook_path(id: &str) -> String {
    format!("/hooks/{id}")
}

pub(crate) fn check_org(org: &str) -> Result<()> {
    if org.is_empty() || org.len() > MAX_ORG_LEN {
        return Err(invalid(
            "org",
            format!("must be 1 to {MAX_ORG_LEN} characters"),
        ));
    }
    if !org
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b))
    {
        return Err(invalid("org", "may only hold letters, digits and _ - . :"));
    }
    Ok(())
}

pub(crate) fn check_device_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            format!("must be 1 to {MAX_NAME_LEN} printable characters"),
        ));
    }
    Ok(())
}

/// A new secret for a scheme: `whsec_<base64 of 32 random bytes>` for Standard Webhooks, 64 hex
/// characters (256 random bits) for the others.
fn generate_secret(scheme: Scheme) -> String {
    match scheme {
        Scheme::Standard => format!("{STANDARD_SECRET_PREFIX}{}", B64.encode(random_bytes(32))),
        _ => hex::encode(random_bytes(32)),
    }
}

pub(crate) fn check_secret(scheme: Scheme, secret: Option<String>) -> Result<String> {
    match secret {
        None => Ok(generate_secret(scheme)),
        Some(s) => {
            if s.len() > MAX_SECRET_LEN || s.chars().any(char::is_control) {
                return Err(invalid("secret", "too long or holds control characters"));
            }
            signing_key(scheme, &s).map_err(|reason| invalid("secret", reason))?;
            Ok(s)
        }
    }
}

fn row_to_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        cursor: row.get(0)?,
        id: row.get(1)?,
        org: row.get(2)?,
        source: row.get(3)?,
        event_type: row.get(4)?,
        occurred_at: row.get(5)?,
        received_at: row.get(6)?,
        resource_id: row.get(7)?,
        data: row.get(8)?,
    })
}

/// [`StoredEvent::size`] of a row of the feed query, without copying it.
fn row_size(row: &rusqlite::Row<'_>) -> rusqlite::Result<usize> {
    let len = |i: usize| -> rusqlite::Result<usize> {
        Ok(match row.get_ref(i)? {
            rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => t.len(),
            _ => 0,
        })
    };
    let opt = |i: usize| -> rusqlite::Result<usize> {
        Ok(match row.get_ref(i)? {
            rusqlite::types::ValueRef::Null => 4,
            _ => len(i)?,
        })
    };
    let fields = len(1)? + len(2)? + len(3)? + len(4)? + len(6)?;
    Ok(len(8)? + fields + opt(5)? + opt(7)? + EVENT_JSON_OVERHEAD)
}

fn write_batch(conn: &mut Connection, batch: &[WriteReq]) -> rusqlite::Result<Vec<Inserted>> {
    let tx = conn.transaction()?;
    let now = Utc::now();
    let received_at = now_rfc3339(now);
    let received_ms = now.timestamp_millis();
    let mut out = Vec::with_capacity(batch.len());
    {
        // The id is remembered first: a replay of an event that is gone (purged) is still known.
        let mut remember = tx.prepare_cached(
            "INSERT INTO seen_events (org, source, event_id, first_seen_ms, remember_until_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (org, source, event_id) DO NOTHING",
        )?;
        let mut next_cursor = tx.prepare_cached(
            "SELECT COALESCE((SELECT last FROM org_cursors WHERE org = ?1), 0) + 1",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO events (org, source, event_id, endpoint_id, type, occurred_at,
                 received_at, received_unix_ms, resource_id, data, org_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (org, source, event_id) DO NOTHING
             RETURNING org_seq",
        )?;
        let mut issued = tx.prepare_cached(
            "INSERT INTO org_cursors (org, last) VALUES (?1, ?2)
             ON CONFLICT (org) DO UPDATE SET last = excluded.last",
        )?;
        for req in batch {
            let e = &req.event;
            let remember_until = e.remember_until.map(|t| t.timestamp_millis());
            let new_id =
                remember.execute(params![e.org, e.source, e.id, received_ms, remember_until])?;
            if new_id == 0 {
                out.push(Inserted::Duplicate);
                continue;
            }
            // One writer: nothing else issues this organisation's cursors meanwhile.
            let cursor: i64 = next_cursor.query_row([&e.org], |r| r.get(0))?;
            // The events' own uniqueness still holds (an id forgotten early, e.g. after the
            // retention was raised, while its event is kept).
            let stored: Option<i64> = insert
                .query_row(
                    params![
                        e.org,
                        e.source,
                        e.id,
                        e.endpoint_id,
                        e.event_type,
                        e.occurred_at,
                        received_at,
                        received_ms,
                        e.resource_id,
                        e.data,
                        cursor
                    ],
                    |r| r.get(0),
                )
                .optional()?;
            out.push(match stored {
                Some(cursor) => {
                    issued.execute(params![e.org, cursor])?;
                    Inserted::Stored(cursor)
                }
                None => Inserted::Duplicate,
            });
        }
    }
    tx.commit()?;
    Ok(out)
}

fn writer_loop(mut conn: Connection, rx: mpsc::Receiver<WriteReq>, notifier: Arc<Notifier>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        match write_batch(&mut conn, &batch) {
            Ok(results) => {
                let mut newest: HashMap<&str, i64> = HashMap::new();
                for (req, res) in batch.iter().zip(&results) {
                    if let Inserted::Stored(seq) = res {
                        newest.insert(req.event.org.as_str(), *seq);
                    }
                }
                for (org, seq) in newest {
                    notifier.notify(org, seq);
                }
                for (req, res) in batch.into_iter().zip(results) {
                    let _ = req.reply.send(Ok(res));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, events = batch.len(), "event batch write failed");
                let msg = e.to_string();
                for req in batch {
                    let _ = req.reply.send(Err(Error::Write(msg.clone())));
                }
            }
        }
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// A database written by a newer bridge is refused, not modified.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let mut writer_conn = open_connection(&path)?;
        // The file holds endpoint secrets: readable by its owner only (SQLite gives the -wal
        // and -shm files the same permissions).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        migrations().to_latest(&mut writer_conn)?;
        let notifier = Arc::new(Notifier::default());
        let (tx, rx) = mpsc::channel();
        let n = notifier.clone();
        let writer_thread = std::thread::Builder::new()
            .name("bridge-store-writer".into())
            .spawn(move || writer_loop(writer_conn, rx, n))?;
        Ok(Store {
            inner: Arc::new(Inner {
                path,
                readers: Mutex::new(Vec::new()),
                reads: Arc::new(tokio::sync::Semaphore::new(MAX_READERS)),
                notifier,
                writer: Some(tx),
                writer_thread: Some(writer_thread),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on a pooled connection (on the calling thread).
    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let pooled = lock(&self.inner.readers).pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => open_connection(&self.inner.path)?,
        };
        let out = f(&mut conn);
        let mut pool = lock(&self.inner.readers);
        if pool.len() < MAX_READERS {
            pool.push(conn);
        }
        out
    }

    /// Runs `f` on a pooled connection on a blocking thread, at most [`MAX_READERS`] at once
    /// (the others wait their turn here, holding no thread and no connection).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let permit = self
            .inner
            .reads
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Closed)?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let out = this.with_conn(f);
            drop(permit);
            out
        })
        .await
        .map_err(|e| Error::Task(e.to_string()))?
    }

    /// Registers a webhook endpoint for `org`. Without `secret`, one is generated
    /// (`whsec_<base64>` for `standard`). The secret is returned once, for the provider.
    pub fn add_endpoint(
        &self,
        org: &str,
        scheme: Scheme,
        secret: Option<String>,
    ) -> Result<EndpointCreated> {
        check_org(org)?;
        let secret = check_secret(scheme, secret)?;
        let id = new_id("ep");
        self.with_conn(|c| {
            c.execute(
                "INSERT INTO endpoints (id, org, scheme, secret, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, org, scheme.as_str(), secret, now_rfc3339(Utc::now())],
            )?;
            Ok(())
        })?;
        Ok(EndpointCreated {
            path: hook_path(&id),
            endpoint_id: id,
            secret,
        })
    }

    /// Replaces an endpoint's secret; the old one keeps verifying for [`ROTATION_GRACE`] (24 h).
    pub fn rotate_endpoint(&self, id: &str, secret: Option<String>) -> Result<EndpointRotated> {
        self.rotate_endpoint_with_grace(id, secret, ROTATION_GRACE)
    }

    /// [`Store::rotate_endpoint`] with another grace period (zero ends the old secret at once).
    pub fn rotate_endpoint_with_grace(
        &self,
        id: &str,
        secret: Option<String>,
        grace: Duration,
    ) -> Result<EndpointRotated> {
        let grace = chrono::Duration::from_std(grace).map_err(|_| invalid("grace", "too long"))?;
        self.with_conn(|c| {
            let tx = c.transaction()?;
            let scheme: Option<String> = tx
                .query_row("SELECT scheme FROM endpoints WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            let scheme: Scheme = scheme
                .ok_or_else(|| Error::NotFound {
                    kind: "endpoint",
                    id: id.to_owned(),
                })?
                .parse()
                .map_err(|e: crate::schemes::UnknownScheme| Error::Write(e.to_string()))?;
            let secret = check_secret(scheme, secret)?;
            let now = Utc::now();
            let until = now + grace;
            tx.execute(
                "UPDATE endpoints SET previous_secret = secret, previous_expires_at = ?2,
                     secret = ?3, rotated_at = ?4 WHERE id = ?1",
                params![id, until.timestamp_millis(), secret, now_rfc3339(now)],
            )?;
            tx.commit()?;
            Ok(EndpointRotated {
                endpoint_id: id.to_owned(),
                secret,
                path: hook_path(id),
                previous_valid_until: now_rfc3339(until),
            })
        })
    }

    /// All endpoints (of `org`, when given), without secrets.
    pub fn list_endpoints(&self, org: Option<&str>) -> Result<Vec<EndpointInfo>> {
        let now = Utc::now().timestamp_millis();
        self.with_conn(|c| {
            let mut stmt = c.prepare(
                "SELECT id, org, scheme, created_at, rotated_at, previous_expires_at
                 FROM endpoints WHERE (?1 IS NULL OR org = ?1) ORDER BY created_at, id",
            )?;
            let rows = stmt.query_map([org], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, org, scheme, created_at, rotated_at, prev) = row?;
                let scheme = scheme
                    .parse()
                    .map_err(|e: crate::schemes::UnknownScheme| Error::Write(e.to_string()))?;
                out.push(EndpointInfo {
                    path: hook_path(&id),
                    endpoint_id: id,
                    org,
                    scheme,
                    created_at,
                    rotated_at,
                    previous_valid_until: prev
                        .filter(|p| *p > now)
                        .and_then(DateTime::from_timestamp_millis)
                        .map(now_rfc3339),
                });
            }
            Ok(out)
        })
    }

    /// Removes an endpoint; its deliveries get 404 from then on. Stored events stay.
    pub fn remove_endpoint(&self, id: &str) -> Result<()> {
        let n = self.with_conn(|c| Ok(c.execute("DELETE FROM endpoints WHERE id = ?1", [id])?))?;
        if n == 0 {
            return Err(Error::NotFound {
                kind: "endpoint",
                id: id.to_owned(),
            });
        }
        Ok(())
    }

    /// Registers a device of `org` and returns its bearer token (stored only as a SHA-256 hash).
    pub fn add_device(&self, org: &str, name: &str) -> Result<DeviceCreated> {
        check_org(org)?;
        check_device_name(name)?;
        let id = new_id("dev");
        let token = format!("ldb_{}", B64URL.encode(random_bytes(32)));
        self.with_conn(|c| {
            c.execute(
                "INSERT INTO devices (id, org, name, token_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, org, name, token_hash(&token), now_rfc3339(Utc::now())],
            )?;
            Ok(())
        })?;
        Ok(DeviceCreated {
            device_id: id,
            token,
        })
    }

    /// All devices (of `org`, when given), without tokens.
    pub fn list_devices(&self, org: Option<&str>) -> Result<Vec<DeviceInfo>> {
        self.with_conn(|c| {
            let mut stmt = c.prepare(
                "SELECT id, org, name, created_at, revoked_at FROM devices
                 WHERE (?1 IS NULL OR org = ?1) ORDER BY created_at, id",
            )?;
            let rows = stmt.query_map([org], |r| {
                Ok(DeviceInfo {
                    device_id: r.get(0)?,
                    org: r.get(1)?,
                    name: r.get(2)?,
                    created_at: r.get(3)?,
                    revoked_at: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Revokes a device: its token gets 401 from the next request on. Revoking twice is fine.
    pub fn revoke_device(&self, id: &str) -> Result<()> {
        let n = self.with_conn(|c| {
            Ok(c.execute(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
                params![id, now_rfc3339(Utc::now())],
            )?)
        })?;
        if n == 0 {
            return Err(Error::NotFound {
                kind: "device",
                id: id.to_owned(),
            });
        }
        Ok(())
    }
}

impl EventStore for Store {
    fn endpoint(&self, id: &str) -> BoxFuture<'_, Result<Option<EndpointAuth>>> {
        let id = id.to_owned();
        Box::pin(self.blocking(move |c| {
            let row = c
                .prepare_cached(
                    "SELECT org, scheme, secret, previous_secret, previous_expires_at
                     FROM endpoints WHERE id = ?1",
                )?
                .query_row([&id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                    ))
                })
                .optional()?;
            let Some((org, scheme, secret, previous, expires)) = row else {
                return Ok(None);
            };
            Ok(EndpointAuth::from_row(
                id, org, &scheme, secret, previous, expires,
            ))
        }))
    }

    fn device_for_token(&self, token: &str) -> BoxFuture<'_, Result<Option<DeviceAuth>>> {
        let hash = token_hash(token);
        Box::pin(self.blocking(move |c| {
            Ok(c.prepare_cached(
                "SELECT id, org FROM devices WHERE token_hash = ?1 AND revoked_at IS NULL",
            )?
            .query_row([hash], |r| {
                Ok(DeviceAuth {
                    id: r.get(0)?,
                    org: r.get(1)?,
                })
            })
            .optional()?)
        }))
    }

    fn active_devices(&self, ids: Vec<String>) -> BoxFuture<'_, Result<HashSet<String>>> {
        Box::pin(self.blocking(move |c| {
            let mut active = HashSet::new();
            for chunk in ids.chunks(ACTIVE_DEVICES_CHUNK) {
                let marks = vec!["?"; chunk.len()].join(",");
                let mut stmt = c.prepare(&format!(
                    "SELECT id FROM devices WHERE revoked_at IS NULL AND id IN ({marks})"
                ))?;
                let rows = stmt.query_map(params_from_iter(chunk), |r| r.get::<_, String>(0))?;
                for id in rows {
                    active.insert(id?);
                }
            }
            Ok(active)
        }))
    }

    fn insert_event(&self, event: NewEvent) -> BoxFuture<'_, Result<Inserted>> {
        Box::pin(async move {
            let (reply, rx) = oneshot::channel();
            self.inner
                .writer
                .as_ref()
                .ok_or(Error::Closed)?
                .send(WriteReq { event, reply })
                .map_err(|_| Error::Closed)?;
            rx.await.map_err(|_| Error::Closed)?
        })
    }

    fn events_after(&self, q: FeedQuery) -> BoxFuture<'_, Result<Vec<StoredEvent>>> {
        Box::pin(self.blocking(move |c| {
            let mut sql = String::from(
                "SELECT org_seq, event_id, org, source, type, occurred_at, received_at,
                        resource_id, data FROM events WHERE org = ? AND org_seq > ?",
            );
            let mut args: Vec<rusqlite::types::Value> = vec![q.org.into(), q.after.into()];
            if let Some(types) = q.types {
                sql.push_str(" AND type IN (");
                for (i, t) in types.into_iter().enumerate() {
                    sql.push_str(if i == 0 { "?" } else { ",?" });
                    args.push(t.into());
                }
                sql.push(')');
            }
            sql.push_str(" ORDER BY org_seq LIMIT ?");
            args.push(i64::from(q.limit).into());
            let mut stmt = c.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(args))?;
            let mut page = Vec::new();
            let mut bytes = 0usize;
            while let Some(row) = rows.next()? {
                // Sized before it is copied out of SQLite: an event that would pass the cap
                // ends the page without being read into memory.
                let size = row_size(row)?;
                if !page.is_empty() && bytes.saturating_add(size) > q.max_bytes {
                    break;
                }
                bytes = bytes.saturating_add(size);
                page.push(row_to_event(row)?);
            }
            Ok(page)
        }))
    }

    fn subscribe(&self, org: &str) -> watch::Receiver<i64> {
        self.inner.notifier.subscribe(org)
    }

    fn purge_received_before(&self, cutoff: DateTime<Utc>) -> BoxFuture<'_, Result<u64>> {
        let ms = cutoff.timestamp_millis();
        Box::pin(self.blocking(move |c| {
            // In chunks, so a large purge never holds the write lock for long: deliveries
            // keep being committed in between.
            let mut total = 0u64;
            loop {
                let n = c.execute(
                    "DELETE FROM events WHERE seq IN
                        (SELECT seq FROM events WHERE received_unix_ms < ?1 LIMIT ?2)",
                    params![ms, PURGE_CHUNK],
                )?;
                total += n as u64;
                if (n as i64) < PURGE_CHUNK {
                    return Ok(total);
                }
            }
        }))
    }

    fn forget_seen_ids(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64>> {
        let ms = now.timestamp_millis();
        Box::pin(self.blocking(move |c| {
            let mut total = 0u64;
            loop {
                let n = c.execute(
                    "DELETE FROM seen_events WHERE (org, source, event_id) IN
                        (SELECT org, source, event_id FROM seen_events
                         WHERE remember_until_ms < ?1 LIMIT ?2)",
                    params![ms, PURGE_CHUNK],
                )?;
                total += n as u64;
                if (n as i64) < PURGE_CHUNK {
                    return Ok(total);
                }
            }
        }))
    }

    fn latest_cursor(&self, org: &str) -> BoxFuture<'_, Result<i64>> {
        let org = org.to_owned();
        Box::pin(self.blocking(move |c| {
            Ok(c.prepare_cached(
                "SELECT COALESCE((SELECT last FROM org_cursors WHERE org = ?1), 0)",
            )?
            .query_row([org], |r| r.get(0))?)
        }))
    }

    fn ping(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.blocking(|c| {
            c.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        }))
    }

    fn kind(&self) -> &'static str {
        "sqlite"
    }
}
