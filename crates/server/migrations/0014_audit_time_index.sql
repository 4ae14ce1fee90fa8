-- audit_events_by_time (at) is the leading column of audit_events_by_time_and_seq (at, seq),
-- which serves every query the first served: one fewer index to write on each of the
-- audit log's appends (issue 12: the expiry job appends an event per ended assignment).
DROP INDEX audit_events_by_time;
