-- Failed sign-ins, kept for fifteen minutes, so sign-in can be throttled per account and
-- per client address across restarts and across instances sharing the database.

CREATE TABLE sign_in_attempts (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    attempted_at BIGINT NOT NULL
);
CREATE INDEX sign_in_attempts_by_account ON sign_in_attempts (account, attempted_at);
CREATE INDEX sign_in_attempts_by_address ON sign_in_attempts (address, attempted_at);
CREATE INDEX sign_in_attempts_by_time ON sign_in_attempts (attempted_at);
