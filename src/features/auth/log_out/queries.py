REVOKE_SESSION_OF_TOKEN = """
UPDATE sessions
SET revoked_at = now(), revoked_reason = 'logout'
WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL
"""
