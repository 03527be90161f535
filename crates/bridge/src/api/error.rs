//! The HTTP error type: a JSON envelope `{"error": {"code", "message"}}` that never leaks internals.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::schemes::Refusal;

/// The error envelope's body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The error itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `invalid_signature`, `invalid_parameter`.
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

/// An error answered to a client.
#[derive(Debug)]
pub enum ApiError {
    /// 401: missing, unknown or revoked device token.
    Unauthorized,
    /// 401: the webhook failed verification.
    Refused(Refusal),
    /// 404: unknown endpoint.
    NotFound(&'static str),
    /// 413: the body is over the limit.
    TooLarge(usize),
    /// 408: the request body did not arrive in time (the connection is closed).
    Timeout,
    /// 409: the request conflicts with the bridge's state (e.g. a cursor from a reset store).
    Conflict(&'static str, String),
    /// 400: a bad query parameter or body.
    BadRequest(&'static str, String),
    /// 503: the database cannot be reached now (logged here, answered without details); the
    /// client retries, the bridge reconnects by itself.
    Unavailable(crate::Error),
    /// 500: logged here, answered without details.
    Internal(crate::Error),
}

impl From<crate::Error> for ApiError {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::Unavailable(_) => ApiError::Unavailable(e),
            e => ApiError::Internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid device token is required (Authorization: Bearer <token>)".to_owned(),
            ),
            ApiError::Refused(r) => {
                let status = match r {
                    Refusal::NotJson
                    | Refusal::InvalidEvent(_)
                    | Refusal::MissingId
                    | Refusal::TooOld => StatusCode::BAD_REQUEST,
                    _ => StatusCode::UNAUTHORIZED,
                };
                (status, r.code(), r.to_string())
            }
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            ApiError::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is over the limit of {limit} bytes"),
            ),
            ApiError::Timeout => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the request body did not arrive in time".to_owned(),
            ),
            ApiError::BadRequest(code, message) => (StatusCode::BAD_REQUEST, code, message),
            ApiError::Conflict(code, message) => (StatusCode::CONFLICT, code, message),
            ApiError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the bridge cannot reach its database now; retry shortly".to_owned(),
                )
            }
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "the bridge could not complete the request; retry later".to_owned(),
                )
            }
        };
        let mut resp = (
            status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: code.to_owned(),
                    message,
                },
            }),
        )
            .into_response();
        if status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body may still come: this connection is done.
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if status == StatusCode::UNAUTHORIZED && code == "unauthorized" {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}
