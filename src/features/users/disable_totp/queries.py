SELECT_ACCOUNT = """
SELECT u.password_hash, t.confirmed_at IS NOT NULL AS totp_on
FROM users u
LEFT JOIN user_totp t ON t.user_id = u.id
WHERE u.id = $1 AND u.deleted_at IS NULL
"""

DELETE_TOTP = """
DELETE FROM user_totp WHERE user_id = $1
"""

DELETE_BACKUP_CODES = """
DELETE FROM mfa_backup_codes WHERE user_id = $1
"""

# Logins waiting for their second step end with it.
DELETE_CHALLENGES = """
DELETE FROM mfa_challenges WHERE user_id = $1
"""
