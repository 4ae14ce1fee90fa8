-- Sign-ins on their way through the OpenID provider: one row per departure, keyed by the
-- SHA-256 of its state, taken (deleted) by the return, so a state works once.

CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_to TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_logins_by_expiry ON oidc_logins (expires_at);
