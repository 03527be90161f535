//! 120 requests per minute per key and 30 in any 5 seconds; 429 with a truthful Retry-After.
//! The sandbox clock is advanced instead of waiting.

use reqwest::Method;

use crate::common::*;

fn retry_after(r: &Resp) -> u64 {
    r.headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in whole seconds")
}

async fn burst(t: &T, token: &str, n: usize) {
    for i in 0..n {
        let r = t.req(Method::GET, "/v1/locations", Some(token), None).await;
        assert_eq!(r.status, 200, "request {i} of the burst: {}", r.body);
    }
}

#[tokio::test]
async fn thirty_in_five_seconds_then_429_until_retry_after_has_passed() {
    let mut cfg = config();
    cfg.keys.push(key("other", &["admin"]));
    let t = start_with(cfg).await;
    // Frozen, so the outcome does not depend on how fast this machine is.
    t.control(Method::POST, "/v1/_test/clock/freeze", None)
        .await;
    burst(&t, ADMIN, 30).await;
    let r = t.get("/v1/locations").await;
    assert_error(&r, 429, "rate_limited");
    let wait = retry_after(&r);
    assert_eq!(
        wait, 5,
        "the whole burst window, since the clock stands still"
    );
    // Rate limits are per key.
    assert_eq!(
        t.req(Method::GET, "/v1/locations", Some("other"), None)
            .await
            .status,
        200
    );
    // Test controls are not counted.
    for _ in 0..5 {
        t.control(Method::GET, "/v1/_test/clock", None).await;
    }
    // Still limited (rejected requests do not extend the wait), and free after Retry-After.
    assert_eq!(t.get("/v1/locations").await.status, 429);
    // One second short is still too early; Retry-After is enough.
    t.advance(wait - 1).await;
    assert_eq!(t.get("/v1/locations").await.status, 429);
    t.advance(1).await;
    assert_eq!(t.get("/v1/locations").await.status, 200);
}

#[tokio::test]
async fn one_hundred_twenty_per_minute() {
    let t = start().await;
    t.control(Method::POST, "/v1/_test/clock/freeze", None)
        .await;
    for _ in 0..4 {
        burst(&t, ADMIN, 30).await;
        t.advance(5).await;
    }
    // The 5 s window is clear now, the minute window is full.
    let r = t.get("/v1/locations").await;
    assert_error(&r, 429, "rate_limited");
    let wait = retry_after(&r);
    assert_eq!(
        wait, 40,
        "60 s after the first request, 20 s of which have passed"
    );
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("minute"));
    t.advance(wait - 1).await;
    assert_eq!(
        t.get("/v1/locations").await.status,
        429,
        "one second early is too early"
    );
    t.advance(1).await;
    let r = t.get("/v1/locations").await;
    assert_eq!(
        r.status, 200,
        "a client waiting Retry-After succeeds: {}",
        r.body
    );
}

#[tokio::test]
async fn rejected_requests_are_audited_as_429() {
    let t = start().await;
    burst(&t, ADMIN, 30).await;
    assert_eq!(t.get("/v1/locations").await.status, 429);
    t.control(Method::POST, "/v1/_test/rate-limits/reset", None)
        .await;
    let r = t.get("/v1/audit-log?q=/v1/locations&page_size=1").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"][0]["status"], 429);
}

#[tokio::test]
async fn without_rate_limits_nothing_is_limited() {
    let t = start_with(loopdesk_sandbox::SandboxConfig {
        rate_limits: false,
        ..config()
    })
    .await;
    t.control(Method::POST, "/v1/_test/clock/freeze", None)
        .await;
    // Far over both limits in one frozen instant.
    burst(&t, ADMIN, 150).await;
}
