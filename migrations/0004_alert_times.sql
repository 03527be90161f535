-- Loopdesk local store, schema version 4.
--
-- `alerts.when_at`: the time an alert is about (a missed visit's start, an incident's time).
-- Its words ("today at 10:00", "Wed 1 Jan 2025 at 10:00") are written when the alert is read,
-- not when it was raised, so that "today" never goes stale; the title and detail hold `{when}`
-- where they go.
ALTER TABLE alerts ADD COLUMN when_at TEXT;
