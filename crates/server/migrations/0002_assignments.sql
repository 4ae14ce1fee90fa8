-- Access package assignments. At most one live (delivering or delivered) assignment per
-- person and package, enforced by the database so concurrent grants cannot duplicate it.

CREATE TABLE assignments (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    package_id TEXT NOT NULL REFERENCES access_packages (id),
    policy_id TEXT NOT NULL,
    request_id TEXT,
    state TEXT NOT NULL,
    start_at BIGINT NOT NULL,
    end_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX assignments_by_user ON assignments (user_id);
CREATE INDEX assignments_by_package ON assignments (package_id);
CREATE INDEX assignments_by_state_and_end ON assignments (state, end_at);
CREATE UNIQUE INDEX assignments_one_live_per_person_and_package
    ON assignments (user_id, package_id) WHERE state IN ('delivering', 'delivered');
