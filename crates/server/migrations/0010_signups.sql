-- Sign-ups from outside the organisation that have not verified their e-mail address yet.
-- Only this row exists until verification; verifying deletes it in the same transaction
-- that creates the person, so a link works once (the DELETE's row count settles a double
-- click). Tokens and codes are stored only as SHA-256 hashes. Unverified rows expire and a
-- job deletes them.

CREATE TABLE pending_signups (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    code_hash TEXT NOT NULL,
    failed_code_attempts BIGINT NOT NULL DEFAULT 0 CHECK (failed_code_attempts >= 0),
    expires_at BIGINT NOT NULL,
    return_path TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX pending_signups_expiry ON pending_signups (expires_at);
