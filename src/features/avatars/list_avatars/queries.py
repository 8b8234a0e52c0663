# Keyset pagination newest first: `a.id < $2` with $2 the page's position (the greatest
# UUID for the first page), so every page is an index range scan however deep it is.
# `liked_by_me` is one index probe per row of the page, inside the same query.
LIST_AVATARS = """
SELECT a.id, a.name, a.color, a.owner_id, u.display_name, a.likes_count,
       EXISTS (SELECT 1 FROM avatar_likes l WHERE l.avatar_id = a.id AND l.user_id = $1) AS liked_by_me,
       a.created_at, a.updated_at, a.version, a.hidden_at IS NOT NULL AS hidden
FROM avatars a
JOIN users u ON u.id = a.owner_id AND u.deleted_at IS NULL
WHERE a.deleted_at IS NULL AND a.id < $2
  AND (a.hidden_at IS NULL AND u.suspended_at IS NULL OR a.owner_id = $1)
ORDER BY a.id DESC
LIMIT $3
"""

LIST_AVATARS_OF_OWNER = """
SELECT a.id, a.name, a.color, a.owner_id, u.display_name, a.likes_count,
       EXISTS (SELECT 1 FROM avatar_likes l WHERE l.avatar_id = a.id AND l.user_id = $1) AS liked_by_me,
       a.created_at, a.updated_at, a.version, a.hidden_at IS NOT NULL AS hidden
FROM avatars a
JOIN users u ON u.id = a.owner_id AND u.deleted_at IS NULL
WHERE a.deleted_at IS NULL AND a.id < $2 AND a.owner_id = $4
  AND (a.hidden_at IS NULL AND u.suspended_at IS NULL OR a.owner_id = $1)
ORDER BY a.id DESC
LIMIT $3
"""
