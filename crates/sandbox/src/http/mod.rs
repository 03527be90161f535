//! The HTTP surface: one router per resource, merged here, and the layers every request
//! passes through (faults → auth + rate limits + audit → idempotency → scope check → handler).

pub mod error;
mod incidents;
pub mod input;
mod misc;
pub mod openapi;
mod residents;
mod staff;
mod testing;
mod visits;

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::Router;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::conn::ConnInfo;
use crate::model::{PageMeta, Resource, Ts};
use crate::store::{IdemRecord, Store};
use crate::WebhookTarget;
pub use error::ApiError;
use input::{is_json_content_type, read_body, ListParams, BODY_LIMIT};

pub type S = Arc<AppState>;

/// Every scope the sandbox knows: (scope, documented by CareLoop, what it grants).
pub const SCOPES: &[(&str, bool, &str)] = &[
    (
        "read:residents",
        true,
        "resident records, care plans (care notes), locations",
    ),
    ("read:staff", true, "staff directory, roles, certifications"),
    ("read:incidents", true, "incidents, falls, body map"),
    (
        "write:visits",
        true,
        "create / update visit records (implies read:visits)",
    ),
    ("admin", true, "everything"),
    (
        "write:residents",
        false,
        "update and admit residents, add care notes",
    ),
    ("write:care-notes", false, "add care notes"),
    ("read:visits", false, "list visits"),
    ("write:incidents", false, "log incidents"),
    (
        "write:certifications",
        false,
        "issue or renew certifications",
    ),
    (
        "read:courses",
        false,
        "training catalogue (also granted by read:staff)",
    ),
    ("read:audit", false, "audit log"),
    ("read:visitors", false, "visitor sign-ins"),
    (
        "write:visitors",
        false,
        "sign visitors in and out (implies read:visitors)",
    ),
    ("read:webhooks", false, "webhook deliveries"),
    (
        "write:webhooks",
        false,
        "re-send webhook deliveries (implies read:webhooks)",
    ),
];

/// Whether a key with `scopes` may use an operation needing `needed`.
/// `admin` grants everything; `write:X` grants `read:X`; `write:residents` grants
/// `write:care-notes`; `read:staff` (staff, roles, certifications) grants `read:courses`.
pub fn scope_allows(scopes: &[String], needed: &str) -> bool {
    scopes.iter().any(|s| {
        s == "admin"
            || s == needed
            || needed
                .strip_prefix("read:")
                .is_some_and(|x| s.strip_prefix("write:") == Some(x))
            || (needed == "write:care-notes" && s == "write:residents")
            || (needed == "read:courses" && s == "read:staff")
    })
}

/// Injected faults (test controls).
#[derive(Debug, Clone, Serialize)]
pub struct Faults {
    pub latency_ms: u64,
    pub fail_next: u32,
    pub fail_status: u16,
    pub drop_after_commit_next: u32,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            fail_next: 0,
            fail_status: 500,
            drop_after_commit_next: 0,
        }
    }
}

/// Sliding-window request log per key: 120 per 60 s and 30 per 5 s.
#[derive(Debug, Default)]
pub struct Limiter {
    log: HashMap<String, VecDeque<Duration>>,
}

pub const PER_MINUTE: usize = 120;
pub const PER_BURST: usize = 30;
const MINUTE: Duration = Duration::from_secs(60);
const BURST: Duration = Duration::from_secs(5);

impl Limiter {
    /// Records a request at `now` or says how many whole seconds to wait (at least 1),
    /// after which both windows will admit a request.
    pub fn check(&mut self, key: &str, now: Duration) -> Result<(), (u64, &'static str)> {
        let q = self.log.entry(key.to_string()).or_default();
        while q.front().is_some_and(|t| now.saturating_sub(*t) >= MINUTE) {
            q.pop_front();
        }
        let mut wait = Duration::ZERO;
        let mut which = "";
        if q.len() >= PER_MINUTE {
            wait = (q[q.len() - PER_MINUTE] + MINUTE).saturating_sub(now);
            which = "120 requests per minute";
        }
        let in_burst = q
            .iter()
            .rev()
            .take_while(|t| now.saturating_sub(**t) < BURST)
            .count();
        if in_burst >= PER_BURST {
            let w = (q[q.len() - PER_BURST] + BURST).saturating_sub(now);
            if w > wait {
                wait = w;
                which = "30 requests in any 5 seconds";
            }
        }
        if which.is_empty() {
            q.push_back(now);
            Ok(())
        } else {
            let secs = wait.as_millis().div_ceil(1000).max(1);
            Err((u64::try_from(secs).unwrap_or(u64::MAX), which))
        }
    }
}

pub struct AppState {
    pub store: Store,
    pub clock: Clock,
    pub test_controls: bool,
    pub time_scale: f64,
    pub no_show_grace: Duration,
    pub targets: Vec<WebhookTarget>,
    pub limiter: Mutex<Limiter>,
    pub faults: Mutex<Faults>,
    /// Wakes the webhook worker and scanners (new event, clock advanced).
    pub wake: Notify,
    inflight: Mutex<HashSet<String>>,
}

impl AppState {
    pub fn new(
        store: Store,
        clock: Clock,
        test_controls: bool,
        time_scale: f64,
        no_show_grace: Duration,
        targets: Vec<WebhookTarget>,
    ) -> Self {
        Self {
            store,
            clock,
            test_controls,
            time_scale,
            no_show_grace,
            targets,
            limiter: Mutex::default(),
            faults: Mutex::default(),
            wake: Notify::new(),
            inflight: Mutex::default(),
        }
    }

    /// A sandbox duration shortened by the time scale.
    pub fn scaled(&self, d: Duration) -> Duration {
        d.div_f64(self.time_scale)
    }

    pub fn faults(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The authenticated key, for handlers and the audit log.
#[derive(Debug, Clone)]
pub struct AuthCtx {
    pub key_id: String,
    pub scopes: Vec<String>,
}

/// The resource a response touched, for the audit log.
#[derive(Debug, Clone)]
pub struct Touched {
    pub kind: &'static str,
    pub id: Option<String>,
}

/// A JSON response that records what it touched.
pub fn json_touching<T: Serialize>(
    status: StatusCode,
    kind: &'static str,
    id: Option<&str>,
    body: &T,
) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.extensions_mut().insert(Touched {
        kind,
        id: id.map(str::to_string),
    });
    resp
}

#[derive(Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub meta: PageMeta,
}

/// Filters, orders and pages a collection. With `updated_since`, items changed after it are
/// returned ordered by (updated_at, id); tombstones only with `include_deleted`.
pub fn paginate<'a, T: Resource + 'a>(
    items: impl Iterator<Item = &'a T>,
    lp: &ListParams,
    filter: impl Fn(&T) -> bool,
    mut order: impl FnMut(&T, &T) -> Ordering,
) -> (Vec<T>, PageMeta) {
    let mut v: Vec<&T> = items
        .filter(|t| lp.include_deleted || t.deleted_at().is_none())
        .filter(|t| lp.updated_since.is_none_or(|since| t.updated_at() > since))
        .filter(|t| filter(t))
        .collect();
    if lp.updated_since.is_some() {
        v.sort_by(|a, b| {
            a.updated_at()
                .cmp(&b.updated_at())
                .then_with(|| a.id().cmp(b.id()))
        });
    } else {
        v.sort_by(|a, b| order(a, b).then_with(|| a.id().cmp(b.id())));
    }
    let total = v.len() as u64;
    let skip = usize::try_from((lp.page - 1).saturating_mul(lp.page_size)).unwrap_or(usize::MAX);
    let page_size = usize::try_from(lp.page_size).unwrap_or(100);
    let data = v.into_iter().skip(skip).take(page_size).cloned().collect();
    (
        data,
        PageMeta {
            total,
            page: lp.page,
            page_size: lp.page_size,
        },
    )
}

/// A route and what the OpenAPI document says about it.
pub struct RouteDef {
    pub method: Method,
    /// axum syntax, which is also OpenAPI's: `/v1/residents/{id}`.
    pub path: &'static str,
    pub scope: Option<&'static str>,
    pub extension: bool,
    pub summary: &'static str,
    /// Query parameters: (name, type, description); type is `string`, `integer`, `boolean`,
    /// `date-time` or `enum:a|b|c`.
    pub query: &'static [(&'static str, &'static str, &'static str)],
    /// A paginated list of this schema.
    pub list_of: Option<&'static str>,
    pub body: Option<&'static str>,
    pub body_required: bool,
    pub response: Option<&'static str>,
    pub status: u16,
    pub handler: MethodRouter<S>,
}

impl RouteDef {
    pub fn new(method: Method, path: &'static str, handler: MethodRouter<S>) -> Self {
        Self {
            method,
            path,
            scope: None,
            extension: false,
            summary: "",
            query: &[],
            list_of: None,
            body: None,
            body_required: true,
            response: None,
            status: 200,
            handler,
        }
    }
    pub fn scope(mut self, s: &'static str) -> Self {
        self.scope = Some(s);
        self
    }
    pub fn ext(mut self) -> Self {
        self.extension = true;
        self
    }
    pub fn summary(mut self, s: &'static str) -> Self {
        self.summary = s;
        self
    }
    pub fn query(mut self, q: &'static [(&'static str, &'static str, &'static str)]) -> Self {
        self.query = q;
        self
    }
    pub fn list(mut self, schema: &'static str) -> Self {
        self.list_of = Some(schema);
        self
    }
    pub fn body(mut self, schema: &'static str) -> Self {
        self.body = Some(schema);
        self
    }
    pub fn optional_body(mut self, schema: &'static str) -> Self {
        self.body = Some(schema);
        self.body_required = false;
        self
    }
    pub fn returns(mut self, status: u16, schema: &'static str) -> Self {
        self.status = status;
        self.response = Some(schema);
        self
    }
}

/// Every route the server serves (test controls only when enabled).
pub fn routes(test_controls: bool) -> Vec<RouteDef> {
    let mut v = Vec::new();
    v.extend(residents::routes());
    v.extend(staff::routes());
    v.extend(incidents::routes());
    v.extend(visits::routes());
    v.extend(misc::routes());
    v.push(
        RouteDef::new(
            Method::GET,
            "/v1/openapi.json",
            axum::routing::get(openapi::serve),
        )
        .summary("This OpenAPI 3.1 document (no key needed)"),
    );
    if test_controls {
        v.extend(testing::routes());
    }
    v
}

pub fn router(state: S) -> Router {
    let mut r: Router<S> = Router::new();
    for d in routes(state.test_controls) {
        let handler = match d.scope {
            Some(scope) => d
                .handler
                .route_layer(from_fn_with_state(scope, require_scope)),
            None => d.handler,
        };
        r = r.route(d.path, handler);
    }
    r.fallback(|| async { ApiError::route_not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(from_fn_with_state(state.clone(), idempotency))
        .layer(from_fn_with_state(state.clone(), auth))
        .layer(from_fn_with_state(state.clone(), faults))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            ApiError::internal().into_response()
        }))
        .with_state(state)
}

fn is_exempt(path: &str) -> bool {
    path.starts_with("/v1/_test/") || path == "/v1/openapi.json"
}

async fn require_scope(State(scope): State<&'static str>, req: Request, next: Next) -> Response {
    let allowed = req
        .extensions()
        .get::<AuthCtx>()
        .is_some_and(|a| scope_allows(&a.scopes, scope));
    if allowed {
        next.run(req).await
    } else {
        ApiError::forbidden(scope).into_response()
    }
}

/// Outermost: injected faults, and the envelope for anything the framework answered itself.
async fn faults(State(s): State<S>, req: Request, next: Next) -> Response {
    if is_exempt(req.uri().path()) {
        return envelope(next.run(req).await);
    }
    let is_write = matches!(
        *req.method(),
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    );
    let (latency, fail) = {
        let mut f = s.faults();
        let fail = if f.fail_next > 0 {
            f.fail_next -= 1;
            Some(f.fail_status)
        } else {
            None
        };
        (f.latency_ms, fail)
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if let Some(status) = fail {
        let err = if status == 503 {
            ApiError {
                retry_after: Some(1),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                    "the service is temporarily unavailable (injected fault)",
                )
            }
        } else {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "internal error (injected fault)",
            )
        };
        return err.into_response();
    }
    let conn = req
        .extensions()
        .get::<ConnectInfo<ConnInfo>>()
        .map(|c| c.0.clone());
    let resp = envelope(next.run(req).await);
    // "Committed, then the connection is lost": only writes that succeeded.
    if is_write && resp.status().is_success() {
        let drop = {
            let mut f = s.faults();
            let drop = f.drop_after_commit_next > 0;
            if drop {
                f.drop_after_commit_next -= 1;
            }
            drop
        };
        if let (true, Some(conn)) = (drop, conn) {
            conn.kill();
        }
    }
    resp
}

/// Wraps framework-generated error responses (plain text or empty) in the envelope.
fn envelope(resp: Response) -> Response {
    let status = resp.status();
    if status.as_u16() < 400
        || resp
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
    {
        return resp;
    }
    let err = match status {
        StatusCode::NOT_FOUND => ApiError::route_not_found(),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::method_not_allowed(),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(BODY_LIMIT),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::unsupported_media_type(),
        s if s.is_client_error() => ApiError::new(s, "bad_request", "the request is malformed"),
        _ => ApiError::internal(),
    };
    err.into_response()
}

fn bearer(req: &Request) -> Option<&str> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Authentication, the rate limits and the audit log.
async fn auth(State(s): State<S>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if is_exempt(&path) {
        return next.run(req).await;
    }
    let Some(token) = bearer(&req) else {
        return ApiError::unauthorized("missing API key: send Authorization: Bearer <key>")
            .into_response();
    };
    let Some(key) = s.store.read(|db| db.key_by_token(token).cloned()) else {
        return ApiError::unauthorized("unknown API key").into_response();
    };
    if key.expired(s.clock.now()) {
        return ApiError::unauthorized("this API key has expired (keys are valid for 365 days)")
            .into_response();
    }
    let ip = req
        .extensions()
        .get::<ConnectInfo<ConnInfo>>()
        .map(|c| c.0.remote.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let method = req.method().to_string();
    let full_path = match req.uri().query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let limited = {
        let mut l = s.limiter.lock().unwrap_or_else(|e| e.into_inner());
        l.check(&key.id, s.clock.mono())
    };
    let resp = match limited {
        Err((secs, which)) => ApiError::rate_limited(secs, which).into_response(),
        Ok(()) => {
            req.extensions_mut().insert(AuthCtx {
                key_id: key.id.clone(),
                scopes: key.scopes,
            });
            next.run(req).await
        }
    };
    let touched = resp.extensions().get::<Touched>().cloned();
    let now = s.clock.now();
    let status = resp.status().as_u16();
    let logged = s.store.write(|db| {
        let entry = crate::model::AuditEntry {
            id: format!("aud_{}", uuid::Uuid::new_v4().simple()),
            at: db.stamp(now),
            key_id: key.id,
            ip,
            method,
            path: full_path.chars().take(2000).collect(),
            status,
            resource_type: touched.as_ref().map(|t| t.kind.to_string()),
            resource_id: touched.and_then(|t| t.id),
            deleted_at: None,
        };
        db.audit_log.insert(entry);
    });
    if let Err(e) = logged {
        tracing::error!(error = %e, "could not write the audit log");
    }
    resp
}

/// `Idempotency-Key` on POST: the same key and body replays the first (2xx) response, a
/// different body is a 409.
async fn idempotency(State(s): State<S>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || is_exempt(req.uri().path()) {
        return next.run(req).await;
    }
    let Some(idem) = req.headers().get("idempotency-key").cloned() else {
        return next.run(req).await;
    };
    let Some(auth) = req.extensions().get::<AuthCtx>().cloned() else {
        return next.run(req).await;
    };
    let idem = match idem.to_str() {
        Ok(k) if !k.trim().is_empty() && k.len() <= 255 => k.trim().to_string(),
        _ => {
            return ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
            .into_response()
        }
    };
    let (parts, body) = req.into_parts();
    if parts.headers.contains_key(header::CONTENT_TYPE)
        && !is_json_content_type(parts.headers.get(header::CONTENT_TYPE))
    {
        return ApiError::unsupported_media_type().into_response();
    }
    let bytes = match read_body(body).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let canonical = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(v) => v.to_string().into_bytes(),
        Err(_) => bytes.to_vec(),
    };
    let body_hash = hex::encode(Sha256::digest(&canonical));
    let rec_id = format!(
        "{} {} {} {}",
        auth.key_id,
        parts.method,
        parts.uri.path(),
        idem
    );

    if let Some(rec) = s.store.read(|db| db.idempotency.get(&rec_id).cloned()) {
        return replay(rec, &body_hash);
    }
    {
        let mut inflight = s.inflight.lock().unwrap_or_else(|e| e.into_inner());
        if !inflight.insert(rec_id.clone()) {
            return ApiError::conflict(
                "idempotency_conflict",
                "a request with this Idempotency-Key is still being processed",
            )
            .into_response();
        }
    }
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let resp = if resp.status().is_success() {
        let (rparts, rbody) = resp.into_parts();
        match axum::body::to_bytes(rbody, usize::MAX).await {
            Ok(rbytes) => {
                let now = s.clock.now();
                let rec = IdemRecord {
                    id: rec_id.clone(),
                    body_hash,
                    status: rparts.status.as_u16(),
                    location: rparts
                        .headers
                        .get(header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string),
                    body: String::from_utf8_lossy(&rbytes).into_owned(),
                    updated_at: now,
                    deleted_at: None,
                };
                if let Err(e) = s.store.write(|db| db.idempotency.insert(rec)) {
                    tracing::error!(error = %e, "could not store an idempotency record");
                }
                Response::from_parts(rparts, Body::from(rbytes))
            }
            Err(_) => ApiError::internal().into_response(),
        }
    } else {
        resp
    };
    s.inflight
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&rec_id);
    resp
}

fn replay(rec: IdemRecord, body_hash: &str) -> Response {
    if rec.body_hash != body_hash {
        return ApiError::conflict(
            "idempotency_conflict",
            "this Idempotency-Key was already used with a different request body",
        )
        .into_response();
    }
    let status = StatusCode::from_u16(rec.status).unwrap_or(StatusCode::OK);
    let mut resp = (status, rec.body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    if let Some(loc) = rec.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        h.insert(header::LOCATION, loc);
    }
    resp
}

/// Shared helpers for handlers.
pub fn now(s: &AppState) -> Ts {
    s.clock.now()
}

pub fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[rstest]
    #[case(&[], 0, Ok(()))]
    #[case(&[0; 29], 0, Ok(()))]
    #[case(&[0; 30], 0, Err(5))]
    #[case(&[0; 30], 4_000, Err(1))]
    #[case(&[0; 30], 4_500, Err(1))]
    #[case(&[0; 30], 5_000, Ok(()))]
    #[case(&[1_000; 30], 2_200, Err(4))]
    fn burst_window(#[case] before: &[u64], #[case] at: u64, #[case] expect: Result<(), u64>) {
        let mut l = Limiter::default();
        for t in before {
            assert!(l.check("k", ms(*t)).is_ok());
        }
        assert_eq!(l.check("k", ms(at)).map_err(|e| e.0), expect);
    }

    #[test]
    fn minute_window_and_keys_are_separate() {
        let mut l = Limiter::default();
        for i in 0..120u64 {
            // 30 per 5 seconds, never tripping the burst limit.
            assert!(l.check("k", ms(i / 30 * 5_000)).is_ok(), "request {i}");
        }
        assert_eq!(
            l.check("k", ms(20_000)),
            Err((40, "120 requests per minute"))
        );
        assert!(l.check("other", ms(20_000)).is_ok());
        assert!(l.check("k", ms(60_000)).is_ok());
    }

    proptest! {
        /// Whatever the arrival pattern, a rejected client that waits Retry-After succeeds.
        #[test]
        fn retry_after_is_truthful(gaps in prop::collection::vec(0u64..400, 1..400)) {
            let mut l = Limiter::default();
            let mut now = 0u64;
            for g in gaps {
                now += g;
                if let Err((secs, _)) = l.check("k", ms(now)) {
                    prop_assert!(secs >= 1);
                    prop_assert!(secs <= 60);
                    now += secs * 1_000;
                    prop_assert!(l.check("k", ms(now)).is_ok(), "still limited after Retry-After");
                }
            }
        }
    }

    #[rstest]
    #[case(&["admin"], "write:webhooks", true)]
    #[case(&["read:residents"], "read:residents", true)]
    #[case(&["read:residents"], "write:residents", false)]
    #[case(&["write:visits"], "read:visits", true)]
    #[case(&["read:visits"], "write:visits", false)]
    #[case(&["write:residents"], "write:care-notes", true)]
    #[case(&["write:care-notes"], "write:residents", false)]
    #[case(&["write:care-notes"], "read:care-notes", true)]
    #[case(&[], "read:staff", false)]
    #[case(&["read:staff"], "read:courses", true)]
    #[case(&["read:courses"], "read:staff", false)]
    fn scopes(#[case] have: &[&str], #[case] need: &str, #[case] ok: bool) {
        let have: Vec<String> = have.iter().map(|s| s.to_string()).collect();
        assert_eq!(scope_allows(&have, need), ok);
    }
}
