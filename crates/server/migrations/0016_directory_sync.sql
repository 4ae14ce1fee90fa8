-- Directory sync from LDAP / Active Directory (issue 14).
--
-- directory_links: which person or group each directory entry became, keyed by the
-- directory's stable id (entryUUID, or AD's objectGUID), with its current DN. left_at is
-- set when the entry left the directory (the person was blocked, the group's directory
-- memberships went) and cleared when it comes back.
--
-- directory_writes: the memberships Entrada wrote to directory groups (write-back of its
-- grants). A row is written before the directory is changed, and deleted after the
-- membership is taken back, so a crash in between never leaves a membership Entrada wrote
-- that it would not take back. Sync does not read these memberships as the directory's.
--
-- directory_syncs: each sync's figures, for the Integrations page; mark is the highest
-- modifyTimestamp the sync saw, where the next incremental sync starts.
--
-- directory_sync_lease: one row; an instance runs the scheduled sync only while it holds
-- the lease, so several instances on one PostgreSQL database never sync at once.

CREATE TABLE directory_links (
    kind TEXT NOT NULL,
    directory_id TEXT NOT NULL,
    dn TEXT NOT NULL,
    local_id TEXT NOT NULL,
    left_at BIGINT,
    PRIMARY KEY (kind, directory_id),
    UNIQUE (kind, local_id)
);

CREATE TABLE directory_writes (
    group_id TEXT NOT NULL REFERENCES directory_groups (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    written_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

CREATE TABLE directory_syncs (
    id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    mode TEXT NOT NULL,
    started_by TEXT NOT NULL,
    figures_json TEXT NOT NULL,
    error TEXT,
    mark TEXT
);
CREATE INDEX directory_syncs_by_time ON directory_syncs (started_at);

CREATE TABLE directory_sync_lease (
    id BIGINT PRIMARY KEY,
    held_until BIGINT NOT NULL
);
INSERT INTO directory_sync_lease (id, held_until) VALUES (1, 0);
