-- Loopdesk local store, schema version 5.
--
-- Resident search as a person types: every typed word, in any order, anywhere in the full
-- name, the preferred name or the room ("arsh" finds Marsh and Marshall, "parker brenda" finds
-- Brenda Parker), accents ignored ("zoe" finds Zoë). An FTS5 index with the trigram tokenizer
-- (substrings of three characters or more), kept in step with `residents` by triggers; shorter
-- words are matched directly (see `repo::people::search_residents`).
CREATE VIRTUAL TABLE residents_search USING fts5(
    full_name, preferred_name, room_number,
    content = 'residents', content_rowid = 'rowid',
    tokenize = 'trigram remove_diacritics 1'
);
INSERT INTO residents_search (rowid, full_name, preferred_name, room_number)
SELECT rowid, full_name, coalesce(preferred_name, ''), coalesce(room_number, '') FROM residents;

CREATE TRIGGER residents_search_insert AFTER INSERT ON residents
BEGIN
    INSERT INTO residents_search (rowid, full_name, preferred_name, room_number)
    VALUES (NEW.rowid, NEW.full_name, coalesce(NEW.preferred_name, ''),
            coalesce(NEW.room_number, ''));
END;
CREATE TRIGGER residents_search_delete AFTER DELETE ON residents
BEGIN
    INSERT INTO residents_search (residents_search, rowid, full_name, preferred_name, room_number)
    VALUES ('delete', OLD.rowid, OLD.full_name, coalesce(OLD.preferred_name, ''),
            coalesce(OLD.room_number, ''));
END;
CREATE TRIGGER residents_search_update AFTER UPDATE OF full_name, preferred_name, room_number
    ON residents
BEGIN
    INSERT INTO residents_search (residents_search, rowid, full_name, preferred_name, room_number)
    VALUES ('delete', OLD.rowid, OLD.full_name, coalesce(OLD.preferred_name, ''),
            coalesce(OLD.room_number, ''));
    INSERT INTO residents_search (rowid, full_name, preferred_name, room_number)
    VALUES (NEW.rowid, NEW.full_name, coalesce(NEW.preferred_name, ''),
            coalesce(NEW.room_number, ''));
END;
