-- Endpoints receive webhooks; each belongs to one organisation and one signature scheme.
-- The secret must be kept to verify signatures. On rotation the previous secret stays valid
-- until previous_expires_at (unix milliseconds).
CREATE TABLE endpoints (
    id                  TEXT PRIMARY KEY,
    org                 TEXT NOT NULL,
    scheme              TEXT NOT NULL,
    secret              TEXT NOT NULL,
    previous_secret     TEXT,
    previous_expires_at INTEGER,
    created_at          TEXT NOT NULL,
    rotated_at          TEXT
) STRICT;

-- Devices read their organisation's feed with a bearer token; only its SHA-256 is stored.
CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    org         TEXT NOT NULL,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
) STRICT;

-- Verified events. seq is the feed cursor: AUTOINCREMENT so a value is never reused,
-- even after the newest rows are purged.
CREATE TABLE events (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    org              TEXT NOT NULL,
    source           TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    endpoint_id      TEXT NOT NULL,
    type             TEXT NOT NULL,
    occurred_at      TEXT,
    received_at      TEXT NOT NULL,
    received_unix_ms INTEGER NOT NULL,
    resource_id      TEXT,
    data             TEXT NOT NULL,
    UNIQUE (org, source, event_id)
) STRICT;

CREATE INDEX events_org_seq ON events (org, seq);
CREATE INDEX events_received ON events (received_unix_ms);
