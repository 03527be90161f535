-- Loopdesk local store, schema version 8: incidents and falls logged at this desk.
--
-- `incidents` stays CareLoop's copy (what pull stores, and the row a create made here lives in
-- until CareLoop's answer swaps its temporary id). What the desk's form holds beyond CareLoop's
-- shape, what must be notified and the post-fall observations are the desk's own, in the tables
-- below. They refer to the incident by the same id as `incidents` (the client UUID, then
-- CareLoop's id: `sync_state::swap_id` moves them) and keep no foreign key, so a pull that drops
-- an incident older than its window from the cache never takes the desk's record with it.

-- The full form of an incident logged here (JSON of `desk::incidents::IncidentForm`), and what
-- is only on this desk: the desk's own type (CareLoop knows fewer), the status once set here
-- (CareLoop has no endpoint to change it), who logged it.
CREATE TABLE incident_records (
    incident_id        TEXT PRIMARY KEY NOT NULL,
    -- the first id (the client UUID): never changes
    client_id          TEXT NOT NULL UNIQUE,
    form               TEXT NOT NULL CHECK (json_valid(form)),
    desk_type          TEXT NOT NULL,
    location_id        TEXT NOT NULL,
    resident_id        TEXT,
    occurred_at        TEXT NOT NULL,
    -- a head injury in a person on anticoagulants: the form said to call 999
    call_999           INTEGER NOT NULL DEFAULT 0 CHECK (call_999 IN (0, 1)),
    local_status       TEXT CHECK (local_status IN ('open', 'under_review', 'closed')),
    status_changed_by  TEXT,
    status_changed_at  TEXT,
    logged_by          TEXT NOT NULL,
    logged_at          TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX incident_records_resident ON incident_records (resident_id, occurred_at);

-- What a person typed and has not saved yet: kept across a restart and the idle lock.
CREATE TABLE incident_drafts (
    id           TEXT PRIMARY KEY NOT NULL,
    -- the incident being edited, if any
    incident_id  TEXT,
    form         TEXT NOT NULL CHECK (json_valid(form)),
    saved_by     TEXT NOT NULL,
    saved_at     TEXT NOT NULL
);

-- What must likely be notified (decided at entry by the rules of `incidents::duties`), what the
-- person decided, and when a manager marked it sent with its reference.
CREATE TABLE incident_duties (
    id             TEXT PRIMARY KEY NOT NULL,
    incident_id    TEXT NOT NULL,
    duty           TEXT NOT NULL,
    why            TEXT NOT NULL,
    -- RIDDOR's deadlines (calendar days, the home's zone); NULL: "without delay"
    due_at         TEXT,
    decision       TEXT CHECK (decision IN ('will_notify', 'not_needed')),
    decision_note  TEXT,
    decided_by     TEXT,
    decided_at     TEXT,
    sent_at        TEXT,
    sent_by        TEXT,
    reference      TEXT,
    created_at     TEXT NOT NULL,
    UNIQUE (incident_id, duty),
    CHECK ((sent_at IS NULL) = (reference IS NULL)),
    CHECK ((decision IS NULL) = (decided_at IS NULL))
);
CREATE INDEX incident_duties_open ON incident_duties (sent_at, incident_id);

-- Post-fall observations: the schedule made when the fall was saved (the protocol of that
-- moment), each due one reminded once, then recorded or marked missed with a reason.
CREATE TABLE incident_observations (
    id             TEXT PRIMARY KEY NOT NULL,
    incident_id    TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('neuro', 'bruising')),
    due_at         TEXT NOT NULL,
    reminded_at    TEXT,
    outcome        TEXT CHECK (outcome IN ('recorded', 'missed')),
    pupils         TEXT,
    gcs            INTEGER CHECK (gcs IS NULL OR gcs BETWEEN 3 AND 15),
    avpu           TEXT CHECK (avpu IN ('alert', 'voice', 'pain', 'unresponsive')),
    pulse          INTEGER CHECK (pulse IS NULL OR pulse BETWEEN 20 AND 250),
    notes          TEXT,
    missed_reason  TEXT,
    resolved_by    TEXT,
    resolved_at    TEXT,
    CHECK ((outcome IS NULL) = (resolved_at IS NULL)),
    CHECK (outcome IS NOT 'missed' OR length(trim(missed_reason)) > 0)
);
CREATE INDEX incident_observations_incident ON incident_observations (incident_id, due_at);
CREATE INDEX incident_observations_due ON incident_observations (outcome, due_at);
