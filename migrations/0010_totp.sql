-- Two-factor sign-in with TOTP (RFC 6238): the account's secret, its backup codes, and the
-- challenges a password login answers with when the account has TOTP on.

-- The secret is stored sealed (AES-GCM under DATA_ENCRYPTION_KEY, bound to the user id),
-- never in clear. confirmed_at NULL: enrolment begun, not yet confirmed with a code.
-- last_used_step: the RFC 6238 time step of the last accepted code, so that a code is
-- accepted once (a conditional UPDATE moves it forward only).
CREATE TABLE user_totp (
    user_id        uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed  bytea       NOT NULL CHECK (octet_length(secret_sealed) BETWEEN 33 AND 256),
    confirmed_at   timestamptz,
    last_used_step bigint      CHECK (last_used_step >= 0),
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Ten one-time codes per account; SHA-256 only (each code carries 80 random bits, so no
-- key is needed to make guessing from a stolen table hopeless).
CREATE TABLE mfa_backup_codes (
    user_id   uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea       NOT NULL CHECK (octet_length(code_hash) = 32),
    used_at   timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- The second step of a login: the SHA-256 of the challenge token the password answered
-- with, short-lived, with a bounded number of code attempts, spent once.
CREATE TABLE mfa_challenges (
    token_hash bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent text        CHECK (char_length(user_agent) <= 256),
    attempts   integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX mfa_challenges_expires_at ON mfa_challenges (expires_at);
CREATE INDEX mfa_challenges_user_id ON mfa_challenges (user_id);
