//! `Idempotency-Key` on POST (an extension): per key, method and path, the same body replays
//! the first 2xx response (`Idempotent-Replayed: true`) and creates nothing new, a different
//! body is a 409, and a duplicate arriving while the first is still running is a 409 too.
//! Records are stored with the rest of the data, so they outlive restarts with `--data`.
//! With `--ignore-idempotency-keys` the header is ignored, as by an API that does not support it.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::auth::AuthCtx;
use super::error::ApiError;
use super::exempt::is_exempt;
use super::input::{is_json_content_type, read_body};
use super::state::S;
use crate::store::IdemRecord;

/// `Idempotency-Key` on POST: the same key and body replays the first (2xx) response, a
/// different body is a 409.
pub async fn idempotency(State(s): State<S>, req: Request, next: Next) -> Response {
    if !s.honour_idempotency_keys || req.method() != Method::POST || is_exempt(req.uri().path()) {
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
