-- Feed cursors count per organisation (events.org_seq), so that a device's cursors tell nothing
-- about other organisations' volume. seq stays the global order of receipt (internal).
-- org_cursors.last is the highest cursor ever issued to the organisation: never reused, even
-- after its newest events are purged.
ALTER TABLE events ADD COLUMN org_seq INTEGER NOT NULL DEFAULT 0;

-- Events stored so far keep the cursors their desks already hold (the global seq, which grows
-- within each organisation too), and every organisation known so far continues above the
-- highest cursor issued until now: a desk's stored cursor still means what it meant.
UPDATE events SET org_seq = seq;

DROP INDEX events_org_seq;
CREATE UNIQUE INDEX events_org_cursor ON events (org, org_seq);

CREATE TABLE org_cursors (
    org  TEXT PRIMARY KEY,
    last INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO org_cursors (org, last)
    SELECT org, (SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0))
    FROM (SELECT org FROM events UNION SELECT org FROM devices);
