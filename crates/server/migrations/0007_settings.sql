-- Organisation-wide settings: one row, whose values the database itself keeps valid.
-- The first is what happens to an external person when their last assignment ends
-- (Entra's defaults: block sign-in, then delete after 30 days).

CREATE TABLE settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    external_on_last_assignment_end TEXT NOT NULL DEFAULT 'blockThenDelete'
        CHECK (external_on_last_assignment_end IN ('nothing', 'block', 'blockThenDelete')),
    external_delete_after_days INTEGER NOT NULL DEFAULT 30
        CHECK (external_delete_after_days BETWEEN 1 AND 3650),
    updated_at BIGINT
);
INSERT INTO settings (id) VALUES (1);
