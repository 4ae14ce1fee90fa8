-- Access requests and their decisions. The database, not memory, settles races: one open
-- request per person and package, one decision per request stage, and a version column
-- for guarded updates.

CREATE TABLE access_requests (
    id TEXT PRIMARY KEY,
    request_type TEXT NOT NULL,
    requestor_id TEXT NOT NULL REFERENCES users (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    package_id TEXT NOT NULL REFERENCES access_packages (id),
    policy_id TEXT NOT NULL,
    state TEXT NOT NULL,
    current_stage BIGINT,
    stage_started_at BIGINT,
    escalated BIGINT NOT NULL,
    justification TEXT,
    answers_json TEXT NOT NULL,
    schedule_start BIGINT,
    schedule_end BIGINT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX access_requests_by_requestor ON access_requests (requestor_id, created_at);
CREATE INDEX access_requests_by_state ON access_requests (state);
CREATE UNIQUE INDEX access_requests_one_open_per_person_and_package
    ON access_requests (requestor_id, package_id)
    WHERE state IN ('submitted', 'pendingApproval', 'approved', 'delivering');

CREATE TABLE request_decisions (
    request_id TEXT NOT NULL REFERENCES access_requests (id),
    stage BIGINT NOT NULL,
    approver_id TEXT NOT NULL REFERENCES users (id),
    decision TEXT NOT NULL,
    justification TEXT,
    decided_at BIGINT NOT NULL,
    PRIMARY KEY (request_id, stage)
);
