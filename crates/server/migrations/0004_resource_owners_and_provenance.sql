-- Who owns each directory object, and where each membership or role came from.
--
-- resource_owners: the owners of groups, applications and sites. Only an administrator or
-- an owner of an object may add it to a catalog (an owner also needs the catalog's own
-- right to manage resources).
--
-- source on the three grant tables: 'directory' for access that existed outside Entrada
-- (every row before this migration, and rows the directory adds), 'entrada' for rows that
-- delivery inserted. Delivery inserts with ON CONFLICT DO NOTHING, so a row that was
-- already there keeps 'directory', and removal deletes only 'entrada' rows.
--
-- assignment_grants: each grant delivery made for an assignment, with the assignment it
-- came from; already_held is 1 when the person held it before (nothing was inserted).

CREATE TABLE resource_owners (
    resource_kind TEXT NOT NULL,
    origin_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (resource_kind, origin_id, user_id)
);
CREATE INDEX resource_owners_by_user ON resource_owners (user_id);

ALTER TABLE group_members ADD COLUMN source TEXT NOT NULL DEFAULT 'directory';
ALTER TABLE application_role_members ADD COLUMN source TEXT NOT NULL DEFAULT 'directory';
ALTER TABLE site_role_members ADD COLUMN source TEXT NOT NULL DEFAULT 'directory';

CREATE TABLE assignment_grants (
    assignment_id TEXT NOT NULL REFERENCES assignments (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    resource_kind TEXT NOT NULL,
    origin_id TEXT NOT NULL,
    role_id TEXT NOT NULL,
    already_held BIGINT NOT NULL,
    PRIMARY KEY (assignment_id, resource_kind, origin_id, role_id)
);
CREATE INDEX assignment_grants_by_user ON assignment_grants (user_id);
