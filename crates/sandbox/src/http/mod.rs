//! The HTTP surface. Each request passes through the layers faults → auth (key, rate limits,
//! audit) → idempotency → scope check → handler. This module builds the router from the route
//! table and re-exports what the rest of the crate and other crates use; the modules below
//! depend on one another, never on this one.
//!
//! * `state`: [`AppState`] (shared with the webhook worker), `now` and `new_id`
//! * `table`, `route`: the route table and [`RouteDef`]; [`openapi`]: the document made from it,
//!   with the request bodies declared in `bodies`
//! * `faults`, `auth` (with `limits`), `idempotency`, `scopes`: the layers and what they keep;
//!   `exempt`: the paths they leave alone
//! * `respond`, [`input`], [`error`]: what handlers answer with, read, and fail with
//! * `residents`, `staff`, `incidents`, `visits`, `misc`, `testing`: the handlers

mod auth;
mod bodies;
pub mod error;
mod exempt;
mod faults;
mod idempotency;
mod incidents;
pub mod input;
mod limits;
mod misc;
pub mod openapi;
mod residents;
mod respond;
mod route;
mod scopes;
mod staff;
pub(crate) mod state;
mod table;
mod testing;
mod visits;

use std::sync::Arc;

use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::{Extension, Router};

pub use auth::AuthCtx;
pub use error::ApiError;
pub use faults::Faults;
pub use limits::{Limiter, PER_BURST, PER_MINUTE};
pub use respond::{json_touching, paginate, Page, Touched};
pub use route::RouteDef;
pub use scopes::{scope_allows, SCOPES};
pub use state::{new_id, now, AppState, S};
pub use table::routes;

/// The whole server for `state`: every route of the table behind the layers.
pub fn router(state: S) -> Router {
    let mut r: Router<S> = Router::new();
    for d in routes(state.test_controls) {
        let handler = match d.scope {
            Some(scope) => d
                .handler
                .route_layer(from_fn_with_state(scope, scopes::require_scope)),
            None => d.handler,
        };
        r = r.route(d.path, handler);
    }
    let document = table::Document(Arc::new(openapi::document(state.test_controls)));
    r.fallback(|| async { ApiError::route_not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(Extension(document))
        .layer(from_fn_with_state(state.clone(), idempotency::idempotency))
        .layer(from_fn_with_state(state.clone(), auth::auth))
        .layer(from_fn_with_state(state.faults.clone(), faults::inject))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            ApiError::internal().into_response()
        }))
        .with_state(state)
}
