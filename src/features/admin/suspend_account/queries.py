# Locks the account: a concurrent suspension, reinstatement or role change waits its turn.
LOCK_ACCOUNT = """
SELECT suspended_at FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE
"""

SUSPEND = """
UPDATE users SET suspended_at = now(), suspension_reason = $2 WHERE id = $1
"""

# Its sessions end: refresh tokens stop working with them, access tokens at their next
# request (the session check), on every instance.
END_SESSIONS = """
WITH ended AS (
    UPDATE sessions SET revoked_at = now(), revoked_reason = 'account_suspended'
    WHERE user_id = $1 AND revoked_at IS NULL
    RETURNING 1
)
SELECT count(*) FROM ended
"""
