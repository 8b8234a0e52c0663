# Spends the token: of two concurrent uses, only one finds used_at still NULL (the other
# waits for the row lock, then finds it set). The successor is sealed into the same row,
# for a repeat within the grace window.
SPEND_REFRESH_TOKEN = """
UPDATE refresh_tokens
SET used_at = now(), successor_sealed = $2
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
RETURNING session_id
"""

# A token that was spent already: when, and what it was rotated into.
SELECT_SPENT_TOKEN = """
SELECT session_id, used_at > now() - make_interval(secs => $2) AS within_grace, successor_sealed
FROM refresh_tokens
WHERE token_hash = $1 AND used_at IS NOT NULL
"""

# The successor handed out again within the grace window: still unspent, still valid,
# its session and account still alive.
SELECT_LIVE_SUCCESSOR = """
SELECT s.user_id, t.expires_at
FROM refresh_tokens t
JOIN sessions s ON s.id = t.session_id
JOIN users u ON u.id = s.user_id
WHERE t.token_hash = $1 AND t.session_id = $2 AND t.used_at IS NULL AND t.expires_at > now()
  AND s.revoked_at IS NULL AND s.expires_at > now() AND u.deleted_at IS NULL
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
