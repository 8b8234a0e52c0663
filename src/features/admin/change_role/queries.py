LOCK_ACCOUNT = """
SELECT role FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE
"""

SET_ROLE = """
UPDATE users SET role = $2 WHERE id = $1
"""

ACCOUNT_BY_EMAIL = """
SELECT id FROM users WHERE email = $1 AND deleted_at IS NULL
"""
