SELECT_AVATAR = """
SELECT a.id, a.name, a.color, a.owner_id, u.display_name, a.likes_count,
       EXISTS (SELECT 1 FROM avatar_likes l WHERE l.avatar_id = a.id AND l.user_id = $2) AS liked_by_me,
       a.created_at, a.updated_at, a.version, a.hidden_at IS NOT NULL AS hidden
FROM avatars a
JOIN users u ON u.id = a.owner_id AND u.deleted_at IS NULL
WHERE a.id = $1 AND a.deleted_at IS NULL
  AND (a.hidden_at IS NULL AND u.suspended_at IS NULL OR a.owner_id = $2)
"""
