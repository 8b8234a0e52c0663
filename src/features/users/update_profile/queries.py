UPDATE_PROFILE = """
UPDATE users
SET display_name = coalesce($2, display_name)
WHERE id = $1 AND deleted_at IS NULL
RETURNING id, email, email_verified_at IS NOT NULL AS email_verified, display_name, created_at, updated_at
"""
