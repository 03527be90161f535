//! Scopes: every scope the sandbox knows ([`SCOPES`]), which scope grants which
//! ([`scope_allows`]), and the per-route layer that refuses a key without the scope a route
//! needs (403 naming it).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::AuthCtx;
use super::error::ApiError;

/// Every scope the sandbox knows: (scope, documented by CareLoop, what it grants).
pub const SCOPES: &[(&str, bool, &str)] = &[
    (
        "read:residents",
        true,
        "resident records, care plans (care notes), locations",
    ),
    ("read:staff", true, "staff directory, roles, certifications"),
    ("read:incidents", true, "incidents, falls, body map"),
    (
        "write:visits",
        true,
        "create / update visit records (implies read:visits)",
    ),
    ("admin", true, "everything"),
    (
        "write:residents",
        false,
        "update and admit residents, add care notes",
    ),
    ("write:care-notes", false, "add care notes"),
    ("read:visits", false, "list visits"),
    ("write:incidents", false, "log incidents"),
    (
        "write:certifications",
        false,
        "issue or renew certifications",
    ),
    (
        "read:courses",
        false,
        "training catalogue (also granted by read:staff)",
    ),
    ("read:audit", false, "audit log"),
    ("read:visitors", false, "visitor sign-ins"),
    (
        "write:visitors",
        false,
        "sign visitors in and out (implies read:visitors)",
    ),
    ("read:webhooks", false, "webhook deliveries"),
    (
        "write:webhooks",
        false,
        "re-send webhook deliveries (implies read:webhooks)",
    ),
];

/// Whether a key with `scopes` may use an operation needing `needed`.
/// `admin` grants everything; `write:X` grants `read:X`; `write:residents` grants
/// `write:care-notes`; `read:staff` (staff, roles, certifications) grants `read:courses`.
pub fn scope_allows(scopes: &[String], needed: &str) -> bool {
    scopes.iter().any(|s| {
        s == "admin"
            || s == needed
            || needed
                .strip_prefix("read:")
                .is_some_and(|x| s.strip_prefix("write:") == Some(x))
            || (needed == "write:care-notes" && s == "write:residents")
            || (needed == "read:courses" && s == "read:staff")
    })
}

/// Refuses (403) a request whose key lacks `scope`; added to each route that needs one.
pub async fn require_scope(
    State(scope): State<&'static str>,
    req: Request,
    next: Next,
) -> Response {
    let allowed = req
        .extensions()
        .get::<AuthCtx>()
        .is_some_and(|a| scope_allows(&a.scopes, scope));
    if allowed {
        next.run(req).await
    } else {
        ApiError::forbidden(scope).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(&["admin"], "write:webhooks", true)]
    #[case(&["read:residents"], "read:residents", true)]
    #[case(&["read:residents"], "write:residents", false)]
    #[case(&["write:visits"], "read:visits", true)]
    #[case(&["read:visits"], "write:visits", false)]
    #[case(&["write:residents"], "write:care-notes", true)]
    #[case(&["write:care-notes"], "write:residents", false)]
    #[case(&["write:care-notes"], "read:care-notes", true)]
    #[case(&[], "read:staff", false)]
    #[case(&["read:staff"], "read:courses", true)]
    #[case(&["read:courses"], "read:staff", false)]
    fn scopes(#[case] have: &[&str], #[case] need: &str, #[case] ok: bool) {
        let have: Vec<String> = have.iter().map(|s| s.to_string()).collect();
        assert_eq!(scope_allows(&have, need), ok);
    }
}
