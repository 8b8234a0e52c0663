# One like per (avatar, user), enforced by the primary key: repeated or concurrent likes
# by one user insert once. The count moves in a trigger (see migration 0003).
INSERT_LIKE = """
INSERT INTO avatar_likes (avatar_id, user_id)
SELECT a.id, $2
FROM avatars a
JOIN users u ON u.id = a.owner_id AND u.deleted_at IS NULL
WHERE a.id = $1 AND a.deleted_at IS NULL AND (a.hidden_at IS NULL AND u.suspended_at IS NULL OR a.owner_id = $2)
ON CONFLICT DO NOTHING
RETURNING avatar_id
"""

SELECT_LIVE_AVATAR = """
SELECT a.id, a.name, a.color, a.owner_id, u.display_name, a.likes_count, true AS liked_by_me,
       a.created_at, a.updated_at, a.version, a.hidden_at IS NOT NULL AS hidden
FROM avatars a
JOIN users u ON u.id = a.owner_id AND u.deleted_at IS NULL
WHERE a.id = $1 AND a.deleted_at IS NULL AND (a.hidden_at IS NULL AND u.suspended_at IS NULL OR a.owner_id = $2)
"""
