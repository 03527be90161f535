//! The API client against a real sandbox: typed errors, retries, Retry-After.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use loopdesk_core::api::{ApiClient, ApiError, ClientOptions, ListQuery, RateGate};
use loopdesk_core::secret::Secret;
use loopdesk_sandbox::{DataSize, KeySpec, SandboxConfig};
use reqwest::Method;
use rstest::rstest;
use serde_json::{json, Value};

use crate::peer::{client_options, config, keys, Peer, DESK_KEY};

fn client(peer: &Peer, key: &str, options: ClientOptions) -> ApiClient {
    ApiClient::new(
        &peer.url(),
        Secret::new(key),
        Arc::new(RateGate::default()),
        options,
    )
    .unwrap()
}

fn page(size: u32) -> ListQuery {
    ListQuery {
        page: 1,
        page_size: size,
        ..ListQuery::default()
    }
}

fn at(r: &Value) -> DateTime<Utc> {
    r["at"].as_str().unwrap().parse().unwrap()
}

/// Uses up the desk key's 5-second window with requests that bypass the client.
async fn exhaust_burst(peer: &Peer) {
    let url = format!("{}/v1/locations", peer.url());
    for _ in 0..30 {
        let s = peer
            .http
            .get(&url)
            .bearer_auth(DESK_KEY)
            .send()
            .await
            .unwrap()
            .status();
        if s == 429 {
            return;
        }
    }
}

#[rstest]
#[case::unknown_key("cl_test_unknown_key_00000000", "/v1/residents", 50, "unauthorized")]
#[case::missing_scope(
    "cl_test_reader_0000000000000",
    "/v1/incidents",
    50,
    "forbidden read:incidents"
)]
#[case::bad_page_size(
    DESK_KEY,
    "/v1/residents",
    500,
    "validation page_size=must_be_between_1_and_100"
)]
#[case::no_such_thing(DESK_KEY, "/v1/residents/res_nobody/care-notes", 50, "not_found")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_answers_become_typed_errors(
    #[case] key: &str,
    #[case] path: &str,
    #[case] size: u32,
    #[case] expected: &str,
) {
    let mut keys = keys(&["admin"]);
    keys.push(KeySpec {
        token: "cl_test_reader_0000000000000".into(),
        scopes: vec!["read:residents".into()],
    });
    let peer = Peer::start(SandboxConfig {
        keys,
        ..config(DataSize::Small)
    })
    .await;
    let mut q = page(100);
    if size > 100 {
        // Bypass the client's clamp to send what the server refuses.
        q.filters.push(("page_size".into(), size.to_string()));
    }
    let err = client(&peer, key, client_options())
        .list(path, &q)
        .await
        .unwrap_err();
    let got = match &err {
        ApiError::Unauthorized { .. } => "unauthorized".to_owned(),
        ApiError::Forbidden { scope, .. } => {
            format!("forbidden {}", scope.as_deref().unwrap_or(""))
        }
        ApiError::Validation { fields, .. } => format!(
            "validation {}",
            fields
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        ),
        ApiError::NotFound { .. } => "not_found".to_owned(),
        other => format!("{other:?}"),
    };
    assert_eq!(got, expected);
    assert!(!err.is_transient());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_429_no_request_goes_out_before_retry_after() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let no_retries = ClientOptions {
        retries: 0,
        ..client_options()
    };
    let c = client(&peer, DESK_KEY, no_retries);
    exhaust_burst(&peer).await;

    let err = c.list("/v1/locations", &page(1)).await.unwrap_err();
    let ApiError::RateLimited { retry_after } = err else {
        panic!("expected a 429, got {err:?}")
    };
    assert!(retry_after.as_secs() >= 1);
    // The same client (same limiter) holds the next request until Retry-After has passed.
    c.list("/v1/locations", &page(1)).await.unwrap();

    let log = peer.desk_requests().await;
    let last = log.last().unwrap();
    let before = &log[log.len() - 2];
    assert_eq!(
        (before["status"].as_u64(), last["status"].as_u64()),
        (Some(429), Some(200))
    );
    let waited = at(last) - at(before);
    assert!(
        waited.to_std().unwrap() >= retry_after,
        "waited {waited} after a 429 that said {retry_after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_retried_once_after_retry_after() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let c = client(&peer, DESK_KEY, client_options());
    exhaust_burst(&peer).await;
    let before = peer.desk_requests().await.len();

    c.list("/v1/locations", &page(1)).await.unwrap();

    let log = peer.desk_requests().await;
    let mine = &log[before..];
    // One refusal, then success: the client never came back early (an early retry would have
    // been refused again).
    let statuses: Vec<u64> = mine.iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [429, 200]);
    assert!(at(&mine[1]) - at(&mine[0]) >= chrono::TimeDelta::seconds(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_with_backoff_then_reported() {
    let peer = Peer::start(config(DataSize::Small)).await;
    let c = client(&peer, DESK_KEY, client_options());
    peer.control(
        Method::POST,
        "faults",
        json!({"fail_next": {"count": 2, "status": 500}}),
    )
    .await;
    let ok = c.list("/v1/locations", &page(10)).await.unwrap();
    assert!(!ok.body.data.is_empty());

    peer.control(
        Method::POST,
        "faults",
        json!({"fail_next": {"count": 10, "status": 503}}),
    )
    .await;
    let one_retry = client(
        &peer,
        DESK_KEY,
        ClientOptions {
            retries: 1,
            ..client_options()
        },
    );
    let err = one_retry
        .list("/v1/locations", &page(10))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Server { status: 503, .. }),
        "{err:?}"
    );
    assert!(err.is_transient());

    // Nothing listens here at all.
    let gone = ApiClient::new(
        "http://127.0.0.1:9",
        Secret::new(DESK_KEY),
        Arc::new(RateGate::default()),
        ClientOptions {
            retries: 1,
            ..client_options()
        },
    )
    .unwrap();
    let err = gone.list("/v1/locations", &page(10)).await.unwrap_err();
    // No connection: the request never left, so nothing can have been done there.
    assert!(matches!(err, ApiError::Unreachable(_)), "{err:?}");
    assert!(err.is_transient() && !err.may_have_been_applied());
}
