-- Loopdesk local store, schema version 1: the whole local cache, the outbox and desk state.
--
-- Conventions
--   * Cached CareLoop resources are keyed by the server id (`id`). A row created on this desk
--     carries its client UUID in `client_id`, and uses it as `id` until the server has
--     acknowledged it; the sync engine then swaps in the server id in the same transaction that
--     removes the outbox entry.
--   * `updated_at` is the server's; `deleted_at` marks a tombstone received from the server.
--   * Foreign keys tie child rows to their owner (contacts, body map, witnesses: deleted with
--     it). References between resources (a visit's staff member, a resident's keyworker) are plain
--     ids without a constraint: server pages arrive in any order and tombstones must apply even
--     when other rows still point at the deleted one.
--   * Timestamps are RFC 3339 UTC text, dates are YYYY-MM-DD text.
--   * No secrets are ever stored here (API key, device tokens, PINs live in the OS keyring).

CREATE TABLE locations (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    address     TEXT,
    created_at  TEXT,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);

CREATE TABLE staff (
    id               TEXT PRIMARY KEY NOT NULL,
    full_name        TEXT NOT NULL,
    preferred_name   TEXT,
    role             TEXT NOT NULL CHECK (role IN ('carer', 'senior_carer', 'nurse', 'shift_lead',
                                                   'manager', 'housekeeping', 'kitchen')),
    email            TEXT,
    phone            TEXT,
    location_id      TEXT,
    status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    -- the server's certification summary, as JSON {total, valid, expiring_30, ...}
    cert_summary     TEXT,
    created_at       TEXT,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
);
CREATE INDEX staff_location ON staff (location_id);

CREATE TABLE residents (
    id               TEXT PRIMARY KEY NOT NULL,
    client_id        TEXT UNIQUE,
    full_name        TEXT NOT NULL,
    preferred_name   TEXT,
    room_number      TEXT,
    date_of_birth    TEXT,
    status           TEXT NOT NULL CHECK (status IN ('current', 'discharged', 'deceased')),
    dnar_status      TEXT NOT NULL DEFAULT 'not_recorded'
                         CHECK (dnar_status IN ('for_resus', 'dnar', 'not_recorded')),
    location_id      TEXT,
    keyworker_id     TEXT,
    admitted_at      TEXT,
    discharged_at    TEXT,
    created_at       TEXT,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
);
CREATE INDEX residents_location ON residents (location_id, status);
CREATE INDEX residents_name ON residents (full_name COLLATE NOCASE);

CREATE TABLE resident_contacts (
    id              TEXT PRIMARY KEY NOT NULL,
    resident_id     TEXT NOT NULL REFERENCES residents (id) ON DELETE CASCADE ON UPDATE CASCADE,
    name            TEXT NOT NULL,
    relationship    TEXT,
    phone           TEXT,
    email           TEXT,
    is_next_of_kin  INTEGER NOT NULL DEFAULT 0 CHECK (is_next_of_kin IN (0, 1)),
    position        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX resident_contacts_resident ON resident_contacts (resident_id, position);

CREATE TABLE courses (
    id               TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    code             TEXT,
    scope            TEXT NOT NULL CHECK (scope IN ('system', 'organization')),
    mandatory        INTEGER NOT NULL DEFAULT 0 CHECK (mandatory IN (0, 1)),
    validity_months  INTEGER,
    created_at       TEXT,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
);

CREATE TABLE certifications (
    id                  TEXT PRIMARY KEY NOT NULL,
    client_id           TEXT UNIQUE,
    staff_id            TEXT NOT NULL,
    course_id           TEXT NOT NULL,
    course_name         TEXT,
    issued_on           TEXT NOT NULL,
    expires_on          TEXT,
    status              TEXT,
    certificate_number  TEXT,
    created_at          TEXT,
    updated_at          TEXT NOT NULL,
    deleted_at          TEXT
);
CREATE INDEX certifications_staff ON certifications (staff_id, course_id);
CREATE INDEX certifications_expiry ON certifications (expires_on);

CREATE TABLE visits (
    id              TEXT PRIMARY KEY NOT NULL,
    client_id       TEXT UNIQUE,
    location_id     TEXT NOT NULL,
    staff_user_id   TEXT,
    resident_id     TEXT,
    visit_type      TEXT NOT NULL,
    starts_at       TEXT NOT NULL,
    ends_at         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('scheduled', 'confirmed', 'completed',
                                                    'cancelled', 'no_show')),
    notes           TEXT,
    confirmed_at    TEXT,
    completed_at    TEXT,
    cancelled_at    TEXT,
    cancel_reason   TEXT,
    created_at      TEXT,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT,
    CHECK (ends_at > starts_at)
);
CREATE INDEX visits_location_start ON visits (location_id, starts_at);
CREATE INDEX visits_staff ON visits (staff_user_id, starts_at);

CREATE TABLE incidents (
    id                    TEXT PRIMARY KEY NOT NULL,
    client_id             TEXT UNIQUE,
    location_id           TEXT NOT NULL,
    resident_id           TEXT,
    type                  TEXT NOT NULL CHECK (type IN ('fall', 'medication_error', 'behaviour',
                                                        'safeguarding', 'pressure_injury', 'other')),
    severity              TEXT NOT NULL CHECK (severity IN ('low', 'moderate', 'high', 'critical')),
    status                TEXT NOT NULL DEFAULT 'open'
                              CHECK (status IN ('open', 'under_review', 'closed')),
    title                 TEXT NOT NULL,
    description           TEXT,
    occurred_at           TEXT NOT NULL,
    reported_by_staff_id  TEXT,
    -- falls register data, present when type = 'fall'
    fall_place            TEXT,
    fall_was_witnessed    INTEGER CHECK (fall_was_witnessed IN (0, 1)),
    fall_injury           TEXT CHECK (fall_injury IN ('none', 'minor', 'major')),
    fall_hospital_transfer INTEGER CHECK (fall_hospital_transfer IN (0, 1)),
    created_at            TEXT,
    updated_at            TEXT NOT NULL,
    deleted_at            TEXT
);
CREATE INDEX incidents_location_time ON incidents (location_id, occurred_at);
CREATE INDEX incidents_resident ON incidents (resident_id, occurred_at);

CREATE TABLE incident_body_map (
    incident_id  TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE ON UPDATE CASCADE,
    position     INTEGER NOT NULL,
    region       TEXT NOT NULL,
    side         TEXT CHECK (side IN ('left', 'right', 'front', 'back')),
    note         TEXT,
    PRIMARY KEY (incident_id, position)
);

CREATE TABLE incident_witnesses (
    incident_id  TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE ON UPDATE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    staff_id     TEXT,
    statement    TEXT,
    PRIMARY KEY (incident_id, position)
);

CREATE TABLE care_notes (
    id               TEXT PRIMARY KEY NOT NULL,
    client_id        TEXT UNIQUE,
    resident_id      TEXT NOT NULL,
    author_staff_id  TEXT,
    author_name      TEXT NOT NULL,
    category         TEXT NOT NULL DEFAULT 'general',
    body             TEXT NOT NULL CHECK (length(trim(body)) > 0),
    recorded_at      TEXT NOT NULL,
    created_at       TEXT,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
);
CREATE INDEX care_notes_resident ON care_notes (resident_id, recorded_at);

CREATE TABLE visitor_sign_ins (
    id                    TEXT PRIMARY KEY NOT NULL,
    client_id             TEXT UNIQUE,
    location_id           TEXT NOT NULL,
    visitor_name          TEXT NOT NULL CHECK (length(trim(visitor_name)) > 0),
    visiting_resident_id  TEXT,
    purpose               TEXT NOT NULL,
    phone                 TEXT,
    car_registration      TEXT,
    signed_in_at          TEXT NOT NULL,
    signed_out_at         TEXT,
    created_at            TEXT,
    updated_at            TEXT NOT NULL,
    deleted_at            TEXT,
    CHECK (signed_out_at IS NULL OR signed_out_at >= signed_in_at)
);
-- the fire roll call: who is in the building now
CREATE INDEX visitor_sign_ins_on_site ON visitor_sign_ins (location_id, signed_out_at);

-- Local writes waiting for the server, in the order they were made. An entry is removed only
-- after the server acknowledged it (2xx), in the transaction that records the server's id.
CREATE TABLE outbox (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- the client UUID, sent as Idempotency-Key
    client_id        TEXT NOT NULL UNIQUE,
    op               TEXT NOT NULL,
    entity           TEXT NOT NULL,
    entity_id        TEXT NOT NULL,
    payload          TEXT NOT NULL CHECK (json_valid(payload)),
    status           TEXT NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'needs_attention')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    -- the server's per-field error codes when the entry needs attention, as JSON
    field_errors     TEXT CHECK (field_errors IS NULL OR json_valid(field_errors)),
    next_attempt_at  TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX outbox_entity ON outbox (entity, entity_id, seq);
CREATE INDEX outbox_status ON outbox (status, seq);

-- Events received from the polling bridge, each stored once.
CREATE TABLE bridge_events (
    id           TEXT PRIMARY KEY NOT NULL,
    cursor       TEXT NOT NULL,
    source       TEXT NOT NULL,
    type         TEXT NOT NULL,
    occurred_at  TEXT,
    received_at  TEXT NOT NULL,
    resource_id  TEXT,
    data         TEXT NOT NULL CHECK (json_valid(data)),
    stored_at    TEXT NOT NULL
);
CREATE INDEX bridge_events_type ON bridge_events (type, received_at);

-- Alerts raised at the desk (incident.critical, visit.no_show); they stay until acknowledged.
CREATE TABLE alerts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id          TEXT NOT NULL UNIQUE REFERENCES bridge_events (id),
    kind              TEXT NOT NULL,
    title             TEXT NOT NULL,
    detail            TEXT,
    location_id       TEXT,
    resident_id       TEXT,
    resource_id       TEXT,
    raised_at         TEXT NOT NULL,
    acknowledged_at   TEXT,
    acknowledged_by   TEXT,
    CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL))
);
CREATE INDEX alerts_open ON alerts (acknowledged_at, raised_at);

-- Per-resource pull state: the updated_since cursor and the last outcome.
CREATE TABLE sync_state (
    resource         TEXT PRIMARY KEY NOT NULL,
    cursor           TEXT,
    last_full_at     TEXT,
    last_success_at  TEXT,
    last_error       TEXT,
    last_error_at    TEXT
);

-- Desk settings that are not secret (API base URL, this desk's location, bridge URL, ...).
CREATE TABLE settings (
    key         TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- What happened on this desk, for an inspection: who did what, when. Append-only.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT,
    entity_id  TEXT,
    detail     TEXT CHECK (detail IS NULL OR json_valid(detail))
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
