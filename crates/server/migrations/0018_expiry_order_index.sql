-- The expiry job claims due assignments in pages ordered by (end_at, id), resuming after
-- the last one by a row comparison. With (state, end_at) alone both databases read every
-- due assignment and sorted them for each page: at 100,000 due (issue 12's expiry
-- benchmark) that was 70 ms a page and 3.5 of the job's 12.4 s on PostgreSQL. With the
-- id in the index each page is a range read in order. The new index serves every query
-- the old one did, so the old one goes.
CREATE INDEX assignments_by_state_end_and_id ON assignments (state, end_at, id);
DROP INDEX assignments_by_state_and_end;
