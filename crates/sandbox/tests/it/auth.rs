//! Bearer keys and scopes.

use reqwest::Method;
use rstest::rstest;
use serde_json::json;

use crate::common::*;

fn scoped_config() -> loopdesk_sandbox::SandboxConfig {
    let mut cfg = config();
    cfg.keys.push(key("k_res", &["read:residents"]));
    cfg.keys.push(key("k_visits", &["write:visits"]));
    cfg.keys.push(key("k_staff", &["read:staff"]));
    cfg.keys.push(key("k_wres", &["write:residents"]));
    let all_but_admin: Vec<&str> = loopdesk_sandbox::http::SCOPES
        .iter()
        .map(|s| s.0)
        .filter(|s| *s != "admin")
        .collect();
    cfg.keys.push(key("k_all_but_admin", &all_but_admin));
    cfg
}

async fn scoped() -> T {
    start_with(scoped_config()).await
}

#[rstest]
#[case(None)]
#[case(Some("cl_live_unknown"))]
#[tokio::test]
async fn missing_or_unknown_key_is_401(#[case] token: Option<&str>) {
    let t = start().await;
    let r = t.req(Method::GET, "/v1/residents", token, None).await;
    assert_error(&r, 401, "unauthorized");
}

#[tokio::test]
async fn malformed_authorization_header_is_401() {
    let t = start().await;
    for h in ["Basic abc", "Bearer", "", "cl_test_admin"] {
        let r = into_resp(
            t.http
                .get(t.url("/v1/residents"))
                .header("authorization", h)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(&r, 401, "unauthorized");
    }
}

#[rstest]
#[case("k_res", "GET", "/v1/staff", "read:staff")]
#[case("k_res", "GET", "/v1/incidents", "read:incidents")]
#[case("k_res", "GET", "/v1/courses", "read:courses")]
#[case("k_res", "POST", "/v1/visits", "write:visits")]
#[case("k_res", "PATCH", "/v1/residents/res_x", "write:residents")]
#[case("k_staff", "GET", "/v1/residents", "read:residents")]
#[case(
    "k_staff",
    "POST",
    "/v1/staff/stf_x/certifications",
    "write:certifications"
)]
#[case("k_staff", "GET", "/v1/audit-log", "read:audit")]
#[case("k_visits", "POST", "/v1/incidents", "write:incidents")]
#[case("k_visits", "GET", "/v1/visitor-sign-ins", "read:visitors")]
#[case("k_visits", "POST", "/v1/visitor-sign-ins", "write:visitors")]
#[case("k_visits", "GET", "/v1/webhook-deliveries", "read:webhooks")]
#[case(
    "k_visits",
    "POST",
    "/v1/webhook-deliveries/dlv_x/resend",
    "write:webhooks"
)]
#[case(
    "k_visits",
    "POST",
    "/v1/residents/res_x/care-notes",
    "write:care-notes"
)]
#[tokio::test]
async fn missing_scope_is_403_naming_it(
    #[case] token: &str,
    #[case] method: &str,
    #[case] path: &str,
    #[case] scope: &str,
) {
    let t = scoped().await;
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let body = (method != Method::GET).then(|| json!({}));
    let r = t.req(method, path, Some(token), body).await;
    assert_error(&r, 403, "insufficient_scope");
    assert_eq!(r.body["error"]["fields"]["scope"], scope);
    assert!(r.body["error"]["message"].as_str().unwrap().contains(scope));
}

#[rstest]
#[case("k_res", "/v1/residents")]
#[case("k_staff", "/v1/staff")]
#[case("k_staff", "/v1/certifications")]
#[case("k_staff", "/v1/courses")] // read:staff implies read:courses
#[case("k_visits", "/v1/visits")] // write:visits implies read:visits
#[case("k_wres", "/v1/residents")] // write:residents implies read:residents
#[case("k_res", "/v1/locations")] // any key
#[case(ADMIN, "/v1/audit-log")]
#[tokio::test]
async fn granted_scopes_pass(#[case] token: &str, #[case] path: &str) {
    let t = scoped().await;
    let r = t.req(Method::GET, path, Some(token), None).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
}

#[tokio::test]
async fn write_residents_may_add_care_notes_and_the_check_comes_before_validation() {
    let t = scoped().await;
    let res = t.first("/v1/residents").await;
    let path = format!("/v1/residents/{}/care-notes", res["id"].as_str().unwrap());
    let r = t
        .req(
            Method::POST,
            &path,
            Some("k_wres"),
            Some(
                json!({"category": "general", "body": "Had a good day", "author_name": "A Carer"}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // A key without the scope gets 403 even for an invalid body.
    let r = t
        .req(
            Method::POST,
            &path,
            Some("k_staff"),
            Some(json!({"nonsense": true})),
        )
        .await;
    assert_error(&r, 403, "insufficient_scope");
}

#[tokio::test]
async fn keys_expire_after_365_days() {
    let t = start().await;
    t.advance(364 * 86_400).await;
    assert_eq!(t.get("/v1/locations").await.status, 200);
    t.advance(86_400).await;
    let r = t.get("/v1/locations").await;
    assert_error(&r, 401, "unauthorized");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
}

#[tokio::test]
async fn openapi_needs_no_key() {
    let t = start().await;
    let r = t.req(Method::GET, "/v1/openapi.json", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["openapi"], "3.1.0");
}

/// Every test control, with a body that would change something.
fn controls(resident: &str) -> Vec<(Method, String, Option<serde_json::Value>)> {
    vec![
        (Method::GET, "/v1/_test/clock".into(), None),
        (
            Method::POST,
            "/v1/_test/clock/advance".into(),
            Some(json!({"seconds": 400 * 86_400})),
        ),
        (Method::POST, "/v1/_test/clock/resume".into(), None),
        (Method::POST, "/v1/_test/clock/freeze".into(), None),
        (
            Method::POST,
            "/v1/_test/events".into(),
            Some(json!({"type": "incident.critical"})),
        ),
        (
            Method::POST,
            "/v1/_test/faults".into(),
            Some(json!({"fail_next": {"count": 5, "status": 500}})),
        ),
        (Method::POST, "/v1/_test/faults/clear".into(), None),
        (Method::POST, "/v1/_test/rate-limits/reset".into(), None),
        (
            Method::PATCH,
            format!("/v1/_test/residents/{resident}"),
            Some(json!({"full_name": "Changed By Anyone"})),
        ),
        (
            Method::DELETE,
            format!("/v1/_test/residents/{resident}"),
            None,
        ),
    ]
}

#[tokio::test]
async fn test_controls_need_the_admin_key_and_change_nothing_without_it() {
    let mut cfg = scoped_config();
    // Deliveries show whether an event was emitted.
    cfg.webhooks.push(loopdesk_sandbox::WebhookTarget {
        url: "http://127.0.0.1:9/never".into(),
        secret: "s".into(),
    });
    let t = start_with(cfg).await;
    let clock = t
        .control(Method::POST, "/v1/_test/clock/freeze", None)
        .await;
    // A key held at the burst limit, to see that the limits are not reset.
    for _ in 0..30 {
        t.req(Method::GET, "/v1/residents", Some("k_res"), None)
            .await;
    }
    let resident = t.first("/v1/residents").await;
    let id = resident["id"].as_str().unwrap();
    let deliveries = t.get("/v1/webhook-deliveries").await.body["meta"]["total"].clone();

    for (method, path, body) in controls(id) {
        for token in [None, Some("cl_live_unknown")] {
            let r = t.req(method.clone(), &path, token, body.clone()).await;
            assert_error(&r, 401, "unauthorized");
        }
        // Any scope but admin, even every other one.
        for token in ["k_res", "k_visits", "k_all_but_admin"] {
            let r = t
                .req(method.clone(), &path, Some(token), body.clone())
                .await;
            assert_error(&r, 403, "insufficient_scope");
            assert_eq!(r.body["error"]["fields"]["scope"], "admin", "{path}");
        }
    }

    // Nothing changed: the clock, the faults, the rate limits, the resident, the events.
    let now = t.control(Method::GET, "/v1/_test/clock", None).await;
    assert_eq!(now.body, clock.body, "the clock neither moved nor resumed");
    assert_eq!(
        t.get("/v1/residents").await.status,
        200,
        "no fault injected"
    );
    assert_eq!(
        t.req(Method::GET, "/v1/residents", Some("k_res"), None)
            .await
            .status,
        429,
        "the rate limits were not reset"
    );
    assert_eq!(t.get(&format!("/v1/residents/{id}")).await.body, resident);
    assert_eq!(
        t.get("/v1/webhook-deliveries").await.body["meta"]["total"],
        deliveries,
        "no event emitted"
    );
    // The admin key may (and the test controls are not audited).
    let r = t
        .control(
            Method::PATCH,
            &format!("/v1/_test/residents/{id}"),
            Some(json!({"full_name": "Changed By Admin"})),
        )
        .await;
    assert_eq!(r.body["full_name"], "Changed By Admin");
    let audited = t.get("/v1/audit-log?q=_test&page_size=1").await;
    assert_eq!(audited.body["meta"]["total"], 0, "{}", audited.body);
}
