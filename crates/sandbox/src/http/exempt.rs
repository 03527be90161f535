//! The paths outside the API's rules: the test controls (`/v1/_test/…`) and the OpenAPI
//! document need no key and are never rate limited, audited, faulted or made idempotent.

/// Whether `path` is outside the API's rules (no key, limits, audit, faults or idempotency).
pub fn is_exempt(path: &str) -> bool {
    path.starts_with("/v1/_test/") || path == "/v1/openapi.json"
}
