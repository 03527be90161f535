//! Operations: `/healthz` and `/openapi.json` on the public listener; `/metrics` on its own
//! (private) listener only, never on the public one.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::metrics::Metrics;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(openapi_json))
}

/// Health of the bridge.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The store it answered from: `sqlite` or `postgresql`.
    pub store: String,
}

/// Liveness and store health.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses(
    (status = 200, description = "The bridge and its store answer", body = Health),
    (status = 500, description = "The store failed", body = ErrorBody),
    (status = 503, description = "The database cannot be reached (`store_unavailable`)",
        body = ErrorBody),
))]
pub(crate) async fn healthz(State(st): State<AppState>) -> Result<Json<Health>, ApiError> {
    st.metrics.time("ping", st.store.ping()).await?;
    Ok(Json(Health {
        status: "ok".into(),
        store: st.store.kind().into(),
    }))
}

/// The metrics listener's one route: `GET /metrics`, Prometheus text format.
pub(crate) fn metrics_router(metrics: Metrics) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(prometheus_text))
        .with_state(metrics)
}

async fn prometheus_text(State(metrics): State<Metrics>) -> Response {
    match metrics.render() {
        Ok(text) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => ApiError::Internal(e.into()).into_response(),
    }
}

/// This document (OpenAPI 3.1).
#[utoipa::path(get, path = "/openapi.json", tag = "ops", responses(
    (status = 200, description = "The OpenAPI document", body = Object),
))]
pub(crate) async fn openapi_json(State(st): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        st.openapi.to_string(),
    )
        .into_response()
}
