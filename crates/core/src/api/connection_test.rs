//! "Test connection": what the saved key can read and write. Nothing is created: write probes
//! send a deliberately invalid body (403: no scope; 404/422: allowed).

use reqwest::Method;
use serde::Serialize;
use serde_json::json;
use ts_rs::TS;

use super::{ApiClient, ApiError};

/// The result of "Test connection".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ConnectionTest {
    pub ok: bool,
    pub message: String,
    /// Resources the key may read (`residents`, `staff`, ...).
    pub can_read: Vec<String>,
    /// Resources the key may write (`visits`, `care_notes`, ...).
    pub can_write: Vec<String>,
}

impl ConnectionTest {
    /// A test that could not be made or failed, with its reason.
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            ok: false,
            message: message.into(),
            can_read: vec![],
            can_write: vec![],
        }
    }
}

const READS: [(&str, &str); 7] = [
    ("locations", "/v1/locations"),
    ("residents", "/v1/residents"),
    ("staff", "/v1/staff"),
    ("certifications", "/v1/certifications"),
    ("courses", "/v1/courses"),
    ("visits", "/v1/visits"),
    ("incidents", "/v1/incidents"),
];

const WRITES: [(&str, &str); 5] = [
    ("visits", "/v1/visits"),
    ("care_notes", "/v1/residents/res_loopdesk_probe/care-notes"),
    ("incidents", "/v1/incidents"),
    (
        "certifications",
        "/v1/staff/stf_loopdesk_probe/certifications",
    ),
    ("visitor_sign_ins", "/v1/visitor-sign-ins"),
];

/// Probes every resource the desk reads and writes with `client`.
pub async fn test_connection(client: &ApiClient) -> ConnectionTest {
    let one = vec![("page_size".to_owned(), "1".to_owned())];
    let mut can_read = Vec::new();
    let mut can_write = Vec::new();
    let failed = |e: ApiError| {
        ConnectionTest::failed(match &e {
            ApiError::Network(_) | ApiError::Unreachable(_) => format!(
                "CareLoop could not be reached at {}: {e}",
                client.base_url()
            ),
            _ => e.to_string(),
        })
    };
    for (name, path) in READS {
        match client.probe(Method::GET, path, &one, None).await {
            Ok(200) => can_read.push(name.to_owned()),
            Ok(401) => {
                return ConnectionTest::failed("API key invalid: CareLoop does not accept it.")
            }
            Ok(403) | Ok(404) => {}
            Ok(status) => {
                return failed(ApiError::Server {
                    status,
                    message: format!("{path} answered {status}"),
                })
            }
            Err(e) => return failed(e),
        }
    }
    for (name, path) in WRITES {
        match client
            .probe(Method::POST, path, &[], Some(&json!({})))
            .await
        {
            Ok(403) | Ok(401) => {}
            Ok(400 | 404 | 409 | 415 | 422) => can_write.push(name.to_owned()),
            Ok(status) => {
                tracing::warn!(path, status, "unexpected answer to a write probe");
            }
            Err(e) => return failed(e),
        }
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "nothing".to_owned()
        } else {
            v.join(", ").replace('_', " ")
        }
    };
    ConnectionTest {
        ok: true,
        message: format!(
            "Connected. This key can read {} and write {}.",
            list(&can_read),
            list(&can_write)
        ),
        can_read,
        can_write,
    }
}
