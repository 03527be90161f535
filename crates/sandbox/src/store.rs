//! The sandbox's state: one `Db` behind a mutex, optionally mirrored into SQLite.
//!
//! Every collection keeps the ids it changed since the last flush; after each write the
//! changed rows are written to SQLite (one JSON row per resource) in one transaction, before
//! the lock is released and before any response is sent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;

use chrono::TimeDelta;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::*;

/// A collection of one resource type, keyed by id.
#[derive(Debug, Clone)]
pub struct Collection<T> {
    items: BTreeMap<String, T>,
    dirty: BTreeSet<String>,
}

impl<T> Default for Collection<T> {
    fn default() -> Self {
        Self {
            items: BTreeMap::new(),
            dirty: BTreeSet::new(),
        }
    }
}

impl<T: Resource> Collection<T> {
    /// Any item, deleted or not.
    pub fn get_any(&self, id: &str) -> Option<&T> {
        self.items.get(id)
    }

    /// A live (not deleted) item.
    pub fn get(&self, id: &str) -> Option<&T> {
        self.items.get(id).filter(|t| t.deleted_at().is_none())
    }

    pub fn contains_live(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    pub fn insert(&mut self, item: T) {
        self.dirty.insert(item.id().to_string());
        self.items.insert(item.id().to_string(), item);
    }

    /// Changes a live item in place (the caller sets `updated_at`).
    pub fn update<R>(&mut self, id: &str, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let item = self
            .items
            .get_mut(id)
            .filter(|t| t.deleted_at().is_none())?;
        self.dirty.insert(id.to_string());
        Some(f(item))
    }

    /// Every item, deleted ones included.
    pub fn all(&self) -> impl Iterator<Item = &T> {
        self.items.values()
    }

    pub fn live(&self) -> impl Iterator<Item = &T> {
        self.items.values().filter(|t| t.deleted_at().is_none())
    }

    pub fn len_live(&self) -> usize {
        self.live().count()
    }

    fn flush(&mut self, tx: &rusqlite::Transaction<'_>) -> Result<(), Error> {
        if self.dirty.is_empty() {
            return Ok(());
        }
        let mut stmt =
            tx.prepare_cached("INSERT OR REPLACE INTO rows (kind, id, json) VALUES (?1, ?2, ?3)")?;
        for id in &self.dirty {
            if let Some(item) = self.items.get(id) {
                stmt.execute(params![T::KIND, id, serde_json::to_string(item)?])?;
            }
        }
        Ok(())
    }

    fn clear_dirty(&mut self) {
        self.dirty.clear();
    }

    fn load(conn: &Connection) -> Result<Self, Error> {
        let mut stmt = conn.prepare("SELECT json FROM rows WHERE kind = ?1")?;
        let mut items = BTreeMap::new();
        let rows = stmt.query_map([T::KIND], |r| r.get::<_, String>(0))?;
        for row in rows {
            let item: T = serde_json::from_str(&row?)?;
            items.insert(item.id().to_string(), item);
        }
        Ok(Self {
            items,
            dirty: BTreeSet::new(),
        })
    }

    fn mark_all_dirty(&mut self) {
        self.dirty = self.items.keys().cloned().collect();
    }
}

/// An API key: the token is the secret, the id is what the audit log shows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApiKey {
    pub id: String,
    pub token: String,
    pub scopes: Vec<String>,
    /// Keys expire 365 days after this (sandbox clock), as documented.
    #[serde(default)]
    pub created_at: Option<Ts>,
}

/// How long a key is valid.
pub const KEY_LIFETIME_DAYS: i64 = 365;

impl ApiKey {
    pub fn expired(&self, now: Ts) -> bool {
        self.created_at
            .is_some_and(|c| now >= c + TimeDelta::days(KEY_LIFETIME_DAYS))
    }
}

/// A stored event and the exact body bytes sent for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventRecord {
    pub id: String,
    pub event: WebhookEvent,
    pub body: String,
    pub updated_at: Ts,
    #[serde(default)]
    pub deleted_at: Option<Ts>,
}

resource!(EventRecord, "event");

/// A completed request remembered for its `Idempotency-Key`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdemRecord {
    /// `key_id + " " + method + " " + path + " " + Idempotency-Key`.
    pub id: String,
    pub body_hash: String,
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub updated_at: Ts,
    #[serde(default)]
    pub deleted_at: Option<Ts>,
}

resource!(IdemRecord, "idempotency");

/// Scalars and small sets that are stored as one row.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Meta {
    pub org_id: String,
    pub keys: Vec<ApiKey>,
    /// Certifications for which cert.expiring / cert.expired has been emitted.
    pub expiring_sent: BTreeSet<String>,
    pub expired_sent: BTreeSet<String>,
    pub last_stamp: Option<Ts>,
}

/// The whole state.
#[derive(Debug, Clone, Default)]
pub struct Db {
    pub meta: Meta,
    meta_dirty: bool,
    /// Only `meta.last_stamp` changed: written as a row of its own, so that a request (every
    /// request stamps its audit entry) does not rewrite the keys and the sets of sent events.
    stamp_dirty: bool,
    pub locations: Collection<Location>,
    pub residents: Collection<Resident>,
    pub staff: Collection<Staff>,
    pub courses: Collection<Course>,
    pub certifications: Collection<Certification>,
    pub visits: Collection<Visit>,
    pub incidents: Collection<Incident>,
    pub care_notes: Collection<CareNote>,
    pub visitor_sign_ins: Collection<VisitorSignIn>,
    pub audit_log: Collection<AuditEntry>,
    pub deliveries: Collection<WebhookDelivery>,
    pub events: Collection<EventRecord>,
    pub idempotency: Collection<IdemRecord>,
}

/// Runs `$body` once for each collection of a [`Db`], with `$c` bound to it (`&mut`).
macro_rules! each_collection {
    ($db:expr, $c:ident => $body:expr) => {
        each_collection!(@each $db, $c => $body; locations residents staff courses certifications
            visits incidents care_notes visitor_sign_ins audit_log deliveries events idempotency)
    };
    (@each $db:expr, $c:ident => $body:expr; $($field:ident)*) => {{
        $({
            let $c = &mut $db.$field;
            $body
        })*
    }};
}

impl Db {
    /// A strictly increasing timestamp (ms precision) no earlier than `now`, so that
    /// `updated_since` cursors never skip a write made in the same millisecond.
    pub fn stamp(&mut self, now: Ts) -> Ts {
        let t = match self.meta.last_stamp {
            Some(last) if last >= now => last + TimeDelta::milliseconds(1),
            _ => now,
        };
        self.meta.last_stamp = Some(t);
        self.stamp_dirty = true;
        t
    }

    pub fn touch_meta(&mut self) {
        self.meta_dirty = true;
    }

    pub fn key_by_token(&self, token: &str) -> Option<&ApiKey> {
        use subtle_eq::ct_eq;
        self.meta
            .keys
            .iter()
            .find(|k| ct_eq(k.token.as_bytes(), token.as_bytes()))
    }

    fn flush(&mut self, conn: &mut Connection) -> Result<(), Error> {
        let tx = conn.transaction()?;
        if self.meta_dirty {
            tx.execute(
                "INSERT OR REPLACE INTO meta (name, json) VALUES ('meta', ?1)",
                [serde_json::to_string(&self.meta)?],
            )?;
        }
        if self.stamp_dirty {
            tx.execute(
                "INSERT OR REPLACE INTO meta (name, json) VALUES ('stamp', ?1)",
                [serde_json::to_string(&self.meta.last_stamp)?],
            )?;
        }
        each_collection!(self, c => c.flush(&tx)?);
        tx.commit()?;
        // Only now: if anything failed, the changes stay marked and go with the next write.
        self.meta_dirty = false;
        self.stamp_dirty = false;
        each_collection!(self, c => c.clear_dirty());
        Ok(())
    }

    fn load(conn: &Connection) -> Result<Option<Self>, Error> {
        let meta: Option<String> = conn
            .query_row("SELECT json FROM meta WHERE name = 'meta'", [], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(meta) = meta else { return Ok(None) };
        let mut meta: Meta = serde_json::from_str(&meta)?;
        // The latest stamp: its own row when a request stamped after the meta row was written.
        let stamp: Option<String> = conn
            .query_row("SELECT json FROM meta WHERE name = 'stamp'", [], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(stamp) = stamp {
            let stamp: Option<Ts> = serde_json::from_str(&stamp)?;
            meta.last_stamp = meta.last_stamp.max(stamp);
        }
        Ok(Some(Db {
            meta,
            meta_dirty: false,
            stamp_dirty: false,
            locations: Collection::load(conn)?,
            residents: Collection::load(conn)?,
            staff: Collection::load(conn)?,
            courses: Collection::load(conn)?,
            certifications: Collection::load(conn)?,
            visits: Collection::load(conn)?,
            incidents: Collection::load(conn)?,
            care_notes: Collection::load(conn)?,
            visitor_sign_ins: Collection::load(conn)?,
            audit_log: Collection::load(conn)?,
            deliveries: Collection::load(conn)?,
            events: Collection::load(conn)?,
            idempotency: Collection::load(conn)?,
        }))
    }

    fn mark_all_dirty(&mut self) {
        self.meta_dirty = true;
        self.stamp_dirty = true;
        each_collection!(self, c => c.mark_all_dirty());
    }
}

/// Constant-time comparison for API tokens.
mod subtle_eq {
    pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
        use hmac::digest::Digest;
        // Compare digests so that the comparison time does not depend on the token length.
        let da = sha2::Sha256::digest(a);
        let db = sha2::Sha256::digest(b);
        da.iter()
            .zip(db.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }
}

struct Inner {
    db: Db,
    conn: Option<Connection>,
}

/// The state behind one mutex; writes are persisted before the lock is released.
pub struct Store {
    inner: Mutex<Inner>,
}

impl Store {
    pub fn in_memory(db: Db) -> Self {
        Self {
            inner: Mutex::new(Inner { db, conn: None }),
        }
    }

    /// Opens (or creates) the SQLite file. Returns the stored state if there is one, else
    /// calls `fresh` and writes its result.
    pub fn open(path: &Path, fresh: impl FnOnce() -> Db) -> Result<(Self, bool), Error> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, json TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS rows (kind TEXT NOT NULL, id TEXT NOT NULL,
                 json TEXT NOT NULL, PRIMARY KEY (kind, id));",
        )?;
        let (db, loaded) = match Db::load(&conn)? {
            Some(db) => (db, true),
            None => {
                let mut db = fresh();
                db.mark_all_dirty();
                db.flush(&mut conn)?;
                (db, false)
            }
        };
        Ok((
            Self {
                inner: Mutex::new(Inner {
                    db,
                    conn: Some(conn),
                }),
            },
            loaded,
        ))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-written row in SQLite (the
        // transaction is rolled back), so the in-memory state is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn read<R>(&self, f: impl FnOnce(&Db) -> R) -> R {
        f(&self.lock().db)
    }

    /// Runs `f` and persists what it changed. If `f` fails, whatever it changed is still
    /// persisted (handlers validate before they change anything).
    pub fn write<R>(&self, f: impl FnOnce(&mut Db) -> R) -> Result<R, Error> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let r = f(&mut inner.db);
        if let Some(conn) = inner.conn.as_mut() {
            inner.db.flush(conn)?;
        }
        Ok(r)
    }

    /// Rewrites the keys (from the configuration) and persists them.
    pub fn set_keys(&self, keys: Vec<ApiKey>) -> Result<(), Error> {
        self.write(|db| {
            db.meta.keys = keys;
            db.meta_dirty = true;
        })
    }
}
