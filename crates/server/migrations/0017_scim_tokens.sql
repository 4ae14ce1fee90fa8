-- SCIM provisioning (issue 14): the bearer tokens identity providers use, and what SCIM
-- keeps about the people and groups it writes.
--
-- scim_tokens: one row per token made by `entrada scim token create`, keyed by its
-- name; only the SHA-256 of the token is stored (as for sessions). A revoked token
-- stays, so its name cannot be reused to mistake one provider for another.
--
-- scim_resources: for each person ('user') or directory group ('group') a SCIM client
-- wrote, the client's externalId, the formatted name when it differs from the display
-- name, and the meta SCIM shows (created, lastModified, and the version its ETag names).

CREATE TABLE scim_tokens (
    name TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE scim_resources (
    kind TEXT NOT NULL,
    local_id TEXT NOT NULL,
    external_id TEXT,
    name_formatted TEXT,
    created_at BIGINT NOT NULL,
    last_modified_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (kind, local_id)
);
