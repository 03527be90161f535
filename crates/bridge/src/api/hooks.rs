//! `POST /hooks/{endpoint_id}`: webhook intake.
//!
//! Replays: an event is known by its id from the signed content only (see
//! [`crate::schemes::extract_event`]). Its id is remembered apart from the event, for longer than
//! the event is kept ([`remember_until`]), so a replay after the retention purge is still a
//! duplicate; and an event that happened longer ago than the retention (plus the tolerance, for
//! clocks) is refused, so an id can be forgotten once a replay would be refused anyway.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use chrono::{DateTime, TimeDelta, Utc};
use futures::StreamExt as _;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::schemes::{extract_event, verify_signature, Refusal, Scheme};
use crate::store::{Inserted, NewEvent};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(intake))
}

/// The acknowledgement of a delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IntakeAck {
    /// `stored` (new event, on disk) or `duplicate` (this event id was seen before, even if
    /// the event has since been purged).
    pub status: String,
}

/// Receive a signed webhook.
///
/// Verified by the endpoint's scheme, then stored durably; answered 200 only once committed.
/// A repeated event id is answered 200 and not stored again, also after the event was purged.
#[utoipa::path(
    post,
    path = "/hooks/{endpoint_id}",
    tag = "intake",
    params(("endpoint_id" = String, Path, description = "The endpoint's id")),
    request_body(content = Object, content_type = "application/json",
        description = "The provider's signed JSON body, verified byte for byte"),
    responses(
        (status = 200, description = "Stored (or already stored)", body = IntakeAck),
        (status = 400, description = "Not JSON, no event id in the signed content \
            (`missing_event_id`), no type, or happened longer ago than the retention \
            (`event_too_old`)", body = ErrorBody),
        (status = 401, description = "Missing or bad signature, or timestamp outside tolerance", body = ErrorBody),
        (status = 404, description = "Unknown endpoint", body = ErrorBody),
        (status = 408, description = "The body did not arrive in time", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody),
        (status = 500, description = "Storage failed; retry", body = ErrorBody),
        (status = 503, description = "The database cannot be reached now \
            (`store_unavailable`); nothing was stored, retry", body = ErrorBody),
    )
)]
pub(crate) async fn intake(
    State(st): State<AppState>,
    Path(endpoint_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IntakeAck>, ApiError> {
    st.metrics.webhooks_received.inc();
    let result = receive(&st, &endpoint_id, &headers, body).await;
    match &result {
        Ok(ack) => {
            st.metrics
                .webhooks_accepted
                .with_label_values(&[ack.status.as_str()])
                .inc();
        }
        Err(e) => {
            let reason = match e {
                ApiError::NotFound(_) => "unknown_endpoint",
                ApiError::TooLarge(_) => "payload_too_large",
                ApiError::Refused(r) => r.code(),
                ApiError::BadRequest(code, _) | ApiError::Conflict(code, _) => code,
                ApiError::Unauthorized => "unauthorized",
                ApiError::Timeout => "request_timeout",
                ApiError::Unavailable(_) => "store_unavailable",
                ApiError::Internal(_) => "internal_error",
            };
            st.metrics
                .webhooks_refused
                .with_label_values(&[reason])
                .inc();
            tracing::info!(endpoint = ?endpoint_id, reason, "webhook refused");
        }
    }
    result.map(Json)
}

async fn receive(
    st: &AppState,
    endpoint_id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<IntakeAck, ApiError> {
    let endpoint = st
        .metrics
        .time("endpoint_lookup", st.store.endpoint(endpoint_id))
        .await?
        .ok_or(ApiError::NotFound("endpoint"))?;
    let body = read_body(body, headers, st.config.max_body, st.config.body_timeout).await?;
    let now = chrono::Utc::now().timestamp();
    let tolerance = i64::try_from(st.config.tolerance.as_secs()).unwrap_or(i64::MAX);
    let signed_id = verify_signature(
        endpoint.scheme,
        &endpoint.keys,
        headers,
        &body,
        now,
        tolerance,
    )
    .map_err(ApiError::Refused)?;
    let meta =
        extract_event(endpoint.scheme, headers, &body, signed_id).map_err(ApiError::Refused)?;
    let received = chrono::Utc::now();
    let window = replay_window(&st.config);
    let occurred = meta.occurred_time();
    if occurred.is_some_and(|t| received.signed_duration_since(t) > window) {
        return Err(ApiError::Refused(Refusal::TooOld));
    }
    // extract_event parsed the body as JSON, so it is valid UTF-8.
    let data = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::Refused(crate::schemes::Refusal::NotJson))?;
    let inserted = st
        .metrics
        .time(
            "insert",
            st.store.insert_event(NewEvent {
                org: endpoint.org,
                source: endpoint.scheme.as_str().to_owned(),
                id: meta.id,
                endpoint_id: endpoint.id,
                event_type: meta.event_type,
                occurred_at: meta.occurred_at,
                resource_id: meta.resource_id,
                data,
                remember_until: remember_until(endpoint.scheme, occurred, received, window),
            }),
        )
        .await?;
    Ok(IntakeAck {
        status: match inserted {
            Inserted::Stored(_) => "stored",
            Inserted::Duplicate => "duplicate",
        }
        .to_owned(),
    })
}

/// The whole body: at most `max` bytes (413 beyond, as soon as that is known), arrived within
/// `timeout` (408 after it: a slow sender holds no connection for long).
async fn read_body(
    body: Body,
    headers: &HeaderMap,
    max: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(ApiError::TooLarge(max));
    }
    let read = async {
        let capacity = declared.map_or(0, |n| usize::try_from(n).unwrap_or(max).min(max));
        let mut buf = Vec::with_capacity(capacity);
        let mut chunks = body.into_data_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|_| {
                ApiError::BadRequest("invalid_body", "the request body could not be read".into())
            })?;
            if buf.len().saturating_add(chunk.len()) > max {
                return Err(ApiError::TooLarge(max));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(buf))
    };
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| ApiError::Timeout)?
}

/// How old an event may be: the retention, plus the signature tolerance for clocks that differ.
fn replay_window(config: &crate::Config) -> TimeDelta {
    let retention = TimeDelta::from_std(config.retention).unwrap_or(TimeDelta::MAX);
    let tolerance = TimeDelta::from_std(config.tolerance).unwrap_or(TimeDelta::MAX);
    retention.checked_add(&tolerance).unwrap_or(TimeDelta::MAX)
}

/// Until when an event's id must be remembered: until a replay of it would be refused anyway.
///
/// * It has an `occurred_at`: until that (or its receipt, if later) is older than `window`, after
///   which the intake refuses it as too old.
/// * It has none, but its scheme signs a timestamp (`careloop`, `standard`): until its receipt is
///   older than `window`; a replay needs a signature made within the tolerance of now.
/// * Neither: for ever (`None`).
///
/// Either way the id outlives the event, which is purged when its receipt is older than the
/// retention.
pub(crate) fn remember_until(
    scheme: Scheme,
    occurred: Option<DateTime<Utc>>,
    received: DateTime<Utc>,
    window: TimeDelta,
) -> Option<DateTime<Utc>> {
    let from = match occurred {
        Some(t) => t.max(received),
        None if scheme.has_timestamp() => received,
        None => return None,
    };
    // Past the end of time: never forgotten.
    from.checked_add_signed(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn ids_are_remembered_until_a_replay_would_be_refused() {
        let received = at("2026-11-25T12:00:00Z");
        let week = TimeDelta::days(7);
        for scheme in [
            Scheme::CareLoop,
            Scheme::Standard,
            Scheme::LifeLoop,
            Scheme::Loop,
        ] {
            // Happened before it was received: from its receipt.
            let old = remember_until(scheme, Some(at("2026-11-20T12:00:00Z")), received, week);
            assert_eq!(old, Some(at("2026-12-02T12:00:00Z")), "{scheme}");
            // Said to happen later (a provider's clock ahead): from then.
            let ahead = remember_until(scheme, Some(at("2026-11-26T12:00:00Z")), received, week);
            assert_eq!(ahead, Some(at("2026-12-03T12:00:00Z")), "{scheme}");
        }
        for scheme in [Scheme::CareLoop, Scheme::Standard] {
            let signed = remember_until(scheme, None, received, week);
            assert_eq!(signed, Some(at("2026-12-02T12:00:00Z")), "{scheme}");
        }
        for scheme in [Scheme::LifeLoop, Scheme::Loop] {
            assert_eq!(
                remember_until(scheme, None, received, week),
                None,
                "{scheme}"
            );
        }
        assert_eq!(
            remember_until(Scheme::CareLoop, None, received, TimeDelta::MAX),
            None
        );
    }

    #[test]
    fn the_replay_window_is_the_retention_plus_the_tolerance() {
        let mut config = crate::Config::new("");
        config.retention = std::time::Duration::from_secs(3600);
        config.tolerance = std::time::Duration::from_secs(300);
        assert_eq!(replay_window(&config), TimeDelta::seconds(3900));
        config.retention = std::time::Duration::MAX;
        assert_eq!(replay_window(&config), TimeDelta::MAX);
    }
}
