SELECT_ACCOUNT = """
SELECT email, display_name, email_verified_at IS NOT NULL AS verified
FROM users
WHERE id = $1 AND deleted_at IS NULL
"""
