//! The route table: every route the server serves, in one list that both the router
//! (`http::router`) and the OpenAPI document (`openapi::document`) are built from, so they
//! cannot disagree about what exists.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::Value;

use super::route::RouteDef;
use super::{incidents, misc, residents, staff, testing, visits};

/// The OpenAPI document `/v1/openapi.json` serves: made once by the router and handed to the
/// handler as a request extension (the document is made from this table, so this module
/// cannot make it without a module cycle).
#[derive(Clone)]
pub struct Document(pub Arc<Value>);

/// Every route the server serves (test controls only when enabled).
pub fn routes(test_controls: bool) -> Vec<RouteDef> {
    let mut v = Vec::new();
    v.extend(residents::routes());
    v.extend(staff::routes());
    v.extend(incidents::routes());
    v.extend(visits::routes());
    v.extend(misc::routes());
    v.push(
        RouteDef::new(
            Method::GET,
            "/v1/openapi.json",
            axum::routing::get(serve_document),
        )
        .summary("This OpenAPI 3.1 document (no key needed)"),
    );
    if test_controls {
        v.extend(testing::routes());
    }
    v
}

async fn serve_document(Extension(Document(doc)): Extension<Document>) -> Response {
    (StatusCode::OK, axum::Json(&*doc)).into_response()
}
