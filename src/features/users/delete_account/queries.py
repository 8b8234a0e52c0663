SELECT_PASSWORD_HASH = """
SELECT password_hash FROM users WHERE id = $1 AND deleted_at IS NULL
"""

SOFT_DELETE_USER = """
UPDATE users SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL AND password_hash = $2
"""

REVOKE_ALL_SESSIONS = """
UPDATE sessions
SET revoked_at = now(), revoked_reason = 'account_deleted'
WHERE user_id = $1 AND revoked_at IS NULL
"""
