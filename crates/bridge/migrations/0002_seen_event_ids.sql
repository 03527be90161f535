-- Event ids already received, per (org, source), for dedupe. Kept apart from the events so that
-- an id outlives its event: a delivery replayed after the retention purge is still a duplicate.
-- remember_until_ms (unix milliseconds) is when the id may be forgotten: by then a replay is
-- refused anyway (its occurred_at is past the retention, or its signed timestamp past the
-- tolerance). NULL: never forgotten (an event with neither).
CREATE TABLE seen_events (
    org               TEXT NOT NULL,
    source            TEXT NOT NULL,
    event_id          TEXT NOT NULL,
    first_seen_ms     INTEGER NOT NULL,
    remember_until_ms INTEGER,
    PRIMARY KEY (org, source, event_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX seen_events_remember_until ON seen_events (remember_until_ms)
    WHERE remember_until_ms IS NOT NULL;

-- The events stored so far: remembered for good (this migration does not know the retention
-- they were received under).
INSERT INTO seen_events (org, source, event_id, first_seen_ms, remember_until_ms)
    SELECT org, source, event_id, received_unix_ms, NULL FROM events;
