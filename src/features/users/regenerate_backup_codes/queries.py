SELECT_TOTP_ON = """
SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL)
"""

DELETE_BACKUP_CODES = """
DELETE FROM mfa_backup_codes WHERE user_id = $1
"""

# Only while TOTP is still on (it may have been disabled meanwhile): no orphan codes.
INSERT_BACKUP_CODES = """
INSERT INTO mfa_backup_codes (user_id, code_hash)
SELECT $1, code_hash FROM unnest($2::bytea[]) AS code_hash
WHERE EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL)
"""
