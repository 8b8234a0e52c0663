SELECT_FOR_DELETE = """
SELECT a.owner_id, a.version
FROM avatars a
JOIN users u ON u.id = a.owner_id AND u.deleted_at IS NULL
WHERE a.id = $1 AND a.deleted_at IS NULL AND (a.hidden_at IS NULL AND u.suspended_at IS NULL OR a.owner_id = $2)
FOR UPDATE OF a
"""

# A soft delete: the row stays (likes, events and audit keep their references) but every
# read treats it as gone.
SOFT_DELETE_AVATAR = """
WITH deleted AS (
    UPDATE avatars SET deleted_at = now()
    WHERE id = $1
    RETURNING id, name, color, owner_id, likes_count, created_at, updated_at, version, hidden_at
)
SELECT d.id, d.name, d.color, d.owner_id, u.display_name, d.likes_count, false AS liked_by_me,
       d.created_at, d.updated_at, d.version, d.hidden_at IS NOT NULL AS hidden
FROM deleted d
JOIN users u ON u.id = d.owner_id
"""
