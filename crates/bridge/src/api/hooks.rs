//! `POST /hooks/{endpoint_id}`: webhook intake.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::schemes::{extract_event, verify_signature};
use crate::store::{Inserted, NewEvent};

pub(crate) fn router(max_body: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(intake))
        .layer(DefaultBodyLimit::max(max_body))
}

/// The acknowledgement of a delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IntakeAck {
    /// `stored` (new event, on disk) or `duplicate` (this event id was already stored).
    pub status: String,
}

/// Receive a signed webhook.
///
/// Verified by the endpoint's scheme, then stored durably; answered 200 only once committed.
/// A repeated event id is answered 200 and not stored again.
#[utoipa::path(
    post,
    path = "/hooks/{endpoint_id}",
    tag = "intake",
    params(("endpoint_id" = String, Path, description = "The endpoint's id")),
    request_body(content = Object, content_type = "application/json",
        description = "The provider's signed JSON body, verified byte for byte"),
    responses(
        (status = 200, description = "Stored (or already stored)", body = IntakeAck),
        (status = 400, description = "Not JSON, or no event id/type", body = ErrorBody),
        (status = 401, description = "Missing or bad signature, or timestamp outside tolerance", body = ErrorBody),
        (status = 404, description = "Unknown endpoint", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody),
        (status = 500, description = "Storage failed; retry", body = ErrorBody),
    )
)]
pub(crate) async fn intake(
    State(st): State<AppState>,
    Path(endpoint_id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
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
    body: Result<Bytes, BytesRejection>,
) -> Result<IntakeAck, ApiError> {
    let body = body.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(st.config.max_body)
        } else {
            ApiError::BadRequest("invalid_body", "the request body could not be read".into())
        }
    })?;
    let endpoint = st
        .metrics
        .time("endpoint_lookup", st.store.endpoint(endpoint_id))
        .await?
        .ok_or(ApiError::NotFound("endpoint"))?;
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
            }),
        )
        .await?;
    Ok(IntakeAck {
        status: match inserted {
            Inserted::Stored(_) => "stored",
            Inserted::Duplicate(_) => "duplicate",
        }
        .to_owned(),
    })
}
