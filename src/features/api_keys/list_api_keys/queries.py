# The account's keys not revoked (expired ones too, with their expires_at), newest first.
LIST_API_KEYS = """
SELECT id, name, lookup, scopes, created_at, last_used_at, expires_at
FROM api_keys
WHERE user_id = $3 AND revoked_at IS NULL AND id < $1
ORDER BY id DESC
LIMIT $2
"""
