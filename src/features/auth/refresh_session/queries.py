# Spends the token: of two concurrent uses, only one finds used_at still NULL.
SPEND_REFRESH_TOKEN = """
UPDATE refresh_tokens
SET used_at = now()
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
RETURNING session_id
"""

SELECT_SPENT_TOKEN_SESSION = """
SELECT session_id FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NOT NULL
"""

REVOKE_FAMILY_FOR_REUSE = """
UPDATE sessions
SET revoked_at = now(), revoked_reason = 'refresh_token_reuse'
WHERE id = $1 AND revoked_at IS NULL
"""

# The session must still be alive, and its account too; locks it against a racing revoke.
SELECT_ACTIVE_SESSION = """
SELECT s.user_id, s.expires_at
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.deleted_at IS NULL
FOR UPDATE OF s
"""

TOUCH_SESSION = """
UPDATE sessions SET last_used_at = now() WHERE id = $1
"""

INSERT_REFRESH_TOKEN = """
INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
VALUES ($1, $2, $3)
"""
