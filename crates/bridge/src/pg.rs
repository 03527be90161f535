//! [`PgStore`]: the [`EventStore`] on PostgreSQL, for several bridges (replicas) behind one
//! address sharing one database.
//!
//! * Writes: one writer task per bridge commits whatever deliveries have queued in one
//!   transaction (group commit, as on SQLite); each delivery is answered after that commit.
//! * Dedupe: `seen_events` has the primary key `(org, source, event_id)` and is written with
//!   `ON CONFLICT DO NOTHING`, so the same event delivered to two bridges at the same moment is
//!   stored once: the second insert waits for the first's transaction and then finds the id.
//! * Cursors: per organisation, from `org_cursors.last`, which the insert transaction updates
//!   (and so locks) until its commit. Two bridges' transactions for one organisation therefore
//!   commit in the order of their cursors, and a reader can never see cursor `n + 1` before `n`
//!   (see the README, "Cursors on PostgreSQL"). Locks are taken in one order (event ids, then
//!   organisations, each sorted), so two batches cannot deadlock.
//! * Wake-ups: the insert transaction sends `NOTIFY loopdesk_bridge_events, '<org>'`, delivered
//!   at commit to every bridge, each of which `LISTEN`s on a connection of its own and wakes its
//!   long-polls of that organisation. When that connection is lost, every waiting long-poll is
//!   woken (it reads the feed again) when the loss is seen, at every reconnection attempt, and
//!   once more after `LISTEN` is in place again: a missed notification costs a re-read, never a
//!   wait until `wait` ends.
//! * Unavailability: an error reaching the database is [`Error::Unavailable`] (answered 503);
//!   the pool makes new connections as soon as the database answers again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot, watch, Semaphore};
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::AsyncMessage;
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::schemes::Scheme;
use crate::store::{
    check_device_name, check_org, check_secret, hook_path, new_id, now_rfc3339, random_bytes,
    token_hash, DeviceAuth, DeviceCreated, DeviceInfo, EndpointAuth, EndpointCreated, EndpointInfo,
    EndpointRotated, EventStore, FeedQuery, Inserted, NewEvent, Notifier, StoredEvent,
    EVENT_JSON_OVERHEAD, MAX_BATCH, MAX_READERS, PURGE_CHUNK, ROTATION_GRACE,
};

/// The channel every bridge `LISTEN`s on; the payload is the organisation.
const CHANNEL: &str = "loopdesk_bridge_events";
/// `application_name` of each bridge's `LISTEN` connection (the pooled ones are
/// `loopdesk-bridge`).
pub const LISTEN_APPLICATION_NAME: &str = "loopdesk-bridge-wake-ups";
/// The schema migrations, in order; the database's version is how many have been applied.
const MIGRATIONS: &[&str] = &[include_str!("../migrations/postgres/0001_init.sql")];
/// Advisory lock key serialising migrations of bridges starting at once ("loopdesk").
const SCHEMA_LOCK: i64 = 0x6c6f_6f70_6465_736b;
/// Connections in each bridge's pool: [`MAX_READERS`] reads at once, the writer, admin and
/// health checks. The `LISTEN` connection is one more.
const POOL_SIZE: usize = MAX_READERS + 4;
/// How long a connection attempt may take before the database counts as unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a request waits for a pooled connection before it is answered 503.
const POOL_WAIT: Duration = Duration::from_secs(10);
/// How often the `LISTEN` connection is checked when no notification comes (a connection that
/// died silently is found within about twice this).
const LISTEN_HEARTBEAT: Duration = Duration::from_secs(5);
/// Reconnection backoff of the `LISTEN` connection: from the first, doubling up to the second.
const RECONNECT_BACKOFF: (Duration, Duration) =
    (Duration::from_millis(50), Duration::from_millis(1000));
/// The longest one batch's transaction may take before its deliveries are answered 503 (a
/// database that stopped answering without closing the connection). A commit that did happen
/// makes the provider's retry a duplicate.
const WRITE_TIMEOUT: Duration = Duration::from_secs(20);
/// Attempts at a batch that failed on a deadlock or serialisation failure (should not happen:
/// locks are taken in one order) before its deliveries are answered with the error.
const WRITE_ATTEMPTS: usize = 5;

/// The error with its causes (the driver's own message often leaves out why, e.g. which TLS
/// check failed).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// Maps a driver error: failing to reach the database is [`Error::Unavailable`].
fn pg_error(e: tokio_postgres::Error) -> Error {
    match e.code() {
        Some(code) => {
            let c = code.code();
            if c.starts_with("08")
                || *code == SqlState::ADMIN_SHUTDOWN
                || *code == SqlState::CRASH_SHUTDOWN
                || *code == SqlState::CANNOT_CONNECT_NOW
                || *code == SqlState::TOO_MANY_CONNECTIONS
                || *code == SqlState::READ_ONLY_SQL_TRANSACTION
            {
                Error::Unavailable(e.to_string())
            } else {
                Error::Postgres(e.to_string())
            }
        }
        // No answer from the server: refused, reset, closed, timed out, TLS refused.
        None => Error::Unavailable(with_causes(&e)),
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        pg_error(e)
    }
}

impl From<PoolError> for Error {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Backend(e) => pg_error(e),
            PoolError::Closed => Error::Closed,
            other => Error::Unavailable(other.to_string()),
        }
    }
}

/// The TLS connector for `sslmode=require`: rustls (ring) with the system's trust store.
fn tls() -> Result<MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for e in &native.errors {
        tracing::debug!(error = %e, "a system certificate could not be loaded");
    }
    let (added, _ignored) = roots.add_parsable_certificates(native.certs);
    tracing::debug!(roots = added, "trust store for database TLS");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| crate::error::invalid("database TLS", e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Where a `postgres://` URL points, without its password (for logs).
pub fn describe_url(url: &str) -> String {
    match url.parse::<tokio_postgres::Config>() {
        Ok(c) => {
            let host = c
                .get_hosts()
                .first()
                .map(|h| match h {
                    tokio_postgres::config::Host::Tcp(h) => h.clone(),
                    tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .unwrap_or_default();
            let port = c.get_ports().first().copied().unwrap_or(5432);
            format!(
                "postgresql {host}:{port}/{}",
                c.get_dbname().unwrap_or_default()
            )
        }
        Err(_) => "postgresql (unparsable URL)".into(),
    }
}

struct WriteReq {
    event: NewEvent,
    reply: oneshot::Sender<Result<Inserted>>,
}

struct Inner {
    pool: Pool,
    notifier: Arc<Notifier>,
    /// One permit per store read running ([`MAX_READERS`]), so the writer always finds a
    /// connection.
    reads: Semaphore,
    writer: mpsc::UnboundedSender<WriteReq>,
    /// Stops the `LISTEN` task.
    stop: CancellationToken,
    target: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The writer finishes what is queued once the channel closes (all senders gone).
        self.stop.cancel();
    }
}

/// The PostgreSQL store. Cheap to clone; clones share the pool, the writer and the `LISTEN`
/// connection. Made with [`PgStore::connect`], inside a Tokio runtime, which its tasks use.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.inner.target)
            .finish()
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/dbname`, or the key=value form),
    /// brings the schema up to date (refusing a schema newer than this binary's, unmodified),
    /// and starts the writer and the `LISTEN` task. Fails if the database cannot be reached now.
    pub async fn connect(url: &str) -> Result<Self> {
        let mut config: tokio_postgres::Config =
            url.parse()
                .map_err(|e: tokio_postgres::Error| Error::Invalid {
                    field: "database URL",
                    reason: e.to_string(),
                })?;
        config
            .application_name("loopdesk-bridge")
            .connect_timeout(CONNECT_TIMEOUT)
            // A connection to a database that vanished without closing it (a network cut) is
            // found dead within about 10 + 3 × 5 s.
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(5))
            .keepalives_retries(3);
        // TLS only when asked for (`sslmode=require`), and then verified: the server's
        // certificate must chain to the system's trust store and name the host. The default
        // (`prefer`) connects without TLS rather than trust any certificate.
        if config.get_ssl_mode() != SslMode::Require {
            config.ssl_mode(SslMode::Disable);
        }
        let tls = tls()?;
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        {
            let mut client = pool.get().await?;
            migrate(&mut client).await?;
            let row = client.query_one("SHOW synchronous_commit", &[]).await?;
            let sync: String = row.get(0);
            if sync == "off" {
                tracing::warn!(
                    "the database has synchronous_commit=off: an acknowledged webhook may be \
                     lost if PostgreSQL crashes"
                );
            }
        }
        let notifier = Arc::new(Notifier::default());
        let stop = CancellationToken::new();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer_loop(pool.clone(), rx, notifier.clone()));
        // Named apart, so an operator (or a test) can tell it from the pooled connections.
        config.application_name(LISTEN_APPLICATION_NAME);
        tokio::spawn(listen_loop(config, tls, notifier.clone(), stop.clone()));
        Ok(PgStore {
            inner: Arc::new(Inner {
                pool,
                notifier,
                reads: Semaphore::new(MAX_READERS),
                writer: tx,
                stop,
                target: describe_url(url),
            }),
        })
    }

    /// Where the store is (host, port, database; no password).
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    async fn client(&self) -> Result<deadpool_postgres::Client> {
        Ok(self.inner.pool.get().await?)
    }

    /// A pooled connection for a read, at most [`MAX_READERS`] at once.
    async fn reader(
        &self,
    ) -> Result<(tokio::sync::SemaphorePermit<'_>, deadpool_postgres::Client)> {
        let permit = self
            .inner
            .reads
            .acquire()
            .await
            .map_err(|_| Error::Closed)?;
        Ok((permit, self.client().await?))
    }

    /// Registers a webhook endpoint for `org`, as [`crate::Store::add_endpoint`].
    pub async fn add_endpoint(
        &self,
        org: &str,
        scheme: Scheme,
        secret: Option<String>,
    ) -> Result<EndpointCreated> {
        check_org(org)?;
        let secret = check_secret(scheme, secret)?;
        let id = new_id("ep");
        self.client()
            .await?
            .execute(
                "INSERT INTO endpoints (id, org, scheme, secret, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &id,
                    &org,
                    &scheme.as_str(),
                    &secret,
                    &now_rfc3339(Utc::now()),
                ],
            )
            .await?;
        Ok(EndpointCreated {
            path: hook_path(&id),
            endpoint_id: id,
            secret,
        })
    }

    /// Replaces an endpoint's secret; the old one keeps verifying for [`ROTATION_GRACE`].
    pub async fn rotate_endpoint(
        &self,
        id: &str,
        secret: Option<String>,
    ) -> Result<EndpointRotated> {
        self.rotate_endpoint_with_grace(id, secret, ROTATION_GRACE)
            .await
    }

    /// [`PgStore::rotate_endpoint`] with another grace period.
    pub async fn rotate_endpoint_with_grace(
        &self,
        id: &str,
        secret: Option<String>,
        grace: Duration,
    ) -> Result<EndpointRotated> {
        let grace = chrono::Duration::from_std(grace)
            .map_err(|_| crate::error::invalid("grace", "too long"))?;
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let scheme: String = tx
            .query_opt(
                "SELECT scheme FROM endpoints WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "endpoint",
                id: id.to_owned(),
            })?
            .get(0);
        let scheme: Scheme = scheme
            .parse()
            .map_err(|e: crate::schemes::UnknownScheme| Error::Write(e.to_string()))?;
        let secret = check_secret(scheme, secret)?;
        let now = Utc::now();
        let until = now + grace;
        tx.execute(
            "UPDATE endpoints SET previous_secret = secret, previous_expires_at = $2,
                 secret = $3, rotated_at = $4 WHERE id = $1",
            &[&id, &until.timestamp_millis(), &secret, &now_rfc3339(now)],
        )
        .await?;
        tx.commit().await?;
        Ok(EndpointRotated {
            endpoint_id: id.to_owned(),
            secret,
            path: hook_path(id),
            previous_valid_until: now_rfc3339(until),
        })
    }

    /// All endpoints (of `org`, when given), without secrets.
    pub async fn list_endpoints(&self, org: Option<&str>) -> Result<Vec<EndpointInfo>> {
        let now = Utc::now().timestamp_millis();
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, org, scheme, created_at, rotated_at, previous_expires_at
                 FROM endpoints WHERE ($1::text IS NULL OR org = $1) ORDER BY created_at, id",
                &[&org],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.get(0);
            let scheme: String = r.get(2);
            let prev: Option<i64> = r.get(5);
            out.push(EndpointInfo {
                path: hook_path(&id),
                endpoint_id: id,
                org: r.get(1),
                scheme: scheme
                    .parse()
                    .map_err(|e: crate::schemes::UnknownScheme| Error::Write(e.to_string()))?,
                created_at: r.get(3),
                rotated_at: r.get(4),
                previous_valid_until: prev
                    .filter(|p| *p > now)
                    .and_then(DateTime::from_timestamp_millis)
                    .map(now_rfc3339),
            });
        }
        Ok(out)
    }

    /// Removes an endpoint; its deliveries get 404 from then on. Stored events stay.
    pub async fn remove_endpoint(&self, id: &str) -> Result<()> {
        let n = self
            .client()
            .await?
            .execute("DELETE FROM endpoints WHERE id = $1", &[&id])
            .await?;
        if n == 0 {
            return Err(Error::NotFound {
                kind: "endpoint",
                id: id.to_owned(),
            });
        }
        Ok(())
    }

    /// Registers a device of `org` and returns its bearer token (stored only as a SHA-256).
    pub async fn add_device(&self, org: &str, name: &str) -> Result<DeviceCreated> {
        check_org(org)?;
        check_device_name(name)?;
        let id = new_id("dev");
        let token = format!(
            "ldb_{}",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                random_bytes(32)
            )
        );
        self.client()
            .await?
            .execute(
                "INSERT INTO devices (id, org, name, token_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &id,
                    &org,
                    &name,
                    &token_hash(&token),
                    &now_rfc3339(Utc::now()),
                ],
            )
            .await?;
        Ok(DeviceCreated {
            device_id: id,
            token,
        })
    }

    /// All devices (of `org`, when given), without tokens.
    pub async fn list_devices(&self, org: Option<&str>) -> Result<Vec<DeviceInfo>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, org, name, created_at, revoked_at FROM devices
                 WHERE ($1::text IS NULL OR org = $1) ORDER BY created_at, id",
                &[&org],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| DeviceInfo {
                device_id: r.get(0),
                org: r.get(1),
                name: r.get(2),
                created_at: r.get(3),
                revoked_at: r.get(4),
            })
            .collect())
    }

    /// Revokes a device: its token gets 401 from the next request on. Revoking twice is fine.
    pub async fn revoke_device(&self, id: &str) -> Result<()> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
                &[&id, &now_rfc3339(Utc::now())],
            )
            .await?;
        if n == 0 {
            return Err(Error::NotFound {
                kind: "device",
                id: id.to_owned(),
            });
        }
        Ok(())
    }
}

/// Applies the migrations this database lacks, in one transaction, under an advisory lock (two
/// bridges starting at once migrate one after the other). A schema newer than this binary's is
/// refused and left as it is.
async fn migrate(client: &mut deadpool_postgres::Client) -> Result<()> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS bridge_schema (
             id      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
             version INTEGER NOT NULL
         )",
    )
    .await?;
    let version: i32 = tx
        .query_opt("SELECT version FROM bridge_schema", &[])
        .await?
        .map_or(0, |r| r.get(0));
    let known = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
    if version > known {
        return Err(Error::Schema(format!(
            "the database's schema is version {version}, newer than this bridge's ({known}); \
             use a newer bridge"
        )));
    }
    for sql in MIGRATIONS
        .iter()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        tx.batch_execute(sql).await?;
    }
    if version < known {
        tx.execute(
            "INSERT INTO bridge_schema (id, version) VALUES (TRUE, $1)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            &[&known],
        )
        .await?;
        tracing::info!(from = version, to = known, "database schema migrated");
    }
    tx.commit().await?;
    Ok(())
}

/// PostgreSQL's `text` cannot hold NUL; such an event is refused before it joins a batch (it
/// would fail the batch's transaction for everyone in it).
fn has_nul(e: &NewEvent) -> bool {
    [
        &e.org,
        &e.source,
        &e.id,
        &e.endpoint_id,
        &e.event_type,
        &e.data,
    ]
    .iter()
    .any(|s| s.contains('\0'))
        || [&e.occurred_at, &e.resource_id]
            .iter()
            .any(|s| s.as_deref().is_some_and(|s| s.contains('\0')))
}

type Key<'a> = (&'a str, &'a str, &'a str);

fn key(e: &NewEvent) -> Key<'_> {
    (e.org.as_str(), e.source.as_str(), e.id.as_str())
}

/// Writes one batch in one transaction; returns each request's outcome, in order.
async fn write_batch(
    client: &mut deadpool_postgres::Client,
    batch: &[WriteReq],
) -> Result<(Vec<Inserted>, Vec<String>), tokio_postgres::Error> {
    let now = Utc::now();
    let received_at = now_rfc3339(now);
    let received_ms = now.timestamp_millis();
    let mut out = vec![Inserted::Duplicate; batch.len()];
    // The first request of each event id in the batch; later ones are duplicates of it.
    let mut first: HashMap<Key<'_>, usize> = HashMap::new();
    for (i, req) in batch.iter().enumerate() {
        first.entry(key(&req.event)).or_insert(i);
    }
    // Locks in one order for every bridge: event ids sorted, then organisations sorted.
    let mut candidates: Vec<(Key<'_>, usize)> = first.into_iter().collect();
    candidates.sort_unstable();
    let tx = client.transaction().await?;

    let remember = tx
        .prepare_cached(
            "INSERT INTO seen_events (org, source, event_id, first_seen_ms, remember_until_ms)
             SELECT o, s, i, $4, r
             FROM unnest($1::text[], $2::text[], $3::text[], $5::int8[])
                  WITH ORDINALITY AS u(o, s, i, r, n)
             ORDER BY n
             ON CONFLICT (org, source, event_id) DO NOTHING
             RETURNING org, source, event_id",
        )
        .await?;
    let orgs: Vec<&str> = candidates.iter().map(|((o, _, _), _)| *o).collect();
    let sources: Vec<&str> = candidates.iter().map(|((_, s, _), _)| *s).collect();
    let ids: Vec<&str> = candidates.iter().map(|((_, _, i), _)| *i).collect();
    let until: Vec<Option<i64>> = candidates
        .iter()
        .map(|(_, i)| batch[*i].event.remember_until.map(|t| t.timestamp_millis()))
        .collect();
    let fresh_rows = tx
        .query(&remember, &[&orgs, &sources, &ids, &received_ms, &until])
        .await?;
    let fresh: HashSet<(String, String, String)> = fresh_rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    // The new events by organisation, in the order received.
    let mut by_org: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (k, i) in &candidates {
        if fresh.contains(&(k.0.to_owned(), k.1.to_owned(), k.2.to_owned())) {
            by_org.entry(k.0).or_default().push(*i);
        }
    }
    if by_org.is_empty() {
        tx.commit().await?;
        return Ok((out, Vec::new()));
    }
    for list in by_org.values_mut() {
        list.sort_unstable();
    }
    // Issue the cursors: the organisation's row stays locked until the commit.
    let issue = tx
        .prepare_cached(
            "INSERT INTO org_cursors (org, last)
             SELECT o, k FROM unnest($1::text[], $2::int8[]) WITH ORDINALITY AS u(o, k, n)
             ORDER BY n
             ON CONFLICT (org) DO UPDATE SET last = org_cursors.last + excluded.last
             RETURNING org, last",
        )
        .await?;
    let issue_orgs: Vec<&str> = by_org.keys().copied().collect();
    let counts: Vec<i64> = by_org.values().map(|v| v.len() as i64).collect();
    let issued = tx.query(&issue, &[&issue_orgs, &counts]).await?;
    let mut cursors: HashMap<usize, i64> = HashMap::new();
    for row in issued {
        let org: String = row.get(0);
        let last: i64 = row.get(1);
        if let Some(list) = by_org.get(org.as_str()) {
            let base = last - list.len() as i64;
            for (n, i) in list.iter().enumerate() {
                cursors.insert(*i, base + 1 + n as i64);
            }
        }
    }
    let insert = tx
        .prepare_cached(
            "INSERT INTO events (org, source, event_id, endpoint_id, type, occurred_at,
                 received_at, received_unix_ms, resource_id, data, org_seq)
             SELECT o, s, i, ep, t, oc, $7, $8, r, d, c
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $9::text[], $10::text[], $11::int8[])
                  AS u(o, s, i, ep, t, oc, r, d, c)
             ON CONFLICT (org, source, event_id) DO NOTHING
             RETURNING org_seq, org",
        )
        .await?;
    let mut rows: Vec<(usize, i64)> = cursors.into_iter().collect();
    rows.sort_unstable();
    let ev = |i: usize| &batch[i].event;
    let col =
        |f: fn(&NewEvent) -> &str| -> Vec<&str> { rows.iter().map(|(i, _)| f(ev(*i))).collect() };
    let opt = |f: fn(&NewEvent) -> Option<&str>| -> Vec<Option<&str>> {
        rows.iter().map(|(i, _)| f(ev(*i))).collect()
    };
    let seqs: Vec<i64> = rows.iter().map(|(_, c)| *c).collect();
    let stored = tx
        .query(
            &insert,
            &[
                &col(|e| e.org.as_str()),
                &col(|e| e.source.as_str()),
                &col(|e| e.id.as_str()),
                &col(|e| e.endpoint_id.as_str()),
                &col(|e| e.event_type.as_str()),
                &opt(|e| e.occurred_at.as_deref()),
                &received_at,
                &received_ms,
                &opt(|e| e.resource_id.as_deref()),
                &col(|e| e.data.as_str()),
                &seqs,
            ],
        )
        .await?;
    let stored: HashSet<(i64, String)> = stored.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut woken: Vec<String> = Vec::new();
    for (i, cursor) in &rows {
        let org = &batch[*i].event.org;
        if stored.contains(&(*cursor, org.clone())) {
            out[*i] = Inserted::Stored(*cursor);
            if !woken.contains(org) {
                woken.push(org.clone());
            }
        }
    }
    if !woken.is_empty() {
        // Delivered to every listening bridge when (and only if) this transaction commits.
        tx.execute(
            "SELECT pg_notify($1, o) FROM unnest($2::text[]) AS o",
            &[&CHANNEL, &woken],
        )
        .await?;
    }
    tx.commit().await?;
    Ok((out, woken))
}

fn is_retryable(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
    })
}

enum Failure {
    /// A deadlock or serialisation failure: the batch can be tried again.
    Retryable(tokio_postgres::Error),
    Other(Error),
}

/// One attempt at a batch, on a pooled connection, within [`WRITE_TIMEOUT`].
async fn write_once(
    pool: &Pool,
    batch: &[WriteReq],
) -> Result<(Vec<Inserted>, Vec<String>), Failure> {
    let mut client = pool.get().await.map_err(|e| Failure::Other(e.into()))?;
    let outcome = tokio::time::timeout(WRITE_TIMEOUT, write_batch(&mut client, batch)).await;
    match outcome {
        Err(_) => {
            // Cut off mid-transaction: never back into the pool.
            drop(deadpool_postgres::Client::take(client));
            Err(Failure::Other(Error::Unavailable(format!(
                "the batch's transaction took more than {WRITE_TIMEOUT:?}"
            ))))
        }
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) if is_retryable(&e) => Err(Failure::Retryable(e)),
        Ok(Err(e)) => Err(Failure::Other(e.into())),
    }
}

async fn writer_loop(
    pool: Pool,
    mut rx: mpsc::UnboundedReceiver<WriteReq>,
    notifier: Arc<Notifier>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let mut result = Err(Error::Unavailable("not attempted".into()));
        for attempt in 1..=WRITE_ATTEMPTS {
            result = match write_once(&pool, &batch).await {
                Ok(r) => Ok(r),
                Err(Failure::Retryable(e)) if attempt < WRITE_ATTEMPTS => {
                    tracing::warn!(error = %e, attempt, "event batch retried");
                    continue;
                }
                Err(Failure::Retryable(e)) => Err(e.into()),
                Err(Failure::Other(e)) => Err(e),
            };
            break;
        }
        match result {
            Ok((results, woken)) => {
                for org in &woken {
                    notifier.wake(org);
                }
                for (req, res) in batch.into_iter().zip(results) {
                    let _ = req.reply.send(Ok(res));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, events = batch.len(), "event batch write failed");
                for req in batch {
                    let err = match &e {
                        Error::Unavailable(m) => Error::Unavailable(m.clone()),
                        other => Error::Write(other.to_string()),
                    };
                    let _ = req.reply.send(Err(err));
                }
            }
        }
    }
}

/// Keeps a `LISTEN` connection and wakes this bridge's long-polls on other bridges' commits;
/// see the module documentation for what happens when it is lost.
async fn listen_loop(
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    notifier: Arc<Notifier>,
    stop: CancellationToken,
) {
    let mut backoff = RECONNECT_BACKOFF.0;
    loop {
        let outcome = tokio::select! {
            _ = stop.cancelled() => return,
            r = listen_once(&config, &tls, &notifier, &mut backoff) => r,
        };
        // Whatever was committed while not listening is read again.
        notifier.wake_all();
        match outcome {
            Ok(()) => tracing::warn!("the database connection for wake-ups ended; reconnecting"),
            Err(e) => {
                tracing::warn!(error = %e, "no database connection for wake-ups; reconnecting")
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(RECONNECT_BACKOFF.1);
    }
}

/// One `LISTEN` connection, until it fails. Resets `backoff` once it is listening.
async fn listen_once(
    config: &tokio_postgres::Config,
    tls: &MakeRustlsConnect,
    notifier: &Notifier,
    backoff: &mut Duration,
) -> std::result::Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(tls.clone()).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    // Drives the connection (the client's queries too) and passes notifications on; ends with
    // the connection.
    let driver = tokio::spawn(async move {
        loop {
            match futures::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    if tx.send(n.payload().to_owned()).is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "wake-up connection failed");
                    return;
                }
                None => return,
            }
        }
    });
    struct AbortOnDrop(tokio::task::JoinHandle<()>);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let _driver = AbortOnDrop(driver);
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    // Listening from here on: anything committed before is read again by every waiting poll.
    notifier.wake_all();
    *backoff = RECONNECT_BACKOFF.0;
    loop {
        tokio::select! {
            payload = rx.recv() => match payload {
                Some(org) => notifier.wake(&org),
                None => return Ok(()),
            },
            _ = tokio::time::sleep(LISTEN_HEARTBEAT) => {
                match tokio::time::timeout(LISTEN_HEARTBEAT, client.simple_query("SELECT 1")).await {
                    Ok(r) => { r?; }
                    Err(_) => {
                        tracing::warn!("the database connection for wake-ups stopped answering");
                        return Ok(());
                    }
                }
            }
        }
    }
}

impl EventStore for PgStore {
    fn endpoint(&self, id: &str) -> BoxFuture<'_, Result<Option<EndpointAuth>>> {
        let id = id.to_owned();
        Box::pin(async move {
            let (_permit, client) = self.reader().await?;
            let stmt = client
                .prepare_cached(
                    "SELECT org, scheme, secret, previous_secret, previous_expires_at
                     FROM endpoints WHERE id = $1",
                )
                .await?;
            let Some(row) = client.query_opt(&stmt, &[&id]).await? else {
                return Ok(None);
            };
            let scheme: String = row.get(1);
            Ok(EndpointAuth::from_row(
                id,
                row.get(0),
                &scheme,
                row.get(2),
                row.get(3),
                row.get(4),
            ))
        })
    }

    fn device_for_token(&self, token: &str) -> BoxFuture<'_, Result<Option<DeviceAuth>>> {
        let hash = token_hash(token);
        Box::pin(async move {
            let (_permit, client) = self.reader().await?;
            let stmt = client
                .prepare_cached(
                    "SELECT id, org FROM devices WHERE token_hash = $1 AND revoked_at IS NULL",
                )
                .await?;
            Ok(client
                .query_opt(&stmt, &[&hash])
                .await?
                .map(|r| DeviceAuth {
                    id: r.get(0),
                    org: r.get(1),
                }))
        })
    }

    fn active_devices(&self, ids: Vec<String>) -> BoxFuture<'_, Result<HashSet<String>>> {
        Box::pin(async move {
            let (_permit, client) = self.reader().await?;
            let stmt = client
                .prepare_cached(
                    "SELECT id FROM devices WHERE revoked_at IS NULL AND id = ANY($1::text[])",
                )
                .await?;
            Ok(client
                .query(&stmt, &[&ids])
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect())
        })
    }

    fn insert_event(&self, event: NewEvent) -> BoxFuture<'_, Result<Inserted>> {
        Box::pin(async move {
            if has_nul(&event) {
                return Err(Error::Write(
                    "the event holds a NUL character, which PostgreSQL text cannot store".into(),
                ));
            }
            let (reply, rx) = oneshot::channel();
            self.inner
                .writer
                .send(WriteReq { event, reply })
                .map_err(|_| Error::Closed)?;
            rx.await.map_err(|_| Error::Closed)?
        })
    }

    fn events_after(&self, q: FeedQuery) -> BoxFuture<'_, Result<Vec<StoredEvent>>> {
        Box::pin(async move {
            let (_permit, client) = self.reader().await?;
            // The page's size is added up in the database (octet_length does not even read a
            // stored body), and only the events that fit are sent: a page never holds more
            // than about max_bytes in memory, as on SQLite.
            let stmt = client
                .prepare_cached(
                    "SELECT org_seq, event_id, org, source, type, occurred_at, received_at,
                            resource_id, data
                     FROM (
                         SELECT p.*,
                                sum(size) OVER (ORDER BY org_seq) AS upto,
                                row_number() OVER (ORDER BY org_seq) AS n
                         FROM (
                             SELECT org_seq, event_id, org, source, type, occurred_at,
                                    received_at, resource_id, data,
                                    octet_length(data) + octet_length(event_id)
                                      + octet_length(org) + octet_length(source)
                                      + octet_length(type) + octet_length(received_at)
                                      + COALESCE(octet_length(occurred_at), 4)
                                      + COALESCE(octet_length(resource_id), 4)
                                      + $5::int8 AS size
                             FROM events
                             WHERE org = $1 AND org_seq > $2
                               AND ($3::text[] IS NULL OR type = ANY($3::text[]))
                             ORDER BY org_seq
                             LIMIT $4::int8
                         ) p
                     ) q
                     WHERE n = 1 OR upto <= $6::int8
                     ORDER BY org_seq",
                )
                .await?;
            let limit = i64::from(q.limit);
            let overhead = EVENT_JSON_OVERHEAD as i64;
            let max = i64::try_from(q.max_bytes).unwrap_or(i64::MAX);
            let rows = client
                .query(
                    &stmt,
                    &[&q.org, &q.after, &q.types, &limit, &overhead, &max],
                )
                .await?;
            Ok(rows
                .into_iter()
                .map(|r| StoredEvent {
                    cursor: r.get(0),
                    id: r.get(1),
                    org: r.get(2),
                    source: r.get(3),
                    event_type: r.get(4),
                    occurred_at: r.get(5),
                    received_at: r.get(6),
                    resource_id: r.get(7),
                    data: r.get(8),
                })
                .collect())
        })
    }

    fn subscribe(&self, org: &str) -> watch::Receiver<i64> {
        self.inner.notifier.subscribe(org)
    }

    fn purge_received_before(&self, cutoff: DateTime<Utc>) -> BoxFuture<'_, Result<u64>> {
        let ms = cutoff.timestamp_millis();
        Box::pin(async move {
            let client = self.client().await?;
            let mut total = 0u64;
            // In chunks: no long transaction, no long lock.
            loop {
                let n = client
                    .execute(
                        "DELETE FROM events WHERE ctid = ANY(ARRAY(
                             SELECT ctid FROM events WHERE received_unix_ms < $1 LIMIT $2))",
                        &[&ms, &PURGE_CHUNK],
                    )
                    .await?;
                total += n;
                if (n as i64) < PURGE_CHUNK {
                    return Ok(total);
                }
            }
        })
    }

    fn forget_seen_ids(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64>> {
        let ms = now.timestamp_millis();
        Box::pin(async move {
            let client = self.client().await?;
            let mut total = 0u64;
            loop {
                let n = client
                    .execute(
                        "DELETE FROM seen_events WHERE ctid = ANY(ARRAY(
                             SELECT ctid FROM seen_events WHERE remember_until_ms < $1
                             LIMIT $2))",
                        &[&ms, &PURGE_CHUNK],
                    )
                    .await?;
                total += n;
                if (n as i64) < PURGE_CHUNK {
                    return Ok(total);
                }
            }
        })
    }

    fn latest_cursor(&self, org: &str) -> BoxFuture<'_, Result<i64>> {
        let org = org.to_owned();
        Box::pin(async move {
            let (_permit, client) = self.reader().await?;
            let stmt = client
                .prepare_cached("SELECT COALESCE((SELECT last FROM org_cursors WHERE org = $1), 0)")
                .await?;
            Ok(client.query_one(&stmt, &[&org]).await?.get(0))
        })
    }

    fn ping(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.client().await?.simple_query("SELECT 1").await?;
            Ok(())
        })
    }

    fn kind(&self) -> &'static str {
        "postgresql"
    }
}
