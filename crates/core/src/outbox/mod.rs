//! Typed outbox operations: one type per kind of write this desk queues for CareLoop.
//!
//! An operation owns everything about its kind of write: its name in the outbox (`op`), the
//! cached table its rows live in, how its request is made, what a 2xx does (a create swaps the
//! temporary id for the server's), how a refused entry is corrected locally, and how it is
//! described to a person. The push ([`crate::sync::push`]), the "needs attention" list and the
//! facade's resubmit and discard all go through [`find`]; nothing else matches on names.
//!
//! Adding a kind of write is one new file in this folder and one line in [`operations!`] below.
//! Queuing an entry takes the operation's type ([`enqueue`], [`enqueue_create`]), and only a
//! registered type may be queued, so a kind that is not registered cannot compile:
//!
//! ```compile_fail
//! use loopdesk_core::outbox::{self, Operation, Request};
//! use loopdesk_core::store::repo::{outbox::OutboxEntry, sync_state::Table};
//!
//! struct NotRegistered;
//! impl Operation for NotRegistered {
//!     fn name(&self) -> &'static str { "thing.create" }
//!     fn table(&self) -> Table { Table::Visits }
//!     fn request(&self, _: &OutboxEntry) -> Result<Request, outbox::Refusal> { todo!() }
//!     fn describe(&self, _: &rusqlite::Connection, _: &OutboxEntry)
//!         -> loopdesk_core::store::Result<String> { todo!() }
//! }
//!
//! fn queue(tx: &rusqlite::Transaction<'_>) {
//!     outbox::enqueue(tx, &NotRegistered, "id", serde_json::json!({})).unwrap();
//! }
//! ```

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use reqwest::Method;
use rusqlite::{Connection, Transaction};
use serde_json::Value;

use crate::api::{ApiClient, ApiError, ListQuery};

use crate::ipc::{Code, CommandError};
use crate::store::repo::outbox::{self as queue, NewOutboxEntry, OutboxEntry};
use crate::store::repo::sync_state::Table;
use crate::store::Result as StoreResult;

/// Declares the operation files and registers their types: the one list of the kinds of write
/// this desk can queue.
macro_rules! operations {
    ($($file:ident :: $op:ident),+ $(,)?) => {
        $(
            pub mod $file;
            pub use $file::$op;
            impl sealed::Sealed for $op {}
            impl Registered for $op {}
        )+

        /// Every registered operation.
        pub const ALL: &[&dyn Operation] = &[$(&$op),+];
    };
}

operations! {
    care_note_create::CareNoteCreate,
    certification_create::CertificationCreate,
    incident_create::IncidentCreate,
    visit_create::VisitCreate,
    visit_update::VisitUpdate,
    visitor_sign_in_create::VisitorSignInCreate,
    visitor_sign_out::VisitorSignOut,
}

/// The operation stored under `name`, if this version of Loopdesk knows it.
pub fn find(name: &str) -> Option<&'static dyn Operation> {
    ALL.iter().copied().find(|op| op.name() == name)
}

/// The HTTP request that carries an entry to CareLoop (its `Idempotency-Key` is the entry's
/// client UUID).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    /// The path under the API's base, e.g. `/v1/visits`.
    pub path: String,
    pub body: Value,
}

impl Request {
    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Self {
            method: Method::POST,
            path: path.into(),
            body,
        }
    }

    pub fn patch(path: impl Into<String>, body: Value) -> Self {
        Self {
            method: Method::PATCH,
            path: path.into(),
            body,
        }
    }
}

/// Why an entry cannot be sent as it is: it needs a person's attention.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub message: String,
    /// Per-field codes, as the server's error envelope gives them.
    pub fields: Value,
}

/// What [`Operation::find_existing`] returns: the object as CareLoop has it, if it is there.
pub type Lookup<'a> = Pin<Box<dyn Future<Output = Result<Option<Value>, ApiError>> + Send + 'a>>;

/// One kind of write. See the module documentation.
pub trait Operation: Sync {
    /// The name stored in `outbox.op` (never change a released one: queued entries use it).
    fn name(&self) -> &'static str;

    /// The cached table whose row the write is about; its [`Table::entity`] is the entry's
    /// `entity`.
    fn table(&self) -> Table;

    /// A create: the row has a temporary (client) id until a 2xx gives the server's.
    fn creates(&self) -> bool {
        false
    }

    /// The request for `entry`, or why it cannot be sent.
    fn request(&self, entry: &OutboxEntry) -> Result<Request, Refusal>;

    /// After a 2xx, when no later write of the same row is waiting: stores the server's copy
    /// of the row (`answer`, the 2xx body). By default the answer is not stored.
    fn store_answer(&self, tx: &Transaction<'_>, answer: &Value) -> StoreResult<()> {
        let _ = (tx, answer);
        Ok(())
    }

    /// A person corrected a refused entry: checks `payload` as the form would, applies it to
    /// the local row, and returns the payload to queue. An `Err` changes nothing (the caller's
    /// transaction rolls back).
    fn fix(
        &self,
        tx: &Transaction<'_>,
        entry: &OutboxEntry,
        payload: Value,
    ) -> Result<Value, CommandError> {
        let _ = (tx, entry);
        Ok(payload)
    }

    /// The write in words, for the "needs attention" list.
    fn describe(&self, c: &Connection, entry: &OutboxEntry) -> StoreResult<String>;

    /// A request for `entry` may have reached CareLoop without a usable answer (lost, timed
    /// out, a 5xx, the desk killed mid-request), and CareLoop is not promised to honour
    /// `Idempotency-Key`: looks for what the write may have made, by the fields that identify
    /// it (each kind says which), and returns it as CareLoop has it, to be adopted instead of
    /// sending the write a second time. `None`: it was not made; send it.
    fn find_existing<'a>(&'a self, client: &'a ApiClient, entry: &'a OutboxEntry) -> Lookup<'a>;
}

/// Implemented for exactly the types listed in [`operations!`]: only those can be queued. It
/// cannot be implemented anywhere else (its supertrait is private to this module).
pub trait Registered: Operation + sealed::Sealed {}

mod sealed {
    pub trait Sealed {}
}

/// Queues a change of the existing row `entity_id` (in the caller's transaction, with the row).
pub fn enqueue<O: Registered>(
    tx: &Transaction<'_>,
    op: &O,
    entity_id: &str,
    payload: Value,
) -> StoreResult<OutboxEntry> {
    queue::enqueue(tx, &new_entry(op, entity_id, payload))
}

/// Queues the create of a row whose temporary id is `client_id` (also the entry's
/// `Idempotency-Key`).
pub fn enqueue_create<O: Registered>(
    tx: &Transaction<'_>,
    op: &O,
    client_id: &str,
    payload: Value,
) -> StoreResult<OutboxEntry> {
    debug_assert!(op.creates(), "{} is not a create", op.name());
    queue::enqueue_with_client_id(tx, &new_entry(op, client_id, payload), client_id)
}

fn new_entry<'a, O: Operation>(op: &O, entity_id: &'a str, payload: Value) -> NewOutboxEntry<'a> {
    NewOutboxEntry {
        op: op.name(),
        entity: op.table().entity(),
        entity_id,
        payload,
    }
}

/// The objects of the list at `path` (with `filters`) that `matches`, reading page after page
/// (in the order the endpoint lists them) until the list ends or `enough` says that what
/// follows cannot match.
pub(crate) async fn find_in_list(
    client: &ApiClient,
    path: &str,
    filters: Vec<(String, String)>,
    matches: impl Fn(&Value) -> bool,
    enough: impl Fn(&Value) -> bool,
) -> Result<Vec<Value>, ApiError> {
    let mut found = Vec::new();
    for page in 1.. {
        let query = ListQuery {
            page,
            page_size: crate::api::MAX_PAGE_SIZE,
            filters: filters.clone(),
            ..ListQuery::default()
        };
        let answer = client.list(path, &query).await?.body;
        found.extend(answer.data.iter().filter(|v| matches(v)).cloned());
        let seen = u64::from(page) * u64::from(crate::api::MAX_PAGE_SIZE);
        if answer.data.is_empty() || seen >= answer.meta.total || answer.data.iter().any(&enough) {
            break;
        }
    }
    Ok(found)
}

/// A time field of a JSON object.
pub(crate) fn time(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// "today at 10:00", "on Wed 1 Jan 2025 at 10:00": a time in a description, as of now in the
/// home's time zone.
pub(crate) fn time_words(c: &Connection, at: DateTime<Utc>) -> StoreResult<String> {
    let zone = crate::store::repo::settings::home_zone(c)?;
    let words = crate::clock::when(at, crate::clock::now(), zone);
    Ok(if words.starts_with(|ch: char| ch.is_ascii_uppercase()) {
        format!("on {words}")
    } else {
        words
    })
}

/// How far CareLoop's clock may be behind the desk's when looking for what a write made
/// "since it was first sent".
pub(crate) const CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// A string field of a payload.
pub(crate) fn text(payload: &Value, key: &str) -> Option<String> {
    payload.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Ids are the server's (`vis_…`) or ours (UUIDs): both are path-safe, but never trust that.
pub(crate) fn path_segment(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .collect()
}

/// A form error for a correction.
pub(crate) fn invalid(
    message: &str,
    fields: impl IntoIterator<Item = (&'static str, String)>,
) -> CommandError {
    CommandError::invalid_fields(message, fields.into_iter().map(|(k, v)| (k.to_owned(), v)))
}

/// The answer for an entry this version cannot handle.
pub(crate) fn unknown(op: &str) -> CommandError {
    CommandError::new(
        Code::InvalidInput,
        format!("This version of Loopdesk cannot change a {op:?} write."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_own_name_and_is_found_by_it() {
        let mut names: Vec<_> = ALL.iter().map(|o| o.name()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "two operations share a name");
        for op in ALL {
            assert_eq!(find(op.name()).map(|o| o.name()), Some(op.name()));
        }
        assert!(find("nothing.known").is_none());
    }

    #[test]
    fn released_names_stay_as_they_are() {
        // Entries queued by an earlier version carry these names.
        for name in ["care_note.create", "visit.create", "visit.update"] {
            assert!(find(name).is_some(), "{name}");
        }
    }

    /// What a lookup reads: every page of the filtered list and no more (one request a page),
    /// and only what the filters select.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_list_is_read_to_its_end_one_request_a_page_with_its_filters() {
        use loopdesk_sandbox::{DataSize, KeySpec, Sandbox, SandboxConfig};
        const KEY: &str = "cl_test_outbox_0123456789abcdef";
        let sandbox = Sandbox::start(SandboxConfig {
            size: DataSize::Small,
            keys: vec![KeySpec {
                token: KEY.into(),
                scopes: vec!["admin".into()],
            }],
            ..SandboxConfig::default()
        })
        .await
        .unwrap();
        let client = ApiClient::new(
            sandbox.base_url(),
            crate::secret::Secret::new(KEY),
            std::sync::Arc::new(crate::api::limit::RateGate::new(
                crate::api::limit::Limits::default(),
            )),
            crate::api::ClientOptions::default(),
        )
        .unwrap();
        // How many GETs of the visit list CareLoop has answered (its audit log).
        let visit_lists = || async {
            let q = ListQuery {
                page: 1,
                page_size: 1,
                filters: vec![
                    ("method".into(), "GET".into()),
                    ("q".into(), "/v1/visits?".into()),
                ],
                ..ListQuery::default()
            };
            client
                .list("/v1/audit-log", &q)
                .await
                .unwrap()
                .body
                .meta
                .total
        };
        let filter = vec![("status".to_owned(), "completed".to_owned())];
        let q = ListQuery {
            page: 1,
            page_size: 1,
            filters: filter.clone(),
            ..ListQuery::default()
        };
        let completed = client.list("/v1/visits", &q).await.unwrap().body.meta.total;
        let all = client
            .list("/v1/visits", &ListQuery::default())
            .await
            .unwrap()
            .body
            .meta
            .total;
        let page = u64::from(crate::api::MAX_PAGE_SIZE);
        assert!(
            completed > page + 2 && completed < all,
            "more than a page of completed visits, and other visits: {completed} of {all}"
        );
        let before = visit_lists().await;

        let found = find_in_list(&client, "/v1/visits", filter, |_| true, |_| false)
            .await
            .unwrap();

        assert_eq!(found.len() as u64, completed, "every page, to the end");
        assert!(found.iter().all(|v| v["status"] == "completed"));
        assert_eq!(
            visit_lists().await - before,
            completed.div_ceil(page),
            "one request a page, none after the last"
        );
        sandbox.shutdown().await.unwrap();
    }

    #[test]
    fn ids_in_paths_keep_only_safe_characters() {
        assert_eq!(path_segment("vis_1/../x?y"), "vis_1xy");
        assert_eq!(path_segment("3f2a-11"), "3f2a-11");
    }
}
