//! `Idempotency-Key` on POST (an extension): per key, method and path, the same body replays
//! the first 2xx response (`Idempotent-Replayed: true`) and creates nothing new, a different
//! body is a 409, and a duplicate arriving while the first is still running is a 409 too.
//! Looking up the stored record and claiming the in-flight slot are one step ([`claim`]), so
//! of concurrent requests with one key exactly one runs.
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

    let _slot = match claim(&s, &rec_id) {
        Claim::Stored(rec) => return replay(rec, &body_hash),
        Claim::Busy => {
            return ApiError::conflict(
                "idempotency_conflict",
                "a request with this Idempotency-Key is still being processed",
            )
            .into_response()
        }
        Claim::Run(slot) => slot,
    };
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    if !resp.status().is_success() {
        // Nothing is remembered: the slot is freed (when `_slot` drops) and the key can be
        // used again, e.g. for the corrected request.
        return resp;
    }
    let (rparts, rbody) = resp.into_parts();
    let Ok(rbytes) = axum::body::to_bytes(rbody, usize::MAX).await else {
        return ApiError::internal().into_response();
    };
    let rec = IdemRecord {
        id: rec_id,
        body_hash,
        status: rparts.status.as_u16(),
        location: rparts
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: String::from_utf8_lossy(&rbytes).into_owned(),
        updated_at: s.clock.now(),
        deleted_at: None,
    };
    // Stored before the slot is freed (`_slot` drops after this), so a duplicate that is
    // refused as in flight now is replayed from here on.
    if let Err(e) = s.store.write(|db| db.idempotency.insert(rec)) {
        tracing::error!(error = %e, "could not store an idempotency record");
    }
    Response::from_parts(rparts, Body::from(rbytes))
}

/// What a request with an `Idempotency-Key` may do.
enum Claim {
    /// A response was stored for this key: replay it (or 409 for a different body).
    Stored(IdemRecord),
    /// Another request with this key is running: 409.
    Busy,
    /// This request runs; the slot is its until it drops.
    Run(Slot),
}

/// Looks up the stored record and, when there is none, claims the in-flight slot, in one step:
/// both happen under the in-flight lock, and a slot is freed under it only after its record
/// was stored, so of any number of concurrent requests with one key exactly one runs, and
/// each of the others sees either that slot or the record it left.
fn claim(s: &S, rec_id: &str) -> Claim {
    let mut inflight = s.inflight.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(rec) = s.store.read(|db| db.idempotency.get(rec_id).cloned()) {
        return Claim::Stored(rec);
    }
    if !inflight.insert(rec_id.to_string()) {
        return Claim::Busy;
    }
    Claim::Run(Slot {
        state: s.clone(),
        id: rec_id.to_string(),
    })
}

/// A claimed in-flight slot, freed when it drops: after the response was stored, and also
/// when the request fails, panics or is abandoned, so a key is never stuck "in flight".
struct Slot {
    state: S,
    id: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.state
            .inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
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
