//! The CareLoop REST API client: bearer key, timeouts, the error envelope as a typed
//! [`ApiError`], a client-side rate limiter ([`limit::RateGate`]), `Retry-After` honoured on
//! 429, and retries with exponential backoff and jitter (`backon`) for network errors and 5xx.

pub mod address;
pub mod connection_test;
pub mod limit;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use reqwest::{header, Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::secret::Secret;
pub use limit::{Limits, RateGate};

/// Added to every `Retry-After` wait: the server measures the window with its own clock, and
/// timers and timestamps round to the millisecond, so a wait of exactly `Retry-After` could
/// arrive a hair early by the server's reckoning.
pub const RETRY_AFTER_MARGIN: Duration = Duration::from_millis(100);

/// The largest page the API serves.
pub const MAX_PAGE_SIZE: u32 = 100;

/// Installs the `ring` TLS provider for reqwest (built without one), once per process.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// How the client retries and times out.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Attempts after the first for network errors, 5xx and 429.
    pub retries: usize,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            retries: 3,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// What went wrong talking to CareLoop.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The connection could not be made (refused, DNS): the request was not sent.
    #[error("CareLoop could not be reached: {0}")]
    Unreachable(String),
    /// The request may have been sent but no whole answer came back (reset, timeout): CareLoop
    /// may or may not have done it.
    #[error("CareLoop did not answer: {0}")]
    Network(String),
    /// 5xx.
    #[error("CareLoop had a problem ({status}): {message}")]
    Server { status: u16, message: String },
    /// 429 after the retries.
    #[error("too many requests; CareLoop asked to wait {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// 401: the key is unknown, expired or revoked.
    #[error("API key invalid: {message}")]
    Unauthorized { message: String },
    /// 403: the key lacks `scope`.
    #[error("API key lacks scope {}", scope.as_deref().unwrap_or("(unknown)"))]
    Forbidden {
        scope: Option<String>,
        message: String,
    },
    /// 422: the request was refused, with a code per field.
    #[error("refused by CareLoop: {message}")]
    Validation {
        message: String,
        fields: BTreeMap<String, String>,
    },
    #[error("not found on CareLoop: {message}")]
    NotFound { message: String },
    /// Any other 4xx.
    #[error("CareLoop refused the request ({status} {code}): {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    /// A 2xx whose body is not what the API documents (the detail is for the log).
    #[error("CareLoop sent an answer Loopdesk could not read")]
    Decode(String),
    /// The base URL is not usable (the message says what to type).
    #[error("{0}")]
    BadUrl(String),
}

impl ApiError {
    /// Worth trying again later: the request may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable(_)
            | Self::Network(_)
            | Self::Server { .. }
            | Self::RateLimited { .. } => true,
            // Another request with the same Idempotency-Key is still being processed.
            Self::Rejected { status, code, .. } => *status == 409 && code == "idempotency_conflict",
            _ => false,
        }
    }

    /// CareLoop may have carried out the request although no usable success came back: the
    /// answer was lost, a 5xx came after it was sent, a 2xx could not be read, or a request with
    /// the same `Idempotency-Key` is still running there. Before sending a write again, look for
    /// what it may have made ([`crate::outbox::Operation::find_existing`]).
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Self::Network(_) | Self::Server { .. } | Self::Decode(_) => true,
            Self::Rejected { status, code, .. } => *status == 409 && code == "idempotency_conflict",
            _ => false,
        }
    }

    /// The server cannot be reached at all (every other request would fail the same way).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable(_) | Self::Network(_))
    }

    /// 401 or 403: the key, not the request, is the problem.
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Unauthorized { .. } | Self::Forbidden { .. })
    }
}

/// An error answer, with the delay a 429/503 asked for.
#[derive(Debug)]
struct Failure {
    error: ApiError,
    retry_after: Option<Duration>,
}

/// The error envelope: `{"error": {"code", "message", "fields"?}}`.
#[derive(Debug, Deserialize)]
struct Envelope {
    error: EnvelopeError,
}

#[derive(Debug, Deserialize)]
struct EnvelopeError {
    code: String,
    message: String,
    #[serde(default)]
    fields: Option<BTreeMap<String, String>>,
}

/// `meta` of a list answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct PageMeta {
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

/// One page of a list: items are kept as JSON so that tombstones (`deleted_at`) and live
/// items can be told apart before they are parsed.
#[derive(Debug, Clone, Deserialize)]
pub struct ListPage {
    pub data: Vec<serde_json::Value>,
    pub meta: PageMeta,
}

/// Query of a list endpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub page: u32,
    pub page_size: u32,
    pub updated_since: Option<String>,
    pub include_deleted: bool,
    /// Endpoint filters (`from`, `to`, `location_id`, ...).
    pub filters: Vec<(String, String)>,
}

impl ListQuery {
    fn pairs(&self) -> Vec<(String, String)> {
        let mut q = vec![
            ("page".to_owned(), self.page.max(1).to_string()),
            (
                "page_size".to_owned(),
                self.page_size.clamp(1, MAX_PAGE_SIZE).to_string(),
            ),
        ];
        if let Some(since) = &self.updated_since {
            q.push(("updated_since".to_owned(), since.clone()));
        }
        if self.include_deleted {
            q.push(("include_deleted".to_owned(), "true".to_owned()));
        }
        q.extend(self.filters.iter().cloned());
        q
    }
}

/// A typed answer with the server's `Date`, when it sent one.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub body: T,
    pub status: u16,
    pub date: Option<DateTime<Utc>>,
}

/// A CareLoop API client for one base URL and key.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    key: Secret,
    gate: Arc<RateGate>,
    options: ClientOptions,
    observer: Option<Observer>,
}

/// Told of every failed attempt as it happens (before any retry), so that the desk can say
/// "offline" at the first failed request, not at the end of a cycle.
#[derive(Clone)]
pub struct Observer(pub Arc<dyn Fn(&ApiError) + Send + Sync>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

impl ApiClient {
    /// `base_url` is the server root (`https://api.careloop.com`); paths start with `/v1`.
    pub fn new(
        base_url: &str,
        key: Secret,
        gate: Arc<RateGate>,
        options: ClientOptions,
    ) -> Result<Self, ApiError> {
        install_tls_provider();
        let base = parse_base_url(base_url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .user_agent(concat!("Loopdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Network(e.to_string()))?;
        Ok(Self {
            http,
            base,
            key,
            gate,
            options,
            observer: None,
        })
    }

    /// The same client, telling `observer` of every failed attempt.
    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// One page of a list endpoint (`/v1/residents`, ...).
    pub async fn list(&self, path: &str, query: &ListQuery) -> Result<Answer<ListPage>, ApiError> {
        self.call(Method::GET, path, &query.pairs(), None, None)
            .await
    }

    /// GET a JSON document.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Answer<T>, ApiError> {
        self.call(Method::GET, path, &[], None, None).await
    }

    /// POST a JSON body with an `Idempotency-Key`: a retry after a lost answer never creates a
    /// second resource.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
        idempotency_key: Option<&str>,
    ) -> Result<Answer<T>, ApiError> {
        self.call(Method::POST, path, &[], Some(body), idempotency_key)
            .await
    }

    /// PATCH a JSON body (the key is sent too, for servers that honour it on PATCH).
    pub async fn patch<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
        idempotency_key: Option<&str>,
    ) -> Result<Answer<T>, ApiError> {
        self.call(Method::PATCH, path, &[], Some(body), idempotency_key)
            .await
    }

    /// A write (`POST`, `PATCH`, ...) with a JSON body and an `Idempotency-Key` (sent on every
    /// method, for servers that honour it beyond POST). It is retried here only when CareLoop
    /// cannot have carried it out (the connection could not be made, 429); any other failure is
    /// returned, so that the caller can look for what the write may have made before sending it
    /// again (see [`ApiError::may_have_been_applied`]).
    pub async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &serde_json::Value,
        idempotency_key: Option<&str>,
    ) -> Result<Answer<T>, ApiError> {
        self.retrying(&method, path, &[], Some(body), idempotency_key, |e| {
            e.is_transient() && !e.may_have_been_applied()
        })
        .await
    }

    /// The status of one request without retries or decoding (for "Test connection").
    pub async fn probe(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<u16, ApiError> {
        match self
            .once::<serde_json::Value>(&method, path, query, body, None)
            .await
        {
            Ok(a) => Ok(a.status),
            Err(f) => match f.error {
                ApiError::Network(m) => Err(ApiError::Network(m)),
                ApiError::Unreachable(m) => Err(ApiError::Unreachable(m)),
                ApiError::BadUrl(m) => Err(ApiError::BadUrl(m)),
                other => Ok(status_of(&other)),
            },
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&serde_json::Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer<T>, ApiError> {
        self.retrying(
            &method,
            path,
            query,
            body,
            idempotency_key,
            ApiError::is_transient,
        )
        .await
    }

    /// One request, retried with backoff while `retry` says so.
    async fn retrying<T: DeserializeOwned>(
        &self,
        method: &Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&serde_json::Value>,
        idempotency_key: Option<&str>,
        retry: impl Fn(&ApiError) -> bool,
    ) -> Result<Answer<T>, ApiError> {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.options.min_backoff)
            .with_max_delay(self.options.max_backoff)
            .with_max_times(self.options.retries)
            .with_jitter();
        let attempt = || async {
            let result = self
                .once::<T>(method, path, query, body, idempotency_key)
                .await;
            if let (Err(f), Some(observer)) = (&result, &self.observer) {
                (observer.0)(&f.error);
            }
            result
        };
        attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|f: &Failure| retry(&f.error))
            // 429 and 503 say how long to wait: never retry earlier than that.
            .adjust(|f: &Failure, next| match (f.retry_after, next) {
                (Some(after), Some(next)) => Some((after + RETRY_AFTER_MARGIN).max(next)),
                (_, next) => next,
            })
            .notify(|f: &Failure, wait| {
                tracing::warn!(%method, path, error = %f.error, ?wait, "retrying a CareLoop request");
            })
            .await
            .map_err(|f| f.error)
    }

    async fn once<T: DeserializeOwned>(
        &self,
        method: &Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&serde_json::Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer<T>, Failure> {
        let mut url = self.url(path).map_err(|error| Failure {
            error,
            retry_after: None,
        })?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        self.gate.acquire().await;
        let mut req = self
            .http
            .request(method.clone(), url)
            .bearer_auth(self.key.expose())
            .header(header::ACCEPT, "application/json");
        if let Some(body) = body {
            req = req.json(body);
        }
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        let resp = req.send().await.map_err(|e| Failure {
            error: if e.is_connect() {
                ApiError::Unreachable(describe(&e))
            } else {
                ApiError::Network(describe(&e))
            },
            retry_after: None,
        })?;
        let status = resp.status();
        let date = resp
            .headers()
            .get(header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .map(|d| d.with_timezone(&Utc));
        let retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let bytes = resp.bytes().await.map_err(|e| Failure {
            error: ApiError::Network(describe(&e)),
            retry_after: None,
        })?;
        if status.is_success() {
            let body = serde_json::from_slice(&bytes).map_err(|e| Failure {
                error: {
                    tracing::warn!(error = %e, path, "an answer from CareLoop could not be read");
                    ApiError::Decode(e.to_string())
                },
                retry_after: None,
            })?;
            return Ok(Answer {
                body,
                status: status.as_u16(),
                date,
            });
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            // Everyone waits, not just this request.
            self.gate
                .hold_for(retry_after.unwrap_or(Duration::from_secs(1)) + RETRY_AFTER_MARGIN);
        }
        Err(Failure {
            error: error_from(status, &bytes, retry_after),
            retry_after,
        })
    }

    fn url(&self, path: &str) -> Result<Url, ApiError> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| ApiError::BadUrl(format!("The CareLoop address cannot be used: {e}")))
    }
}

/// The CareLoop address as typed in settings, checked by [`address::check`] (https, or http to
/// this computer only) and made to end in `/` so paths join under it.
pub fn parse_base_url(base_url: &str) -> Result<Url, ApiError> {
    address::check(base_url, "the CareLoop", CARELOOP_EXAMPLE)
        .map_err(|e| ApiError::BadUrl(e.to_string()))
}

/// An address of the right kind, for messages.
pub const CARELOOP_EXAMPLE: &str = "https://api.careloop.com";

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(v.trim()).ok()?;
    let wait = at.with_timezone(&Utc) - Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

fn error_from(status: StatusCode, body: &[u8], retry_after: Option<Duration>) -> ApiError {
    let envelope = serde_json::from_slice::<Envelope>(body)
        .ok()
        .map(|e| e.error);
    let message = envelope
        .as_ref()
        .map(|e| e.message.clone())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    let code = envelope
        .as_ref()
        .map(|e| e.code.clone())
        .unwrap_or_default();
    let fields = envelope.and_then(|e| e.fields).unwrap_or_default();
    match status.as_u16() {
        401 => ApiError::Unauthorized { message },
        403 => ApiError::Forbidden {
            scope: fields.get("scope").cloned(),
            message,
        },
        404 => ApiError::NotFound { message },
        422 => ApiError::Validation { message, fields },
        429 => ApiError::RateLimited {
            retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
        },
        s if s >= 500 => ApiError::Server { status: s, message },
        s => ApiError::Rejected {
            status: s,
            code,
            message,
        },
    }
}

fn status_of(e: &ApiError) -> u16 {
    match e {
        ApiError::Server { status, .. } | ApiError::Rejected { status, .. } => *status,
        ApiError::RateLimited { .. } => 429,
        ApiError::Unauthorized { .. } => 401,
        ApiError::Forbidden { .. } => 403,
        ApiError::Validation { .. } => 422,
        ApiError::NotFound { .. } => 404,
        _ => 0,
    }
}

/// A network error in words, without the URL's query (no secrets are in URLs, but keep it
/// short).
fn describe(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut chain = String::new();
    while let Some(s) = source {
        chain.push_str(&s.to_string().to_lowercase());
        chain.push(' ');
        source = s.source();
    }
    tracing::debug!(error = %e, detail = %chain, "CareLoop request failed");
    network_words(e.is_timeout(), e.is_connect(), &chain).to_owned()
}

/// A failed connection in words for the person at the desk (the library's words go to the
/// log): `chain` is the lower-cased text of the error's causes.
fn network_words(timeout: bool, connect: bool, chain: &str) -> &'static str {
    if timeout {
        "it did not answer in time"
    } else if chain.contains("dns") || chain.contains("lookup") || chain.contains("resolve") {
        "its address could not be found (check the address and this computer's network)"
    } else if chain.contains("certificate") || chain.contains("tls") {
        "its security certificate could not be checked"
    } else if chain.contains("refused") {
        "nothing answered at that address"
    } else if connect {
        "the connection could not be made"
    } else {
        "the connection was broken before it answered"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_failures_are_said_in_words_not_the_librarys() {
        let cases = [
            (
                (true, true, "operation timed out"),
                "did not answer in time",
            ),
            (
                (
                    false,
                    true,
                    "dns error: failed to lookup address information",
                ),
                "address could not be found",
            ),
            (
                (false, true, "invalid peer certificate: unknownissuer"),
                "security certificate",
            ),
            (
                (
                    false,
                    true,
                    "tcp connect error: connection refused (os error 111)",
                ),
                "nothing answered",
            ),
            ((false, true, "something else"), "could not be made"),
            (
                (false, false, "connection reset by peer"),
                "broken before it answered",
            ),
        ];
        for ((timeout, connect, chain), want) in cases {
            let words = network_words(timeout, connect, chain);
            assert!(words.contains(want), "{chain}: {words}");
            assert!(!words.contains("os error"), "{words}");
        }
    }

    #[test]
    fn envelope_keeps_field_codes_and_scope() {
        let body = br#"{"error":{"code":"validation_failed","message":"ends_at must be after starts_at","fields":{"ends_at":"must_be_after_starts_at"}}}"#;
        let e = error_from(StatusCode::UNPROCESSABLE_ENTITY, body, None);
        let ApiError::Validation { fields, message } = e else {
            panic!("not a validation error: {e:?}")
        };
        assert_eq!(fields["ends_at"], "must_be_after_starts_at");
        assert_eq!(message, "ends_at must be after starts_at");

        let body = br#"{"error":{"code":"insufficient_scope","message":"lacks","fields":{"scope":"write:visits"}}}"#;
        let e = error_from(StatusCode::FORBIDDEN, body, None);
        assert_eq!(e.to_string(), "API key lacks scope write:visits");
        assert!(e.is_auth() && !e.is_transient());
    }

    #[test]
    fn a_body_that_is_not_an_envelope_still_gives_a_typed_error() {
        let e = error_from(StatusCode::BAD_GATEWAY, b"<html>", None);
        assert!(matches!(e, ApiError::Server { status: 502, .. }));
        assert!(e.is_transient());
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn base_urls_are_checked_and_joined_under_their_path() {
        let u = parse_base_url(" https://api.example.org/careloop ").unwrap();
        assert_eq!(
            u.join("v1/residents").unwrap().as_str(),
            "https://api.example.org/careloop/v1/residents"
        );
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("not a url").is_err());
        assert!(
            parse_base_url("http://api.example.org").is_err(),
            "plain http off this computer"
        );
    }
}
