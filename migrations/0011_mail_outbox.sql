-- Outbound e-mail, written in the same transaction as the change that causes it (a
-- sign-up, a reset request) and sent in the background by the deliver-mail job.
--
-- The rendered message (it may hold a single-use link) and its recipient stay here only
-- until the message is sent or given up: both are wiped (NULL) then, and the row keeps
-- only what operations need (kind, attempts, the last error) until it expires.
CREATE TABLE mail_outbox (
    id              uuid        PRIMARY KEY,   -- uuid7; also the Message-ID's local part
    kind            text        NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
    user_id         uuid        REFERENCES users (id) ON DELETE SET NULL,
    recipient       text        CHECK (char_length(recipient) BETWEEN 3 AND 254),
    message         bytea,                     -- RFC 5322 bytes, ready for DATA
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    last_error      text        CHECK (char_length(last_error) <= 500),
    request_id      text,
    traceparent     text,
    tracestate      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    CHECK ((status IN ('sent', 'failed')) = (message IS NULL)),
    CHECK ((message IS NULL) = (recipient IS NULL)),
    CHECK ((status IN ('sent', 'failed')) = (finished_at IS NOT NULL))
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_leased ON mail_outbox (locked_until) WHERE status = 'sending';
CREATE INDEX mail_outbox_finished ON mail_outbox (finished_at) WHERE status IN ('sent', 'failed');
CREATE INDEX mail_outbox_by_user ON mail_outbox (user_id) WHERE user_id IS NOT NULL;
CREATE TRIGGER mail_outbox_notify AFTER INSERT ON mail_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION notify_channel('mail_outbox');
