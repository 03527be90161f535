//! The OpenAPI document matches the server: every route is documented and answered, the
//! extensions are marked, and real responses validate against the documented schemas.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

/// The document's REST table, verbatim.
const DOCUMENTED: &[(&str, &str)] = &[
    ("get", "/v1/residents"),
    ("get", "/v1/residents/{id}"),
    ("patch", "/v1/residents/{id}"),
    ("get", "/v1/residents/{id}/care-notes"),
    ("post", "/v1/residents/{id}/care-notes"),
    ("get", "/v1/staff"),
    ("get", "/v1/staff/{id}/certifications"),
    ("post", "/v1/staff/{id}/certifications"),
    ("get", "/v1/incidents"),
    ("post", "/v1/incidents"),
    ("get", "/v1/visits"),
    ("post", "/v1/visits"),
    ("patch", "/v1/visits/{id}"),
    ("get", "/v1/courses"),
    ("get", "/v1/audit-log"),
    ("get", "/v1/openapi.json"),
];

const METHODS: &[&str] = &["get", "post", "patch", "put", "delete"];

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (m, op) in item.as_object().unwrap() {
            out.push((m.clone(), path.clone(), op.clone()));
        }
    }
    out
}

fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    root["components"] = doc["components"].clone();
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .expect("valid schema")
}

fn assert_valid(doc: &Value, schema: &Value, instance: &Value, what: &str) {
    let v = validator(doc, schema);
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema: {errors:#?}\n{instance}"
    );
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

#[tokio::test]
async fn document_lists_exactly_the_served_routes() {
    let t = start().await;
    let doc = t.get("/v1/openapi.json").await.body;
    assert_eq!(doc["openapi"], "3.1.0");
    let in_doc: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect();
    let table: BTreeSet<(String, String)> = loopdesk_sandbox::http::routes(true)
        .iter()
        .map(|r| (r.method.as_str().to_lowercase(), r.path.to_string()))
        .collect();
    assert_eq!(in_doc, table);

    // Every documented operation is answered by a route (never the router's 404 or 405) ...
    for (m, p) in &in_doc {
        t.control(Method::POST, "/v1/_test/rate-limits/reset", None)
            .await;
        let path = p
            .replace("{id}", "x_unknown")
            .replace("{resource}", "unicorns");
        let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
        let body = (method != Method::GET).then(|| json!({}));
        let r = t.req(method, &path, Some(ADMIN), body).await;
        assert_ne!(r.status, 405, "{m} {p}: {}", r.body);
        assert_ne!(
            r.body["error"]["message"], "no such endpoint",
            "{m} {p} is not served"
        );
        assert!(r.status.as_u16() < 500, "{m} {p}: {}", r.body);
    }
    // ... and every other method on a documented path is refused by the router.
    let paths: BTreeSet<&String> = in_doc.iter().map(|(_, p)| p).collect();
    for p in paths {
        for m in METHODS {
            if in_doc.contains(&(m.to_string(), p.clone())) {
                continue;
            }
            t.control(Method::POST, "/v1/_test/rate-limits/reset", None)
                .await;
            let path = p
                .replace("{id}", "x_unknown")
                .replace("{resource}", "unicorns");
            let r = t
                .req(
                    Method::from_bytes(m.to_uppercase().as_bytes()).unwrap(),
                    &path,
                    Some(ADMIN),
                    None,
                )
                .await;
            assert_error(&r, 405, "method_not_allowed");
        }
    }
}

#[tokio::test]
async fn extensions_and_scopes_are_marked() {
    let t = start().await;
    let doc = t.get("/v1/openapi.json").await.body;
    for (m, p, op) in operations(&doc) {
        let documented = DOCUMENTED.contains(&(m.as_str(), p.as_str()));
        assert_eq!(op["x-loopdesk-extension"] == true, !documented, "{m} {p}");
        if let Some(scope) = op.get("x-loopdesk-scope") {
            assert_eq!(op["security"][0]["bearerAuth"][0], *scope, "{m} {p}");
        }
        // Test controls need the admin key, and are neither rate limited nor faulted.
        if p.starts_with("/v1/_test/") {
            assert_eq!(
                op["security"],
                json!([{"bearerAuth": ["admin"]}]),
                "{m} {p}"
            );
            for status in ["401", "403"] {
                assert!(op["responses"][status].is_object(), "{m} {p} {status}");
            }
            for status in ["429", "503"] {
                assert!(op["responses"].get(status).is_none(), "{m} {p} {status}");
            }
        }
        if m == "post" && !p.starts_with("/v1/_test") {
            let params = op["parameters"].as_array().unwrap();
            let idem = params
                .iter()
                .find(|p| p["name"] == "Idempotency-Key")
                .expect("Idempotency-Key documented");
            assert_eq!(idem["x-loopdesk-extension"], true);
        }
        if op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["meta"]
            .is_object()
        {
            let names: Vec<&str> = op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            for n in ["page", "page_size", "updated_since", "include_deleted"] {
                assert!(names.contains(&n), "{m} {p} lacks {n}");
            }
        }
    }
    let scopes: Vec<&str> = doc["x-loopdesk-scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    for s in [
        "read:residents",
        "read:staff",
        "read:incidents",
        "write:visits",
        "admin",
        "write:residents",
        "write:care-notes",
        "read:visits",
        "write:incidents",
        "write:certifications",
        "read:courses",
        "read:audit",
        "read:visitors",
        "write:visitors",
        "read:webhooks",
        "write:webhooks",
    ] {
        assert!(scopes.contains(&s), "{s}");
    }
    let documented: Vec<&str> = doc["x-loopdesk-scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["x-loopdesk-extension"] == false)
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    assert_eq!(
        documented,
        vec![
            "read:residents",
            "read:staff",
            "read:incidents",
            "write:visits",
            "admin"
        ]
    );
    let ids: BTreeSet<String> = operations(&doc)
        .iter()
        .map(|(_, _, op)| op["operationId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), operations(&doc).len(), "operationIds are unique");
    assert!(ids.contains("get_residents_id_care_notes"));
    let schemas = &doc["components"]["schemas"];
    for ext in [
        "VisitorSignIn",
        "WebhookDelivery",
        "Location",
        "CreateResident",
    ] {
        assert_eq!(schemas[ext]["x-loopdesk-extension"], true, "{ext}");
    }
    for documented in [
        "Resident",
        "Visit",
        "Incident",
        "ErrorEnvelope",
        "WebhookEvent",
    ] {
        assert!(
            schemas[documented].get("x-loopdesk-extension").is_none(),
            "{documented}"
        );
    }
    assert_eq!(
        schemas["Resident"]["properties"]["deleted_at"]["x-loopdesk-extension"],
        true
    );
    let hooks: Vec<&String> = doc["webhooks"].as_object().unwrap().keys().collect();
    assert_eq!(hooks.len(), 12);
}

#[tokio::test]
async fn responses_validate_against_the_documented_schemas() {
    let t = start().await;
    let doc = t.get("/v1/openapi.json").await.body;
    // Make some data of every kind first.
    let loc = t.first("/v1/locations").await;
    let res = t.first("/v1/residents?status=current").await;
    let staff = t.first("/v1/staff").await;
    let course = t.first("/v1/courses").await;
    let visit = t.post("/v1/visits", visit_body(&t).await).await.body;
    let deleted = t.post("/v1/visits", visit_body(&t).await).await.body;
    t.control(
        Method::DELETE,
        &format!("/v1/_test/visits/{}", deleted["id"].as_str().unwrap()),
        None,
    )
    .await;
    let sign_in = t
        .post(
            "/v1/visitor-sign-ins",
            json!({"location_id": loc["id"], "visitor_name": "V", "purpose": "p"}),
        )
        .await
        .body;
    let ids = [
        ("/v1/residents/{id}", res["id"].clone()),
        ("/v1/residents/{id}/care-notes", res["id"].clone()),
        ("/v1/staff/{id}", staff["id"].clone()),
        ("/v1/staff/{id}/certifications", staff["id"].clone()),
        ("/v1/visits/{id}", visit["id"].clone()),
        (
            "/v1/incidents/{id}",
            t.first("/v1/incidents").await["id"].clone(),
        ),
    ];
    for (m, p, op) in operations(&doc) {
        if m != "get" || p.starts_with("/v1/_test") || p == "/v1/openapi.json" {
            continue;
        }
        t.control(Method::POST, "/v1/_test/rate-limits/reset", None)
            .await;
        let id = ids
            .iter()
            .find(|(k, _)| *k == p)
            .map(|(_, v)| v.as_str().unwrap().to_string());
        let mut path = p.replace("{id}", id.as_deref().unwrap_or("x"));
        if op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "include_deleted")
        {
            path.push_str("?include_deleted=true&page_size=100");
        }
        let r = t.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        if r.body["data"].is_array() {
            assert!(
                !r.body["data"].as_array().unwrap().is_empty() || p.contains("webhook"),
                "{path} returned no sample"
            );
        }
        assert_valid(
            &doc,
            &op["responses"]["200"]["content"]["application/json"]["schema"],
            &r.body,
            &path,
        );
    }
    // Creations and errors.
    assert_valid(&doc, &schema_ref("Visit"), &visit, "created visit");
    assert_valid(&doc, &schema_ref("VisitorSignIn"), &sign_in, "sign-in");
    let cert = t
        .post(
            &format!("/v1/staff/{}/certifications", staff["id"].as_str().unwrap()),
            json!({"course_id": course["id"]}),
        )
        .await
        .body;
    assert_valid(&doc, &schema_ref("Certification"), &cert, "certification");
    let err = t.post("/v1/visits", json!({})).await.body;
    assert_valid(&doc, &schema_ref("ErrorEnvelope"), &err, "422");
    let err = t.req(Method::GET, "/v1/residents", None, None).await.body;
    assert_valid(&doc, &schema_ref("ErrorEnvelope"), &err, "401");
    let ev = t
        .control(
            Method::POST,
            "/v1/_test/events",
            Some(json!({"type": "incident.critical"})),
        )
        .await
        .body;
    assert_valid(&doc, &schema_ref("WebhookEvent"), &ev, "event");
}

#[tokio::test]
async fn sample_request_bodies_validate_against_the_request_schemas() {
    let t = start().await;
    let doc = t.get("/v1/openapi.json").await.body;
    let body = visit_body(&t).await;
    assert_valid(&doc, &schema_ref("CreateVisit"), &body, "visit body");
    let mut bad = body.clone();
    bad["visit_type"] = json!("dancing");
    assert!(
        !validator(&doc, &schema_ref("CreateVisit")).is_valid(&bad),
        "the schema is not vacuous"
    );
    assert_valid(
        &doc,
        &schema_ref("CreateIncident"),
        &json!({
            "location_id": "loc_x", "type": "fall", "severity": "high", "title": "t",
            "body_map": [{"region": "hip", "side": "left", "note": null}],
            "witnesses": [{"name": "n", "staff_id": null, "statement": "s"}],
            "fall": {"place": "lounge", "was_witnessed": true, "injury": "none", "hospital_transfer": false}
        }),
        "incident body",
    );
    assert_valid(
        &doc,
        &schema_ref("UpdateVisit"),
        &json!({"status": "cancelled", "cancel_reason": "r"}),
        "visit patch",
    );
}

/// Bodies on either side of the bounds the document declares: the document and the server
/// agree on each (valid by the document: created; invalid: 422).
#[tokio::test]
async fn the_server_accepts_exactly_what_the_request_schemas_allow() {
    // Many requests, one key: the limits are not what is tested here.
    let t = start_with(loopdesk_sandbox::SandboxConfig {
        rate_limits: false,
        ..config()
    })
    .await;
    let doc = t.get("/v1/openapi.json").await.body;
    let loc = t.first("/v1/locations").await["id"].clone();
    let res = t.first("/v1/residents?status=current").await["id"].clone();
    let staff = t.first("/v1/staff").await["id"].clone();
    let notes = format!("/v1/residents/{}/care-notes", res.as_str().unwrap());
    let incident = |extra: Value| {
        let mut b = json!({"location_id": loc, "type": "other", "severity": "low", "title": "t"});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let fall = json!({"place": "lounge", "was_witnessed": false, "injury": "none"});
    let cases: Vec<(&str, &str, Value, bool)> = vec![
        ("/v1/incidents", "CreateIncident", incident(json!({})), true),
        (
            "/v1/incidents",
            "CreateIncident",
            incident(json!({"title": " \t\u{3000}"})),
            false,
        ),
        (
            "/v1/incidents",
            "CreateIncident",
            incident(json!({"title": "x".repeat(201)})),
            false,
        ),
        (
            "/v1/incidents",
            "CreateIncident",
            incident(json!({"title": format!(" {} ", "x".repeat(199))})),
            false,
        ),
        (
            "/v1/incidents",
            "CreateIncident",
            incident(json!({"colour": "red"})),
            false,
        ),
        (
            "/v1/incidents",
            "CreateIncident",
            incident(json!({"fall": null})),
            true,
        ),
        (
            "/v1/incidents",
            "CreateIncident",
            incident(json!({"fall": fall})),
            false,
        ),
        (
            "/v1/incidents",
            "CreateIncident",
            incident(json!({"type": "fall"})),
            true,
        ),
        (
            "/v1/incidents",
            "CreateIncident",
            incident(json!({"type": "fall", "fall": null})),
            true,
        ),
        (
            "/v1/incidents",
            "CreateIncident",
            incident(json!({"type": "fall", "fall": fall})),
            true,
        ),
        (
            "/v1/incidents",
            "CreateIncident",
            incident(
                json!({"type": "fall", "fall": {"place": "hall", "was_witnessed": true, "injury": "none", "extra": 1}}),
            ),
            false,
        ),
        (
            "/v1/incidents",
            "CreateIncident",
            incident(json!({"witnesses": [{"name": " "}]})),
            false,
        ),
        (
            &notes,
            "CreateCareNote",
            json!({"category": "general", "body": "b"}),
            false,
        ),
        (
            &notes,
            "CreateCareNote",
            json!({"category": "general", "body": "b", "author_name": "  "}),
            false,
        ),
        (
            &notes,
            "CreateCareNote",
            json!({"category": "general", "body": "b", "author_name": "A"}),
            true,
        ),
        (
            &notes,
            "CreateCareNote",
            json!({"category": "general", "body": "b", "author_staff_id": staff}),
            true,
        ),
        (
            &notes,
            "CreateCareNote",
            json!({"category": "general", "body": " ", "author_name": "A"}),
            false,
        ),
        (
            "/v1/visitor-sign-ins",
            "CreateVisitorSignIn",
            json!({"location_id": loc, "visitor_name": "", "purpose": "p"}),
            false,
        ),
        (
            "/v1/visitor-sign-ins",
            "CreateVisitorSignIn",
            json!({"location_id": loc, "visitor_name": "V", "purpose": "p", "phone": "  "}),
            true,
        ),
        (
            "/v1/residents",
            "CreateResident",
            json!({"full_name": "A B", "room_number": "1", "date_of_birth": "1940-1-1", "location_id": loc}),
            false,
        ),
        (
            "/v1/residents",
            "CreateResident",
            json!({"full_name": "A B", "room_number": "1", "date_of_birth": "1940-01-01", "location_id": loc,
                   "contacts": [{"name": "C", "relationship": "son", "email": "not an address"}]}),
            false,
        ),
        (
            "/v1/residents",
            "CreateResident",
            json!({"full_name": "A B", "room_number": "1", "date_of_birth": "1940-01-01", "location_id": loc,
                   "contacts": [{"name": "C", "relationship": "son", "email": " ", "phone": null}]}),
            true,
        ),
    ];
    for (path, schema, body, valid) in cases {
        let by_doc = validator(&doc, &schema_ref(schema)).is_valid(&body);
        assert_eq!(by_doc, valid, "the document on {schema} {body}");
        let r = t.post(path, body.clone()).await;
        let expected = if valid { 201 } else { 422 };
        assert_eq!(
            r.status, expected,
            "the server on {path} {body}: {}",
            r.body
        );
    }
}

/// The public document (no test controls) is pinned, so any change to the contract shows up in
/// review (`tests/it/snapshots/it__openapi__openapi.snap` is also the readable copy).
#[tokio::test]
async fn the_public_document_is_pinned() {
    let mut cfg = config();
    cfg.test_controls = false;
    let t = start_with(cfg).await;
    let doc = t.get("/v1/openapi.json").await.body;
    assert_eq!(doc, loopdesk_sandbox::http::openapi::document(false));
    insta::assert_json_snapshot!("openapi", doc);
}
