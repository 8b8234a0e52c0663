# The active admins, locked: two admins demoting each other at once take turns, so the
# second sees the first's change and cannot leave the service with no admin.
LOCK_ACTIVE_ADMINS = """
SELECT id FROM users
WHERE role = 'admin' AND deleted_at IS NULL AND suspended_at IS NULL
ORDER BY id
FOR UPDATE
"""

LOCK_ACCOUNT = """
SELECT role FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE
"""

SET_ROLE = """
UPDATE users SET role = $2 WHERE id = $1
"""

ACCOUNT_BY_EMAIL = """
SELECT id FROM users WHERE email = $1 AND deleted_at IS NULL
"""
