-- Verified e-mail addresses, and the single-use tokens account e-mail carries: address
-- verification, a change of address, a password reset. Only a token's SHA-256 is stored
-- (it carries 256 random bits: no salt or slow hash is needed to keep it unguessable).
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
-- Accounts older than verification keep what they could do (their webhooks): their
-- addresses count as verified.
UPDATE users SET email_verified_at = created_at;

CREATE TABLE account_tokens (
    token_hash bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text        NOT NULL CHECK (purpose IN ('verify_email', 'change_email', 'reset_password')),
    -- The address the token proves (for change_email: the new one).
    email      text        NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254 AND email = lower(email)),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX account_tokens_open ON account_tokens (user_id, purpose) WHERE used_at IS NULL;
CREATE INDEX account_tokens_expires_at ON account_tokens (expires_at);

ALTER TABLE sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_revoked_reason_check CHECK (
    revoked_reason IN (
        'logout', 'revoked_by_user', 'password_changed', 'account_deleted', 'refresh_token_reuse', 'account_suspended',
        'password_reset'
    )
);
