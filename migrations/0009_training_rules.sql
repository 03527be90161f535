-- Loopdesk local store, schema version 8: the training matrix's rules and notices (issue 14).
--
-- Self-contained: only new tables, so it can be renumbered when merged with other work.
--
-- Which courses each staff role must hold, as a manager set them on this desk. Until a manager
-- saves the rules (no row in training_rules_state), the desk uses its default set for UK adult
-- social care, matched against CareLoop's course catalogue.
CREATE TABLE training_requirements (
    role        TEXT NOT NULL,
    course_id   TEXT NOT NULL,
    PRIMARY KEY (role, course_id)
) WITHOUT ROWID;

-- A course's renewal period as a manager set it (else the catalogue's validity, else a year;
-- three years for food hygiene).
CREATE TABLE training_renewal_periods (
    course_id   TEXT PRIMARY KEY NOT NULL,
    months      INTEGER NOT NULL CHECK (months > 0)
) WITHOUT ROWID;

-- Whether (and by whom) the rules were set on this desk: one row.
CREATE TABLE training_rules_state (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    configured_at  TEXT NOT NULL,
    configured_by  TEXT
);

-- The desk's own training notices, raised once each: a certification entering the 30-day
-- window (`expiring`) or expiring (`expired`), counted on the desk's clock and the home's
-- calendar. Keyed by staff member, course and expiry date, so a renewal (a new expiry date)
-- may be noticed again and a notice is not raised a second time after a restart.
CREATE TABLE training_notices (
    staff_id    TEXT NOT NULL,
    course_id   TEXT NOT NULL,
    expires_on  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('expiring', 'expired')),
    raised_at   TEXT NOT NULL,
    PRIMARY KEY (staff_id, course_id, expires_on, kind)
) WITHOUT ROWID;
