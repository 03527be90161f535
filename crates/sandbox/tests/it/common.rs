//! A sandbox per test, a small HTTP client around it, and the deadline every wait in these
//! tests has.

use std::future::Future;
use std::time::Duration;

use loopdesk_sandbox::{KeySpec, Sandbox, SandboxConfig, SandboxHandle};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const ADMIN: &str = "cl_test_admin";

/// The longest any one wait in these tests may take (a request, a webhook, a polled state, a
/// process's output) before the test fails instead of hanging.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Awaits `fut`, failing the test if it takes longer than [`DEADLINE`].
pub async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(DEADLINE, fut).await {
        Ok(out) => out,
        Err(_) => panic!("{what}: not done within {} s", DEADLINE.as_secs()),
    }
}

pub struct T {
    pub sb: SandboxHandle,
    pub http: reqwest::Client,
}

pub fn key(token: &str, scopes: &[&str]) -> KeySpec {
    KeySpec {
        token: token.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
    }
}

pub fn config() -> SandboxConfig {
    SandboxConfig {
        keys: vec![key(ADMIN, &["admin"])],
        test_controls: true,
        ..SandboxConfig::default()
    }
}

/// An HTTP client whose every request fails after [`DEADLINE`] rather than hang.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(DEADLINE)
        .build()
        .expect("client")
}

pub async fn start() -> T {
    start_with(config()).await
}

pub async fn start_with(cfg: SandboxConfig) -> T {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(cfg).await.expect("sandbox starts");
    T { sb, http: client() }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl T {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sb.base_url(), path)
    }

    pub async fn req(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut rb = self.http.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        into_resp(rb.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.req(Method::GET, path, Some(ADMIN), None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.req(Method::POST, path, Some(ADMIN), Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.req(Method::PATCH, path, Some(ADMIN), Some(body)).await
    }

    /// A test control (with the admin key, which they need).
    pub async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let r = self.req(method, path, Some(ADMIN), body).await;
        assert!(
            r.status.is_success(),
            "test control {path} failed: {} {}",
            r.status,
            r.body
        );
        r
    }

    pub async fn advance(&self, seconds: u64) {
        self.control(
            Method::POST,
            "/v1/_test/clock/advance",
            Some(serde_json::json!({"seconds": seconds})),
        )
        .await;
    }

    /// Ids of the first page of a list.
    pub async fn first(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r.body["data"][0].clone()
    }

    /// Every item of a list, following pages.
    pub async fn all(&self, path: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        for page in 1.. {
            let r = self
                .get(&format!("{path}{sep}page_size=100&page={page}"))
                .await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
            let data = r.body["data"].as_array().expect("data").clone();
            let done = data.len() < 100;
            out.extend(data);
            if done {
                break;
            }
        }
        out
    }
}

pub async fn into_resp(r: reqwest::Response) -> Resp {
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Resp {
        status,
        headers,
        body,
    }
}

/// Asserts the documented error envelope with this status and code.
pub fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "body: {}", r.body);
    assert_eq!(r.body["error"]["code"], code, "body: {}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message: {}",
        r.body
    );
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
}

/// A time `days` after a day about a month from now (visits may be scheduled up to a year
/// ahead), at `time` ("09:00"), as the API writes it.
pub fn ahead(days: i64, time: &str) -> String {
    let day = chrono::Utc::now().date_naive() + chrono::TimeDelta::days(30 + days);
    format!("{day}T{time}:00Z")
}

/// A valid visit body at the first location with a carer.
pub async fn visit_body(t: &T) -> Value {
    let loc = t.first("/v1/locations").await["id"].clone();
    let staff = t.first("/v1/staff?role=carer").await["id"].clone();
    serde_json::json!({
        "location_id": loc, "staff_user_id": staff, "visit_type": "personal_care",
        "starts_at": ahead(0, "09:00"), "ends_at": ahead(0, "10:00"), "notes": "Prefers shower."
    })
}

impl T {
    /// Polls `path` until `pred` holds (forgetting rate-limit windows between polls so that
    /// polling never trips them), and returns the body. Fails after [`DEADLINE`].
    pub async fn wait_for(&self, path: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let poll = async {
            loop {
                self.control(Method::POST, "/v1/_test/rate-limits/reset", None)
                    .await;
                let r = self.get(path).await;
                if r.status == 200 && pred(&r.body) {
                    return r.body;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        within(&format!("{path} reaching the expected state"), poll).await
    }
}
