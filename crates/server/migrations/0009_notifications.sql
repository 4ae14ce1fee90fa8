-- E-mail notifications.
--
-- Each person may turn off the optional kinds of message (the domain's
-- `MessageKind::optional`); a row here means "do not write this kind for me". The CHECK
-- lists exactly the optional kinds, so a required kind can never be turned off.
CREATE TABLE notification_opt_outs (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL
        CHECK (kind IN ('alreadyDecided', 'accessEndingIn7Days', 'accessEndingIn1Day', 'accessRemoved')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- The "access ends soon" reminders: the end (millis) each reminder was sent for. A guarded
-- update sets it in the transaction that writes the message, so each reminder goes once
-- for a given end, however many instances run and restart; an extension moves the end,
-- so the reminders go again before the new one.
ALTER TABLE assignments ADD COLUMN reminded_7d_for BIGINT;
ALTER TABLE assignments ADD COLUMN reminded_1d_for BIGINT;

-- The address messages' deep links start with (`Config::link_base`), written by each
-- server when it starts, so background jobs that run without a request know it too.
CREATE TABLE link_base (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    base TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
