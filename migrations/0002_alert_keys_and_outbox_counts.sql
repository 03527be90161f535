-- Loopdesk local store, schema version 2.
--
-- 1. An alert can be raised by this desk itself (a critical incident saved here), not only by an
--    event from the polling bridge. Each alert has a key saying what it is about, unique, so that
--    one thing raises one alert however many ways it is reported: `incident:<incident id>` for a
--    critical incident (raised here at once, or by the `incident.critical` webhook later),
--    `event:<bridge event id>` for anything else that came through the bridge.
-- 2. The outbox counts (pending, needs attention) are kept by triggers in the same transaction as
--    the change, so the sync bar reads two numbers instead of counting the whole queue on every
--    write.

CREATE TABLE alerts_v2 (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_key         TEXT NOT NULL UNIQUE,
    -- 'bridge': raised by a bridge event (event_id); 'local': raised by this desk
    source            TEXT NOT NULL CHECK (source IN ('bridge', 'local')),
    event_id          TEXT UNIQUE REFERENCES bridge_events (id),
    kind              TEXT NOT NULL,
    title             TEXT NOT NULL,
    detail            TEXT,
    location_id       TEXT,
    resident_id       TEXT,
    resource_id       TEXT,
    raised_at         TEXT NOT NULL,
    acknowledged_at   TEXT,
    acknowledged_by   TEXT,
    CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL)),
    CHECK ((source = 'bridge') = (event_id IS NOT NULL))
);

-- Existing alerts all came from the bridge. The first alert of each critical incident takes the
-- incident's key; any later one keeps its event's key (nothing is merged or lost).
INSERT INTO alerts_v2 (id, alert_key, source, event_id, kind, title, detail, location_id,
                       resident_id, resource_id, raised_at, acknowledged_at, acknowledged_by)
SELECT a.id,
       CASE
           WHEN a.kind = 'incident.critical' AND a.resource_id IS NOT NULL
                AND a.id = (SELECT min(b.id) FROM alerts b
                            WHERE b.kind = 'incident.critical' AND b.resource_id = a.resource_id)
           THEN 'incident:' || a.resource_id
           ELSE 'event:' || a.event_id
       END,
       'bridge', a.event_id, a.kind, a.title, a.detail, a.location_id, a.resident_id,
       a.resource_id, a.raised_at, a.acknowledged_at, a.acknowledged_by
FROM alerts a;

DROP TABLE alerts;
ALTER TABLE alerts_v2 RENAME TO alerts;
CREATE INDEX alerts_open ON alerts (acknowledged_at, raised_at);

CREATE TABLE outbox_counts (
    status  TEXT PRIMARY KEY NOT NULL CHECK (status IN ('pending', 'needs_attention')),
    n       INTEGER NOT NULL CHECK (n >= 0)
);
INSERT INTO outbox_counts (status, n)
VALUES ('pending', (SELECT count(*) FROM outbox WHERE status = 'pending')),
       ('needs_attention', (SELECT count(*) FROM outbox WHERE status = 'needs_attention'));

CREATE TRIGGER outbox_counts_insert AFTER INSERT ON outbox
BEGIN
    UPDATE outbox_counts SET n = n + 1 WHERE status = NEW.status;
END;
CREATE TRIGGER outbox_counts_delete AFTER DELETE ON outbox
BEGIN
    UPDATE outbox_counts SET n = n - 1 WHERE status = OLD.status;
END;
CREATE TRIGGER outbox_counts_update AFTER UPDATE OF status ON outbox
WHEN OLD.status <> NEW.status
BEGIN
    UPDATE outbox_counts SET n = n - 1 WHERE status = OLD.status;
    UPDATE outbox_counts SET n = n + 1 WHERE status = NEW.status;
END;
