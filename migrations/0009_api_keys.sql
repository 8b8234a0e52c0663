-- API keys (personal access tokens) for scripts and integrations: only their SHA-256 is
-- stored; `lookup` (12 characters of the key after its `ava_` prefix) finds the row.
CREATE TABLE api_keys (
    id           uuid        PRIMARY KEY,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    lookup       text        NOT NULL UNIQUE CHECK (lookup ~ '^[0-9A-Za-z]{12}$'),
    secret_hash  bytea       NOT NULL CHECK (octet_length(secret_hash) = 32),
    scopes       text[]      NOT NULL CHECK (
        cardinality(scopes) >= 1
        AND scopes <@ ARRAY['avatars:read', 'avatars:write', 'webhooks:manage', 'account:read', 'account:write', 'admin']
    ),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Kept current without a write per request: at most one a minute per key and worker.
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_live_by_user ON api_keys (user_id, id DESC) WHERE revoked_at IS NULL;
