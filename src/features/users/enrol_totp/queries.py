SELECT_ACCOUNT = """
SELECT u.password_hash, u.email, t.confirmed_at IS NOT NULL AS totp_on
FROM users u
LEFT JOIN user_totp t ON t.user_id = u.id
WHERE u.id = $1 AND u.deleted_at IS NULL
"""

# A pending enrolment is replaced (a new secret, as if begun again); a confirmed one is not.
UPSERT_PENDING_TOTP = """
INSERT INTO user_totp (user_id, secret_sealed)
VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE
SET secret_sealed = EXCLUDED.secret_sealed, last_used_step = NULL, created_at = now()
WHERE user_totp.confirmed_at IS NULL
RETURNING user_id
"""
