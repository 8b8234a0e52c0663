# Locks the avatar, then restores it if it is hidden (see hide_avatar).
RESTORE = """
WITH target AS (
    SELECT id, hidden_at, hidden_reason FROM avatars WHERE id = $1 AND deleted_at IS NULL FOR UPDATE
), restored AS (
    UPDATE avatars a SET hidden_at = NULL, hidden_reason = NULL
    FROM target t
    WHERE a.id = t.id AND t.hidden_at IS NOT NULL
    RETURNING a.id, a.owner_id, a.name
)
SELECT r.id, r.owner_id, r.name, t.hidden_reason AS previous_reason, t.hidden_at IS NOT NULL AS was_hidden
FROM target t LEFT JOIN restored r ON r.id = t.id
"""
