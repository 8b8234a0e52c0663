SELECT_ACCOUNT = """
SELECT password_hash, email, display_name FROM users WHERE id = $1 AND deleted_at IS NULL
"""

# Only over the hash that was checked: a change that happened meanwhile wins, this one fails.
UPDATE_PASSWORD = """
UPDATE users SET password_hash = $2, password_changed_at = now()
WHERE id = $1 AND deleted_at IS NULL AND password_hash = $3
"""

REVOKE_OTHER_SESSIONS = """
UPDATE sessions
SET revoked_at = now(), revoked_reason = 'password_changed'
WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL
"""

# A login waiting for its second step was begun with the old password: it ends too.
DELETE_MFA_CHALLENGES = """
DELETE FROM mfa_challenges WHERE user_id = $1
"""
