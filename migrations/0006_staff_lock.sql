-- Loopdesk local store, schema version 6: the staff lock.
--
-- Staff open the console with a PIN. A PIN is stored only as its Argon2id hash (a PHC string:
-- algorithm, parameters, salt, hash); the PIN itself is kept nowhere. Each PIN gives its staff
-- member a role at this desk: receptionist, shift lead or manager.
CREATE TABLE staff_pins (
    staff_id    TEXT PRIMARY KEY NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('receptionist', 'shift_lead', 'manager')),
    pin_hash    TEXT NOT NULL CHECK (pin_hash LIKE '$argon2id$%'),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- A staff member who leaves (deleted or made inactive in CareLoop) loses their PIN.
CREATE TRIGGER staff_pins_leave_deleted AFTER DELETE ON staff
BEGIN
    DELETE FROM staff_pins WHERE staff_id = OLD.id;
END;
CREATE TRIGGER staff_pins_leave_inactive AFTER UPDATE OF status, deleted_at ON staff
WHEN NEW.status <> 'active' OR NEW.deleted_at IS NOT NULL
BEGIN
    DELETE FROM staff_pins WHERE staff_id = NEW.id;
END;

-- Wrong PINs in a row at this desk, and the lock-out they caused (one row). After five wrong
-- PINs, PIN entry is refused for five minutes, doubling with each lock-out in a row.
CREATE TABLE pin_attempts (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    failures      INTEGER NOT NULL DEFAULT 0,
    lockouts      INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT
);
INSERT INTO pin_attempts (id) VALUES (1);

-- Who at this desk last confirmed, completed or cancelled a visit (the API has no field for it).
ALTER TABLE visits ADD COLUMN changed_by TEXT;
