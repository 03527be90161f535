//! The OpenAPI 3.1 document served at `GET /v1/openapi.json` (made once when the router is
//! built). Response schemas come from the model types (utoipa), request bodies from `bodies`
//! (written out with the readers' rules); paths are generated from the same route table that
//! builds the router, so the document and the server cannot disagree about what exists.

#![allow(dead_code)] // the types below exist only to describe the API

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use utoipa::{OpenApi, ToSchema};

use super::bodies;
use super::exempt::{is_public, is_test_control};
use super::route::RouteDef;
use super::scopes::SCOPES;
use super::table::routes;
use super::testing;
use crate::model::*;

#[derive(ToSchema)]
pub struct ErrorBody {
    #[schema(example = "validation_failed")]
    code: String,
    #[schema(example = "ends_at must be after starts_at")]
    message: String,
    /// Per-field error codes (422), or the missing scope (403, as `scope`).
    fields: Option<std::collections::BTreeMap<String, String>>,
}

/// The error envelope every error response uses.
#[derive(ToSchema)]
pub struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(ToSchema)]
pub struct TestClock {
    now: DateTime<Utc>,
    frozen: bool,
}

#[derive(ToSchema)]
pub struct TestFaultsStateFail {
    count: u32,
    status: u16,
}

#[derive(ToSchema)]
pub struct TestFaultsState {
    latency_ms: u64,
    fail_next: TestFaultsStateFail,
    drop_after_commit_next: u32,
    garble_after_commit_next: u32,
}

#[derive(ToSchema)]
pub struct TestOk {
    ok: bool,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "CareLoop API (Loopdesk sandbox)",
        version = "1.0.0",
        description = "The CareLoop REST API as documented, served by loopdesk-sandbox. Operations and parameters marked `x-loopdesk-extension: true` are sandbox extensions the desk relies on. Scopes: see `x-loopdesk-scopes`."
    ),
    components(schemas(
        Location,
        LocationRef,
        StaffRef,
        Contact,
        Resident,
        ResidentStatus,
        DnarStatus,
        StaffRole,
        StaffStatus,
        CertificationSummary,
        Staff,
        CourseScope,
        Course,
        CertificationStatus,
        Certification,
        VisitType,
        VisitStatus,
        Visit,
        IncidentType,
        Severity,
        IncidentStatus,
        BodySide,
        BodyMapEntry,
        Witness,
        Injury,
        FallDetails,
        Incident,
        NoteCategory,
        CareNote,
        VisitorSignIn,
        AuditEntry,
        DeliveryStatus,
        WebhookDelivery,
        WebhookEvent,
        PageMeta,
        ErrorBody,
        ErrorEnvelope,
        TestClock,
        TestFaultsStateFail,
        TestFaultsState,
        TestOk
    ))
)]
struct ApiDoc;

/// An `Idempotency-Key` the server takes: visible ASCII (tabs and spaces inside), not blank.
const IDEMPOTENCY_KEY: &str = r"^[\t\x20-\x7e]*[\x21-\x7e][\t\x20-\x7e]*$";

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn param_schema(ty: &str) -> Value {
    match ty {
        "integer" => json!({"type": "integer"}),
        "boolean" => json!({"type": "boolean"}),
        "date-time" => json!({"type": "string", "format": "date-time"}),
        t => match t.strip_prefix("enum:") {
            Some(vals) => json!({"type": "string", "enum": vals.split('|').collect::<Vec<_>>()}),
            None => json!({"type": "string"}),
        },
    }
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema_ref("ErrorEnvelope")}}})
}

fn operation(d: &RouteDef) -> Value {
    let mut params = Vec::new();
    for seg in d.path.split('/') {
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let schema = match name {
                "resource" => json!({"type": "string", "enum": testing::RESOURCES}),
                _ => json!({"type": "string"}),
            };
            params.push(json!({"name": name, "in": "path", "required": true, "schema": schema}));
        }
    }
    if d.list_of.is_some() {
        params.push(
            json!({"name": "page", "in": "query", "description": "1-based page number (1 to 1,000,000)",
            "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}}),
        );
        params.push(
            json!({"name": "page_size", "in": "query", "description": "Items per page (1 to 100)",
            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}}),
        );
        params.push(json!({"name": "updated_since", "in": "query", "x-loopdesk-extension": true,
            "description": "Only items with updated_at after this time, ordered by (updated_at, id)",
            "schema": {"type": "string", "format": "date-time"}}));
        params.push(
            json!({"name": "include_deleted", "in": "query", "x-loopdesk-extension": true,
            "description": "Include deleted items as tombstones (with deleted_at)",
            "schema": {"type": "boolean", "default": false}}),
        );
    }
    for (name, ty, desc) in d.query {
        params.push(
            json!({"name": name, "in": "query", "description": desc, "schema": param_schema(ty)}),
        );
    }
    let test_control = is_test_control(d.path);
    let is_post = d.method == axum::http::Method::POST;
    if is_post && !test_control {
        params.push(json!({"name": "Idempotency-Key", "in": "header", "x-loopdesk-extension": true,
            "description": "Same key and same body: the first 2xx response is replayed (header Idempotent-Replayed: true) and nothing new is created; same key, different body, or while the first request with the key is still running: 409 idempotency_conflict. 1 to 255 visible ASCII characters (otherwise 400 invalid_idempotency_key).",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": IDEMPOTENCY_KEY}}));
    }
    let mut responses = Map::new();
    let ok_schema = match (d.list_of, d.response) {
        (Some(item), _) => Some(json!({
            "type": "object", "required": ["data", "meta"],
            "properties": {"data": {"type": "array", "items": schema_ref(item)}, "meta": schema_ref("PageMeta")}
        })),
        (None, Some(r)) => Some(schema_ref(r)),
        (None, None) => None,
    };
    let ok = match ok_schema {
        Some(schema) => {
            json!({"description": "Success", "content": {"application/json": {"schema": schema}}})
        }
        None => {
            json!({"description": "Success", "content": {"application/json": {"schema": {"type": "object"}}}})
        }
    };
    responses.insert(d.status.to_string(), ok);
    let public = is_public(d.path);
    if !public {
        responses.insert(
            "401".into(),
            error_response("Missing or unknown API key (code unauthorized)"),
        );
        if d.scope.is_some() {
            responses.insert("403".into(), error_response("The key lacks the scope; the message names it and fields.scope holds it (code insufficient_scope)"));
        }
        responses.insert(
            "500".into(),
            error_response("Internal error (code internal_error)"),
        );
    }
    // Test controls are neither rate limited nor affected by injected faults.
    if !public && !test_control {
        responses.insert("429".into(), json!({
            "description": "Rate limited (120/min per key, 30 per 5 s); wait Retry-After seconds (code rate_limited)",
            "headers": {"Retry-After": {"description": "Whole seconds, at least 1", "schema": {"type": "integer", "minimum": 1}}},
            "content": {"application/json": {"schema": schema_ref("ErrorEnvelope")}}
        }));
        responses.insert(
            "503".into(),
            error_response("Temporarily unavailable (code service_unavailable)"),
        );
    }
    if d.path.contains('{') {
        responses.insert(
            "404".into(),
            error_response("No such resource (code not_found)"),
        );
    }
    if d.list_of.is_some() || !d.query.is_empty() || d.body.is_some() {
        responses.insert("422".into(), error_response("Validation failed: fields maps each field to an error code (code validation_failed)"));
    }
    // A keyed POST's body is read (for its hash) whether or not the operation takes one.
    let keyed = is_post && !test_control;
    if d.body.is_some() || keyed {
        let bad_request = match (d.body.is_some(), keyed) {
            (true, true) => "Body is not valid JSON (code invalid_json), or Idempotency-Key is not 1 to 255 visible ASCII characters (code invalid_idempotency_key)",
            (true, false) => "Body is not valid JSON (code invalid_json)",
            _ => "Idempotency-Key is not 1 to 255 visible ASCII characters (code invalid_idempotency_key)",
        };
        responses.insert("400".into(), error_response(bad_request));
        responses.insert(
            "413".into(),
            error_response("Body too large (code payload_too_large)"),
        );
        responses.insert(
            "415".into(),
            error_response("Body is not declared as JSON (code unsupported_media_type)"),
        );
    }
    if keyed {
        responses.insert(
            "409".into(),
            error_response(
                "Idempotency-Key reused with a different body, or its first request is still running (code idempotency_conflict)",
            ),
        );
    }
    // e.g. get_residents_id_care_notes
    let words = d
        .path
        .trim_start_matches("/v1/")
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    let op_id = format!("{}_{words}", d.method.as_str().to_lowercase());
    let mut op = json!({
        "operationId": op_id,
        "summary": d.summary,
        "parameters": params,
        "responses": responses,
    });
    op["security"] = if public {
        json!([])
    } else {
        json!([{"bearerAuth": d.scope.map(|s| vec![s]).unwrap_or_default()}])
    };
    if let Some(scope) = d.scope {
        op["x-loopdesk-scope"] = json!(scope);
    }
    if let Some(body) = d.body {
        op["requestBody"] = json!({
            "required": d.body_required,
            "content": {"application/json": {"schema": schema_ref(body)}}
        });
    }
    if d.extension {
        op["x-loopdesk-extension"] = json!(true);
    }
    if test_control {
        op["x-loopdesk-test-control"] = json!(true);
    }
    op
}

/// Schemas of resources and requests that exist only as sandbox extensions.
const EXTENSION_SCHEMAS: &[&str] = &[
    "Location",
    "VisitorSignIn",
    "WebhookDelivery",
    "DeliveryStatus",
    "CreateResident",
    "CreateVisitorSignIn",
    "SignOut",
];

/// The whole document for a server with or without test controls.
pub fn document(test_controls: bool) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    doc["openapi"] = json!("3.1.0");
    doc["servers"] = json!([{"url": "/", "description": "this sandbox"}]);
    let mut paths = Map::new();
    for d in routes(test_controls) {
        let entry = paths.entry(d.path.to_string()).or_insert_with(|| json!({}));
        entry[d.method.as_str().to_lowercase()] = operation(&d);
    }
    doc["paths"] = Value::Object(paths);
    let scopes: Vec<Value> = SCOPES
        .iter()
        .map(|(s, documented, desc)| {
            json!({"scope": s, "description": desc, "x-loopdesk-extension": !documented})
        })
        .collect();
    doc["x-loopdesk-scopes"] = json!(scopes);
    let scope_text: Vec<String> = SCOPES
        .iter()
        .map(|(s, documented, desc)| {
            format!(
                "`{s}`{}: {desc}",
                if *documented { "" } else { " (extension)" }
            )
        })
        .collect();
    doc["components"]["securitySchemes"] = json!({
        "bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": format!("API key as a bearer token. The scope an operation needs is its security requirement's role (and x-loopdesk-scope). admin grants everything; write:X grants read:X; write:residents grants write:care-notes; read:staff grants read:courses. Scopes: {}", scope_text.join("; "))
        }
    });
    for (name, schema) in bodies::schemas() {
        doc["components"]["schemas"][name] = schema;
    }
    doc["components"]["schemas"]["TestTombstone"] = json!({"type": "object", "description": "The deleted resource's last shape with deleted_at", "required": ["id", "deleted_at"]});
    doc["components"]["schemas"]["TestModify"] = json!({"type": "object", "description": "Fields to overwrite (not id, created_at, updated_at, deleted_at)"});
    doc["components"]["schemas"]["TestModified"] = json!({"type": "object", "description": "The resource's new shape", "required": ["id", "updated_at"]});
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        if !test_controls {
            schemas.retain(|name, _| !name.starts_with("Test"));
        }
        // Mark what the CareLoop document does not have.
        for (name, schema) in schemas.iter_mut() {
            if EXTENSION_SCHEMAS.contains(&name.as_str()) || name.starts_with("Test") {
                schema["x-loopdesk-extension"] = json!(true);
            }
            if let Some(deleted) = schema.pointer_mut("/properties/deleted_at") {
                deleted["x-loopdesk-extension"] = json!(true);
            }
        }
    }
    let mut hooks = Map::new();
    for t in EVENT_TYPES {
        hooks.insert(t.to_string(), json!({"post": {
            "summary": format!("{t} event"),
            "parameters": [
                {"name": "X-CareLoop-Event", "in": "header", "required": true, "schema": {"type": "string", "const": t}},
                {"name": "X-CareLoop-Signature", "in": "header", "required": true,
                 "description": "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>", "schema": {"type": "string"}},
                {"name": "X-CareLoop-Delivery", "in": "header", "required": true, "description": "dlv_ id, the same on retries of one delivery", "schema": {"type": "string"}}
            ],
            "requestBody": {"required": true, "content": {"application/json": {"schema": schema_ref("WebhookEvent")}}},
            "responses": {"2XX": {"description": "Accepted. Anything else is retried after 1 min, 5 min, 30 min, 2 h and 6 h (divided by the sandbox's time scale), then given up."}}
        }}));
    }
    doc["webhooks"] = Value::Object(hooks);
    doc
}
