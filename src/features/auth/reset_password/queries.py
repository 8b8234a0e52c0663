# The account an open reset token belongs to (live, not suspended), for the password rules.
SELECT_TOKEN_ACCOUNT = """
SELECT u.id, u.email, u.display_name
FROM account_tokens AS t
JOIN users AS u ON u.id = t.user_id
WHERE t.token_hash = $1 AND t.purpose = 'reset_password' AND t.used_at IS NULL AND t.expires_at > now()
  AND u.deleted_at IS NULL AND u.suspended_at IS NULL
"""

# Spent once: of two concurrent confirmations one gets the row, the other none.
SPEND_TOKEN = """
UPDATE account_tokens SET used_at = now()
WHERE token_hash = $1 AND purpose = 'reset_password' AND used_at IS NULL AND expires_at > now()
RETURNING user_id, email
"""

# The link reached the account's address: that address is proven too.
SET_PASSWORD = """
UPDATE users
SET password_hash = $2, password_changed_at = now(),
    email_verified_at = CASE WHEN email = $3 THEN coalesce(email_verified_at, now()) ELSE email_verified_at END
WHERE id = $1 AND deleted_at IS NULL AND suspended_at IS NULL
RETURNING email, display_name
"""

REVOKE_ALL_SESSIONS = """
UPDATE sessions SET revoked_at = now(), revoked_reason = 'password_reset'
WHERE user_id = $1 AND revoked_at IS NULL
"""

# A login waiting for its second step was begun with the old password: it ends too (the
# second factor itself stays on: a reset never skips it).
DELETE_MFA_CHALLENGES = """
DELETE FROM mfa_challenges WHERE user_id = $1
"""

SPEND_OTHER_RESET_TOKENS = """
UPDATE account_tokens SET used_at = now()
WHERE user_id = $1 AND purpose = 'reset_password' AND used_at IS NULL
"""
