# Keyset pagination on the time-ordered id, newest first ($3: the page's position).
SELECT_ACTIVE_SESSIONS = """
SELECT id, user_agent, created_at, last_used_at, expires_at, id = $2 AS current
FROM sessions
WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() AND id < $3
ORDER BY id DESC
LIMIT $4
"""
