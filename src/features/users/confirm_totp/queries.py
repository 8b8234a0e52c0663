SELECT_PENDING_SECRET = """
SELECT secret_sealed FROM user_totp WHERE user_id = $1 AND confirmed_at IS NULL
"""

# Only the secret that the code was checked against: a new enrolment meanwhile wins.
# The confirming code's step counts as used, like any accepted code.
CONFIRM_TOTP = """
UPDATE user_totp SET confirmed_at = now(), last_used_step = $3
WHERE user_id = $1 AND confirmed_at IS NULL AND secret_sealed = $2
"""

DELETE_BACKUP_CODES = """
DELETE FROM mfa_backup_codes WHERE user_id = $1
"""

INSERT_BACKUP_CODES = """
INSERT INTO mfa_backup_codes (user_id, code_hash)
SELECT $1, code_hash FROM unnest($2::bytea[]) AS code_hash
"""
