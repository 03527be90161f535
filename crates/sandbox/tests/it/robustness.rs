//! Property test over the request surface: any method, path, query, headers and body get a
//! well-formed answer — never a 5xx, and every error in the documented envelope.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::Value;

use crate::common::*;

const TEMPLATES: &[&str] = &[
    "/v1/residents",
    "/v1/residents/{id}",
    "/v1/residents/{id}/care-notes",
    "/v1/staff",
    "/v1/staff/{id}",
    "/v1/staff/{id}/certifications",
    "/v1/certifications",
    "/v1/incidents",
    "/v1/incidents/{id}",
    "/v1/visits",
    "/v1/visits/{id}",
    "/v1/courses",
    "/v1/audit-log",
    "/v1/locations",
    "/v1/visitor-sign-ins",
    "/v1/visitor-sign-ins/{id}/sign-out",
    "/v1/webhook-deliveries",
    "/v1/webhook-deliveries/{id}/resend",
    "/v1/openapi.json",
    "/v1/{id}",
    "/{id}",
    "/v1/residents/{id}/{id}",
    "/v1//residents",
];

const FIELDS: &[&str] = &[
    "location_id",
    "staff_user_id",
    "resident_id",
    "visit_type",
    "starts_at",
    "ends_at",
    "notes",
    "status",
    "type",
    "severity",
    "title",
    "fall",
    "body_map",
    "witnesses",
    "contacts",
    "category",
    "body",
    "course_id",
    "issued_on",
    "expires_on",
    "visitor_name",
    "purpose",
    "keyworker_id",
    "full_name",
    "room_number",
    "date_of_birth",
    "region",
    "name",
    "place",
    "injury",
    "was_witnessed",
    "signed_out_at",
    "cancel_reason",
    "page",
    "page_size",
    "updated_since",
    "include_deleted",
    "q",
    "from",
    "to",
    "on_site",
    "role",
];

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    path: String,
    query: Vec<(String, String)>,
    auth: u8,
    content_type: Option<&'static str>,
    idem: Option<String>,
    body: Option<Vec<u8>>,
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[ -~]{0,20}".prop_map(Value::String),
        prop_oneof![
            Just("2026-05-12T09:00:00Z"),
            Just("fall"),
            Just("critical"),
            Just("scheduled"),
            Just("cancelled"),
            Just("personal_care"),
            Just("1999-02-30"),
            Just("general")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(FIELDS), inner), 0..6).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

fn segment(ids: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(ids),
        "[A-Za-z0-9_.~-]{0,12}",
        prop::sample::select(vec![
            "%FF",
            "%00",
            "..",
            "%2F",
            "res_%E2%82%AC",
            "a%20b",
            "%C3%28"
        ])
        .prop_map(str::to_string),
    ]
}

fn case(ids: Vec<String>) -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec![
            "GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS",
        ]),
        prop::sample::select(TEMPLATES),
        prop::collection::vec(segment(ids), 3),
        prop::collection::vec((prop::sample::select(FIELDS), "[ -~]{0,12}"), 0..4),
        0u8..3,
        prop::option::of(prop::sample::select(vec![
            "application/json",
            "text/plain",
            "application/json; charset=utf-8",
            "application/problem+json",
            "multipart/form-data",
            "application/jsonx",
        ])),
        prop::option::of("[!-~]{0,300}"),
        prop_oneof![
            Just(None),
            json_value().prop_map(|v| Some(serde_json::to_vec(&v).unwrap())),
            prop::collection::vec(any::<u8>(), 0..64).prop_map(Some),
        ],
    )
        .prop_map(
            |(method, tpl, segs, query, auth, content_type, idem, body)| {
                let mut path = tpl.to_string();
                for s in segs {
                    path = path.replacen("{id}", &s, 1);
                }
                Case {
                    method,
                    path,
                    query: query.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                    auth,
                    content_type,
                    idem,
                    body,
                }
            },
        )
}

#[test]
fn any_request_gets_a_well_formed_answer() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(start());
    let ids: Vec<String> = rt.block_on(async {
        let mut ids = Vec::new();
        for p in [
            "/v1/residents",
            "/v1/staff",
            "/v1/visits",
            "/v1/incidents",
            "/v1/visitor-sign-ins",
        ] {
            ids.push(t.first(p).await["id"].as_str().unwrap().to_string());
        }
        ids
    });
    let mut runner = TestRunner::new(Config {
        cases: 400,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&case(ids), |c| {
            let (status, ct, body) = rt.block_on(async {
                t.control(Method::POST, "/v1/_test/rate-limits/reset", None)
                    .await;
                let url = reqwest::Url::parse_with_params(&t.url(&c.path), &c.query).unwrap();
                let mut rb = t
                    .http
                    .request(Method::from_bytes(c.method.as_bytes()).unwrap(), url);
                match c.auth {
                    0 => rb = rb.bearer_auth(ADMIN),
                    1 => rb = rb.bearer_auth("cl_live_wrong"),
                    _ => {}
                }
                if let Some(ct) = c.content_type {
                    rb = rb.header("content-type", ct);
                }
                if let Some(k) = &c.idem {
                    rb = rb.header("idempotency-key", k);
                }
                if let Some(b) = &c.body {
                    rb = rb.body(b.clone());
                }
                let r = rb.send().await.expect("the server answers");
                let status = r.status();
                let ct = r
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                (status, ct, r.bytes().await.unwrap())
            });
            prop_assert!(
                status.as_u16() < 500,
                "{c:?} -> {status}: {}",
                String::from_utf8_lossy(&body)
            );
            if c.method != "HEAD" {
                prop_assert_eq!(ct.as_str(), "application/json", "{:?} -> {}", c, status);
                let v: Value = serde_json::from_slice(&body)
                    .map_err(|e| TestCaseError::fail(format!("{c:?}: not JSON: {e}")))?;
                if status.as_u16() >= 400 {
                    prop_assert!(v["error"]["code"].is_string(), "{c:?} -> {v}");
                    prop_assert!(v["error"]["message"].is_string(), "{c:?} -> {v}");
                }
            }
            Ok(())
        })
        .unwrap();
    rt.block_on(async { drop(t) });
}
