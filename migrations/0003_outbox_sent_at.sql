-- Loopdesk local store, schema version 3.
--
-- `outbox.sent_at`: when a request for the entry may first have reached CareLoop. It is set,
-- and committed, before the first request goes out, so that after a lost answer, a timeout or
-- the desk being killed mid-request the desk knows to look for what the write may already
-- have made before it sends it again (CareLoop does not promise to honour Idempotency-Key).
ALTER TABLE outbox ADD COLUMN sent_at TEXT;
