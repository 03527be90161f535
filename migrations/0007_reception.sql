-- Loopdesk local store, schema version 7: reception.
--
-- Visitors sign themselves in and out at the kiosk; staff sign in and out with their PIN;
-- residents go out with family and come back; the fire roll call is made from these rows and
-- the residents, from this file alone (the network may be down). Visitor sign-ins and
-- sign-outs are also sent to CareLoop (`visitor_sign_in.create`, `visitor_sign_in.sign_out`);
-- staff movements and resident outings stay on this desk (CareLoop has no endpoint for them).
-- Everything here about a visitor is personal data under a retention period (settings
-- `reception_visitor_retention_days`, default 90; screening answers
-- `reception_screening_retention_days`, default 14): the purge deletes rows, and writes only
-- counts to the audit log.

-- Returning visitors: offered by first name and surname initial after three letters, and
-- confirmed with the last three digits of their phone (three wrong answers and they type their
-- details again). `phone` holds the digits as typed, tidied.
CREATE TABLE visitors (
    id                    TEXT PRIMARY KEY NOT NULL,
    first_name            TEXT NOT NULL CHECK (length(trim(first_name)) > 0),
    surname               TEXT NOT NULL CHECK (length(trim(surname)) > 0),
    phone                 TEXT NOT NULL,
    relationship          TEXT,
    car_registration      TEXT,
    company               TEXT,
    -- whom they last visited: 'resident' / 'staff' with an id, or 'other' with a purpose
    last_visiting_kind    TEXT CHECK (last_visiting_kind IN ('resident', 'staff', 'other')),
    last_visiting_id      TEXT,
    last_purpose          TEXT,
    -- the version of the visitor policy they last accepted (0: none)
    policy_version        INTEGER NOT NULL DEFAULT 0,
    -- wrong phone digits in a row, and the quick confirmation closed until then
    confirm_failures      INTEGER NOT NULL DEFAULT 0,
    confirm_closed_until  TEXT,
    -- a confirmed visitor's one-time ticket to sign in without retyping (random; short-lived)
    confirm_token         TEXT,
    confirm_token_until   TEXT,
    created_at            TEXT NOT NULL,
    last_seen_at          TEXT NOT NULL
);
CREATE INDEX visitors_first_name ON visitors (first_name COLLATE NOCASE);
CREATE INDEX visitors_surname ON visitors (surname COLLATE NOCASE);
CREATE INDEX visitors_seen ON visitors (last_seen_at);

-- Visitor sign-ins, rebuilt with what reception needs beside what CareLoop keeps. `id` is the
-- client UUID until CareLoop acknowledges the sign-in, then CareLoop's id (`client_id` keeps
-- the first, so a kiosk that holds it still finds the row).
CREATE TABLE visitor_sign_ins_v7 (
    id                    TEXT PRIMARY KEY NOT NULL,
    client_id             TEXT UNIQUE,
    location_id           TEXT NOT NULL,
    visitor_id            TEXT REFERENCES visitors (id) ON DELETE SET NULL,
    visitor_name          TEXT NOT NULL CHECK (length(trim(visitor_name)) > 0),
    first_name            TEXT,
    visiting_kind         TEXT NOT NULL DEFAULT 'other'
                              CHECK (visiting_kind IN ('resident', 'staff', 'other')),
    visiting_resident_id  TEXT,
    visiting_staff_id     TEXT,
    company               TEXT,
    purpose               TEXT NOT NULL,
    relationship          TEXT,
    phone                 TEXT,
    car_registration      TEXT,
    signed_in_at          TEXT NOT NULL,
    signed_out_at         TEXT,
    -- how they left: 'visitor' (tapped their name), 'code', 'staff', 'automatic', 'declined'
    sign_out_kind         TEXT CHECK (sign_out_kind IN ('visitor', 'code', 'staff', 'automatic',
                                                        'declined')),
    signed_out_by         TEXT,
    sign_out_code         TEXT,
    -- 'pending' while a resident's visits need staff approval and no one has answered
    approval              TEXT NOT NULL DEFAULT 'not_needed'
                              CHECK (approval IN ('not_needed', 'pending', 'approved', 'declined')),
    approval_by           TEXT,
    approval_at           TEXT,
    -- an automatic sign-out a staff member has looked at
    reviewed_at           TEXT,
    reviewed_by           TEXT,
    created_at            TEXT,
    updated_at            TEXT NOT NULL,
    deleted_at            TEXT,
    CHECK (signed_out_at IS NULL OR signed_out_at >= signed_in_at),
    CHECK ((sign_out_kind IS NULL) = (signed_out_at IS NULL))
);
INSERT INTO visitor_sign_ins_v7 (id, client_id, location_id, visitor_name, visiting_kind,
                                 visiting_resident_id, purpose, phone, car_registration,
                                 signed_in_at, signed_out_at, sign_out_kind, created_at,
                                 updated_at, deleted_at)
SELECT id, client_id, location_id, visitor_name,
       CASE WHEN visiting_resident_id IS NULL THEN 'other' ELSE 'resident' END,
       visiting_resident_id, purpose, phone, car_registration, signed_in_at, signed_out_at,
       CASE WHEN signed_out_at IS NULL THEN NULL ELSE 'staff' END, created_at, updated_at,
       deleted_at
FROM visitor_sign_ins;
DROP TABLE visitor_sign_ins;
ALTER TABLE visitor_sign_ins_v7 RENAME TO visitor_sign_ins;
-- the fire roll call and the kiosk's list: who is in the building now
CREATE INDEX visitor_sign_ins_on_site ON visitor_sign_ins (location_id, signed_out_at);
CREATE INDEX visitor_sign_ins_time ON visitor_sign_ins (signed_in_at);
CREATE INDEX visitor_sign_ins_visitor ON visitor_sign_ins (visitor_id);
-- a sign-out code names one visitor among those on site
CREATE UNIQUE INDEX visitor_sign_ins_code ON visitor_sign_ins (sign_out_code)
    WHERE signed_out_at IS NULL AND sign_out_code IS NOT NULL;

-- Health screening answers, kept apart from the sign-in: they are deleted sooner. A "yes"
-- is kept with no sign-in (the visitor was not signed in).
CREATE TABLE screening_answers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    sign_in_id     TEXT REFERENCES visitor_sign_ins (id) ON DELETE CASCADE ON UPDATE CASCADE,
    -- first name and surname initial only
    visitor_label  TEXT NOT NULL,
    answered_at    TEXT NOT NULL,
    -- [{"question": ..., "answer": true|false}]
    answers        TEXT NOT NULL CHECK (json_valid(answers)),
    passed         INTEGER NOT NULL CHECK (passed IN (0, 1))
);
CREATE INDEX screening_answers_time ON screening_answers (answered_at);

-- Staff on site: signed in and out at the kiosk with their PIN (or out by a receptionist).
CREATE TABLE staff_presence (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id        TEXT NOT NULL,
    signed_in_at    TEXT NOT NULL,
    signed_out_at   TEXT,
    signed_out_by   TEXT,
    CHECK (signed_out_at IS NULL OR signed_out_at >= signed_in_at)
);
CREATE UNIQUE INDEX staff_presence_on_site ON staff_presence (staff_id)
    WHERE signed_out_at IS NULL;
CREATE INDEX staff_presence_time ON staff_presence (signed_in_at);

-- Residents out of the building (with family, to hospital...), recorded by staff.
CREATE TABLE resident_outings (
    id                TEXT PRIMARY KEY NOT NULL,
    resident_id       TEXT NOT NULL,
    with_whom         TEXT NOT NULL CHECK (length(trim(with_whom)) > 0),
    out_at            TEXT NOT NULL,
    out_by            TEXT NOT NULL,
    back_at           TEXT,
    back_by           TEXT,
    CHECK (back_at IS NULL OR back_at >= out_at)
);
CREATE UNIQUE INDEX resident_outings_out ON resident_outings (resident_id) WHERE back_at IS NULL;
CREATE INDEX resident_outings_time ON resident_outings (out_at);

-- What a shift lead records about a resident for reception: visits need staff approval (no
-- reason is kept or shown), and personal evacuation notes for the fire roll call.
CREATE TABLE resident_reception (
    resident_id           TEXT PRIMARY KEY NOT NULL,
    visits_need_approval  INTEGER NOT NULL DEFAULT 0 CHECK (visits_need_approval IN (0, 1)),
    evacuation_notes      TEXT,
    updated_by            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);

-- Fire roll calls: who was in the building when it started (a snapshot, so the list and its
-- print agree), and the marshals' ticks.
CREATE TABLE roll_calls (
    id          TEXT PRIMARY KEY NOT NULL,
    started_at  TEXT NOT NULL,
    started_by  TEXT NOT NULL,
    ended_at    TEXT,
    ended_by    TEXT,
    snapshot    TEXT NOT NULL CHECK (json_valid(snapshot))
);
CREATE INDEX roll_calls_time ON roll_calls (started_at);
CREATE TABLE roll_call_ticks (
    roll_call_id  TEXT NOT NULL REFERENCES roll_calls (id) ON DELETE CASCADE,
    person_key    TEXT NOT NULL,
    ticked_at     TEXT NOT NULL,
    ticked_by     TEXT NOT NULL,
    PRIMARY KEY (roll_call_id, person_key)
);
