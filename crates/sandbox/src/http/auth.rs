//! Authentication: the bearer key becomes an [`AuthCtx`] for the layers and handlers after it.
//! The same layer applies the rate limits ([`super::limits`]) once the key is known and writes
//! the audit log entry for every request made with a valid key. Test controls need a valid key
//! too (their routes then need `admin`), but are neither rate limited nor audited.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::exempt::{is_public, is_test_control};
use super::respond::Touched;
use super::state::S;
use crate::conn::ConnInfo;
use crate::model::AuditEntry;
use crate::store::ApiKey;

/// The authenticated key, for handlers and the audit log.
#[derive(Debug, Clone)]
pub struct AuthCtx {
    pub key_id: String,
    pub scopes: Vec<String>,
}

fn bearer(req: &Request) -> Option<&str> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The request's valid key, or the 401 to answer.
fn authenticate(s: &S, req: &Request) -> Result<ApiKey, ApiError> {
    let Some(token) = bearer(req) else {
        return Err(ApiError::unauthorized(
            "missing API key: send Authorization: Bearer <key>",
        ));
    };
    let Some(key) = s.store.read(|db| db.key_by_token(token).cloned()) else {
        return Err(ApiError::unauthorized("unknown API key"));
    };
    if key.expired(s.clock.now()) {
        return Err(ApiError::unauthorized(
            "this API key has expired (keys are valid for 365 days)",
        ));
    }
    Ok(key)
}

/// Authentication, the rate limits and the audit log.
pub async fn auth(State(s): State<S>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    // A write can make work for the webhook worker (a visit that will need its no-show, a
    // certification entering its window): it is woken after each, as it does not look on a
    // fixed beat.
    let writes = !matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let resp = authenticated(&s, req, next, path).await;
    if writes {
        s.wake.notify_one();
    }
    resp
}

async fn authenticated(s: &S, mut req: Request, next: Next, path: String) -> Response {
    // Without test controls their paths are not routed at all: the router's 404, for anyone.
    if is_public(&path) || (is_test_control(&path) && !s.test_controls) {
        return next.run(req).await;
    }
    let key = match authenticate(s, &req) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    if is_test_control(&path) {
        // Their routes need `admin` (the scope layer); no rate limits, no audit entry.
        req.extensions_mut().insert(AuthCtx {
            key_id: key.id,
            scopes: key.scopes,
        });
        return next.run(req).await;
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
    let limited = if s.rate_limits {
        let mut l = s.limiter.lock().unwrap_or_else(|e| e.into_inner());
        l.check(&key.id, s.clock.mono())
    } else {
        Ok(())
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
        let entry = AuditEntry {
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
