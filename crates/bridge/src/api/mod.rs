//! HTTP routes: one router per resource, merged here, documented with utoipa from the same
//! route declarations (so the OpenAPI document cannot drift from what is served).

use std::sync::Arc;

use axum::Router;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::metrics::Metrics;
use crate::store::EventStore;
use crate::Config;

pub mod error;
pub mod events;
pub mod hooks;
pub mod ops;
pub(crate) mod polls;

/// Shared state of all handlers.
#[derive(Clone)]
pub(crate) struct AppState {
    pub store: Arc<dyn EventStore>,
    pub metrics: Metrics,
    pub config: Arc<Config>,
    pub shutdown: CancellationToken,
    pub openapi: Arc<str>,
    pub polls: Arc<polls::Polls>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Loopdesk bridge",
        description = "Verified webhook intake and a long-poll event feed for Loopdesk desks."
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(hooks::router())
        .merge(events::router())
        .merge(ops::router())
}

/// The OpenAPI 3.1 document of the bridge's HTTP interface.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().split_for_parts().1
}

pub(crate) fn router(
    config: Arc<Config>,
    store: Arc<dyn EventStore>,
    metrics: Metrics,
    polls: Arc<polls::Polls>,
    shutdown: CancellationToken,
) -> Result<Router, crate::Error> {
    let (router, doc) = routes().split_for_parts();
    let openapi: Arc<str> = doc
        .to_pretty_json()
        .map_err(|e| crate::Error::Io(std::io::Error::other(e)))?
        .into();
    Ok(router.with_state(AppState {
        store,
        metrics,
        config,
        shutdown,
        openapi,
        polls,
    }))
}
