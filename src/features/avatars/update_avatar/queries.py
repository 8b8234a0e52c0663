# Locks the row: checks and the edit see one version, and concurrent editors queue.
SELECT_FOR_EDIT = """
SELECT a.owner_id, a.version
FROM avatars a
JOIN users u ON u.id = a.owner_id AND u.deleted_at IS NULL
WHERE a.id = $1 AND a.deleted_at IS NULL AND (a.hidden_at IS NULL AND u.suspended_at IS NULL OR a.owner_id = $2)
FOR UPDATE OF a
"""

# The avatars_touch trigger moves version and updated_at when something changed.
UPDATE_AVATAR = """
WITH updated AS (
    UPDATE avatars
    SET name = coalesce($2, name), color = coalesce($3, color)
    WHERE id = $1
    RETURNING id, name, color, owner_id, likes_count, created_at, updated_at, version, hidden_at
)
SELECT d.id, d.name, d.color, d.owner_id, u.display_name, d.likes_count,
       EXISTS (SELECT 1 FROM avatar_likes l WHERE l.avatar_id = d.id AND l.user_id = $4) AS liked_by_me,
       d.created_at, d.updated_at, d.version, d.hidden_at IS NOT NULL AS hidden
FROM updated d
JOIN users u ON u.id = d.owner_id
"""
