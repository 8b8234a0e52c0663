# The account's role now, and its live keys counted, with the account locked so that two
# creations at once cannot both pass the limit.
LOCK_OWNER = """
SELECT u.role,
       (SELECT count(*) FROM api_keys k
        WHERE k.user_id = u.id AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())) AS live
FROM users u
WHERE u.id = $1 AND u.deleted_at IS NULL
FOR UPDATE OF u
"""

INSERT_API_KEY = """
INSERT INTO api_keys (id, user_id, name, lookup, secret_hash, scopes, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, name, lookup, scopes, created_at, last_used_at, expires_at
"""
