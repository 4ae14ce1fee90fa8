-- Lifecycle edges (issue 8, parts 7 and 9), portable between SQLite and PostgreSQL.

-- A package with request or assignment history is archived instead of deleted: hidden
-- from requestors, unrequestable, kept for audit and reports.
ALTER TABLE access_packages ADD COLUMN archived BIGINT NOT NULL DEFAULT 0;

-- The policy an OPEN request goes through, as a real foreign key. `policy_id` keeps the
-- history (a decided request may outlive its policy, shown as "Deleted policy"), so the
-- database cannot check it; `open_policy_id` equals it while the request is open and is
-- cleared when the request closes. The database thus refuses to delete a policy that an
-- open request goes through, and to submit a request through a policy deleted at the same
-- moment, on both backends, whatever the interleaving.
ALTER TABLE access_requests ADD COLUMN open_policy_id TEXT REFERENCES assignment_policies (id);
UPDATE access_requests SET open_policy_id = policy_id
    WHERE state IN ('submitted', 'pendingApproval', 'approved', 'delivering')
      AND policy_id IN (SELECT id FROM assignment_policies);
CREATE INDEX access_requests_by_open_policy ON access_requests (open_policy_id);
