//! The request bodies as the OpenAPI document declares them: every rule of the handlers'
//! readers (`input::Input`) that JSON Schema can state, so that a body valid by the document is
//! accepted and an invalid one refused with 422. Written out rather than derived, because the
//! readers' rules (blank text, null versus absent, unknown fields) are not Rust types.
//!
//! What JSON Schema cannot state is in the descriptions, and is answered with 422 too: a
//! referenced id that does not exist (`not_found`), an order between two fields
//! (`must_be_after_…`), a time relative to the sandbox clock (`must_be_in_the_past`,
//! `must_not_be_in_the_future`) and a change the resource's state does not allow
//! (`invalid_transition`, `not_editable_in_this_status`, `already_signed_out`).

use serde_json::{json, Map, Value};

use crate::model::EVENT_TYPES;

/// The characters the readers trim from text (Rust's `char::is_whitespace`), spelled out so that
/// every regular-expression dialect (ECMA-262, Python, Rust) reads the class the same way.
pub const BLANK: &str = r"\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// Text with at least one character that is not blank.
fn not_blank() -> String {
    format!("[^{BLANK}]")
}

/// Text that must be given: not null, not blank, at most `max` characters (counted as sent,
/// surrounding blanks included; they are trimmed before it is stored).
fn text(max: u64) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": not_blank()})
}

/// Text that may be left out: null, or at most `max` characters (blank is stored as null).
fn opt_text(max: u64) -> Value {
    json!({"type": ["string", "null"], "maxLength": max})
}

fn described(mut schema: Value, description: &str) -> Value {
    schema["description"] = json!(description);
    schema
}

/// The id of an existing resource, which must be given.
fn reference(what: &str) -> Value {
    described(
        text(64),
        &format!("The id of an existing {what} (otherwise 422 not_found)"),
    )
}

/// The id of an existing resource, or null.
fn opt_reference(what: &str) -> Value {
    described(
        opt_text(64),
        &format!("The id of an existing {what}, or null (an unknown id: 422 not_found)"),
    )
}

fn date_time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

/// Null, or a date-time (a blank string is not null here: 422 invalid_datetime).
fn opt_date_time() -> Value {
    json!({"oneOf": [{"type": "null"}, date_time()]})
}

fn date() -> Value {
    json!({"type": "string", "format": "date"})
}

/// Null, or a date (a blank string is not null here: 422 invalid_date).
fn opt_date() -> Value {
    json!({"oneOf": [{"type": "null"}, date()]})
}

fn one_of(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn opt_one_of(name: &str) -> Value {
    json!({"oneOf": [{"type": "null"}, one_of(name)]})
}

/// An array of at most `max` items; null is the same as `[]`.
fn opt_array(items: Value, max: u64) -> Value {
    json!({"type": ["array", "null"], "maxItems": max, "items": items})
}

/// An object with these properties only (anything else: 422 unknown_field).
fn object(required: &[&str], properties: Vec<(&str, Value)>) -> Value {
    let properties: Map<String, Value> = properties
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let mut schema = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
    });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

/// Every request body schema, by name.
pub fn schemas() -> Vec<(&'static str, Value)> {
    let contact = object(
        &["name", "relationship"],
        vec![
            (
                "id",
                described(
                    opt_text(64),
                    "Keep an existing contact's id; omitted or unknown ids get a new one.",
                ),
            ),
            ("name", text(200)),
            ("relationship", text(100)),
            ("phone", opt_text(50)),
            (
                "email",
                described(
                    json!({"type": ["string", "null"], "maxLength": 200,
                           "pattern": format!("^[{BLANK}]*$|@")}),
                    "An email address (containing @), or null or blank for none",
                ),
            ),
            ("is_next_of_kin", json!({"type": ["boolean", "null"]})),
        ],
    );
    let create_resident = object(
        &["full_name", "room_number", "date_of_birth", "location_id"],
        vec![
            ("full_name", text(200)),
            (
                "preferred_name",
                described(opt_text(100), "Defaults to the first word of full_name."),
            ),
            ("room_number", text(20)),
            (
                "date_of_birth",
                described(
                    date(),
                    "Before today, sandbox clock (otherwise 422 must_be_in_the_past)",
                ),
            ),
            ("dnar_status", opt_one_of("DnarStatus")),
            ("location_id", reference("location")),
            ("keyworker_id", opt_reference("staff member")),
            ("contacts", opt_array(one_of("ContactInput"), 20)),
            ("admitted_at", opt_date_time()),
        ],
    );
    let update_resident = described(
        object(
            &[],
            vec![
                ("full_name", text(200)),
                ("preferred_name", text(100)),
                ("room_number", text(20)),
                (
                    "date_of_birth",
                    described(
                        date(),
                        "Before today, sandbox clock (otherwise 422 must_be_in_the_past)",
                    ),
                ),
                ("dnar_status", one_of("DnarStatus")),
                (
                    "status",
                    described(
                        one_of("ResidentStatus"),
                        "current → discharged | deceased; discharged → current | deceased; \
                         deceased is final (otherwise 422 invalid_transition)",
                    ),
                ),
                ("location_id", reference("location")),
                ("keyworker_id", opt_reference("staff member")),
                (
                    "contacts",
                    described(
                        opt_array(one_of("ContactInput"), 20),
                        "Replaces the whole list (null: no contacts)",
                    ),
                ),
            ],
        ),
        "Every field optional; only keyworker_id and contacts may be null.",
    );
    let mut create_care_note = object(
        &["category", "body"],
        vec![
            ("category", one_of("NoteCategory")),
            ("body", text(10_000)),
            ("author_staff_id", opt_reference("staff member")),
            (
                "author_name",
                described(
                    opt_text(200),
                    "Required (not blank) when author_staff_id is not given; defaults to \
                     that staff member's name.",
                ),
            ),
            ("recorded_at", opt_date_time()),
        ],
    );
    let given = || json!({"type": "string", "pattern": not_blank()});
    create_care_note["anyOf"] = json!([
        {"required": ["author_staff_id"], "properties": {"author_staff_id": given()}},
        {"required": ["author_name"], "properties": {"author_name": given()}},
    ]);
    let create_certification = object(
        &["course_id"],
        vec![
            ("course_id", reference("course")),
            (
                "issued_on",
                described(
                    opt_date(),
                    "Defaults to today on the homes' calendar (Europe/London, sandbox \
                     clock); not after that date (otherwise 422 must_not_be_in_the_future): \
                     between 00:00 and 01:00 BST, today is a day ahead of UTC's date.",
                ),
            ),
            (
                "expires_on",
                described(
                    opt_date(),
                    "Defaults to issued_on plus the course's validity; after issued_on \
                     (otherwise 422 must_be_after_issued_on).",
                ),
            ),
            ("certificate_number", opt_text(100)),
        ],
    );
    let body_map_entry = object(
        &["region"],
        vec![
            ("region", text(100)),
            ("side", opt_one_of("BodySide")),
            ("note", opt_text(1000)),
        ],
    );
    let witness = object(
        &["name"],
        vec![
            ("name", text(200)),
            ("staff_id", opt_reference("staff member")),
            ("statement", opt_text(10_000)),
        ],
    );
    let fall = object(
        &["place", "was_witnessed", "injury"],
        vec![
            ("place", text(200)),
            ("was_witnessed", json!({"type": "boolean"})),
            ("injury", one_of("Injury")),
            (
                "hospital_transfer",
                described(json!({"type": ["boolean", "null"]}), "Defaults to false."),
            ),
        ],
    );
    let mut create_incident = object(
        &["location_id", "type", "severity", "title"],
        vec![
            ("location_id", reference("location")),
            ("resident_id", opt_reference("resident")),
            ("type", one_of("IncidentType")),
            ("severity", one_of("Severity")),
            (
                "status",
                described(opt_one_of("IncidentStatus"), "Defaults to open."),
            ),
            ("title", text(200)),
            ("description", opt_text(10_000)),
            (
                "occurred_at",
                described(
                    opt_date_time(),
                    "Defaults to now; at most 5 minutes after now, sandbox clock (otherwise \
                     422 must_not_be_in_the_future).",
                ),
            ),
            ("reported_by_staff_id", opt_reference("staff member")),
            ("body_map", opt_array(one_of("BodyMapEntryInput"), 50)),
            ("witnesses", opt_array(one_of("WitnessInput"), 50)),
            (
                "fall",
                described(
                    opt_one_of("FallInput"),
                    "The fall's details (an extension of this sandbox): optional when type is \
                     fall (stored when given, null when not), null or absent otherwise.",
                ),
            ),
        ],
    );
    // A fall may come without its details (CareLoop's documented shape has none); any other
    // type never has them.
    create_incident["if"] = json!({
        "required": ["type"],
        "properties": {"type": {"not": {"const": "fall"}}}
    });
    create_incident["then"] = json!({"properties": {"fall": {"type": "null"}}});
    let create_visit = object(
        &[
            "location_id",
            "staff_user_id",
            "visit_type",
            "starts_at",
            "ends_at",
        ],
        vec![
            ("location_id", reference("location")),
            ("staff_user_id", reference("staff member")),
            ("resident_id", opt_reference("resident")),
            ("visit_type", one_of("VisitType")),
            (
                "starts_at",
                described(
                    date_time(),
                    "At most a year ahead of the sandbox clock (otherwise 422 \
                     must_be_within_a_year); the past is allowed.",
                ),
            ),
            (
                "ends_at",
                described(
                    date_time(),
                    "After starts_at, by at most 24 hours (otherwise 422 \
                     must_be_after_starts_at or must_be_within_24_hours_of_starts_at).",
                ),
            ),
            ("notes", opt_text(10_000)),
        ],
    );
    let update_visit = described(
        object(
            &[],
            vec![
                ("location_id", reference("location")),
                ("staff_user_id", reference("staff member")),
                ("resident_id", opt_reference("resident")),
                ("visit_type", one_of("VisitType")),
                (
                    "starts_at",
                    described(
                        date_time(),
                        "At most a year ahead of the sandbox clock (otherwise 422 \
                         must_be_within_a_year).",
                    ),
                ),
                (
                    "ends_at",
                    described(
                        date_time(),
                        "After starts_at, by at most 24 hours (otherwise 422 \
                         must_be_after_starts_at or must_be_within_24_hours_of_starts_at).",
                    ),
                ),
                ("notes", opt_text(10_000)),
                (
                    "status",
                    described(
                        json!({"type": "string",
                               "enum": ["scheduled", "confirmed", "completed", "cancelled"]}),
                        "scheduled → confirmed | completed | cancelled; confirmed → completed | \
                         cancelled; the same status again changes nothing; no_show is set only \
                         by the sandbox (otherwise 422 invalid_transition).",
                    ),
                ),
                (
                    "cancel_reason",
                    described(
                        opt_text(1000),
                        "Only when the visit is or becomes cancelled (otherwise 422 \
                         only_when_cancelled).",
                    ),
                ),
            ],
        ),
        "Every field optional; only resident_id, notes and cancel_reason may be null. The \
         schedule fields (location_id to ends_at) of a completed, cancelled or no-show visit \
         cannot change (422 not_editable_in_this_status).",
    );
    let create_sign_in = object(
        &["location_id", "visitor_name", "purpose"],
        vec![
            ("location_id", reference("location")),
            ("visitor_name", text(200)),
            ("visiting_resident_id", opt_reference("resident")),
            ("purpose", text(500)),
            ("phone", opt_text(50)),
            ("car_registration", opt_text(20)),
            (
                "signed_in_at",
                described(
                    opt_date_time(),
                    "Defaults to now; at most 5 minutes after now, sandbox clock (otherwise \
                     422 must_not_be_in_the_future).",
                ),
            ),
        ],
    );
    let sign_out = described(
        object(
            &[],
            vec![(
                "signed_out_at",
                described(
                    opt_date_time(),
                    "Defaults to now; not before signed_in_at (otherwise 422 \
                     must_be_after_signed_in_at).",
                ),
            )],
        ),
        "A visitor already signed out cannot sign out again (422 already_signed_out).",
    );
    let count = |max: u64| json!({"type": ["integer", "null"], "minimum": 0, "maximum": max});
    let test_advance = object(
        &["seconds"],
        vec![(
            "seconds",
            json!({"type": "integer", "minimum": 0, "maximum": 10 * 365 * 86_400}),
        )],
    );
    let test_event = object(
        &["type"],
        vec![
            ("type", json!({"type": "string", "enum": EVENT_TYPES})),
            (
                "data",
                json!({"type": ["object", "null"],
                       "description": "Defaults to the data of an existing resource of the matching kind."}),
            ),
        ],
    );
    let test_fail_next = object(
        &[],
        vec![
            ("count", described(count(1_000_000), "Defaults to 1.")),
            (
                "status",
                json!({"type": ["integer", "null"], "enum": [400, 409, 410, 500, 503, null],
                       "description": "500 (the default) or 503, retried by clients; or 400, 409 or 410, refusals."}),
            ),
        ],
    );
    let test_faults = object(
        &[],
        vec![
            ("latency_ms", count(60_000)),
            ("fail_next", opt_one_of("TestFailNext")),
            (
                "drop_after_commit_next",
                described(
                    count(1_000_000),
                    "The next N successful writes are committed, then their connection is \
                     closed before any response byte is sent.",
                ),
            ),
            (
                "garble_after_commit_next",
                described(
                    count(1_000_000),
                    "The next N successful writes are committed, then answered with their \
                     status and a body that is not JSON.",
                ),
            ),
        ],
    );
    vec![
        ("ContactInput", contact),
        ("CreateResident", create_resident),
        ("UpdateResident", update_resident),
        ("CreateCareNote", create_care_note),
        ("CreateCertification", create_certification),
        ("BodyMapEntryInput", body_map_entry),
        ("WitnessInput", witness),
        ("FallInput", fall),
        ("CreateIncident", create_incident),
        ("CreateVisit", create_visit),
        ("UpdateVisit", update_visit),
        ("CreateVisitorSignIn", create_sign_in),
        ("SignOut", sign_out),
        ("TestAdvance", test_advance),
        ("TestEvent", test_event),
        ("TestFailNext", test_fail_next),
        ("TestFaults", test_faults),
    ]
}
