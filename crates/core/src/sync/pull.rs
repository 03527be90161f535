//! Pulling one resource from CareLoop into the local cache.
//!
//! Pages are requested with `updated_since` (a full refresh starts at the epoch), so items come
//! ordered by `(updated_at, id)` and paging stays stable while the server changes: an item
//! changed during the pull moves to the end and is seen again. Seeing an id twice means the
//! items after it shifted back by one, so one may have been skipped: the cursor then goes back
//! to before the shift and another pass follows. The cursor stored with each page is one where a
//! pull could resume without losing anything (just before the page's last `updated_at`, since
//! several items may share it); after the last page it is the newest `updated_at` seen (the
//! server stamps every write with a strictly increasing time).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{Resource, SyncError, SyncOptions};
use crate::api::{ApiClient, ApiError, ListQuery};
use crate::store::blocking as db;
use crate::store::repo::{self, care, people, sync_state::Table, training};
use crate::Store;

/// A resource as it arrives in a list, and how to store it.
pub trait Pulled: DeserializeOwned + Send + 'static {
    fn id(&self) -> &str;
    fn updated_at(&self) -> DateTime<Utc>;
    fn store(&self, tx: &rusqlite::Transaction<'_>) -> crate::store::Result<()>;
}

macro_rules! pulled {
    ($t:ty, $upsert:path) => {
        impl Pulled for $t {
            fn id(&self) -> &str {
                &self.id
            }
            fn updated_at(&self) -> DateTime<Utc> {
                self.updated_at
            }
            fn store(&self, tx: &rusqlite::Transaction<'_>) -> crate::store::Result<()> {
                $upsert(tx, self)
            }
        }
    };
}

pulled!(people::Location, people::upsert_location);
pulled!(people::Staff, people::upsert_staff);
pulled!(people::Resident, people::upsert_resident);
pulled!(training::Course, training::upsert_course);
pulled!(training::Certification, training::upsert_certification);
pulled!(care::Visit, care::upsert_visit);
pulled!(care::Incident, care::upsert_incident);
pulled!(care::CareNote, care::upsert_care_note);

/// What a list item is: a live resource or a tombstone.
enum Item<T> {
    Live(T),
    Deleted {
        id: String,
        updated_at: DateTime<Utc>,
    },
}

#[derive(Deserialize)]
struct Tombstone {
    id: String,
    deleted_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
}

fn parse_item<T: Pulled>(v: serde_json::Value) -> Result<Item<T>, ApiError> {
    let head: Tombstone =
        serde_json::from_value(v.clone()).map_err(|e| ApiError::Decode(e.to_string()))?;
    if let Some(deleted_at) = head.deleted_at {
        return Ok(Item::Deleted {
            id: head.id,
            updated_at: head.updated_at.unwrap_or(deleted_at),
        });
    }
    serde_json::from_value(v)
        .map(Item::Live)
        .map_err(|e| ApiError::Decode(format!("a {} item: {e}", std::any::type_name::<T>())))
}

impl<T: Pulled> Item<T> {
    fn id(&self) -> &str {
        match self {
            Self::Live(t) => t.id(),
            Self::Deleted { id, .. } => id,
        }
    }
    fn updated_at(&self) -> DateTime<Utc> {
        match self {
            Self::Live(t) => t.updated_at(),
            Self::Deleted { updated_at, .. } => *updated_at,
        }
    }
}

/// Stores one item unless a local write is waiting for it or the local copy is newer.
fn apply<T: Pulled>(
    tx: &rusqlite::Transaction<'_>,
    table: Table,
    item: &Item<T>,
) -> crate::store::Result<()> {
    let id = item.id();
    if repo::outbox::has_unacknowledged_write(tx, table.entity(), id)? {
        return Ok(());
    }
    if repo::sync_state::local_updated_at(tx, table, id)?
        .is_some_and(|local| local > item.updated_at())
    {
        return Ok(());
    }
    match item {
        Item::Live(t) => t.store(tx),
        Item::Deleted { id, .. } => repo::sync_state::delete_row(tx, table, id).map(|_| ()),
    }
}

const EPOCH: &str = "1970-01-01T00:00:00.000Z";

/// How one pull went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    pub full: bool,
    pub requests: u32,
    pub items: u32,
    pub removed: u32,
    /// An incremental pull that found nothing after its cursor: it wrote nothing and showed no
    /// progress. [`pull`] then records its success; [`pull_quietly`] leaves that to the caller
    /// ([`record_successes`], for several resources in one transaction).
    pub nothing_new: bool,
}

/// Where a pull is reported.
pub trait ProgressSink: Send + Sync {
    fn progress(&self, resource: &str, done: u32, total: u32);
}

impl ProgressSink for () {
    fn progress(&self, _: &str, _: u32, _: u32) {}
}

/// Everything a pull needs.
pub struct PullCtx<'a> {
    pub store: &'a Arc<Store>,
    pub client: &'a ApiClient,
    pub options: &'a SyncOptions,
    pub progress: &'a dyn ProgressSink,
}

/// Pulls `resource`: incrementally from its cursor, or whole when there is no usable cursor,
/// when `force_full`, or when a windowed resource's window is due to move. Records its success.
pub async fn pull(
    ctx: &PullCtx<'_>,
    resource: Resource,
    force_full: bool,
) -> Result<PullReport, SyncError> {
    let report = pull_quietly(ctx, resource, force_full).await?;
    if report.nothing_new {
        record_successes(ctx.store, &[resource]).await?;
    }
    Ok(report)
}

/// A successful incremental pull of each of `resources` that found nothing new
/// ([`PullReport::nothing_new`]), recorded in one transaction.
pub async fn record_successes(store: &Arc<Store>, resources: &[Resource]) -> Result<(), SyncError> {
    if resources.is_empty() {
        return Ok(());
    }
    let names: Vec<&'static str> = resources.iter().map(|r| r.name()).collect();
    db(store, move |s| {
        s.write(|tx| {
            for name in &names {
                repo::sync_state::record_sync_success(tx, name, false)?;
            }
            Ok(())
        })
    })
    .await?;
    Ok(())
}

/// As [`pull`], except that an incremental pull that finds nothing new writes nothing at all,
/// not even its success ([`PullReport::nothing_new`]): the desk's idle cycle, once a minute,
/// then makes one small write for every resource together instead of one each.
pub async fn pull_quietly(
    ctx: &PullCtx<'_>,
    resource: Resource,
    force_full: bool,
) -> Result<PullReport, SyncError> {
    let name = resource.name();
    let state = db(ctx.store, move |s| {
        s.read(|c| repo::sync_state::get_sync_state(c, name))
    })
    .await?;
    let window_due = resource.windowed()
        && state
            .last_full_at
            .is_none_or(|at| Utc::now() - at >= ctx.options.window_refresh);
    let full = force_full || state.cursor.is_none() || state.last_full_at.is_none() || window_due;
    if full {
        db(ctx.store, move |s| {
            s.write(|tx| repo::sync_state::reset_sync_state(tx, name))
        })
        .await?;
        return run(ctx, resource, None).await;
    }
    match run(ctx, resource, state.cursor.clone()).await {
        // The server cannot use our cursor (malformed, too old): start again from scratch.
        Err(SyncError::Api(ApiError::Validation { fields, .. }))
            if fields.contains_key("updated_since") =>
        {
            tracing::warn!(
                resource = name,
                "the server refused the sync cursor; full refresh"
            );
            db(ctx.store, move |s| {
                s.write(|tx| repo::sync_state::reset_sync_state(tx, name))
            })
            .await?;
            run(ctx, resource, None).await
        }
        Err(SyncError::Api(ApiError::Rejected { status: 410, .. })) => {
            db(ctx.store, move |s| {
                s.write(|tx| repo::sync_state::reset_sync_state(tx, name))
            })
            .await?;
            run(ctx, resource, None).await
        }
        other => other,
    }
}

async fn run(
    ctx: &PullCtx<'_>,
    resource: Resource,
    cursor: Option<String>,
) -> Result<PullReport, SyncError> {
    match resource {
        Resource::Locations => run_typed::<people::Location>(ctx, resource, cursor).await,
        Resource::Staff => run_typed::<people::Staff>(ctx, resource, cursor).await,
        Resource::Courses => run_typed::<training::Course>(ctx, resource, cursor).await,
        Resource::Residents => run_typed::<people::Resident>(ctx, resource, cursor).await,
        Resource::Certifications => {
            run_typed::<training::Certification>(ctx, resource, cursor).await
        }
        Resource::Visits => run_typed::<care::Visit>(ctx, resource, cursor).await,
        Resource::Incidents => run_typed::<care::Incident>(ctx, resource, cursor).await,
    }
}

/// The list filters of a full refresh (the window of a windowed resource).
fn window(resource: Resource, options: &SyncOptions, now: DateTime<Utc>) -> Vec<(String, String)> {
    match resource {
        Resource::Visits => vec![
            ("from".into(), repo::ts(&(now - options.visits_back))),
            ("to".into(), repo::ts(&(now + options.visits_ahead))),
        ],
        Resource::Incidents => vec![("from".into(), repo::ts(&(now - options.incidents_back)))],
        _ => Vec::new(),
    }
}

/// At most this many passes when the server keeps changing under a pull.
const MAX_PASSES: u32 = 5;

async fn run_typed<T: Pulled>(
    ctx: &PullCtx<'_>,
    resource: Resource,
    cursor: Option<String>,
) -> Result<PullReport, SyncError> {
    let full = cursor.is_none();
    let table = resource.table();
    let name = resource.name();
    let filters = if full {
        window(resource, ctx.options, Utc::now())
    } else {
        Vec::new()
    };
    let page_size = ctx.options.page_size.clamp(1, crate::api::MAX_PAGE_SIZE);
    let mut report = PullReport {
        full,
        ..PullReport::default()
    };
    let mut since = cursor.unwrap_or_else(|| EPOCH.to_owned());
    let mut seen: HashSet<String> = HashSet::new();
    let mut total: Option<u32> = None;
    let mut newest: Option<DateTime<Utc>> = None;
    for pass in 1..=MAX_PASSES {
        // id -> the resume cursor stored after the page where it was first seen in this pass
        let mut first_seen: HashMap<String, String> = HashMap::new();
        let mut rollback: Option<String> = None;
        let mut page = 1u32;
        loop {
            let query = ListQuery {
                page,
                page_size,
                updated_since: Some(since.clone()),
                include_deleted: true,
                filters: filters.clone(),
            };
            let answer = ctx.client.list(resource.path(), &query).await?;
            report.requests += 1;
            let meta = answer.body.meta;
            let count = answer.body.data.len();
            let items = answer
                .body
                .data
                .into_iter()
                .map(parse_item::<T>)
                .collect::<Result<Vec<_>, _>>()?;
            let offset = u64::from(page - 1) * u64::from(page_size);
            let last = count < page_size as usize || offset + count as u64 >= meta.total;
            for item in &items {
                newest = newest.max(Some(item.updated_at()));
            }
            let resume = match items.last() {
                Some(i) => repo::ts(&(i.updated_at() - TimeDelta::milliseconds(1))),
                None => since.clone(),
            };
            for item in &items {
                let id = item.id();
                if let Some(back) = first_seen.get(id) {
                    // Seen twice in one pass: the items after it shifted (see module docs).
                    if rollback.as_ref().is_none_or(|r| back < r) {
                        rollback = Some(back.clone());
                    }
                } else {
                    first_seen.insert(id.to_owned(), resume.clone());
                }
                seen.insert(id.to_owned());
            }
            let next_cursor = match (&rollback, last) {
                (Some(back), _) => back.clone(),
                (None, true) => newest
                    .map(|t| repo::ts(&t))
                    .unwrap_or_else(|| since.clone()),
                (None, false) => resume.clone(),
            };
            let sweep = last && rollback.is_none() && full;
            let seen_now = if sweep { Some(seen.clone()) } else { None };
            let finished = last && rollback.is_none();
            if !full && pass == 1 && page == 1 && count == 0 && finished {
                // Nothing after the cursor: it stays as it is, and there is nothing to store or
                // to show.
                report.nothing_new = true;
                return Ok(report);
            }
            let cursor_to_save = next_cursor.clone();
            let removed = db(ctx.store, move |s| {
                s.write(|tx| {
                    for item in &items {
                        apply(tx, table, item)?;
                    }
                    repo::sync_state::set_sync_cursor(tx, name, Some(&cursor_to_save))?;
                    let removed = match &seen_now {
                        Some(seen) => repo::sync_state::sweep(tx, table, None, seen)?,
                        None => 0,
                    };
                    if finished {
                        repo::sync_state::record_sync_success(tx, name, full)?;
                    }
                    Ok(removed)
                })
            })
            .await?;
            report.items += count as u32;
            report.removed += removed as u32;
            let total = *total.get_or_insert(u32::try_from(meta.total).unwrap_or(u32::MAX));
            ctx.progress.progress(
                name,
                report.items.min(total.max(report.items)),
                total.max(report.items),
            );
            if last {
                if let Some(back) = rollback {
                    tracing::info!(
                        resource = name,
                        pass,
                        "the server changed during the pull; another pass"
                    );
                    since = back;
                    break;
                }
                return Ok(report);
            }
            page += 1;
        }
    }
    // Still shifting after several passes: what is stored is consistent and the cursor is
    // safe; the next pull continues from it.
    let last_since = since;
    db(ctx.store, move |s| {
        s.write(|tx| {
            repo::sync_state::set_sync_cursor(tx, name, Some(&last_since))?;
            repo::sync_state::record_sync_success(tx, name, false)
        })
    })
    .await?;
    Ok(report)
}

/// Refreshes one resident's care notes (all of them: a timeline is short), removing local
/// notes the server no longer has.
pub async fn refresh_care_notes(
    ctx: &PullCtx<'_>,
    resident_id: &str,
) -> Result<PullReport, SyncError> {
    let path = format!("/v1/residents/{resident_id}/care-notes");
    let page_size = ctx.options.page_size.clamp(1, crate::api::MAX_PAGE_SIZE);
    let mut report = PullReport {
        full: true,
        ..PullReport::default()
    };
    let mut seen = HashSet::new();
    let mut page = 1u32;
    loop {
        let query = ListQuery {
            page,
            page_size,
            updated_since: Some(EPOCH.to_owned()),
            include_deleted: false,
            filters: Vec::new(),
        };
        let answer = ctx.client.list(&path, &query).await?;
        report.requests += 1;
        let meta = answer.body.meta;
        let count = answer.body.data.len();
        let items = answer
            .body
            .data
            .into_iter()
            .map(parse_item::<care::CareNote>)
            .collect::<Result<Vec<_>, _>>()?;
        seen.extend(items.iter().map(|i| i.id().to_owned()));
        let last = count < page_size as usize
            || u64::from(page - 1) * u64::from(page_size) + count as u64 >= meta.total;
        let sweep = last.then(|| seen.clone());
        let resident = resident_id.to_owned();
        let removed = db(ctx.store, move |s| {
            s.write(|tx| {
                for item in &items {
                    apply(tx, Table::CareNotes, item)?;
                }
                match &sweep {
                    Some(seen) => repo::sync_state::sweep(
                        tx,
                        Table::CareNotes,
                        Some(("resident_id", &resident)),
                        seen,
                    ),
                    None => Ok(0),
                }
            })
        })
        .await?;
        report.items += count as u32;
        report.removed += removed as u32;
        if last {
            return Ok(report);
        }
        page += 1;
    }
}
