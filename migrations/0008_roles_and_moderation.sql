-- Roles, suspension, hidden avatars, and the audit log of what staff did.

-- Every account is a `user`; `moderator` and `admin` are granted by `api users grant` or
-- by an admin. Checked against this column on every request, never trusted from a token.
ALTER TABLE users
    ADD COLUMN role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
    -- A suspended account cannot sign in; its sessions end; its avatars are hidden from others.
    ADD COLUMN suspended_at timestamptz,
    ADD COLUMN suspension_reason text CHECK (char_length(suspension_reason) BETWEEN 1 AND 500),
    ADD CONSTRAINT users_suspension_has_reason CHECK ((suspended_at IS NULL) = (suspension_reason IS NULL));
-- The staff, and the admins counted when one would demote the last.
CREATE INDEX users_staff ON users (role) WHERE role <> 'user' AND deleted_at IS NULL;

ALTER TABLE sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_revoked_reason_check CHECK (
    revoked_reason IN (
        'logout', 'revoked_by_user', 'password_changed', 'account_deleted', 'refresh_token_reuse', 'account_suspended'
    )
);

-- Owners hear of moderation on their avatars through their webhooks too.
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_events_check;
ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_events_check CHECK (
    cardinality(events) >= 1
    AND events <@ ARRAY[
        'avatar.created', 'avatar.updated', 'avatar.deleted', 'avatar.liked', 'avatar.unliked',
        'avatar.hidden', 'avatar.restored'
    ]
);

-- A hidden avatar answers 404 to everyone but its owner, who sees it marked hidden.
ALTER TABLE avatars
    ADD COLUMN hidden_at timestamptz,
    ADD COLUMN hidden_reason text CHECK (char_length(hidden_reason) BETWEEN 1 AND 500),
    ADD CONSTRAINT avatars_hidden_has_reason CHECK ((hidden_at IS NULL) = (hidden_reason IS NULL));

-- Every action of a moderator or an admin, in the transaction that made it. Append-only:
-- the trigger below refuses UPDATE and DELETE whatever the role of the connection.
CREATE TABLE audit_log (
    id          uuid        PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    -- NULL: the command line (`api users grant`), run by whoever runs the service.
    actor_id    uuid        REFERENCES users (id),
    actor_role  text        NOT NULL CHECK (actor_role IN ('moderator', 'admin', 'operator')),
    action      text        NOT NULL CHECK (action ~ '^[a-z]+\.[a-z_]+$'),
    target_type text        NOT NULL CHECK (target_type IN ('account', 'avatar')),
    target_id   uuid        NOT NULL,
    reason      text        CHECK (char_length(reason) <= 500),
    details     jsonb       NOT NULL DEFAULT '{}',
    request_id  text
);
CREATE INDEX audit_log_newest ON audit_log (id DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
