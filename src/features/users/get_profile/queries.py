SELECT_PROFILE = """
SELECT id, email, email_verified_at IS NOT NULL AS email_verified, display_name, created_at, updated_at
FROM users
WHERE id = $1 AND deleted_at IS NULL
"""
