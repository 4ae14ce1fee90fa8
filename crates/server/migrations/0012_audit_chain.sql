-- The audit log becomes tamper-evident: every event carries a sequence number, the hash of
-- the event before it and its own hash (SHA-256 over its stored columns and that previous
-- hash). `audit_head` holds the newest sequence number and hash: appending takes its row
-- lock, so concurrent transactions chain one after the other, never fork. Events written
-- before this migration are chained once, in time order, at start-up (`db::migrate`).
-- UPDATE and DELETE on `audit_events` are refused by triggers (installed per backend in
-- `db::migrate`); only retention may delete, and only while it holds the permit row.

-- `subject_id` is the person an event is about (the target person, a request's requestor,
-- an assignment's holder), for the audit page's person filter.
ALTER TABLE audit_events ADD COLUMN subject_id TEXT;
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_events_by_seq ON audit_events (seq);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE audit_prune_permit (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);

-- Filters of the audit page, newest first.
CREATE INDEX audit_events_by_actor ON audit_events (actor_id, at);
CREATE INDEX audit_events_by_subject ON audit_events (subject_id, at);
CREATE INDEX audit_events_by_catalog ON audit_events (catalog_id, at);
CREATE INDEX audit_events_by_package ON audit_events (package_id, at);
CREATE INDEX audit_events_by_action ON audit_events (action, at);
CREATE INDEX audit_events_by_time_and_seq ON audit_events (at, seq);

-- How long events are kept: NULL keeps them for ever (the default).
ALTER TABLE settings ADD COLUMN audit_retention_days INTEGER
    CHECK (audit_retention_days IS NULL OR audit_retention_days BETWEEN 30 AND 36500);
