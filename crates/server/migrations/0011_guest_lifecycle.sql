-- The guest lifecycle (see the domain's guest.rs): when the lifecycle blocked a guest
-- (their deletion falls due deleteAfterDays later, by the setting in force when the job
-- looks), and when a guest's account was deleted. A deleted account stays as a tombstone
-- (state 'deleted', address replaced, no password) so the audit trail keeps its name.
-- Due-ness is read from these columns on every run, so a restart forgets nothing.

ALTER TABLE users ADD COLUMN blocked_at BIGINT;
ALTER TABLE users ADD COLUMN deleted_at BIGINT;
CREATE INDEX users_by_kind_and_state ON users (kind, state, blocked_at);
