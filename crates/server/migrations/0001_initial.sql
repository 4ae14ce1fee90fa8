-- Entrada's schema, portable between SQLite and PostgreSQL: TEXT ids made in Rust,
-- BIGINT unix-millisecond timestamps, BIGINT 0/1 flags, JSON kept as TEXT.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    department TEXT,
    job_title TEXT,
    manager_id TEXT REFERENCES users (id),
    connected_org_id TEXT,
    password_hash TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE global_roles (
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE directory_groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES directory_groups (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id);

CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    roles_json TEXT NOT NULL
);

CREATE TABLE application_role_members (
    application_id TEXT NOT NULL REFERENCES applications (id),
    role_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (application_id, role_id, user_id)
);

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    roles_json TEXT NOT NULL
);

CREATE TABLE site_role_members (
    site_id TEXT NOT NULL REFERENCES sites (id),
    role_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (site_id, role_id, user_id)
);

CREATE TABLE connected_organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    domains_json TEXT NOT NULL,
    state TEXT NOT NULL,
    internal_sponsors_json TEXT NOT NULL,
    external_sponsors_json TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE catalogs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    external_users_allowed BIGINT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE catalog_roles (
    id TEXT PRIMARY KEY,
    catalog_id TEXT NOT NULL REFERENCES catalogs (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    UNIQUE (catalog_id, user_id, role)
);
CREATE INDEX catalog_roles_by_user ON catalog_roles (user_id);

CREATE TABLE catalog_resources (
    id TEXT PRIMARY KEY,
    catalog_id TEXT NOT NULL REFERENCES catalogs (id),
    kind TEXT NOT NULL,
    origin_id TEXT NOT NULL,
    name TEXT NOT NULL,
    roles_json TEXT NOT NULL,
    UNIQUE (catalog_id, kind, origin_id)
);

CREATE TABLE access_packages (
    id TEXT PRIMARY KEY,
    catalog_id TEXT NOT NULL REFERENCES catalogs (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    hidden BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (catalog_id, name)
);

CREATE TABLE package_resource_roles (
    id TEXT PRIMARY KEY,
    package_id TEXT NOT NULL REFERENCES access_packages (id),
    resource_id TEXT NOT NULL REFERENCES catalog_resources (id),
    role_id TEXT NOT NULL,
    role_name TEXT NOT NULL,
    UNIQUE (package_id, resource_id, role_id)
);

CREATE TABLE assignment_policies (
    id TEXT PRIMARY KEY,
    package_id TEXT NOT NULL REFERENCES access_packages (id),
    name TEXT NOT NULL,
    rules_json TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX assignment_policies_by_package ON assignment_policies (package_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    catalog_id TEXT,
    package_id TEXT,
    details_json TEXT NOT NULL
);
CREATE INDEX audit_events_by_time ON audit_events (at);
