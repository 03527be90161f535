//! The paths outside the API's rules: the test controls (`/v1/_test/…`) and the OpenAPI
//! document are never rate limited, audited, faulted or made idempotent. The document needs no
//! key; the test controls need an admin key (see `auth`).

/// Whether `path` is a test control (`/v1/_test/…`).
pub fn is_test_control(path: &str) -> bool {
    path.starts_with("/v1/_test/")
}

/// Whether `path` is served to anyone, without a key (the OpenAPI document).
pub fn is_public(path: &str) -> bool {
    path == "/v1/openapi.json"
}

/// Whether `path` is outside the API's limits, audit, faults and idempotency.
pub fn is_exempt(path: &str) -> bool {
    is_test_control(path) || is_public(path)
}
