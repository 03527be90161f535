//! Either store, chosen at start-up: [`Database`] says where, [`AnyStore`] is the opened store
//! with the admin functions (endpoints, devices) of both, for the CLI and tests.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tokio::sync::watch;

use crate::error::Result;
use crate::pg::PgStore;
use crate::schemes::Scheme;
use crate::store::{
    DeviceAuth, DeviceCreated, DeviceInfo, EndpointAuth, EndpointCreated, EndpointInfo,
    EndpointRotated, EventStore, FeedQuery, Inserted, NewEvent, Store, StoredEvent,
};

/// Where the bridge keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (one bridge on one machine).
    Sqlite(PathBuf),
    /// A PostgreSQL database, `postgres://user:password@host:port/dbname` (several bridges).
    Postgres(String),
}

impl Database {
    /// For logs: the file, or the PostgreSQL host, port and database (never the password).
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(p) => format!("sqlite {}", p.display()),
            Database::Postgres(url) => crate::pg::describe_url(url),
        }
    }
}

/// An opened store of either kind.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// SQLite.
    Sqlite(Store),
    /// PostgreSQL.
    Postgres(PgStore),
}

impl AnyStore {
    /// Opens (and migrates) the store at `db`. PostgreSQL needs a Tokio runtime.
    pub async fn open(db: &Database) -> Result<Self> {
        Ok(match db {
            Database::Sqlite(path) => AnyStore::Sqlite(Store::open(path)?),
            Database::Postgres(url) => AnyStore::Postgres(PgStore::connect(url).await?),
        })
    }

    /// The store for [`crate::serve`].
    pub fn event_store(&self) -> Arc<dyn EventStore> {
        match self {
            AnyStore::Sqlite(s) => Arc::new(s.clone()),
            AnyStore::Postgres(s) => Arc::new(s.clone()),
        }
    }

    /// See [`Store::add_endpoint`].
    pub async fn add_endpoint(
        &self,
        org: &str,
        scheme: Scheme,
        secret: Option<String>,
    ) -> Result<EndpointCreated> {
        match self {
            AnyStore::Sqlite(s) => s.add_endpoint(org, scheme, secret),
            AnyStore::Postgres(s) => s.add_endpoint(org, scheme, secret).await,
        }
    }

    /// See [`Store::rotate_endpoint`].
    pub async fn rotate_endpoint(
        &self,
        id: &str,
        secret: Option<String>,
    ) -> Result<EndpointRotated> {
        match self {
            AnyStore::Sqlite(s) => s.rotate_endpoint(id, secret),
            AnyStore::Postgres(s) => s.rotate_endpoint(id, secret).await,
        }
    }

    /// See [`Store::rotate_endpoint_with_grace`].
    pub async fn rotate_endpoint_with_grace(
        &self,
        id: &str,
        secret: Option<String>,
        grace: Duration,
    ) -> Result<EndpointRotated> {
        match self {
            AnyStore::Sqlite(s) => s.rotate_endpoint_with_grace(id, secret, grace),
            AnyStore::Postgres(s) => s.rotate_endpoint_with_grace(id, secret, grace).await,
        }
    }

    /// See [`Store::list_endpoints`].
    pub async fn list_endpoints(&self, org: Option<&str>) -> Result<Vec<EndpointInfo>> {
        match self {
            AnyStore::Sqlite(s) => s.list_endpoints(org),
            AnyStore::Postgres(s) => s.list_endpoints(org).await,
        }
    }

    /// See [`Store::remove_endpoint`].
    pub async fn remove_endpoint(&self, id: &str) -> Result<()> {
        match self {
            AnyStore::Sqlite(s) => s.remove_endpoint(id),
            AnyStore::Postgres(s) => s.remove_endpoint(id).await,
        }
    }

    /// See [`Store::add_device`].
    pub async fn add_device(&self, org: &str, name: &str) -> Result<DeviceCreated> {
        match self {
            AnyStore::Sqlite(s) => s.add_device(org, name),
            AnyStore::Postgres(s) => s.add_device(org, name).await,
        }
    }

    /// See [`Store::list_devices`].
    pub async fn list_devices(&self, org: Option<&str>) -> Result<Vec<DeviceInfo>> {
        match self {
            AnyStore::Sqlite(s) => s.list_devices(org),
            AnyStore::Postgres(s) => s.list_devices(org).await,
        }
    }

    /// See [`Store::revoke_device`].
    pub async fn revoke_device(&self, id: &str) -> Result<()> {
        match self {
            AnyStore::Sqlite(s) => s.revoke_device(id),
            AnyStore::Postgres(s) => s.revoke_device(id).await,
        }
    }

    fn inner(&self) -> &dyn EventStore {
        match self {
            AnyStore::Sqlite(s) => s,
            AnyStore::Postgres(s) => s,
        }
    }
}

impl EventStore for AnyStore {
    fn endpoint(&self, id: &str) -> BoxFuture<'_, Result<Option<EndpointAuth>>> {
        self.inner().endpoint(id)
    }
    fn device_for_token(&self, token: &str) -> BoxFuture<'_, Result<Option<DeviceAuth>>> {
        self.inner().device_for_token(token)
    }
    fn active_devices(&self, ids: Vec<String>) -> BoxFuture<'_, Result<HashSet<String>>> {
        self.inner().active_devices(ids)
    }
    fn insert_event(&self, event: NewEvent) -> BoxFuture<'_, Result<Inserted>> {
        self.inner().insert_event(event)
    }
    fn events_after(&self, query: FeedQuery) -> BoxFuture<'_, Result<Vec<StoredEvent>>> {
        self.inner().events_after(query)
    }
    fn subscribe(&self, org: &str) -> watch::Receiver<i64> {
        self.inner().subscribe(org)
    }
    fn purge_received_before(&self, cutoff: DateTime<Utc>) -> BoxFuture<'_, Result<u64>> {
        self.inner().purge_received_before(cutoff)
    }
    fn forget_seen_ids(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<u64>> {
        self.inner().forget_seen_ids(now)
    }
    fn latest_cursor(&self, org: &str) -> BoxFuture<'_, Result<i64>> {
        self.inner().latest_cursor(org)
    }
    fn ping(&self) -> BoxFuture<'_, Result<()>> {
        self.inner().ping()
    }
    fn kind(&self) -> &'static str {
        self.inner().kind()
    }
}
