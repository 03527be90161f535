-- The bridge's schema on PostgreSQL: the same tables as on SQLite (migrations/0001-0003 there),
-- shared by every bridge (replica) that uses the database.

-- Endpoints receive webhooks; each belongs to one organisation and one signature scheme.
-- previous_expires_at: unix milliseconds until which the previous secret still verifies.
CREATE TABLE endpoints (
    id                  TEXT PRIMARY KEY,
    org                 TEXT NOT NULL,
    scheme              TEXT NOT NULL,
    secret              TEXT NOT NULL,
    previous_secret     TEXT,
    previous_expires_at BIGINT,
    created_at          TEXT NOT NULL,
    rotated_at          TEXT
);

-- Devices read their organisation's feed with a bearer token; only its SHA-256 is stored.
CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    org         TEXT NOT NULL,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

-- The highest cursor ever issued to each organisation: never reused, even after its newest
-- events are purged. An insert takes the organisation's row lock (UPDATE) and keeps it until
-- its commit, so cursors of one organisation become visible in the order they were issued,
-- whichever bridge committed them (see the README, "Cursors on PostgreSQL").
CREATE TABLE org_cursors (
    org  TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

-- Verified events; org_seq is the feed cursor, per organisation.
CREATE TABLE events (
    org              TEXT NOT NULL,
    org_seq          BIGINT NOT NULL,
    source           TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    endpoint_id      TEXT NOT NULL,
    type             TEXT NOT NULL,
    occurred_at      TEXT,
    received_at      TEXT NOT NULL,
    received_unix_ms BIGINT NOT NULL,
    resource_id      TEXT,
    data             TEXT NOT NULL,
    PRIMARY KEY (org, org_seq),
    UNIQUE (org, source, event_id)
);

CREATE INDEX events_received ON events (received_unix_ms);

-- Event ids already received, per (org, source), for dedupe; kept apart from the events so that
-- an id outlives its event. remember_until_ms: when it may be forgotten (NULL: never).
CREATE TABLE seen_events (
    org               TEXT NOT NULL,
    source            TEXT NOT NULL,
    event_id          TEXT NOT NULL,
    first_seen_ms     BIGINT NOT NULL,
    remember_until_ms BIGINT,
    PRIMARY KEY (org, source, event_id)
);

CREATE INDEX seen_events_remember_until ON seen_events (remember_until_ms)
    WHERE remember_until_ms IS NOT NULL;
