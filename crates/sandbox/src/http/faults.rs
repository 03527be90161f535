//! Injected faults (set through the test controls) and the outermost layer that applies them:
//! added latency, failing the next requests (500, 503, or a refusal: 400, 409, 410), and
//! dropping the connection after a write has committed. The same layer wraps responses the framework produced itself
//! (plain-text or empty errors) in the error envelope.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ApiError;
use super::exempt::is_exempt;
use super::input::BODY_LIMIT;
use crate::conn::ConnInfo;

/// Injected faults (test controls).
#[derive(Debug, Clone, Serialize)]
pub struct Faults {
    pub latency_ms: u64,
    pub fail_next: u32,
    pub fail_status: u16,
    pub drop_after_commit_next: u32,
    /// The next N successful writes are committed, then answered with their success status and
    /// a body that is not JSON (a proxy's error page, a truncated answer).
    pub garble_after_commit_next: u32,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            fail_next: 0,
            fail_status: 500,
            drop_after_commit_next: 0,
            garble_after_commit_next: 0,
        }
    }
}

/// Locks the faults, also after a panic elsewhere (they are plain counters).
pub fn lock(faults: &Mutex<Faults>) -> std::sync::MutexGuard<'_, Faults> {
    faults.lock().unwrap_or_else(|e| e.into_inner())
}

/// Outermost: injected faults, and the envelope for anything the framework answered itself.
/// Its state is the faults the test controls set (the `faults` of `AppState`).
pub async fn inject(
    State(faults): State<Arc<Mutex<Faults>>>,
    req: Request,
    next: Next,
) -> Response {
    if is_exempt(req.uri().path()) {
        return envelope(next.run(req).await);
    }
    let is_write = matches!(
        *req.method(),
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    );
    let (latency, fail) = {
        let mut f = lock(&faults);
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
        let err = match status {
            503 => ApiError {
                retry_after: Some(1),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                    "the service is temporarily unavailable (injected fault)",
                )
            },
            400 => ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the request was refused (injected fault)",
            ),
            409 => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "the request conflicts with the resource's state (injected fault)",
            ),
            410 => ApiError::new(
                StatusCode::GONE,
                "gone",
                "the resource is gone (injected fault)",
            ),
            _ => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "internal error (injected fault)",
            ),
        };
        return err.into_response();
    }
    let conn = req
        .extensions()
        .get::<ConnectInfo<ConnInfo>>()
        .map(|c| c.0.clone());
    let resp = envelope(next.run(req).await);
    // "Committed, then the connection is lost" or "...then the answer is garbled": only writes
    // that succeeded.
    if is_write && resp.status().is_success() {
        let (drop, garble) = {
            let mut f = lock(&faults);
            let take = |n: &mut u32| {
                let hit = *n > 0;
                *n = n.saturating_sub(1);
                hit
            };
            let drop = take(&mut f.drop_after_commit_next);
            let garble = !drop && take(&mut f.garble_after_commit_next);
            (drop, garble)
        };
        if let (true, Some(conn)) = (drop, conn) {
            conn.kill();
        }
        if garble {
            return (
                resp.status(),
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body>upstream answered</body>",
            )
                .into_response();
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
